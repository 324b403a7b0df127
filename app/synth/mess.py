"""Data-quality noise applied to clean values: typos, nicknames, formats, bad rows.

Every function takes the rate at mess=1 and the run's mess factor, so mess=0
leaves values clean and mess=2 doubles the noise.
"""

import numpy as np

from app.synth.common import BoolArray, DayArray, IntArray, ObjArray, hits
from app.synth.pools import CITIES, CITY_ALIASES, NICKNAMES, STREET_ABBREVIATIONS

_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _keyboard_neighbours() -> dict[str, str]:
    """Letters next to each letter on a QWERTY keyboard: the likely slips of a finger."""
    near: dict[str, str] = {}
    for r, row in enumerate(_ROWS):
        for c, ch in enumerate(row):
            side = [row[j] for j in (c - 1, c + 1) if 0 <= j < len(row)]
            updown = [_ROWS[k][c] for k in (r - 1, r + 1) if 0 <= k < 3 and c < len(_ROWS[k])]
            near[ch] = "".join(side + updown)
    return near


_NEIGHBOURS = _keyboard_neighbours()


def blank(values: ObjArray, rng: np.random.Generator, rate: float) -> None:
    """Empty a share of the values in place (a missing field)."""
    values[hits(rng, len(values), rate)] = ""


def _typo(s: str, op: int, u: float, v: float) -> str:
    if len(s) < 3:
        return s
    i = 1 + int(u * (len(s) - 1))  # the first letter is usually right
    if op == 1:
        return s[:i] + s[i + 1 :]
    if op == 2 and s[i - 1] != s[i]:
        return s[: i - 1] + s[i] + s[i - 1] + s[i + 1 :]
    if op == 3:
        return s[:i] + s[i] + s[i:]
    near = _NEIGHBOURS.get(s[i].lower(), "")
    if not near:
        return s[:i] + s[i + 1 :]
    ch = near[int(v * len(near))]
    return s[:i] + (ch.upper() if s[i].isupper() else ch) + s[i + 1 :]


def typos(values: ObjArray, rng: np.random.Generator, rate: float) -> ObjArray:
    """One substitution, deletion, transposition or doubled letter in a share of values."""
    out = values.copy()
    idx = np.flatnonzero(hits(rng, len(values), rate) & (values != ""))
    op = rng.integers(0, 4, len(idx))
    u, v = rng.random(len(idx)), rng.random(len(idx))
    out[idx] = [_typo(values[j], op[k], u[k], v[k]) for k, j in enumerate(idx)]
    return out


def nicknames(first: ObjArray, rng: np.random.Generator, rate: float) -> ObjArray:
    out = first.copy()
    known = np.fromiter((f in NICKNAMES for f in first), dtype=bool, count=len(first))
    idx = np.flatnonzero(known & hits(rng, len(first), rate))
    u = rng.random(len(idx))
    out[idx] = [
        NICKNAMES[first[j]][int(u[k] * len(NICKNAMES[first[j]]))] for k, j in enumerate(idx)
    ]
    return out


def swap(
    first: ObjArray, last: ObjArray, rng: np.random.Generator, rate: float
) -> tuple[ObjArray, ObjArray]:
    mask = hits(rng, len(first), rate)
    return np.where(mask, last, first), np.where(mask, first, last)


# Phone styles: how a number is written. nsn is the ten-digit national significant number.
E164, NATIONAL, INTL_SPACED, DOUBLE_ZERO, PARENS, COMPACT, INTL_ZERO = range(7)


def _phone(nsn: str, k: int, style: int) -> str:
    head, tail = nsn[:k], nsn[k:]
    if style == E164:
        return f"+44{nsn}"
    if style == NATIONAL:
        return f"0{head} {tail}"
    if style == INTL_SPACED:
        return f"+44 {head} {tail}"
    if style == DOUBLE_ZERO:
        return f"0044 {head} {tail}"
    if style == PARENS:
        return f"(0{head}) {tail[:3]}-{tail[3:]}"
    if style == INTL_ZERO:
        return f"+44 (0){head} {tail}"
    return f"0{nsn}"


def phones(
    nsn: ObjArray, split: IntArray, rng: np.random.Generator, clean_style: int, mess: float
) -> ObjArray:
    """Format numbers in the source's house style, some in any other style."""
    n = len(nsn)
    style = np.where(hits(rng, n, 0.3 * mess), rng.integers(0, 7, n), clean_style)
    return np.array(
        [_phone(p, int(k), int(s)) if p else "" for p, k, s in zip(nsn, split, style, strict=True)],
        dtype=object,
    )


def _bad_email(email: str, kind: int) -> str:
    local = email.split("@")[0] or "john.smith"
    return (f"{local}@", "n/a", local + ".gmail.com", "none", f"{local}@@mail")[kind]


def emails(values: ObjArray, rng: np.random.Generator, mess: float) -> ObjArray:
    """Mixed case, stray spaces and a few unusable values."""
    out = values.copy()
    n = len(values)
    present = values != ""
    upper = np.flatnonzero(present & hits(rng, n, 0.05 * mess))
    whole = rng.random(len(upper)) < 0.3
    out[upper] = [
        e.upper() if w else ".".join(p.capitalize() for p in e.split("."))
        for e, w in zip(values[upper], whole, strict=True)
    ]
    spaced = np.flatnonzero(present & hits(rng, n, 0.03 * mess))
    out[spaced] = [f" {e} " if i % 2 else f"{e} " for i, e in enumerate(out[spaced])]
    bad = np.flatnonzero(hits(rng, n, 0.001 * mess))
    kind = rng.integers(0, 5, len(bad))
    out[bad] = [_bad_email(values[j], int(t)) for j, t in zip(bad, kind, strict=True)]
    return out


def dates(days: DayArray, dmy: bool, rng: np.random.Generator, mess: float) -> ObjArray:
    """Dates as YYYY-MM-DD (or DD/MM/YYYY); some day-month swapped, a few unparseable."""
    iso = days.astype("datetime64[D]").astype(str).astype(object)
    n = len(iso)
    day = days.astype("datetime64[D]") - days.astype("datetime64[M]").astype("datetime64[D]")
    month = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    can_swap = (day.astype(np.int64) + 1 <= 12) & (day.astype(np.int64) + 1 != month)
    # Only about 40% of dates can be swapped; scale so ~1% of all rows are.
    sw = np.flatnonzero(can_swap & hits(rng, n, 0.025 * mess))
    iso[sw] = [f"{s[:5]}{s[8:10]}-{s[5:7]}" for s in iso[sw]]
    if dmy:
        iso = np.array([f"{s[8:10]}/{s[5:7]}/{s[:4]}" for s in iso], dtype=object)
    bad = np.flatnonzero(hits(rng, n, 0.0005 * mess))
    kind = rng.integers(0, 4, len(bad))
    options_iso = ("{y}-02-30", "unknown", "{y}-13-01", "00/00/0000")
    options_dmy = ("30/02/{y}", "unknown", "{y}/31/12", "0/0/0")
    options = options_dmy if dmy else options_iso
    year = [str(d)[:4] for d in days[bad]]
    iso[bad] = [options[k].format(y=y) for k, y in zip(kind, year, strict=True)]
    return iso


def postcodes(values: ObjArray, rng: np.random.Generator, mess: float) -> ObjArray:
    out = values.copy()
    n = len(values)
    squash = np.flatnonzero(hits(rng, n, 0.06 * mess))
    out[squash] = [p.replace(" ", "") for p in out[squash]]
    lower = np.flatnonzero(hits(rng, n, 0.04 * mess))
    out[lower] = [p.lower() for p in out[lower]]
    return out


def streets(values: ObjArray, rng: np.random.Generator, mess: float) -> ObjArray:
    out = values.copy()
    n = len(values)
    abbr = np.flatnonzero(hits(rng, n, 0.15 * mess))
    out[abbr] = [_abbreviate(s) for s in out[abbr]]
    lower = np.flatnonzero(hits(rng, n, 0.03 * mess))
    out[lower] = [s.lower() for s in out[lower]]
    return out


def _abbreviate(line: str) -> str:
    head, _, suffix = line.rpartition(" ")
    short = STREET_ABBREVIATIONS.get(suffix)
    return f"{head} {short}" if short else line


def cities(city: IntArray, rng: np.random.Generator, mess: float) -> ObjArray:
    names = np.array([c[0] for c in CITIES], dtype=object)
    out = names[city]
    n = len(city)
    alias = np.flatnonzero(hits(rng, n, 0.3 * mess))
    out[alias] = [CITY_ALIASES.get(c, c) for c in out[alias]]
    upper = np.flatnonzero(hits(rng, n, 0.03 * mess))
    out[upper] = [c.upper() for c in out[upper]]
    return out


def pick_variant(
    clean: str, variants: tuple[str, ...], n: int, rng: np.random.Generator, rate: float
) -> ObjArray:
    """The clean value, replaced by one of the variants in a share of rows."""
    out = np.full(n, clean, dtype=object)
    mask: BoolArray = hits(rng, n, rate)
    out[mask] = rng.choice(np.array(variants, dtype=object), size=int(mask.sum()))
    return out

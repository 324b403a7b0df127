"""Source systems: which people each system knows, and their customer records.

Each system has its own key format, column names and conventions, so the
ingestion mappings have real work to do. Noise comes from `mess.py`.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from app.synth import mess as m
from app.synth.common import BoolArray, DayArray, IntArray, ObjArray, hits
from app.synth.identifiers import Identifiers
from app.synth.pools import CITIES
from app.synth.population import People

SOURCES: tuple[str, ...] = ("crm", "webshop", "loyalty", "callcenter")
CRM, WEBSHOP, LOYALTY, CALLCENTER = range(4)

CUSTOMER_COLUMNS: dict[str, tuple[str, ...]] = {
    "crm": (
        "crm_id",
        "first_name",
        "last_name",
        "gender",
        "birth_date",
        "email",
        "phone",
        "street",
        "city",
        "postcode",
        "country",
        "account_no",
        "account_role",
        "updated_at",
        "marketing_opt_in",
    ),
    "webshop": (
        "user_id",
        "full_name",
        "email",
        "mobile",
        "device_id",
        "ship_street",
        "ship_city",
        "ship_zip",
        "signup_date",
        "newsletter",
    ),
    "loyalty": ("card_no", "fname", "lname", "dob", "phone", "zip", "email", "store_city"),
    "callcenter": (
        "contact_id",
        "caller_name",
        "callback_number",
        "account_no",
        "account_role",
        "dob",
    ),
}

# How likely an adult, a child of 12-15 or a younger child is to be known to each source.
_WEIGHT_ADULT = np.array([1.0, 0.9, 0.8, 0.6])
_WEIGHT_TEEN = np.array([1.0, 0.3, 0.6, 0.05])
_WEIGHT_CHILD = np.array([1.0, 0.02, 0.15, 0.01])
# Records are as of a time this many days before the start: older systems keep older data,
# which is what decides whether a mover shows the old or the new address.
_AS_OF_DAYS = ((0, 1100), (0, 1500), (60, 2900), (0, 700))
DUPLICATE_RATE = 0.02


@dataclass
class Records:
    """All source records, ordered by source then by file row."""

    source: IntArray
    person: IntArray
    dup: BoolArray  # the second record of a duplicate sign-up
    as_of: DayArray  # datetime64[s]
    row: IntArray  # row within its source's file
    key: ObjArray  # the source's key; "" for the few rows that lost it

    def of(self, source: int) -> IntArray:
        return np.flatnonzero(self.source == source)


def _key(source: int, i: int) -> str:
    if source == CRM:
        return f"CRM-{i:07d}"
    if source == WEBSHOP:
        return f"WEB-{i:07d}"
    if source == LOYALTY:
        return f"6339{i:08d}"
    return f"CC{i:08d}"


def assign_records(people: People, rng: np.random.Generator, mess: float) -> Records:
    n = people.n
    grown = people.age >= 16
    k = np.where(
        grown,
        rng.choice([1, 2, 3, 4], size=n, p=[0.03, 0.24, 0.40, 0.33]),
        rng.choice([1, 2, 3, 4], size=n, p=[0.5, 0.35, 0.15, 0.0]),
    )
    teen = (people.age >= 12)[:, None]
    weight = np.where(grown[:, None], _WEIGHT_ADULT, np.where(teen, _WEIGHT_TEEN, _WEIGHT_CHILD))
    race = rng.exponential(size=(n, len(SOURCES))) / weight  # weighted sampling without repeats
    rank = np.argsort(np.argsort(race, axis=1), axis=1)
    person, source = np.nonzero(rank < k[:, None])
    dup_people = np.flatnonzero(hits(rng, n, DUPLICATE_RATE))
    person = np.concatenate([person, dup_people]).astype(np.int64)
    source = np.concatenate([source, np.argmin(race[dup_people], axis=1)]).astype(np.int64)
    dup = np.concatenate(
        [np.zeros(len(person) - len(dup_people), bool), np.ones(len(dup_people), bool)]
    )

    order = np.lexsort((rng.random(len(person)), source))
    person, source, dup = person[order], source[order], dup[order]
    lo = np.array([d[0] for d in _AS_OF_DAYS])[source]
    hi = np.array([d[1] for d in _AS_OF_DAYS])[source]
    back = lo + rng.random(len(person)) * (hi - lo)
    age = people.age[person]
    back = np.minimum(back, np.maximum(age - 15, 0) * 365 + 200)
    seconds = (back * 86400 + rng.integers(0, 86400, len(person))).astype("timedelta64[s]")
    as_of = people.start.astype("datetime64[s]") - seconds

    first_row = np.searchsorted(source, np.arange(len(SOURCES)))
    row = np.arange(len(person)) - first_row[source]
    key = np.array(
        [_key(int(s), int(r) + 1) for s, r in zip(source, row, strict=True)], dtype=object
    )
    # A handful of rows lost their key on export; they stay in the truth with an empty key.
    if mess > 0:
        for s in range(len(SOURCES)):
            rows = np.flatnonzero(source == s)
            lost = min(round(2 * mess), len(rows) // 100)
            key[rng.choice(rows, size=lost, replace=False)] = ""
    return Records(source, person, dup, as_of, row, key)


class _View:
    """The people behind one source's records, with helpers shared by all sources."""

    def __init__(
        self, recs: Records, idx: IntArray, people: People, ids: Identifiers, mess: float
    ) -> None:
        self.people, self.ids, self.mess = people, ids, mess
        self.person = recs.person[idx]
        self.dup = recs.dup[idx]
        self.as_of = recs.as_of[idx]
        self.key = recs.key[idx]
        self.n = len(idx)

    def names(self, rng: np.random.Generator, nick_rate: float) -> tuple[ObjArray, ObjArray]:
        first = m.nicknames(self.people.first[self.person], rng, nick_rate * self.mess)
        first = m.typos(first, rng, 0.04 * self.mess)
        last = m.typos(self.people.last[self.person], rng, 0.04 * self.mess)
        return m.swap(first, last, rng, 0.01 * self.mess)

    def address(self) -> IntArray:
        """Address index as the source knows it: movers keep the old one in older records."""
        p = self.person
        old = self.people.old_address[p]
        stale = (old >= 0) & (self.as_of < self.people.move_day[p].astype("datetime64[s]"))
        return np.where(stale, old, self.people.address[p])

    def email(self, rng: np.random.Generator) -> ObjArray:
        e1, e2 = self.ids.email[self.person], self.ids.email2[self.person]
        use2 = (e2 != "") & (self.dup | hits(rng, self.n, 0.3))
        out = np.where(use2, e2, e1)
        # A duplicate sign-up needs another address; without a second one, people add digits.
        taken = set(self.ids.email) | set(self.ids.email2)
        fix = np.flatnonzero(self.dup & ~use2 & (out != ""))
        for j, extra in zip(fix, rng.integers(2, 99, len(fix)), strict=True):
            loc, dom = out[j].split("@")
            candidate, bump = f"{loc}{extra}@{dom}", 0
            while candidate in taken:
                bump += 1
                candidate = f"{loc}{extra}{bump}@{dom}"
            taken.add(candidate)
            out[j] = candidate
        return out.astype(object)

    def phone(self, rng: np.random.Generator, landline_share: float, style: int) -> ObjArray:
        p = self.person
        mobile, land = self.ids.mobile[p], self.ids.landline[p]
        use_land = (land != "") & ((mobile == "") | hits(rng, self.n, landline_share))
        nsn = np.where(use_land, land, mobile).astype(object)
        split = np.where(use_land, self.ids.landline_split[p], 4)
        return m.phones(nsn, split, rng, style, self.mess)

    def dob(self, rng: np.random.Generator, dmy: bool) -> ObjArray:
        return m.dates(self.people.dob[self.person], dmy, rng, self.mess)

    def account(self, rng: np.random.Generator) -> tuple[ObjArray, ObjArray]:
        pick = self.ids.accounts.pick(self.person, rng.random(self.n))
        return self.ids.accounts.take(pick), self.ids.accounts.take(pick, self.ids.accounts.tags)

    def blank(
        self, rng: np.random.Generator, cols: dict[str, ObjArray], rates: dict[str, float]
    ) -> None:
        for col, rate in rates.items():
            m.blank(cols[col], rng, rate * self.mess)


def _consent(v: _View, rng: np.random.Generator, words: tuple[str, str], blank: float) -> ObjArray:
    """The person's marketing choice as this source last heard it: mostly right, sometimes
    the opposite (the person changed their mind since), sometimes not asked. Drawn after
    every other column, so those stay as they were before consent existed."""
    agree = v.ids.consent[v.person] ^ hits(rng, v.n, 0.1)
    out = np.where(agree, words[0], words[1]).astype(object)
    out[hits(rng, v.n, blank)] = ""
    return out


def _timestamps(as_of: DayArray, sep: str) -> ObjArray:
    text = as_of.astype("datetime64[s]").astype(str)
    if len(text) == 0:
        return np.array([], dtype=object)
    return np.strings.replace(text, "T", sep).astype(object)


def _full_name(first: ObjArray, last: ObjArray, rng: np.random.Generator, mess: float) -> ObjArray:
    n = len(first)
    style = np.zeros(n, dtype=np.int64)
    style[hits(rng, n, 0.08 * mess)] = 1
    style[hits(rng, n, 0.02 * mess)] = 2
    style[hits(rng, n, 0.01 * mess)] = 3
    out = []
    for f, la, s in zip(first, last, style, strict=True):
        name = f"{la}, {f}" if s == 1 else f"{f} {la}"
        out.append(name.lower() if s == 2 else name.upper() if s == 3 else name)
    return np.array(out, dtype=object)


def _crm(v: _View, rng: np.random.Generator) -> dict[str, ObjArray]:
    first, last = v.names(rng, 0.05)
    gender = v.people.gender[v.person].copy()
    spelled = np.flatnonzero(hits(rng, v.n, 0.05 * v.mess))
    words = {"M": ("Male", "m"), "F": ("Female", "f")}
    gender[spelled] = [words[g][i % 2] for i, g in enumerate(gender[spelled])]
    addr = v.address()
    account, role = v.account(rng)
    cols = {
        "crm_id": v.key,
        "first_name": first,
        "last_name": last,
        "gender": gender,
        "birth_date": v.dob(rng, dmy=False),
        "email": m.emails(v.email(rng), rng, v.mess),
        "phone": v.phone(rng, 0.15, m.E164),
        "street": m.streets(v.people.addr_line[addr], rng, v.mess),
        "city": m.cities(v.people.addr_city[addr], rng, v.mess),
        "postcode": m.postcodes(v.people.addr_postcode[addr], rng, v.mess),
        "country": m.pick_variant(
            "GB", ("UK", "United Kingdom", "gb", "England"), v.n, rng, 0.1 * v.mess
        ),
        "account_no": account,
        "account_role": role,
        "updated_at": _timestamps(v.as_of, " "),
    }
    v.blank(
        rng,
        cols,
        {
            "gender": 0.10,
            "birth_date": 0.10,
            "email": 0.08,
            "phone": 0.10,
            "street": 0.05,
            "city": 0.05,
            "postcode": 0.05,
            "country": 0.20,
        },
    )
    cols["marketing_opt_in"] = _consent(v, rng, ("Y", "N"), 0.2)
    return cols


def _webshop(v: _View, rng: np.random.Generator) -> dict[str, ObjArray]:
    first, last = v.names(rng, 0.3)
    addr = v.address()
    device = v.ids.devices.take(v.ids.devices.pick(v.person, rng.random(v.n)))
    cols = {
        "user_id": v.key,
        "full_name": _full_name(first, last, rng, v.mess),
        "email": m.emails(v.email(rng), rng, v.mess),
        "mobile": m.phones(v.ids.mobile[v.person], np.full(v.n, 4), rng, m.INTL_SPACED, v.mess),
        "device_id": device,
        "ship_street": m.streets(v.people.addr_line[addr], rng, v.mess),
        "ship_city": m.cities(v.people.addr_city[addr], rng, v.mess),
        "ship_zip": m.postcodes(v.people.addr_postcode[addr], rng, v.mess),
        "signup_date": _timestamps(v.as_of, "T"),
    }
    v.blank(
        rng,
        cols,
        {
            "full_name": 0.05,
            "email": 0.02,
            "mobile": 0.20,
            "device_id": 0.15,
            "ship_street": 0.10,
            "ship_city": 0.10,
            "ship_zip": 0.10,
        },
    )
    cols["newsletter"] = _consent(v, rng, ("true", "false"), 0.1)
    return cols


def _loyalty(v: _View, rng: np.random.Generator) -> dict[str, ObjArray]:
    first, last = v.names(rng, 0.3)
    addr = v.address()
    city = v.people.addr_city[addr].copy()
    elsewhere = hits(rng, v.n, 0.05 * v.mess)  # card used mostly in a store far from home
    city[elsewhere] = rng.integers(0, len(CITIES), int(elsewhere.sum()))
    cols = {
        "card_no": v.key,
        "fname": first,
        "lname": last,
        "dob": v.dob(rng, dmy=True),
        "phone": v.phone(rng, 0.3, m.NATIONAL),
        "zip": m.postcodes(v.people.addr_postcode[addr], rng, v.mess),
        "email": m.emails(v.email(rng), rng, v.mess),
        "store_city": m.cities(city, rng, v.mess),
    }
    v.blank(
        rng,
        cols,
        {
            "fname": 0.05,
            "lname": 0.05,
            "dob": 0.15,
            "phone": 0.12,
            "zip": 0.10,
            "email": 0.20,
            "store_city": 0.10,
        },
    )
    return cols


def _callcenter(v: _View, rng: np.random.Generator) -> dict[str, ObjArray]:
    first, last = v.names(rng, 0.35)
    n = v.n
    title = np.where(v.people.gender[v.person] == "M", "Mr", "Ms")
    style = np.zeros(n, dtype=np.int64)
    style[hits(rng, n, 0.05 * v.mess)] = 1
    style[hits(rng, n, 0.05 * v.mess)] = 2
    style[hits(rng, n, 0.10 * v.mess)] = 3
    names = []
    for f, la, t, s in zip(first, last, title, style, strict=True):
        name = f"{t} {f} {la}" if s == 1 else f"{f[:1]} {la}" if s == 2 else f"{f} {la}"
        names.append(name.lower() if s == 3 else name)
    account, role = v.account(rng)
    cols = {
        "contact_id": v.key,
        "caller_name": np.array(names, dtype=object),
        "callback_number": v.phone(rng, 0.5, m.COMPACT),
        "account_no": account,
        "account_role": np.array([r.capitalize() for r in role], dtype=object),
        "dob": v.dob(rng, dmy=False),
    }
    v.blank(rng, cols, {"caller_name": 0.05, "callback_number": 0.05, "dob": 0.20})
    missing = hits(rng, n, 0.20 * v.mess)
    cols["account_no"][missing] = ""
    cols["account_role"][missing] = ""
    return cols


_BUILDERS: tuple[Callable[[_View, np.random.Generator], dict[str, ObjArray]], ...] = (
    _crm,
    _webshop,
    _loyalty,
    _callcenter,
)


def customers(
    source: int,
    recs: Records,
    people: People,
    ids: Identifiers,
    rng: np.random.Generator,
    mess: float,
) -> dict[str, ObjArray]:
    """Columns of one source's customer file, in file order."""
    view = _View(recs, recs.of(source), people, ids, mess)
    cols = _BUILDERS[source](view, rng)
    return {c: cols[c] for c in CUSTOMER_COLUMNS[SOURCES[source]]}

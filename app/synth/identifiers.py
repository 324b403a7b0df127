"""Identifiers and assets people hold: emails, phones, devices, accounts.

Also decides each household's decision-maker, because that follows from who
owns or pays for the shared account.
"""

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from app.synth.common import BoolArray, Grouped, IntArray, ObjArray, hits
from app.synth.pools import CITIES, EMAIL_DOMAINS
from app.synth.population import COUPLE, FAMILY, People

FAMILY_EMAIL_RATE = 0.12  # of couple and family households where both adults have email
LANDLINE_RATE = 0.10  # of multi-person households
SHARED_DEVICE_RATE = 0.35
SHARED_ACCOUNT_RATE = 0.5
SECOND_EMAIL_RATE = 0.12
CONSENT_RATE = 0.55  # people who agree to marketing

_NOT_LETTER = re.compile(r"[^a-z]")
# Local-part patterns with weights; {f} first, {l} last, {i} initial, {n} number, {y} birth year.
_PATTERNS: tuple[tuple[str, float], ...] = (
    ("{f}.{l}", 30.0),
    ("{f}{l}", 12.0),
    ("{i}{l}", 10.0),
    ("{f}.{l}{n}", 12.0),
    ("{f}{y}", 8.0),
    ("{l}.{f}", 5.0),
    ("{f}_{l}", 6.0),
    ("{i}.{l}{n}", 5.0),
    ("{f}{l}{y}", 8.0),
    ("{l}{i}{n}", 4.0),
)
_FAMILY_PATTERNS = ("the{l}s", "{l}family", "{l}.family", "{a}and{b}", "{a}.{b}.{l}")


@dataclass
class Identifiers:
    email: ObjArray  # primary email per person, "" when none
    email2: ObjArray  # a second address some people use in some systems, "" when none
    mobile: ObjArray  # national significant number "7xxxxxxxxx", "" when none
    landline: ObjArray  # the household's landline NSN, "" when none
    landline_split: IntArray  # length of the landline's area code
    devices: Grouped  # device ids used by each person
    accounts: Grouped  # account ids held by each person; tags are roles
    decision_maker: IntArray  # person index per household
    consent: BoolArray  # whether the person agrees to marketing (sources may lag behind)


def _plain(values: ObjArray) -> list[str]:
    return [_NOT_LETTER.sub("", v.lower()) or "x" for v in values]


def _choose(rng: np.random.Generator, items: tuple[tuple[str, float], ...], n: int) -> ObjArray:
    w = np.array([x[1] for x in items])
    return rng.choice(np.array([x[0] for x in items], dtype=object), size=n, p=w / w.sum())


def _locals(people: People, idx: IntArray, rng: np.random.Generator) -> list[str]:
    first = _plain(people.first[idx])
    last = _plain(people.last[idx])
    pattern = _choose(rng, _PATTERNS, len(idx))
    number = rng.integers(1, 100, len(idx))
    year = people.dob[idx].astype("datetime64[Y]").astype(np.int64) + 1970
    return [
        pattern[j].format(f=first[j], l=last[j], i=first[j][0], n=number[j], y=year[j] % 100)
        for j in range(len(idx))
    ]


def _unique(local: list[str], domain: ObjArray, rng: np.random.Generator) -> ObjArray:
    """Join local@domain, appending digits to later duplicates until all are distinct."""
    emails = np.array([f"{a}@{b}" for a, b in zip(local, domain, strict=True)], dtype=object)
    for _ in range(20):
        dup = np.flatnonzero(pd.Series(emails).duplicated().to_numpy())
        if len(dup) == 0:
            break
        extra = rng.integers(1, 1000, len(dup))
        for j, e in zip(dup, extra, strict=True):
            loc, dom = emails[j].split("@")
            emails[j] = f"{loc}{e}@{dom}"
    return emails


def _emails(people: People, rng: np.random.Generator) -> tuple[ObjArray, ObjArray]:
    n, age = people.n, people.age
    has = np.where(age >= 18, hits(rng, n, 0.92), (age >= 13) & hits(rng, n, 0.2))
    has2 = has & people.adult & hits(rng, n, SECOND_EMAIL_RATE)

    # Households where the two adults share one family mailbox.
    hh_first = people.hh_start
    two_adults = (
        ((people.kind == COUPLE) | (people.kind == FAMILY))
        & (people.hh_size >= 2)
        & has[hh_first]
        & has[np.minimum(hh_first + 1, n - 1)]
    )
    fam_hh = np.flatnonzero(two_adults & hits(rng, len(two_adults), FAMILY_EMAIL_RATE))
    a = people.hh_start[fam_hh]
    b = a + 1
    fam_pattern = rng.integers(0, len(_FAMILY_PATTERNS), len(fam_hh))
    fa, fb, fl = _plain(people.first[a]), _plain(people.first[b]), _plain(people.last[a])
    fam_local = [
        _FAMILY_PATTERNS[p].format(a=fa[j], b=fb[j], l=fl[j]) for j, p in enumerate(fam_pattern)
    ]

    idx1, idx2 = np.flatnonzero(has), np.flatnonzero(has2)
    local = _locals(people, idx1, rng) + _locals(people, idx2, rng) + fam_local
    domain = _choose(rng, EMAIL_DOMAINS, len(local))
    emails = _unique(local, domain, rng)
    email = np.full(n, "", dtype=object)
    email2 = np.full(n, "", dtype=object)
    email[idx1] = emails[: len(idx1)]
    email2[idx2] = emails[len(idx1) : len(idx1) + len(idx2)]
    fam = emails[len(idx1) + len(idx2) :]
    # The family address replaces the adults' own; some keep theirs as a second one.
    for member in (a, b):
        keep = (email2[member] == "") & hits(rng, len(member), 0.5)
        email2[member[keep]] = email[member[keep]]
        email[member] = fam
    return email, email2


def _phones(people: People, rng: np.random.Generator) -> tuple[ObjArray, ObjArray, IntArray]:
    n, age, h = people.n, people.age, len(people.hh_size)
    has = np.where(age >= 18, hits(rng, n, 0.97), (age >= 11) & hits(rng, n, 0.6))
    number = rng.choice(600_000_000, size=n, replace=False) + 400_000_000
    mobile = np.full(n, "", dtype=object)
    mobile[has] = [f"7{x}" for x in number[has]]

    rate = np.where(people.hh_size >= 2, LANDLINE_RATE, 0.04)
    land_hh = np.flatnonzero(rng.random(h) < rate)
    codes = [CITIES[c][2] for c in people.addr_city[land_hh]]
    local = rng.choice(800_000, size=len(land_hh), replace=False)
    hh_land = np.full(h, "", dtype=object)
    hh_land[land_hh] = [
        f"{code}{2 * 10 ** (9 - len(code)) + x}" for code, x in zip(codes, local, strict=True)
    ]
    hh_split = np.full(h, 4, dtype=np.int64)
    hh_split[land_hh] = [len(c) for c in codes]
    return mobile, hh_land[people.household], hh_split[people.household]


def _ids(prefix: str, digits: int, n: int, rng: np.random.Generator) -> ObjArray:
    values = rng.choice(10**digits, size=n, replace=False)
    return np.array([f"{prefix}{v:0{digits}d}" for v in values], dtype=object)


def _shared_members(
    people: People, eligible: BoolArray, hh_flag: BoolArray
) -> tuple[IntArray, BoolArray]:
    """Households with the flag and at least two eligible members, and who shares."""
    per_hh = np.bincount(people.household, weights=eligible, minlength=len(hh_flag))
    hh_ok = hh_flag & (per_hh >= 2)
    return np.flatnonzero(hh_ok), eligible & hh_ok[people.household]


def _devices(people: People, rng: np.random.Generator) -> Grouped:
    n, age = people.n, people.age
    hh_flag = hits(rng, len(people.hh_size), SHARED_DEVICE_RATE)
    shared_hh, uses_shared = _shared_members(people, age >= 6, hh_flag)
    own = np.where(
        age >= 13,
        rng.choice(4, size=n, p=[0.2, 0.4, 0.3, 0.1]),
        np.where(age >= 6, rng.choice(2, size=n, p=[0.6, 0.4]), 0),
    )
    own = np.minimum(own, 3 - uses_shared.astype(np.int64))
    ids = _ids("D", 9, int(own.sum()) + len(shared_hh), rng)
    hh_dev = np.full(len(people.hh_size), "", dtype=object)
    hh_dev[shared_hh] = ids[int(own.sum()) :]
    sharers = np.flatnonzero(uses_shared)
    owner = np.concatenate([np.repeat(np.arange(n), own), sharers])
    values = np.concatenate([ids[: int(own.sum())], hh_dev[people.household[sharers]]])
    shared = np.concatenate([np.zeros(int(own.sum()), bool), np.ones(len(sharers), bool)])
    tags = np.where(shared, "shared", "own").astype(object)
    return Grouped.build(owner.astype(np.int64), values, tags, shared, n)


def _accounts(people: People, rng: np.random.Generator) -> tuple[Grouped, IntArray]:
    """Accounts per person and each household's decision-maker."""
    n, h, age, hh, pos = people.n, len(people.hh_size), people.age, people.household, people.pos
    hh_flag = hits(rng, h, SHARED_ACCOUNT_RATE) & (people.hh_size >= 2)
    # The holder (owner or payer) is the head, or the partner when the partner is an adult.
    partner = np.minimum(people.hh_start + 1, n - 1)
    by_partner = (people.hh_size >= 2) & people.adult[partner] & hits(rng, h, 0.35)
    holder = np.where(by_partner, partner, people.hh_start)
    joins = (age >= 10) & hits(rng, n, 0.85)
    is_holder = np.zeros(n, bool)
    is_holder[holder[hh_flag]] = True
    member = hh_flag[hh] & joins & ~is_holder
    in_shared = is_holder | member

    own = np.where(
        people.adult,
        rng.choice(3, size=n, p=[0.35, 0.5, 0.15]),
        np.where(age >= 16, rng.choice(2, size=n, p=[0.8, 0.2]), 0),
    )
    own = np.minimum(own, 2 - in_shared.astype(np.int64))
    n_own = int(own.sum())
    shared_hh = np.flatnonzero(hh_flag)
    ids = _ids("A", 9, n_own + len(shared_hh), rng)
    hh_acc = np.full(h, "", dtype=object)
    hh_acc[shared_hh] = ids[n_own:]
    holder_role = np.where(hits(rng, h, 0.7), "owner", "payer").astype(object)

    sharers = np.flatnonzero(in_shared)
    share_role = np.where(
        is_holder[sharers],
        holder_role[hh[sharers]],
        np.where(people.adult[sharers], "member", "user"),
    ).astype(object)
    owner = np.concatenate([np.repeat(np.arange(n), own), sharers]).astype(np.int64)
    values = np.concatenate([ids[:n_own], hh_acc[hh[sharers]]])
    roles = np.concatenate([np.full(n_own, "owner", dtype=object), share_role])
    shared = np.concatenate([np.zeros(n_own, bool), np.ones(len(sharers), bool)])
    accounts = Grouped.build(owner, values, roles, shared, n)

    # Decision-maker: the shared account's holder, else the eldest adult.
    order = np.lexsort((pos, -age, ~people.adult, hh))
    eldest = order[people.hh_start]
    decision = np.where(hh_flag, holder, eldest).astype(np.int64)
    return accounts, decision


def build_identifiers(people: People, rng: np.random.Generator) -> Identifiers:
    email, email2 = _emails(people, rng)
    mobile, landline, split = _phones(people, rng)
    accounts, decision = _accounts(people, rng)
    return Identifiers(
        email=email,
        email2=email2,
        mobile=mobile,
        landline=landline,
        landline_split=split,
        devices=_devices(people, rng),
        accounts=accounts,
        decision_maker=decision,
        # Drawn last, so every identifier above is the same as before consent existed.
        consent=rng.random(people.n) < CONSENT_RATE,
    )

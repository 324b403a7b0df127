"""Ground-truth people: households, names, ages, addresses and movers.

Everything is vectorised over people and households; the identifiers people own
(emails, phones, devices, accounts) are added by `identifiers.py`.
"""

from dataclasses import dataclass
from datetime import date

import numpy as np

from app.synth.common import BoolArray, DayArray, IntArray, ObjArray
from app.synth.pools import CITIES, Pools

SINGLE, COUPLE, FAMILY, SINGLE_PARENT, SHARERS = range(5)

# Household sizes 1..6, skewed small.
SIZE_PROBS = np.array([0.30, 0.31, 0.17, 0.14, 0.06, 0.02])
MOVER_RATE = 0.08
POSTCODE_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"), dtype=object)


@dataclass
class People:
    """One row per person and per household; arrays are aligned by index."""

    start: np.datetime64  # reference day: ages are taken at this day
    household: IntArray  # household index per person
    pos: IntArray  # position within the household (0 = head)
    kind: IntArray  # household kind per household
    hh_start: IntArray  # first person index per household
    hh_size: IntArray
    adult: BoolArray
    age: IntArray
    dob: DayArray
    gender: ObjArray  # "M" | "F"
    first: ObjArray
    last: ObjArray
    address: IntArray  # current address index per person
    old_address: IntArray  # address before the move, -1 when the person did not move
    move_day: DayArray  # NaT when the person did not move
    addr_line: ObjArray  # street line per address
    addr_city: IntArray  # index into CITIES
    addr_postcode: ObjArray

    @property
    def n(self) -> int:
        return len(self.household)

    @property
    def moved(self) -> BoolArray:
        return self.old_address >= 0


def _household_sizes(n: int, rng: np.random.Generator) -> IntArray:
    sizes = rng.choice(np.arange(1, 7), size=max(n, 1), p=SIZE_PROBS).astype(np.int64)
    cum = np.cumsum(sizes)
    last = int(np.searchsorted(cum, n))
    sizes = sizes[: last + 1].copy()
    sizes[-1] -= int(cum[last]) - n  # cum[last - 1] < n, so the last size stays >= 1
    return sizes


def _household_kinds(sizes: IntArray, rng: np.random.Generator) -> IntArray:
    u = rng.random(len(sizes))
    kind = np.full(len(sizes), SINGLE, dtype=np.int64)
    two = sizes == 2
    kind[two] = np.where(u[two] < 0.73, COUPLE, np.where(u[two] < 0.88, SINGLE_PARENT, SHARERS))
    big = sizes >= 3
    kind[big] = np.where(u[big] < 0.80, FAMILY, np.where(u[big] < 0.90, SINGLE_PARENT, SHARERS))
    return kind


def _ages(
    kind: IntArray, hh: IntArray, pos: IntArray, offspring: BoolArray, rng: np.random.Generator
) -> IntArray:
    h = len(kind)
    head = np.empty(h)
    single, couple = kind == SINGLE, kind == COUPLE
    parents = (kind == FAMILY) | (kind == SINGLE_PARENT)
    sharers = kind == SHARERS
    head[single] = 18 + rng.beta(1.4, 1.9, single.sum()) * 72
    head[couple] = 20 + rng.beta(1.5, 1.6, couple.sum()) * 70
    head[parents] = np.clip(rng.normal(41, 7, parents.sum()), 24, 62)
    head[sharers] = 19 + rng.random(sharers.sum()) * 21
    head = head.astype(np.int64)

    age = head[hh].copy()
    k = kind[hh]
    partner = (pos == 1) & ((k == COUPLE) | (k == FAMILY))
    age[partner] = np.clip(age[partner] + np.rint(rng.normal(0, 3.5, partner.sum())), 20, 90)
    flat = (pos >= 1) & (k == SHARERS)
    age[flat] = 19 + (rng.random(flat.sum()) * 22).astype(np.int64)

    parent_age = head[hh][offspring]
    young_max = np.minimum(17, parent_age - 19)
    grown_max = np.minimum(25, parent_age - 20)
    u = rng.random(offspring.sum())
    grown = (rng.random(offspring.sum()) < 0.15) & (grown_max >= 18)
    kid = (u * (young_max + 1)).astype(np.int64)
    grown_age = 18 + (u * (grown_max - 17)).astype(np.int64)
    age[offspring] = np.where(grown, grown_age, kid)
    return np.clip(age, 0, 90).astype(np.int64)


def _postcodes(area_choices: list[str], rng: np.random.Generator) -> ObjArray:
    n = len(area_choices)
    district = rng.integers(1, 30, n)
    sector = rng.integers(0, 10, n)
    unit = rng.choice(POSTCODE_LETTERS, size=(n, 2))
    return np.array(
        [f"{area_choices[i]}{district[i]} {sector[i]}{unit[i, 0]}{unit[i, 1]}" for i in range(n)],
        dtype=object,
    )


def _addresses(
    n_addr: int, same_city_as: IntArray, pools: Pools, rng: np.random.Generator
) -> tuple[ObjArray, IntArray, ObjArray]:
    """Street line, city index and postcode for n_addr addresses.

    same_city_as[i] >= 0 pins address i to the city of an earlier address (local moves).
    """
    weights = np.array([c[3] for c in CITIES])
    city = rng.choice(len(CITIES), size=n_addr, p=weights / weights.sum()).astype(np.int64)
    pinned = same_city_as >= 0
    city[pinned] = city[same_city_as[pinned]]
    number = 1 + np.minimum(rng.geometric(0.02, n_addr), 300)
    street = pools.streets[rng.integers(0, len(pools.streets), n_addr)]
    flat = rng.random(n_addr) < 0.1
    flat_no = rng.integers(1, 30, n_addr)
    line = np.array(
        [
            (f"Flat {flat_no[i]}, " if flat[i] else "") + f"{number[i]} {street[i]}"
            for i in range(n_addr)
        ],
        dtype=object,
    )
    area_u = rng.random(n_addr)
    areas = [CITIES[c][1][int(u * len(CITIES[c][1]))] for c, u in zip(city, area_u, strict=True)]
    return line, city, _postcodes(areas, rng)


def build_people(n: int, start: date, pools: Pools, rng: np.random.Generator) -> People:
    sizes = _household_sizes(n, rng)
    h = len(sizes)
    kind = _household_kinds(sizes, rng)
    hh_start = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    hh = np.repeat(np.arange(h, dtype=np.int64), sizes)
    pos = np.arange(n, dtype=np.int64) - hh_start[hh]
    k = kind[hh]
    offspring = (((k == COUPLE) | (k == FAMILY)) & (pos >= 2)) | ((k == SINGLE_PARENT) & (pos >= 1))

    age = _ages(kind, hh, pos, offspring, rng)
    day0 = np.datetime64(start, "D")
    dob = day0 - (age * 365.25 + rng.random(n) * 364).astype("timedelta64[D]")

    head_female = rng.random(h) < 0.5
    female = rng.random(n) < 0.5
    partner = (pos == 1) & ((k == COUPLE) | (k == FAMILY))
    opposite = rng.random(n) < 0.92
    female[partner] = np.where(opposite, ~head_female[hh], female)[partner]
    female[pos == 0] = head_female
    gender = np.where(female, "F", "M").astype(object)
    first_idx = rng.integers(0, len(pools.male_first), n)
    first = np.where(female, pools.female_first[first_idx], pools.male_first[first_idx])

    # Surnames: shared by the household except flatmates and couples who kept their names.
    surname1 = pools.last[rng.integers(0, len(pools.last), h)]
    surname2 = pools.last[rng.integers(0, len(pools.last), h)]
    own = pools.last[rng.integers(0, len(pools.last), n)]
    kept = ((kind == COUPLE) | (kind == FAMILY)) & (rng.random(h) < 0.07)
    last = surname1[hh].copy()
    flatmate = k == SHARERS
    last[flatmate] = own[flatmate]
    second = kept[hh] & ((pos == 1) | (offspring & (rng.random(n) < 0.2)))
    last[second] = surname2[hh][second]

    # Movers: the whole household moved; the old address is often in the same city.
    moved_hh = rng.random(h) < MOVER_RATE
    movers = np.flatnonzero(moved_hh)
    same_city = np.full(h + len(movers), -1, dtype=np.int64)
    local = rng.random(len(movers)) < 0.6
    same_city[h + np.flatnonzero(local)] = movers[local]
    line, city, postcode = _addresses(h + len(movers), same_city, pools, rng)
    old_of_hh = np.full(h, -1, dtype=np.int64)
    old_of_hh[movers] = h + np.arange(len(movers))
    move_back = rng.integers(30, 900, h).astype("timedelta64[D]")
    move_hh = np.where(moved_hh, day0 - move_back, np.datetime64("NaT", "D"))

    return People(
        start=day0,
        household=hh,
        pos=pos,
        kind=kind,
        hh_start=hh_start,
        hh_size=sizes,
        adult=age >= 18,
        age=age,
        dob=dob,
        gender=gender,
        first=first,
        last=last,
        address=hh.copy(),
        old_address=old_of_hh[hh],
        move_day=move_hh[hh],
        addr_line=line,
        addr_city=city,
        addr_postcode=postcode,
    )

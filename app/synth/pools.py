"""Value pools for the synthetic generator: names, streets, cities, nicknames.

Faker is slow per call, so it is used once per run to fill pools of a few thousand
values; everything downstream samples indices into these pools with numpy.
"""

from dataclasses import dataclass

import numpy as np
from faker import Faker

from app.synth.common import ObjArray

# Formal first name -> nicknames a person may use in some systems.
NICKNAMES: dict[str, tuple[str, ...]] = {
    "Robert": ("Bob", "Rob", "Bobby"),
    "William": ("Bill", "Will", "Billy"),
    "Elizabeth": ("Liz", "Beth", "Lizzie"),
    "Margaret": ("Maggie", "Meg", "Peggy"),
    "James": ("Jim", "Jimmy", "Jamie"),
    "John": ("Jack", "Johnny"),
    "Richard": ("Rick", "Richie", "Dick"),
    "Thomas": ("Tom", "Tommy"),
    "Michael": ("Mike", "Mick"),
    "Christopher": ("Chris",),
    "Daniel": ("Dan", "Danny"),
    "Matthew": ("Matt",),
    "Anthony": ("Tony",),
    "Joseph": ("Joe",),
    "Edward": ("Ed", "Ted", "Eddie"),
    "Alexander": ("Alex", "Sandy"),
    "Benjamin": ("Ben",),
    "Samuel": ("Sam",),
    "Andrew": ("Andy", "Drew"),
    "David": ("Dave",),
    "Stephen": ("Steve",),
    "Steven": ("Steve",),
    "Peter": ("Pete",),
    "Philip": ("Phil",),
    "Joshua": ("Josh",),
    "Catherine": ("Kate", "Cathy"),
    "Katherine": ("Kate", "Katie", "Kathy"),
    "Jennifer": ("Jen", "Jenny"),
    "Rebecca": ("Becky", "Becca"),
    "Victoria": ("Vicky", "Tori"),
    "Jessica": ("Jess",),
    "Susan": ("Sue", "Suzy"),
    "Patricia": ("Pat", "Trish"),
    "Deborah": ("Debbie", "Deb"),
    "Alexandra": ("Alex", "Lexi"),
    "Charlotte": ("Charlie", "Lottie"),
    "Eleanor": ("Ellie", "Nell"),
    "Samantha": ("Sam",),
    "Christine": ("Chris", "Tina"),
    "Abigail": ("Abby",),
    "Jacqueline": ("Jackie",),
    "Josephine": ("Jo", "Josie"),
}

# (city, postcode areas, landline area code, weight). Area codes fix the number of
# local digits: a UK national significant number has ten digits.
CITIES: tuple[tuple[str, tuple[str, ...], str, float], ...] = (
    ("London", ("SW", "SE", "N", "E", "W", "NW", "EC", "WC"), "20", 16.0),
    ("Birmingham", ("B",), "121", 5.0),
    ("Manchester", ("M",), "161", 5.0),
    ("Leeds", ("LS",), "113", 4.0),
    ("Glasgow", ("G",), "141", 4.0),
    ("Liverpool", ("L",), "151", 3.0),
    ("Bristol", ("BS",), "117", 3.0),
    ("Sheffield", ("S",), "114", 3.0),
    ("Edinburgh", ("EH",), "131", 3.0),
    ("Cardiff", ("CF",), "29", 2.5),
    ("Leicester", ("LE",), "116", 2.0),
    ("Nottingham", ("NG",), "115", 2.0),
    ("Newcastle upon Tyne", ("NE",), "191", 2.0),
    ("Brighton", ("BN",), "1273", 2.0),
    ("Southampton", ("SO",), "23", 2.0),
    ("Portsmouth", ("PO",), "23", 1.5),
    ("Oxford", ("OX",), "1865", 1.5),
    ("Cambridge", ("CB",), "1223", 1.5),
    ("Reading", ("RG",), "118", 1.5),
    ("Coventry", ("CV",), "24", 1.5),
    ("Belfast", ("BT",), "28", 2.0),
    ("Aberdeen", ("AB",), "1224", 1.0),
    ("York", ("YO",), "1904", 1.0),
    ("Norwich", ("NR",), "1603", 1.0),
    ("Plymouth", ("PL",), "1752", 1.0),
    ("Exeter", ("EX",), "1392", 1.0),
    ("Bath", ("BA",), "1225", 0.8),
    ("Derby", ("DE",), "1332", 1.0),
    ("Stoke-on-Trent", ("ST",), "1782", 1.0),
    ("Swansea", ("SA",), "1792", 1.0),
    ("Milton Keynes", ("MK",), "1908", 1.0),
    ("Kingston upon Hull", ("HU",), "1482", 1.0),
    ("Bradford", ("BD",), "1274", 1.0),
    ("Wolverhampton", ("WV",), "1902", 1.0),
    ("Dundee", ("DD",), "1382", 0.8),
)

# Spellings a clerk or a web form produces for the same city.
CITY_ALIASES: dict[str, str] = {
    "Newcastle upon Tyne": "Newcastle",
    "Stoke-on-Trent": "Stoke on Trent",
    "Kingston upon Hull": "Hull",
    "Brighton": "Brighton and Hove",
    "Milton Keynes": "Milton-Keynes",
}

STREET_SUFFIXES: tuple[tuple[str, str, float], ...] = (
    # (suffix, abbreviation, weight)
    ("Road", "Rd", 30.0),
    ("Street", "St", 20.0),
    ("Lane", "Ln", 10.0),
    ("Avenue", "Ave", 8.0),
    ("Close", "Cl", 7.0),
    ("Drive", "Dr", 6.0),
    ("Way", "Way", 4.0),
    ("Gardens", "Gdns", 4.0),
    ("Crescent", "Cres", 4.0),
    ("Place", "Pl", 3.0),
    ("Grove", "Gr", 3.0),
    ("Terrace", "Terr", 3.0),
    ("Court", "Ct", 2.0),
    ("Hill", "Hill", 2.0),
    ("Park", "Pk", 1.5),
)
STREET_ABBREVIATIONS: dict[str, str] = {s: a for s, a, _ in STREET_SUFFIXES if s != a}

COMMON_STREETS: tuple[str, ...] = (
    "High",
    "Church",
    "Station",
    "Victoria",
    "Park",
    "Mill",
    "Manor",
    "Queen's",
    "King's",
    "London",
    "School",
    "New",
    "North",
    "South",
    "West",
    "Green",
    "Grange",
    "Orchard",
    "Chapel",
    "Springfield",
    "Windsor",
    "Albert",
    "Meadow",
    "Oak",
    "Elm",
    "Cedar",
    "Beech",
)

EMAIL_DOMAINS: tuple[tuple[str, float], ...] = (
    ("gmail.com", 30.0),
    ("hotmail.co.uk", 14.0),
    ("outlook.com", 11.0),
    ("yahoo.co.uk", 9.0),
    ("icloud.com", 8.0),
    ("btinternet.com", 6.0),
    ("live.co.uk", 5.0),
    ("virginmedia.com", 5.0),
    ("sky.com", 4.0),
    ("googlemail.com", 3.0),
    ("aol.com", 2.0),
    ("protonmail.com", 1.5),
)


@dataclass(frozen=True)
class Pools:
    """Sampled values; repeated entries keep Faker's frequency weighting."""

    male_first: ObjArray
    female_first: ObjArray
    last: ObjArray
    streets: ObjArray


def build_pools(seed: int, size: int = 3000) -> Pools:
    """Fill the pools once per run; same seed, same pools."""
    gb = Faker("en_GB")
    gb.seed_instance(seed)
    us = Faker("en_US")
    us.seed_instance(seed + 1)
    male = [gb.first_name_male() for _ in range(size)]
    female = [gb.first_name_female() for _ in range(size)]
    # A quarter US surnames widens the pool beyond en_GB's 500 names.
    last = [gb.last_name() for _ in range(size * 3 // 4)]
    last += [us.last_name() for _ in range(size - len(last))]
    rng = np.random.default_rng([seed, 991])
    suffixes = np.array([s for s, _, _ in STREET_SUFFIXES], dtype=object)
    weights = np.array([w for _, _, w in STREET_SUFFIXES])
    suffix = rng.choice(suffixes, size=size, p=weights / weights.sum())
    kind = rng.random(size)
    streets = []
    for i in range(size):
        if kind[i] < 0.25:
            base = COMMON_STREETS[int(kind[i] * 4 * len(COMMON_STREETS))]
        elif kind[i] < 0.4:
            base = gb.first_name()
        else:
            base = gb.last_name()
        streets.append(f"{base} {suffix[i]}")
    return Pools(
        male_first=np.array(male, dtype=object),
        female_first=np.array(female, dtype=object),
        last=np.array(last, dtype=object),
        streets=np.array(streets, dtype=object),
    )

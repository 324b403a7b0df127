"""A typo-tolerant identifier blocks by its halves: records whose national IDs are one typo
apart are compared, and linked, when nothing else they share is a usable key."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from app.ingestion.batch import load_directory
from app.resolution.batch import resolve
from app.resolution.learning import learn
from app.resolution.realtime import upsert_record
from app.settings import Settings
from app.store import GraphStore

FIRST_NAMES = [
    "Maria",
    "Karen",
    "Donna",
    "Sandra",
    "Brenda",
    "Pamela",
    "Teresa",
    "Gloria",
    "Sharon",
    "Denise",
    "Tamara",
    "Wendy",
    "Helen",
    "Rachel",
    "Janet",
    "Monica",
    "Lorena",
    "Bianca",
    "Harriet",
    "Dolores",
    "Vanessa",
    "Marcus",
    "Dennis",
    "Gordon",
    "Vernon",
    "Howard",
    "Morgan",
    "Reuben",
    "Barney",
    "Walter",
    "Wesley",
    "Darren",
    "Kelvin",
    "Lionel",
    "Ramon",
    "Harvey",
    "Bernard",
    "Desmond",
    "Leland",
    "Carlton",
    "Dorian",
    "Forest",
    "Gaston",
    "Hector",
    "Ingram",
    "Jasper",
    "Kendall",
    "Lamont",
    "Milton",
    "Norris",
    "Osborn",
    "Porter",
    "Quentin",
    "Rodney",
    "Sheldon",
    "Tobias",
    "Ulrich",
    "Virgil",
    "Warren",
    "Xavier",
    "Yorick",
    "Zachary",
    "Alvin",
    "Burton",
    "Clifton",
    "Delbert",
    "Elmer",
    "Floyd",
    "Gilbert",
    "Homer",
    "Irving",
    "Jerome",
    "Kermit",
    "Lowell",
    "Merle",
    "Newton",
    "Orville",
    "Percy",
    "Rufus",
    "Sylvester",
    "Thaddeus",
    "Upton",
    "Vance",
    "Wilbur",
    "Ansel",
    "Basil",
    "Cedric",
    "Dwight",
    "Edgar",
    "Fabian",
]
SURNAMES = ("Garcia", "Nguyen", "Okafor")  # 30 people each: a surname alone blocks too many


def _people_with_typos(folder: Path) -> dict[str, str]:
    """90 people, each in social security (national ID, name, birth date) and on a W-2
    (national ID, name, address). On every second person's W-2 the ID has one digit wrong
    and the first name its first letter ("Maria" as "Naria"): then the two records share
    only the surname, which 60 records hold, and the halves of the ID. Returns each record's
    person."""
    rng = np.random.default_rng(7)
    folder.mkdir()
    ssa, w2, truth = [], [], {}
    for i, first in enumerate(FIRST_NAMES):
        ssn = "".join(map(str, rng.integers(1, 10, 9)))
        last = SURNAMES[i % 3]
        typo = i % 2 == 1
        at = int(rng.integers(0, 9))
        w2_ssn = ssn[:at] + str(int(ssn[at]) % 9 + 1) + ssn[at + 1 :] if typo else ssn
        w2_first = ("N" if first[0] != "N" else "M") + first[1:] if typo else first
        born = f"19{int(rng.integers(40, 99))}0{int(rng.integers(1, 10))}1{i % 10}"
        ssa.append([f"S{i}", ssn, first, last, born])
        w2.append([f"W{i}", w2_ssn, w2_first, last, f"{100 + i} Elm St", "Anytown", "00000"])
        truth[f"ssa:S{i}"] = truth[f"w2:W{i}"] = f"person-{i}"
    pd.DataFrame(
        ssa, columns=["record_id", "ssn", "first_name", "last_name", "date_of_birth"]
    ).to_csv(folder / "ssa_customers.csv", index=False)
    pd.DataFrame(
        w2,
        columns=["record_id", "ssn", "first_name", "last_name", "street", "city", "zipcode"],
    ).to_csv(folder / "w2_customers.csv", index=False)
    common = "identifiers:\n  nationalId: typo\ndefaults:\n  country: US\n"
    (folder / "ssa.customers.yaml").write_text(
        "source: ssa\nkind: customers\ncolumns:\n  record_id: sourceKey\n  ssn: nationalId\n"
        "  first_name: firstName\n  last_name: lastName\n  date_of_birth: dateOfBirth\n"
        'formats:\n  dateOfBirth: "%Y%m%d"\n' + common
    )
    (folder / "w2.customers.yaml").write_text(
        "source: w2\nkind: customers\ncolumns:\n  record_id: sourceKey\n  ssn: nationalId\n"
        "  first_name: firstName\n  last_name: lastName\n  street: street\n  city: city\n"
        "  zipcode: postcode\n" + common
    )
    return truth


def test_records_one_typo_apart_in_id_and_first_name_are_one_person(
    store: GraphStore, tmp_path: Path
) -> None:
    """Without labels, every person's two records are one profile and no two people share
    one: the 45 pairs with typos are found by a rule of an ID's half and the surname (before
    the halves no rule held them: the surname's blocks are over the cap of 50)."""
    settings = Settings(data_dir=tmp_path / "data", resolve_workers=1)
    truth = _people_with_typos(tmp_path / "people")
    load_directory(store, tmp_path / "people", settings, show_progress=False)
    model = learn(store, settings).model
    resolve(store, settings, model)
    rows = store.read("profile_memberships")
    profile = {r["customerId"]: r["profileId"] for r in rows}
    people: dict[str, set[str]] = {}
    for record, person in truth.items():
        people.setdefault(person, set()).add(profile[record])
    assert all(len(profiles) == 1 for profiles in people.values()), people
    assert len({p for profiles in people.values() for p in profiles}) == 90

    # In real time too: a new W-2 for Maria Garcia (person 0) with her SSN's last digit and
    # her first name mistyped, and no address, finds her by the stored keys of a half's rule.
    ssn = pd.read_csv(tmp_path / "people" / "ssa_customers.csv", dtype=str).loc[0, "ssn"]
    record = {
        "sourceKey": "W-NEW",
        "nationalId": ssn[:-1] + str(int(ssn[-1]) % 9 + 1),
        "firstName": "Naria",
        "lastName": "Garcia",
    }
    placed = upsert_record(store, settings, model, "w2", record, {"nationalId": "typo"})
    assert placed.profile_id == profile["ssa:S0"], placed

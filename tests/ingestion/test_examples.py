"""The two example mappings of docs/ingestion.md, read from the page, on small samples shaped
like FEBRL and pseudopeople's census: loaded as `idgraph load-dir` and `idgraph ingest` do."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from app.ingestion.batch import load_directory
from app.settings import Settings
from app.store import GraphStore, open_store

DOCS = Path(__file__).resolve().parents[2] / "docs" / "ingestion.md"

FEBRL = """rec_id,given_name,surname,street_number,address_1,address_2,suburb,postcode,state,date_of_birth,soc_sec_id
rec-1070-org,michaela,neumann,8,stanley street,miami,winston hills,4223,nsw,19151111,5304218
rec-1070-dup-0,michaela,neumann,8,stanley street,miami,winston hils,4223,nsw,19151111,530 4218
rec-4405-org,charles,green,38,salkauskas crescent,kela,dapto,4566,nsw,19281501,4365168
rec-2301-org,,tyler,,kilkenny place,,bega,2550,vic,,
"""  # noqa: E501

CENSUS = """simulant_id,household_id,first_name,middle_initial,last_name,age,date_of_birth,street_number,street_name,unit_number,city,state,zipcode,relationship_to_reference_person,sex,race_ethnicity,year
0_923,0_8033,Diana,L,Mcclure,35,08/15/1987,1132,sw ashwood st,apt 2,Anytown,WA,00501,Reference person,Female,White,2020
0_924,0_8033,james,,McClure,37,19850102,1132,sw ashwood st,apt 2,Anytown,WA,00501,Opposite-sex spouse,Male,White,2020
0_925,0_8033,Ruth,A,Mcclure,5,13/45/2017,1132,sw ashwood st,,Anytown,WA,00501,Biological child,Female,White,2020
"""  # noqa: E501


def doc_mapping(name: str) -> str:
    """The YAML block of docs/ingestion.md that starts with `# <name>`."""
    blocks = re.findall(r"```yaml\n(.*?)```", DOCS.read_text(), flags=re.S)
    (block,) = [b for b in blocks if b.startswith(f"# {name}\n")]
    return block


def customers(store: GraphStore, source: str, *props: str) -> list[dict]:
    fields = ", ".join(f"c.{p} AS {p}" for p in props)
    rows, _ = store.run_text(
        f"MATCH (c:Customer {{source: $source}}) RETURN c.sourceKey AS key, {fields} ORDER BY key",
        {"source": source},
        write=False,
    )
    return rows


def test_febrl_loads_through_load_dir_with_the_documented_mapping(
    store: GraphStore, tmp_path: Path
) -> None:
    folder = tmp_path / "febrl"
    folder.mkdir()
    (folder / "febrl_customers.csv").write_text(FEBRL)
    (folder / "febrl.customers.yaml").write_text(doc_mapping("febrl.customers.yaml"))
    settings = Settings(data_dir=tmp_path / "data")
    (summary,) = load_directory(store, folder, settings, show_progress=False)
    assert (summary.rows_loaded, summary.rows_quarantined, summary.fields_blanked) == (4, 0, 1)
    assert customers(
        store,
        "febrl",
        "firstName",
        "lastName",
        "street",
        "city",
        "postcode",
        "country",
        "addressId",
        "dateOfBirth",
        "id_nationalId",
        "attr_building",
        "attr_state",
    ) == [
        {
            "key": "rec-1070-dup-0",
            "firstName": "Michaela",
            "lastName": "Neumann",
            "street": "8 stanley street",
            "city": "Winston Hils",
            "postcode": "4223",
            "country": "AU",
            "addressId": "AU|4223|8 stanley street",
            "dateOfBirth": "1915-11-11",
            "id_nationalId": "5304218",
            "attr_building": "miami",
            "attr_state": "nsw",
        },
        {
            "key": "rec-1070-org",
            "firstName": "Michaela",
            "lastName": "Neumann",
            "street": "8 stanley street",
            "city": "Winston Hills",
            "postcode": "4223",
            "country": "AU",
            "addressId": "AU|4223|8 stanley street",
            "dateOfBirth": "1915-11-11",
            "id_nationalId": "5304218",
            "attr_building": "miami",
            "attr_state": "nsw",
        },
        {
            "key": "rec-2301-org",
            "firstName": None,
            "lastName": "Tyler",
            "street": "kilkenny place",
            "city": "Bega",
            "postcode": "2550",
            "country": "AU",
            "addressId": "AU|2550|kilkenny place",
            "dateOfBirth": None,
            "id_nationalId": None,
            "attr_building": None,
            "attr_state": "vic",
        },
        {
            "key": "rec-4405-org",
            "firstName": "Charles",
            "lastName": "Green",
            "street": "38 salkauskas crescent",
            "city": "Dapto",
            "postcode": "4566",
            "country": "AU",
            "addressId": "AU|4566|38 salkauskas crescent",
            "dateOfBirth": None,
            "id_nationalId": "4365168",
            "attr_building": "kela",
            "attr_state": "nsw",
        },
    ]
    shared, _ = store.run_text(
        "MATCH (i:Identifier)<-[:HAS_IDENTIFIER]-(c:Customer) "
        "RETURN i.identifierId AS id, count(c) AS records ORDER BY id",
        write=False,
    )
    assert shared == [
        {"id": "nationalId:4365168", "records": 1},
        {"id": "nationalId:5304218", "records": 2},
    ]
    (line,) = map(json.loads, Path(summary.quarantine_file or "").read_text().splitlines())
    assert line == {
        "file": "febrl_customers.csv",
        "row": 3,
        "column": "date_of_birth",
        "field": "dateOfBirth",
        "value": "19281501",
        "reason": "invalid date",
        "action": "blanked",
    }


def test_census_loads_through_idgraph_ingest_with_the_documented_mapping(tmp_path: Path) -> None:
    cli_data = tmp_path / "data"
    census = tmp_path / "census.csv"
    census.write_text(CENSUS)
    mapping = tmp_path / "census.yaml"
    mapping.write_text(doc_mapping("census.customers.yaml"))
    env = {**os.environ, "IDGRAPH_DATA_DIR": str(cli_data), "COLUMNS": "200"}
    command = ["ingest", str(census), "--source", "census", "--mapping", str(mapping)]
    run = subprocess.run(
        [sys.executable, "-c", "from app.cli import main; main()", *command, "--no-progress"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    header = next(line for line in run.stdout.splitlines() if "file" in line)
    row = next(line for line in run.stdout.splitlines() if "census.csv" in line)
    cells = [c.strip() for c in re.split(r"[│┃]", row)[1:-1]]
    names = [c.strip() for c in re.split(r"[│┃]", header)[1:-1]]
    assert dict(zip(names, cells, strict=True))["fields blanked"] == "1"
    assert dict(zip(names, cells, strict=True))["loaded"] == "3"
    with open_store(Settings(data_dir=cli_data)) as store:
        stored = customers(
            store,
            "census",
            "firstName",
            "middleName",
            "lastName",
            "dateOfBirth",
            "gender",
            "street",
            "city",
            "postcode",
            "country",
            "attr_state",
            "attr_relationship",
        )
    assert stored == [
        {
            "key": "0_923",
            "firstName": "Diana",
            "middleName": "L",
            "lastName": "Mcclure",
            "dateOfBirth": "1987-08-15",
            "gender": "f",
            "street": "1132 sw ashwood st apt 2",
            "city": "Anytown",
            "postcode": "00501",
            "country": "US",
            "attr_state": "WA",
            "attr_relationship": "Reference person",
        },
        {
            "key": "0_924",
            "firstName": "James",
            "middleName": None,
            "lastName": "Mcclure",
            "dateOfBirth": "1985-01-02",
            "gender": "m",
            "street": "1132 sw ashwood st apt 2",
            "city": "Anytown",
            "postcode": "00501",
            "country": "US",
            "attr_state": "WA",
            "attr_relationship": "Opposite-sex spouse",
        },
        {
            "key": "0_925",
            "firstName": "Ruth",
            "middleName": "A",
            "lastName": "Mcclure",
            "dateOfBirth": None,
            "gender": "f",
            "street": "1132 sw ashwood st",
            "city": "Anytown",
            "postcode": "00501",
            "country": "US",
            "attr_state": "WA",
            "attr_relationship": "Biological child",
        },
    ]

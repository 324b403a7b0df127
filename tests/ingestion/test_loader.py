"""Loading files: what lands in the graph, what is quarantined and why, and reloads."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from app.errors import ConfigError, InputError
from app.ingestion.loader import ingest_file
from app.ingestion.mapping import load_mapping
from app.settings import Settings
from app.store import GraphStore
from tests.ingestion.helpers import (
    CUSTOMER_COLUMNS,
    INTERACTION_COLUMNS,
    customer_rows,
    snapshot,
    write_mapping,
)

MESSY_CSV = """id,first,last,dob,email,phone,street,city,postcode,device,account,role
1,John,Smith,1980-02-03,John.Smith@Example.com,07700 900123,12 High St,London,sw1a1aa,D1,A1,owner
2,Jane,Smith,1982-05-06,jane@example.com,+44 7700 900124,12 High Street,London,SW1A 1AA,D1,A1,member
3,Bad,Email,1990-01-01,john@,,,,,,,
4,Bad,Date,31/31/1990,,,,,,,,
5,Rag,ged
,No,Key,,,,,,,,,
1,Dup,Key,,,,,,,,,
6,Long,Name,,,0770,,,,,,
"""


@pytest.fixture
def settings(store: GraphStore, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", batch_size=3, chunk_rows=4)


def _counts(store: GraphStore) -> dict[str, int]:
    out = {r["label"]: r["n"] for r in store.read("graph_counts")}
    out.update({r["type"]: r["n"] for r in store.read("relationship_counts")})
    return out


def test_messy_file_loads_every_record_with_a_key_and_blanks_bad_values(
    store: GraphStore, settings: Settings, tmp_path: Path
) -> None:
    f = tmp_path / "crm.csv"
    f.write_text(MESSY_CSV)
    m = load_mapping(write_mapping(tmp_path / "m.yaml", "customers", CUSTOMER_COLUMNS))
    summary = ingest_file(store, f, "crm", settings, mapping=m, show_progress=False)

    assert (summary.rows_read, summary.rows_loaded) == (8, 5)
    assert (summary.rows_quarantined, summary.fields_blanked) == (3, 3)
    lines = [json.loads(x) for x in Path(summary.quarantine_file or "").read_text().splitlines()]
    blanked = [
        {k: v for k, v in x.items() if k != "file"} for x in lines if x["action"] == "blanked"
    ]
    assert blanked == [
        {
            "row": 3,
            "column": "email",
            "field": "email",
            "value": "john@",
            "reason": "invalid email",
            "action": "blanked",
        },
        {
            "row": 4,
            "column": "dob",
            "field": "dateOfBirth",
            "value": "31/31/1990",
            "reason": "invalid date",
            "action": "blanked",
        },
        {
            "row": 8,
            "column": "phone",
            "field": "phone",
            "value": "0770",
            "reason": "invalid phone for region GB",
            "action": "blanked",
        },
    ]
    quarantined = {x["row"]: x["reason"] for x in lines if x["action"] == "quarantined"}
    assert quarantined == {
        5: "ragged line: 3 fields where the header has 12",
        6: "empty key (column id)",
        7: "duplicate key (first used at row 1)",
    }
    assert {x["file"] for x in lines} == {"crm.csv"}
    counts = _counts(store)
    # Two people at one address ("St" and "Street" written differently), sharing a device
    # and an account; three more loaded without the value they got wrong.
    assert counts["Customer"] == 5
    assert counts["Address"] == 1 and counts["Device"] == 1 and counts["Account"] == 1
    assert counts["HOLDS"] == 2 and counts["LIVES_AT"] == 2 and counts["HAS_PHONE"] == 2
    john = store.run_text(
        "MATCH (c:Customer {customerId: 'crm:1'})-[h:HOLDS]->(a:Account) "
        "RETURN c.email AS email, c.phone AS phone, h.role AS role",
        write=False,
    )[0]
    assert john == [{"email": "john.smith@example.com", "phone": "+447700900123", "role": "owner"}]
    kept, _ = store.run_text(
        "MATCH (c:Customer) WHERE c.sourceKey IN ['3', '4', '6'] "
        "RETURN c.sourceKey AS k, c.lastName AS last, c.email AS email, "
        "c.dateOfBirth AS dob, c.phone AS phone ORDER BY k",
        write=False,
    )
    assert kept == [
        {"k": "3", "last": "Email", "email": None, "dob": "1990-01-01", "phone": None},
        {"k": "4", "last": "Date", "email": None, "dob": None, "phone": None},
        {"k": "6", "last": "Name", "email": None, "dob": None, "phone": None},
    ]


def test_loading_twice_leaves_the_graph_as_after_once(
    store: GraphStore, settings: Settings, tmp_path: Path
) -> None:
    f = tmp_path / "crm.csv"
    pd.DataFrame(customer_rows(40)).to_csv(f, index=False)
    m = load_mapping(write_mapping(tmp_path / "m.yaml", "customers", CUSTOMER_COLUMNS))
    ingest_file(store, f, "crm", settings, mapping=m, show_progress=False)
    first = snapshot(store)
    again = ingest_file(store, f, "crm", settings, mapping=m, show_progress=False)
    assert again.nodes_created == 0 and again.relationships_created == 0
    assert snapshot(store) == first


def test_changed_record_drops_identifiers_it_no_longer_has(
    store: GraphStore, settings: Settings, tmp_path: Path
) -> None:
    m = load_mapping(write_mapping(tmp_path / "m.yaml", "customers", CUSTOMER_COLUMNS))
    f = tmp_path / "crm.csv"
    rows = customer_rows(2)
    pd.DataFrame(rows).to_csv(f, index=False)
    ingest_file(store, f, "crm", settings, mapping=m, show_progress=False)
    rows[0]["email"] = "new.address@example.com"
    rows[0]["device"] = ""
    pd.DataFrame(rows).to_csv(f, index=False)
    ingest_file(store, f, "crm", settings, mapping=m, show_progress=False)
    found, _ = store.run_text(
        "MATCH (c:Customer {customerId: 'crm:C000000'}) "
        "OPTIONAL MATCH (c)-[:HAS_EMAIL]->(e) OPTIONAL MATCH (c)-[:USES_DEVICE]->(d) "
        "RETURN collect(DISTINCT e.email) AS emails, count(d) AS devices",
        write=False,
    )
    assert found == [{"emails": ["new.address@example.com"], "devices": 0}]


def test_missing_required_column_names_it_and_writes_nothing(
    store: GraphStore, settings: Settings, tmp_path: Path
) -> None:
    f = tmp_path / "crm.csv"
    pd.DataFrame(customer_rows(3)).drop(columns=["id"]).to_csv(f, index=False)
    mpath = write_mapping(tmp_path / "m.yaml", "customers", CUSTOMER_COLUMNS)
    with pytest.raises(InputError, match=r"missing required column\(s\) id .*m\.yaml"):
        ingest_file(store, f, "crm", settings, mapping=load_mapping(mpath), show_progress=False)
    assert _counts(store) == {}


def test_wrong_encoding_is_a_clear_error(
    store: GraphStore, settings: Settings, tmp_path: Path
) -> None:
    f = tmp_path / "crm.csv"
    f.write_bytes("id,first\n1,Jos\xe9\n".encode("latin-1"))
    m = load_mapping(
        write_mapping(tmp_path / "m.yaml", "customers", {"id": "sourceKey", "first": "firstName"})
    )
    with pytest.raises(InputError, match=r"not valid utf8"):
        ingest_file(store, f, "crm", settings, mapping=m, show_progress=False)
    latin = load_mapping(
        write_mapping(
            tmp_path / "l.yaml",
            "customers",
            {"id": "sourceKey", "first": "firstName"},
            encoding="latin-1",
        )
    )
    ingest_file(store, f, "crm", settings, mapping=latin, show_progress=False)
    names, _ = store.run_text("MATCH (c:Customer) RETURN c.firstName AS n", write=False)
    assert names == [{"n": "José"}]


def test_unknown_canonical_field_in_mapping_is_refused(tmp_path: Path) -> None:
    path = write_mapping(tmp_path / "m.yaml", "customers", {"id": "sourceKey", "x": "shoeSize"})
    with pytest.raises(ConfigError, match=r"unknown canonical field.*shoeSize"):
        load_mapping(path)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_each_format_loads_the_same_graph(
    store: GraphStore, settings: Settings, tmp_path: Path, fmt: str
) -> None:
    frame = pd.DataFrame(customer_rows(10))
    f = tmp_path / f"crm.{fmt}"
    if fmt == "csv":
        frame.to_csv(f, index=False)
    elif fmt == "jsonl":
        frame.to_json(f, orient="records", lines=True)
    else:
        frame.to_parquet(f)
    m = load_mapping(write_mapping(tmp_path / "m.yaml", "customers", CUSTOMER_COLUMNS))
    s = ingest_file(store, f, "crm", settings, mapping=m, show_progress=False)
    assert (s.rows_read, s.rows_loaded) == (10, 10)
    counts = _counts(store)
    assert counts["Customer"] == 10 and counts["HAS_EMAIL"] == 10


def test_broken_jsonl_line_is_quarantined(
    store: GraphStore, settings: Settings, tmp_path: Path
) -> None:
    f = tmp_path / "crm.jsonl"
    f.write_text('{"id": "1", "first": "A"}\n{"id": "2", "first": \n{"id": "3"}\n')
    m = load_mapping(
        write_mapping(tmp_path / "m.yaml", "customers", {"id": "sourceKey", "first": "firstName"})
    )
    s = ingest_file(store, f, "crm", settings, mapping=m, show_progress=False)
    assert (s.rows_loaded, s.rows_quarantined) == (2, 1)
    bad = json.loads(Path(s.quarantine_file or "").read_text())
    assert bad["row"] == 2 and bad["reason"].startswith("not a JSON object")


def test_interactions_before_customers_link_up(
    store: GraphStore, settings: Settings, tmp_path: Path
) -> None:
    events = tmp_path / "events.csv"
    pd.DataFrame(
        [
            {
                "event": "e1",
                "cust": "C000000",
                "type": "Purchase",
                "channel": "web",
                "at": "2025-03-01T10:00:00",
                "amount": "19.99",
                "device": "D0",
                "account": "",
            },
            {
                "event": "e2",
                "cust": "C000000",
                "type": "call",
                "channel": "phone",
                "at": "2025-03-02T10:00:00",
                "amount": "",
                "device": "",
                "account": "A0",
            },
            {
                "event": "e3",
                "cust": "C000001",
                "type": "pos",
                "channel": "store",
                "at": "yesterday",
                "amount": "5",
                "device": "",
                "account": "",
            },
        ]
    ).to_csv(events, index=False)
    mi = load_mapping(write_mapping(tmp_path / "i.yaml", "interactions", INTERACTION_COLUMNS))
    s = ingest_file(store, events, "crm", settings, mapping=mi, show_progress=False)
    assert (s.rows_loaded, s.rows_quarantined) == (2, 1)
    customers = tmp_path / "crm.csv"
    pd.DataFrame(customer_rows(1)).to_csv(customers, index=False)
    mc = load_mapping(write_mapping(tmp_path / "m.yaml", "customers", CUSTOMER_COLUMNS))
    ingest_file(store, customers, "crm", settings, mapping=mc, show_progress=False)
    rows, _ = store.run_text(
        "MATCH (c:Customer {customerId: 'crm:C000000'})-[:PERFORMED]->(i:Interaction) "
        "OPTIONAL MATCH (i)-[:VIA]->(d:Device) "
        "RETURN c.stub AS stub, c.firstName AS first, i.type AS type, i.value AS value, "
        "i.ts AS ts, d.deviceId AS device ORDER BY i.ts",
        write=False,
    )
    assert rows == [
        {
            "stub": None,
            "first": "First0",
            "type": "purchase",
            "value": 19.99,
            "ts": 1740823200000,
            "device": "D0",
        },
        {
            "stub": None,
            "first": "First0",
            "type": "call",
            "value": None,
            "ts": 1740909600000,
            "device": None,
        },
    ]


def _load(store: GraphStore, settings: Settings, tmp_path: Path, csv: str, columns: dict, **extra):
    f = tmp_path / "people.csv"
    f.write_text(csv)
    m = load_mapping(write_mapping(tmp_path / "m.yaml", "customers", columns, **extra))
    return ingest_file(store, f, "crm", settings, mapping=m, show_progress=False)


def _customers(store: GraphStore, *props: str) -> list[dict]:
    fields = ", ".join(f"c.{p} AS {p}" for p in props)
    rows, _ = store.run_text(
        f"MATCH (c:Customer) RETURN c.sourceKey AS key, {fields} ORDER BY key", write=False
    )
    return rows


def test_a_bad_date_blanks_the_field_and_keeps_the_record(
    store: GraphStore, settings: Settings, tmp_path: Path
) -> None:
    csv = "id,last,dob\n1,Green,19281501\n2,Moss,18991231\n3,Cole,29990101\n4,Ida,19800203\n"
    columns = {"id": "sourceKey", "last": "lastName", "dob": "dateOfBirth"}
    s = _load(store, settings, tmp_path, csv, columns, formats={"dateOfBirth": "%Y%m%d"})
    assert (s.rows_loaded, s.rows_quarantined, s.fields_blanked) == (4, 0, 3)
    assert _customers(store, "lastName", "dateOfBirth") == [
        {"key": "1", "lastName": "Green", "dateOfBirth": None},
        {"key": "2", "lastName": "Moss", "dateOfBirth": None},
        {"key": "3", "lastName": "Cole", "dateOfBirth": None},
        {"key": "4", "lastName": "Ida", "dateOfBirth": "1980-02-03"},
    ]
    lines = [json.loads(x) for x in Path(s.quarantine_file or "").read_text().splitlines()]
    assert lines == [
        {
            "file": "people.csv",
            "row": 1,
            "column": "dob",
            "field": "dateOfBirth",
            "value": "19281501",
            "reason": "invalid date",
            "action": "blanked",
        },
        {
            "file": "people.csv",
            "row": 2,
            "column": "dob",
            "field": "dateOfBirth",
            "value": "18991231",
            "reason": "date before 1900",
            "action": "blanked",
        },
        {
            "file": "people.csv",
            "row": 3,
            "column": "dob",
            "field": "dateOfBirth",
            "value": "29990101",
            "reason": "date in the future",
            "action": "blanked",
        },
    ]


def test_a_mapping_may_let_dates_of_birth_go_further_back(
    store: GraphStore, settings: Settings, tmp_path: Path
) -> None:
    """A register of historical persons: `earliest: {dateOfBirth: 1600}` keeps 1630, and
    still blanks what lies before its year."""
    csv = "id,last,dob\n1,Clifford,1630-08-01\n2,Moss,1599-12-31\n3,Cole,1600-01-01\n"
    columns = {"id": "sourceKey", "last": "lastName", "dob": "dateOfBirth"}
    s = _load(store, settings, tmp_path, csv, columns, earliest={"dateOfBirth": 1600})
    assert (s.rows_loaded, s.rows_quarantined, s.fields_blanked) == (3, 0, 1)
    assert _customers(store, "dateOfBirth") == [
        {"key": "1", "dateOfBirth": "1630-08-01"},
        {"key": "2", "dateOfBirth": None},
        {"key": "3", "dateOfBirth": "1600-01-01"},
    ]
    lines = [json.loads(x) for x in Path(s.quarantine_file or "").read_text().splitlines()]
    assert [(q["row"], q["value"], q["reason"]) for q in lines] == [
        (2, "1599-12-31", "date before 1600")
    ]


def test_the_service_may_let_every_source_go_further_back(
    store: GraphStore, settings: Settings, tmp_path: Path
) -> None:
    """IDGRAPH_EARLIEST_BIRTH_YEAR for every source; a mapping's `earliest:` still wins."""
    csv = "id,last,dob\n1,Clifford,1630-08-01\n2,Moss,1599-12-31\n"
    columns = {"id": "sourceKey", "last": "lastName", "dob": "dateOfBirth"}
    further = settings.model_copy(update={"earliest_birth_year": 1600})
    f = tmp_path / "people.csv"
    f.write_text(csv)
    m = load_mapping(write_mapping(tmp_path / "m.yaml", "customers", columns))
    s = ingest_file(store, f, "crm", further, mapping=m, show_progress=False)
    assert (s.rows_loaded, s.fields_blanked) == (2, 1)
    assert _customers(store, "dateOfBirth") == [
        {"key": "1", "dateOfBirth": "1630-08-01"},
        {"key": "2", "dateOfBirth": None},
    ]
    m = load_mapping(
        write_mapping(tmp_path / "m.yaml", "customers", columns, earliest={"dateOfBirth": 1500})
    )
    s = ingest_file(store, f, "crm", further, mapping=m, show_progress=False)
    assert _customers(store, "dateOfBirth")[1] == {"key": "2", "dateOfBirth": "1599-12-31"}


def test_a_gender_that_states_none_is_none_and_junk_is_blanked(
    store: GraphStore, settings: Settings, tmp_path: Path
) -> None:
    csv = "id,sex\n1,Unknown\n2,U\n3,t2227949966\n4,Male\n5,Non-binary\n"
    s = _load(store, settings, tmp_path, csv, {"id": "sourceKey", "sex": "gender"})
    assert (s.rows_loaded, s.fields_blanked) == (5, 1)
    assert [r["gender"] for r in _customers(store, "gender")] == [None, None, None, "m", "x"]
    lines = [json.loads(x) for x in Path(s.quarantine_file or "").read_text().splitlines()]
    assert [(q["row"], q["column"], q["value"], q["reason"]) for q in lines] == [
        (3, "sex", "t2227949966", "invalid gender")
    ]


def test_a_list_of_formats_parses_each_row_with_the_first_that_fits(
    store: GraphStore, settings: Settings, tmp_path: Path
) -> None:
    csv = "id,dob\n1,08/15/1987\n2,19870815\n3,15/08/1987\n"
    columns = {"id": "sourceKey", "dob": "dateOfBirth"}
    formats = {"dateOfBirth": ["%m/%d/%Y", "%Y%m%d"]}
    s = _load(store, settings, tmp_path, csv, columns, formats=formats)
    assert (s.rows_loaded, s.fields_blanked) == (3, 1)
    assert _customers(store, "dateOfBirth") == [
        {"key": "1", "dateOfBirth": "1987-08-15"},
        {"key": "2", "dateOfBirth": "1987-08-15"},
        {"key": "3", "dateOfBirth": None},
    ]


def test_two_columns_build_one_street_and_one_address(
    store: GraphStore, settings: Settings, tmp_path: Path
) -> None:
    csv = (
        "id,number,line1,line2,pc\n"
        "1,12,High St,,SW1A 1AA\n"
        "2,,12 High Street,,sw1a1aa\n"
        "3,4,,Flat 2,SW1A 1AA\n"
    )
    columns = {
        "id": "sourceKey",
        "number": "street",
        "line1": "street",
        "line2": "street",
        "pc": "postcode",
    }
    _load(store, settings, tmp_path, csv, columns)
    assert _customers(store, "street", "addressId") == [
        {"key": "1", "street": "12 High St", "addressId": "GB|SW1A1AA|12 high street"},
        {"key": "2", "street": "12 High Street", "addressId": "GB|SW1A1AA|12 high street"},
        {"key": "3", "street": "4 Flat 2", "addressId": "GB|SW1A1AA|4 flat 2"},
    ]
    assert _counts(store)["Address"] == 2


def test_phones_are_read_in_the_records_country(
    store: GraphStore, settings: Settings, tmp_path: Path
) -> None:
    csv = (
        "id,phone,country\n"
        "us,1 (415) 555-2671,US\n"
        "it1,06 6982 1234,Italy\n"
        "it2,+39 06 6982 1234,IT\n"
        "mob,07912 345678,\n"
        "land,020 7946 0000,UK\n"
        "bad,555 1234,US\n"
    )
    columns = {"id": "sourceKey", "phone": "phone", "country": "country"}
    s = _load(store, settings, tmp_path, csv, columns)
    assert _customers(store, "phone", "phoneType", "country") == [
        {"key": "bad", "phone": None, "phoneType": None, "country": "US"},
        {"key": "it1", "phone": "+390669821234", "phoneType": "landline", "country": "IT"},
        {"key": "it2", "phone": "+390669821234", "phoneType": "landline", "country": "IT"},
        {"key": "land", "phone": "+442079460000", "phoneType": "landline", "country": "GB"},
        {"key": "mob", "phone": "+447912345678", "phoneType": "mobile", "country": "GB"},
        {"key": "us", "phone": "+14155552671", "phoneType": "unknown", "country": "US"},
    ]
    phones, _ = store.run_text(
        "MATCH (p:Phone)<-[:HAS_PHONE]-(c) RETURN p.phone AS phone, count(c) AS n ORDER BY phone",
        write=False,
    )
    assert phones == [
        {"phone": "+14155552671", "n": 1},
        {"phone": "+390669821234", "n": 2},
        {"phone": "+442079460000", "n": 1},
        {"phone": "+447912345678", "n": 1},
    ]
    (line,) = [json.loads(x) for x in Path(s.quarantine_file or "").read_text().splitlines()]
    assert (line["row"], line["value"], line["reason"]) == (
        6,
        "555 1234",
        "invalid phone for region US",
    )


def test_middle_names_and_attributes_are_kept_on_the_record(
    store: GraphStore, settings: Settings, tmp_path: Path
) -> None:
    csv = "id,first,mi,last,full,state,seg\n1,diana,l,MCCLURE,,WA,gold\n2,,,,John Paul Smith,,\n"
    columns = {
        "id": "sourceKey",
        "first": "firstName",
        "mi": "middleName",
        "last": "lastName",
        "full": "fullName",
    }
    _load(store, settings, tmp_path, csv, columns, attributes={"state": "state", "seg": "segment"})
    assert _customers(
        store, "firstName", "middleName", "lastName", "attr_state", "attr_segment"
    ) == [
        {
            "key": "1",
            "firstName": "Diana",
            "middleName": "L",
            "lastName": "Mcclure",
            "attr_state": "WA",
            "attr_segment": "gold",
        },
        {
            "key": "2",
            "firstName": "John",
            "middleName": "Paul",
            "lastName": "Smith",
            "attr_state": None,
            "attr_segment": None,
        },
    ]


def test_account_attributes_land_on_the_account(
    store: GraphStore, settings: Settings, tmp_path: Path
) -> None:
    csv = "id,acct,plan_mb,product\n1,A1,5000,Family 5GB\n2,A1,,\n3,A2,2500.5,SIM only\n"
    columns = {"id": "sourceKey", "acct": "accountId"}
    attrs = {"plan_mb": "planMb", "product": "product"}
    _load(store, settings, tmp_path, csv, columns, accountAttributes=attrs)
    # planMb is what household Group DNA reads (cypher/household_dna_usage.cypher).
    rows, _ = store.run_text(
        "MATCH (a:Account) RETURN a.accountId AS id, a.planMb AS planMb, a.product AS product "
        "ORDER BY id",
        write=False,
    )
    assert rows == [
        {"id": "A1", "planMb": 5000, "product": "Family 5GB"},
        {"id": "A2", "planMb": 2500.5, "product": "SIM only"},
    ]
    # Customer 2's blank plan removed nothing: the account is shared.
    assert _counts(store)["HOLDS"] == 3

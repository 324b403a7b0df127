"""Identifiers a mapping declares: stored on the record (`id_<type>`), as shared Identifier
nodes, in the IdentifierType registry; a reload is the truth for them."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.errors import ConfigError
from app.ingestion.identifiers import compared_attributes, identifier_types
from app.ingestion.loader import ingest_file
from app.ingestion.mapping import load_mapping
from app.settings import Settings
from app.store import GraphStore
from tests.ingestion.helpers import write_mapping

COLUMNS = {"id": "sourceKey", "last": "lastName", "ssn": "nationalId", "card": "loyaltyNo"}
IDENTIFIERS = {"nationalId": "typo", "loyaltyNo": {"compare": "exact"}}


@pytest.fixture
def settings(store: GraphStore, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", batch_size=2, chunk_rows=2)


def _load(store: GraphStore, settings: Settings, tmp_path: Path, csv: str, **mapping) -> None:
    f = tmp_path / "crm.csv"
    f.write_text(csv)
    m = load_mapping(write_mapping(tmp_path / "m.yaml", "customers", COLUMNS, **mapping))
    ingest_file(store, f, "crm", settings, mapping=m, show_progress=False)


def _identifiers(store: GraphStore) -> list[dict]:
    rows, _ = store.run_text(
        "MATCH (c:Customer) OPTIONAL MATCH (c)-[:HAS_IDENTIFIER]->(i:Identifier) "
        "WITH c, i ORDER BY i.identifierId "
        "RETURN c.sourceKey AS key, c.id_nationalId AS national, c.id_loyaltyNo AS loyalty, "
        "collect(i.identifierId) AS linked ORDER BY key",
        write=False,
    )
    return rows


def test_identifier_columns_are_stored_linked_and_shared(
    store: GraphStore, settings: Settings, tmp_path: Path
) -> None:
    csv = "id,last,ssn,card\n1,Moss,123-45-6789,L 001\n2,Moss,123 45 6789,\n3,Cole,,l.002\n"
    _load(store, settings, tmp_path, csv, identifiers=IDENTIFIERS)
    assert _identifiers(store) == [
        {
            "key": "1",
            "national": "123456789",
            "loyalty": "L001",
            "linked": ["loyaltyNo:L001", "nationalId:123456789"],
        },
        {"key": "2", "national": "123456789", "loyalty": None, "linked": ["nationalId:123456789"]},
        {"key": "3", "national": None, "loyalty": "L002", "linked": ["loyaltyNo:L002"]},
    ]
    nodes, _ = store.run_text(
        "MATCH (i:Identifier) RETURN i.identifierId AS id, i.type AS type, i.value AS value "
        "ORDER BY id",
        write=False,
    )
    assert nodes == [
        {"id": "loyaltyNo:L001", "type": "loyaltyNo", "value": "L001"},
        {"id": "loyaltyNo:L002", "type": "loyaltyNo", "value": "L002"},
        {"id": "nationalId:123456789", "type": "nationalId", "value": "123456789"},
    ]
    assert identifier_types(store) == {"loyaltyNo": "exact", "nationalId": "typo"}


def test_a_reload_without_an_identifier_drops_its_edge_and_property(
    store: GraphStore, settings: Settings, tmp_path: Path
) -> None:
    _load(store, settings, tmp_path, "id,last,ssn,card\n1,Moss,111,A1\n", identifiers=IDENTIFIERS)
    _load(store, settings, tmp_path, "id,last,ssn,card\n1,Moss,,A1\n", identifiers=IDENTIFIERS)
    assert _identifiers(store) == [
        {"key": "1", "national": None, "loyalty": "A1", "linked": ["loyaltyNo:A1"]}
    ]
    # A mapping that no longer declares the type: the record is still the truth for it.
    _load(store, settings, tmp_path, "id,last,ssn,card\n1,Moss,222,A1\n", identifiers=IDENTIFIERS)
    f = tmp_path / "crm.csv"
    f.write_text("id,last\n1,Moss\n")
    plain = load_mapping(
        write_mapping(tmp_path / "p.yaml", "customers", {"id": "sourceKey", "last": "lastName"})
    )
    ingest_file(store, f, "crm", settings, mapping=plain, show_progress=False)
    assert _identifiers(store) == [{"key": "1", "national": None, "loyalty": None, "linked": []}]


def test_a_type_declared_with_another_compare_kind_is_refused(
    store: GraphStore, settings: Settings, tmp_path: Path
) -> None:
    _load(store, settings, tmp_path, "id,last,ssn,card\n1,Moss,111,\n", identifiers=IDENTIFIERS)
    with pytest.raises(ConfigError) as info:
        _load(
            store,
            settings,
            tmp_path,
            "id,last,ssn,card\n2,Cole,222,\n",
            identifiers={"nationalId": "exact", "loyaltyNo": "exact"},
        )
    assert str(info.value).startswith(
        "identifier type 'nationalId' is declared 'exact' in "
        f"{tmp_path / 'm.yaml'} but the graph already has it as 'typo'"
    )
    keys, _ = store.run_text("MATCH (c:Customer) RETURN c.sourceKey AS k", write=False)
    assert keys == [{"k": "1"}]  # nothing of the refused load was written
    assert identifier_types(store) == {"loyaltyNo": "exact", "nationalId": "typo"}


def test_a_compared_attribute_is_registered_and_keeps_its_kind(
    store: GraphStore, settings: Settings, tmp_path: Path
) -> None:
    """The registry resolution reads. A second mapping that compares the occupation and the
    national ID another way is refused, every clash named, before anything of it is written:
    neither its records nor the attribute it declares anew (birthPlace)."""
    _load(
        store,
        settings,
        tmp_path,
        "id,last,ssn,card,job\n1,Moss,111,,Painter\n",
        identifiers=IDENTIFIERS,
        attributes={"job": "occupation"},
        compareAttributes=["occupation"],
    )
    assert compared_attributes(store) == {"occupation": "exact"}
    props, _ = store.run_text("MATCH (c:Customer) RETURN c.attr_occupation AS job", write=False)
    assert props == [{"job": "Painter"}]  # stored as written, compared folded
    with pytest.raises(ConfigError) as info:
        _load(
            store,
            settings,
            tmp_path,
            "id,last,ssn,card,job,town\n2,Cole,222,,Poet,Leeds\n",
            identifiers={"nationalId": "exact", "loyaltyNo": "exact"},
            attributes={"job": "occupation", "town": "birthPlace"},
            compareAttributes={"occupation": "typo", "birthPlace": "exact"},
        )
    where = tmp_path / "m.yaml"
    assert str(info.value) == (
        f"compared attribute 'occupation' is declared 'typo' in {where} but the graph already "
        f"has it as 'exact'; identifier type 'nationalId' is declared 'exact' in {where} but "
        "the graph already has it as 'typo': declare it with the same compare kind, or give "
        "it another name; nothing was loaded"
    )
    keys, _ = store.run_text("MATCH (c:Customer) RETURN c.sourceKey AS k", write=False)
    assert keys == [{"k": "1"}]
    assert compared_attributes(store) == {"occupation": "exact"}
    assert identifier_types(store) == {"loyaltyNo": "exact", "nationalId": "typo"}

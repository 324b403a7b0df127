"""Reading mappings: what a mapping may say about a source, and clear refusals when it
cannot be used."""

from __future__ import annotations

from typing import Any

import pytest

from app.errors import ConfigError
from app.ingestion.mapping import BUILTIN_DIR, KINDS, builtin_mapping, parse_mapping


def mapping(**extra: Any) -> dict[str, Any]:
    return {"source": "crm", "kind": "customers", "columns": {"id": "sourceKey"}, **extra}


def refused(data: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        parse_mapping(data, "m.yaml")
    return str(info.value)


def test_every_built_in_mapping_still_reads() -> None:
    names = sorted(p.name for p in BUILTIN_DIR.glob("*.yaml"))
    assert len(names) == 8
    for name in names:
        source, kind, _ = name.split(".")
        assert kind in KINDS
        assert builtin_mapping(source, kind).source == source  # type: ignore[arg-type]


def test_identifiers_short_and_long_form() -> None:
    m = parse_mapping(
        mapping(
            columns={"id": "sourceKey", "ssn": "nationalId", "card": "loyaltyNo"},
            identifiers={"nationalId": "typo", "loyaltyNo": {"compare": "exact"}},
        ),
        "m.yaml",
    )
    assert m.identifiers == {"nationalId": "typo", "loyaltyNo": "exact"}
    assert m.columns["ssn"] == "nationalId"


def test_a_column_mapped_to_an_undeclared_identifier_is_refused_with_a_hint() -> None:
    message = refused(mapping(columns={"id": "sourceKey", "ssn": "nationalId"}))
    assert "unknown canonical field(s) in 'columns': nationalId" in message
    assert "declare other identifiers under 'identifiers:'" in message


def test_compared_attributes_as_a_list_or_with_their_compare_kind() -> None:
    """A list compares exactly; a map gives each attribute its kind."""
    columns = {"id": "sourceKey"}
    attributes = {"job": "occupation", "born_in": "birthPlace", "tier": "tier"}
    listed = parse_mapping(
        mapping(columns=columns, attributes=attributes, compareAttributes=["occupation"]),
        "m.yaml",
    )
    assert listed.compare_attributes == {"occupation": "exact"}
    given = parse_mapping(
        mapping(
            columns=columns,
            attributes=attributes,
            compareAttributes={"occupation": "exact", "birthPlace": "typo"},
        ),
        "m.yaml",
    )
    assert given.compare_attributes == {"occupation": "exact", "birthPlace": "typo"}
    assert parse_mapping(mapping(attributes=attributes), "m.yaml").compare_attributes == {}


@pytest.mark.parametrize(
    ("compare", "expected"),
    [
        (
            ["job"],
            "mapping m.yaml: compareAttributes: 'job' is not an attribute of this mapping; "
            "its attributes are: occupation",
        ),
        (
            {"occupation": "fuzzy"},
            "mapping m.yaml: compareAttributes.occupation: compare must be one of exact, typo, "
            "not 'fuzzy'",
        ),
        (
            "occupation",
            "mapping m.yaml: 'compareAttributes' must be a list of attribute names or a map of "
            "attribute name -> compare",
        ),
    ],
)
def test_a_compared_attribute_the_mapping_does_not_keep_is_refused(
    compare: Any, expected: str
) -> None:
    """The name is the attribute's (`job: occupation` is compared as occupation)."""
    data = mapping(attributes={"job": "occupation"}, compareAttributes=compare)
    assert refused(data) == expected


@pytest.mark.parametrize(
    ("identifiers", "expected"),
    [
        ({"nationalId": "fuzzy"}, "identifiers.nationalId: compare must be one of exact, typo"),
        ({"NationalId": "exact"}, "identifier type 'NationalId' must be a letter a-z"),
        ({"national_id": "exact"}, "identifier type 'national_id' must be a letter a-z"),
        ({"email": "exact"}, "identifier type 'email' is a canonical field"),
        ({"nationalId": {"compare": "exact", "x": 1}}, "identifiers.nationalId has unknown key"),
    ],
)
def test_bad_identifier_declarations_are_refused(identifiers: dict, expected: str) -> None:
    assert expected in refused(mapping(identifiers=identifiers))


def test_several_columns_may_feed_one_field_in_the_order_listed() -> None:
    m = parse_mapping(
        mapping(columns={"id": "sourceKey", "no": "street", "line1": "street", "line2": "street"}),
        "m.yaml",
    )
    assert m.sources_of("street") == ["no", "line1", "line2"]
    assert m.column_label("street") == "no+line1+line2"
    assert m.targets == ["sourceKey", "street"]


def test_formats_are_a_format_or_a_list_of_them() -> None:
    m = parse_mapping(
        mapping(formats={"dateOfBirth": ["%Y%m%d", "%m/%d/%Y"], "updatedAt": "%Y-%m-%d"}),
        "m.yaml",
    )
    assert m.formats == {"dateOfBirth": ("%Y%m%d", "%m/%d/%Y"), "updatedAt": ("%Y-%m-%d",)}
    assert "formats.dateOfBirth must be a strptime format or a list of them" in refused(
        mapping(formats={"dateOfBirth": []})
    )


def test_earliest_years_of_date_fields() -> None:
    m = parse_mapping(mapping(earliest={"dateOfBirth": 1600}), "m.yaml")
    assert m.earliest_year("dateOfBirth", 1900) == 1600
    assert parse_mapping(mapping(), "m.yaml").earliest_year("dateOfBirth", 1850) == 1850
    assert "earliest.updatedAt: not a date field; date fields are: dateOfBirth" in refused(
        mapping(earliest={"updatedAt": 1600})
    )
    for bad in ("1600", True, 0, 10000, 1600.5):
        assert f"earliest.dateOfBirth must be a year from 1 to 9999, not {bad!r}" in refused(
            mapping(earliest={"dateOfBirth": bad})
        )
    assert "'earliest' must be a map of date fields to years" in refused(mapping(earliest=[1600]))


def test_attributes_as_a_list_or_a_map() -> None:
    listed = parse_mapping(mapping(attributes=["state", "segment"]), "m.yaml")
    assert listed.attributes == {"state": "state", "segment": "segment"}
    named = parse_mapping(mapping(attributes={"address_2": "building"}), "m.yaml")
    assert named.attributes == {"address_2": "building"}
    message = refused(mapping(attributes=["2nd line"]))
    assert "'2nd line' (column 2nd line) is not a usable name" in message
    assert "map the column to one (column: name)" in message
    assert "several columns named x" in refused(mapping(attributes={"a": "x", "b": "x"}))


def test_account_attributes_need_an_account() -> None:
    message = refused(mapping(accountAttributes={"plan_mb": "planMb"}))
    assert "'accountAttributes' needs a column mapped to accountId" in message
    ok = parse_mapping(
        mapping(
            columns={"id": "sourceKey", "acct": "accountId"},
            accountAttributes={"plan_mb": "planMb", "product": "product"},
        ),
        "m.yaml",
    )
    assert ok.account_attributes == {"plan_mb": "planMb", "product": "product"}
    assert "cannot set accountId" in refused(
        mapping(columns={"id": "sourceKey", "a": "accountId"}, accountAttributes={"b": "accountId"})
    )


def test_identifiers_and_attributes_are_for_customer_mappings() -> None:
    events = {
        "source": "crm",
        "kind": "interactions",
        "columns": {"e": "interactionId", "c": "customerKey", "t": "type", "at": "timestamp"},
    }
    assert "describe customer records" in refused({**events, "attributes": ["x"]})
    assert "describe customer records" in refused({**events, "identifiers": {"n": "exact"}})


def test_a_folder_mapping_may_leave_its_kind_to_its_file_name() -> None:
    m = parse_mapping(
        {"columns": {"id": "sourceKey"}}, "febrl.customers.yaml", "febrl", "customers"
    )
    assert (m.source, m.kind) == ("febrl", "customers")
    with pytest.raises(ConfigError, match="says kind 'customers' where 'interactions'"):
        parse_mapping(mapping(), "crm.interactions.yaml", "crm", "interactions")

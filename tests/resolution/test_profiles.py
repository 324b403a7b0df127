import pandas as pd

from app.resolution.profiles import assign_ids, golden, new_profile_id


def test_unchanged_clusters_keep_their_ids() -> None:
    previous = {"a": "P1", "b": "P1", "c": "P2"}
    out = assign_ids([["a", "b"], ["c"]], previous)
    assert out.ids == ["P1", "P2"]
    assert not out.retired and not out.absorbed and not out.split_from


def test_merge_keeps_the_larger_id_and_records_the_absorbed_one() -> None:
    previous = {"a": "P1", "b": "P1", "c": "P2"}
    out = assign_ids([["a", "b", "c"]], previous)
    assert out.ids == ["P1"]
    assert out.absorbed == {"P1": ["P2"]}
    assert out.retired == {"P2": "P1"}  # the vanished ID has a path to its successor


def test_split_gives_a_new_id_with_its_origin() -> None:
    previous = {"a": "P1", "b": "P1", "c": "P1"}
    out = assign_ids([["a", "b"], ["c"]], previous)
    assert out.ids[0] == "P1"
    assert out.ids[1] == new_profile_id(["c"])
    assert out.split_from == {out.ids[1]: ["P1"]}


def test_new_records_found_new_deterministic_profiles() -> None:
    first = assign_ids([["x", "y"]], {})
    again = assign_ids([["y", "x"]], {})
    assert first.ids == again.ids and first.ids[0].startswith("PR-")


def test_golden_attributes_follow_survivorship_rules() -> None:
    records = pd.DataFrame(
        {
            "source": ["webshop", "crm", "callcenter"],
            "firstName": ["Bob", "Robert", None],
            "lastName": ["Smith", "Smith-Jones", "Smith"],
            "dateOfBirth": ["1980-01-02", "1980-02-01", None],
            "email": ["old@example.com", "new@example.com", None],
            "phone": [None, "+447700900123", "+447700900999"],
            "addressId": ["GB|A|1 old road", "GB|B|2 new road", None],
            "street": ["1 Old Road", "2 New Road", None],
            "city": ["Leeds", "York", None],
            "postcode": ["A", "B", None],
            "updatedAt": ["2024-01-01T00:00:00", "2025-01-01T00:00:00", "2025-06-01T00:00:00"],
        },
        index=["webshop:1", "crm:1", "callcenter:1"],
    )
    g = golden(records, pd.Series([0, 0, 0], index=records.index)).loc[0]
    assert g["firstName"] == "Robert"  # most complete
    assert g["lastName"] == "Smith"  # most recent (call centre, June 2025)
    assert g["dateOfBirth"] == "1980-02-01"  # most trusted source (CRM)
    assert g["email"] == "new@example.com" and g["phone"] == "+447700900999"
    assert (g["street"], g["city"]) == ("2 New Road", "York")  # address fields travel together

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from app.resolution.placement import FEW_CLUSTERS, golden_rows
from app.resolution.profiles import Churn, assign_ids, golden, new_profile_id
from app.survivorship import ADDRESS_FIELDS, golden1


def test_unchanged_clusters_keep_their_ids() -> None:
    previous = {"a": "P1", "b": "P1", "c": "P2"}
    out = assign_ids([["a", "b"], ["c"]], previous)
    assert out.ids == ["P1", "P2"]
    assert not out.retired and not out.absorbed and not out.split_from


def test_a_one_record_profile_that_gains_a_record_keeps_its_id() -> None:
    out = assign_ids([["a", "new"]], {"a": "P1"})
    assert out.ids == ["P1"]
    assert not out.retired and not out.absorbed and not out.split_from


def test_merge_keeps_the_larger_id_and_records_the_absorbed_one() -> None:
    previous = {"a": "P1", "b": "P1", "c": "P2"}
    out = assign_ids([["a", "b", "c"]], previous)
    assert out.ids == ["P1"]
    assert out.absorbed == {"P1": ["P2"]}
    assert out.retired == {"P2": "P1"}  # the vanished ID has a path to its successor


def test_a_merge_of_equal_profiles_keeps_the_older_id() -> None:
    previous = {"a": "P-new", "b": "P-old"}
    created = {"P-new": "2026-02-01T00:00:00Z", "P-old": "2025-01-01T00:00:00Z"}
    out = assign_ids([["a", "b"]], previous, created=created)
    assert out.ids == ["P-old"] and out.retired == {"P-new": "P-old"}


def test_split_gives_the_largest_part_the_id_and_the_rest_new_ids_with_their_origin() -> None:
    previous = {"a": "P1", "b": "P1", "c": "P1"}
    out = assign_ids([["a", "b"], ["c"]], previous)
    assert out.ids[0] == "P1"
    assert out.ids[1] == new_profile_id(["c"])
    assert out.split_from == {out.ids[1]: ["P1"]}


def test_an_id_follows_its_members_not_the_newcomers() -> None:
    # P1's three records split 2/1; P2 (two records) stays whole but gains P1's third:
    # P1 keeps its two, P2 keeps its own, nobody is retired.
    previous = {"a": "P1", "b": "P1", "c": "P1", "x": "P2", "y": "P2"}
    out = assign_ids([["a", "b"], ["c", "x", "y"]], previous)
    assert out.ids == ["P1", "P2"]
    assert not out.retired


def test_a_new_id_never_reuses_one_that_exists() -> None:
    first = new_profile_id(["c"])
    out = assign_ids([["c"]], {}, taken=lambda ids: {first} & set(ids))
    assert out.ids[0] != first and out.ids[0].startswith("PR-")


def test_new_records_found_new_deterministic_profiles() -> None:
    first = assign_ids([["x", "y"]], {})
    again = assign_ids([["y", "x"]], {})
    assert first.ids == again.ids and first.ids[0].startswith("PR-")


@st.composite
def partitions(draw: st.DrawFn) -> list[list[str]]:
    records = [f"r{i}" for i in range(draw(st.integers(1, 30)))]
    labels = draw(st.lists(st.integers(0, 8), min_size=len(records), max_size=len(records)))
    groups: dict[int, list[str]] = {}
    for r, lab in zip(records, labels, strict=True):
        groups.setdefault(lab, []).append(r)
    return list(groups.values())


@settings(max_examples=200, deadline=None)
@given(partitions(), partitions())
def test_ids_survive_a_rerun_of_the_same_clusters(before, after) -> None:
    """Whatever happened before, clustering the same data again changes no ID."""
    first = assign_ids(before, {})
    previous = {m: pid for pid, members in zip(first.ids, before, strict=True) for m in members}
    second = assign_ids(after, previous)
    current = {m: pid for pid, members in zip(second.ids, after, strict=True) for m in members}
    again = assign_ids(after, current)
    assert again.ids == second.ids
    assert not again.retired and not again.split_from and not again.absorbed
    assert again.churn(after, current) == Churn(kept=len(after))


@settings(max_examples=200, deadline=None)
@given(partitions(), st.integers(0, 5))
def test_a_profile_keeps_its_id_while_its_members_stay_together(before, newcomers) -> None:
    """New records joining existing clusters (no merge, no split) never change an ID."""
    first = assign_ids(before, {})
    previous = {m: pid for pid, members in zip(first.ids, before, strict=True) for m in members}
    grown = [list(c) + [f"new{k}-{i}" for i in range(newcomers)] for k, c in enumerate(before)]
    out = assign_ids(grown, previous)
    assert out.ids == first.ids and not out.retired


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
    trust = ["crm", "loyalty", "webshop", "callcenter"]
    g = golden(records, pd.Series([0, 0, 0], index=records.index), trust).loc[0]
    assert g["firstName"] == "Robert"  # most complete
    assert g["lastName"] == "Smith"  # most recent (call centre, June 2025)
    assert g["dateOfBirth"] == "1980-02-01"  # most trusted source (CRM)
    assert g["email"] == "new@example.com" and g["phone"] == "+447700900999"
    assert (g["street"], g["city"]) == ("2 New Road", "York")  # address fields travel together


@st.composite
def member_frames(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.Series]:
    """Records of a few clusters with values missing, repeated and tied in recency, trust and
    length, in any order."""
    n = draw(st.integers(1, 12))
    value = st.one_of(st.none(), st.sampled_from(["a", "bb", "cc", "ddd", "Ann", "Anne"]))
    rows = {
        "source": draw(
            st.lists(st.sampled_from(["crm", "webshop", "other"]), min_size=n, max_size=n)
        ),
        "updatedAt": draw(
            st.lists(
                st.one_of(st.none(), st.sampled_from(["2024-01-01", "2025-01-01"])),
                min_size=n,
                max_size=n,
            )
        ),
    }
    for name in ("firstName", "lastName", "dateOfBirth", "email", "phone", *ADDRESS_FIELDS):
        rows[name] = draw(st.lists(value, min_size=n, max_size=n))
    records = pd.DataFrame(rows, index=[f"r{i}" for i in range(n)])
    labels = pd.Series(
        draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), index=records.index
    )
    return records, labels


@settings(max_examples=60, deadline=None)
@given(member_frames())
def test_golden_records_by_column_equal_one_profile_at_a_time(frame) -> None:
    """Batch picks golden attributes for all profiles at once (pandas); real time and small
    placements one profile at a time (golden1): the same values for every input."""
    records, labels = frame
    trust = ["crm", "webshop"]
    by_column = golden(records, labels, trust)
    plain = records.astype(object).where(records.notna(), None)
    for k in sorted(labels.unique()):
        members = [
            {"customerId": cid, **row} for cid, row in plain[labels == k].to_dict("index").items()
        ]
        one = golden1(members, trust)
        row = by_column.loc[k]
        assert {c: (None if pd.isna(v) else v) for c, v in row.items()} == {
            c: one[c] for c in row.index
        }


@settings(max_examples=30, deadline=None)
@given(member_frames(), st.integers(FEW_CLUSTERS + 1, FEW_CLUSTERS + 20))
def test_golden_rows_for_many_clusters_equal_one_profile_at_a_time(frame, copies: int) -> None:
    """A batch's golden rows (the frame's columns, missing cells as None, every other value
    as text) equal those of golden1 over each cluster's plain rows, cluster by cluster."""
    records, labels = frame
    trust = ["crm", "webshop"]
    tiles = [records.rename(index=lambda i, t=t: f"{i}-{t}") for t in range(copies)]
    many = pd.concat(tiles)
    label = np.concatenate([labels.to_numpy() + 4 * t for t in range(copies)])
    keys = sorted(set(label.tolist()))
    assert len(keys) > FEW_CLUSTERS  # the column path
    plain = many.astype(object).where(many.notna(), None)
    rows = [{"customerId": cid, **row} for cid, row in plain.to_dict("index").items()]
    assert golden_rows(many, label, keys, trust) == golden_rows(rows, label, keys, trust)

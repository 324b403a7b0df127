import numpy as np
import pandas as pd

from app.resolution.blocking import RECORD_COLUMNS, candidate_pairs


def records(*rows: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame([{c: r.get(c) for c in RECORD_COLUMNS} for r in rows], dtype="str")


def pairs_of(df: pd.DataFrame, cap: int = 50) -> set[tuple[int, int]]:
    c = candidate_pairs(df, cap=cap)
    return set(zip(c.left.tolist(), c.right.tolist(), strict=True))


def test_messy_records_of_one_person_become_candidates() -> None:
    df = records(
        {"firstName": "John", "lastName": "Smith", "dateOfBirth": "1980-02-03"},
        {"firstName": "Smith", "lastName": "John", "dateOfBirth": "1980-02-03"},  # swapped
        {"firstName": "Jhon", "lastName": "Smyth", "postcode": "SW1A 1AA"},
        {"firstName": "J", "lastName": "Smith", "postcode": "SW1A 1AA"},  # typo, same postcode
        {"firstName": "Ann", "lastName": "Other", "email": "js@example.com"},
        {"firstName": "Jo", "lastName": "S", "email": "js@example.com"},  # shared e-mail only
        {"firstName": "Zed", "lastName": "Nobody", "dateOfBirth": "1999-09-09"},
    )
    found = pairs_of(df)
    assert {(0, 1), (2, 3), (4, 5)} <= found
    assert all(6 not in p for p in found)  # nothing in common with anyone
    assert all(a < b for a, b in found)


def test_blocks_over_the_cap_are_skipped_and_counted() -> None:
    df = records(
        *[{"firstName": f"P{i}", "lastName": "X", "phone": "+447700900123"} for i in range(6)]
    )
    c = candidate_pairs(df, cap=5)
    assert c.per_key["phone"] == 0 and c.skipped_blocks["phone"] == 1
    assert len(candidate_pairs(df, cap=6)) == 15  # all pairs of six


def test_pairs_are_unique_across_keys() -> None:
    same = {
        "firstName": "Ann", "lastName": "Lee", "dateOfBirth": "1970-01-01", "email": "a@b.co",
        "phone": "+447700900000", "postcode": "E1 6AN", "city": "London",
    }  # fmt: skip
    c = candidate_pairs(records(same, same))
    assert c.pairs.tolist() == [[0, 1]]
    assert sum(c.per_key.values()) > 1  # found by several keys, listed once
    assert isinstance(c.left, np.ndarray)


def test_every_blocking_key_has_a_store_index() -> None:
    from app.resolution.blocking import BLOCKING_KEYS, key_property
    from app.store.base import INDEXES

    indexed = {k.prop for k in INDEXES if k.label == "Customer"}
    assert {key_property(k) for k in BLOCKING_KEYS} <= indexed

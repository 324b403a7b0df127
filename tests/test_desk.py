"""The steward desk's pure rules (app/desk.py): fields side by side, explanations in words."""

from __future__ import annotations

from app.desk import DIFFERENT, MISSING, SAME, explain, side_by_side


def test_fields_agree_disagree_or_miss_a_side() -> None:
    a = {
        "firstName": "Grace",
        "lastName": "Hopper",
        "dateOfBirth": "1906-12-09",
        "emails": [{"email": "g@navy.mil"}],
        "phones": [{"phone": "+1555"}],
    }
    b = {
        "firstName": "grace ",
        "lastName": "Hoper",
        "emails": [{"email": "x@y.z"}, {"email": "g@navy.mil"}],
        "phones": [],
    }
    states = {r.label: r.state for r in side_by_side(a, b)}
    assert states["first name"] == SAME  # case and spaces do not count
    assert states["surname"] == DIFFERENT
    assert states["birth date"] == MISSING
    assert states["e-mails"] == SAME  # one address in common is enough
    assert states["phones"] == MISSING
    (emails,) = [r for r in side_by_side(a, b) if r.label == "e-mails"]
    assert emails.b == "g@navy.mil, x@y.z"


def test_declared_identifiers_and_attributes_follow_the_fields_by_name() -> None:
    a = {
        "firstName": "Ada",
        "declaredIdentifiers": [{"type": "nationalId", "value": "123456789"}],
        "attributes": [{"name": "occupation", "value": "Painter"}],
    }
    b = {
        "firstName": "Ada",
        "declaredIdentifiers": [],
        "attributes": [{"name": "occupation", "value": "poet"}, {"name": "segment", "value": "g"}],
    }
    rows = [(r.label, r.a, r.b, r.state) for r in side_by_side(a, b)]
    assert rows[len(rows) - 3 :] == [
        ("nationalId", "123456789", "", MISSING),
        ("occupation", "Painter", "poet", DIFFERENT),
        ("segment", "", "g", MISSING),
    ]
    assert [r[0] for r in rows[:-3]] == [
        "first name",
        "surname",
        "birth date",
        "gender",
        "e-mails",
        "phones",
        "addresses",
    ]


def test_explanations_read_as_words_with_bars_scaled_to_the_strongest() -> None:
    reasons = explain(
        [
            {"label": "surname", "level": "same", "weight": 2.1},
            {"label": "birth year", "level": "different", "weight": -4.2},
        ]
    )
    assert [(r.words, r.width) for r in reasons] == [
        ("same surname +2.1", 50),
        ("different birth year -4.2", 100),
    ]
    assert explain([]) == []

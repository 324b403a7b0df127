"""One record resolved in real time against a resolved population: the same placement batch
would give, the same block caps, IDs kept by the same rule."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest

from app import flows
from app.errors import InputError
from app.ingestion.batch import load_directory
from app.resolution.batch import resolve
from app.resolution.blocking import rule_property
from app.resolution.learning import learn
from app.resolution.model import MatchModel
from app.resolution.profiles import Churn
from app.resolution.realtime import upsert_record
from app.resolution.records import load_records
from app.settings import Settings
from app.store import GraphStore
from app.synth import SynthConfig, generate
from tests.resolution.conftest import resolve_linked


@pytest.fixture
def resolved(store: GraphStore, tmp_path: Path) -> tuple[Settings, MatchModel]:
    out = tmp_path / "synth"
    generate(SynthConfig(people=200, seed=21), out, "csv")
    settings = Settings(data_dir=tmp_path / "data", resolve_workers=1)
    load_directory(store, out, settings, show_progress=False, kinds=("customers",))
    model = learn(store, settings, truth_file=out / "truth_records.csv", pairs=200).model
    resolve(store, settings, model)
    return settings, model


def memberships(store: GraphStore) -> pd.Series:
    rows = store.read("profile_memberships")
    return pd.Series({r["customerId"]: r["profileId"] for r in rows}).sort_index()


def test_new_record_of_a_known_person_joins_their_profile(
    store: GraphStore, resolved: tuple[Settings, MatchModel]
) -> None:
    settings, model = resolved
    known = store.read_one("realtime_known_person")
    assert known is not None
    result = upsert_record(
        store,
        settings,
        model,
        "webshop",
        {
            "sourceKey": "RT-1",
            "fullName": f"{known['firstName']} {known['lastName']}",
            "email": known["email"],
            "dateOfBirth": known["dateOfBirth"],
        },
    )
    assert result.action == "joined"
    assert result.profile_id == known["profileId"]  # the profile keeps its ID
    assert known["customerId"] in [other for other, _ in result.matches]
    assert memberships(store)["webshop:RT-1"] == known["profileId"]


def test_stranger_founds_a_profile_and_bad_input_is_refused_or_left_out(
    store: GraphStore, resolved: tuple[Settings, MatchModel]
) -> None:
    settings, model = resolved
    record = {
        "sourceKey": "RT-2",
        "firstName": "Zebedee",
        "lastName": "Quillfeather",
        "dateOfBirth": "1911-11-11",
        "email": "zq@example.org",
    }
    result = upsert_record(store, settings, model, "crm", record)
    assert result.action == "founded" and result.matches == []
    again = upsert_record(store, settings, model, "crm", record)
    assert (again.action, again.profile_id) == ("kept", result.profile_id)
    blanked = upsert_record(
        store,
        settings,
        model,
        "crm",
        {"sourceKey": "RT-3", "lastName": "Quill", "email": "x@"},
    )
    assert [(b["field"], b["value"]) for b in blanked.blanked] == [("email", "x@")]
    with pytest.raises(InputError, match="unknown field"):
        upsert_record(store, settings, model, "crm", {"sourceKey": "RT-4", "shoe": "9"})
    with pytest.raises(InputError, match="empty key"):
        upsert_record(store, settings, model, "crm", {"firstName": "Ann"})


def test_a_register_that_goes_back_further_keeps_early_dates_of_birth_in_real_time(
    store: GraphStore, resolved: tuple[Settings, MatchModel]
) -> None:
    """By default a birth date before 1900 is blanked as a slip; a service whose records go
    further back says so once (IDGRAPH_EARLIEST_BIRTH_YEAR), for the API's records too."""
    settings, model = resolved
    record = {"sourceKey": "RT-H1", "firstName": "Thomas", "lastName": "Chudleigh"}
    early = {**record, "dateOfBirth": "1630-08-01"}
    kept_out = upsert_record(store, settings, model, "crm", early)
    assert [(b["field"], b["value"], b["reason"]) for b in kept_out.blanked] == [
        ("dateOfBirth", "1630-08-01", "date before 1900")
    ]
    further = settings.model_copy(update={"earliest_birth_year": 1600})
    kept = upsert_record(store, further, model, "crm", early)
    assert kept.blanked == []
    rows, _ = store.run_text(
        "MATCH (c:Customer {customerId: 'crm:RT-H1'}) RETURN c.dateOfBirth AS dob", write=False
    )
    assert rows == [{"dob": "1630-08-01"}]


def test_a_one_record_profile_that_gains_a_record_keeps_its_id(
    store: GraphStore, resolved: tuple[Settings, MatchModel]
) -> None:
    settings, model = resolved
    first = upsert_record(
        store,
        settings,
        model,
        "crm",
        {
            "sourceKey": "RT-5",
            "firstName": "Ottoline",
            "lastName": "Brackenbury",
            "dateOfBirth": "1922-02-22",
            "email": "ob@example.org",
            "phone": "07700 900555",
        },
    )
    assert first.action == "founded"
    second = upsert_record(
        store,
        settings,
        model,
        "webshop",
        {
            "sourceKey": "RT-6",
            "fullName": "Ottoline Brackenbury",
            "email": "ob@example.org",
            "phone": "07700 900555",
        },
    )
    assert (second.action, second.profile_id, second.retired) == ("joined", first.profile_id, [])


def test_an_update_that_no_longer_matches_leaves_no_stale_edge(
    store: GraphStore, resolved: tuple[Settings, MatchModel]
) -> None:
    """A record joins a one-record profile (a MATCHES edge near 1), then an update clears all
    it had in common: the pair now scores under the floor, so the edge goes (it stayed with
    its old probability, and the dial and the next upsert nearby read it; a batch run then
    moved records back: 6 of fake_1000's after 40 such updates). A steward's edge stays."""
    settings, model = resolved
    person = {"fullName": "Ottoline Brackenbury", "email": "ob@example.org"}
    upsert_record(store, settings, model, "crm", {"sourceKey": "RT-5", **person})
    joined = upsert_record(store, settings, model, "webshop", {"sourceKey": "RT-6", **person})
    assert [c for c, _ in joined.matches] == ["crm:RT-5"]
    edges = "MATCH (:Customer {customerId: 'crm:RT-5'})-[m:MATCHES]-(o) RETURN o.customerId AS o"
    assert store.run_text(edges, write=False)[0] == [{"o": "webshop:RT-6"}]
    fields = {"fullName": None, "email": None, "firstName": "Zed", "dateOfBirth": "1990-01-01"}
    moved = upsert_record(store, settings, model, "webshop", {"sourceKey": "RT-6", **fields})
    assert moved.matches == [] and moved.profile_id != joined.profile_id
    assert store.run_text(edges, write=False)[0] == []

    # A steward confirms the pair after all: the edge is theirs, and an update keeps it.
    flows.decide(store, settings, "crm:RT-5", "webshop:RT-6", "confirmed", "ana", "same", model)
    upsert_record(store, settings, model, "webshop", {"sourceKey": "RT-6", "firstName": "Zeb"})
    status = edges.replace("RETURN o.customerId AS o", "RETURN m.status AS s")
    assert store.run_text(status, write=False)[0] == [{"s": "confirmed"}]


def test_an_upsert_says_when_its_component_was_over_the_cap(
    store: GraphStore, resolved: tuple[Settings, MatchModel]
) -> None:
    """A profile of three records and a fourth of the same person: with a component cap of
    three the fourth is placed on the whole component; with a cap of two, on part of it,
    and the answer says so (a component of exactly the cap is whole). The population's
    records are taken out first, so that her records are the only candidates."""
    settings, model = resolved
    store.run_text("MATCH (c:Customer) DETACH DELETE c", write=True)
    person = {
        "fullName": "Ottoline Brackenbury",
        "dateOfBirth": "1922-02-22",
        "email": "ob@example.org",
        "phone": "07700 900555",
    }
    for key in ("RT-5", "RT-6", "RT-7"):
        done = upsert_record(store, settings, model, "crm", {"sourceKey": key, **person})
        assert not done.component_capped
    three = settings.model_copy(update={"component_cap": 3})
    two = settings.model_copy(update={"component_cap": 2})
    whole = upsert_record(store, three, model, "webshop", {"sourceKey": "RT-8", **person})
    part = upsert_record(store, two, model, "webshop", {"sourceKey": "RT-9", **person})
    assert (whole.component_capped, part.component_capped) == (False, True)
    assert whole.profile_id == part.profile_id == done.profile_id


def test_a_record_that_joins_a_profile_changes_that_profile_and_no_other(
    store: GraphStore, resolved: tuple[Settings, MatchModel]
) -> None:
    """A new record of a person whose records have MATCHES edges into another profile: the
    component read holds both profiles, only the one joined is written (its updatedAt
    moves); the other's stays as it was, and so do all the other profiles."""
    settings, model = resolved
    rows, _ = store.run_text(
        "MATCH (a:Customer)-[:MATCHES]-(b:Customer), (a)-[:RESOLVES_TO]->(p:Profile), "
        "(b)-[:RESOLVES_TO]->(q:Profile) WHERE p <> q AND a.firstName IS NOT NULL "
        "AND a.lastName IS NOT NULL AND a.dateOfBirth IS NOT NULL "
        "RETURN a.firstName AS firstName, a.lastName AS lastName, a.email AS email, "
        "a.dateOfBirth AS dateOfBirth, p.profileId AS joined, q.profileId AS neighbour "
        "ORDER BY a.customerId, b.customerId LIMIT 1",
        write=False,
    )
    (known,) = rows

    def updated() -> dict[str, str]:
        found, _ = store.run_text(
            "MATCH (p:Profile) RETURN p.profileId AS id, p.updatedAt AS at", write=False
        )
        return {r["id"]: r["at"] for r in found}

    before = updated()
    time.sleep(1.1)  # updatedAt is kept to the second
    fields = ("firstName", "lastName", "email", "dateOfBirth")  # the e-mail where it has one
    result = upsert_record(
        store,
        settings,
        model,
        "webshop",
        {"sourceKey": "RT-9", **{k: known[k] for k in fields if known[k] is not None}},
    )
    assert (result.action, result.profile_id) == ("joined", known["joined"])
    assert known["neighbour"] in before
    after = updated()
    assert {p for p in before if after[p] != before[p]} == {known["joined"]}
    assert set(after) == set(before)


def test_addresses_take_the_latest_residents_spelling_and_give_it_back_when_they_leave(
    store: GraphStore, resolved: tuple[Settings, MatchModel]
) -> None:
    """A shared Address shows the most recently updated resident's values (the records'
    updatedAt): a new record
    moving in takes it over, and when that record moves out again (a new version at another
    address) the address goes back to the resident who is left."""
    settings, model = resolved

    def upsert(key: str, street: str, updated: str) -> None:
        record = {"sourceKey": key, "lastName": "Fenwick-Oddie", "city": "Leeds"}
        record["updatedAt"] = updated
        upsert_record(
            store,
            settings,
            model,
            "crm",
            {**record, "street": street, "postcode": "LS6 2AB"},
        )

    def street_of(key: str) -> str:
        rows, _ = store.run_text(
            "MATCH (:Customer {customerId: $id})-[:LIVES_AT]->(a:Address) RETURN a.street AS s",
            {"id": f"crm:{key}"},
            write=False,
        )
        return str(rows[0]["s"])

    upsert("AD-1", "12 Oak Road", "2026-01-05T10:00:00Z")
    # the same address, spelt another way, a newer record moving in
    upsert("AD-2", "12 Oak Rd", "2026-02-05T10:00:00Z")
    assert (street_of("AD-1"), street_of("AD-2")) == ("12 Oak Rd", "12 Oak Rd")
    upsert("AD-2", "3 Elm Street", "2026-03-05T10:00:00Z")  # moving out
    assert (street_of("AD-1"), street_of("AD-2")) == ("12 Oak Road", "3 Elm Street")


def test_real_time_places_records_as_batch_would(
    store: GraphStore, resolved: tuple[Settings, MatchModel], tmp_path: Path
) -> None:
    """Records of new and known people upserted one by one, then a batch run over the same
    data: nothing moves, no ID changes."""
    settings, model = resolved
    more = tmp_path / "more"
    generate(SynthConfig(people=40, seed=99), more, "csv")
    crm = pd.read_csv(more / "crm_customers.csv", dtype=str).head(40)
    for row in crm.to_dict("records"):
        record = {
            "sourceKey": f"RT-{row['crm_id']}",
            "firstName": row["first_name"],
            "lastName": row["last_name"],
            "dateOfBirth": row["birth_date"],
            "email": row["email"],
            "phone": row["phone"],
            "postcode": row["postcode"],
            "street": row["street"],
            "city": row["city"],
        }
        upsert_record(
            store,
            settings,
            model,
            "crm",
            {k: v for k, v in record.items() if isinstance(v, str)},
        )
    before = memberships(store)
    summary = resolve(store, settings, model)
    assert summary.churn == Churn(kept=summary.profiles)
    pd.testing.assert_series_equal(memberships(store), before)


def test_a_junk_phone_shared_by_200_records_bridges_nobody(
    store: GraphStore, resolved: tuple[Settings, MatchModel]
) -> None:
    settings, model = resolved
    junk = "+441000000000"
    rows = [
        {
            "customerId": f"callcenter:J{i}",
            "props": {
                "source": "callcenter",
                "sourceKey": f"J{i}",
                "firstName": f"Caller{i}",
                "lastName": "Unknown",
                "phone": junk,
                "phoneType": "landline",
                "updatedAt": "2026-01-01T00:00:00",
            },
        }
        for i in range(200)
    ]
    store.write_batches("upsert_customers", rows, 100)
    resolve(store, settings, model)
    known = store.read_one("realtime_known_person")
    assert known is not None
    result = upsert_record(
        store,
        settings,
        model,
        "webshop",
        {
            "sourceKey": "RT-J",
            "fullName": f"{known['firstName']} {known['lastName']}",
            "email": known["email"],
            "phone": junk,
        },
    )
    assert rule_property(("phone",)) in result.capped_keys
    assert result.profile_id == known["profileId"] and result.retired == []
    members = memberships(store)
    assert not any(
        c.startswith("callcenter:J") for c in members[members == result.profile_id].index
    )


def test_a_record_known_only_from_its_interactions_is_filled_in_and_placed(
    store: GraphStore, resolved: tuple[Settings, MatchModel]
) -> None:
    """Interactions of a record not loaded yet make a stub; the record arriving in real time
    fills it in, and from then on batch resolution reads it like any other."""
    from app.metrics.events import interaction_row

    settings, model = resolved
    store.write(
        "upsert_interactions",
        rows=[
            interaction_row("crm", "RT-STUB", "purchase", "2025-03-01T10:00:00", "web", 9.5, "S1")
        ],
    )
    assert "crm:RT-STUB" not in load_records(store, settings.read_page).index
    result = upsert_record(
        store,
        settings,
        model,
        "crm",
        {
            "sourceKey": "RT-STUB",
            "firstName": "Peregrine",
            "lastName": "Fairweather",
            "dateOfBirth": "1933-03-03",
            "email": "pf@example.org",
        },
    )
    assert result.action == "founded"
    records = load_records(store, settings.read_page)
    assert records.loc["crm:RT-STUB", "lastName"] == "Fairweather"


def test_link_only_holds_in_real_time_as_in_batch(store: GraphStore, tmp_path: Path) -> None:
    """Link-only mode (crm linked with loyalty): real time compares a record only with
    records of the other linked source, as blocking does in batch, and a record of a source
    that is not linked with nothing. Before, it compared a record with every candidate: a
    copy of a CRM record under a new key got a match edge to its original, and web-shop
    copies joined CRM profiles. A batch run over the same records then moves nothing."""
    out = tmp_path / "synth"
    generate(SynthConfig(people=200, seed=21), out, "csv")
    settings, model = resolve_linked(store, out, tmp_path)
    crm = pd.read_csv(out / "crm_customers.csv", dtype=str).head(12)
    for i, row in enumerate(crm.to_dict("records")):
        record = {
            "firstName": row["first_name"],
            "lastName": row["last_name"],
            "dateOfBirth": row["birth_date"],
            "email": row["email"],
            "phone": row["phone"],
        }
        fields = {k: v for k, v in record.items() if isinstance(v, str)}
        # the same person again in the CRM, and in a source that is not linked
        upsert_record(store, settings, model, "crm", {"sourceKey": f"COPY-{i}", **fields})
        upsert_record(store, settings, model, "webshop", {"sourceKey": f"COPY-{i}", **fields})
    edges, _ = store.run_text(
        "MATCH (a:Customer)-[:MATCHES]->(b:Customer) RETURN a.source AS a, b.source AS b",
        write=False,
    )
    assert edges and all({e["a"], e["b"]} == {"crm", "loyalty"} for e in edges)
    before = memberships(store)
    for i in range(12):
        alone = before[before == before[f"webshop:COPY-{i}"]]
        assert list(alone.index) == [f"webshop:COPY-{i}"]
    summary = resolve(store, settings, model)
    assert summary.churn == Churn(kept=summary.profiles)
    pd.testing.assert_series_equal(memberships(store), before)


def test_one_to_one_holds_in_real_time_as_in_batch(store: GraphStore, tmp_path: Path) -> None:
    """Link-only with one-to-one: a second loyalty card of a person already linked to their
    CRM record does not join that profile in real time (the CRM record keeps the card first
    in order), and a batch run over the same records moves nothing."""
    out = tmp_path / "synth"
    generate(SynthConfig(people=200, seed=21), out, "csv")
    settings, model = resolve_linked(store, out, tmp_path, one_to_one=True)
    linked = memberships(store)
    pairs = linked[linked.duplicated(keep=False)]
    cards = sorted(c for c in pairs.index if c.startswith("loyalty:"))[:10]
    for card in cards:
        row = store.read_one("customer_record", customerId=card)
        assert row is not None
        props = row["props"]
        fields = {
            k: props[k]
            for k in ("firstName", "lastName", "dateOfBirth", "email", "phone", "postcode")
            if props.get(k)
        }
        key = card.split(":", 1)[1]
        upsert_record(store, settings, model, "loyalty", {"sourceKey": f"9{key}", **fields})
    before = memberships(store)
    for card in cards:
        copy = f"loyalty:9{card.split(':', 1)[1]}"
        assert before[copy] != before[card]
        assert before[card] == linked[card]  # the original stays with its CRM record
    for members in before.groupby(before).groups.values():
        sources = [m.split(":", 1)[0] for m in members]
        assert len(sources) == len(set(sources)), list(members)
    summary = resolve(store, settings, model)
    assert summary.churn == Churn(kept=summary.profiles)
    pd.testing.assert_series_equal(memberships(store), before)

"""Stewards' decisions as lasting facts: the latest decision about a pair wins, a split takes
out only the records it names, a merge overrides the rejections between the records it
joins, contradictions are refused with both decisions named, and batch re-runs give the
profiles, lineage and golden records the stewards made. On both backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app import flows
from app.errors import InputError
from app.ingestion.batch import load_directory
from app.resolution import review
from app.resolution.learning import learn
from app.resolution.model import MatchModel
from app.resolution.stewards import PairDecision, conflicts
from app.settings import Settings
from app.store import GraphStore
from app.synth import SynthConfig, generate

ADDRESS = {"street": "12 Oak Road", "city": "Leeds", "postcode": "LS6 2AB"}
# One person, four records in four sources, nearly alike.
ANN = [
    (
        "crm",
        {
            "sourceKey": "A0",
            "firstName": "Annabel",
            "lastName": "Quintrell",
            "dateOfBirth": "1984-02-29",
            "email": "annabel.q@example.org",
            "phone": "+44 7700 900123",
            **ADDRESS,
        },
    ),
    (
        "webshop",
        {
            "sourceKey": "A1",
            "firstName": "Annabel",
            "lastName": "Quintrell",
            "dateOfBirth": "1984-02-29",
            "email": "annabel.q@example.org",
            "phone": "07700 900123",
        },
    ),
    (
        "loyalty",
        {
            "sourceKey": "A2",
            "firstName": "Annabel",
            "lastName": "Quintrell",
            "dateOfBirth": "1984-02-29",
            "phone": "07700900123",
            **ADDRESS,
        },
    ),
    (
        "callcenter",
        {
            "sourceKey": "A3",
            "firstName": "Annabel",
            "lastName": "Quintrel",
            "dateOfBirth": "1984-02-29",
            "email": "annabel.q@example.org",
            **ADDRESS,
        },
    ),
]
ANN_IDS = ["crm:A0", "webshop:A1", "loyalty:A2", "callcenter:A3"]


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("stewards")
    generate(SynthConfig(people=150, seed=5), out, "csv")
    return out


@pytest.fixture
def world(store: GraphStore, population: Path, tmp_path: Path) -> tuple[Settings, MatchModel]:
    """The population resolved, with model, plus Annabel's four records in real time."""
    settings = Settings(data_dir=tmp_path / "data", resolve_workers=1)
    load_directory(store, population, settings, show_progress=False, kinds=("customers",))
    model = learn(store, settings, truth_file=population / "truth_records.csv", pairs=200).model
    flows.resolve_all(store, settings, model)
    for source, record in ANN:
        flows.upsert(store, settings, model, source, record, "tester")
    return settings, model


def profile_of(store: GraphStore, ids: list[str]) -> dict[str, str]:
    rows = store.read("profile_memberships_of", ids=ids)
    return {r["customerId"]: r["profileId"] for r in rows}


def groups(store: GraphStore, ids: list[str]) -> list[list[str]]:
    """`ids` grouped by profile, each group sorted, groups by their first member."""
    by: dict[str, list[str]] = {}
    for cid, pid in profile_of(store, ids).items():
        by.setdefault(pid, []).append(cid)
    return sorted(sorted(g) for g in by.values())


def profile_row(store: GraphStore, pid: str) -> dict[str, Any]:
    rows, _ = store.run_text(
        "MATCH (p:Profile {profileId: $id}) RETURN p.status AS status, p.absorbed AS absorbed, "
        "p.splitFrom AS splitFrom, p.mergedInto AS mergedInto, p.firstName AS firstName, "
        "p.dateOfBirth AS dateOfBirth, p.size AS size",
        {"id": pid},
        write=False,
    )
    return dict(rows[0])


def test_four_records_of_one_person_are_one_profile(
    store: GraphStore, world: tuple[Settings, MatchModel]
) -> None:
    assert groups(store, ANN_IDS) == [sorted(ANN_IDS)]


def test_rejecting_one_record_from_each_other_takes_out_only_that_record(
    store: GraphStore, world: tuple[Settings, MatchModel]
) -> None:
    """Rejections (0,1), (0,2), (0,3): record 0 leaves; 1, 2 and 3 stay one profile. (Which
    record of a rejected pair leaves at each step is the clustering's choice; the end is
    what the steward meant.)"""
    settings, model = world
    for other in ANN_IDS[1:]:
        flows.decide(store, settings, ANN_IDS[0], other, "rejected", "sam", "not her", model)
    assert groups(store, ANN_IDS) == [["callcenter:A3", "loyalty:A2", "webshop:A1"], ["crm:A0"]]


def test_rejections_hold_when_the_rejected_record_arrives_again_in_real_time(
    store: GraphStore, world: tuple[Settings, MatchModel]
) -> None:
    """crm:A0 rejected with loyalty:A2 and webshop:A1: both edges are stored from crm:A0
    (the smaller customerId), so a new version of crm:A0 finds the decisions on its own
    stored row. It stays apart from them, as it was before."""
    settings, model = world
    a0, a1, a2, a3 = ANN_IDS
    for other in (a1, a2):
        flows.decide(store, settings, a0, other, "rejected", "sam", "not her", model)
    before = [[a3, a0], [a2, a1]]  # which part keeps whom is the clustering's choice
    assert groups(store, ANN_IDS) == before
    source, record = ANN[0]
    flows.upsert(store, settings, model, source, {**record, "phone": "+44 7700 900999"}, "t")
    assert groups(store, ANN_IDS) == before


def test_a_confirmed_pair_stays_together_when_one_record_changes_beyond_recognition(
    store: GraphStore, world: tuple[Settings, MatchModel]
) -> None:
    """Confirmed crm:A0 with loyalty:A2: the edge is stored from crm:A0, so a new version of
    crm:A0 finds the decision on its own stored row, and a new version of loyalty:A2 on
    crm:A0's. Each new version shares no value with Annabel's other records."""
    settings, model = world
    a0, a1, a2, a3 = ANN_IDS
    flows.decide(store, settings, a0, a2, "confirmed", "kim", "same card", model)
    stranger = {
        "firstName": "Zebedee",
        "lastName": "Marchbank",
        "dateOfBirth": "1931-07-04",
        "email": "zm@example.net",
    }
    # The changed pair no longer resembles the other two: they part, the confirmed two stay.
    for i in (0, 2):
        source, record = ANN[i]
        flows.upsert(
            store, settings, model, source, {"sourceKey": record["sourceKey"], **stranger}, "t"
        )
        assert groups(store, ANN_IDS) == [[a3, a1], [a0, a2]]


def test_a_split_takes_out_the_named_records_together_and_a_merge_undoes_it(
    store: GraphStore, world: tuple[Settings, MatchModel]
) -> None:
    settings, model = world
    (pid,) = set(profile_of(store, ANN_IDS).values())
    done = flows.split(store, settings, ["loyalty:A2", "crm:A0"], "sam", "her daughter", model)
    assert groups(store, ANN_IDS) == [["callcenter:A3", "webshop:A1"], ["crm:A0", "loyalty:A2"]]
    new = done.details["profile"]
    assert done.details["previous"] == pid != new
    assert profile_row(store, new)["splitFrom"] == [pid]
    # The latest decision wins: a merge of the two overrides the split's rejections.
    merged = flows.merge(store, settings, [pid, new], "kim", "same person after all", model)
    assert groups(store, ANN_IDS) == [sorted(ANN_IDS)]
    kept = merged.details["kept"]
    retired = new if kept == pid else pid
    assert profile_row(store, retired)["status"] == "merged"
    assert profile_row(store, retired)["mergedInto"] == kept
    assert profile_row(store, kept)["absorbed"] == [retired]


def test_contradicting_decisions_are_refused_naming_both(
    store: GraphStore, world: tuple[Settings, MatchModel]
) -> None:
    settings, model = world
    a0, a1, a2, a3 = ANN_IDS
    flows.decide(store, settings, a0, a1, "confirmed", "sam", "same phone", model)
    flows.decide(store, settings, a1, a2, "confirmed", "kim", "same card", model)
    # a0 and a2 are one person through a1: rejecting them directly contradicts both.
    with pytest.raises(InputError) as refused:
        flows.decide(store, settings, a0, a2, "rejected", "lee", "different", model)
    message = str(refused.value)
    # Pairs are named smaller customerId first.
    assert message.startswith(f"cannot reject {a0} and {a2}: it contradicts {a0} and {a1} ")
    assert f"{a0} and {a1} confirmed as one person by sam" in message
    assert f"{a2} and {a1} confirmed as one person by kim" in message
    # A rejection, then a confirmation across it.
    flows.decide(store, settings, a0, a3, "rejected", "lee", "different", model)
    with pytest.raises(InputError, match=f"{a3} and {a0} rejected by lee"):
        flows.decide(store, settings, a3, a2, "confirmed", "kim", "same", model)
    # The latest decision about the same pair simply replaces the earlier one.
    flows.decide(store, settings, a0, a3, "confirmed", "lee", "I was wrong", model)
    assert groups(store, ANN_IDS) == [sorted(ANN_IDS)]


def test_split_of_a_merges_anchor_keeps_the_rest_together(
    store: GraphStore, world: tuple[Settings, MatchModel]
) -> None:
    """A merge confirms every record with one anchor record; splitting the anchor out keeps
    the others confirmed as one person."""
    settings, model = world
    a0 = ANN_IDS[0]
    # Two profiles the model kept apart (a stranger's record), merged by a steward.
    stranger = flows.upsert(
        store,
        settings,
        model,
        "crm",
        {
            "sourceKey": "Z9",
            "firstName": "Zebedee",
            "lastName": "Marchbank",
            "dateOfBirth": "1931-07-04",
            "email": "zm@example.net",
        },
        "tester",
    )
    ann = profile_of(store, [a0])[a0]
    flows.merge(store, settings, [ann, stranger.result.profile_id], "sam", "same", model)
    members = sorted([*ANN_IDS, "crm:Z9"])
    assert groups(store, members) == [members]
    flows.split(store, settings, [a0], "kim", "not the anchor", model)
    assert groups(store, members) == [
        ["callcenter:A3", "crm:Z9", "loyalty:A2", "webshop:A1"],
        ["crm:A0"],
    ]


def test_stewards_profiles_lineage_and_golden_records_survive_batch_reruns(
    store: GraphStore, world: tuple[Settings, MatchModel]
) -> None:
    """A profile mixing a father (born 1970) and his son (born 2020), fixed by three splits
    and a merge; then `idgraph resolve` twice gives what the stewards made, every time."""
    settings, model = world
    family = {"lastName": "Oakridge", "phone": "+44 7700 900456", **ADDRESS}
    father = [
        (
            "crm",
            {
                "sourceKey": "F1",
                "firstName": "Jonathan",
                "dateOfBirth": "1970-03-02",
                "email": "j.oakridge@example.org",
                **family,
            },
        ),
        (
            "webshop",
            {
                "sourceKey": "F2",
                "firstName": "Jonathan",
                "dateOfBirth": "1970-03-02",
                "email": "j.oakridge@example.org",
            },
        ),
    ]
    son = [
        ("crm", {"sourceKey": "S1", "firstName": "Jonah", "dateOfBirth": "2020-05-01", **family}),
        (
            "loyalty",
            {"sourceKey": "S2", "firstName": "Jonah", "dateOfBirth": "2020-05-01", **family},
        ),
        (
            "webshop",
            {
                "sourceKey": "S3",
                "firstName": "Jonah",
                "dateOfBirth": "2020-05-01",
                "lastName": "Oakridge",
            },
        ),
    ]
    made = [
        flows.upsert(store, settings, model, s, r, "tester").result.profile_id
        for s, r in father + son
    ]
    everyone = ["crm:F1", "webshop:F2", "crm:S1", "loyalty:S2", "webshop:S3"]
    # The mix-up: a steward merged them all.
    flows.merge(store, settings, sorted(set(made)), "ann", "same household, same person?", model)
    (mixed,) = set(profile_of(store, everyone).values())
    # The fix: three splits and a merge of the son's records.
    split_ids = [
        flows.split(store, settings, [c], "sam", "the son", model).details["profile"]
        for c in ("crm:S1", "loyalty:S2", "webshop:S3")
    ]
    sons = sorted(set(profile_of(store, ["crm:S1", "loyalty:S2", "webshop:S3"]).values()))
    if len(sons) > 1:
        flows.merge(store, settings, sons, "sam", "the son's records", model)
    fixed = profile_of(store, everyone)
    assert fixed["crm:F1"] == fixed["webshop:F2"] == mixed
    son_id = fixed["crm:S1"]
    assert fixed["loyalty:S2"] == fixed["webshop:S3"] == son_id != mixed
    father_row, son_row = profile_row(store, mixed), profile_row(store, son_id)
    assert (father_row["firstName"], father_row["dateOfBirth"]) == ("Jonathan", "1970-03-02")
    assert (son_row["firstName"], son_row["dateOfBirth"]) == ("Jonah", "2020-05-01")
    retired = sorted(set(split_ids) - {son_id})
    lineage = {p: profile_row(store, p) for p in [mixed, son_id, *retired, *set(made) - {mixed}]}
    for _ in range(2):
        summary = flows.resolve_all(store, settings, model)
        assert profile_of(store, everyone) == fixed
        assert {p: profile_row(store, p) for p in lineage} == lineage
        assert summary.churn.merged == summary.churn.split == 0


def test_conflicts_rule_on_small_cases() -> None:
    """The rule itself: which earlier decisions a new one contradicts."""
    c = {
        ("a", "b"): PairDecision("a", "b", "confirmed"),
        ("b", "c"): PairDecision("b", "c", "confirmed"),
        ("c", "d"): PairDecision("c", "d", "rejected"),
    }
    assert conflicts(c, PairDecision("a", "c", "rejected")) == [c[("a", "b")], c[("b", "c")]]
    assert conflicts(c, PairDecision("a", "d", "confirmed")) == [c[("c", "d")]]
    assert conflicts(c, PairDecision("a", "b", "rejected")) == []  # replaces its own pair
    assert conflicts(c, PairDecision("c", "d", "confirmed")) == []
    assert conflicts(c, PairDecision("a", "e", "confirmed")) == []


def test_review_queue_and_cluster_edges_on_the_store(
    store: GraphStore, world: tuple[Settings, MatchModel]
) -> None:
    """The queue and the whole-cluster view read the same on both backends."""
    settings, model = world
    a0, a1, _, _ = ANN_IDS
    flows.decide(store, settings, a0, a1, "rejected", "sam", "not her", model)
    decided = review.queue(store, review.ReviewFilter(0.0, 1.0, decided=True), size=10)
    assert [(r["a"], r["b"], r["props"]["status"]) for r in decided.rows] == [(a0, a1, "rejected")]
    assert (decided.total, decided.has_next) == (1, False)
    everything = review.queue(store, review.ReviewFilter(0.0, 1.0, decided=None), size=5)
    rest = review.queue(
        store,
        review.ReviewFilter(0.0, 1.0, decided=None),
        size=10_000,
        after=(
            everything.rows[-1]["props"]["probability"] or 0.0,
            everything.rows[-1]["a"],
            everything.rows[-1]["b"],
        ),
    )
    stored = store.read("match_pairs")
    assert everything.total == rest.total == len(stored)
    assert len(everything.rows) + len(rest.rows) == len(stored) and everything.has_next
    pid = profile_of(store, [a1])[a1]
    edges = review.profile_edges(store, pid, 0.2)
    members = {c for c, p in profile_of(store, ANN_IDS).items() if p == pid}
    inside = {(e.a, e.b) for e in edges if e.inside}
    assert {x for pair in inside for x in pair} == members
    assert any(not e.inside and {e.a, e.b} == {a0, a1} for e in edges)  # the rejected pair

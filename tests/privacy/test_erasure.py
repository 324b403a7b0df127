"""Erasure end to end on a loaded, resolved, grouped population with metrics, a steward's
decision, consent, an alert with a queued webhook, PII-read audits, training labels, a model
with value counts and a quarantine line: afterwards no value of the person is anywhere in the
graph or the data folder, their household is regrouped, and reloading the old source files
does not bring them back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app import flows
from app.audit import READ_PII, TrailFilter, trail
from app.audit import record as audit
from app.households.dna import all_household_ids, compute_dna
from app.households.resolve import resolve_households
from app.ingestion.batch import load_directory
from app.metrics.batch import resolve_now, run_batch
from app.privacy.consent import record_statement
from app.privacy.erasure import REDACTED, erase_person
from app.resolution.batch import resolve
from app.resolution.learning import learn
from app.resolution.model import MatchModel
from app.settings import Settings
from app.store import GraphStore, open_store
from app.synth import SynthConfig, generate

STORED = (
    "MATCH (n) RETURN labels(n)[0] AS what, properties(n) AS props "
    "UNION ALL MATCH ()-[r]->() RETURN type(r) AS what, properties(r) AS props"
)


@dataclass
class World:
    store: GraphStore
    settings: Settings
    sources: Path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("erasure")
    sources = base / "sources"  # the company's files: not the service's data folder
    generate(SynthConfig(people=120, seed=21), sources, "csv")
    settings = Settings(
        store="falkordb", data_dir=base / "data", graph_name="erasure", resolve_workers=1
    )
    store = open_store(settings)
    try:
        store.setup_schema()
        load_directory(store, sources, settings, show_progress=False)
        model = learn(store, settings, truth_file=sources / "truth_records.csv", pairs=150).model
        model.save(settings.model_file)
        resolve(store, settings, model)
        resolve_households(store, settings)
        compute_dna(store, settings, all_household_ids(store))
        run_batch(store, settings, resolve_now(store, "latest"), None, False)
        yield World(store, settings, sources)
    finally:
        store.close()


def _rows(store: GraphStore, text: str, **params: object) -> list[dict]:
    rows, _ = store.run_text(text, params, write=False)
    return list(rows)


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)


def _pick_person(store: GraphStore) -> str:
    """A profile of 3+ records, one with an e-mail, in a household of 2+ members (so that
    it is regrouped, not just dropped)."""
    rows = _rows(
        store,
        "MATCH (c:Customer)-[:RESOLVES_TO]->(p:Profile)-[m:MEMBER_OF {status: 'current'}]->"
        "(h:Household) WHERE h.size >= 2 WITH p, count(c) AS n, count(c.email) AS mails "
        "WHERE n >= 3 AND mails >= 1 RETURN p.profileId AS p ORDER BY n DESC, p LIMIT 20",
    )
    assert rows, "the population has no household with a three-record person"
    return str(rows[0]["p"])


def _their_values(store: GraphStore, profile_id: str) -> set[str]:
    """Every value on the person's records, identifier nodes, interactions and profile that
    no other record or node left after the erasure holds (shared values stay, by design)."""
    mine = _rows(
        store,
        "MATCH (c:Customer)-[:RESOLVES_TO]->(:Profile {profileId: $p}) "
        "OPTIONAL MATCH (c)-[:PERFORMED]->(i:Interaction) "
        "RETURN properties(c) AS c, collect(i.interactionId) AS events",
        p=profile_id,
    )
    customers = {str(r["c"]["customerId"]) for r in mine}
    values: set[str] = {profile_id}
    for r in mine:
        for key, v in r["c"].items():
            if (
                isinstance(v, str)
                and not key.startswith("bk")
                and key
                not in (
                    "source",
                    "gender",
                    "phoneType",
                    "country",
                    "updatedAt",
                    "city",
                    "consentBasis",
                )
            ):
                values.add(v)
        values.update(str(e) for e in r["events"])
    others = _rows(
        store,
        "MATCH (c:Customer) WHERE NOT c.customerId IN $mine RETURN properties(c) AS c",
        mine=sorted(customers),
    )
    shared = {s for r in others for s in _strings(r["c"])}
    return {v for v in values if v not in shared and len(v) >= 4}


def _in_graph(store: GraphStore, values: set[str]) -> set[str]:
    found = set()
    for row in _rows(store, STORED):
        for s in _strings(row["props"]):
            found |= {v for v in values if v in s}
    return found


def _in_files(folder: Path, values: set[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        hits = [v for v in values if v.encode() in data or v.lower().encode() in data]
        if hits:
            found[str(path.relative_to(folder))] = sorted(hits)
    return found


def test_erasure_leaves_no_value_of_the_person_and_a_reload_does_not_bring_them_back(
    world: World,
) -> None:
    store, settings = world.store, world.settings
    # Strings stored uncompressed, so that a value left in a snapshot would be seen.
    store._db.client.config_set("rdbcompression", "no")  # type: ignore[attr-defined]
    pid = _pick_person(store)
    customers = [
        str(r["c"])
        for r in _rows(
            store,
            "MATCH (c:Customer)-[:RESOLVES_TO]->(:Profile {profileId: $p}) "
            "RETURN c.customerId AS c ORDER BY c",
            p=pid,
        )
    ]
    household = _rows(
        store,
        "MATCH (:Profile {profileId: $p})-[:MEMBER_OF {status: 'current'}]->(h:Household) "
        "RETURN h.householdId AS h",
        p=pid,
    )[0]["h"]
    others_before = _rows(store, "MATCH (c:Customer) RETURN count(c) AS n")[0]["n"]

    # What else a person leaves behind: a steward's decision (audit, match edge, labels), a
    # consent statement, an alert queued for a webhook, reads of their data, a quarantine line.
    flows.decide(store, settings, customers[0], customers[1], "confirmed", "key:ann", "same ID")
    record_statement(store, customers[0], "marketing", "email", False, "consent", "key:bo")
    store.write(
        "alert_fire_profile",
        rows=[
            {
                "entityId": pid,
                "cooldownKey": f"r|{pid}",
                "cooldownFromMs": 0,
                "alertId": "AL-erase",
                "webhooks": ["crm"],
                "props": {
                    "rule": "r",
                    "entityId": pid,
                    "label": "Profile",
                    "firedAtMs": 1,
                    "firedAt": "2026-01-01T00:00:00Z",
                    "metric": "spend90d",
                    "status": "open",
                    "message": "m",
                },
            }
        ],
    )
    # A read of their data and another person's record: kept as READ_PII relationships.
    (other,) = [
        str(r["c"])
        for r in _rows(
            store,
            "MATCH (c:Customer) WHERE NOT c.customerId IN $ids "
            "RETURN c.customerId AS c ORDER BY c LIMIT 1",
            ids=customers,
        )
    ]
    read = audit(
        store, "key:viewer", READ_PII, "", None, {"fields": ["email"]}, [*customers, other], [pid]
    )
    (email,) = {
        r["e"]
        for r in _rows(
            store,
            "MATCH (c:Customer) WHERE c.customerId IN $ids AND c.email IS NOT NULL "
            "RETURN c.email AS e ORDER BY e LIMIT 1",
            ids=customers,
        )
    }
    settings.quarantine_dir.mkdir(parents=True, exist_ok=True)
    line = {"file": "f", "row": 9, "reason": "bad", "raw": {"mail": email.upper()}}
    # Someone else's line, whose raw value holds a line separator (JSON leaves it as it is)
    theirs = {"file": "f", "row": 11, "reason": "bad", "raw": {"note": "a\u2028b"}}
    (settings.quarantine_dir / "crm.customers.x.jsonl").write_text(
        "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in (line, theirs)),
        encoding="utf-8",
    )

    alerts = _rows(
        store, "MATCH (a:Alert)-[:ABOUT]->(:Profile {profileId: $p}) RETURN count(a) AS n", p=pid
    )[0]["n"]
    values = _their_values(store, pid)
    model = MatchModel.load(settings.model_file)
    counted = {
        k
        for t in model.term_frequencies.values()
        for k in t.counts
        if k in {v.lower() for v in values}
    }
    assert counted, "the model's value counts should hold one of the person's values"
    store.compact()
    assert _in_graph(store, values) == values  # the scan sees them while they are there
    assert _in_files(settings.data_dir, values), "the files should hold them before"

    done = erase_person(store, settings, "key:dpo", "request 42", profile_id=pid)

    assert done.records == len(customers) and done.profiles >= 1
    assert done.alerts == alerts and done.webhook_deliveries >= 1 and done.store_compacted
    assert done.quarantine_lines == 1
    left = (settings.quarantine_dir / "crm.customers.x.jsonl").read_text(encoding="utf-8")
    assert left == json.dumps(theirs, ensure_ascii=False) + "\n"  # whole, not split in two
    assert done.suppressed == len(customers) and done.model_values > 0
    assert _in_graph(store, values) == set()
    assert _in_files(settings.data_dir, values) == {}
    # The audit entry: who and why, the counts, nothing of theirs.
    (entry,) = _rows(
        store,
        "MATCH (e:AuditEvent {action: 'eraseProfile'}) RETURN e.actor AS actor, "
        "e.reason AS reason, e.after AS after, size([(e)--() | 1]) AS edges",
    )
    assert (entry["actor"], entry["reason"], entry["edges"]) == ("key:dpo", "request 42", 0)
    assert json.loads(entry["after"])["records"] == len(customers)
    # The read is kept (who, when) without its details or their ids, about the other record.
    (kept,) = trail(store, TrailFilter(actions=(READ_PII,))).events
    assert (kept.audit_id, kept.actor, kept.entity_ids) == (read, "key:viewer", [other])
    assert (kept.before, kept.after, kept.reason) == (REDACTED, REDACTED, REDACTED)
    assert _rows(
        store,
        "MATCH (e:AuditEvent {auditId: $a})-[:CONCERNS]->(c:Customer) RETURN c.customerId AS c",
        a=read,
    ) == [{"c": other}]
    assert _rows(store, "MATCH (:Actor)-[r]->() RETURN count(r) AS n") == [{"n": 0}]
    # The household is regrouped without them, its Group DNA recomputed.
    rest = _rows(
        store,
        "MATCH (p:Profile)-[:MEMBER_OF {status: 'current'}]->(h:Household {householdId: $h}) "
        "RETURN count(p) AS n, h.dna_members AS members",
        h=household,
    )
    if rest and rest[0]["n"]:
        assert rest[0]["members"] == rest[0]["n"]

    # A reload of the old files: everyone else as before, the person not back.
    summaries = load_directory(store, world.sources, settings, show_progress=False)
    assert sum(s.rows_suppressed for s in summaries) >= len(customers)
    back = _rows(
        store,
        "MATCH (c:Customer) WHERE c.customerId IN $ids RETURN c.customerId AS c",
        ids=customers,
    )
    assert back == []
    now = _rows(store, "MATCH (c:Customer) RETURN count(c) AS n")[0]["n"]
    assert now == others_before - len(customers)
    assert _in_graph(store, values) == set()


def test_erasure_of_an_unknown_person_changes_nothing(world: World) -> None:
    from app.errors import InputError

    with pytest.raises(InputError, match="no profile PR-nobody"):
        erase_person(world.store, world.settings, "key:dpo", "r", profile_id="PR-nobody")
    with pytest.raises(InputError, match="needs a reason"):
        erase_person(world.store, world.settings, "key:dpo", " ", profile_id="PR-nobody")


def test_a_value_too_common_that_was_one_persons_leaves_the_model_with_them(
    tmp_path: Path,
) -> None:
    """A customer with fourteen records of one e-mail and date of birth: training finds what
    only they hold too common to be evidence, and the model file names it; erasing the
    customer takes it out."""
    import pandas as pd

    sources = tmp_path / "sources"
    generate(SynthConfig(people=120, seed=21), sources, "csv")
    path = sources / "crm_customers.csv"
    crm = pd.read_csv(path, dtype=str, keep_default_na=False)
    (first,) = crm.index[(crm["email"] != "") & (crm["birth_date"] != "")][:1]
    copies = pd.DataFrame([crm.loc[first]] * 13)
    copies["crm_id"] = [f"CRM-90000{i:02d}" for i in range(13)]
    pd.concat([crm, copies]).to_csv(path, index=False)
    theirs = {crm.loc[first, "email"].lower(), crm.loc[first, "birth_date"].replace("-", "")}
    settings = Settings(
        store="falkordb", data_dir=tmp_path / "data", graph_name="erasure2", resolve_workers=1
    )
    with open_store(settings) as store:
        store.setup_schema()
        load_directory(store, sources, settings, show_progress=False, kinds=("customers",))
        model = learn(store, settings).model
        model.save(settings.model_file)
        resolve(store, settings, model)
        found = {v for values in model.common.values() for v in values}
        assert found and found <= theirs
        text = settings.model_file.read_text(encoding="utf-8")
        assert all(v in text for v in found)
        customer = f"crm:{crm.loc[first, 'crm_id']}"
        erase_person(store, settings, "key:dpo", "request 43", customer_id=customer)
        text = settings.model_file.read_text(encoding="utf-8")
        assert not any(v in text for v in found)
        after = MatchModel.load(settings.model_file)
        assert after.common == {} and after.report["commonValues"] == {}

"""Attributes a mapping declares compared (`compareAttributes`): an occupation is evidence
many people share, weighed by how common each value is; kept only, it is no evidence."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from app import flows
from app.ingestion.batch import load_directory
from app.resolution.batch import resolve
from app.resolution.columns import stack
from app.resolution.comparisons import NULL, declared_comparison
from app.resolution.fields import derive1
from app.resolution.learning import learn
from app.resolution.model import MatchModel
from app.resolution.realtime import upsert_record
from app.settings import Settings
from app.store import GraphStore

FIRST = [
    "ada",
    "ben",
    "cara",
    "dan",
    "eve",
    "finn",
    "gus",
    "hana",
    "ivo",
    "jane",
    "kai",
    "lea",
    "max",
    "nia",
    "otto",
    "pia",
]
LAST = [
    "marsh",
    "holt",
    "penn",
    "frost",
    "vale",
    "wren",
    "lark",
    "moss",
    "reed",
    "stone",
    "hart",
    "brook",
    "cole",
    "dale",
    "fell",
]
CITIES = ["leeds", "york", "hull", "bath", "ely", "wells", "derby"]
# commonest first, each about 1/rank as common as the first (as in a register of persons)
OCCUPATIONS = [
    "politician",
    "painter",
    "writer",
    "actor",
    "singer",
    "lawyer",
    "priest",
    "soldier",
    "poet",
    "physician",
    "engineer",
    "architect",
    "astronomer",
    "composer",
    "sculptor",
    "diplomat",
    "farmer",
    "teacher",
    "banker",
    "sailor",
]
# Four records of "Ada Quill" of Leeds with no date of birth: two a painter's, two a
# politician's (two people each), the names found nowhere else.
QUILLS = {"A1": "painter", "A2": "painter", "B1": "politician", "B2": "politician"}


def _as_written(job: str, rng: np.random.Generator, share: np.ndarray) -> str | None:
    """A person's occupation on one of their records: 1 in 10 missing, 1 in 20 of the rest
    another (drawn as occupations are)."""
    if rng.random() < 0.1:
        return None
    if rng.random() < 0.05:
        return OCCUPATIONS[rng.choice(len(OCCUPATIONS), p=share)]
    return job


def _register(folder: Path, compare: bool) -> None:
    """400 persons with 2-3 records each (names, a date of birth, a birthplace and an
    occupation; some missing, some first names cut short, 1 in 20 occupations another),
    then the Quills. `compare`: the mapping compares the occupation; else it keeps it."""
    rng = np.random.default_rng(3)
    share = 1 / np.arange(1, len(OCCUPATIONS) + 1)
    share /= share.sum()
    rows = []
    for person in range(400):
        first, last, city = rng.choice(FIRST), rng.choice(LAST), rng.choice(CITIES)
        born = f"{rng.integers(1850, 1950)}-{rng.integers(1, 13):02d}-{rng.integers(1, 29):02d}"
        job = OCCUPATIONS[rng.choice(len(OCCUPATIONS), p=share)]
        for k in range(int(rng.integers(2, 4))):
            rows.append(
                {
                    "id": f"R{person}-{k}",
                    "first": first[:-1] if rng.random() < 0.15 else first,
                    "last": last,
                    "born": None if rng.random() < 0.3 else born,
                    "city": None if rng.random() < 0.3 else city,
                    "job": _as_written(job, rng, share),
                }
            )
    for key, job in QUILLS.items():
        rows.append({"id": key, "first": "ada", "last": "quill", "city": "leeds", "job": job})
    folder.mkdir()
    pd.DataFrame(rows).to_csv(folder / "hist_customers.csv", index=False)
    mapping = {
        "source": "hist",
        "kind": "customers",
        "columns": {
            "id": "sourceKey",
            "first": "firstName",
            "last": "lastName",
            "born": "dateOfBirth",
            "city": "city",
        },
        "earliest": {"dateOfBirth": 1800},
        "attributes": {"job": "occupation"},
    }
    if compare:
        mapping["compareAttributes"] = ["occupation"]
    (folder / "hist.customers.yaml").write_text(yaml.safe_dump(mapping, sort_keys=False))


def _resolved(store: GraphStore, tmp_path: Path, compare: bool) -> MatchModel:
    """The register loaded, learned without labels and resolved."""
    _register(tmp_path / "in", compare)
    settings = Settings(data_dir=tmp_path / "data", resolve_workers=1)
    load_directory(store, tmp_path / "in", settings, show_progress=False, kinds=("customers",))
    model = learn(store, settings).model
    resolve(store, settings, model)
    return model


def _edge(store: GraphStore, a: str, b: str) -> tuple[float, dict[str, dict]]:
    """The match edge between two records: its probability and its explanation's fields."""
    rows, _ = store.run_text(
        "MATCH (a:Customer {customerId: $a})-[m:MATCHES]-(b:Customer {customerId: $b}) "
        "RETURN m.probability AS p, m.explanation AS why",
        {"a": f"hist:{a}", "b": f"hist:{b}"},
        write=False,
    )
    fields = json.loads(rows[0]["why"])["fields"]
    return rows[0]["p"], {f["field"]: f for f in fields}


def test_an_occupation_compared_is_evidence_a_rarer_one_counting_for_more(
    store: GraphStore, tmp_path: Path
) -> None:
    """Between the Quills, who agree on all else they have: the painter's two records are
    the likelier match for sharing an occupation rarer than the politicians', and a painter
    with a politician the least likely, as their edges show and explain."""
    _resolved(store, tmp_path, compare=True)
    (painters, why_a), (politicians, why_b) = _edge(store, "A1", "A2"), _edge(store, "B1", "B2")
    crossed, why_ab = _edge(store, "A1", "B1")
    assert painters > politicians > crossed
    painter, politician = why_a["attr_occupation"], why_b["attr_occupation"]
    assert (painter["label"], painter["level"]) == ("occupation", "same")
    assert (politician["label"], politician["level"]) == ("occupation", "same")
    assert painter["weight"] > politician["weight"] > 0
    assert why_ab["attr_occupation"]["level"] == "different"
    assert why_ab["attr_occupation"]["weight"] < 0
    others = ("firstName", "lastName", "address")
    assert [why_a[f] for f in others] == [why_b[f] for f in others] == [why_ab[f] for f in others]


def test_an_occupation_only_kept_is_no_evidence(store: GraphStore, tmp_path: Path) -> None:
    """The same register with the occupation kept, not compared: the Quills' edges neither
    weigh nor name it, and a painter with a politician is as likely a match as two
    painters."""
    model = _resolved(store, tmp_path, compare=False)
    assert "attr_occupation" not in [c.name for c in model.comparisons]
    (painters, why_a), (crossed, why_ab) = _edge(store, "A1", "A2"), _edge(store, "A1", "B1")
    assert "attr_occupation" not in why_a
    assert "attr_occupation" not in why_ab
    assert painters == crossed


def test_a_record_changed_in_real_time_keeps_its_occupation_as_evidence(
    store: GraphStore, tmp_path: Path
) -> None:
    """A painter's record changed in real time, where records come without attributes: the
    graph keeps its occupation, and its new match edge weighs it as a batch run then does."""
    model = _resolved(store, tmp_path, compare=True)
    settings = Settings(data_dir=tmp_path / "data", resolve_workers=1)
    changed = {"sourceKey": "A2", "firstName": "ada", "lastName": "quill", "city": "leeds"}
    upsert_record(store, settings, model, "hist", {**changed, "street": "1 Mill Lane"})
    placed = _edge(store, "A1", "A2")
    assert placed[1]["attr_occupation"]["level"] == "same"
    resolve(store, settings, model)
    assert _edge(store, "A1", "A2") == placed


def test_an_occupation_sent_or_cleared_in_real_time_is_weighed_as_batch_weighs_it(
    store: GraphStore, tmp_path: Path
) -> None:
    """A third painter Quill sent in real time with the occupation (as GraphQL's `attributes`
    and `idgraph upsert --attribute` give it): its edge with a painter weighs it as the two
    painters' edge does. A painter's occupation then cleared: its edge no longer weighs
    one. A batch run after both stores the same edges."""
    model = _resolved(store, tmp_path, compare=True)
    settings = Settings(data_dir=tmp_path / "data", resolve_workers=1)
    quill = {"firstName": "ada", "lastName": "quill", "city": "leeds"}
    new = {"sourceKey": "A3", **quill, "attr_occupation": "Painter"}
    flows.upsert(store, settings, model, "hist", new, "tester")
    joined = _edge(store, "A1", "A3")
    assert joined[1] == _edge(store, "A1", "A2")[1]
    assert joined[1]["attr_occupation"]["level"] == "same"
    flows.upsert(store, settings, model, "hist", {"sourceKey": "A2", "attr_occupation": None}, "t")
    cleared = _edge(store, "A1", "A2")
    assert "attr_occupation" not in cleared[1]
    resolve(store, settings, model)
    assert (_edge(store, "A1", "A3"), _edge(store, "A1", "A2")) == (joined, cleared)


def test_an_attribute_compares_alike_however_a_source_writes_it() -> None:
    """Case, spaces and accents aside ("Painter", "painter ", "Pâinter"); one typo apart
    only where the mapping says `typo`."""
    rows = [{"attr_occupation": v} for v in ("Painter", "painter ", "Pâinter", "Paintre", None)]
    cols = stack([derive1(r) for r in rows])
    left, right = np.array([0, 0, 0, 0]), np.array([1, 2, 3, 4])
    exact = declared_comparison("attr_occupation", "exact")
    typo = declared_comparison("attr_occupation", "typo")
    assert exact.levels == ("same", "different")
    assert exact(cols, left, right).tolist() == [0, 0, 1, NULL]
    assert typo.levels == ("same", "one typo", "different")
    assert typo(cols, left, right).tolist() == [0, 0, 1, NULL]

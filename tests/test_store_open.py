"""Opening the embedded store on a saved graph returns once its indexes are usable: the
server rebuilds them in the background after loading its files, and until then every
lookup scans its label."""

from __future__ import annotations

from pathlib import Path

from app.settings import Settings
from app.store import GraphStore, open_store
from app.store.base import Key, Schema

PROPS = [f"k{i}" for i in range(10)]


def index_states(store: GraphStore) -> dict[str, str]:
    rows, _ = store.run_text(
        "CALL db.indexes() YIELD label, status RETURN label, status", write=False
    )
    return {str(r["label"]): str(r["status"]) for r in rows}


def test_a_reopened_store_answers_with_every_index_ready(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    rows = [{"probeId": f"p{n}", **{p: f"{p}-{n % 97}" for p in PROPS}} for n in range(40_000)]
    with open_store(settings) as store:
        store.setup_schema(Schema(unique=[], indexes=[Key("Probe", p) for p in PROPS]))
        for start in range(0, len(rows), 10_000):
            store.run_text(
                "UNWIND $rows AS r CREATE (n:Probe) SET n = r",
                {"rows": rows[start : start + 10_000]},
                write=True,
            )
        assert index_states(store) == {"Probe": "OPERATIONAL"}
    with open_store(settings) as store:  # a new server, started on the saved files
        states = index_states(store)
        found, _ = store.run_text(
            "MATCH (n:Probe) WHERE n.k3 = 'k3-5' RETURN count(n) AS n", write=False
        )
    assert states == {"Probe": "OPERATIONAL"}
    assert found == [{"n": len([n for n in range(40_000) if n % 97 == 5])}]

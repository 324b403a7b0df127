"""A load killed half way and run again ends in the same graph as an uninterrupted one."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from app.ingestion.loader import ingest_file
from app.ingestion.mapping import load_mapping
from app.settings import Settings
from app.store import GraphStore
from tests.ingestion.helpers import (
    CUSTOMER_COLUMNS,
    child_env,
    customer_rows,
    snapshot,
    write_mapping,
)

ROWS = 6_000  # the kill lands at 1,000 loaded: still half way


def test_killed_load_recovers_to_the_same_graph(
    store: GraphStore, backend_settings: Settings, tmp_path: Path
) -> None:
    f = tmp_path / "crm.csv"
    pd.DataFrame(customer_rows(ROWS)).to_csv(f, index=False)
    mpath = write_mapping(tmp_path / "m.yaml", "customers", CUSTOMER_COLUMNS)
    cmd = [
        sys.executable,
        "-c",
        "from app.cli import main; main()",
        "ingest",
        str(f),
        "--source",
        "crm",
        "--mapping",
        str(mpath),
        "--no-progress",
    ]
    env = child_env(backend_settings, IDGRAPH_BATCH_SIZE="100", IDGRAPH_CHUNK_ROWS="500")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    loaded = 0
    while time.monotonic() < deadline and proc.poll() is None:
        loaded = store.read("customer_count")[0]["n"]
        if loaded >= 1_000:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = store.read("customer_count")[0]["n"]
    assert 0 < partial < ROWS, f"the load was not interrupted half way ({partial} loaded)"

    settings = backend_settings.model_copy(update={"data_dir": tmp_path / "data"})
    mapping = load_mapping(mpath)
    ingest_file(store, f, "crm", settings, mapping=mapping, show_progress=False)
    recovered = snapshot(store)

    store.clear()
    store.setup_schema()
    ingest_file(store, f, "crm", settings, mapping=mapping, show_progress=False)
    assert recovered == snapshot(store)

"""Helpers for ingestion tests: small source files and a comparable picture of the graph."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from app.settings import Settings
from app.store import GraphStore

CUSTOMER_COLUMNS = {
    "id": "sourceKey",
    "first": "firstName",
    "last": "lastName",
    "dob": "dateOfBirth",
    "email": "email",
    "phone": "phone",
    "street": "street",
    "city": "city",
    "postcode": "postcode",
    "device": "deviceId",
    "account": "accountId",
    "role": "accountRole",
}
INTERACTION_COLUMNS = {
    "event": "interactionId",
    "cust": "customerKey",
    "type": "type",
    "channel": "channel",
    "at": "timestamp",
    "amount": "value",
    "device": "deviceId",
    "account": "accountId",
}


def write_mapping(path: Path, kind: str, columns: dict[str, str], **extra: Any) -> Path:
    data = {"source": "crm", "kind": kind, "columns": columns, **extra}
    path.write_text(yaml.safe_dump(data, sort_keys=False))  # column order matters
    return path


def customer_rows(n: int, offset: int = 0) -> list[dict[str, str]]:
    rows = []
    for i in range(offset, offset + n):
        rows.append(
            {
                "id": f"C{i:06d}",
                "first": f"first{i % 97}",
                "last": f"Last{i % 89}",
                "dob": f"19{50 + i % 50}-0{1 + i % 9}-1{i % 9}",
                "email": f"person{i}@example.com",
                "phone": f"07700 {900000 + i:06d}",
                "street": f"{i % 200} High St",
                "city": "London",
                "postcode": f"SW{i % 20}A 1AA",
                "device": f"D{i // 3}",
                "account": f"A{i // 4}",
                "role": "owner" if i % 4 == 0 else "member",
            }
        )
    return rows


# Records of how the graph was written, not of what it holds: who wrote how often, and the
# stages' runs (app/store/marks.py). The same content written another way differs in them.
HOW_WRITTEN = ("ChangeMark", "StageRun")


def snapshot(store: GraphStore) -> tuple[list[str], list[str]]:
    """Every node's label and properties (but HOW_WRITTEN) and every relationship by its ends'
    keys, sorted."""
    key = (
        "coalesce({v}.customerId, {v}.email, {v}.phone, {v}.addressId, {v}.deviceId, "
        "{v}.accountId, {v}.interactionId, {v}.profileId, {v}.householdId)"
    )
    nodes, _ = store.run_text(
        f"MATCH (n) WHERE NOT ({' OR '.join(f'n:{label}' for label in HOW_WRITTEN)}) "
        "RETURN labels(n)[0] AS label, properties(n) AS props",
        write=False,
    )
    rels, _ = store.run_text(
        f"MATCH (a)-[r]->(b) RETURN type(r) AS t, {key.format(v='a')} AS a, "
        f"{key.format(v='b')} AS b, properties(r) AS props",
        write=False,
    )
    return (
        sorted(f"{r['label']} {sorted(r['props'].items())}" for r in nodes),
        sorted(f"{r['a']} -{r['t']}-> {r['b']} {sorted(r['props'].items())}" for r in rels),
    )


def reversed_rows(folder: Path, out: Path) -> Path:
    """A copy of a synthetic folder's source files with every row in reverse order."""
    out.mkdir()
    for f in folder.iterdir():
        if f.suffix == ".csv" and "_" in f.stem and "truth" not in f.stem:
            frame = pd.read_csv(f, dtype=str, keep_default_na=False)
            frame.iloc[::-1].to_csv(out / f.name, index=False)
    return out


def child_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of an `idgraph` child process on the store of `settings`."""
    env = dict(os.environ)
    env.update(
        IDGRAPH_STORE=settings.store,
        IDGRAPH_DATA_DIR=str(settings.data_dir),
        IDGRAPH_GRAPH_NAME=settings.graph_name,
        IDGRAPH_NEO4J_URI=settings.neo4j_uri,
        IDGRAPH_NEO4J_USER=settings.neo4j_user,
        IDGRAPH_NEO4J_PASSWORD=settings.neo4j_password,
        **extra,
    )
    return env


def killed_half_way(store: GraphStore, folder: Path, settings: Settings) -> None:
    """Starts `idgraph load-dir folder` on the store's own folder (settings) in a child process
    and kills it (SIGKILL) as soon as the graph holds a record."""
    env = child_env(
        settings,
        # Small chunks and batches: the load takes many round trips, so the kill lands in
        # the middle of it even on a busy machine (with 100-row chunks a whole load could
        # finish between two looks at the graph).
        IDGRAPH_BATCH_SIZE="10",
        IDGRAPH_CHUNK_ROWS="20",
        IDGRAPH_BULK_MIN_BYTES=str(settings.bulk_min_bytes),
        IDGRAPH_PREPARE_WORKERS=str(settings.prepare_workers),
        IDGRAPH_PREPARE_MIN_BYTES=str(settings.prepare_min_bytes),
        IDGRAPH_BULK_ROUND_ROWS=str(settings.bulk_round_rows),
    )
    cmd = [
        sys.executable,
        "-c",
        "from app.cli import main; main()",
        "load-dir",
        str(folder),
        "--no-progress",
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if store.read("customer_count")[0]["n"] > 0:  # the first batch is in: kill now
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert store.read("customer_count")[0]["n"] > 0

"""The command line as a user runs it: synth a folder, load it, see counts and clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def idgraph(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "IDGRAPH_DATA_DIR": str(data), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-c", "from app.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_synth_then_load_dir_then_stats(tmp_path: Path) -> None:
    data = tmp_path / "data"
    out = tmp_path / "synth"
    r = idgraph("synth", "--people", "120", "--out", str(out), "--seed", "3", data=data)
    assert r.returncode == 0, r.stderr
    assert (out / "crm_customers.csv").exists() and (out / "truth_records.csv").exists()
    r = idgraph("load-dir", str(out), "--no-progress", data=data)
    assert r.returncode == 0, r.stderr
    assert "crm_customers.csv" in r.stdout and "interactions" in r.stdout
    r = idgraph("stats", data=data)
    assert r.returncode == 0, r.stderr
    assert "Customer" in r.stdout and "PERFORMED" in r.stdout


def test_missing_column_is_a_one_line_error_with_exit_code_2(tmp_path: Path) -> None:
    bad = tmp_path / "crm.csv"
    bad.write_text("x,y\n1,2\n")
    r = idgraph("ingest", str(bad), "--source", "crm", data=tmp_path / "data")
    assert r.returncode == 2
    assert "missing required column(s) crm_id" in r.stderr
    assert "Traceback" not in r.stderr


def test_corrupt_parquet_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "crm.parquet"
    bad.write_bytes(b"not parquet at all")
    r = idgraph("ingest", str(bad), "--source", "crm", "--kind", "customers", data=tmp_path / "d")
    assert r.returncode == 2
    assert "cannot read the file" in r.stderr and "Traceback" not in r.stderr

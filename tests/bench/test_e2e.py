"""bench/e2e.py runs every stage as its own command, on the store's server kept running
(--attached) as on one started per command: a small population, both ways. The re-run's
load finds every file as its last load left it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("attached", [False, True])
def test_e2e_runs_every_stage_twice_and_the_reload_finds_nothing_changed(
    tmp_path: Path, attached: bool
) -> None:
    args = ["--people", "60", "--no-splink", "--out", str(tmp_path)]
    subprocess.run(
        [sys.executable, "-m", "bench.e2e", *args, *(["--attached"] if attached else [])],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    name = "e2e-60-42-attached.json" if attached else "e2e-60-42.json"
    result = json.loads((tmp_path / name).read_text())
    assert list(result["first"]) == ["ingest", "train", "resolve", "households", "metrics"]
    assert list(result["again"]) == ["ingest", "resolve", "households", "metrics"]
    truth = (tmp_path / "synth-60-42" / "truth_records.csv").read_text().splitlines()
    assert result["records"] == len(truth) - 1
    log = (tmp_path / "e2e-60-42.log").read_text()
    first, again = log.split("$ idgraph load-dir")[1:]
    assert "unchanged since their last load" not in first
    assert "unchanged since their last load, nothing written" in again
    for f in ("crm", "webshop", "loyalty", "callcenter"):
        assert f"{f}_customers.csv" in again.split("unchanged since")[1]

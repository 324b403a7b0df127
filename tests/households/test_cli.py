"""`idgraph households` as a user runs it: a table, the scores against truth, clear errors."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from app.settings import Settings


def idgraph(*args: str, settings: Settings) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "IDGRAPH_DATA_DIR": str(settings.data_dir),
        "IDGRAPH_GRAPH_NAME": settings.graph_name,
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, "-c", "from app.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_households_command_groups_and_scores_against_truth(population) -> None:
    r = idgraph(
        "households", "--truth", str(population.truth_records), settings=population.settings
    )
    assert r.returncode == 0, r.stderr
    households = int(re.search(r"│ households\s+│ ([\d,]+)", r.stdout)[1].replace(",", ""))
    assert 100 < households < 400  # 400 people in about 170 homes
    f1 = float(re.search(r"record pairs\s+│ [\d.]+\s+│ [\d.]+\s+│ ([\d.]+)", r.stdout)[1])
    assert f1 >= 0.95
    assert re.search(r"decision-maker accuracy 0\.\d+", r.stdout)
    # Changed households are counted, not listed (at 100k profiles the list filled screens).
    assert re.search(r"│ households with changed members\s+│ [\d,]+", r.stdout)
    assert "joined" not in r.stdout
    assert "ProfileFacts" not in r.stdout  # what Group DNA reuses is not printed


def test_a_bad_rules_file_is_a_one_line_error(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("device: {max_profiles: 1}\n")
    settings = Settings(data_dir=tmp_path / "data", graph_name="cli")
    r = idgraph("households", "--rules", str(rules), settings=settings)
    assert r.returncode == 2
    assert "household rules: device" in r.stderr and "Traceback" not in r.stderr

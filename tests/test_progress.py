"""Every long batch stage shows its progress the same way: what, a bar, how many of how
many, the rate in the stage's unit, the time so far and the time left (issue 18, item 6).
Checked as a user runs the commands, against the counts each command reports."""

from __future__ import annotations

import json
import re
from pathlib import Path

from rich.console import Console

from app.progress import stage_progress
from app.resolution.learning import LEARN_STEPS
from tests.test_cli import idgraph


def _line(text: str, start: str) -> str:
    found = [x for x in text.splitlines() if x.startswith(start)]
    assert len(found) == 1, f"{start!r} in:\n{text}"
    return found[0]


def _count(line: str) -> tuple[int, int]:
    m = re.search(r" ([\d,]+)/([\d,]+) ", line)
    assert m, line
    return int(m[1].replace(",", "")), int(m[2].replace(",", ""))


def _rate(line: str, unit: str) -> int:
    m = re.search(rf" ([\d,]+) {unit}/s ", line)
    assert m, line
    return int(m[1].replace(",", ""))


def test_the_batch_stages_show_counts_rates_and_time_left(tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "synth"
    assert idgraph("synth", "--people", "300", "--out", str(out), data=data).returncode == 0

    loaded = idgraph("load-dir", str(out), data=data)
    assert loaded.returncode == 0, loaded.stderr
    line = _line(loaded.stdout, "crm_customers.csv ━")
    rows = int(re.search(r" ([\d,]+) rows, 100% ", line)[1].replace(",", ""))  # type: ignore[index]
    table = _line(loaded.stdout, "│ crm_customers.csv")
    assert f"│ {rows:,} " in table  # the rows the load's own table says it read
    assert _rate(line, "rows") > 0

    trained = idgraph("train", data=data)
    assert trained.returncode == 0, trained.stderr
    assert _count(_line(trained.stderr, "train: done")) == (len(LEARN_STEPS), len(LEARN_STEPS))
    resolved = idgraph("resolve", data=data)
    assert resolved.returncode == 0, resolved.stderr
    summary = json.loads((data / "model" / "last-resolve.json").read_text())
    scored = _line(resolved.stderr, "resolve: scoring pairs")
    pairs = summary["candidate_pairs"] + summary["completed_pairs"]
    assert _count(scored) == (pairs, pairs)
    assert _rate(scored, "pairs") > 0
    written = _line(resolved.stderr, "resolve: writing the graph")
    done, total = _count(written)
    assert done == total >= summary["match_edges"] + summary["records"]
    assert _rate(written, "rows") > 0

    homes = idgraph("households", data=data)
    assert homes.returncode == 0, homes.stderr
    profiles = int(re.search(r"│ profiles\s+│ ([\d,]+)", homes.stdout)[1].replace(",", ""))  # type: ignore[index]
    households = int(re.search(r"│ households\s+│ ([\d,]+)", homes.stdout)[1].replace(",", ""))  # type: ignore[index]
    assert _count(_line(homes.stderr, "households: grouping")) == (profiles, profiles)
    assert _count(_line(homes.stderr, "households: consent")) == (profiles, profiles)
    dna = _line(homes.stderr, "households: Group DNA")
    assert _count(dna) == (households, households)
    assert _rate(dna, "households") > 0

    metrics = idgraph("metrics", data=data)
    assert metrics.returncode == 0, metrics.stderr
    wrote = _line(metrics.stderr, "metrics: writing")
    assert _count(wrote) == (summary["profiles"], summary["profiles"])
    assert _rate(wrote, "profiles") > 0


def test_a_step_count_has_no_rate_and_a_file_shows_its_rows() -> None:
    console = Console(record=True, width=120, force_terminal=False)
    with stage_progress(console) as bar:
        steps = bar.add_task("steps", total=4, unit="")
        bar.update(steps, completed=4)
        file = bar.add_task("a.csv", total=1000, rows=0)
        bar.update(file, completed=500, rows=1234)
    text = console.export_text()
    assert re.search(r"^steps\s+━+ 4/4\s+0:00:00", text, re.M), text
    assert re.search(r"^a\.csv\s+━+\s+1,234 rows, 50% [\d,]+ rows/s ", text, re.M), text


def test_no_console_shows_nothing() -> None:
    with stage_progress(None) as bar:
        assert bar.disable

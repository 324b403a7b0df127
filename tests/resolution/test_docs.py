"""docs/resolution.md's worked example is what the model computes."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np

from app.resolution.columns import stack
from app.resolution.fields import derive1
from app.resolution.model import ComparisonWeights, MatchModel

DOC = Path(__file__).resolve().parents[2] / "docs" / "resolution.md"


def _tables(text: str) -> list[list[list[str]]]:
    tables, current = [], []
    for line in text.splitlines():
        if line.startswith("|"):
            if not set(line) <= set("|- "):  # the row under the header is no row
                current.append([c.strip() for c in line.strip("|").split("|")])
        elif current:
            tables.append(current)
            current = []
    return tables


def test_the_worked_example_adds_up() -> None:
    section = DOC.read_text().split("### Worked example", 1)[1].split("\n## ", 1)[0]
    weights = json.loads(re.search(r"```json\n(.*?)```", section, re.S).group(1))
    records, explained = _tables(section)
    model = MatchModel(
        comparisons=[
            ComparisonWeights(name, list(w), [], [], tf=0.0)
            for name, w in weights.items()
            if name != "prior"
        ],
        prior=weights["prior"],
        rules=[],
    )
    fields = {"first name": "firstName", "surname": "lastName", "birth date": "dateOfBirth"}
    header = records[0]
    rows = [{fields[h]: v for h, v in zip(header[1:], row[1:], strict=True)} for row in records[1:]]
    cols = stack([derive1(r) for r in rows])
    levels = model.levels(cols, np.array([0]), np.array([1]))
    contrib = model.contributions(levels, cols, np.array([0]))
    why = model.explain(levels[0], contrib[0])
    got = [[f["label"], f["level"], f"{f['weight']:+.1f}"] for f in why["fields"]]
    assert got == explained[1:]
    logit = why["prior"] + sum(f["weight"] for f in why["fields"])
    assert logit == model.logits(levels, cols, np.array([0]))[0]
    p = 1 / (1 + math.exp(-logit))
    assert f"= logit {logit:g}, probability {p:.4f}" in section

"""Labelled pairs for training, from where they are kept: stewards' decisions in the graph
(every confirm, reject, merge and split), a labels file (pairs of customerIds, or pairs of
records in dedupe's training format with our field names), and pairs drawn from a truth
file (saved apart, so a new draw never touches anything a person decided)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from app.errors import ConfigError
from app.resolution.fields import RECORD_FIELDS, derive
from app.resolution.training import Labelled, TrainingSet
from app.store import GraphStore

KINDS = ("match", "distinct")


def steward_labels(store: GraphStore, ts: TrainingSet) -> Labelled:
    """Every pair a steward decided (confirmed: match, rejected: distinct), as it is now."""
    return _id_pairs(
        [(d["a"], d["b"], d["status"] == "confirmed") for d in store.read("resolution_decisions")],
        ts,
        "steward",
    )


def _id_pairs(pairs: list[tuple[str, str, bool]], ts: TrainingSet, source: str) -> Labelled:
    position = pd.Series(np.arange(len(ts)), index=ts.ids)
    kept = [(a, b, m) for a, b, m in pairs if a in position.index and b in position.index]
    return Labelled(
        np.array([position[a] for a, _, _ in kept], dtype=np.int64),
        np.array([position[b] for _, b, _ in kept], dtype=np.int64),
        np.array([m for _, _, m in kept], dtype=bool),
        np.full(len(kept), source),
    )


def save_id_pairs(path: Path, labelled: Labelled, ts: TrainingSet) -> None:
    """Labelled pairs as customerIds: {"match": [[a, b], ...], "distinct": [...]}."""
    ids = np.asarray(ts.ids, dtype=object)
    body: dict[str, list[list[str]]] = {k: [] for k in KINDS}
    for a, b, m in zip(labelled.left, labelled.right, labelled.match, strict=True):
        body["match" if m else "distinct"].append([str(ids[a]), str(ids[b])])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(body, indent=1))
    tmp.replace(path)


def load_file(path: Path, ts: TrainingSet, source: str = "file") -> list[Labelled]:
    """A labels file: pairs of customerIds (resolved against the records in the graph) or
    pairs of records (dedupe's format, fields named as ours: firstName, dateOfBirth, ...,
    id_<type> for identifiers). A bad pair is refused with its place in the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read training labels {path}: {exc}") from exc
    if not isinstance(data, dict) or set(data) - set(KINDS):
        raise ConfigError(f"{path}: expected an object with 'match' and 'distinct' lists")
    id_pairs: list[tuple[str, str, bool]] = []
    records: list[dict[str, Any]] = []
    record_match: list[bool] = []
    allowed = set(RECORD_FIELDS) | {"customerId"}
    for kind in KINDS:
        for i, pair in enumerate(data.get(kind, [])):
            where = f"{path}: {kind} pair #{i + 1}"
            if not isinstance(pair, list) or len(pair) != 2:
                raise ConfigError(f"{where} is not a list of two records or two customerIds")
            if all(isinstance(x, str) for x in pair):
                id_pairs.append((pair[0], pair[1], kind == "match"))
                continue
            if not all(isinstance(x, dict) for x in pair):
                raise ConfigError(f"{where} mixes records and customerIds")
            unknown = sorted(
                {k for r in pair for k in r if k not in allowed and not k.startswith("id_")}
            )
            if unknown:
                raise ConfigError(
                    f"{where} has unknown field(s) {unknown}; fields are "
                    f"{sorted(allowed - {'customerId'})} and id_<identifier type>"
                )
            records.extend(pair)
            record_match.append(kind == "match")
    out = [_id_pairs(id_pairs, ts, source)]
    if records:
        frame = pd.DataFrame(records)
        n = len(record_match)
        out.append(
            Labelled(
                np.arange(0, 2 * n, 2, dtype=np.int64),
                np.arange(1, 2 * n, 2, dtype=np.int64),
                np.array(record_match, dtype=bool),
                np.full(n, source),
                cols=derive(frame, ts.common),
            )
        )
    return [lab for lab in out if len(lab)]


def load_id_pairs(path: Path, ts: TrainingSet, source: str) -> Labelled:
    """Pairs saved by save_id_pairs (those whose records are still in the graph)."""
    labelled = [lab for lab in load_file(path, ts, source) if lab.cols is None]
    return labelled[0] if labelled else Labelled.empty()

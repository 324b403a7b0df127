"""`idgraph label`: the pairs the current model is least sure of, one at a time in the
terminal (dedupe's console labelling, on our candidate pairs): y(es), n(o), u(nsure),
f(inished). An answer is a steward decision: applied at once, audited, and a labelled pair
for the next `idgraph train`."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
from rich.console import Console
from rich.table import Table

from app import flows
from app.errors import InputError
from app.resolution.blocking import candidate_pairs
from app.resolution.columns import declared
from app.resolution.component import fields_of
from app.resolution.fields import RECORD_FIELDS, derive
from app.resolution.linkonly import groups_of
from app.resolution.model import MatchModel, probability
from app.resolution.records import load_records
from app.resolution.scoring import score_pairs
from app.resolution.stewards import Decision
from app.settings import Settings
from app.store import GraphStore, open_store


def uncertain(
    store: GraphStore, settings: Settings, model: MatchModel, k: int
) -> list[tuple[str, str, float, dict]]:
    """The k undecided candidate pairs with the log-odds nearest 0, with their explanation."""
    records = load_records(store, settings.read_page)
    cols = derive(records, model.common)
    groups = groups_of(records["source"], model.link_only, settings.link_only)
    cand = candidate_pairs(cols, model.rules, settings.block_cap, groups)
    levels, logits = score_pairs(model, cols, cand.left, cand.right, workers=1)
    decided = {(d["a"], d["b"]) for d in store.read("resolution_decisions")}
    ids = records.index.to_numpy()
    chosen = []
    for i in np.argsort(np.abs(logits), kind="stable"):
        a, b = sorted((str(ids[cand.left[i]]), str(ids[cand.right[i]])))
        if (a, b) in decided:
            continue
        chosen.append((i, a, b))
        if len(chosen) >= k:
            break
    at = np.array([i for i, _, _ in chosen], dtype=np.int64)
    why = model.pair_explanations(levels[at], cols, cand.left[at], cand.right[at])
    p = probability(logits[at])
    return [(a, b, float(p[n]), json.loads(why[n])) for n, (_, a, b) in enumerate(chosen)]


def show(console: Console, store: GraphStore, a: str, b: str, p: float, why: dict) -> None:
    """The pair side by side: the fields resolution reads, then each declared identifier
    and attribute (by its type or name), those the two records differ on in yellow."""
    rows = {r["customerId"]: r for r in store.read("resolution_records_of", ids=[a, b])}
    records = [fields_of(rows.get(x, {})) for x in (a, b)]
    more = sorted({name for r in records for name in r} - set(RECORD_FIELDS))
    table = Table("field", a, b, title=f"same person? model: {p:.2f}")
    for name in [*RECORD_FIELDS, *more]:
        x, y = (r.get(name) for r in records)
        if x is None and y is None:
            continue
        label = name.split("_", 1)[1] if declared(name) else name
        table.add_row(label, str(x or ""), str(y or ""), style="" if x == y else "yellow")
    console.print(table)
    console.print(
        "  " + ", ".join(f"{f['label']} {f['level']} {f['weight']:+.1f}" for f in why["fields"])
    )


def run_label(
    settings: Settings,
    console: Console,
    pairs: int,
    actor: str,
    ask: Callable[[str], str] | None = None,
) -> int:
    """Ask about up to `pairs` pairs; the number of decisions recorded."""
    ask = ask or (lambda prompt: console.input(prompt))
    model = MatchModel.load(settings.model_file)
    done = 0
    with open_store(settings) as store:
        for a, b, p, why in uncertain(store, settings, model, pairs):
            show(console, store, a, b, p, why)
            answer = ""
            while answer not in ("y", "n", "u", "f"):
                answer = ask("(y)es / (n)o / (u)nsure / (f)inished: ").strip().lower()[:1]
            if answer == "f":
                break
            if answer == "u":
                continue
            status: Decision = "confirmed" if answer == "y" else "rejected"
            try:
                flows.decide(store, settings, a, b, status, actor, "idgraph label", model)
            except InputError as refused:  # it contradicts earlier decisions: say so, go on
                console.print(f"[yellow]not recorded:[/] {refused}")
                continue
            done += 1
    console.print(f"{done} decisions recorded; `idgraph train` learns from them")
    return done

"""Batch resolution: block, score and cluster every customer record; write MATCHES edges
with their explanations and profiles with stable IDs, lineage and golden attributes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import TaskID

from app import changefeed
from app.gcpause import gc_paused
from app.ingestion.held import code_digest
from app.progress import stage_progress
from app.resolution.blocking import candidate_pairs, key_digests, rule_keys, rule_property
from app.resolution.cluster import Decisions
from app.resolution.columns import Columns
from app.resolution.component import pairs_to_complete
from app.resolution.fields import derive
from app.resolution.fields import sparse as sparse_records
from app.resolution.firstrun import HELD, bulk_tables
from app.resolution.linkonly import groups_of, one_to_one_of
from app.resolution.model import DECIMALS, MatchModel, probability
from app.resolution.placement import Placement, Stored, now_iso, place, stored_profiles
from app.resolution.profiles import Churn
from app.resolution.records import load_records
from app.resolution.scoring import score_pairs
from app.settings import Settings
from app.store import GraphStore, marks
from app.store.base import Key, Schema, batch_stage
from app.store.writer import BackgroundWriter
from app.timing import Laps


@dataclass
class ResolveSummary:
    records: int = 0
    sparse: int = 0
    candidate_pairs: int = 0
    completed_pairs: int = 0  # pairs in one component that blocking had not put together
    skipped_blocks: int = 0  # blocks over the cap, not compared
    skipped_pairs: int = 0  # the pairs those blocks held
    match_edges: int = 0
    profiles: int = 0
    capped_components: int = 0
    feed_events: int = 0  # changes queued for the change feed's webhooks
    edges_written: int = 0  # new or changed MATCHES edges (a re-run writes only those)
    edges_deleted: int = 0
    churn: Churn = field(default_factory=Churn)
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def decision_pairs(rows: list[dict[str, Any]], position: pd.Series) -> Decisions:
    """Stewards' decisions as record positions (the store keeps one per pair, the latest)."""
    out = Decisions()
    for d in rows:
        if d["a"] in position.index and d["b"] in position.index:
            pair = (int(position[d["a"]]), int(position[d["b"]]))
            (out.confirmed if d["status"] == "confirmed" else out.rejected).append(pair)
    return out


def block_key_rows(
    records: pd.DataFrame,
    cols: Columns,
    model: MatchModel,
    sparse: np.ndarray,
    written: Iterable[str] = (),
) -> list[tuple[str, dict[str, Any]]]:
    """Rows (customerId, properties) for the blocking keys: only records whose stored
    `blockHash` differs from the digest of the keys and sparse flag this model computes. A
    rewritten record also loses the keys of rules in `written` (every bk_* property resolve
    has written) that this model does not use. A record with no stored digest has never had
    keys (batch and real time write the keys and the digest together), so its row leaves
    out the keys it does not have: at 100k records the first run's write took 4.9 s with
    the nulls and 3.2 s without."""
    props = [rule_property(r) for r in model.rules]
    columns = {p: rule_keys(cols, r) for p, r in zip(props, model.rules, strict=True)}
    drop = {k: None for k in written if k not in columns}
    digests = np.array(key_digests(columns, sparse), dtype=object)
    stored = records["blockHash"].to_numpy(dtype=object)
    changed = np.flatnonzero(digests != stored)
    keys = [columns[p].stored()[changed] for p in props]
    ids = records.index.to_numpy(dtype=object)[changed]
    rows = []
    for i, cid, had, *values in zip(changed.tolist(), ids, stored[changed], *keys, strict=True):
        row = {**dict(zip(props, values, strict=True)), **drop}
        row["sparse"] = True if sparse[i] else None
        if not isinstance(had, str):
            row = {p: v for p, v in row.items() if v is not None}
        row["blockHash"] = digests[i]
        rows.append((str(cid), row))
    return rows


def match_rows(
    model: MatchModel,
    cols: Columns,
    ids: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    levels: np.ndarray,
    logits: np.ndarray,
    prob: np.ndarray,
    run_id: str,
    now: str,
) -> list[dict[str, Any]]:
    """Rows for upsert_matches: each pair in stored order (smaller customerId first) with its
    probability, log-odds and explanation (the prior plus each field's push; they add up
    to the log-odds)."""
    why = model.pair_explanations(levels, cols, left, right)
    version = model.version
    names = np.asarray([str(i) for i in ids], dtype=object)
    a, b = names[left], names[right]
    swap = a > b
    first, second = np.where(swap, b, a).tolist(), np.where(swap, a, b).tolist()
    return [
        {
            "a": x,
            "b": y,
            "probability": p,
            "logit": z,
            "explanation": w,
            "modelVersion": version,
            "runId": run_id,
            "updatedAt": now,
        }
        for x, y, p, z, w in zip(
            first, second, np.asarray(prob).tolist(), np.asarray(logits).tolist(), why, strict=True
        )
    ]


# A batch resolve reads what loads (marks.INGEST) and real time, stewards and erasure
# (marks.OTHER) write, not what households and metrics write.
READS = (marks.OTHER, marks.INGEST)


@batch_stage
@gc_paused()
def resolve(
    store: GraphStore,
    settings: Settings,
    model: MatchModel,
    console: Console | None = None,
    full: bool = False,
) -> ResolveSummary:
    """Resolve every record and write the difference. Skipped when no writer it reads from
    has written since its last complete run with the same model and settings (`full`: read
    every record and compare anyway)."""
    with marks.writing_as(store, marks.RESOLVE):
        return _batch(store, settings, model, console, full)


def _batch(
    store: GraphStore,
    settings: Settings,
    model: MatchModel,
    console: Console | None,
    full: bool,
) -> ResolveSummary:
    say = console.print if console else (lambda *a, **k: None)
    out = ResolveSummary()
    lap = Laps(out.seconds).lap

    key = marks.digest(model.version, code_digest(), settings.model_dump(mode="json"))
    run = marks.check(store, STAGE, READS, key, full)
    if run.last is not None:
        done = _unchanged(run.last, out.seconds)
        lap("read")
        say(f"nothing written since the last resolve: {done.profiles:,} profiles as they are")
        return done
    records = load_records(store, settings.read_page)
    out.records = len(records)
    decided = store.read("resolution_decisions")
    held = store.read("profile_memberships")
    # No profile in the graph (a first run): new profiles' IDs need no check against used
    # ones. Asked now: later, the store may be building the blocking keys' indexes, and a
    # read waits for that (0.5 s of the pseudopeople town's 3.8 s). Real time and stewards
    # make profiles only under the resolution lock a batch run holds (app/flows.py).
    ids_used = bool(store.read("profile_any"))
    inputs = InputDigest(settings, model, records, decided)
    last = store.read_one("resolve_state", stage="batch")
    if last is not None and last["digest"] == inputs.digest(held):
        done = _unchanged(json.loads(last["summary"]), out.seconds)
        marks.finished(store, run, _kept(done))
        lap("read")
        say(f"nothing changed since the last resolve: {done.profiles:,} profiles as they are")
        return done
    cols = derive(records, model.common)
    sparse = sparse_records(cols)
    out.sparse = int(sparse.sum())
    groups = groups_of(records["source"], model.link_only, settings.link_only)
    lap("read")

    with stage_progress(console) as bar:
        # Each clock starts with its work: the rates are of scoring and of writing alone.
        scoring = bar.add_task("resolve: scoring pairs", total=None, unit="pairs", start=False)
        writing = bar.add_task("resolve: writing the graph", total=0, unit="rows", start=False)

        def total_of(task: TaskID) -> Callable[[int], None]:
            def known(total: int) -> None:
                bar.start_task(task)
                bar.update(task, total=total)

            return known

        with BackgroundWriter(
            store,
            settings.batch_size,
            on_queued=total_of(writing),
            on_written=lambda n: bar.advance(writing, n),
        ) as writer:
            placement = _resolve(
                store,
                settings,
                model,
                records,
                cols,
                sparse,
                groups,
                decided,
                held,
                ids_used,
                writer,
                out,
                say,
                lap,
                total_of(scoring),
                lambda n: bar.advance(scoring, n),
            )
    # The feed tells of what is written, so it is recorded once the writes are done.
    out.feed_events = changefeed.record(store, settings, placement.changes)
    # What the graph holds now, as written: every record's profile and confidence (the
    # resolution lock keeps other writers out; tests/resolution/test_batch.py checks it
    # against a read of the graph).
    held_now = [
        {"customerId": m, "profileId": p, "confidence": placement.confidence[m]}
        for m, p in placement.profile_of.items()
    ]
    store.write(
        "resolve_state_set",
        stage="batch",
        digest=inputs.digest(held_now),
        summary=json.dumps(out.as_dict()),
        at=now_iso(),
    )
    marks.finished(store, run, _kept(out))
    lap("write")
    return out


STAGE = "resolve"  # its StageRun node


class InputDigest:
    """What a batch resolve's result depends on: the records' resolution fields (not their
    stored blocking keys, which resolve writes), this program's code (a new version may
    derive other values from them: held.code_digest), the model, the settings, stewards'
    decisions, and every record's profile and confidence as the graph holds them (so a
    profile real time or a steward changed since, or an erasure, makes the next resolve run
    in full)."""

    def __init__(
        self,
        settings: Settings,
        model: MatchModel,
        records: pd.DataFrame,
        decisions: list[dict[str, Any]],
    ) -> None:
        h = hashlib.blake2b(digest_size=16)
        h.update(pd.util.hash_pandas_object(records.drop(columns=["blockHash"])).to_numpy())
        h.update(model.version.encode())
        h.update(code_digest().encode())
        h.update(_json(settings.model_dump(mode="json")))
        h.update(_json(decisions))
        self._base = h

    def digest(self, memberships: list[dict[str, Any]]) -> str:
        """The digest with the memberships (profile_memberships' rows) the graph holds."""
        h = self._base.copy()
        held = sorted((r["customerId"], r["profileId"], r["confidence"]) for r in memberships)
        h.update(_json(held))
        return h.hexdigest()


def _json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, default=str).encode()


def _kept(summary: ResolveSummary) -> dict[str, Any]:
    """What a skipped run reports of this one: all but its timings."""
    return {k: v for k, v in summary.as_dict().items() if k != "seconds"}


def _unchanged(last: dict[str, Any], seconds: dict[str, float]) -> ResolveSummary:
    """The last run's summary, for a run that had nothing to do: nothing written."""
    nothing = {"feed_events": 0, "edges_written": 0, "edges_deleted": 0}
    return ResolveSummary(
        **{**last, **nothing, "churn": Churn(kept=last["profiles"]), "seconds": seconds}
    )


def _resolve(
    store: GraphStore,
    settings: Settings,
    model: MatchModel,
    records: pd.DataFrame,
    cols: Columns,
    sparse: np.ndarray,
    groups: np.ndarray | None,
    decided: list[dict[str, Any]],
    memberships: list[dict[str, Any]],
    ids_used: bool,
    writer: BackgroundWriter,
    out: ResolveSummary,
    say: Any,
    lap: Any,
    pairs_total: Callable[[int], None],
    pairs_scored: Callable[[int], None],
) -> Placement:
    """The stages after reading; writes go to `writer` (in order, in the background).
    `decided` and `memberships`: stewards' decisions and the memberships as the graph
    holds them; `ids_used`: whether the graph holds any profile. Returns the placement
    (with the changes for the feed)."""
    ids = records.index.to_numpy()
    n = len(records)
    # Every bk_* property ever written is registered before any is, so a later model's run
    # knows what to remove (the list is cut to this model's once all records carry its keys).
    written = [r["name"] for r in store.read("blocking_keys")]
    props = [rule_property(r) for r in model.rules]
    writer.put("blocking_keys_add", [{"name": p} for p in props if p not in written])
    writer.put_properties(
        "set_block_keys",
        "Customer",
        "customerId",
        block_key_rows(records, cols, model, sparse, written),
    )
    # Real time looks candidates up by the blocking keys: each has an index. One missing
    # (the first run, a new rule) is made once the keys are written, next in the writer's
    # queue: the store builds it in the background while pairs are scored and clustered.
    # Built from the written keys, an index costs the server about a third of the CPU the
    # writes spend keeping one up to date (docs/performance.md, "Blocking keys indexed
    # after they are written"). Made after the whole run instead, the run waited for the
    # build (0.65 s of 4.95 s on the pseudopeople town).
    writer.setup_schema(Schema(unique=(), indexes=[Key("Customer", p) for p in props]))
    writer.write("blocking_keys_keep", names=props)
    lap("block keys")

    cand = candidate_pairs(cols, model.rules, settings.block_cap, groups)
    left, right = cand.left, cand.right
    out.candidate_pairs = len(left)
    out.skipped_blocks = sum(cand.skipped_blocks.values())
    out.skipped_pairs = sum(cand.skipped_pairs.values())
    say(
        f"{n:,} records, {out.sparse:,} sparse, {len(left):,} candidate pairs "
        f"({out.skipped_blocks:,} blocks over {settings.block_cap} records skipped)"
    )
    lap("block")

    pairs_total(len(left))
    levels, logits = score_pairs(
        model,
        cols,
        left,
        right,
        workers=settings.resolve_workers,
        chunk=settings.score_chunk,
        on_chunk=pairs_scored,
    )
    prob = np.round(probability(logits), DECIMALS)
    # Pairs in one component that no rule put together: scored too, so that linkage works
    # on probabilities, not on gaps.
    position = pd.Series(np.arange(n), index=ids)
    decisions = decision_pairs(decided, position)
    more_left, more_right = pairs_to_complete(
        settings, left, right, prob, sparse, decisions, groups
    )
    out.completed_pairs = len(more_left)
    if len(more_left):
        pairs_total(len(left) + len(more_left))
        more_levels, more_logits = score_pairs(
            model, cols, more_left, more_right, workers=1, on_chunk=pairs_scored
        )
        left, right = np.r_[left, more_left], np.r_[right, more_right]
        levels = np.vstack([levels, more_levels])
        logits = np.r_[logits, more_logits]
        prob = np.r_[prob, np.round(probability(more_logits), DECIMALS)]
    lap("score")
    # What the graph holds now is read first; then the edges are queued, so the store
    # writes them while clustering runs.
    previous = {r["customerId"]: r["profileId"] for r in memberships}
    created = {r["profileId"]: r["createdAt"] or "" for r in memberships}
    stored_now = None
    if memberships:  # a re-run: write only what changed
        stored_now = Stored(
            confidence={r["customerId"]: r["confidence"] for r in memberships},
            profiles=stored_profiles(store, None),
        )
    now = now_iso()
    run_id = f"{now}/{model.version}"
    keep = np.flatnonzero(prob >= settings.match_floor)
    edges = {(str(r["a"]), str(r["b"])): r for r in store.read("match_pairs")}
    # A first run: every profile, membership and match edge is new (app/resolution/firstrun.py).
    first = store.has_bulk_path and not memberships and not edges
    if first:
        writer.keep(HELD)
    version = model.version
    kept: set[tuple[str, str]] = set()
    fresh = keep  # no edge in the graph: every pair is new, and none is stale
    if edges:
        pairs = [_ordered(str(ids[left[i]]), str(ids[right[i]])) for i in keep]
        kept = set(pairs)
        fresh = np.array(
            [
                i
                for i, pair in zip(keep, pairs, strict=True)
                if (was := edges.get(pair)) is None
                or was["probability"] != float(prob[i])
                or was["modelVersion"] != version
            ],
            dtype=np.int64,
        )
    rows = match_rows(
        model,
        cols,
        ids,
        left[fresh],
        right[fresh],
        levels[fresh],
        logits[fresh],
        prob[fresh],
        run_id,
        now,
    )
    writer.put("upsert_matches", rows)
    if first:
        # The match edges go now, while the records are clustered; the profiles and their
        # memberships once placed.
        writer.bulk(*bulk_tables(writer.held))
        writer.keep(HELD)
    stale = [
        {"a": a, "b": b}
        for (a, b), r in edges.items()
        if (a, b) not in kept and r["status"] == "auto"
    ]
    writer.put("delete_matches", stale)
    out.match_edges = len(keep)  # distinct pairs: the candidates and the completed ones
    out.edges_written = len(rows)
    out.edges_deleted = len(stale)
    lap("edges")
    # Clustering needs none of these: let go, they were ~1 GB at a million records (the match
    # rows with their explanations, the pairs by key), alive while clustering took its peak.
    del rows, kept, fresh, stale, edges

    against = model.against(levels)
    del levels, logits
    placement = place(
        store,
        settings,
        records,
        left,
        right,
        prob,
        sparse=sparse,
        against=against,
        decisions=decisions,
        previous=previous,
        created=created,
        stored=stored_now,
        writer=writer,
        ids_used=ids_used,
        exclusive=one_to_one_of(groups, model, settings),
    )
    if first:
        writer.bulk(*bulk_tables(writer.held))
    out.profiles = len(placement.clusters)
    out.churn = placement.churn
    out.capped_components = len(placement.capped)
    if placement.capped:
        say(
            f"{len(placement.capped)} components over {settings.component_cap} records were "
            "cut along their weakest pairs before linkage"
        )
    lap("cluster")
    return placement


def _ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)

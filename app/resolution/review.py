"""The stewards' review queue and whole-cluster review, for GraphQL, the CLI and the steward
desk alike: which pairs to look at (filtered by probability band, decision, source and
profile size, most uncertain first, with the total), and every edge of one profile."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.errors import InputError
from app.settings import Settings
from app.store import GraphStore


@dataclass(frozen=True)
class ReviewFilter:
    min_probability: float = 0.2
    max_probability: float = 0.8
    decided: bool | None = False  # False: undecided pairs; True: decided ones; None: both
    sources: tuple[str, ...] | None = None  # a record of the pair from one of these
    min_size: int | None = None  # the larger profile of the pair's two records
    max_size: int | None = None

    @classmethod
    def of(cls, settings: Settings, **given: Any) -> ReviewFilter:
        """A filter from optional arguments (None: the default), checked."""
        values = {k: v for k, v in given.items() if v is not None}
        if "decided" in given:
            values["decided"] = given["decided"]
        if values.get("sources") is not None:
            values["sources"] = tuple(values["sources"])
        out = cls(
            **{
                "min_probability": settings.review_min,
                "max_probability": settings.review_max,
                **values,
            }
        )
        out.check()
        return out

    def check(self) -> None:
        for name, p in (
            ("minProbability", self.min_probability),
            ("maxProbability", self.max_probability),
        ):
            if not 0.0 <= p <= 1.0:
                raise InputError(f"{name} must be between 0 and 1, not {p}")
        if self.min_probability > self.max_probability:
            raise InputError(
                f"minProbability ({self.min_probability}) is above maxProbability "
                f"({self.max_probability})"
            )
        for name, n in (("minClusterSize", self.min_size), ("maxClusterSize", self.max_size)):
            if n is not None and n < 1:
                raise InputError(f"{name} must be at least 1, not {n}")
        if (
            self.min_size is not None
            and self.max_size is not None
            and self.min_size > self.max_size
        ):
            raise InputError(
                f"minClusterSize ({self.min_size}) is above maxClusterSize ({self.max_size})"
            )
        if self.sources is not None and not self.sources:
            raise InputError("sources is empty; leave it out for every source")


@dataclass(frozen=True)
class QueuePage:
    rows: list[dict[str, Any]]  # {a, b, size, props}: the pair, its larger profile's size, edge
    has_next: bool
    total: int  # every pair the filter selects


def queue(
    store: GraphStore,
    where: ReviewFilter,
    size: int,
    after: tuple[float, str, str] | None = None,
) -> QueuePage:
    """Pairs to review, most uncertain first (closest to 0.5, then by a and b), after the
    pair (probability, a, b) that ended the previous page."""
    after_p, after_a, after_b = after if after else (None, None, None)
    row = store.read_one(
        "review_queue",
        min=where.min_probability,
        max=where.max_probability,
        decided=where.decided,
        sources=list(where.sources) if where.sources is not None else None,
        minSize=where.min_size,
        maxSize=where.max_size,
        limit=size + 1,
        afterP=after_p,
        afterA=after_a,
        afterB=after_b,
    )
    page = list(row["page"]) if row else []
    return QueuePage(page[:size], len(page) > size, int(row["total"]) if row else 0)


@dataclass(frozen=True)
class ClusterEdge:
    a: str  # the smaller customerId
    b: str
    props: dict[str, Any]
    inside: bool  # both records in the profile
    other_profile: str | None  # outside: the profile the other record is in


def profile_edges(store: GraphStore, profile_id: str, min_probability: float) -> list[ClusterEdge]:
    """Every edge of the profile's records at or above `min_probability` and every decided
    one: inside first, then by probability (highest first), then by pair."""
    out: dict[tuple[str, str], ClusterEdge] = {}
    for r in store.read("profile_edges", profileId=profile_id, min=min_probability):
        member, other = str(r["member"]), str(r["other"])
        a, b = (member, other) if member <= other else (other, member)
        inside = r["otherProfile"] == profile_id
        out[(a, b)] = ClusterEdge(
            a, b, dict(r["match"]), inside, None if inside else r["otherProfile"]
        )
    return sorted(
        out.values(),
        key=lambda e: (not e.inside, -(e.props.get("probability") or 0.0), e.a, e.b),
    )

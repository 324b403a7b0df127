"""Identifier types that mappings declare (a national ID, a loyalty number...), kept in the
graph as `(:IdentifierType {name, compare})` so resolution knows how to compare each: `exact`
(equal keys only) or `typo` (keys a typing slip apart may still be the same)."""

from __future__ import annotations

from app.errors import ConfigError
from app.ingestion.mapping import Mapping
from app.store import GraphStore


def identifier_types(store: GraphStore) -> dict[str, str]:
    """Every declared identifier type and its compare kind."""
    return {str(r["name"]): str(r["compare"]) for r in store.read("identifier_types")}


def register_identifier_types(store: GraphStore, mapping: Mapping) -> dict[str, str]:
    """Merge the mapping's identifier types into the registry before anything loads; a type
    the graph already knows with another compare kind refuses the mapping. Returns the whole
    registry."""
    known = identifier_types(store)
    clashes = [
        f"{name!r} is declared '{compare}' in {mapping.origin} but the graph already has "
        f"it as '{known[name]}'"
        for name, compare in mapping.identifiers.items()
        if name in known and known[name] != compare
    ]
    if clashes:
        raise ConfigError(
            f"identifier type {'; '.join(clashes)}: declare it with the same compare kind, "
            "or give the new identifier another type name; nothing was loaded"
        )
    new = [{"name": n, "compare": c} for n, c in mapping.identifiers.items() if n not in known]
    if new:
        merged = {str(r["name"]): str(r["compare"]) for r in _merge(store, new)}
        # Another load may have declared the same type in between: its kind counts.
        raced = {n: c for n, c in merged.items() if mapping.identifiers[n] != c}
        if raced:
            raise ConfigError(
                f"identifier type(s) {', '.join(sorted(raced))} were declared with another "
                f"compare kind by a concurrent load ({raced}); nothing was loaded"
            )
    return {**known, **mapping.identifiers}


def _merge(store: GraphStore, rows: list[dict[str, str]]) -> list[dict[str, object]]:
    rows_back, _ = store.run_text(
        store.cypher("merge_identifier_types"), {"rows": rows}, write=True
    )
    return rows_back

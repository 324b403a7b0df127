"""What mappings declare beyond the canonical fields, kept in the graph so that resolution
knows how to compare each: identifier types (a national ID, a loyalty number...) as
`(:IdentifierType {name, compare})` and compared attributes (an occupation...) as
`(:ComparedAttribute {name, compare})`. `exact`: equal values only; `typo`: values a typing
slip apart may still be the same."""

from __future__ import annotations

from dataclasses import dataclass

from app.errors import ConfigError
from app.ingestion.mapping import Mapping
from app.store import GraphStore


@dataclass(frozen=True)
class Registry:
    noun: str  # as messages name one
    read: str  # the query listing the registry (name, compare)
    merge: str  # the query merging rows of name, compare into it


IDENTIFIER_TYPES = Registry("identifier type", "identifier_types", "merge_identifier_types")
COMPARED_ATTRIBUTES = Registry(
    "compared attribute", "compared_attributes", "merge_compared_attributes"
)


def declared(store: GraphStore, registry: Registry) -> dict[str, str]:
    """Every name in the registry and its compare kind."""
    return {str(r["name"]): str(r["compare"] or "exact") for r in store.read(registry.read)}


def identifier_types(store: GraphStore) -> dict[str, str]:
    """Every declared identifier type and its compare kind."""
    return declared(store, IDENTIFIER_TYPES)


def compared_attributes(store: GraphStore) -> dict[str, str]:
    """Every attribute a mapping has declared compared, and its compare kind."""
    return declared(store, COMPARED_ATTRIBUTES)


def register(
    store: GraphStore, registry: Registry, names: dict[str, str], origin: str
) -> dict[str, str]:
    """Merge a mapping's names (name -> compare) into the registry before anything loads; a
    name the graph already knows with another compare kind refuses the mapping. Returns the
    whole registry."""
    known = declared(store, registry)
    clashes = [
        f"{name!r} is declared '{compare}' in {origin} but the graph already has "
        f"it as '{known[name]}'"
        for name, compare in names.items()
        if name in known and known[name] != compare
    ]
    if clashes:
        raise ConfigError(
            f"{registry.noun} {'; '.join(clashes)}: declare it with the same compare kind, "
            f"or give it another name; nothing was loaded"
        )
    new = [{"name": n, "compare": c} for n, c in names.items() if n not in known]
    if new:
        rows, _ = store.run_text(store.cypher(registry.merge), {"rows": new}, write=True)
        merged = {str(r["name"]): str(r["compare"]) for r in rows}
        # Another load may have declared the same name in between: its kind counts.
        raced = {n: c for n, c in merged.items() if names[n] != c}
        if raced:
            raise ConfigError(
                f"{registry.noun}(s) {', '.join(sorted(raced))} were declared with another "
                f"compare kind by a concurrent load ({raced}); nothing was loaded"
            )
    return {**known, **names}


def register_declared(store: GraphStore, mapping: Mapping) -> dict[str, str]:
    """`register` a customer mapping's compared attributes and identifier types; returns
    every identifier type the graph knows."""
    if mapping.compare_attributes:
        register(store, COMPARED_ATTRIBUTES, mapping.compare_attributes, mapping.origin)
    return register(store, IDENTIFIER_TYPES, mapping.identifiers, mapping.origin)

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


def registered(store: GraphStore, registry: Registry) -> dict[str, str]:
    """Every name in the registry and its compare kind."""
    return {str(r["name"]): str(r["compare"] or "exact") for r in store.read(registry.read)}


def identifier_types(store: GraphStore) -> dict[str, str]:
    """Every declared identifier type and its compare kind."""
    return registered(store, IDENTIFIER_TYPES)


def compared_attributes(store: GraphStore) -> dict[str, str]:
    """Every attribute a mapping has declared compared, and its compare kind."""
    return registered(store, COMPARED_ATTRIBUTES)


def register_declared(store: GraphStore, mapping: Mapping) -> dict[str, str]:
    """Merge a customer mapping's compared attributes and identifier types into their
    registries before anything loads. A name the graph already knows with another compare
    kind refuses the mapping, before either registry is written. Returns every identifier
    type the graph knows."""
    declared_now = (
        (COMPARED_ATTRIBUTES, mapping.compare_attributes),
        (IDENTIFIER_TYPES, mapping.identifiers),
    )
    known = [registered(store, registry) for registry, _ in declared_now]
    clashes = [
        f"{registry.noun} {name!r} is declared '{compare}' in {mapping.origin} but the graph "
        f"already has it as '{had[name]}'"
        for (registry, names), had in zip(declared_now, known, strict=True)
        for name, compare in names.items()
        if name in had and had[name] != compare
    ]
    if clashes:
        raise ConfigError(
            f"{'; '.join(clashes)}: declare it with the same compare kind, or give it another "
            "name; nothing was loaded"
        )
    for (registry, names), had in zip(declared_now, known, strict=True):
        new = [{"name": n, "compare": c} for n, c in names.items() if n not in had]
        if not new:
            continue
        rows, _ = store.run_text(store.cypher(registry.merge), {"rows": new}, write=True)
        # Another load may have declared the same name in between: its kind counts.
        raced = {r["name"]: r["compare"] for r in rows if names[str(r["name"])] != r["compare"]}
        if raced:
            raise ConfigError(
                f"{registry.noun}(s) {', '.join(sorted(raced))} were declared with another "
                f"compare kind by a concurrent load ({raced}); nothing was loaded"
            )
    _, identifiers_known = known
    return {**identifiers_known, **mapping.identifiers}

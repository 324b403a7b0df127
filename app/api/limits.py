"""What a GraphQL document may ask for, computed from the document alone before anything runs
(and before validation, whose overlapping-fields check is quadratic in repeated fields):
depth, fields per selection (aliases included) and cost. Cost counts every field once per
item of every list above it: a connection's `first` (capped like the resolvers cap it), a
known bound for lists that have one, an estimate for the rest."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
)

from app.api.inputs import MAX_PAGE

# Lists with a bound of their own (the rest cost `list_estimate` items).
LIST_BOUNDS: dict[tuple[str, str], int] = {
    ("Household", "members"): 12,  # max_household_size
    ("Household", "metrics"): 12,
    # A record's identifiers and assets: a few each (an estimate, as for other lists).
    **dict.fromkeys(
        (("Customer", k) for k in ("emails", "phones", "addresses", "accounts", "devices")), 5
    ),
}


class TooComplex(Exception):
    """A document over a limit; the message names the limit and the figure."""


@dataclass
class Measure:
    depth: int = 0
    cost: int = 0
    widest: int = 0


def _unwrap(t: Any) -> tuple[Any, bool]:
    """The named type under NonNull/List wrappers, and whether a list was among them."""
    is_list = False
    while isinstance(t, GraphQLNonNull | GraphQLList):
        if isinstance(t, GraphQLList):
            is_list = True
        t = t.of_type
    return t, is_list


def _first(field: FieldNode, variables: Mapping[str, Any], default: Any) -> int:
    for arg in field.arguments or ():
        if arg.name.value != "first":
            continue
        value = arg.value
        if isinstance(value, IntValueNode):
            return max(0, min(int(value.value), MAX_PAGE))
        if isinstance(value, VariableNode):
            raw = variables.get(value.name.value)
            if isinstance(raw, int) and not isinstance(raw, bool):
                return max(0, min(raw, MAX_PAGE))
        return MAX_PAGE
    return max(0, min(default, MAX_PAGE)) if isinstance(default, int) else MAX_PAGE


def measure(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode | None,
    variables: Mapping[str, Any] | None,
    list_estimate: int,
    stop_at: int,
) -> Measure:
    """Depth, cost and widest selection of the operation to run (the only one, or the named
    one). Stops counting once cost passes stop_at: the answer is then "too much" anyway."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    out = Measure()
    if operation is None:
        return out
    root = {
        OperationType.QUERY: schema.query_type,
        OperationType.MUTATION: schema.mutation_type,
        OperationType.SUBSCRIPTION: schema.subscription_type,
    }[operation.operation]
    vars_ = variables or {}

    def walk(
        selection_set: SelectionSetNode,
        parent: Any,
        depth: int,
        factor: int,
        pending: int | None,
        seen: frozenset[str],
    ) -> None:
        fields = 0
        # Each selection carries the fragments it was reached through: a fragment inside
        # itself is a cycle (validation refuses it); the same fragment elsewhere counts again.
        stack = [(sel, seen) for sel in selection_set.selections]
        while stack:
            sel, via = stack.pop()
            if isinstance(sel, FragmentSpreadNode):
                name = sel.name.value
                frag = fragments.get(name)
                if frag is None or name in via:
                    continue
                stack.extend((s, via | {name}) for s in frag.selection_set.selections)
                continue
            if isinstance(sel, InlineFragmentNode):
                stack.extend((s, via) for s in sel.selection_set.selections)
                continue
            assert isinstance(sel, FieldNode)
            fields += 1
            out.depth = max(out.depth, depth)
            out.cost += factor
            if out.cost > stop_at:
                return
            if sel.selection_set is None:
                continue
            name = sel.name.value
            fdef = parent.fields.get(name) if isinstance(parent, GraphQLObjectType) else None
            if fdef is None:
                walk(sel.selection_set, None, depth + 1, factor, None, via)
                continue
            named, is_list = _unwrap(fdef.type)
            child_pending = None
            items = 1
            if isinstance(named, GraphQLObjectType) and "edges" in named.fields:
                arg = fdef.args.get("first")
                child_pending = _first(sel, vars_, arg.default_value if arg else None)
            if is_list:
                if pending is not None and name == "edges":
                    items = pending
                else:
                    items = LIST_BOUNDS.get((parent.name, name), list_estimate)
            walk(sel.selection_set, named, depth + 1, factor * max(items, 1), child_pending, via)
            if out.cost > stop_at:
                return
        out.widest = max(out.widest, fields)

    walk(operation.selection_set, root, 1, 1, None, frozenset())
    return out


def check(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode | None,
    variables: Mapping[str, Any] | None,
    *,
    max_depth: int,
    max_cost: int,
    max_fields: int,
    list_estimate: int,
) -> Measure:
    """The document's measure, or TooComplex naming the first limit it breaks."""
    m = measure(schema, document, operation, variables, list_estimate, max_cost)
    if m.depth > max_depth:
        raise TooComplex(f"the query is {m.depth} fields deep; at most {max_depth}")
    if m.widest > max_fields:
        raise TooComplex(
            f"a selection holds {m.widest} fields (aliases included); at most {max_fields}"
        )
    if m.cost > max_cost:
        raise TooComplex(
            f"the query could return more than {max_cost:,} values (lists times the fields "
            "under them, with `first` or an estimate per list); ask for fewer items or fields"
        )
    return m

"""Relay connections for the API's forward-paged lists: one page of nodes with their cursors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphene import relay

from app.api.inputs import page_info


def connection[C: relay.Connection](
    kind: type[C], nodes: Sequence[Any], cursors: list[str], after: str | None, has_next: bool
) -> C:
    """A page of `kind`: each node with its cursor (same order), and page info for paging on
    after the last one."""
    edges = [kind.Edge(node=n, cursor=c) for n, c in zip(nodes, cursors, strict=True)]
    return kind(edges=edges, page_info=page_info(after, cursors, has_next))

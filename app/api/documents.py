"""GraphQL documents parsed, validated and checked for access once per text: clients send the
same few documents again and again, and parsing plus validation was ~5 ms of CPU a request
(docs/performance.md, "API under load"). Only documents that parsed are kept; what depends on
the request (variables, the cost limits, the root names) is still worked out per request."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse, validate

MAX_DOCUMENTS = 512  # distinct texts kept (each at most max_query_tokens tokens)


@dataclass
class Document:
    """One parsed document and what was found out about it."""

    document: DocumentNode
    invalid: list[GraphQLError] | None = None  # None: not validated yet
    # capabilities of an identity -> what of the document it may not reach
    refused: dict[frozenset[str], list[str]] = field(default_factory=dict)

    def validated(self, schema: GraphQLSchema, rules: list[type]) -> list[GraphQLError]:
        if self.invalid is None:
            self.invalid = validate(schema, self.document, rules)
        return self.invalid

    def refused_for(
        self, capabilities: frozenset[str], check: Callable[[], list[str]]
    ) -> list[str]:
        found = self.refused.get(capabilities)
        if found is None:
            found = self.refused[capabilities] = check()
        return found


class DocumentCache:
    """The most recently used documents by their text (least recently used dropped first)."""

    def __init__(self, size: int = MAX_DOCUMENTS) -> None:
        self._size = size
        self._found: OrderedDict[tuple[str, int], Document] = OrderedDict()
        self._lock = threading.Lock()  # the pages may run documents from worker threads

    def get(self, text: str, max_tokens: int) -> Document | None:
        """The document of this text if it is kept."""
        with self._lock:
            found = self._found.get((text, max_tokens))
            if found is not None:
                self._found.move_to_end((text, max_tokens))
            return found

    def parsed(self, text: str, max_tokens: int, check: Callable[[DocumentNode], None]) -> Document:
        """The document of this text; parse errors (GraphQLError) and check's errors are
        raised and nothing is kept."""
        key = (text, max_tokens)
        found = self.get(text, max_tokens)
        if found is not None:
            return found
        document = parse(text, max_tokens=max_tokens)
        check(document)
        found = Document(document)
        with self._lock:
            self._found[key] = found
            while len(self._found) > self._size:
                self._found.popitem(last=False)
        return found

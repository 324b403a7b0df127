"""How errors reach a client: a code in extensions; details of failures only in the log."""

from __future__ import annotations

import logging

import pytest
from graphql import GraphQLError

from app.api.errors import BadUserInput, NotFound, format_error
from app.errors import (
    ConfigError,
    InputError,
    StoreConflict,
    StoreError,
    StoreTimeout,
    StoreUnavailable,
)


def _raised(exc: Exception) -> GraphQLError:
    return GraphQLError(str(exc), path=["customer"], original_error=exc)


@pytest.mark.parametrize(
    ("exc", "code", "shown"),
    [
        (BadUserInput("give exactly one"), "BAD_USER_INPUT", "give exactly one"),
        (NotFound("no profile p-1"), "NOT_FOUND", "no profile p-1"),
        (InputError("bad file"), "BAD_USER_INPUT", "bad file"),
        (StoreError("FalkorDB refused: MATCH (secret)"), "STORE_UNAVAILABLE", "unavailable"),
        (StoreUnavailable("Neo4j at bolt://db is unreachable"), "STORE_UNAVAILABLE", "unavailable"),
        (StoreTimeout("a Neo4j query ran past 600 s"), "STORE_TIMEOUT", "ran too long"),
        (StoreConflict("Duplicated key [x]"), "CONFLICT", "got there first"),
        (ConfigError("password wrong"), "INTERNAL", "Internal server error"),
        (RuntimeError("boom at /srv/app.py"), "INTERNAL", "Internal server error"),
    ],
)
def test_codes_and_messages(exc: Exception, code: str, shown: str, caplog) -> None:
    with caplog.at_level(logging.ERROR, logger="app.api.errors"):
        out = format_error(_raised(exc))
    assert out["extensions"]["code"] == code
    assert shown in out["message"]
    assert out["path"] == ["customer"]
    if code in ("INTERNAL", "STORE_UNAVAILABLE", "STORE_TIMEOUT", "CONFLICT"):
        assert str(exc) not in out["message"]
        assert caplog.records and caplog.records[0].exc_info  # the operator gets the trace
    else:
        assert not caplog.records


def test_graphql_core_errors() -> None:
    coercion = GraphQLError("Variable '$id' of required type 'ID!' was not provided.")
    assert format_error(coercion)["extensions"]["code"] == "BAD_USER_INPUT"
    in_result = GraphQLError("Cannot return null for non-nullable field.", path=["a"])
    assert format_error(in_result)["extensions"]["code"] == "INTERNAL"

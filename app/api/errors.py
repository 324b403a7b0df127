"""API errors and how every error is shown to a client: a message and `extensions.code`."""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError

from app.errors import IdGraphError, InputError, StoreConflict, StoreError, StoreTimeout

log = logging.getLogger(__name__)

INTERNAL = "INTERNAL"
BAD_USER_INPUT = "BAD_USER_INPUT"
NOT_FOUND = "NOT_FOUND"
STORE_UNAVAILABLE = "STORE_UNAVAILABLE"
STORE_TIMEOUT = "STORE_TIMEOUT"
CONFLICT = "CONFLICT"
GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
BAD_REQUEST = "BAD_REQUEST"
FAILED_PRECONDITION = "FAILED_PRECONDITION"
UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
RATE_LIMITED = "RATE_LIMITED"
QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
TIMEOUT = "TIMEOUT"

# What a client sees instead of details that help only an operator (they go to the log).
INTERNAL_MESSAGE = "Internal server error; the details are in the service's log."
STORE_MESSAGE = "The graph store is unavailable; try again shortly."
TIMEOUT_MESSAGE = "The graph store stopped a query that ran too long; narrow the request."
CONFLICT_MESSAGE = "Another change got there first; read again and retry."


# Codes whose details help only an operator: logged with the trace, shown with these words.
_HIDDEN = {
    INTERNAL: INTERNAL_MESSAGE,
    STORE_UNAVAILABLE: STORE_MESSAGE,
    STORE_TIMEOUT: TIMEOUT_MESSAGE,
    CONFLICT: CONFLICT_MESSAGE,
}


class ApiError(IdGraphError):
    """An error raised on purpose while answering a request; `code` goes to extensions.code."""

    code = INTERNAL


class BadUserInput(ApiError):
    """An argument the caller can fix (wrong combination, malformed value or cursor)."""

    code = BAD_USER_INPUT


class FailedPrecondition(ApiError):
    """The service is not set up for this yet (e.g. no match model trained); the message
    says what to do."""

    code = FAILED_PRECONDITION


class Forbidden(ApiError):
    """The signed-in identity's roles do not allow this (or not on this person)."""

    code = FORBIDDEN


class NotFound(ApiError):
    """The caller named something that does not exist where it must."""

    code = NOT_FOUND


def error_code(exc: BaseException | None) -> str:
    """The extensions.code for an exception raised while resolving a field."""
    if isinstance(exc, ApiError):
        return exc.code
    if isinstance(exc, StoreTimeout):
        return STORE_TIMEOUT
    if isinstance(exc, StoreConflict):
        return CONFLICT
    if isinstance(exc, StoreError):
        return STORE_UNAVAILABLE
    if isinstance(exc, InputError):
        return BAD_USER_INPUT
    return INTERNAL


def format_error(error: GraphQLError) -> dict[str, Any]:
    """A GraphQL error as JSON. Our own user-facing errors keep their message; store and
    unexpected failures are logged with their stack trace and shown with a generic one."""
    out: dict[str, Any] = dict(error.formatted)
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        # graphql-core's own errors (argument or variable coercion, a null in a non-null
        # field) carry no original exception: input problems unless they hit a result path.
        code = (error.extensions or {}).get("code") or (
            INTERNAL if error.path is not None else BAD_USER_INPUT
        )
    else:
        code = error_code(original)
        if code in _HIDDEN:
            log.error(
                "error resolving %s",
                ".".join(str(p) for p in error.path or []),
                exc_info=original,
            )
            out["message"] = _HIDDEN[code]
    out["extensions"] = {**(error.extensions or {}), "code": code}
    return out


def request_error(message: str, code: str) -> dict[str, Any]:
    """An error about the request as a whole (no location, no path)."""
    return {"message": message, "extensions": {"code": code}}

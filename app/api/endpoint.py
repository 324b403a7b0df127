"""GraphQL over HTTP: GET and POST on one route, GraphiQL for browsers.

Starlette has no GraphQL app of its own, so this is a small one around graphql-core's
parse / validate / execute on the graphene schema. It parses the document itself (instead of
graphene's `schema.execute_async`, which would parse again) so it can refuse a mutation sent
over GET before anything runs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from inspect import isawaitable
from typing import Any, cast

import anyio
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLSchema,
    MiddlewareManager,
    NoSchemaIntrospectionCustomRule,
    OperationType,
    StringValueNode,
    Visitor,
    execute,
    get_operation_ast,
    specified_rules,
    visit,
)
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from app.api import limits
from app.api.access import AccessMiddleware, RequestAccess, refused_fields, root_names
from app.api.auth import identity_of
from app.api.documents import DocumentCache
from app.api.errors import (
    BAD_REQUEST,
    BAD_USER_INPUT,
    FORBIDDEN,
    GRAPHQL_PARSE_FAILED,
    GRAPHQL_VALIDATION_FAILED,
    INTERNAL,
    INTERNAL_MESSAGE,
    METHOD_NOT_ALLOWED,
    QUERY_TOO_COMPLEX,
    TIMEOUT,
    format_error,
    request_error,
)
from app.api.graphiql import graphiql_page
from app.api.loaders import RequestContext
from app.api.schema import schema as default_schema
from app.settings import Settings
from app.store.base import read_deadline

log = logging.getLogger(__name__)

_JSON_TYPES = ("application/json", "application/graphql-response+json")
_SAFE_METHODS = ("GET", "HEAD")
MAX_BODY_BYTES = 1 << 20  # a GraphQL document with variables; far more is a mistake or abuse
# The deepest input of the schema (a metric definition's `where`) nests 3 levels; a JSON
# parser (and every walk over the value after it) must not be taken 100,000 levels down.
MAX_VARIABLES_DEPTH = 32
# A document text longer than this is parsed in a worker thread the first time it comes
# (the 360 documents are ~600 to 1,100 characters; 100 aliased fields ~12,000 took ~0.1 s).
PARSE_ON_LOOP_CHARS = 4000


class _RequestProblem(Exception):
    """A request that cannot be run as GraphQL; becomes one error with a status."""

    def __init__(self, message: str, code: str, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def _accept_q(accept: str) -> dict[str, float]:
    """Media ranges of an Accept header with their q values."""
    out: dict[str, float] = {}
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if not media:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        out[media.lower()] = max(q, out.get(media.lower(), 0.0))
    return out


def prefers_html(accept: str) -> bool:
    """True for a browser navigating here: text/html asked for explicitly and ranked above
    JSON (a bare */* or no Accept means an API client)."""
    q = _accept_q(accept)
    html = q.get("text/html", 0.0)
    json_q = max([q.get(t, 0.0) for t in (*_JSON_TYPES, "application/*", "*/*")])
    return html > 0 and html > json_q


def _graphql_params(data: Any) -> tuple[str, dict[str, Any] | None, str | None]:
    if not isinstance(data, dict):
        raise _RequestProblem(
            "send a JSON object {query, variables, operationName}", BAD_REQUEST, 400
        )
    query, variables, operation = (
        data.get("query"),
        data.get("variables"),
        data.get("operationName"),
    )
    if not isinstance(query, str) or not query.strip():
        raise _RequestProblem("no GraphQL query: send it in 'query'", BAD_REQUEST, 400)
    if isinstance(variables, str) and variables.strip():
        try:
            variables = json.loads(variables)
        except ValueError as exc:
            raise _RequestProblem(f"'variables' is not JSON: {exc}", BAD_REQUEST, 400) from exc
        except RecursionError:
            raise _too_deep() from None
    if variables in ("", None):
        variables = None
    elif not isinstance(variables, dict):
        raise _RequestProblem("'variables' must be a JSON object", BAD_REQUEST, 400)
    else:
        _check_variables(variables)
    if operation in ("", None):
        operation = None
    elif not isinstance(operation, str):
        raise _RequestProblem("'operationName' must be a string", BAD_REQUEST, 400)
    return query, variables, operation


async def _read_params(request: Request) -> tuple[str, dict[str, Any] | None, str | None]:
    if request.method in _SAFE_METHODS:
        return _graphql_params(dict(request.query_params))
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ("application/json", ""):
        raise _RequestProblem(
            f"send the query as application/json, not {content_type}", BAD_REQUEST, 415
        )
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise _RequestProblem(
                f"the request body is over {MAX_BODY_BYTES} bytes", BAD_REQUEST, 413
            )
    try:
        data = json.loads(bytes(body))
    except ValueError as exc:
        raise _RequestProblem(f"the body is not JSON: {exc}", BAD_REQUEST, 400) from exc
    except RecursionError:
        raise _too_deep() from None
    return _graphql_params(data)


def _too_deep() -> _RequestProblem:
    return _RequestProblem(
        f"the variables nest deeper than {MAX_VARIABLES_DEPTH} levels", BAD_REQUEST, 400
    )


def _check_variables(variables: dict[str, Any]) -> None:
    """Variables nested at most MAX_VARIABLES_DEPTH deep, with no NUL byte in any text or
    name (app/values.py): refused before anything runs."""
    stack: list[tuple[str, Any, int]] = [(f"${k}", v, 1) for k, v in variables.items()]
    while stack:
        path, value, depth = stack.pop()
        if depth > MAX_VARIABLES_DEPTH:
            raise _too_deep()
        if isinstance(value, str):
            if "\x00" in value:
                raise _RequestProblem(f"variable {path} contains a NUL byte", BAD_USER_INPUT, 400)
        elif isinstance(value, dict):
            for k, v in value.items():
                if "\x00" in k:
                    raise _RequestProblem(
                        f"variable {path} has a name with a NUL byte", BAD_USER_INPUT, 400
                    )
                stack.append((f"{path}.{k}", v, depth + 1))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", v, depth + 1) for i, v in enumerate(value))


class _NulInLiteral(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: StringValueNode | None = None

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        if self.found is None and "\x00" in node.value:
            self.found = node


def _check_literals(document: DocumentNode) -> None:
    """A string written in the document itself with a NUL byte (`"\\u0000"`) is refused as a
    variable holding one is."""
    finder = _NulInLiteral()
    visit(document, finder)
    if finder.found is not None:
        where = ""
        loc = finder.found.loc
        if loc is not None:
            line = loc.source.get_location(loc.start)
            where = f" at line {line.line}, column {line.column}"
        raise _RequestProblem(f"the string{where} contains a NUL byte", BAD_USER_INPUT, 400)


def _json(payload: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(payload, status_code=status, headers=headers)


def _encode(payload: dict[str, Any]) -> bytes:
    """The JSON of an answer, as JSONResponse writes it."""
    return bytes(JSONResponse(payload).body)


class GraphQLEndpoint:
    """The /graphql route: `Route("/graphql", GraphQLEndpoint().handle)`. Needs app.state.store,
    app.state.settings and app.state.write_lock (the lifespan sets them)."""

    def __init__(self, schema: GraphQLSchema | None = None) -> None:
        self.schema = schema or default_schema.graphql_schema
        self.documents = DocumentCache()
        # One manager for every request: it wraps each resolver once, not once a request.
        self.middleware = MiddlewareManager(AccessMiddleware())

    async def handle(self, request: Request) -> Response:
        if request.method in _SAFE_METHODS and prefers_html(request.headers.get("accept", "")):
            page, status = graphiql_page(
                endpoint=request.url.path, static_url=f"{request.scope.get('root_path', '')}/static"
            )
            return HTMLResponse(page, status_code=status)
        try:
            return await self._run(request)
        except _RequestProblem as problem:
            return _json({"errors": [request_error(str(problem), problem.code)]}, problem.status)
        except Exception:
            log.exception("GraphQL request failed outside any resolver")
            return _json({"errors": [request_error(INTERNAL_MESSAGE, INTERNAL)]}, 500)

    async def _run(self, request: Request) -> Response:
        query, variables, operation_name = await _read_params(request)
        return await self.execute(request, query, variables, operation_name)

    async def execute(
        self,
        request: Request,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> Response:
        """Run one GraphQL document for the request's signed-in identity, with every check
        /graphql makes (limits, validation, access, masks, consent, audit, time budget):
        the pages (app/api/ui.py) run their documents here."""
        try:
            return await self._execute(request, query, variables, operation_name)
        except _RequestProblem as problem:
            return _json({"errors": [request_error(str(problem), problem.code)]}, problem.status)

    async def _execute(
        self,
        request: Request,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
    ) -> Response:
        state = request.app.state
        settings: Settings = state.settings
        identity = identity_of(request)
        try:
            prepared = self.documents.get(query, settings.max_query_tokens)
            if prepared is None:
                parse = partial(
                    self.documents.parsed, query, settings.max_query_tokens, _check_literals
                )
                # A long text takes long to parse (and to check): not on the server's loop.
                long = len(query) > PARSE_ON_LOOP_CHARS
                prepared = await anyio.to_thread.run_sync(parse) if long else parse()
        except GraphQLError as error:
            if "Document contains more than" in error.message:  # the token limit
                return _json({"errors": [_with_code(error, QUERY_TOO_COMPLEX)]}, 400)
            return _json({"errors": [_with_code(error, GRAPHQL_PARSE_FAILED)]}, 400)
        except RecursionError:
            raise _RequestProblem(
                "the document nests too deep", GRAPHQL_PARSE_FAILED, 400
            ) from None
        document = prepared.document
        operation = get_operation_ast(document, operation_name)
        if (
            request.method in _SAFE_METHODS
            and operation is not None
            and operation.operation is not OperationType.QUERY
        ):
            kind = operation.operation.value
            return _json(
                {"errors": [request_error(f"a {kind} must be sent with POST", METHOD_NOT_ALLOWED)]},
                405,
                headers={"Allow": "POST"},
            )
        try:  # before validation, whose cost grows with the square of repeated fields
            measured = limits.check(
                self.schema,
                document,
                operation,
                variables,
                max_depth=settings.max_query_depth,
                max_cost=settings.max_query_cost,
                max_fields=settings.max_aliases,
                list_estimate=settings.list_estimate,
            )
        except limits.TooComplex as exc:
            return _json({"errors": [request_error(str(exc), QUERY_TOO_COMPLEX)]}, 400)
        rules = list(specified_rules)
        if not settings.introspection:
            rules.append(NoSchemaIntrospectionCustomRule)
        heavy = (
            operation is not None
            and operation.operation is OperationType.QUERY
            and measured.cost > settings.heavy_query_cost
        )
        if heavy and prepared.invalid is None:  # a big document's validation takes long too
            await anyio.to_thread.run_sync(prepared.validated, self.schema, rules, limiter=_APART)
        invalid = prepared.validated(self.schema, rules)
        if invalid:
            return _json(
                {"errors": [_with_code(e, GRAPHQL_VALIDATION_FAILED) for e in invalid]}, 400
            )
        check = partial(refused_fields, self.schema, document, identity)
        if heavy and identity.capabilities not in prepared.refused:
            await anyio.to_thread.run_sync(prepared.refused_for, identity.capabilities, check)
        refused = prepared.refused_for(identity.capabilities, check)
        if refused:
            errors = [request_error(f"not allowed for your roles: {r}", FORBIDDEN) for r in refused]
            return _json({"errors": errors}, 403)
        access = RequestAccess(identity, state.store)
        if operation is not None:
            access.root_names = root_names(self.schema, document, operation, variables or {})

        def run() -> Any:
            # The request's loaders belong to the event loop that runs it: made here.
            context = RequestContext.create(
                state.store, settings, identity=identity, write_lock=state.write_lock, access=access
            )
            access.bind(_profile_of(context))
            return execute(
                self.schema,
                document,
                context_value=context,
                variable_values=variables,
                operation_name=operation_name,
                middleware=self.middleware,
            )

        outcome = await run_within_budget(
            request,
            settings.request_timeout_s,
            (lambda: run_apart(run, settings.request_timeout_s)) if heavy else run,
        )
        if outcome is None:  # the client went away: nobody to answer
            return Response(status_code=499)
        if isinstance(outcome, TimeoutError):
            message = (
                f"the request ran past its time budget of {settings.request_timeout_s:g} s "
                "and was stopped; narrow it"
            )
            return _json({"errors": [request_error(message, TIMEOUT)]}, 503)
        result = outcome
        # Unmasked personal data leaves only once its reading is in the audit trail.
        await run_in_threadpool(access.flush, state.store)
        payload: dict[str, Any] = {}
        if result.errors:
            payload["errors"] = [format_error(e) for e in result.errors]
        if result.data is None and all(e.path is None for e in result.errors or []):
            # Nothing ran: variables that do not fit, or no operation to run.
            return _json(payload, 400)
        payload["data"] = result.data
        if heavy:  # its encoding is a long stretch of CPU too
            body = await anyio.to_thread.run_sync(_encode, payload, limiter=_APART)
            return Response(body, status_code=200, media_type="application/json")
        return _json(payload, 200)


def _profile_of(context: RequestContext) -> Any:
    async def profile_of(customer_id: str) -> str | None:
        found = await context.loaders.customer_profiles.load(customer_id)
        return None if found is None else found.profile.id

    return profile_of


@contextmanager
def thread_switch(ms: float) -> Iterator[None]:
    """Python's thread switch interval set to `ms` while the server runs, then put back (unless
    something else changed it meanwhile). A heavy query apart holds the interpreter's lock
    until a waiting thread has asked for it for this long, and a cheap request takes it
    several times (read, execute, answer): at Python's 5 ms, ~20 cheap answers a second got
    through during a heavy query; at 1 ms, ~70 (docs/architecture.md, "Serving")."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(ms / 1000)
    ours = sys.getswitchinterval()
    try:
        yield
    finally:
        if sys.getswitchinterval() == ours:
            sys.setswitchinterval(before)


# Heavy queries run apart at most this many at a time (per server process); more wait.
_APART = anyio.CapacityLimiter(2)


async def run_apart(start: Callable[[], Any], budget_s: float) -> ExecutionResult:
    """Run an execution on an event loop of its own in a worker thread. Python switches
    threads every few milliseconds, so the server's event loop goes on answering other
    requests in between; on the server's loop, completing a big result is one stretch of
    CPU that every other request waited behind (a trivial query waited 8 s, issue 18).
    Queries only: a mutation's locks belong to the server's loop."""

    async def work() -> ExecutionResult:
        result = start()
        if isawaitable(result):
            result = await result
        return cast(ExecutionResult, result)

    def in_thread() -> ExecutionResult:
        # Abandoned when the budget runs out or the client goes; stops by itself too.
        return asyncio.run(asyncio.wait_for(work(), budget_s))

    return await anyio.to_thread.run_sync(in_thread, abandon_on_cancel=True, limiter=_APART)


async def run_within_budget(
    request: Request, budget_s: float, start: Callable[[], Any]
) -> ExecutionResult | TimeoutError | None:
    """Run the execution with a time budget that cancels it (its store reads get what is
    left of the budget as their timeout), and stop it when the client disconnects. None
    when the client went away. Two asyncio tasks, not an anyio task group, whose
    bookkeeping held 4% of the server's samples in a profile of the customer 360."""

    async def work() -> Any:
        token = read_deadline.set(time.monotonic() + budget_s)
        try:
            async with asyncio.timeout(budget_s):
                result = start()
                if isawaitable(result):
                    result = await result
                return result
        except TimeoutError as exc:
            return exc
        finally:
            read_deadline.reset(token)

    async def watch() -> None:
        while True:
            message = await request.receive()
            if message["type"] == "http.disconnect":
                return

    job = asyncio.ensure_future(work())
    watcher = asyncio.ensure_future(watch())
    try:
        await asyncio.wait((job, watcher), return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
        if not job.done():  # the client went away (or this request was cancelled)
            job.cancel()
    if not job.done() or job.cancelled():
        return None
    found = job.result()  # an error the execution raised is raised here
    if isinstance(found, ExecutionResult | TimeoutError):
        return found
    return None


def _with_code(error: GraphQLError, code: str) -> dict[str, Any]:
    out: dict[str, Any] = dict(error.formatted)
    out["extensions"] = {**(error.extensions or {}), "code": code}
    return out

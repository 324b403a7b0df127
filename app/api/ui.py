"""The people's pages (docs/pages.md): search, Profile 360, household, steward desk and the
marketing segment builder. Server-rendered Jinja2 with htmx fragments; every read and change
is a GraphQL document run for the signed-in identity through the /graphql endpoint's own
checks (GraphQLEndpoint.execute): the pages have no side door to the store. Each route's
capability is in app/access/policy.py; sections a role may not read are left out of the
document, so a page never asks for what it would be refused."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from app import desk, profile360
from app.access import policy
from app.access.roles import Identity
from app.api.auth import forbidden, identity_of
from app.api.endpoint import GraphQLEndpoint
from app.errors import InputError
from app.households.dna import METRICS

TEMPLATES = Path(__file__).resolve().parent / "templates"
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
Handler = Callable[[Request], Awaitable[Response]]
MAX_FORM_BYTES = 64 * 1024


class PageError(Exception):
    """A GraphQL answer with errors: shown on the page in words."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


async def run(request: Request, query: str, **variables: Any) -> dict[str, Any]:
    """The data of one GraphQL document, run as /graphql runs it for this identity."""
    endpoint: GraphQLEndpoint = request.app.state.graphql
    response = await endpoint.execute(request, query, variables)
    body = json.loads(bytes(response.body))
    if body.get("errors"):
        message = "; ".join(str(e.get("message")) for e in body["errors"])
        raise PageError(message, response.status_code if response.status_code >= 400 else 400)
    data: dict[str, Any] = body.get("data") or {}
    return data


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    identity = identity_of(request)
    page = _env.get_template(template).render(
        identity=identity, can=lambda cap: identity.can(cap), nav=_nav(identity), **context
    )
    return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store"})


def _nav(identity: Identity) -> list[tuple[str, str]]:
    links = [
        ("/ui", "Search", "read:profiles"),
        ("/ui/desk", "Steward desk", "steward"),
        ("/ui/segments", "Segments", "read:households"),
    ]
    return [(href, label) for href, label, cap in links if identity.can(cap)]


def page(route: str, method: str = "GET") -> Callable[[Handler], Route]:
    """A page route, refused (403) to identities without its capability in the policy."""

    def wrap(handler: Handler) -> Route:
        async def guarded(request: Request) -> Response:
            identity = identity_of(request)
            if not policy.allowed(identity, policy.ROUTE_CAPABILITY[route]):
                return forbidden(identity, f"{method} {route}")
            try:
                return await handler(request)
            except (PageError, InputError) as exc:
                status = getattr(exc, "status", 400)
                return render(request, "error.html", status=status, message=str(exc))

        return Route(route, guarded, methods=[method])

    return wrap


# -- search --------------------------------------------------------------------------------


async def search_page(request: Request) -> Response:
    return render(request, "search.html", text=request.query_params.get("q", ""))


SEARCH = """query($text: String!, $first: Int) { searchProfiles(text: $text, first: $first) {
  totalCount edges { node { score matchedOn profile { id firstName lastName dateOfBirth
  city size sources } } } } }"""


async def search_results(request: Request) -> Response:
    text = request.query_params.get("q", "").strip()
    found = await run(request, SEARCH, text=text, first=20) if text else None
    return render(request, "search_results.html", text=text, found=found)


# -- Profile 360 ---------------------------------------------------------------------------

RECORD = "id source sourceKey firstName lastName dateOfBirth gender updatedAt"


def profile_document(identity: Identity) -> str:
    """The 360 document for what this identity may read."""
    parts = [
        "id status requestedId firstName lastName dateOfBirth email phone street city postcode",
        "size sources minConfidence appliedConfidence materialisedCustomerIds",
        "metrics { name kind value trendPct history { at value } }",
    ]
    if identity.can("read:customers"):
        parts += [
            f"customers {{ {RECORD} emails {{ email }} phones {{ phone }} }}",
            "emails { email } phones { phone } addresses { addressId street city postcode }",
            "accounts { accountId role } devices { deviceId lastSeen }",
            "timeline(first: $first, types: $types, channels: $channels) { totalCount",
            " edges { node { id customerId source type channel occurredAt value } } }",
        ]
        if identity.can("read:matches"):
            parts.append(
                "edges(minProbability: 0.2) { inside otherProfileId match { a { id source } "
                "b { id source } probability status explanation { label level weight } } }"
            )
    if identity.can("read:households"):
        parts.append("householdRole { role reason household { id size } }")
    if identity.can("read:alerts"):
        parts.append("openAlerts { id label message firedAt value threshold }")
    body = "\n    ".join(parts)
    timeline = ", $first: Int, $types: [String!], $channels: [String!]"
    declared = timeline if identity.can("read:customers") else ""
    return f"query($id: ID!{declared}) {{ profile(id: $id) {{\n    {body}\n}} }}"


def _number(raw: str | None) -> float | None:
    if raw in (None, ""):
        return None
    try:
        return float(raw)
    except ValueError:
        raise InputError(f"{raw!r} is not a number") from None


def _list(raw: str | None) -> list[str] | None:
    items = [x.strip() for x in (raw or "").split(",") if x.strip()]
    return items or None


async def profile_page(request: Request) -> Response:
    identity = identity_of(request)
    q = request.query_params
    variables: dict[str, Any] = {"id": request.path_params["profile_id"]}
    if identity.can("read:customers"):
        variables.update(
            first=min(100, int(_number(q.get("first")) or 20)),
            types=_list(q.get("types")),
            channels=_list(q.get("channels")),
        )
    data = await run(request, profile_document(identity), **variables)
    profile = data.get("profile")
    if profile is None:
        raise PageError(f"no profile {request.path_params['profile_id']}", 404)
    records = profile.get("customers") or []
    edges = profile.get("edges") or []
    return render(
        request,
        "profile.html",
        p=profile,
        golden=profile360.golden_sources(profile, records),
        evidence=_evidence(records, edges),
        graph=_graph(profile, records, edges),
        metrics=[_metric(m) for m in profile.get("metrics") or []],
        filters={"types": q.get("types", ""), "channels": q.get("channels", "")},
    )


def _evidence(records: list[dict[str, Any]], edges: list[dict[str, Any]]) -> dict[str, Any]:
    """Per record: the MATCHES edges inside the profile that hold it there, in words."""
    out: dict[str, list[dict[str, Any]]] = {r["id"]: [] for r in records}
    for e in edges:
        if not e["inside"]:
            continue
        m = e["match"]
        a, b = m["a"]["id"], m["b"]["id"]
        for mine, other in ((a, m["b"]), (b, m["a"])):
            if mine in out:
                out[mine].append(
                    {
                        "other": other,
                        "probability": m.get("probability"),
                        "status": m.get("status"),
                        "reasons": desk.explain(m.get("explanation") or []),
                    }
                )
    return out


def _graph(
    profile: dict[str, Any], records: list[dict[str, Any]], edges: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """cytoscape.js elements: the records, their e-mails and phones, and the match edges
    (to records outside dashed)."""
    nodes: dict[str, dict[str, Any]] = {}
    links: list[dict[str, Any]] = []
    for r in records:
        nodes[r["id"]] = {"id": r["id"], "label": r["id"], "kind": "record"}
        for kind, items in (("email", r.get("emails")), ("phone", r.get("phones"))):
            for item in items or []:
                value = item[kind]
                key = f"{kind}:{value}"
                nodes.setdefault(key, {"id": key, "label": value, "kind": kind})
                links.append({"id": f"{r['id']}>{key}", "source": r["id"], "target": key})
    for e in edges:
        m = e["match"]
        for side in (m["a"], m["b"]):
            nodes.setdefault(side["id"], {"id": side["id"], "label": side["id"], "kind": "outside"})
        p = m.get("probability")
        links.append(
            {
                "id": f"{m['a']['id']}~{m['b']['id']}",
                "source": m["a"]["id"],
                "target": m["b"]["id"],
                "label": "steward" if p is None else f"{p:.2f}",
                "kind": "match" if e["inside"] else "near",
                "status": m.get("status"),
            }
        )
    return [{"data": n} for n in nodes.values()] + [{"data": x} for x in links]


def _metric(m: dict[str, Any]) -> dict[str, Any]:
    values = [h["value"] for h in m.get("history") or [] if isinstance(h.get("value"), int | float)]
    pct = m.get("trendPct")
    arrow = "" if pct is None else ("▲" if pct > 0.5 else "▼" if pct < -0.5 else "▶")
    word = "" if pct is None else ("rising" if pct > 0.5 else "falling" if pct < -0.5 else "flat")
    return {**m, "points": sparkline(values), "arrow": arrow, "trend": word}


def sparkline(values: list[float], width: int = 120, height: int = 28) -> str:
    """SVG polyline points for a small history chart (empty for fewer than two values)."""
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = width / (len(values) - 1)
    return " ".join(
        f"{i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}"
        for i, v in enumerate(values)
    )


DIAL = """query($id: ID!, $min: Float) { profile(id: $id, minConfidence: $min) {
  appliedConfidence materialisedCustomerIds customers { id source } } }"""


async def profile_dial(request: Request) -> Response:
    """The confidence dial's fragment: the records at this threshold, and which join or
    leave compared with the stored profile."""
    level = _number(request.query_params.get("minConfidence"))
    data = await run(request, DIAL, id=request.path_params["profile_id"], min=level)
    p = data.get("profile") or {}
    stored = p.get("materialisedCustomerIds") or []
    shown = [c["id"] for c in p.get("customers") or []]
    rows = [{"id": c, "state": "stays" if c in stored else "joins"} for c in shown]
    rows += [{"id": c, "state": "leaves"} for c in stored if c not in shown]
    return render(request, "dial.html", rows=rows, level=level, applied=p.get("appliedConfidence"))


ACKNOWLEDGE = "mutation($id: ID!) { acknowledgeAlert(id: $id) { id status acknowledgedBy } }"


async def acknowledge(request: Request) -> Response:
    data = await run(request, ACKNOWLEDGE, id=request.path_params["alert_id"])
    return render(request, "acknowledged.html", alert=data["acknowledgeAlert"])


# -- household -----------------------------------------------------------------------------


def household_document(identity: Identity) -> str:
    alerts = ""
    if identity.can("read:alerts"):
        alerts = 'alerts(entityId: $id, status: "open") { edges { node { id label message } } }'
    return f"""query($id: ID!) {{ household(id: $id) {{ id status size addressId evidenceKinds
      services decisionMakerId metrics {{ name value history trend }}
      members {{ profileId role reason evidence confidence profile {{ firstName lastName }} }}
    }} {alerts} }}"""


async def household_page(request: Request) -> Response:
    identity = identity_of(request)
    hid = request.path_params["household_id"]
    data = await run(request, household_document(identity), id=hid)
    h = data.get("household")
    if h is None:
        raise PageError(f"no household {hid}", 404)
    shared: dict[str, set[str]] = {}
    for m in h["members"]:
        for item in m["evidence"]:
            kind, _, value = item.partition(":")
            if kind in ("account", "device"):
                shared.setdefault(f"{kind} {value}", set()).add(m["profileId"])
    metrics = []
    for m in h["metrics"]:
        pct = m.get("trend")
        arrow = "" if pct is None else ("▲" if pct > 0 else "▼" if pct < 0 else "▶")
        metrics.append({**m, "points": sparkline(list(m["history"])), "arrow": arrow})
    alerts = [e["node"] for e in (data.get("alerts") or {}).get("edges", [])]
    return render(
        request,
        "household.html",
        h=h,
        metrics=metrics,
        shared={k: sorted(v) for k, v in shared.items() if len(v) > 1},
        alerts=alerts,
    )


# -- steward desk --------------------------------------------------------------------------

DESK_RECORD = f"{RECORD} emails {{ email }} phones {{ phone }} addresses {{ addressId }} " + (
    "profile { id size }"
)
QUEUE = f"""query($first: Int, $min: Float, $max: Float, $decided: Boolean, $sources: [String!]) {{
  reviewQueue(first: $first, minProbability: $min, maxProbability: $max, decided: $decided,
              sources: $sources) {{
    totalCount edges {{ node {{ probability status reason decidedBy
      explanation {{ label level weight }}
      a {{ {DESK_RECORD} }} b {{ {DESK_RECORD} }} }} }} }} }}"""
DECISIONS = ["confirmMatch", "rejectMatch", "mergeProfiles", "splitCustomer"]
AUDIT = """query($first: Int, $actions: [String!]) {
  auditTrail(first: $first, action: $actions) { totalCount edges { node {
  auditId at actor action entityIds reason before after } } } }"""


def desk_filters(params: Mapping[str, str]) -> dict[str, Any]:
    decided = {"undecided": False, "decided": True, "all": None}.get(
        params.get("decided", "undecided"), False
    )
    return {
        "min": _number(params.get("minProbability")),
        "max": _number(params.get("maxProbability")),
        "decided": decided,
        "sources": _list(params.get("sources")),
    }


async def _desk_context(request: Request, params: Mapping[str, str]) -> dict[str, Any]:
    skip = max(0, int(_number(params.get("skip")) or 0))
    data = await run(request, QUEUE, first=min(100, skip + 20), **desk_filters(params))
    queue = data["reviewQueue"]
    pairs = [e["node"] for e in queue["edges"]]
    current = pairs[skip] if skip < len(pairs) else None
    return {
        "queue": pairs,
        "total": queue["totalCount"],
        "skip": skip,
        "current": current,
        "rows": desk.side_by_side(current["a"], current["b"]) if current else [],
        "reasons": desk.explain(current["explanation"]) if current else [],
        "params": {k: v for k, v in params.items() if k != "skip"},
        "query": urlencode({k: v for k, v in params.items() if k != "skip"}),
        "audit": has_audit(request),
    }


def has_audit(request: Request) -> bool:
    """The audit panel shows to identities that may read the audit trail."""
    return policy.allowed(identity_of(request), [policy.type_capability("AuditEvent") or ""])


async def desk_page(request: Request) -> Response:
    context = await _desk_context(request, request.query_params)
    template = "desk_body.html" if request.headers.get("HX-Request") else "desk.html"
    return render(request, template, **context)


PAIR_ACTIONS = {
    "confirm": "mutation($a: ID!, $b: ID!, $reason: String!) { confirmMatch(a: $a, b: $b, "
    "reason: $reason) { previousStatus } }",
    "reject": "mutation($a: ID!, $b: ID!, $reason: String!) { rejectMatch(a: $a, b: $b, "
    "reason: $reason) { previousStatus } }",
}
SPLIT = """mutation($id: ID!, $reason: String!) { splitCustomer(customerId: $id, reason: $reason)
  { profile { id } previousProfile { id } } }"""
MERGE = """mutation($ids: [ID!]!, $reason: String!) { mergeProfiles(ids: $ids, reason: $reason)
  { profile { id } retiredIds } }"""


async def desk_act(request: Request) -> Response:
    """confirm / reject a pair, split a record out, merge profiles; then the desk again (or,
    from a 360 page, that profile's page: HX-Redirect)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise PageError(f"the form is over {MAX_FORM_BYTES} bytes", 413)
    # A plain urlencoded form, read without python-multipart (as the sign-in page does).
    f = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    action, reason = f.get("action", ""), f.get("reason", "").strip()
    if not reason:
        reason = {"confirm": "same person", "reject": "different people"}.get(action, "steward")
    back: str | None = None
    if action in PAIR_ACTIONS:
        await run(request, PAIR_ACTIONS[action], a=f["a"], b=f["b"], reason=reason)
    elif action == "split":
        data = await run(request, SPLIT, id=f["customerId"], reason=reason)
        back = data["splitCustomer"]["profile"]["id"]
    elif action == "merge":
        listed = f.get("profileIds", "").replace(",", " ").split()
        ids = ([f["self"]] if f.get("self") else []) + [i for i in listed if i != f.get("self")]
        data = await run(request, MERGE, ids=ids, reason=reason)
        back = data["mergeProfiles"]["profile"]["id"]
    else:
        raise PageError(f"unknown action {action!r}: confirm, reject, split or merge", 400)
    if f.get("next") == "profile" and back:
        return Response(status_code=204, headers={"HX-Redirect": f"/ui/profiles/{back}"})
    params = {k[2:]: v for k, v in f.items() if k.startswith("q_") and v}
    context = await _desk_context(request, params)
    context["last"] = {"a": f.get("a"), "b": f.get("b"), "action": action}
    response = render(request, "desk_body.html", **context)
    response.headers["HX-Trigger"] = "decided"  # the audit panel reloads
    return response


PAIR = f"""query($a: ID!) {{ customer(id: $a) {{ matches(first: 100) {{ edges {{ node {{
  probability status reason decidedBy explanation {{ label level weight }}
  a {{ {DESK_RECORD} }} b {{ {DESK_RECORD} }} }} }} }} }} }}"""


async def desk_pair(request: Request) -> Response:
    """One pair, decided or not (undo: the last decided pair back on the desk)."""
    a, b = request.query_params.get("a", ""), request.query_params.get("b", "")
    data = await run(request, PAIR, a=a)
    edges = ((data.get("customer") or {}).get("matches") or {}).get("edges", [])
    found = [e["node"] for e in edges if {e["node"]["a"]["id"], e["node"]["b"]["id"]} == {a, b}]
    if not found:
        raise PageError(f"no match edge between {a} and {b}", 404)
    current = found[0]
    return render(
        request,
        "desk_body.html",
        queue=[current],
        total=None,
        skip=0,
        current=current,
        rows=desk.side_by_side(current["a"], current["b"]),
        reasons=desk.explain(current["explanation"]),
        params={},
        query="",
        audit=has_audit(request),
    )


async def desk_audit(request: Request) -> Response:
    if not has_audit(request):
        return HTMLResponse("")
    try:
        data = await run(request, AUDIT, first=15, actions=DECISIONS)
    except PageError:
        return HTMLResponse("")  # not readable by this role: no panel
    trail = data.get("auditTrail") or {}
    entries = [
        {
            **e["node"],
            "before": _compact(e["node"].get("before")),
            "after": _compact(e["node"].get("after")),
        }
        for e in trail.get("edges", [])
    ]
    return render(request, "audit.html", entries=entries, total=trail.get("totalCount"))


def _compact(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)[:300]


# -- marketing segments --------------------------------------------------------------------

SEGMENT = """query($filter: HouseholdFilterInput, $first: Int) {
  households(filter: $filter, first: $first) { totalCount edges { node {
    id size services decisionMakerId contactWithheldReason
    decisionMakerContact { firstName lastName email phone city } } } } }"""


def segment_filter(params: Mapping[str, str]) -> dict[str, Any]:
    """The builder's form as the GraphQL filter; the same names as the CSV export's query."""

    def whole(name: str) -> int | None:
        value = _number(params.get(name))
        return None if value is None else int(value)

    metrics = []
    name = params.get("metric", "")
    if name:
        metrics.append(
            {"name": name, "gte": _number(params.get("gte")), "lte": _number(params.get("lte"))}
        )
    return {
        "minMembers": whole("minMembers"),
        "maxMembers": whole("maxMembers"),
        "metrics": metrics,
        "hasSubscription": params.get("hasSubscription") or None,
        "lacksSubscription": params.get("lacksSubscription") or None,
        "contactableOnly": params.get("contactableOnly") in ("1", "true", "on"),
    }


def export_query(params: Mapping[str, str]) -> str:
    """The same segment as /export/households.csv's query string."""
    out: list[tuple[str, str]] = []
    for key in ("minMembers", "maxMembers", "hasSubscription", "lacksSubscription"):
        if params.get(key):
            out.append((key, params[key]))
    if params.get("contactableOnly") in ("1", "true", "on"):
        out.append(("contactableOnly", "true"))
    if params.get("metric"):
        for op in ("gte", "lte"):
            if params.get(op):
                out.append(("metric", f"{params['metric']}:{op}:{params[op]}"))
    return urlencode(out)


async def segments_page(request: Request) -> Response:
    return render(request, "segments.html", metrics=METRICS, params=dict(request.query_params))


async def segment_results(request: Request) -> Response:
    params = dict(request.query_params)
    data = await run(request, SEGMENT, filter=segment_filter(params), first=10)
    found = data["households"]
    return render(
        request,
        "segment_results.html",
        total=found["totalCount"],
        households=[e["node"] for e in found["edges"]],
        export=f"/export/households.csv?{export_query(params)}",
    )


def ui_routes() -> list[Route]:
    """The pages' routes (each in policy.ROUTE_CAPABILITY)."""
    table: list[tuple[str, str, Handler]] = [
        ("/ui", "GET", search_page),
        ("/ui/search", "GET", search_results),
        ("/ui/profiles/{profile_id}", "GET", profile_page),
        ("/ui/profiles/{profile_id}/dial", "GET", profile_dial),
        ("/ui/alerts/{alert_id}/acknowledge", "POST", acknowledge),
        ("/ui/households/{household_id}", "GET", household_page),
        ("/ui/desk", "GET", desk_page),
        ("/ui/desk/pair", "GET", desk_pair),
        ("/ui/desk/audit", "GET", desk_audit),
        ("/ui/desk/act", "POST", desk_act),
        ("/ui/segments", "GET", segments_page),
        ("/ui/segments/results", "GET", segment_results),
    ]
    return [page(route, method)(handler) for route, method, handler in table]

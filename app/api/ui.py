"""The people's pages (docs/pages.md): search, Profile 360, household, steward desk and the
marketing segment builder. Server-rendered Jinja2 with htmx fragments; every read and change
is a GraphQL document run for the signed-in identity through the /graphql endpoint's own
checks (GraphQLEndpoint.execute): the pages have no side door to the store. Each route's
capability is in app/access/policy.py; sections a role may not read are left out of the
document, so a page never asks for what it would be refused. The pages' frame is
app/api/page_frame.py, the steward desk's handlers app/api/desk_pages.py; every route is
listed here (ui_routes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app import desk, profile360
from app.access.roles import Identity
from app.api.auth import identity_of
from app.api.desk_pages import desk_act, desk_audit, desk_page, desk_pair
from app.api.page_frame import RECORD, Handler, PageError, number, page, render, run, text_list
from app.households.dna import METRICS

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


def profile_document(identity: Identity) -> str:
    """The 360 document for what this identity may read."""
    parts = [
        "id status requestedId firstName lastName dateOfBirth email phone street city postcode",
        "size sources minConfidence appliedConfidence materialisedCustomerIds",
        "metrics { name kind value trendPct history { at value } }",
    ]
    if identity.can("read:customers"):
        parts += [
            f"customers {{ {RECORD} emails {{ email }} phones {{ phone }} "
            "attributes { name value } declaredIdentifiers { type value } }",
            "emails { email } phones { phone } addresses { addressId street city postcode }",
            "accounts { accountId role attributes } devices { deviceId lastSeen }",
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


async def profile_page(request: Request) -> Response:
    identity = identity_of(request)
    q = request.query_params
    variables: dict[str, Any] = {"id": request.path_params["profile_id"]}
    if identity.can("read:customers"):
        variables.update(
            first=min(100, int(number(q.get("first")) or 20)),
            types=text_list(q.get("types")),
            channels=text_list(q.get("channels")),
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
    """A metric for a page: its sparkline and trend arrow (Customer DNA's history is points
    with times, Group DNA's its values)."""
    history = m.get("history") or []
    points = [h["value"] if isinstance(h, dict) else h for h in history]
    values = [v for v in points if isinstance(v, int | float)]
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
    level = number(request.query_params.get("minConfidence"))
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
      services decisionMakerId metrics {{ name value history trendPct }}
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
    metrics = [_metric(m) for m in h["metrics"]]
    alerts = [e["node"] for e in (data.get("alerts") or {}).get("edges", [])]
    return render(
        request,
        "household.html",
        h=h,
        metrics=metrics,
        shared={k: sorted(v) for k, v in shared.items() if len(v) > 1},
        alerts=alerts,
    )


# -- marketing segments --------------------------------------------------------------------

SEGMENT = """query($filter: HouseholdFilterInput, $first: Int) {
  households(filter: $filter, first: $first) { totalCount edges { node {
    id size services decisionMakerId contactWithheldReason
    decisionMakerContact { firstName lastName email phone city } } } } }"""


def segment_filter(params: Mapping[str, str]) -> dict[str, Any]:
    """The builder's form as the GraphQL filter; the same names as the CSV export's query."""

    def whole(name: str) -> int | None:
        value = number(params.get(name))
        return None if value is None else int(value)

    metrics = []
    name = params.get("metric", "")
    if name:
        metrics.append(
            {"name": name, "gte": number(params.get("gte")), "lte": number(params.get("lte"))}
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

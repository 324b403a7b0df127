"""The steward desk's pages (docs/pages.md): the review queue one pair at a time, the
decisions (confirm, reject, split, merge), a decided pair back for undo, and the audit
panel; routes in app/api/ui.py."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from app import desk
from app.access import policy
from app.api.auth import identity_of
from app.api.page_frame import MAX_FORM_BYTES, RECORD, PageError, number, render, run, text_list

DESK_RECORD = f"{RECORD} emails {{ email }} phones {{ phone }} addresses {{ addressId }} " + (
    "declaredIdentifiers { type value } attributes { name value } profile { id size }"
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
        "min": number(params.get("minProbability")),
        "max": number(params.get("maxProbability")),
        "decided": decided,
        "sources": text_list(params.get("sources")),
    }


async def _desk_context(request: Request, params: Mapping[str, str]) -> dict[str, Any]:
    skip = max(0, int(number(params.get("skip")) or 0))
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

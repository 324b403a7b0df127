"""GraphQL fuzzing (hypothesis-graphql): 1,150 generated queries and mutations per run, signed
in as an admin, as a marketer and with no credentials, with strings that are long, hold
control characters or NUL bytes, look like Cypher or are plausible keys. No answer is a 500,
every error has a code, no answer shows a stack trace, a query text or a server path, and
the store is healthy and serving at the end (issues 14 and 15)."""

from __future__ import annotations

import collections
import json
import re
from collections.abc import Iterator

import graphql
import hypothesis_graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes
from starlette.testclient import TestClient

from app.access import policy
from app.access.roles import DEFAULT_ROLES
from app.api.app import create_app
from app.api.schema import schema
from tests.api.conftest import make_key

SDL = str(schema)
LEAKS = re.compile(  # a trace, a server path, a driver's name, Cypher (its keywords in capitals)
    r"Traceback|File \"|\.py\b|/work/|/tmp/|(?i:redis|falkordb|neo4j\.)|Exception\b"
    r"|\bMATCH \(|\bUNWIND \$|\bMERGE \(|\bRETURN \w"
)
# GenericScalar (metric definitions, alert filter values): any JSON-like literal.
_LEAF = st.one_of(
    st.text(max_size=20).map(nodes.String),
    st.integers(-(10**6), 10**6).map(nodes.Int),
    st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
    st.booleans().map(nodes.Boolean),
)
GENERIC = st.recursive(
    _LEAF,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(nodes.List),
        st.lists(
            st.tuples(st.sampled_from(["name", "kind", "agg", "window", "x"]), inner).map(
                lambda kv: graphql.ObjectFieldNode(name=graphql.NameNode(value=kv[0]), value=kv[1])
            ),
            max_size=4,
            unique_by=lambda f: f.name.value,
        ).map(nodes.Object),
    ),
    max_leaves=6,
)
# Strings and IDs: hostile text as often as plausible keys of the seeded records.
NASTY = st.one_of(
    st.text(max_size=16),
    st.text(alphabet=st.characters(max_codepoint=0x9F), max_size=12),  # controls and NUL
    st.sampled_from(["crm", "webshop", "crm:1", "crm:2", "1", "ada@example.com", "d1"]),
    st.sampled_from(["\n MATCH (n) DETACH DELETE n", " x", "x\n", "\x01", "a\x00b"]),
    st.builds(lambda c, n: c * n, st.sampled_from(["a", "é", "\n"]), st.integers(4000, 5000)),
)
STRINGS = NASTY.map(nodes.String)
RUNS = {  # (who, kind) -> operations generated; "marketer-own": from the marketer's schema
    ("admin", "query"): 300,
    ("marketer", "query"): 100,
    ("marketer-own", "query"): 150,
    ("nobody", "query"): 150,
    ("admin", "mutation"): 300,
    ("nobody", "mutation"): 150,
}


@pytest.fixture
def client(api_settings, api_store, seed, tmp_path) -> Iterator[TestClient]:
    seed.customer("crm:1", emails=["ada@example.com"], phones=["+447700900123"], devices=["d1"])
    seed.interactions("crm:1", [{"eventId": "e1", "ts": 1, "value": 3.5}])
    # Its own data folder: mutations may define metrics and rules, which are files there.
    own = api_settings.model_copy(update={"data_dir": tmp_path})
    app = create_app(own, store_factory=lambda _s: api_store)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def role_schema(role: str) -> graphql.GraphQLSchema:
    """The schema as the role may use it: fields leading to a type it cannot read, root fields
    and mutations it may not run, left out. Generating from it reaches the resolvers; the
    whole schema is fuzzed too, where most operations end in a refusal."""
    capabilities = DEFAULT_ROLES[role]
    pruned = graphql.build_schema(SDL)
    for type_ in pruned.type_map.values():
        if not isinstance(type_, graphql.GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, field in list(type_.fields.items()):
            target = policy.type_capability(graphql.get_named_type(field.type).name)
            need = {
                "Query": policy.QUERY_CAPABILITY.get(name),
                "Mutation": policy.MUTATION_CAPABILITY.get(name, frozenset()),
            }.get(type_.name)
            if (target and target not in capabilities) or (
                need is not None and not need & capabilities
            ):
                del type_.fields[name]
    return pruned


def _strings_of(document: str) -> set[str]:
    found: set[str] = set()

    class Strings(graphql.Visitor):
        def enter_string_value(self, node, *_):
            found.add(node.value)

    graphql.visit(graphql.parse(document), Strings())
    return found


def _check(response, who: str, document: str) -> None:
    assert response.status_code != 500, response.text
    # The caller's own strings may come back in a message ("'...' is not a duration"): what
    # must not show is ours.
    text = response.text
    for value in _strings_of(document):
        for form in {value, value.strip(), repr(value), repr(value.strip())} - {""}:
            text = text.replace(json.dumps(form)[1:-1], "")
    assert not LEAKS.search(text), response.text
    body = response.json()
    for error in body.get("errors", []):
        assert error.get("extensions", {}).get("code"), error
    if who == "nobody":
        assert response.status_code == 401


# graphql-core leaves the coroutines of sibling fields un-awaited when an error ends a
# mutation early; Python reports each as it collects it (noise, not a failure of the service).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
@pytest.mark.parametrize(("who", "kind"), list(RUNS))
def test_generated_operations_never_fail_badly(client, api_store, who, kind) -> None:
    headers = {}
    role = who.removesuffix("-own")
    if who != "nobody":
        headers["Authorization"] = f"Bearer {make_key(api_store.inner, f'fuzz-{who}', [role])}"
    make = hypothesis_graphql.queries if kind == "query" else hypothesis_graphql.mutations
    strategy = make(
        role_schema(role) if who.endswith("-own") else SDL,
        custom_scalars={"GenericScalar": GENERIC, "String": STRINGS, "ID": STRINGS},
        codec=None,
    )
    seen = []

    @settings(
        max_examples=RUNS[(who, kind)],
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def run(document: str) -> None:
        response = client.post("/graphql", json={"query": document}, headers=headers)
        seen.append(response.status_code)
        _check(response, who, document)

    run()
    assert len(seen) == RUNS[(who, kind)]
    statuses = collections.Counter(seen)
    if who in ("admin", "marketer-own"):  # the fuzzing reached the resolvers
        assert statuses[200] >= RUNS[(who, kind)] // 2, statuses
    if who == "marketer-own":  # the role's own schema is never refused
        assert statuses[403] == 0, statuses
    if who == "marketer":
        assert statuses[403] > 0, statuses
    health = client.get("/health")
    assert health.status_code == 200 and health.json()["store"]["ready"] is True
    assert api_store.inner.read("customer_count")[0]["n"] >= 1  # still serving reads

"""Sign-in: API keys (revoked or expired: refused on the next request), bearer JWTs from an
identity provider (keys from a JWKS file or URL; expired, wrongly signed or for another
audience: refused), the pages' session cookie, and rate limits per identity."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from app.access.keys import create_key, revoke_key
from app.api.app import create_app
from tests.access.conftest import TOWN_QUERY
from tests.api.conftest import ROLES, make_key

ISSUER, AUDIENCE = "https://idp.example", "identity-graph"


def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwks(key: rsa.RSAPrivateKey, kid: str) -> dict:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {"keys": [{**public, "kid": kid, "use": "sig", "alg": "RS256"}]}


def _token(key: rsa.RSAPrivateKey, kid: str = "k1", **claims: object) -> str:
    now = int(time.time())
    body = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "alice@corp",
        "iat": now,
        "exp": now + 300,
        "realm_access": {"roles": ["crm-stewards", "other-app"]},
        **claims,
    }
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid})


@pytest.fixture(scope="module")
def idp_key() -> rsa.RSAPrivateKey:
    return _rsa()


def _settings(town_settings, **more):
    return town_settings.model_copy(
        update={
            "oidc_issuer": ISSUER,
            "oidc_audience": AUDIENCE,
            "oidc_roles_claim": "realm_access.roles",
            "role_names": {"crm-stewards": "steward"},
            **more,
        }
    )


async def _post(app, headers: dict[str, str], query: str = TOWN_QUERY) -> httpx.Response:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            return await c.post("/graphql", json={"query": query}, headers=headers)


async def test_a_jwt_from_the_identity_provider_signs_in_with_mapped_roles(
    town, town_settings, idp_key, tmp_path: Path
) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(_jwks(idp_key, "k1")))
    app = create_app(_settings(town_settings, oidc_jwks_file=jwks), store_factory=lambda _s: town)
    ok = await _post(app, {"Authorization": f"Bearer {_token(idp_key)}"})
    assert ok.status_code == 200 and ok.json()["data"]["profile"]["id"] == "a1"
    # A steward may decide; the decision is the token's user's.
    decide = await _post(
        app,
        {"Authorization": f"Bearer {_token(idp_key)}"},
        'mutation { confirmMatch(a: "crm:a1", b: "crm:a2", reason: "same") '
        "{ match { decidedBy } } }",
    )
    assert decide.json()["data"]["confirmMatch"]["match"]["decidedBy"] == "alice@corp"


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("expired", "expired"),
        ("wrong key", "signature"),
        ("other audience", "Audience"),
        ("other issuer", "issuer"),
        ("unknown key id", "key id"),
        ("not a jwt", "not a JWT"),
    ],
)
async def test_a_bad_jwt_is_refused(town, town_settings, idp_key, tmp_path, case, words) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(_jwks(idp_key, "k1")))
    app = create_app(_settings(town_settings, oidc_jwks_file=jwks), store_factory=lambda _s: town)
    token = {
        "expired": lambda: _token(idp_key, exp=int(time.time()) - 120),
        "wrong key": lambda: _token(_rsa()),
        "other audience": lambda: _token(idp_key, aud="another-app"),
        "other issuer": lambda: _token(idp_key, iss="https://evil.example"),
        "unknown key id": lambda: _token(idp_key, kid="k9"),
        "not a jwt": lambda: "abc.def.ghi",
    }[case]()
    response = await _post(app, {"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert words in error["message"]
    assert "data" not in response.json()


@pytest.fixture
def jwks_server(idp_key) -> Iterator[str]:
    body = json.dumps(_jwks(idp_key, "k1")).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    finally:
        server.shutdown()
        thread.join(timeout=5)


async def test_keys_come_from_the_jwks_url(town, town_settings, idp_key, jwks_server) -> None:
    app = create_app(_settings(town_settings, oidc_jwks_url=jwks_server), lambda _s: town)
    ok = await _post(app, {"Authorization": f"Bearer {_token(idp_key)}"})
    assert ok.status_code == 200, ok.text
    forged = await _post(app, {"Authorization": f"Bearer {_token(_rsa())}"})
    assert forged.status_code == 401


async def test_a_revoked_or_expired_key_is_refused_on_its_next_request(town_client, town):
    key = make_key(town.inner, "crm-sync", ["steward"])
    headers = {"Authorization": f"Bearer {key}"}
    first = await town_client.post("/graphql", json={"query": TOWN_QUERY}, headers=headers)
    assert first.status_code == 200
    assert revoke_key(town.inner, key.split("_", 1)[1].split(".")[0], "tests")
    again = await town_client.post("/graphql", json={"query": TOWN_QUERY}, headers=headers)
    assert again.status_code == 401 and "revoked" in again.json()["errors"][0]["message"]

    old = create_key(town.inner, ROLES, "old", ["admin"], 1, "tests", None, time.time() - 2 * 86400)
    stale = await town_client.post(
        "/graphql", json={"query": TOWN_QUERY}, headers={"Authorization": f"Bearer {old.token}"}
    )
    assert stale.status_code == 401 and "expired" in stale.json()["errors"][0]["message"]
    wrong = key[:-4] + "AAAA"
    forged = await town_client.post(
        "/graphql", json={"query": TOWN_QUERY}, headers={"Authorization": f"Bearer {wrong}"}
    )
    assert forged.status_code == 401
    nothing = await town_client.post("/graphql", json={"query": TOWN_QUERY})
    assert nothing.status_code == 401 and nothing.headers["www-authenticate"].startswith("Bearer")


async def test_the_session_cookie_signs_in_and_ends_with_its_key(town_client, town) -> None:
    key = make_key(town.inner, "browser", ["support"])
    made = await town_client.post("/auth/session", headers={"Authorization": f"Bearer {key}"})
    assert made.status_code == 200 and made.json() == {"actor": "key:browser", "roles": ["support"]}
    cookie = made.headers["set-cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=strict" in cookie
    value = made.cookies["idgraph_session"]
    jar = {"Cookie": f"idgraph_session={value}"}
    ok = await town_client.post("/graphql", json={"query": TOWN_QUERY}, headers=jar)
    assert ok.status_code == 200
    forged = {"Cookie": f"idgraph_session={value[:-3]}xyz"}
    bad = await town_client.post("/graphql", json={"query": TOWN_QUERY}, headers=forged)
    assert bad.status_code == 401
    revoke_key(town.inner, key.split("_", 1)[1].split(".")[0], "tests")
    ended = await town_client.post("/graphql", json={"query": TOWN_QUERY}, headers=jar)
    assert ended.status_code == 401


async def test_the_sign_in_form_sets_the_cookie_and_goes_back(town_client, town) -> None:
    key = make_key(town.inner, "form", ["admin"])
    page = await town_client.get("/auth/sign-in?next=/me")
    assert page.status_code == 200 and 'name="key"' in page.text
    wrong = await town_client.post(
        "/auth/sign-in",
        content="key=idg_000000000000.nope&next=/me",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert wrong.status_code == 401 and "Not signed in" in wrong.text
    good = await town_client.post(
        "/auth/sign-in",
        content=f"key={key}&next=//evil.example/",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert good.status_code == 303 and good.headers["location"] == "/graphql"  # no open redirect
    assert "idgraph_session=" in good.headers["set-cookie"]


async def test_rate_limits_are_per_identity(town, town_settings) -> None:
    settings = town_settings.model_copy(update={"rate_limit_per_minute": 60, "rate_limit_burst": 3})
    app = create_app(settings, store_factory=lambda _s: town)
    busy = {"Authorization": f"Bearer {make_key(town.inner, 'busy', ['support'])}"}
    calm = {"Authorization": f"Bearer {make_key(town.inner, 'calm', ['support'])}"}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            codes = [
                (await c.post("/graphql", json={"query": TOWN_QUERY}, headers=busy)).status_code
                for _ in range(4)
            ]
            limited = await c.post("/graphql", json={"query": TOWN_QUERY}, headers=busy)
            other = await c.post("/graphql", json={"query": TOWN_QUERY}, headers=calm)
            health = await c.get("/health")
    assert codes == [200, 200, 200, 429]
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert limited.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert other.status_code == 200 and health.status_code == 200

"""GraphiQL in a real browser: Chromium loads the page from our server (no CDN), a query typed
into the editor runs, and the result pane shows the customer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.api.app import create_app
from app.api.graphiql import missing_vendor_files
from tests.api.conftest import CHROMIUM, make_key, serving

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("chromium")]


@pytest.fixture
def server(api_settings, api_store, seed) -> Iterator[str]:
    """uvicorn for real, in a background thread, on a graph with one customer."""
    api_settings = api_settings.model_copy(update={"session_cookie_secure": True})
    if missing := missing_vendor_files():
        pytest.fail(f"GraphiQL files missing ({', '.join(missing)}): run make install")
    seed.customer("crm:42", emails=["grace.hopper@example.com"], firstName="Grace")
    with serving(create_app(api_settings, store_factory=lambda _settings: api_store)) as url:
        yield url


def test_graphiql_runs_a_query(server: str, api_store) -> None:
    from playwright.sync_api import expect, sync_playwright

    key = make_key(api_store.inner, "browser-steward", ["steward"])
    query = '{ customer(id: "crm:42") { firstName emails { email } } }'
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            failed: list[str] = []
            page.on("requestfailed", lambda r: failed.append(r.url))
            page.goto(f"{server}/graphql")
            # Not signed in: the sign-in page, then back to GraphiQL with a session cookie
            # (Secure, HttpOnly, SameSite=Strict: loopback counts as a secure origin).
            expect(page).to_have_url(f"{server}/auth/sign-in?next=/graphql")
            page.fill("#key", key)
            page.click("button[type=submit]")
            expect(page).to_have_url(f"{server}/graphql")
            (cookie,) = page.context.cookies()
            assert (cookie["name"], cookie["httpOnly"], cookie["secure"], cookie["sameSite"]) == (
                "idgraph_session",
                True,
                True,
                "Strict",
            )
            editor = page.locator(".graphiql-query-editor .CodeMirror").first
            expect(editor).to_be_visible(timeout=30_000)
            editor.click()
            page.keyboard.press("Control+A")
            page.keyboard.type(query)
            # The editor closes brackets as they are typed and types over the closers, so
            # the text ends up exactly as typed.
            typed = page.evaluate(
                "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue()"
            )
            assert typed == query
            page.locator(".graphiql-execute-button").click()
            result = page.locator(".graphiql-response")
            expect(result).to_contain_text("grace.hopper@example.com", timeout=30_000)
            expect(result).to_contain_text("Grace")
            assert not failed, f"requests failed: {failed}"
        finally:
            browser.close()


def test_a_person_reads_their_own_data_on_a_page(server: str, api_store, seed) -> None:
    """Role self, signed in with the session cookie: the playback page shows their records
    and consent; another person's page is refused."""
    from playwright.sync_api import expect, sync_playwright

    seed.customer("crm:7", emails=["ada@example.com"], firstName="Ada", marketingConsent=True)
    api_store.inner.write_batches(
        "upsert_profiles", [{"profileId": "PR-ada", "props": {"firstName": "Ada"}, "at": "x"}], 10
    )
    api_store.inner.write_batches(
        "link_profiles", [{"customerId": "crm:7", "profileId": "PR-ada", "confidence": 1.0}], 10
    )
    key = make_key(api_store.inner, "ada", ["self"], customer_id="crm:7")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{server}/me")
            page.fill("#key", key)
            page.click("button[type=submit]")
            expect(page).to_have_url(f"{server}/me")
            expect(page.locator("h1")).to_have_text("Your data")
            expect(page.locator("body")).to_contain_text("ada@example.com")
            expect(page.locator("body")).to_contain_text("crm:7")
            other = page.goto(f"{server}/subject-access/PR-ada")
            assert other is not None and other.status == 403
        finally:
            browser.close()

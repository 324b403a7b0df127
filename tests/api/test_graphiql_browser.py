"""GraphiQL in a real browser: Chromium loads the page from our server (no CDN), a query typed
into the editor runs, and the result pane shows the customer."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from app.api.app import create_app
from app.api.graphiql import missing_vendor_files

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"{CHROMIUM} is missing: install Debian's chromium (make browser)",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(api_settings, api_store, seed) -> Iterator[str]:
    """uvicorn for real, in a background thread, on a graph with one customer."""
    if missing := missing_vendor_files():
        pytest.fail(f"GraphiQL files missing ({', '.join(missing)}): run make install")
    seed.customer("crm:42", emails=["grace.hopper@example.com"], firstName="Grace")
    app = create_app(api_settings, store_factory=lambda _settings: api_store)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=20)


def test_graphiql_runs_a_query(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    query = '{ customer(id: "crm:42") { firstName emails { email } } }'
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            failed: list[str] = []
            page.on("requestfailed", lambda r: failed.append(r.url))
            page.goto(f"{server}/graphql")
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

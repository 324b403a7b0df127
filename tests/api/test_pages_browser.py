"""A day with the pages, in headless Chromium, on the demo's own data (200 generated people,
loaded, trained, resolved, grouped into households, with metrics): the support agent finds a
caller by a misspelt name, the steward reads evidence, turns the dial, works the desk with
the keyboard, splits and merges; the marketer builds a segment and exports it. Screenshots
go to test-artifacts/ (docs/img/ holds three of them)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.api.app import create_app
from app.api.graphiql import missing_vendor_files
from app.demo import ensure_demo_data
from app.settings import Settings
from app.store import GraphStore, open_store
from tests.api.conftest import CHROMIUM, NO_RATE_LIMIT, make_key, serving
from tests.api.test_graphiql_browser import CHROMIUM_ARGS

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("chromium")]


@dataclass
class Demo:
    url: str
    keys: dict[str, str]
    store: GraphStore  # the app's own store object (the app holds the embedded store open)

    def rows(self, cypher: str, **params: Any) -> list[dict[str, Any]]:
        rows, _ = self.store.run_text(cypher, params, write=False)
        return rows


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    if missing := missing_vendor_files():
        pytest.fail(f"vendored browser files missing ({', '.join(missing)}): run make install")
    settings = Settings(
        store="falkordb",
        data_dir=tmp_path_factory.mktemp("pages-demo"),
        graph_name="demo",
        demo_people=200,
        resolve_workers=1,
        rate_limit_per_minute=NO_RATE_LIMIT,
        session_cookie_secure=True,
    )
    ensure_demo_data(settings)
    store = open_store(settings)
    keys = {
        role: make_key(store, f"day-{role}", [role]) for role in ("support", "steward", "marketer")
    }
    app = create_app(settings, store_factory=lambda _s: store)
    with serving(app, start_within=30) as url:  # its lifespan closes the store at the end
        yield Demo(url, keys, store)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def signed_in(browser: Any, demo: Demo, role: str, path: str, width: int = 1200) -> Any:
    """A fresh page signed in with the role's key, at path."""
    context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{demo.url}{path}")
    page.fill("#key", demo.keys[role])
    page.click("button[type=submit]")
    page.wait_for_url(f"{demo.url}{path}")
    return page


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def two_source_profiles(demo: Demo) -> list[dict[str, Any]]:
    """Profiles made of exactly two records from two sources joined by a model edge."""
    return demo.rows(
        "MATCH (a:Customer)-[m:MATCHES]->(b:Customer), (a)-[:RESOLVES_TO]->(p:Profile), "
        "(b)-[:RESOLVES_TO]->(p) WHERE p.size = 2 AND a.source <> b.source "
        "AND m.status = 'auto' AND p.lastName IS NOT NULL AND size(p.lastName) >= 5 "
        "RETURN p.profileId AS id, p.firstName AS first, p.lastName AS last, "
        "m.probability AS probability, a.customerId AS a, b.customerId AS b "
        "ORDER BY p.profileId"
    )


def misspelt(name: str) -> str:
    """One letter dropped from the middle: "Collins" -> "Colins"."""
    middle = len(name) // 2
    return name[:middle] + name[middle + 1 :]


def test_an_agent_finds_a_caller_by_a_misspelt_name_and_opens_the_360(browser, demo) -> None:
    from playwright.sync_api import expect

    person = two_source_profiles(demo)[0]
    page = signed_in(browser, demo, "support", "/ui")
    page.fill("#q", f"{person['first']} {misspelt(person['last'])}")
    hit = page.locator(f"#results a[href='/ui/profiles/{person['id']}']")
    expect(hit).to_be_visible()
    shot(page, "search")
    hit.click()
    expect(page.locator("h1")).to_contain_text(f"{person['first']} {person['last']}")
    expect(page.locator("[data-record]")).to_have_count(2)
    # An agent reads records but not match evidence (no read:matches): no bars, no graph.
    expect(page.locator(".evidence")).to_have_count(0)
    expect(page.locator("#cluster")).to_have_count(0)
    shot(page, "profile-agent")


def test_a_steward_sees_two_sources_merged_with_their_evidence(browser, demo) -> None:
    from playwright.sync_api import expect

    person = two_source_profiles(demo)[0]
    page = signed_in(browser, demo, "steward", f"/ui/profiles/{person['id']}")
    records = page.locator("[data-record]")
    expect(records).to_have_count(2)
    sources = {records.nth(i).locator("h3").inner_text().split()[0] for i in range(2)}
    assert len(sources) == 2
    evidence = page.locator(f"[data-record='{person['a']}'] .evidence")
    expect(evidence).to_contain_text(f"matches {person['b'].split(':')[0]} {person['b']}")
    expect(evidence).to_contain_text(f"{person['probability'] * 100:.0f}%")
    words = evidence.locator(".bars .words").all_inner_texts()
    assert words and all(re.fullmatch(r".+ [+-]\d+\.\d", w) for w in words), words
    expect(page.locator("#cluster canvas").first).to_be_visible()
    shot(page, "profile360")


def test_turning_the_dial_up_shows_a_record_leave(browser, demo) -> None:
    from playwright.sync_api import expect

    weak = [p for p in two_source_profiles(demo) if p["probability"] < 0.98]
    person = weak[0]
    page = signed_in(browser, demo, "steward", f"/ui/profiles/{person['id']}")
    result = page.locator("#dial-result")
    expect(result.locator("[data-state=stays]")).to_have_count(2)
    page.locator("#dial").fill("0.99")
    expect(result.locator("[data-state=leaves]")).to_have_count(1)
    expect(result.locator("[data-state=stays]")).to_have_count(1)
    expect(page.locator("#dial-title + label output")).to_have_text("0.99")
    shot(page, "dial")


def settled(page: Any) -> None:
    """Wait until htmx has swapped and wired the desk (keys pressed before are ignored)."""
    page.wait_for_function(
        "!document.querySelector('#desk.htmx-request, #desk.htmx-settling, #desk .htmx-added')"
    )


def _pair(page: Any) -> tuple[str, str]:
    return (
        page.locator("#decide input[name=a]").input_value(),
        page.locator("#decide input[name=b]").input_value(),
    )


def test_the_steward_works_the_desk_with_the_keyboard(browser, demo) -> None:
    from playwright.sync_api import expect

    page = signed_in(browser, demo, "steward", "/ui/desk")
    count = page.locator("[data-testid=queue-count]")
    before = int(count.inner_text())
    assert before >= 3
    decided = page.locator("#audit-title small")
    expect(decided).to_have_text(re.compile(r"^\(\d+\)$"))
    decided_before = int(decided.inner_text().strip("()"))
    shot(page, "desk")
    first = _pair(page)
    page.keyboard.press("y")
    expect(page.locator(".desk [role=status]")).to_contain_text(f"confirmed {first[0]} {first[1]}")
    expect(count).to_have_text(str(before - 1))
    settled(page)  # a key pressed while htmx settles the new pair is ignored
    second = _pair(page)
    assert second != first
    page.keyboard.press("s")  # skipped: still in the queue, the next pair shows
    expect(page.locator("#pair-title")).not_to_contain_text(f"{second[0]} and {second[1]}")
    settled(page)
    page.keyboard.press("n")
    expect(page.locator(".desk [role=status]")).to_contain_text("rejected")
    expect(count).to_have_text(str(before - 2))
    # u: the last decided pair back on the desk, with its decision.
    settled(page)
    page.keyboard.press("u")
    expect(page.locator("#pair-title")).to_contain_text("rejected")
    # The confirmed pair now lives in one profile.
    page.goto(f"{demo.url}/ui/desk/pair?a={first[0]}&b={first[1]}")
    expect(page.locator("#pair-title")).to_contain_text("confirmed")
    profiles = page.locator(".side-by-side tr:last-child td").all_inner_texts()
    assert profiles[0] == profiles[1] != ""
    # The audit panel grew by both decisions, newest first, each with its records.
    page.goto(f"{demo.url}/ui/desk")
    rows = page.locator("#audit tbody tr")
    expect(decided).to_have_text(f"({decided_before + 2})")
    expect(rows.nth(0)).to_contain_text("rejectMatch")
    expect(rows.nth(1)).to_contain_text("confirmMatch")
    for record in first:
        expect(rows.nth(1)).to_contain_text(record)
    shot(page, "desk-audit")


def test_a_record_split_out_and_merged_back(browser, demo) -> None:
    from playwright.sync_api import expect

    person = two_source_profiles(demo)[-1]
    page = signed_in(browser, demo, "steward", f"/ui/profiles/{person['id']}")
    expect(page.locator("[data-record]")).to_have_count(2)
    page.get_by_role("button", name=f"Split {person['b']} out of this profile").click()
    # The record's own new profile.
    page.wait_for_url(lambda url: "/ui/profiles/PR-" in url and not url.endswith(person["id"]))
    # (where re-placement may put it with records the model links it to)
    expect(page.locator(f"[data-record='{person['b']}']")).to_be_visible()
    expect(page.locator(f"[data-record='{person['a']}']")).to_have_count(0)
    shot(page, "split")
    page.fill("#merge-with", person["id"])
    page.get_by_role("button", name="Merge").click()
    expect(page.locator(f"[data-record='{person['a']}']")).to_be_visible()
    expect(page.locator(f"[data-record='{person['b']}']")).to_be_visible()


def test_a_household_shows_its_decision_maker(browser, demo) -> None:
    from playwright.sync_api import expect

    (home,) = demo.rows(
        "MATCH (dm:Profile)-[m:MEMBER_OF {status: 'current', role: 'decision_maker'}]->"
        "(h:Household {status: 'active'}) WHERE h.size >= 3 "
        "RETURN h.householdId AS id, dm.profileId AS dm ORDER BY h.householdId LIMIT 1"
    )
    page = signed_in(browser, demo, "support", f"/ui/profiles/{home['dm']}")
    page.get_by_role("link", name=home["id"]).click()
    expect(page.locator("h1")).to_contain_text(home["id"])
    leader = page.locator("[data-role=decision_maker]")
    expect(leader).to_have_count(1)
    expect(leader.locator("a")).to_have_attribute("href", f"/ui/profiles/{home['dm']}")
    expect(leader.locator(".role")).to_have_text("decision-maker")
    shot(page, "household")


def _emails(demo: Demo) -> set[str]:
    return {r["email"] for r in demo.rows("MATCH (e:Email) RETURN e.email AS email")}


def test_a_marketer_builds_a_segment_and_exports_it_without_unmasked_emails(browser, demo) -> None:
    from playwright.sync_api import expect

    page = signed_in(browser, demo, "marketer", "/ui/segments")
    count = page.locator("[data-testid=segment-count]")
    expect(count).not_to_have_text("")
    everyone = int(count.inner_text())
    page.fill("#s-min", "3")
    expect(count).not_to_have_text(str(everyone))
    bigger = int(count.inner_text())
    assert 0 < bigger < everyone
    shot(page, "segments")
    with page.expect_download() as download:
        page.click("#export")
    text = Path(download.value.path()).read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == bigger
    assert all(int(r["size"]) >= 3 for r in rows)
    real = _emails(demo)
    assert not any(r["email"] in real for r in rows if r["email"])
    assert not any(e in page.content() for e in real)
    # The marketer's 360 of a decision-maker: names and e-mails masked there too.
    person = two_source_profiles(demo)[0]
    page.goto(f"{demo.url}/ui/profiles/{person['id']}")
    expect(page.locator("h1")).not_to_contain_text(person["last"])
    assert not any(e in page.content() for e in real)


def test_pages_fit_a_phone(browser, demo) -> None:
    from playwright.sync_api import expect

    person = two_source_profiles(demo)[0]
    page = signed_in(browser, demo, "steward", f"/ui/profiles/{person['id']}", width=390)
    expect(page.locator("h1")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    shot(page, "profile360-phone")


UNLABELLED = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button, svg[role=img], [role=img]')]
  .filter(el => !((el.labels && el.labels.length) || el.getAttribute('aria-label')
                  || (el.tagName === 'BUTTON' && el.innerText.trim())))
  .map(el => el.outerHTML.slice(0, 80))"""


def test_every_control_and_picture_has_a_name(browser, demo) -> None:
    """Each page's inputs, buttons, charts and the graph carry an accessible name."""
    person = two_source_profiles(demo)[0]
    (home,) = demo.rows(
        "MATCH (h:Household {status: 'active'}) RETURN h.householdId AS id "
        "ORDER BY h.householdId LIMIT 1"
    )
    page = signed_in(browser, demo, "steward", "/ui")
    for path in (
        "/ui",
        f"/ui/profiles/{person['id']}",
        f"/ui/households/{home['id']}",
        "/ui/desk",
        "/ui/segments",
    ):
        page.goto(f"{demo.url}{path}")
        page.wait_for_load_state("networkidle")
        assert page.evaluate(UNLABELLED) == [], path

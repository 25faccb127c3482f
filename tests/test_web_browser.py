"""`rasad serve` in a real browser: headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright's Python package through `executable_path`, no browser download) against the real
server (uvicorn on 127.0.0.1) over a real SQLite store. The pages load, lay out right to left,
the search form finds articles, the coverage chart draws bars, and a planted headline's script
never runs and shows as text."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import pytest
import uvicorn
from test_web import CORPUS, article

from monitor.config.loader import Config, parse_config
from monitor.web import create_app
from store.sqlite import SQLiteStore

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # pragma: no cover - the dev extra installs it
    sync_playwright = None  # type: ignore[assignment]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or sync_playwright is None,
    reason="needs chromium on PATH (.ci/run installs Debian's chromium) and the playwright "
    "package (pip install -e '.[dev]'); no browser is downloaded",
)

PLANT = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
PLANTED = replace(
    article(7, title=PLANT, text=f"بيونغ يانغ {PLANT} وموسكو."),
    url="http://news.example/planted",
    canonical_url="http://news.example/planted",
    story="http://news.example/planted",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(config: Config) -> Iterator[str]:
    """The archive served by uvicorn on 127.0.0.1 in a thread; yields its base URL."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(config), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the web archive did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("web") / "rasad.db"
    store = SQLiteStore(db)
    for a in [*CORPUS, PLANTED]:
        store.add(a)
    store.close()
    config = parse_config(
        {
            "store": {"url": f"sqlite:///{db}"},
            "sources": [
                {"name": "alpha", "title": "وكالة ألفا", "feeds": ["http://a.example/f"]},
                {"name": "beta", "title": "صحيفة بيتا", "feeds": ["http://b.example/f"]},
            ],
        }
    )
    with serving(config) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1000, "height": 900}, locale="ar")
    tab = context.new_page()
    tab.errors = []  # type: ignore[attr-defined]
    tab.on("pageerror", lambda exc: tab.errors.append(str(exc)))  # type: ignore[attr-defined]
    yield tab
    context.close()


STORY = "/story/" + quote("http://news.example/1", safe="")
PAGES = ["/", "/search?q=بيونغ", STORY, "/coverage", "/sources", "/article?url=" + quote(STORY)]


def test_pages_load_right_to_left_with_headlines_flush_right(site: str, page: Page) -> None:
    for path in ["/", "/search?q=بيونغ", STORY, "/coverage", "/sources"]:
        response = page.goto(site + path)
        assert response is not None and response.status == 200, path
        assert page.evaluate("getComputedStyle(document.body).direction") == "rtl", path
        assert page.evaluate("document.documentElement.lang") == "ar"
    page.goto(site + "/")
    gaps: list[Any] = page.evaluate(
        """() => [...document.querySelectorAll('article.story h2')].map(h => {
             const box = h.getBoundingClientRect();
             const link = h.querySelector('a').getBoundingClientRect();
             return [box.right - link.right, link.left - box.left];
           })"""
    )
    assert len(gaps) >= 4
    for right_gap, left_gap in gaps:
        assert abs(right_gap) <= 1 and left_gap >= 0  # the headline starts at the right edge


def test_search_form_finds_articles(site: str, page: Page) -> None:
    page.goto(site + "/search")
    assert page.locator("article.hit").count() == 0
    page.fill("input[name=q]", "بيونج يانج")  # another spelling: the normaliser folds it
    page.click("form.filters button")
    page.wait_for_load_state()
    assert "/search?q=" in page.url
    assert page.locator("article.hit").count() >= 3
    assert page.locator("article.hit mark").count() >= 1
    nothing = page.goto(site + "/search?q=" + quote("زلزال"))
    assert nothing is not None and nothing.status == 200
    assert page.locator("article.hit").count() == 0


def test_coverage_chart_draws_bars_with_data(site: str, page: Page) -> None:
    page.goto(site + "/coverage")
    heights: list[float] = page.evaluate(
        "[...document.querySelectorAll('figure.chart > svg g.bar rect')]"
        ".map(r => r.getBoundingClientRect().height)"
    )
    assert len([h for h in heights if h > 1]) == 2  # two days with articles, drawn
    width = page.evaluate(
        "document.querySelector('figure.chart > svg').getBoundingClientRect().width"
    )
    assert width > 500  # the chart fills the page's width
    peak = page.locator("a text.peak").first
    assert peak.text_content() == "6"
    labels = page.evaluate("[...document.querySelectorAll('text.xlabel')].map(t => t.textContent)")
    assert labels and all(label.strip() for label in labels)
    page.locator("a:has(text.peak)").first.click()
    page.wait_for_load_state()
    assert "since=" in page.url and page.locator("article.story").count() == 4


def test_planted_script_never_runs_and_shows_as_text(site: str, page: Page) -> None:
    planted = "/article?url=" + quote(PLANTED.canonical_url)
    story = "/story/" + quote(PLANTED.canonical_url, safe="")
    for path in ["/", planted, story, "/search?q=" + quote("بيونغ"), "/coverage?split=source"]:
        page.goto(site + path)
        page.wait_for_timeout(100)  # an onerror handler would have fired by now
        assert page.evaluate("window.__pwned") is None, path
        assert page.locator("img").count() == 0, path
        assert page.errors == [], path  # type: ignore[attr-defined]
    page.goto(site + "/")
    assert PLANT in page.locator("main").inner_text()  # the headline, as text
    page.goto(site + planted)
    assert PLANT in page.locator("h1").inner_text()

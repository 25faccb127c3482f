"""`rasad serve`'s coverage page (/coverage: the timeline as server-rendered SVG, and its JSON)
and the store-side paging of the list pages, through Starlette's TestClient."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from test_web import CORPUS, EVIL, NOW, TestClient, article, client, config

from monitor.config.loader import Config
from monitor.web import create_app
from monitor.web.coverage import MONTHS
from store.sqlite import SQLiteStore

__all__ = ["client", "config"]  # the fixtures, shared with test_web.py


def bars(html: str) -> dict[str, int]:
    """The chart's bars: day (or week) -> articles, from the SVG's data attributes."""
    found = re.findall(r'<g class="bar[^"]*" data-bucket="([\d-]+)" data-articles="(\d+)"', html)
    return {day: int(n) for day, n in found}


def test_coverage_is_an_svg_chart_of_the_last_90_days(client: TestClient) -> None:
    response = client.get("/coverage")
    assert response.status_code == 200
    html = response.text
    assert '<html dir="rtl" lang="ar">' in html and '<a href="/coverage">' in html  # nav
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'dir="ltr"' in svg  # time runs left to right inside the RTL page
    days = bars(html)
    assert len(days) == 90  # the default period, ending at the newest article's day
    assert max(days) == NOW.date().isoformat()
    assert days[NOW.date().isoformat()] == 5  # 1, 2, 3 (a copy), 4, 6; 5 is off-topic
    assert days[(NOW - timedelta(days=40)).date().isoformat()] == 1
    assert sum(days.values()) == 6
    heights = [
        float(h)
        for h in re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)"', svg)
    ]
    assert len([h for h in heights if h > 0]) == 2  # a bar per day with articles
    assert svg.count("<title>") >= 90  # a tooltip per bar
    assert any(month in svg for month in MONTHS)  # axis labels with Arabic month names


def test_coverage_json_counts_from_the_store(client: TestClient) -> None:
    data = client.get("/coverage?format=json").json()
    assert client.get("/coverage.json").json() == data
    assert data["by"] == "day" and data["split"] is None
    today = {c["bucket"]: c for c in data["counts"]}[NOW.date().isoformat()]
    assert today == {"bucket": NOW.date().isoformat(), "key": None, "articles": 5, "stories": 3}
    assert data["peaks"][0]["bucket"] == NOW.date().isoformat()


def test_peaks_link_to_that_days_stories(client: TestClient) -> None:
    html = client.get("/coverage").text
    links = re.findall(r'<a href="(/\?[^"]+)"><text class="peak"[^>]*>(\d+)</text>', html)
    assert links and links[0][1] == "5"
    href = links[0][0].replace("&amp;", "&")
    query = parse_qs(urlsplit(href).query)
    assert query["since"] == [NOW.date().isoformat()]
    stories = client.get("/index.json?" + urlsplit(href).query).json()
    assert len(stories) == 3 and all(s["story"] != "http://news.example/40" for s in stories)


def test_period_grouping_and_split(client: TestClient) -> None:
    year = client.get(f"/coverage.json?since={(NOW - timedelta(days=365)).date()}").json()
    assert year["by"] == "week"  # a long period: per week, automatically
    day = client.get("/coverage.json?by=day&since=2026-01-01&until=2026-12-31").json()
    assert day["by"] == "day"
    split = client.get("/coverage.json?split=source").json()
    keys = {c["key"] for c in split["counts"]}
    assert keys == {"alpha", "beta", "gamma", EVIL}
    topics = client.get("/coverage.json?split=subtopic").json()
    assert {c["key"] for c in topics["counts"]} == {"visit", "transport"}
    html = client.get("/coverage?split=subtopic").text
    assert "زيارة" in html and "نقل" in html  # the legend, in Arabic
    only = client.get("/coverage.json?subtopic=transport").json()
    assert [c["articles"] for c in only["counts"]] == [1]
    beta = client.get("/coverage.json?source=beta").json()
    assert sum(c["articles"] for c in beta["counts"]) == 2


def test_planted_markup_in_the_chart_is_text(client: TestClient) -> None:
    html = client.get("/coverage?split=source").text
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the legend names the outlet
    link = client.get(f"/coverage?source={EVIL[:30]}").text
    assert "<script" not in link.lower()


@pytest.mark.parametrize(
    "query", ["by=month", "split=day", "since=2000-01-01&until=2026-01-01", "since=nope"]
)
def test_bad_coverage_parameters_are_400(client: TestClient, query: str) -> None:
    response = client.get("/coverage?" + query)
    assert response.status_code == 400
    assert "Traceback" not in response.text


def test_an_empty_store_draws_an_empty_chart(config: Config) -> None:
    db = config.store_url.removeprefix("sqlite:///")
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM articles")

    html = TestClient(create_app(config)).get("/coverage").text
    assert len(bars(html)) == 90 and sum(bars(html).values()) == 0
    assert "لا توجد مقالات" in html


@pytest.fixture
def no_full_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Fails any read of the whole archive (`Archive.articles`) by the web pages."""
    calls: list[Any] = []

    def articles(self: SQLiteStore, **kw: Any) -> Iterator[Any]:
        calls.append(kw)
        raise AssertionError("the web archive read every article")

    monkeypatch.setattr(SQLiteStore, "articles", articles)
    yield calls


def test_list_pages_ask_the_store_for_one_page(
    client: TestClient, no_full_reads: list[Any]
) -> None:
    story = "/story/" + "http%3A%2F%2Fnews.example%2F1"
    for path in [
        "/",
        "/index.json?limit=2&page=2",
        story,
        "/feed.atom",
        "/coverage",
        "/feed.atom?source=beta",
    ]:
        assert client.get(path).status_code == 200, path
    assert no_full_reads == []
    page2 = client.get("/index.json?limit=2&page=2").json()
    assert [r["story"] for r in page2] == ["http://news.example/6", "http://news.example/40"]
    assert "4 قصة" in client.get("/").text  # the count is the store's


def test_a_big_archive_pages_by_the_store(config: Config) -> None:
    db = config.store_url.removeprefix("sqlite:///")
    store = SQLiteStore(db)
    for n in range(100, 160):
        store.add(article(n, title=f"قصة {n}", text=f"نص {n} " * 30))
    store.close()

    client = TestClient(create_app(config))
    first = client.get("/index.json?limit=25").json()
    second = client.get("/index.json?limit=25&page=2").json()
    assert len(first) == len(second) == 25
    assert not {r["story"] for r in first} & {r["story"] for r in second}
    assert 'rel="next"' in client.get("/").text
    assert CORPUS[0].canonical_url == first[0]["story"]

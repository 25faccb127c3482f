"""`rasad serve`: the web archive (monitor.web) over a real SQLite store, through Starlette's
TestClient, and the real server in a subprocess (uvicorn on 127.0.0.1)."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import feedparser
import pytest

from monitor.cli import serve
from monitor.config.loader import Config, parse_config
from monitor.deliver.search import parse
from monitor.errors import StoreMissing
from monitor.web import create_app
from store.base import StoredArticle
from store.sqlite import SQLiteStore

with warnings.catch_warnings():  # Starlette 1.x would rather have httpx2; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

NOW = datetime.now(UTC).replace(microsecond=0)
TEXT = "وصل وزير الخارجية الروسي إلى بيونغ يانغ في زيارة رسمية.\nوقال إن موسكو تدعم الحوار."
EVIL = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def article(n: int, **kw: Any) -> StoredArticle:
    url = f"http://news.example/{n}"
    fields: dict[str, Any] = {
        "url": url,
        "canonical_url": url,
        "source": "alpha",
        "title": f"خبر رقم {n}",
        "text": f"{TEXT} ({n})",
        "status": "new",
        "fetched": NOW - timedelta(hours=n),
        "published": NOW - timedelta(hours=n),
        "story": url,
        "relevance": 0.8,
        "verdict": {"subtopics": ["visit"], "matched": ["بيونغ يانغ"]},
    }
    fields.update(kw)
    return StoredArticle(**fields)


STORY = "http://news.example/1"
CORPUS = [
    article(1, title="بوتين يصل إلى بيونغ يانغ"),
    article(2, source="beta", story=STORY, title="الرئيس الروسي في بيونغ يانغ"),
    article(3, status="duplicate", duplicate_of=STORY, story=STORY, source="gamma"),
    article(
        4,
        title="لافروف في موسكو يبحث جسر تومين",
        text="التقى لافروف نظيرته الكورية الشمالية لبحث جسر تومين.",
        source="beta",
        verdict={"subtopics": ["transport"], "matched": []},
    ),
    article(5, status="off_topic", story=None, title="عقوبات أمريكية"),
    article(6, title=EVIL, text=f"نص {EVIL} عن بيونغ يانغ", source=EVIL, url="javascript:x"),
    article(40, title="خبر قديم", published=NOW - timedelta(days=40)),
]


@pytest.fixture
def config(tmp_path: Path) -> Config:
    db = tmp_path / "rasad.db"
    store = SQLiteStore(db)
    for a in CORPUS:
        store.add(a)
    store.close()
    return parse_config(
        {
            "store": {"url": f"sqlite:///{db}"},
            "sources": [
                {"name": "alpha", "title": "وكالة ألفا", "feeds": ["http://a.example/f"]},
                {"name": "beta", "title": "صحيفة بيتا", "feeds": ["http://b.example/f"]},
            ],
        }
    )


@pytest.fixture
def client(config: Config) -> TestClient:
    return TestClient(create_app(config))


PAGES = ["/", "/search?q=بيونغ", f"/story/{quote(STORY, safe='')}", "/sources"]
PAGES += [f"/article?url={quote(a.canonical_url)}" for a in CORPUS]


def test_pages_are_rtl_arabic_with_a_viewport(client: TestClient) -> None:
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        assert '<html dir="rtl" lang="ar">' in response.text
        assert 'name="viewport"' in response.text
        assert "text/html" in response.headers["content-type"]


def test_security_headers_on_every_response(client: TestClient) -> None:
    for path in [*PAGES, "/feed.atom", "/static/style.css", "/nope", "/?page=0"]:
        headers = client.get(path).headers
        assert "default-src 'self'" in headers["content-security-policy"]
        assert "script-src 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"]


def test_planted_markup_is_escaped_everywhere(client: TestClient) -> None:
    evil = CORPUS[5]
    paths = [
        *PAGES,
        f"/story/{quote(evil.canonical_url, safe='')}",
        "/search?q=alert",
        f"/?source={quote(EVIL)}",
        f"/search?q={quote('<script>')}x",
    ]
    for path in paths:
        body = client.get(path).text
        assert "<script" not in body.lower(), path
        assert "<img" not in body.lower(), path
    home = client.get("/").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in home
    page = client.get(f"/article?url={quote(evil.canonical_url)}").text
    assert 'href="javascript:' not in page  # the original's link only for http(s)
    atom = client.get("/feed.atom").text
    assert "<script" not in atom and "<img" not in atom
    parsed = feedparser.parse(atom)
    assert any(e.title == EVIL for e in parsed.entries)  # as text, whole


def test_home_lists_each_story_once_newest_first(client: TestClient) -> None:
    records = client.get("/?format=json").json()
    assert client.get("/index.json").json() == records
    assert [r["story"] for r in records] == [
        STORY,
        "http://news.example/4",
        "http://news.example/6",
        "http://news.example/40",
    ]
    lead = records[0]
    assert lead["canonical_url"] == STORY
    assert lead["also_reported_by"] == ["http://news.example/2", "http://news.example/3"]
    assert {"url", "title", "status", "subtopics", "matched", "relevance"} <= set(lead)
    html = client.get("/").text
    assert html.count('href="/article?url=http%3A%2F%2Fnews.example%2F1"') == 1
    assert "صحيفة بيتا" in html  # also reported by, under its outlet's name


def test_home_filters_and_paging(client: TestClient) -> None:
    def stories(query: str) -> list[str]:
        return [r["story"] for r in client.get("/index.json?" + query).json()]

    assert stories("subtopic=transport") == ["http://news.example/4"]
    assert stories("source=beta") == [STORY, "http://news.example/4"]
    assert stories(f"since={(NOW - timedelta(days=7)).date()}") == stories("")[:3]
    assert stories(f"until={(NOW - timedelta(days=30)).date()}") == ["http://news.example/40"]
    assert stories("limit=2&page=2") == stories("")[2:4]
    assert stories("page=9") == []


@pytest.mark.parametrize(
    "path",
    [
        "/?since=yesterday",
        "/?until=2026-13-40",
        "/?since=2026-02-01&until=2026-01-01",
        "/?page=0",
        "/?page=-1",
        "/?page=abc",
        "/?limit=100000",
        "/?format=xml",
        "/search?q=",
        "/search?q=***",
        "/search?q=-موسكو",
        "/search?q=بوتين&status=deleted",
        "/search?q=بوتين&sort=random",
        "/search.json?q=بوتين&limit=0",
        "/feed.atom?since=bad",
        "/sources?page=0",
    ],
)
def test_bad_parameters_are_400_pages(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 400
    assert '<html dir="rtl" lang="ar">' in response.text
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    "path",
    ["/article?url=http://nowhere.example/x", "/article", "/story/http%3A%2F%2Fnope", "/x"],
)
def test_unknown_things_are_404_pages(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert '<html dir="rtl" lang="ar">' in response.text


@pytest.mark.parametrize(
    "query",
    [
        "q=بيونغ يانغ",
        "q=بيونج&status=all",
        "q=بيونغ&source=beta",
        "q=بيونغ&sort=date&limit=2&page=2",
        "q=جسر تومين&subtopic=transport",
        "q=لافروف OR بوتين",
    ],
)
def test_search_returns_what_the_store_returns(
    config: Config, client: TestClient, query: str
) -> None:
    params = dict(p.split("=") for p in query.split("&"))
    limit, page = int(params.get("limit", 20)), int(params.get("page", 1))
    status = params.get("status", "new")
    store = SQLiteStore(config.store_url.removeprefix("sqlite:///"))
    hits = store.search(
        parse(params["q"]),
        limit=limit,
        offset=(page - 1) * limit,
        sources=(params["source"],) if "source" in params else (),
        statuses=("new", "duplicate", "off_topic") if status == "all" else ("new",),
        subtopic=params.get("subtopic"),
        sort=params.get("sort", "relevance"),
    )
    store.close()
    records = client.get("/search.json?" + query).json()
    assert [r["canonical_url"] for r in records] == [h.article.canonical_url for h in hits]
    assert all({"score", "snippet", "highlights", "also_reported_by"} <= set(r) for r in records)
    assert client.get("/search?format=json&" + query).json() == records


def test_search_page_marks_highlights(client: TestClient) -> None:
    html = client.get("/search?q=تومين").text
    assert "<mark>تومين</mark>" in html
    assert client.get("/search").status_code == 200  # the empty form


def test_story_page_in_time_order_with_duplicates_marked(client: TestClient) -> None:
    path = f"/story/{quote(STORY, safe='')}"
    records = client.get(path + "?format=json").json()
    urls = [f"http://news.example/{n}" for n in (3, 2, 1)]  # oldest first
    assert [r["canonical_url"] for r in records] == urls
    times = [r["published"] for r in records]
    assert times == sorted(times)
    html = client.get(path).text
    assert html.count("نسخة مكررة") == 1
    assert client.get(f"/story?id={quote(STORY)}").status_code == 200


def test_article_page_shows_text_and_verdict(client: TestClient) -> None:
    html = client.get(f"/article?url={quote(STORY)}").text
    assert "<p>وصل وزير الخارجية الروسي" in html and "<p>وقال إن موسكو" in html
    assert "0.80" in html and "بيونغ يانغ" in html and "visit" in html
    assert f'href="{STORY}"' in html
    record = client.get(f"/article?url={quote(STORY)}&format=json").json()
    assert record["also_reported_by"] == ["http://news.example/3"]


def test_sources_page_failing_first(config: Config, client: TestClient) -> None:
    rows = client.get("/sources.json").json()
    assert {r["source"] for r in rows} == {"alpha", "beta"}
    assert client.get("/sources?format=json").json() == rows
    assert "صحة المصادر" in client.get("/sources").text


def test_atom_feed_parses_with_stable_ids_and_conditional_get(client: TestClient) -> None:
    first = client.get("/feed.atom")
    assert first.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(first.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    ids = [e.id for e in parsed.entries]
    assert len(ids) == len(set(ids)) == 4  # one per new story
    lead = next(e for e in parsed.entries if e.link == STORY)
    assert lead.author == "وكالة ألفا" and lead.summary.startswith("وصل وزير")
    again = feedparser.parse(client.get("/feed.atom").content)
    assert [e.id for e in again.entries] == ids
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert client.get("/feed.atom", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/feed.atom", headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get("/feed.atom", headers={"If-None-Match": '"other"'}).status_code == 200
    sub = feedparser.parse(client.get("/feed.atom?subtopic=transport").content)
    assert [e.id for e in sub.entries] == [ids[1]]
    q = feedparser.parse(client.get("/feed.atom?q=تومين").content)
    assert [e.id for e in q.entries] == [ids[1]] and not q.bozo
    beta = feedparser.parse(client.get("/feed.atom?source=beta").content)
    assert len(beta.entries) == 2


def test_the_server_never_writes(config: Config, client: TestClient) -> None:
    db = Path(config.store_url.removeprefix("sqlite:///"))
    before = SQLiteStore(db).counts()
    for path in PAGES:
        client.get(path)
    assert SQLiteStore(db).counts() == before


def test_missing_store_fails_like_other_read_only_commands(tmp_path: Path) -> None:
    config = parse_config({"store": {"url": f"sqlite:///{tmp_path}/none.db"}})
    parser = argparse.ArgumentParser()
    serve.register(parser.add_subparsers())
    args = parser.parse_args(["serve", "--port", "1"])
    with pytest.raises(StoreMissing, match="run `rasad crawl` first"):
        args.handler(args, config)
    assert not (tmp_path / "none.db").exists()
    assert serve.is_loopback("127.0.0.1") and serve.is_loopback("::1")
    assert not serve.is_loopback("0.0.0.0")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_real_server_serves_and_stops_cleanly_on_sigterm(config: Config, tmp_path: Path) -> None:
    toml = tmp_path / "rasad.toml"
    toml.write_text(f'[store]\nurl = "{config.store_url}"\n', encoding="utf-8")
    port = _free_port()
    code = (
        "import argparse, sys; from monitor.cli.serve import run; "
        "from monitor.config.loader import load_config; "
        f"sys.exit(run(argparse.Namespace(host='127.0.0.1', port={port}), "
        f"load_config({str(toml)!r})))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stderr=subprocess.PIPE, text=True, env={**os.environ}
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    body = response.read().decode("utf-8")
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        assert '<html dir="rtl" lang="ar">' in body and "بوتين يصل" in body
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
        assert proc.returncode == 0, err
        assert err == ""  # quiet by default
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()

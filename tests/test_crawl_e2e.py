"""End to end: `rasad crawl` against the local fixture news site, then `rasad export`.

Each crawl is a real subprocess (Twisted's reactor runs once per process), against a
real HTTP server on 127.0.0.1 and a real SQLite file; the tests about what is stored (not about
the SQLite file itself) take `backend_url` and run on PostgreSQL too (tests/conftest.py).
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import unicodedata
from collections.abc import Iterator
from datetime import datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path

import pytest
from fixture_site import (
    BOILERPLATE_MARKERS,
    PRIVATE_ARTICLE,
    SITE_TZ,
    FeedLink,
    NewsSite,
    Routes,
    SiteArticle,
    demo_site,
    load_ant_articles,
    rasad_config,
    seed_site,
    shared_data_dir,
)

from monitor.text.urls import canonical_url

REPO = Path(__file__).resolve().parents[1]
CONTRACT_FIELDS = {
    "url",
    "canonical_url",
    "source",
    "title",
    "published",
    "fetched",
    "text",
    "status",
    "relevance",
    "duplicate_of",
}

pytestmark = pytest.mark.slow


def rasad(
    *args: str, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "RASAD_CONFIG"}
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd or REPO,
        env=env,
    )


def export(config: Path, *extra: str) -> list[dict[str, object]]:
    result = rasad("export", "--config", str(config), *extra)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def write_config(
    tmp_path: Path,
    site: NewsSite,
    *,
    timezone: str | None = None,
    interval: str | None = None,
    store_url: str | None = None,
    **kwargs: object,
) -> Path:
    """The fixture site as the only source; `timezone` and `interval` go in its [[sources]].

    store_url: the store (`backend_url`); by default tmp_path/rasad.db."""
    url = store_url or f"sqlite:///{tmp_path}/rasad.db"
    text = rasad_config(site, url, **kwargs)  # type: ignore[arg-type]
    if timezone:
        text += f'timezone = "{timezone}"\n'
    if interval:
        text += f'interval = "{interval}"\n'
    path = tmp_path / "rasad.toml"
    path.write_text(text, encoding="utf-8")
    return path


def norm(text: str) -> str:
    """Whitespace folded; invisible format characters (bidi controls) dropped."""
    visible = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(visible.split())


def retention(article: SiteArticle, text: str) -> float:
    stored = norm(text)
    kept = [p for p in article.paragraphs if norm(p) in stored]
    return len(kept) / len(article.paragraphs)


@pytest.fixture
def site() -> Iterator[NewsSite]:
    ant = load_ant_articles(40, seed=7) if shared_data_dir() else []
    with demo_site(ant) as running:
        yield running


def test_crawl_stores_clean_articles_once(site: NewsSite, tmp_path: Path, backend_url: str) -> None:
    # the site prints local (UTC+3) times without an offset in its Arabic-dated feed
    config = write_config(tmp_path, site, timezone="+03:00", store_url=backend_url)
    first = rasad("crawl", "--config", str(config))
    assert first.returncode == 0, first.stdout + first.stderr
    assert "almadar" in first.stdout and "FAILED" not in first.stdout

    # by canonical URL: a feed may link the same page as an IRI or percent-encoded
    records = {r["canonical_url"]: r for r in export(config, "--all")}
    published = [page for page in site.pages if not page.path.startswith(Routes.PRIVATE_PREFIX)]
    assert len(published) >= 5
    missing = [p.path for p in published if canonical_url(site.url(p.path)) not in records]
    assert not missing, f"articles not stored: {missing}"

    dated = wrong_dates = 0
    for page in published:
        record = records[canonical_url(site.url(page.path))]
        assert set(record) >= CONTRACT_FIELDS, set(record) ^ CONTRACT_FIELDS
        assert record["source"] == "almadar"
        # the seeds are on topic; the random ANT sample mostly is not (judged in
        # test_relevance_e2e.py): either way the article is stored, with its outcome
        if page.article.origin.startswith("seed:"):
            # the seed site republishes the seed corpus itself: a copy, never new coverage
            assert record["status"] == "duplicate", page.article.title
            assert record["duplicate_of"] == page.article.origin
        else:
            assert record["status"] in ("new", "off_topic", "duplicate"), page.article.title
        assert record["title"] == page.article.title
        text = str(record["text"])
        assert retention(page.article, text) >= 0.97, page.path
        leaked = [m for m in BOILERPLATE_MARKERS if m in text]
        assert not leaked, f"{page.path} ({page.template}) kept boilerplate: {leaked}"
        if record["published"]:
            dated += 1
            stored = datetime.fromisoformat(str(record["published"]))
            true = page.article.published
            if stored.time() == time_of_day(0, 0):  # a bare day (URL date): the local day
                wrong_dates += stored.date() != true.astimezone(SITE_TZ).date()
            else:  # the same instant, to the minute (feeds print minutes at best)
                wrong_dates += abs(stored - true) >= timedelta(minutes=1)
    assert wrong_dates == 0
    assert dated >= 0.95 * len(published)

    # robots.txt was read and its Disallow honoured, on both runs
    assert site.requests("/robots.txt")
    site.clear_requests()
    second = rasad("crawl", "--config", str(config))
    assert second.returncode == 0, second.stdout + second.stderr
    assert site.article_requests() == [], "the second crawl fetched stored articles again"
    assert not site.requests(Routes.PRIVATE_PREFIX)
    assert not site.requests("/robots.txt"), "robots.txt is reused from the store for a day"
    assert "0 pages fetched: 0 new" in second.stdout
    assert len(export(config, "--all")) == len(records)


def test_article_failures_are_recorded_and_retried(tmp_path: Path, backend_url: str) -> None:
    from store import open_store
    from store.base import STATUSES

    with demo_site(seeds=True, special=True) as site:
        config = write_config(
            tmp_path, site, crawl={"download_timeout": 5, "retry_delay": 0}, store_url=backend_url
        )
        result = rasad("crawl", "--config", str(config))
        # article-level failures do not fail the run
        assert result.returncode == 0, result.stdout + result.stderr
        report = result.stdout
        for reason in ("http_404", "http_500", "http_429", "redirects", "not_html", "empty"):
            assert reason in report, f"{reason} missing from the report:\n{report}"
        store = open_store(backend_url, read_only=True)
        errors = (Routes.NOT_FOUND, Routes.PNG, Routes.PDF_AS_HTML)
        failed = store.entry_states([site.url(path) for path in errors])
        stored_before = sum(1 for _ in store.articles(statuses=STATUSES))
        store.close()
        # recorded failed (the report named why: http_404, not_html), to be retried
        assert failed == {site.url(path): "failed" for path in errors}
        assert stored_before == 5  # the seeds; nothing from the error routes

        site.clear_requests()
        again = rasad("crawl", "--config", str(config))
        assert again.returncode == 0
        assert site.requests(Routes.NOT_FOUND), "a failed page is retried on the next run"
        assert not site.requests(Routes.RATE_LIMITED), "Retry-After: 120 is honoured"
        assert site.article_requests() == []


def test_failed_pages_wait_out_their_backoff(tmp_path: Path) -> None:
    with demo_site(seeds=True, special=True) as site:
        config = write_config(tmp_path, site, crawl={"download_timeout": 5})
        assert rasad("crawl", "--config", str(config)).returncode == 0
        db = sqlite3.connect(tmp_path / "rasad.db")
        waits = dict(
            db.execute(
                "SELECT url, (julianday(next_attempt) - julianday(last_attempt)) * 86400"
                " FROM entries WHERE state = 'failed'"
            )
        )
        db.close()
        assert 590 <= waits[site.url(Routes.NOT_FOUND)] <= 610  # crawl.retry_delay, first failure
        site.clear_requests()
        assert rasad("crawl", "--config", str(config)).returncode == 0
        retried = [r.path for r in site.requests() if r.path.startswith("/news/2024/06/18/")]
        assert retried == [], "failed pages were fetched again before their backoff ended"


def test_huge_and_slow_pages_are_refused_not_fatal(tmp_path: Path) -> None:
    with seed_site(slow_seconds=4, huge_bytes=3_000_000) as site:
        from fixture_site import special_feed_links

        site.add_to_feed("/feed/", *special_feed_links(slow=True, huge=True))
        config = write_config(
            tmp_path, site, crawl={"download_timeout": 1.5, "max_page_bytes": 1_000_000}
        )
        result = rasad("crawl", "--config", str(config))
        assert result.returncode == 0, result.stdout + result.stderr
        assert "too_large" in result.stdout and "timeout" in result.stdout
        stored = {r["title"] for r in export(config, "--all")}
        assert stored >= {a.title for a in site.articles[:5]}


def test_a_failing_feed_fails_the_source(tmp_path: Path) -> None:
    with seed_site() as site:
        feeds = ["/feed/", Routes.NOT_A_FEED, Routes.EMPTY_FEED]
        config = write_config(tmp_path, site, feeds=feeds)
        result = rasad("crawl", "--config", str(config))
        assert result.returncode == 1
        assert "FAILED SOURCES (1): almadar" in result.stdout
        assert site.url(Routes.NOT_A_FEED) in result.stdout and "HTML page" in result.stdout
        # the good feed's articles are stored all the same
        assert len(export(config, "--all")) == 5
        health = json.loads(rasad("sources", "--config", str(config), "--format", "json").stdout)
        by_feed = {row["feed"]: row for row in health}
        assert by_feed[site.url(Routes.NOT_A_FEED)]["error_streak"] == 1
        assert by_feed[site.url("/feed/")]["last_success"] is not None
        assert by_feed[site.url("/feed/")]["items_seen"] == 6
        # at once again: the failing feeds wait out their backoff, the source still fails
        again = rasad("crawl", "--config", str(config))
        assert again.returncode == 1
        assert f"feed held back: {site.url(Routes.NOT_A_FEED)}: not polled until" in again.stdout
        assert "(backoff after 1 failures; --force polls it now)" in again.stdout


def test_a_feed_failing_three_polls_in_a_row_is_flagged(tmp_path: Path) -> None:
    with seed_site() as site:
        # a 1-second interval: the backoff (1 s, then 2 s) passes between the runs
        config = write_config(tmp_path, site, feeds=[Routes.NOT_A_FEED], interval="1s")
        outputs = []
        for pause in (0, 1.2, 2.2):
            time.sleep(pause)
            outputs.append(rasad("crawl", "--config", str(config)).stdout)
        assert site.requests(Routes.NOT_A_FEED).__len__() == 3, outputs
        assert "failed 3 polls in a row: check the feed URL" in outputs[-1]
        assert "in a row" not in outputs[1]


def test_unreachable_feed_host(tmp_path: Path) -> None:
    config = tmp_path / "rasad.toml"
    config.write_text(
        f"""[store]
url = "sqlite:///{tmp_path}/rasad.db"
[crawl]
download_delay = 0
[[sources]]
name = "gone"
feeds = ["http://127.0.0.1:9/rss.xml"]
""",
        encoding="utf-8",
    )
    result = rasad("crawl", "--config", str(config))
    assert result.returncode == 1
    assert "gone: feed failed: http://127.0.0.1:9/rss.xml: connection refused" in result.stdout


def test_a_killed_run_loses_nothing(tmp_path: Path) -> None:
    ant = load_ant_articles(30, seed=3) if shared_data_dir() else []
    with demo_site(ant) as site:
        config = write_config(tmp_path, site, download_delay=0.15)
        proc = subprocess.Popen(
            [sys.executable, "-m", "monitor.cli", "crawl", "--config", str(config)],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        db_path = tmp_path / "rasad.db"
        deadline = time.monotonic() + 60
        stored = 0
        while time.monotonic() < deadline and stored < 3:
            time.sleep(0.2)
            if db_path.exists():
                with sqlite3.connect(db_path) as db:
                    try:
                        stored = db.execute("SELECT count(*) FROM articles").fetchone()[0]
                    except sqlite3.OperationalError:
                        stored = 0
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert stored >= 3
        with sqlite3.connect(db_path) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            first = {row[0] for row in db.execute("SELECT url FROM articles")}
        total = len([p for p in site.pages if not p.path.startswith(Routes.PRIVATE_PREFIX)])
        assert len(first) < total, "the crawl finished before it could be killed"

        site.clear_requests()
        resumed = rasad("crawl", "--config", str(config))
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        refetched = {canonical_url(site.url(r.path)) for r in site.article_requests()}
        first = {canonical_url(url) for url in first}
        assert not refetched & first, "articles stored before the kill were fetched again"
        assert len(export(config, "--all")) == total
        runs = dict(sqlite3.connect(db_path).execute("SELECT id, state FROM runs"))
        assert sorted(runs.values()) == ["interrupted", "ok"]


def test_bad_config_exits_2_before_any_network_or_store(tmp_path: Path) -> None:
    with seed_site() as site:
        config = write_config(tmp_path, site)
        config.write_text(config.read_text() + "\n[crawl2]\nx = 1\n", encoding="utf-8")
        result = rasad("crawl", "--config", str(config))
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1 and "crawl2" in result.stderr
        assert str(config) in result.stderr
        assert site.requests() == []
        assert not (tmp_path / "rasad.db").exists()
    missing = rasad("crawl", "--config", str(tmp_path / "nope.toml"))
    assert missing.returncode == 2 and "not found" in missing.stderr


def test_export_formats_and_filters(tmp_path: Path, backend_url: str) -> None:
    with seed_site() as site:
        config = write_config(tmp_path, site, store_url=backend_url)
        assert rasad("crawl", "--config", str(config)).returncode == 0
    as_csv = rasad("export", "--config", str(config), "--format", "csv", "--all")
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert len(rows) == 5 and set(rows[0]) >= CONTRACT_FIELDS
    assert all("\n\n" in row["text"] for row in rows)  # paragraphs survive CSV quoting
    assert export(config, "--since", "2999-01-01", "--all") == []
    assert len(export(config, "--since", "1d", "--all")) == 5
    assert export(config) == []  # copies of the seed corpus: nothing new to deliver
    out = tmp_path / "out.jsonl"
    written = rasad("export", "--config", str(config), "--output", str(out), "--all")
    assert "wrote 5 articles" in written.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == 5
    bad = rasad("export", "--config", str(config), "--since", "yesterday")
    assert bad.returncode == 2 and "not a date" in bad.stderr
    # seeds are loaded into the store but never exported as crawled items
    assert not any(str(r["url"]).startswith("seed:") for r in export(config, "--all"))
    assert not any(r["title"] == PRIVATE_ARTICLE.title for r in export(config, "--all"))


def test_sources_lists_every_source_with_its_health(tmp_path: Path, backend_url: str) -> None:
    with seed_site() as site:
        config = write_config(tmp_path, site, store_url=backend_url)
        before = rasad("sources", "--config", str(config))
        assert before.returncode == 0 and "never" in before.stdout
        rasad("crawl", "--config", str(config))
        feed_url = site.url("/feed/")
    after = rasad("sources", "--config", str(config))
    assert "almadar" in after.stdout and feed_url in after.stdout
    body = after.stdout.split("\n", 1)[1]
    # every feed was polled and answered; /feed/ and /atom.xml list the same seeds, so which
    # of them saw each item first (its "last new item") depends on which answered first
    assert "never polled" not in body and "last success never" not in body
    assert body.count("last new item") == 2 and body.count("last new item never") <= 1


def test_default_sources_are_listed_without_a_config(tmp_path: Path) -> None:
    result = rasad("sources", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (
        "bbc_arabic" in result.stdout and "https://feeds.bbci.co.uk/arabic/rss.xml" in result.stdout
    )
    assert "gnews_ru_kp (off)" in result.stdout
    # listed from the config alone: a read-only command never creates the store
    assert not (tmp_path / "data").exists()
    assert result.stderr.startswith("rasad: no store at ") and "rasad crawl" in result.stderr


def test_overlapping_crawl_exits_3(tmp_path: Path) -> None:
    from monitor.config.loader import load_config
    from monitor.schedule.locks import crawl_lock

    with seed_site() as site:
        config = write_config(tmp_path, site)
        with crawl_lock(load_config(str(config), {})):
            result = rasad("crawl", "--config", str(config))
        assert result.returncode == 3
        assert "another crawl is running" in result.stderr
        assert site.requests() == []


def test_a_crawl_stopped_by_sigterm_is_recorded_as_interrupted(tmp_path: Path) -> None:
    with seed_site(slow_seconds=5) as site:
        from fixture_site import special_feed_links

        site.add_to_feed("/feed/", *special_feed_links(slow=True, huge=False))
        config = write_config(tmp_path, site, crawl={"download_timeout": 30})
        proc = subprocess.Popen(
            [sys.executable, "-m", "monitor.cli", "crawl", "--config", str(config)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not site.requests(Routes.SLOW):
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert "INTERRUPTED" in out
    states = [
        s for (s,) in sqlite3.connect(tmp_path / "rasad.db").execute("SELECT state FROM runs")
    ]
    assert states == ["interrupted"]


# -- sitemaps: only recent URLs, a bounded number; news sitemaps from robots.txt ---------------


def _story(slug: str, age: timedelta) -> SiteArticle:
    return SiteArticle(
        slug=slug,
        title=f"خبر من الأرشيف: {slug}",
        paragraphs=(
            "قال مسؤولون في وزارة الاقتصاد إن الحكومة تدرس خطة جديدة لدعم الصادرات الزراعية "
            "خلال الموسم المقبل، مع توسيع برامج التمويل للمزارعين الصغار في المحافظات.",
            f"وأضاف المسؤولون أن الخطة رقم {slug} ستعرض على مجلس الوزراء الأسبوع المقبل.",
        ),
        published=datetime.now(SITE_TZ) - age,
    )


def _sitemap_config(tmp_path: Path, source: str, **crawl: object) -> Path:
    extra = "".join(f"{key} = {json.dumps(value)}\n" for key, value in crawl.items())
    path = tmp_path / "rasad.toml"
    path.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path}/rasad.db"\n[crawl]\ndownload_delay = 0\n{extra}'
        f'[[sources]]\nname = "almadar"\n{source}\n',
        encoding="utf-8",
    )
    return path


def _last_report(tmp_path: Path) -> dict[str, object]:
    row = (
        sqlite3.connect(tmp_path / "rasad.db")
        .execute("SELECT report FROM runs ORDER BY id DESC")
        .fetchone()
    )
    source: dict[str, object] = json.loads(row[0])["sources"][0]
    return source


def test_a_plain_sitemap_fetches_only_recent_urls_up_to_the_cap(tmp_path: Path) -> None:
    old = [_story(f"archive-{n}", timedelta(days=days)) for n, days in enumerate((900, 30, 3))]
    recent = [_story(f"recent-{n}", timedelta(hours=n)) for n in (1, 2, 3, 4)]
    undated = _story("undated-archive", timedelta(days=2000))
    with NewsSite() as site:
        site.add_article(undated)
        site.add_feed("/sitemap.xml", [*old, *recent], form="sitemap")
        site.add_to_feed("/sitemap.xml", FeedLink(site.path_for(undated), undated.title))
        config = _sitemap_config(
            tmp_path, f'sitemaps = ["{site.url("/sitemap.xml")}"]', sitemap_max_urls=3
        )
        never = {site.path_for(a) for a in [*old, undated]}

        first = rasad("crawl", "--config", str(config))
        assert first.returncode == 0, first.stdout + first.stderr
        fetched = [r.decoded_path for r in site.article_requests()]
        assert sorted(fetched) == sorted(site.path_for(a) for a in recent[:3])  # newest 3
        # three too old, one undated on a first poll (the archive), one over the cap
        assert _last_report(tmp_path)["sitemap_skipped"] == 5
        every = list(fetched)

        site.clear_requests()
        second = rasad("crawl", "--config", str(config))
        assert second.returncode == 0, second.stdout + second.stderr
        assert site.article_requests() == []  # nothing new, nothing skipped fetched
        assert [r.status for r in site.feed_requests("/sitemap.xml")] == [304]

        # the outlet publishes: the new story, what the cap left, a new undated URL
        latest = _story("latest", timedelta(minutes=5))
        fresh_undated = _story("undated-new", timedelta(minutes=1))
        site.add_article(fresh_undated)
        site.add_to_feed(
            "/sitemap.xml", latest, FeedLink(site.path_for(fresh_undated), fresh_undated.title)
        )
        site.clear_requests()
        third = rasad("crawl", "--config", str(config))
        assert third.returncode == 0, third.stdout + third.stderr
        fetched = [r.decoded_path for r in site.article_requests()]
        assert sorted(fetched) == sorted(
            site.path_for(a) for a in (latest, recent[3], fresh_undated)
        )
        every += fetched
    assert not never & set(every), "a URL older than the window was fetched"
    assert len(every) == len(set(every)) == 6
    assert len(export(config, "--all")) == 6


def test_a_homepage_only_source_finds_its_news_sitemap_in_robots_txt(tmp_path: Path) -> None:
    stories = [_story(f"news-{n}", timedelta(hours=n)) for n in (1, 2)]
    archive = [_story(f"archive-{n}", timedelta(days=400 + n)) for n in (1, 2)]
    with NewsSite() as site:  # no feed at all: discovery finds none
        site.add_feed("/sitemaps/news.xml", stories, form="sitemap-news")
        site.add_feed("/sitemaps/all.xml", archive, form="sitemap")
        assert b"Sitemap: " + site.url("/sitemaps/news.xml").encode() in (
            site._robots_body() or b""
        )
        config = _sitemap_config(tmp_path, f'homepage = "{site.url("/")}"')

        first = rasad("crawl", "--config", str(config))
        assert first.returncode == 0, first.stdout + first.stderr
        assert "news sitemap(s) named in robots.txt" in " ".join(first.stdout.split())
        assert sorted(r.decoded_path for r in site.article_requests()) == sorted(
            site.path_for(a) for a in stories
        )
        assert site.feed_requests("/sitemaps/all.xml") == []  # not a news sitemap
        assert len(site.requests("/robots.txt")) == 1  # the robots middleware's, reused
        assert {r["title"] for r in export(config, "--all")} == {a.title for a in stories}

        site.clear_requests()
        second = rasad("crawl", "--config", str(config))
        assert second.returncode == 0, second.stdout + second.stderr
        # remembered: no homepage, no candidates, no robots.txt; one conditional request
        requests = site.requests()
        assert [(r.path, r.status) for r in requests] == [("/sitemaps/news.xml", 304)]

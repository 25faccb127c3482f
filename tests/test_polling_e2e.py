"""Cheap, polite re-polls end to end: conditional GET, robots.txt from the store,
only new items fetched, Retry-After honoured across runs."""

from __future__ import annotations

import itertools
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fixture_site import (
    SiteArticle,
    demo_site,
    load_ant_articles,
    seed_site,
    shared_data_dir,
)
from test_crawl_e2e import export, rasad, write_config

from store import open_store

pytestmark = pytest.mark.slow


def test_an_unchanged_repoll_costs_one_conditional_request_per_feed(
    tmp_path: Path, backend_url: str
) -> None:
    ant = load_ant_articles(24, seed=11) if shared_data_dir() else []
    with demo_site(ant) as site:
        config = write_config(tmp_path, site, store_url=backend_url)
        assert rasad("crawl", "--config", str(config)).returncode == 0
        stored = len(export(config, "--all"))

        site.clear_requests()
        again = rasad("crawl", "--config", str(config))
        assert again.returncode == 0, again.stdout
        requests = site.requests()
        feeds = set(site.feeds)
        assert len(requests) == len(feeds), [r.path for r in requests]
        assert {r.path for r in requests} == {r.path for r in site.feed_requests()}
        assert all(r.status == 304 for r in requests), [(r.path, r.status) for r in requests]
        assert all(
            "if-none-match" in r.headers or "if-modified-since" in r.headers for r in requests
        )
        assert f"{len(feeds)}/{len(feeds)} {len(feeds):>4}" in again.stdout  # the 304 column

        # new items appear: exactly those are fetched, nothing stored is fetched again
        fresh = [
            SiteArticle(
                slug=f"lavrov-pyongyang-{n}",
                title=f"لافروف يصل إلى بيونغ يانغ في زيارة رسمية {n}",
                paragraphs=(
                    "وصل وزير الخارجية الروسي سيرغي لافروف إلى بيونغ يانغ اليوم في زيارة رسمية "
                    "يلتقي خلالها نظيره الكوري الشمالي ري يونغ هو لبحث العلاقات الثنائية بين موسكو "
                    "وبيونغ يانغ والتعاون الاقتصادي بين البلدين.",
                    "وقالت وزارة الخارجية الروسية إن المحادثات ستتناول أيضا الوضع في شبه الجزيرة "
                    "الكورية ومشاريع السكك الحديدية والطاقة المشتركة مع كوريا الشمالية.",
                    f"وأضافت الوزارة في بيان أن الزيارة رقم {n} تأتي تلبية لدعوة رسمية.",
                ),
                published=datetime(2018, 5, 31, 9, n, tzinfo=UTC),
            )
            for n in range(2)
        ]
        site.add_to_feed("/feed/", *fresh)
        site.clear_requests()
        third = rasad("crawl", "--config", str(config))
        assert third.returncode == 0, third.stdout
        fetched = sorted(r.path for r in site.article_requests())
        assert fetched == sorted(site.path_for(a) for a in fresh)
        assert [r.status for r in site.feed_requests("/feed/")] == [200]
        assert len(export(config, "--all")) == stored + 2
        assert not site.requests("/robots.txt")


def test_retry_after_on_a_feed_is_honoured_on_later_runs(tmp_path: Path, backend_url: str) -> None:
    with seed_site() as site:
        site.set_response("/busy.xml", 429, "", headers={"Retry-After": "3600"})
        config = write_config(tmp_path, site, feeds=["/feed/", "/busy.xml"], store_url=backend_url)
        first = rasad("crawl", "--config", str(config))
        assert first.returncode == 1
        assert "HTTP 429" in first.stdout and "Retry-After: not before" in first.stdout
        assert len(site.requests("/busy.xml")) == 1  # not retried at once by Scrapy either

        site.clear_requests()
        second = rasad("crawl", "--config", str(config))
        assert second.returncode == 1  # still unusable: the source is reported
        assert site.requests("/busy.xml") == []
        assert "feed held back" in second.stdout and "(the server's Retry-After)" in second.stdout


def test_sources_shows_the_polling_state(tmp_path: Path) -> None:
    with seed_site() as site:
        config = write_config(tmp_path, site, interval="30m")
        rasad("crawl", "--config", str(config))
        rasad("crawl", "--config", str(config))
    rows = json.loads(rasad("sources", "--config", str(config), "--format", "json").stdout)
    feed = next(row for row in rows if row["feed"].endswith("/feed/"))
    assert feed["interval"] and feed["next_due"]
    assert feed["items_per_day"] >= 0 and feed["last_status"] == 304
    text = rasad("sources", "--config", str(config)).stdout
    assert "every" in text  # the current interval, in words
    state = sqlite3.connect(tmp_path / "rasad.db").execute("SELECT state FROM feeds").fetchone()[0]
    assert json.loads(state)["etag"]


def test_robots_crawl_delay_spaces_requests_to_the_host(tmp_path: Path) -> None:
    with seed_site(robots="User-agent: *\nCrawl-delay: 1\nDisallow: /private/\n") as site:
        config = write_config(tmp_path, site, crawl={"concurrency_per_host": 4})
        assert rasad("crawl", "--config", str(config)).returncode == 0
        times = sorted(r.time for r in site.article_requests())
    assert len(times) == 5
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.9, gaps  # download_delay is 0: only Crawl-delay spaces them


def test_a_homepage_only_source_gets_its_feed_discovered(tmp_path: Path) -> None:
    with seed_site() as site:
        config = tmp_path / "rasad.toml"
        config.write_text(
            f'[store]\nurl = "sqlite:///{tmp_path}/rasad.db"\n[crawl]\ndownload_delay = 0\n'
            f'[[sources]]\nname = "almadar"\nhomepage = "{site.url("/")}"\n',
            encoding="utf-8",
        )
        first = rasad("crawl", "--config", str(config))
        assert first.returncode == 0, first.stdout
        assert "feed discovered:" in first.stdout
        assert len(export(config, "--all")) == 5
        site.clear_requests()
        second = rasad("crawl", "--config", str(config))
        assert second.returncode == 0
        # the discovered feed is remembered: no homepage visit, one conditional request
        assert site.requests("/") == [] or all(r.path != "/" for r in site.requests())
        assert len(site.requests()) == 1 and site.requests()[0].status == 304
        rows = json.loads(rasad("sources", "--config", str(config), "--format", "json").stdout)
        assert [row["feed"] for row in rows] != [site.url("/")]


def test_a_gone_feed_is_looked_for_again_on_the_homepage(tmp_path: Path) -> None:
    with seed_site() as site:
        config = tmp_path / "rasad.toml"
        config.write_text(
            f'[store]\nurl = "sqlite:///{tmp_path}/rasad.db"\n[crawl]\ndownload_delay = 0\n'
            f'[[sources]]\nname = "almadar"\nhomepage = "{site.url("/")}"\n',
            encoding="utf-8",
        )
        assert rasad("crawl", "--config", str(config)).returncode == 0
        db = sqlite3.connect(tmp_path / "rasad.db")
        row = db.execute("SELECT value FROM state WHERE key = 'discovered:almadar'")
        (found,) = json.loads(row.fetchone()[0])
        site.set_response(urlsplit(found).path, 404, "<html>لم يتم العثور على الصفحة</html>")
        assert rasad("crawl", "--config", str(config)).returncode == 1
        # the feed has now been gone for three polls, and its backoff has passed
        state = json.loads(db.execute("SELECT state FROM feeds").fetchone()[0])
        state.update(error_streak=3, next_due="2000-01-01T00:00:00+00:00")
        db.execute("UPDATE feeds SET state = ?", (json.dumps(state),))
        db.commit()
        db.close()
        site.clear_requests()
        again = rasad("crawl", "--config", str(config))
        assert again.returncode == 1  # the old feed still failed this run
        assert "feed discovered:" in again.stdout and "/atom.xml" in again.stdout
        assert site.requests("/") != [], "the homepage was read again"


def test_a_news_sitemap_source(tmp_path: Path) -> None:
    with seed_site() as site:
        articles = site.articles[:3]
        site.add_feed("/sitemap-news.xml", articles, form="sitemap-news")
        config = tmp_path / "rasad.toml"
        # the seed stories are years old: a window that wide backfills them
        config.write_text(
            f'[store]\nurl = "sqlite:///{tmp_path}/rasad.db"\n[crawl]\ndownload_delay = 0\n'
            'sitemap_window = "36500d"\n'
            f'[[sources]]\nname = "almadar"\nsitemaps = ["{site.url("/sitemap-news.xml")}"]\n',
            encoding="utf-8",
        )
        result = rasad("crawl", "--config", str(config))
        assert result.returncode == 0, result.stdout
        titles = {r["title"] for r in export(config, "--all")}
        assert titles == {a.title for a in articles}
        published = {r["title"]: r["published"] for r in export(config, "--all")}
        assert all(published.values())


def test_due_only_crawls_skip_feeds_whose_interval_has_not_passed(
    tmp_path: Path, backend_url: str
) -> None:
    with seed_site() as site:
        config = write_config(tmp_path, site, interval="30m", store_url=backend_url)
        assert rasad("crawl", "--config", str(config), "--due-only").returncode == 0
        site.clear_requests()
        result = rasad("crawl", "--config", str(config), "--due-only")
        assert result.returncode == 0, result.stdout
        assert site.requests() == []  # polled a moment ago: not due for a while
        store = open_store(backend_url, read_only=True)
        report = json.loads(store.runs(1)[0]["report"])
        store.close()
        assert report["sources"][0]["not_due"] == len(site.feeds)
        # without --due-only (cron's plain crawl) every healthy feed is polled
        assert rasad("crawl", "--config", str(config)).returncode == 0
        assert len(site.requests()) == len(site.feeds)

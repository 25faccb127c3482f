"""Sitemaps as a source: Google News sitemaps, plain sitemaps, index files, gzip, bad input;
which of a sitemap's URLs are fetched (window, cap, undated URLs); news sitemaps in robots.txt."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from monitor.config.loader import Config, CrawlSettings, Source
from monitor.crawl.run import CrawlRun
from monitor.errors import FeedError
from monitor.models import FeedEntry
from monitor.sources.robots import (
    is_news_sitemap_url,
    news_sitemaps_from_robots,
    sitemaps_from_robots,
)
from monitor.sources.sitemaps import Sitemap, parse_sitemap, recent_children, select_entries
from monitor.text.urls import canonical_url
from store.base import StoredArticle
from store.sqlite import SQLiteStore

NOW = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
RIYADH = timezone(timedelta(hours=3))
URL = "https://www.skynewsarabia.com/sitemaps/news.xml"

NEWS_SITEMAP = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url>
    <loc>https://www.skynewsarabia.com/world/1712345-%D8%A8%D9%88%D8%AA%D9%8A%D9%86-%D9%8A%D8%B3%D8%AA%D9%82%D8%A8%D9%84-%D9%83%D9%8A%D9%85</loc>
    <news:news>
      <news:publication>
        <news:name>سكاي نيوز عربية</news:name>
        <news:language>ar</news:language>
      </news:publication>
      <news:publication_date>2026-02-28T21:15:00+04:00</news:publication_date>
      <news:title>بوتين يستقبل كيم جونغ أون في موسكو ويوقعان
        اتفاقية &quot;شراكة استراتيجية شاملة&quot;</news:title>
      <news:keywords>روسيا, كوريا الشمالية</news:keywords>
    </news:news>
    <image:image><image:loc>https://img.skynewsarabia.com/kim.jpg</image:loc></image:image>
  </url>
  <url>
    <loc>https://www.skynewsarabia.com/world/1712346-شويغو-في-بيونغ-يانغ</loc>
    <news:news>
      <news:publication>
        <news:name>سكاي نيوز عربية</news:name><news:language>ar</news:language>
      </news:publication>
      <news:publication_date>2026-02-28T18:30:00</news:publication_date>
      <news:title><![CDATA[شويغو في بيونغ يانغ: "تعاون عسكري" بلا سقف]]></news:title>
    </news:news>
  </url>
  <url>
    <loc>/world/1712347-lavrov</loc>
    <news:news>
      <news:publication_date>2026-02-27</news:publication_date>
      <news:title>لافروف: العلاقات مع كوريا الديمقراطية "في أفضل حالاتها"</news:title>
    </news:news>
  </url>
  <url>
    <loc>https://www.skynewsarabia.com/world/1712348-sanctions</loc>
    <lastmod>2026-02-26T09:00:00+03:00</lastmod>
  </url>
  <url>
    <loc>https://www.skynewsarabia.com/world/1712345-%D8%A8%D9%88%D8%AA%D9%8A%D9%86-%D9%8A%D8%B3%D8%AA%D9%82%D8%A8%D9%84-%D9%83%D9%8A%D9%85</loc>
  </url>
  <url><lastmod>2026-02-26</lastmod></url>
  <url><loc>mailto:desk@skynewsarabia.com</loc></url>
  <url>
    <loc>https://www.skynewsarabia.com/world/1712349-future</loc>
    <news:news><news:publication_date>2031-01-01T00:00:00Z</news:publication_date>
      <news:title>خبر بتاريخ خاطئ</news:title></news:news>
  </url>
</urlset>
"""


def _news(body: bytes | None = None, **kwargs: object) -> Sitemap:
    data = NEWS_SITEMAP.encode() if body is None else body
    return parse_sitemap(data, URL, now=NOW, **kwargs)  # type: ignore[arg-type]


def test_a_google_news_sitemap_gives_titles_and_publication_dates() -> None:
    sitemap = _news(default_tz=RIYADH)
    assert sitemap.news and sitemap.children == ()
    urls = [entry.url for entry in sitemap.entries]
    assert urls == [
        "https://www.skynewsarabia.com/world/1712345-%D8%A8%D9%88%D8%AA%D9%8A%D9%86-%D9%8A%D8%B3%D8%AA%D9%82%D8%A8%D9%84-%D9%83%D9%8A%D9%85",
        "https://www.skynewsarabia.com/world/1712346-شويغو-في-بيونغ-يانغ",
        "https://www.skynewsarabia.com/world/1712347-lavrov",
        "https://www.skynewsarabia.com/world/1712348-sanctions",
        "https://www.skynewsarabia.com/world/1712349-future",
    ]
    first, second, third, fourth, fifth = sitemap.entries
    assert first.title == (
        'بوتين يستقبل كيم جونغ أون في موسكو ويوقعان اتفاقية "شراكة استراتيجية شاملة"'
    )
    assert first.published == datetime(2026, 2, 28, 17, 15, tzinfo=UTC)
    assert second.title == 'شويغو في بيونغ يانغ: "تعاون عسكري" بلا سقف'
    assert second.published == datetime(2026, 2, 28, 15, 30, tzinfo=UTC)  # Riyadh time
    assert third.published == datetime(2026, 2, 27, tzinfo=UTC)  # a bare day stays that day
    assert fourth.title == "" and fourth.published == datetime(2026, 2, 26, 6, 0, tzinfo=UTC)
    assert fifth.title == "خبر بتاريخ خاطئ" and fifth.published is None
    assert all(entry.guid is None and entry.summary == "" for entry in sitemap.entries)
    assert sorted(sitemap.warnings) == [
        "dropped 1 <url> elements repeating an earlier <loc>",
        "ignored 1 implausible dates (before 1995 or in the future)",
        "skipped 2 <url> elements without an http(s) <loc>",
    ]


def test_dates_without_an_offset_default_to_utc() -> None:
    assert _news().entries[1].published == datetime(2026, 2, 28, 18, 30, tzinfo=UTC)


def test_a_gzipped_news_sitemap_reads_the_same() -> None:
    packed = gzip.compress(NEWS_SITEMAP.encode())
    headers = {"Content-Type": "application/x-gzip"}
    assert parse_sitemap(packed, URL + ".gz", headers, now=NOW) == _news()


def test_a_windows_1256_sitemap_keeps_its_arabic_titles() -> None:
    body = NEWS_SITEMAP.replace('encoding="UTF-8"', 'encoding="windows-1256"')
    sitemap = _news(body.encode("cp1256"))
    assert sitemap.entries[1].title == 'شويغو في بيونغ يانغ: "تعاون عسكري" بلا سقف'


def test_a_sitemap_index_lists_its_children_with_their_dates() -> None:
    body = b"""<?xml version="1.0" encoding="UTF-8"?>
    <sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>https://www.alarabiya.net/sitemaps/2026-02-27.xml.gz</loc>
               <lastmod>2026-02-27T23:59:00+03:00</lastmod></sitemap>
      <sitemap><loc>https://www.alarabiya.net/sitemaps/2026-03-01.xml.gz</loc>
               <lastmod>2026-03-01T08:00:00+03:00</lastmod></sitemap>
      <sitemap><loc>/sitemaps/news.xml</loc></sitemap>
      <sitemap><loc>https://www.alarabiya.net/sitemaps/2026-03-01.xml.gz</loc></sitemap>
      <sitemap><lastmod>2026-03-01</lastmod></sitemap>
    </sitemapindex>"""
    sitemap = parse_sitemap(body, "https://www.alarabiya.net/sitemap.xml", now=NOW)
    assert sitemap.entries == () and not sitemap.news
    assert sitemap.children == (
        "https://www.alarabiya.net/sitemaps/2026-02-27.xml.gz",
        "https://www.alarabiya.net/sitemaps/2026-03-01.xml.gz",
        "https://www.alarabiya.net/sitemaps/news.xml",
    )
    assert sitemap.children_lastmod == (
        datetime(2026, 2, 27, 20, 59, tzinfo=UTC),
        datetime(2026, 3, 1, 5, 0, tzinfo=UTC),
        None,
    )
    assert sitemap.warnings == ("skipped 1 <sitemap> elements without an http(s) <loc>",)
    assert recent_children(sitemap, NOW - timedelta(days=1)) == [
        "https://www.alarabiya.net/sitemaps/2026-03-01.xml.gz",
        "https://www.alarabiya.net/sitemaps/news.xml",
    ]


def test_a_plain_text_sitemap_is_a_list_of_urls() -> None:
    body = "https://www.alhurra.com/a/1\r\n\nhttps://www.alhurra.com/a/2\nhttps://www.alhurra.com/a/1\n"
    sitemap = parse_sitemap(body.encode(), "https://www.alhurra.com/sitemap.txt")
    assert [e.url for e in sitemap.entries] == [
        "https://www.alhurra.com/a/1",
        "https://www.alhurra.com/a/2",
    ]


def test_a_sitemap_without_the_sitemaps_namespace_is_still_read() -> None:
    body = b"<urlset><url><loc>https://www.annahar.com/a/1</loc></url></urlset>"
    assert [e.url for e in parse_sitemap(body, "https://www.annahar.com/s.xml").entries] == [
        "https://www.annahar.com/a/1"
    ]


def test_broken_xml_is_read_leniently_and_says_so() -> None:
    body = NEWS_SITEMAP.encode()[:1500]  # cut off inside the second <url>
    sitemap = _news(body)
    assert len(sitemap.entries) >= 1 and sitemap.entries[0].title.startswith("بوتين")
    assert any("malformed XML" in warning for warning in sitemap.warnings)


def test_entities_are_never_expanded_nor_files_read() -> None:
    body = b"""<?xml version="1.0"?>
    <!DOCTYPE urlset [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
      <!ENTITY xxe SYSTEM "file:///etc/passwd">]>
    <urlset><url><loc>https://example.com/?q=&amp;&b;&xxe;</loc></url></urlset>"""
    (entry,) = parse_sitemap(body, "https://example.com/sitemap.xml").entries
    assert "aaaaaaaaaa" not in entry.url and "root:" not in entry.url


# -- refused input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty response body"),
        (b"  \n ", "empty response body"),
        (b"<!DOCTYPE html><html lang='ar'><body>404</body></html>", "HTML page"),
        (b"<html><head><title>\xd8\xae\xd8\xb7\xd8\xa3</title></head></html>", "HTML page"),
        (b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>', "RSS/Atom feed"),
        (b'<feed xmlns="http://www.w3.org/2005/Atom"/>', "RSS/Atom feed"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "document root: <{http://www.w3.org"),
        (b'{"urls": ["https://example.com/"]}', "not XML and not a list of URLs"),
        (b"https://example.com/a\nsee you later\n", "not XML and not a list of URLs"),
        (b"\x00\x01\x02\x03binary", "binary data"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage", "corrupt gzip"),
        (gzip.compress(b"<urlset></urlset>")[:-12], "truncated gzip"),
    ],
)
def test_what_is_not_a_sitemap_raises_feed_error(body: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=message.replace("?", r"\?").replace("{", r"\{")):
        parse_sitemap(body, "https://example.com/sitemap.xml")


def test_a_gzip_bomb_is_refused_without_unpacking_it() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * 5_000_000 + b"</urlset>")
    assert len(bomb) < 10_000
    with pytest.raises(FeedError, match="unpacks to more than 1,000,000 bytes"):
        parse_sitemap(bomb, "https://example.com/sitemap.xml.gz", max_bytes=1_000_000)
    assert parse_sitemap(bomb, "https://example.com/sitemap.xml.gz").entries == ()


def test_an_empty_urlset_is_a_sitemap_with_nothing_in_it() -> None:
    body = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>'
    assert parse_sitemap(body, "https://example.com/s.xml") == Sitemap()


# -- robots.txt -------------------------------------------------------------------------------


def test_sitemaps_from_robots_puts_news_sitemaps_first() -> None:
    robots = """User-agent: *
Disallow: /search
Sitemap: https://www.youm7.com/sitemap.xml
sitemap:/sitemaps/news-sitemap.xml
Sitemap: https://www.youm7.com/sitemap.xml
# Sitemap: https://www.youm7.com/old.xml
"""
    assert sitemaps_from_robots(robots, "https://www.youm7.com/robots.txt") == [
        "https://www.youm7.com/sitemaps/news-sitemap.xml",
        "https://www.youm7.com/sitemap.xml",
    ]
    assert sitemaps_from_robots("User-agent: *\nDisallow:\n", "https://x.example/robots.txt") == []


def test_news_sitemaps_are_told_apart_by_their_path_not_their_host() -> None:
    assert is_news_sitemap_url("https://www.youm7.com/sitemaps/news-sitemap.xml")
    assert is_news_sitemap_url("https://www.alquds.co.uk/sitemap.php?type=news")
    assert not is_news_sitemap_url("https://www.skynewsarabia.com/sitemap.xml")
    robots = """User-agent: *
Sitemap: https://www.skynewsarabia.com/sitemaps/index.xml
Sitemap: https://www.skynewsarabia.com/sitemaps/google-news.xml
Sitemap: /sitemaps/news/latest.xml.gz
"""
    assert news_sitemaps_from_robots(robots, "https://www.skynewsarabia.com/robots.txt") == [
        "https://www.skynewsarabia.com/sitemaps/google-news.xml",
        "https://www.skynewsarabia.com/sitemaps/news/latest.xml.gz",
    ]
    plain = "Sitemap: https://x.example/sitemap.xml\n"
    assert news_sitemaps_from_robots(plain, "https://x.example/robots.txt") == []


# -- which URLs a sitemap poll fetches -------------------------------------------------------

WINDOW = timedelta(days=2)


def _entry(name: str, age: timedelta | None) -> FeedEntry:
    return FeedEntry(
        url=f"https://www.almadar.example/news/{name}",
        published=None if age is None else NOW - age,
    )


def _urls(entries: tuple[FeedEntry, ...]) -> list[str]:
    return [e.url.rsplit("/", 1)[1] for e in entries]


def test_only_urls_changed_within_the_window_are_fetched_newest_first() -> None:
    entries = [
        _entry("three-days", timedelta(days=3)),
        _entry("one-hour", timedelta(hours=1)),
        _entry("a-year", timedelta(days=400)),
        _entry("thirty-hours", timedelta(hours=30)),
        _entry("edge", WINDOW),  # changed exactly at the window's start: still inside
    ]
    for first_poll in (True, False):  # an old URL is not news on a later poll either
        chosen = select_entries(
            entries, now=NOW, window=WINDOW, cap=10, listed={}, first_poll=first_poll
        )
        assert _urls(chosen.fetch) == ["one-hour", "thirty-hours", "edge"]
        assert _urls(chosen.old) == ["three-days", "a-year"]
        assert chosen.over_cap == () and chosen.known == ()
        assert chosen.skipped == 2


def test_the_cap_keeps_the_newest_and_leaves_the_rest_for_a_later_poll() -> None:
    entries = [_entry(f"h{n}", timedelta(hours=n)) for n in (5, 1, 4, 2, 3)]
    chosen = select_entries(entries, now=NOW, window=WINDOW, cap=2, listed={}, first_poll=True)
    assert _urls(chosen.fetch) == ["h1", "h2"]
    assert _urls(chosen.over_cap) == ["h3", "h4", "h5"]
    assert chosen.old == () and chosen.skipped == 3


def test_undated_urls_are_archive_on_a_first_poll_and_new_on_later_ones() -> None:
    entries = [_entry("undated-a", None), _entry("recent", timedelta(hours=2))]
    first = select_entries(entries, now=NOW, window=WINDOW, cap=5, listed={}, first_poll=True)
    assert _urls(first.fetch) == ["recent"] and _urls(first.old) == ["undated-a"]

    # the next poll: undated-a was recorded skipped, recent is stored; undated-b is new
    listed = {entries[0].url: "skipped", entries[1].url: "done"}
    later = [*entries, _entry("undated-b", None), _entry("undated-c", None)]
    again = select_entries(later, now=NOW, window=WINDOW, cap=5, listed=listed, first_poll=False)
    assert _urls(again.fetch) == ["undated-b", "undated-c"]
    assert _urls(again.old) == ["undated-a"] and _urls(again.known) == ["recent"]

    # undated URLs come after dated ones, within the same cap
    fresh = [_entry("undated-d", None), _entry("dated", timedelta(hours=1))]
    capped = select_entries(fresh, now=NOW, window=WINDOW, cap=1, listed={}, first_poll=False)
    assert _urls(capped.fetch) == ["dated"] and _urls(capped.over_cap) == ["undated-d"]


def test_the_frontier_decides_for_admitted_urls_and_skipped_ones_are_judged_afresh() -> None:
    entries = [
        _entry("stored-long-ago", timedelta(days=90)),
        _entry("failed", timedelta(days=9)),
        _entry("skipped-now-updated", timedelta(hours=3)),  # the outlet changed its lastmod
        _entry("skipped-still-old", timedelta(days=30)),
    ]
    states = ("done", "failed", "skipped", "skipped")
    listed = dict(zip((e.url for e in entries), states, strict=True))
    chosen = select_entries(entries, now=NOW, window=WINDOW, cap=5, listed=listed, first_poll=False)
    assert _urls(chosen.known) == ["stored-long-ago", "failed"]
    assert _urls(chosen.fetch) == ["skipped-now-updated"]
    assert _urls(chosen.old) == ["skipped-still-old"]
    # a wider window (backfilling) admits what an earlier poll skipped
    wide = select_entries(
        entries, now=NOW, window=timedelta(days=60), cap=5, listed=listed, first_poll=False
    )
    assert _urls(wide.fetch) == ["skipped-now-updated", "skipped-still-old"]


def test_a_naive_date_is_taken_as_utc() -> None:
    entry = FeedEntry(url="https://x.example/a", published=datetime(2026, 3, 1, 5, 0))
    chosen = select_entries([entry], now=NOW, window=WINDOW, cap=1, listed={}, first_poll=True)
    assert chosen.fetch == (entry,)


# -- a sitemap poll through CrawlRun and the store (no network) ------------------------------

SITE = "http://127.0.0.1:9/"
SOURCE = Source(name="almadar", sitemaps=(SITE + "sitemap.xml",), homepage=SITE)


def _urlset(urls: dict[str, timedelta | None]) -> bytes:
    rows = "".join(
        f"<url><loc>{SITE}news/{name}</loc>"
        + ("" if age is None else f"<lastmod>{(NOW - age).isoformat()}</lastmod>")
        + "</url>"
        for name, age in urls.items()
    )
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</urlset>'.encode()


ARCHIVE = {
    "old-1": timedelta(days=300),
    "new-1": timedelta(hours=1),
    "old-2": timedelta(days=5),
    "new-2": timedelta(hours=2),
    "undated-1": None,
    "new-3": timedelta(hours=3),
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "rasad.db")
    yield s
    s.close()


def _run(store: SQLiteStore, at: datetime = NOW, **crawl: object) -> CrawlRun:
    config = Config(crawl=CrawlSettings(**crawl), sources=(SOURCE,))  # type: ignore[arg-type]
    return CrawlRun(config, store, [SOURCE], clock=lambda: at)


def _poll(run: CrawlRun, body: bytes, url: str = SITE + "sitemap.xml") -> list[str]:
    to_fetch, _children = run.sitemap_polled("almadar", url, body, 200, {})
    return [e.url.rsplit("/", 1)[1] for e in to_fetch]


def _store_articles(store: SQLiteStore, names: list[str]) -> None:
    for name in names:
        url = f"{SITE}news/{name}"
        store.add(
            StoredArticle(
                url=url,
                canonical_url=canonical_url(url),
                source="almadar",
                title=name,
                text="نص",
                status="off_topic",
                fetched=NOW,
            )
        )


def _states(store: SQLiteStore) -> dict[str, str]:
    return {
        url.rsplit("/", 1)[1]: state
        for url, state in store.entry_states(f"{SITE}news/{n}" for n in [*ARCHIVE, "new-4"]).items()
    }


def test_a_first_sitemap_poll_fetches_recent_urls_up_to_the_cap(store: SQLiteStore) -> None:
    run = _run(store, sitemap_max_urls=2)
    assert _poll(run, _urlset(ARCHIVE)) == ["new-1", "new-2"]
    report = run.report.source("almadar")
    assert report.sitemap_skipped == 4  # two too old, one undated, one over the cap
    assert report.entries == 2 and report.already_stored == 0
    assert _states(store) == {
        "old-1": "skipped",
        "old-2": "skipped",
        "undated-1": "skipped",
        "new-1": "pending",
        "new-2": "pending",
    }  # new-3 is not recorded: a later poll judges it as this one did
    assert [p.entry.url.rsplit("/", 1)[1] for p in store.pending("almadar", 5)] == [
        "new-1",
        "new-2",
    ]


def test_a_later_poll_fetches_what_is_new_and_never_what_was_skipped(store: SQLiteStore) -> None:
    assert _poll(_run(store, sitemap_max_urls=2), _urlset(ARCHIVE)) == ["new-1", "new-2"]
    _store_articles(store, ["new-1", "new-2"])
    later = {**ARCHIVE, "new-4": timedelta(minutes=5), "undated-2": None}
    run = _run(store, NOW + timedelta(minutes=10), sitemap_max_urls=2)
    # the newest first (new-4), then what the cap left (new-3); undated-2 waits its turn
    assert _poll(run, _urlset(later)) == ["new-4", "new-3"]
    assert run.report.source("almadar").already_stored == 2
    run = _run(store, NOW + timedelta(minutes=20), sitemap_max_urls=2)
    # undated-2 now (never listed before, not a first poll); new-4 and new-3 are pending
    assert sorted(_poll(run, _urlset(later))) == ["new-3", "new-4", "undated-2"]
    _store_articles(store, ["new-3", "new-4", "undated-2"])
    run = _run(store, NOW + timedelta(minutes=30), sitemap_max_urls=2)
    assert _poll(run, _urlset(later)) == []  # old-1, old-2 and undated-1 never
    assert run.report.source("almadar").sitemap_skipped == 3


def test_raising_the_window_backfills_what_was_skipped(store: SQLiteStore) -> None:
    _poll(_run(store), _urlset(ARCHIVE))
    _store_articles(store, ["new-1", "new-2", "new-3"])
    wide = _run(store, NOW + timedelta(hours=1), sitemap_window=400 * 86400)
    assert _poll(wide, _urlset(ARCHIVE)) == ["old-2", "old-1"]  # undated-1 stays archive
    assert _states(store)["old-1"] == "pending"


def test_a_new_child_of_a_known_index_is_news_not_archive(store: SQLiteStore) -> None:
    index = SITE + "sitemap-index.xml"

    def index_body(*children: str) -> bytes:
        rows = "".join(f"<sitemap><loc>{SITE}{c}</loc></sitemap>" for c in children)
        return f"<sitemapindex>{rows}</sitemapindex>".encode()

    run = _run(store)
    _to_fetch, children = run.sitemap_polled("almadar", index, index_body("day-1.xml"), 200, {})
    assert children == [SITE + "day-1.xml"]
    undated = _urlset({"day-1-story": None})
    assert _poll(run, undated, children[0]) == []  # the first poll of the index: archive

    run = _run(store, NOW + timedelta(hours=1))
    _to_fetch, children = run.sitemap_polled(
        "almadar", index, index_body("day-1.xml", "day-2.xml"), 200, {}
    )
    assert _poll(run, _urlset({"day-2-story": None}), SITE + "day-2.xml") == ["day-2-story"]


def test_robots_txt_news_sitemaps_are_remembered_for_a_homepage_source(
    store: SQLiteStore,
) -> None:
    source = Source(name="almadar", homepage=SITE)
    run = CrawlRun(Config(sources=(source,)), store, [source], clock=lambda: NOW)
    robots_url = run.robots_url(source)
    assert robots_url == SITE + "robots.txt"
    assert run.cached_robots_sitemaps(source, robots_url, tried=3) is None  # fetch it
    robots = b"User-agent: *\nSitemap: /sitemap.xml\nSitemap: /sitemap-news.xml\n"
    assert run.robots_polled(source, robots_url, robots, 200, tried=4) == [
        SITE + "sitemap-news.xml"
    ]
    assert run.sitemaps_of(source) == [SITE + "sitemap-news.xml"]
    assert not run.needs_discovery(source)  # later runs poll the sitemap, no discovery
    # the robots.txt is kept in the store for the robots middleware too
    assert store.cached_robots("127.0.0.1:9") is not None
    # a source with configured sitemaps keeps to them
    assert run.robots_url(SOURCE) is None


def test_a_robots_txt_without_news_sitemaps_fails_the_homepage_source(store: SQLiteStore) -> None:
    source = Source(name="almadar", homepage=SITE)
    store.cache_robots("127.0.0.1:9", 200, b"Sitemap: /sitemap.xml\n", NOW)
    run = CrawlRun(Config(sources=(source,)), store, [source], clock=lambda: NOW)
    assert run.cached_robots_sitemaps(source, SITE + "robots.txt", tried=13) == []
    (error,) = run.report.source("almadar").feed_errors
    assert "no usable feed found" in error and "robots.txt announces no news sitemap" in error
    assert run.needs_discovery(source)


# -- real sitemaps (../shared/data) -----------------------------------------------------------


def _fixture(shared_data: Path, name: str) -> bytes:
    path = shared_data / "feeds" / "trafilatura" / name
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return path.read_bytes()


def test_real_plain_sitemap(shared_data: Path) -> None:
    sitemap = parse_sitemap(_fixture(shared_data, "sitemap.xml"), "https://www.sitemaps.org/s")
    assert len(sitemap.entries) == 84 and not sitemap.news and sitemap.warnings == ()
    assert sitemap.entries[0].url == "https://www.sitemaps.org/"
    assert sitemap.entries[1].url == "https://www.sitemaps.org/protocol.html"
    assert {e.published for e in sitemap.entries} == {datetime(2016, 11, 21, tzinfo=UTC)}


def test_real_gzipped_sitemap_matches_the_plain_one(shared_data: Path) -> None:
    packed = _fixture(shared_data, "sitemap.xml.gz")
    assert packed.startswith(b"\x1f\x8b")
    plain = parse_sitemap(_fixture(shared_data, "sitemap.xml"), "https://www.sitemaps.org/s")
    assert parse_sitemap(packed, "https://www.sitemaps.org/s.gz") == plain


def test_real_hreflang_sitemap_lists_pages_not_their_alternates(shared_data: Path) -> None:
    body = _fixture(shared_data, "sitemap-hreflang.xml")
    sitemap = parse_sitemap(body, "http://www.example.com/sitemap.xml")
    assert [e.url for e in sitemap.entries] == [
        "http://www.example.com/english/page.html",
        "http://www.example.com/deutsch/page.html",
        "http://www.example.com/schweiz-deutsch/page.html",
    ]


def test_real_sitemap_index_with_cdata(shared_data: Path) -> None:
    body = _fixture(shared_data, "sitemap2.xml")
    sitemap = parse_sitemap(body, "http://www.example.com/sitemap.xml")
    assert sitemap.children == (
        "http://www.example.com/sitemap1.xml.gz",
        "http://www.example.com/sitemap2.xml.gz",
    )
    assert sitemap.children_lastmod == (
        datetime(2004, 10, 1, 18, 23, 17, tzinfo=UTC),
        datetime(2005, 1, 1, tzinfo=UTC),
    )

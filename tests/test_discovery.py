"""Feed discovery from homepages: declared alternates, feed-looking links, common paths."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.sources.discovery import (
    COMMON_FEED_PATHS,
    candidate_urls,
    discover_feeds,
    should_rediscover,
)
from monitor.sources.polling import FeedState, after_poll

# A WordPress homepage as Arabic outlets serve them: the main feed and the comments feed
# declared in <head>, an oEmbed and hreflang alternates that are not feeds, and RSS links
# in the footer (one a duplicate, one via FeedBurner, one a "subscribe in Feedly" link).
WORDPRESS_HOME = """<!DOCTYPE html>
<html dir="rtl" lang="ar">
<head>
<meta charset="UTF-8">
<title>القدس العربي | أخبار العالم العربي</title>
<link rel="stylesheet" href="/wp-content/themes/alquds/style.css">
<link rel="alternate" type="application/rss+xml" title="القدس العربي &laquo; خلاصة التعليقات"
      href="https://www.alquds.co.uk/comments/feed/">
<link rel="alternate" type="application/rss+xml" title="القدس العربي &raquo; الخلاصة"
      href="https://www.alquds.co.uk/feed/">
<link rel="alternate" type="application/json+oembed"
      href="https://www.alquds.co.uk/wp-json/oembed/1.0/embed?url=https%3A%2F%2Fwww.alquds.co.uk%2F">
<link rel="alternate" hreflang="en" href="https://www.alquds.co.uk/en/">
<link rel="https://api.w.org/" href="https://www.alquds.co.uk/wp-json/">
</head>
<body>
<nav><a href="/category/politics/">سياسة</a> <a href="/feedback/">راسلنا</a></nav>
<article><h2><a href="/بوتين-يستقبل-كيم/">بوتين يستقبل كيم جونغ أون في موسكو</a></h2></article>
<footer>
  <a href="/category/arab-world/feed/" title="خلاصة الوطن العربي">RSS الوطن العربي</a>
  <a href="https://www.alquds.co.uk/feed/">RSS</a>
  <a href="https://feeds.feedburner.com/alquds-ar">FeedBurner</a>
  <a href="https://feedly.com/i/subscription/feed%2Fhttps%3A%2F%2Fwww.alquds.co.uk%2Ffeed%2F">
     Feedly</a>
  <a href="https://www.example.org/rss.xml">شريك</a>
  <a href="/rss-feeds/">كل الخلاصات</a>
  <a href="javascript:void(0)">…</a>
</footer>
</body>
</html>"""


def test_a_wordpress_homepage_gives_the_main_feed_first_and_comments_last() -> None:
    feeds = discover_feeds(WORDPRESS_HOME.encode(), "https://www.alquds.co.uk/")
    assert feeds == [
        "https://www.alquds.co.uk/feed/",
        "https://www.alquds.co.uk/category/arab-world/feed/",
        "https://feeds.feedburner.com/alquds-ar",
        "https://www.example.org/rss.xml",
        "https://www.alquds.co.uk/comments/feed/",
    ]


def test_relative_links_resolve_against_base_href_and_keep_document_order() -> None:
    html = """<html lang="ar"><head>
    <base href="https://www.albayan.ae/">
    <link rel="alternate" type="application/rss+xml" title="ملفات البيان" href="/cmlink/1.3165164">
    <link rel="alternate" type="application/rss+xml" title="الفيديو" href="cmlink/1.2567946">
    <link rel="Alternate Feed" type="Application/Atom+XML; charset=utf-8" href="/atom#top">
    </head><body></body></html>"""
    feeds = discover_feeds(html.encode(), "https://www.albayan.ae/across-the-uae/news/1.38")
    assert feeds == [
        "https://www.albayan.ae/cmlink/1.3165164",
        "https://www.albayan.ae/cmlink/1.2567946",
        "https://www.albayan.ae/atom",
    ]


def test_generic_xml_types_count_only_when_the_link_says_feed() -> None:
    html = """<html><head>
    <link rel="alternate" type="text/xml" title="RSS" href="/news.xml">
    <link rel="alternate" type="application/xml" href="/sitemap.xml">
    <link rel="alternate" type="application/feed+json" href="/feed.json">
    </head></html>"""
    assert discover_feeds(html.encode(), "https://example.com/") == [
        "https://example.com/news.xml",
        "https://example.com/feed.json",
    ]


def test_a_feed_in_another_language_ranks_below_the_pages_own() -> None:
    html = """<html lang="ar-EG"><head>
    <link rel="alternate" type="application/rss+xml" hreflang="en" href="/en/rss">
    <link rel="alternate" type="application/rss+xml" hreflang="ar" href="/ar/rss">
    <link rel="alternate" type="application/rss+xml" href="/rss">
    </head></html>"""
    assert discover_feeds(html.encode(), "https://www.france24.com/ar/") == [
        "https://www.france24.com/ar/rss",
        "https://www.france24.com/rss",
        "https://www.france24.com/en/rss",
    ]


def test_a_link_header_declares_a_feed_too() -> None:
    headers = {
        "Link": '<https://www.alquds.co.uk/wp-json/>; rel="https://api.w.org/", '
        '</feed/>; rel="alternate"; type="application/rss+xml"; title="الخلاصة"'
    }
    feeds = discover_feeds(b"<html><body></body></html>", "https://www.alquds.co.uk/", headers)
    assert feeds == ["https://www.alquds.co.uk/feed/"]


def test_a_windows_1256_homepage_is_read_as_arabic() -> None:
    """The comments feed is recognised by its Arabic title, which only decoding reveals."""
    html = """<html lang="ar"><head>
    <meta http-equiv="Content-Type" content="text/html; charset=windows-1256">
    <link rel="alternate" type="application/rss+xml" title="خلاصة التعليقات" href="/c.xml">
    <link rel="alternate" type="application/rss+xml" title="آخر الأخبار" href="/n.xml">
    </head></html>""".encode("cp1256")
    assert discover_feeds(html, "http://www.example.com.sa/") == [
        "http://www.example.com.sa/n.xml",
        "http://www.example.com.sa/c.xml",
    ]


@pytest.mark.parametrize(
    "body",
    [b"", b"   ", b"\x00\x01\x02 binary", b'{"not": "html"}', b"<html><head></head></html>"],
)
def test_nothing_to_discover_is_an_empty_list(body: bytes) -> None:
    assert discover_feeds(body, "https://example.com/") == []


# -- real pages (../shared/data) ------------------------------------------------------------


def _page(shared_data: Path, name: str) -> tuple[bytes, str]:
    folder = shared_data / "pages" / "htmldate-2020"
    if not (folder / name).is_file():
        pytest.skip(f"{folder / name} is absent")
    gold = json.loads((folder / "gold_dates.json").read_text(encoding="utf-8"))
    url = next(url for url, info in gold.items() if info["file"] == name)
    return (folder / name).read_bytes(), url


def test_real_wordpress_article_page_elbalad(shared_data: Path) -> None:
    """Sada El-Balad's page declares its feed, its comments feed and the article's own
    comments feed ("خلاصة التعليقات"): the real feed must come first, comments last."""
    body, url = _page(shared_data, "1806793639.html")
    feeds = discover_feeds(body, url)
    assert feeds[0] == "https://elbaladtv.net/feed/"
    assert feeds[-2] == "https://elbaladtv.net/comments/feed/"
    assert feeds[-1].startswith("https://elbaladtv.net/%d8%aa%d8%b1%d9%83")
    assert feeds[-1].endswith("/feed/") and len(feeds) == 3


def test_real_sputnik_arabic_page_relative_alternates(shared_data: Path) -> None:
    body, url = _page(shared_data, "1550981615.html")
    assert discover_feeds(body, url) == [
        "https://arabic.sputniknews.com/export/rss2/archive/index.xml",
        "https://arabic.sputniknews.com/export/rss2/arab_world/index.xml",
    ]


def test_real_beirut_observer_page_dedupes_header_and_footer_links(shared_data: Path) -> None:
    body, url = _page(shared_data, "1764731404.html")
    assert discover_feeds(body, url) == [
        "https://www.beirutobserver.com/feed/",
        "https://www.beirutobserver.com/comments/feed/",
    ]


# -- guessing paths ---------------------------------------------------------------------------


def test_candidate_urls_for_a_site_root_follow_the_common_paths() -> None:
    urls = candidate_urls("https://www.aljazeera.net")
    assert urls[:3] == [
        "https://www.aljazeera.net/rss",
        "https://www.aljazeera.net/feed",
        "https://www.aljazeera.net/rss.xml",
    ]
    assert len(urls) == len(COMMON_FEED_PATHS)
    assert "https://www.aljazeera.net/?feed=rss2" in urls
    assert candidate_urls("https://www.aljazeera.net/") == urls


def test_candidate_urls_for_a_section_homepage_try_the_section_first() -> None:
    urls = candidate_urls("https://www.france24.com/ar/?utm=x")
    assert urls[0] == "https://www.france24.com/ar/rss"
    section = urls.index("https://www.france24.com/ar/index.xml")
    assert section < urls.index("https://www.france24.com/rss")
    assert len(urls) == 2 * len(COMMON_FEED_PATHS) == len(set(urls))


@pytest.mark.parametrize("homepage", ["", "www.example.com", "ftp://example.com/", "/rss"])
def test_candidate_urls_need_an_absolute_http_homepage(homepage: str) -> None:
    assert candidate_urls(homepage) == []


# -- when to look again -------------------------------------------------------------------------

T0 = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)


def _fail(times: int, status: int, error: str | None = None) -> FeedState:
    state = FeedState()
    for i in range(times):
        state = after_poll(
            state,
            T0 + timedelta(hours=i),
            status=status,
            headers={},
            new_items=0,
            content_changed=False,
            base_interval_s=900,
            min_interval_s=300,
            max_interval_s=14400,
            error=error,
        )
    return state


def test_a_feed_that_vanished_or_turned_into_a_page_is_rediscovered() -> None:
    assert should_rediscover(_fail(3, 404))
    assert should_rediscover(_fail(3, 410))
    assert should_rediscover(_fail(3, 200, error="got an HTML page, not a feed"))
    assert not should_rediscover(_fail(2, 404))


def test_blocking_rate_limits_and_outages_are_waited_out_not_rediscovered() -> None:
    for status in (403, 429, 500, 503, 0):
        assert not should_rediscover(_fail(5, status))

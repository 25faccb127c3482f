"""Sitemaps as a source: Google News sitemaps, plain sitemaps, index files, gzip, bad input."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from monitor.errors import FeedError
from monitor.sitemaps import (
    Sitemap,
    parse_sitemap,
    recent_children,
    sitemaps_from_robots,
)

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

"""The fixture news site itself: content, page templates, feed forms, HTTP behaviour."""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
import urllib.error
import urllib.request
import urllib.robotparser
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime
from urllib.parse import urlsplit

import feedparser
import lxml.html
import pytest
from fixture_site import (
    BOILERPLATE_MARKERS,
    DEMO_FEEDS,
    FEED_FORMS,
    MONTHS_EG,
    MONTHS_LEVANT,
    MOST_READ,
    PDF_BYTES,
    PNG_BYTES,
    PRIVATE_ARTICLE,
    RELATED_INLINE,
    SITE_TZ,
    TEMPLATES,
    TEMPLATES_WITH_DATE_METADATA,
    AntCorpus,
    FeedLink,
    NewsSite,
    Routes,
    SiteArticle,
    demo_site,
    load_ant_articles,
    load_seed_articles,
    mentions_russia_and_north_korea,
    rasad_config,
    render_article_page,
    route_key,
    special_feed_links,
)

SEEDS = load_seed_articles()
COMMON_MARKERS = [m for m in BOILERPLATE_MARKERS if m not in RELATED_INLINE]


def norm(text: str) -> str:
    return " ".join(text.split())


def fetch(
    url: str, headers: Mapping[str, str] | None = None, timeout: float = 10.0
) -> tuple[int, dict[str, str], bytes]:
    """GET without following redirects; (status, headers with lower-case names, body)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request("GET", target, headers=dict(headers or {}))
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def page_text(body: bytes, encoding: str) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(body.decode(encoding))


def off_topic_article() -> SiteArticle:
    return SiteArticle(
        slug="ahly-wins-league-title",
        title="الأهلي يحسم لقب الدوري قبل جولتين من النهاية",
        paragraphs=[
            "حسم النادي الأهلي لقب الدوري الممتاز لكرة القدم بعد فوزه على ضيفه بثلاثة أهداف"
            " مقابل هدف، ليبتعد بفارق عشر نقاط عن أقرب ملاحقيه قبل جولتين من نهاية الموسم.",
            "وسجل أهداف الأهلي مهاجمه الدولي في الدقيقتين العاشرة والخمسين، وأضاف لاعب الوسط"
            " الهدف الثالث من ركلة جزاء، فيما أحرز الضيوف هدفهم الوحيد في الوقت بدل الضائع.",
            "وقال المدير الفني عقب المباراة إن اللقب ثمرة عمل جماعي طوال الموسم.",
        ],
        published=datetime(2024, 5, 3, 21, 30, tzinfo=SITE_TZ),
        section="رياضة",
    )


# ── content ───────────────────────────────────────────────────────────────────────────────────


def test_seed_articles_lose_the_page_furniture_but_keep_the_story(repo_root):
    manifest = tomllib.loads((repo_root / "seeds" / "seeds.toml").read_text(encoding="utf-8"))
    titles = [entry["title"] for entry in manifest["seeds"]]
    assert [a.title for a in SEEDS] == titles
    furniture = (
        "أعلى",
        "إقرأ المزيد",
        "الاكثر قراءة",
        "أحدث المقالات",
        "Captcha",
        "Search",
        "طباعة",
        "استمع إلى الملخص",
        "صحيفة الخليج -",
        "كتب - أحمد البشير:",
    )
    for article in SEEDS:
        assert len(article.body_paragraphs) >= 7, article.slug
        assert article.title not in article.paragraphs
        for paragraph in article.paragraphs:
            assert paragraph not in furniture
            assert "اسم المستخدم" not in paragraph and "تسجيل الدخول" not in paragraph
            assert not any(marker in paragraph for marker in BOILERPLATE_MARKERS), paragraph
    by_slug = {a.slug: a for a in SEEDS}
    assert by_slug["what-after-north-korea-russia-rapprochement"].author == "أحمد البشير"
    nyt = by_slug["nyt-putin-visit-north-korea-military-ties"]
    assert nyt.published == datetime(2024, 6, 17, 19, 1, tzinfo=SITE_TZ)
    assert nyt.section == "عرب وعالم" and nyt.caption == "الرئيس الروسي فلاديمير بوتين"
    assert nyt.paragraphs[0].startswith("رأت صحيفة")
    juche = by_slug["juche-to-nuclear-russia-north-korea"]
    assert {juche.paragraphs[i] for i in juche.headings} == {
        "ما الذي تريده روسيا؟",
        "ماذا تريد كوريا الشمالية؟",
    }
    partnership = by_slug["a-year-of-russia-north-korea-partnership"]
    assert partnership.summary.startswith("الدعم العسكري والاقتصادي المتبادل")
    assert partnership.paragraphs[0].startswith("مع حلول الذكرى الأولى")
    meeting = by_slug["putin-kim-challenge-meeting"]
    assert meeting.paragraphs.count(meeting.title) == 0


def test_ant_articles_are_sampled_reproducibly_and_filtered(ant_cache: AntCorpus):
    first = load_ant_articles(12, seed=7)
    again = load_ant_articles(12, seed=7)
    other = load_ant_articles(12, seed=8)
    assert [a.slug for a in first] == [a.slug for a in again]
    assert [a.slug for a in first] != [a.slug for a in other]
    assert len({a.slug for a in first}) == 12
    for article in first:
        assert article.title and article.paragraphs and article.published.tzinfo is not None
        assert article.origin.startswith("ant:")
    on_topic = load_ant_articles(5, filter=mentions_russia_and_north_korea)
    assert len(on_topic) == 5
    for article in on_topic:
        assert "كوري" in article.text and ("روس" in article.text or "موسكو" in article.text)


def test_every_ant_record_points_at_a_document_in_the_cached_corpus(ant_cache: AntCorpus):
    cached = ant_cache.unpack()
    assert cached.is_relative_to(ant_cache.cache_dir) and cached.stat().st_size > 100_000_000
    records = ant_cache.records()
    assert len(records) > 30000
    for record in records[::1000]:
        document = ant_cache.read(record.path)
        assert document.startswith("<DOC>") and f"<TITLE>{record.title}</TITLE>" in document


# ── page templates ────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("article", SEEDS, ids=lambda a: a.slug[:24])
def test_pages_carry_the_body_inside_real_looking_furniture(template: str, article: SiteArticle):
    url = f"http://127.0.0.1:8765/story/{article.slug}"
    page = render_article_page(article, template, url=url, page_id=120042)
    encoding = "windows-1256" if template == "legacy" else "utf-8"
    assert page.content_type == f"text/html; charset={encoding}"
    tree = page_text(page.body, encoding)
    assert tree.get("dir") == "rtl"
    assert [norm(h.text_content()) for h in tree.iter("h1")] == [article.title]
    title = norm(tree.findtext(".//title") or "")
    assert title.startswith(article.title) and title.endswith("المدار الإخباري")
    text = norm(tree.text_content())
    for paragraph in article.paragraphs:
        assert norm(paragraph) in text
    for marker in COMMON_MARKERS:
        assert marker in text, marker
    assert any(h in text for h in RELATED_INLINE)
    assert "جميع الحقوق محفوظة © 2026" in text
    months = "|".join((*MONTHS_EG, *MONTHS_LEVANT))
    assert re.search(rf"[0-9٠-٩]{{1,2}} (?:{months})", text), "the date is shown in Arabic"


def test_ant_articles_render_in_every_template(ant_cache: AntCorpus):
    for n, article in enumerate(load_ant_articles(24, seed=11)):
        template = TEMPLATES[n % len(TEMPLATES)]
        page = render_article_page(article, template, url="http://127.0.0.1/x", page_id=n)
        tree = page_text(page.body, "windows-1256" if template == "legacy" else "utf-8")
        assert [norm(h.text_content()) for h in tree.iter("h1")] == [norm(article.title)]
        text = norm(tree.text_content())
        assert all(norm(p) in text for p in article.paragraphs), (template, article.origin)


@pytest.mark.parametrize("template", TEMPLATES)
def test_date_metadata_is_present_only_on_some_templates(template: str):
    article = SEEDS[3]
    page = render_article_page(article, template, url="http://127.0.0.1/x")
    raw = page.body.decode("windows-1256" if template == "legacy" else "utf-8")
    has_metadata = article.published.isoformat() in raw
    assert has_metadata == (template in TEMPLATES_WITH_DATE_METADATA)
    if template == "modern":
        tree = lxml.html.document_fromstring(raw)
        blocks = [
            json.loads(s.text)
            for s in tree.iter("script")
            if s.get("type") == "application/ld+json"
        ]
        news = next(b for b in blocks if b["@type"] == "NewsArticle")
        assert news["headline"] == article.title
        assert news["datePublished"] == "2024-06-17T19:01:00+03:00"
        assert tree.xpath('string(//meta[@property="og:title"]/@content)') == article.title


def test_legacy_pages_are_windows_1256_bytes():
    page = render_article_page(SEEDS[0], "legacy", url="http://127.0.0.1/x")
    with pytest.raises(UnicodeDecodeError):
        page.body.decode("utf-8")
    assert b'charset=windows-1256"' in page.body
    assert SEEDS[0].title.encode("cp1256") in page.body


def test_sidebar_names_russia_and_north_korea_even_when_the_story_does_not():
    article = off_topic_article()
    page = render_article_page(article, "outlet", url="http://127.0.0.1/x").body.decode()
    assert "روسيا" not in article.text and "كوريا الشمالية" not in article.text
    assert "روسيا" in page and "كوريا الشمالية" in page and "بيونغ يانغ" in page
    assert all(headline in page for headline in MOST_READ)


# ── feeds ─────────────────────────────────────────────────────────────────────────────────────

EXPECTED_VERSION = {
    "rss2": "rss20",
    "atom": "atom10",
    "rss1": "rss10",
    "rss091": "rss091n",
    "rss2-cp1256": "rss20",
    "rss2-cp1256-mislabelled": "rss20",
    "rss2-cp1256-undeclared": "rss20",
    "broken-amp": "rss20",
}


@pytest.fixture
def feed_site() -> Iterator[NewsSite]:
    site = NewsSite()
    site.add_articles(SEEDS)
    for form in FEED_FORMS:
        site.add_feed(f"/feeds/{form}.xml", SEEDS, form)
    with site:
        yield site


@pytest.mark.parametrize("form", sorted(EXPECTED_VERSION))
def test_every_feed_form_parses_with_feedparser(feed_site: NewsSite, form: str):
    url = feed_site.url(f"/feeds/{form}.xml")
    status, headers, body = fetch(url)
    assert status == 200
    assert headers["content-type"] == FEED_FORMS[form][0]
    parsed = feedparser.parse(
        body, response_headers={"content-type": headers["content-type"], "content-location": url}
    )
    assert parsed.version == EXPECTED_VERSION[form]
    assert len(parsed.entries) == len(SEEDS)
    links = {e.link for e in parsed.entries}
    assert links == {feed_site.url_for(a) for a in SEEDS}
    if form == "rss2-cp1256-undeclared":  # only byte sniffing can recover this one
        assert not {e.title for e in parsed.entries} & {a.title for a in SEEDS}
    else:
        titles = {e.title.removesuffix(" - صور & فيديو") for e in parsed.entries}
        assert titles == {a.title for a in SEEDS}
    assert bool(parsed.bozo) == (
        form in {"broken-amp", "rss2-cp1256-mislabelled", "rss2-cp1256-undeclared"}
    )


@pytest.mark.parametrize(
    "form", ["rss2-cp1256", "rss2-cp1256-mislabelled", "rss2-cp1256-undeclared"]
)
def test_cp1256_feeds_really_are_windows_1256_bytes(feed_site: NewsSite, form: str):
    _, headers, body = fetch(feed_site.url(f"/feeds/{form}.xml"))
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    text = body.decode("cp1256")
    assert SEEDS[0].title in text
    declaration = text.split("\n", 1)[0]
    if form == "rss2-cp1256-undeclared":
        assert declaration == '<?xml version="1.0"?>'
    else:
        assert declaration == '<?xml version="1.0" encoding="windows-1256"?>'
    charset = headers["content-type"].split("charset=")[1].lower()
    assert charset == ("windows-1256" if form == "rss2-cp1256" else "utf-8")


def test_broken_amp_feed_is_not_well_formed_xml(feed_site: NewsSite):
    _, _, body = fetch(feed_site.url("/feeds/broken-amp.xml"))
    with pytest.raises(ET.ParseError):
        ET.fromstring(body)
    assert "أخبار & تقارير" in body.decode() and " - صور & فيديو</title>" in body.decode()


def test_feed_options_arabic_dates_relative_links_duplicate_guids():
    site = NewsSite()
    site.add_feed("/mixed.xml", SEEDS, dates="mixed", relative_links=True, duplicate_guids=True)
    site.add_feed("/shared-guid.xml", SEEDS, shared_guid=True, iri_links=True, limit=3)
    site.add_feed("/arabic.xml", SEEDS, dates="arabic")
    with site:
        mixed = ET.fromstring(fetch(site.url("/mixed.xml"))[2])
        items = mixed.findall("./channel/item")
        assert len(items) == len(SEEDS) + 1
        assert all(i.findtext("link", "").startswith("/") for i in items)
        guids = [i.findtext("guid") for i in items]
        assert guids[0] == guids[1] and len(set(guids)) == len(SEEDS)
        dates = [i.findtext("pubDate") for i in items]
        assert None in dates
        assert any(d and any(m in d for m in MONTHS_EG + MONTHS_LEVANT) for d in dates)

        shared = ET.fromstring(fetch(site.url("/shared-guid.xml"))[2]).findall("./channel/item")
        assert len(shared) == 3 and {i.findtext("guid") for i in shared} == {site.base_url + "/"}

        arabic = feedparser.parse(fetch(site.url("/arabic.xml"))[2])
        assert all(e.get("published_parsed") is None for e in arabic.entries)
        assert any("يونيو" in e.published or "حزيران" in e.published for e in arabic.entries)


def test_html_descriptions_are_cdata_and_full_content_is_optional(news_site: NewsSite):
    _, _, body = fetch(news_site.url("/feed/"))
    text = body.decode()
    assert "<description><![CDATA[<img src=" in text
    assert "<content:encoded><![CDATA[<p>" in text
    parsed = feedparser.parse(body)
    assert "<p>" in parsed.entries[0].content[0].value


# ── HTTP behaviour ────────────────────────────────────────────────────────────────────────────


def test_feeds_answer_conditional_requests_with_304(news_site: NewsSite):
    url = news_site.url("/feed/")
    status, headers, body = fetch(url)
    etag, modified = headers["etag"], headers["last-modified"]
    assert status == 200 and etag.startswith('"') and modified.endswith("GMT")
    assert fetch(url, {"If-None-Match": etag})[0:3:2] == (304, b"")
    assert fetch(url, {"If-None-Match": f'"other", W/{etag}'})[0] == 304
    assert fetch(url, {"If-Modified-Since": modified})[0] == 304
    assert fetch(url, {"If-None-Match": '"stale"', "If-Modified-Since": modified})[0] == 200

    news_site.add_to_feed("/feed/", off_topic_article())
    status, headers2, body2 = fetch(url, {"If-None-Match": etag})
    assert status == 200 and headers2["etag"] != etag and body2 != body
    assert fetch(url, {"If-Modified-Since": modified})[0] == 200
    assert fetch(url, {"If-None-Match": headers2["etag"]})[0] == 304


def test_robots_txt_is_served_and_configurable(news_site: NewsSite):
    status, headers, body = fetch(news_site.url("/robots.txt"))
    assert status == 200 and headers["content-type"].startswith("text/plain")
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(body.decode().splitlines())
    private_url = news_site.url_for(PRIVATE_ARTICLE)
    assert urlsplit(private_url).path.startswith("/private/")
    assert not robots.can_fetch("rasad", private_url)
    assert all(robots.can_fetch("rasad", news_site.url_for(a)) for a in SEEDS)
    assert PRIVATE_ARTICLE.slug in fetch(news_site.url("/feed/"))[2].decode()

    news_site.set_robots("User-agent: *\nDisallow: /\n")
    assert fetch(news_site.url("/robots.txt"))[2] == b"User-agent: *\nDisallow: /\n"
    news_site.set_robots(None)
    assert fetch(news_site.url("/robots.txt"))[0] == 404


def test_request_log_records_method_path_headers_status(news_site: NewsSite):
    news_site.clear_requests()
    article_url = news_site.url_for(SEEDS[1])
    fetch(news_site.url("/feed/"), {"User-Agent": "rasad-test", "If-None-Match": '"x"'})
    fetch(article_url)
    fetch(news_site.url("/no/such/page"))
    conn = http.client.HTTPConnection("127.0.0.1", news_site.port, timeout=5)
    conn.request("HEAD", "/atom.xml")
    conn.getresponse().read()
    conn.close()

    log = news_site.requests()
    assert [(r.method, r.decoded_path, r.status) for r in log] == [
        ("GET", "/feed/", 200),
        ("GET", news_site.path_for(SEEDS[1]), 200),
        ("GET", "/no/such/page", 404),
        ("HEAD", "/atom.xml", 200),
    ]
    assert log[0].header("User-Agent") == "rasad-test"
    assert log[0].headers["if-none-match"] == '"x"'
    assert [r.decoded_path for r in news_site.article_requests()] == [news_site.path_for(SEEDS[1])]
    assert len(news_site.feed_requests()) == 2
    assert news_site.requests(path_prefix="/no/") == [log[2]]
    assert news_site.requests(method="HEAD") == [log[3]]


def test_keep_alive_connections_serve_several_requests(news_site: NewsSite):
    conn = http.client.HTTPConnection("127.0.0.1", news_site.port, timeout=5)
    for path in ("/feed/", "/atom.xml", "/robots.txt"):
        conn.request("GET", path)
        response = conn.getresponse()
        assert response.status == 200 and response.read()
    conn.close()
    assert len(news_site.requests()) == 3


def test_gzip_when_the_client_accepts_it(news_site: NewsSite):
    plain = fetch(news_site.url("/feed/"))[2]
    _, headers, body = fetch(news_site.url("/feed/"), {"Accept-Encoding": "gzip, deflate"})
    assert headers["content-encoding"] == "gzip" and gzip.decompress(body) == plain


def test_articles_and_feed_items_added_while_running_are_served(news_site: NewsSite):
    before = feedparser.parse(fetch(news_site.url("/atom.xml"))[2])
    article = off_topic_article()
    url = news_site.add_article(article, template="modern", feeds=["/atom.xml"])
    after = feedparser.parse(fetch(news_site.url("/atom.xml"))[2])
    assert len(after.entries) == len(before.entries) + 1
    assert url in {e.link for e in after.entries}
    status, _, body = fetch(url)
    assert status == 200 and article.title in body.decode()
    with pytest.raises(ValueError, match="slug"):
        news_site.add_article(replace(article, title="عنوان آخر"))


def test_arabic_paths_are_served_percent_encoded():
    article = SiteArticle(
        slug="بوتين-يزور-بيونغ-يانغ",
        title="بوتين يزور بيونغ يانغ",
        paragraphs=["نص الخبر."],
        published=datetime(2024, 6, 18, tzinfo=SITE_TZ),
    )
    with NewsSite() as site:
        url = site.add_article(article, template="outlet")
        assert "%D8%A8" in url and url.isascii()
        assert fetch(url)[0] == 200
        assert site.article_requests()[0].decoded_path == site.path_for(article)


# ── special routes ────────────────────────────────────────────────────────────────────────────


def test_error_routes(news_site: NewsSite):
    status, headers, body = fetch(news_site.url(Routes.NOT_FOUND))
    assert status == 404 and "الصفحة غير موجودة" in body.decode()
    assert fetch(news_site.url(Routes.SERVER_ERROR))[0] == 500
    status, headers, _ = fetch(news_site.url(Routes.RATE_LIMITED))
    assert status == 429 and headers["retry-after"] == "120"


def test_redirect_loop_never_ends(news_site: NewsSite):
    status, headers, _ = fetch(news_site.url(Routes.REDIRECT_LOOP))
    assert status == 302 and headers["location"] == news_site.url(Routes.REDIRECT_LOOP_OTHER)
    status, headers, _ = fetch(headers["location"])
    assert status == 302 and headers["location"] == news_site.url(Routes.REDIRECT_LOOP)
    with pytest.raises(urllib.error.HTTPError, match="redirect"):
        urllib.request.urlopen(news_site.url(Routes.REDIRECT_LOOP), timeout=5)


def test_binary_files_at_article_urls(news_site: NewsSite):
    status, headers, body = fetch(news_site.url(Routes.PDF))
    assert (status, headers["content-type"], body[:5]) == (200, "application/pdf", b"%PDF-")
    assert body == PDF_BYTES and body.rstrip().endswith(b"%%EOF")
    status, headers, body = fetch(news_site.url(Routes.PDF_AS_HTML))
    assert headers["content-type"].startswith("text/html") and body.startswith(b"%PDF-")
    status, headers, body = fetch(news_site.url(Routes.PNG))
    assert headers["content-type"] == "image/png" and body == PNG_BYTES
    assert body.startswith(b"\x89PNG\r\n\x1a\n") and b"IEND" in body


def test_empty_and_non_feed_responses(news_site: NewsSite):
    status, headers, body = fetch(news_site.url(Routes.EMPTY))
    assert (status, headers["content-length"], body) == (200, "0", b"")
    assert fetch(news_site.url(Routes.EMPTY_FEED))[0:3:2] == (200, b"")
    status, headers, body = fetch(news_site.url(Routes.NOT_A_FEED))
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert b'type="application/rss+xml"' in body  # the homepage, with feed autodiscovery links
    assert feedparser.parse(body).entries == []


def test_truncated_feed_is_cut_off_mid_item(news_site: NewsSite):
    status, _, body = fetch(news_site.url(Routes.TRUNCATED_FEED))
    assert status == 200 and body.startswith(b"<?xml") and b"<item>" in body
    assert not body.rstrip().endswith(b"</rss>")
    with pytest.raises(ET.ParseError):
        ET.fromstring(body)
    assert feedparser.parse(body).bozo


@pytest.mark.parametrize("route", [Routes.HUGE, Routes.HUGE_CHUNKED])
def test_huge_response_streams_and_survives_a_client_that_gives_up(news_site: NewsSite, route):
    conn = http.client.HTTPConnection("127.0.0.1", news_site.port, timeout=10)
    conn.request("HEAD", route)
    head = conn.getresponse()
    head.read()
    if route == Routes.HUGE:
        assert head.getheader("Content-Length") == str(30 * 1024 * 1024)
    else:
        assert head.getheader("Transfer-Encoding") == "chunked"
    conn.request("GET", route)
    response = conn.getresponse()
    first = response.read(200_000)
    assert first.startswith(b"<!DOCTYPE html>") and len(first) == 200_000
    conn.close()  # give up after 200 kB
    assert fetch(news_site.url("/robots.txt"))[0] == 200


def test_huge_response_is_complete_when_read_to_the_end():
    with NewsSite(huge_bytes=2_000_000) as site:
        for route in (Routes.HUGE, Routes.HUGE_CHUNKED):
            status, _, body = fetch(site.url(route))
            assert status == 200 and len(body) == 2_000_000


def test_slow_response_outlasts_a_client_timeout_and_does_not_block_stop():
    site = NewsSite(slow_seconds=60.0).start()
    port = site.port
    try:
        with pytest.raises((TimeoutError, socket.timeout)):
            fetch(site.url(Routes.SLOW), timeout=0.5)
        assert site.requests(Routes.SLOW)[0].status == 0  # still unanswered
    finally:
        started = time.monotonic()
        site.stop()
    assert time.monotonic() - started < 3
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()


def test_slow_response_arrives_when_the_client_waits():
    with NewsSite(slow_seconds=0.3) as site:
        started = time.monotonic()
        status, _, _ = fetch(site.url(Routes.SLOW), timeout=5)
        assert status == 200 and time.monotonic() - started >= 0.3


def test_stop_closes_idle_keep_alive_connections_promptly():
    site = NewsSite().start()
    port = site.port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/robots.txt")
    conn.getresponse().read()  # connection left open
    before = threading.active_count()
    started = time.monotonic()
    site.stop()
    assert time.monotonic() - started < 2
    assert threading.active_count() < before
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    conn.close()


def test_special_feed_links_can_be_listed_in_a_feed(news_site: NewsSite):
    news_site.add_feed("/feeds/errors.xml", special_feed_links(slow=False, huge=False))
    parsed = feedparser.parse(fetch(news_site.url("/feeds/errors.xml"))[2])
    paths = {route_key(urlsplit(e.link).path) for e in parsed.entries}
    assert Routes.PDF in paths and Routes.SERVER_ERROR in paths and Routes.SLOW not in paths
    links = [FeedLink("https://example.org/elsewhere", "رابط خارجي")]
    news_site.add_feed("/feeds/external.xml", links)
    assert (
        "https://example.org/elsewhere" in fetch(news_site.url("/feeds/external.xml"))[2].decode()
    )


# ── ready-made sites ──────────────────────────────────────────────────────────────────────────


def test_demo_site_spreads_articles_over_eight_feed_forms(ant_cache: AntCorpus):
    ant = load_ant_articles(40, seed=3)
    with demo_site(ant, special=True) as site:
        assert len(site.feeds) == 8
        assert len({f.form for f in site.feeds.values()}) == 7
        listed: set[str] = set()
        for path in DEMO_FEEDS:
            url = site.url(path)
            status, headers, body = fetch(url)
            assert status == 200
            parsed = feedparser.parse(
                body,
                response_headers={"content-type": headers["content-type"], "content-location": url},
            )
            assert parsed.entries, path
            listed |= {
                route_key(
                    urlsplit(e.link).path
                    + (f"?{urlsplit(e.link).query}" if urlsplit(e.link).query else "")
                )
                for e in parsed.entries
            }
        assert {site.path_for(a) for a in [*SEEDS, *ant]} <= listed
        config = tomllib.loads(rasad_config(site, "sqlite:////tmp/x.db"))
        assert config["sources"][0]["feeds"] == list(site.feed_urls().values())
        assert config["crawl"] == {
            "download_delay": 0.0,
            "obey_robots": True,
            "user_agent": "rasad-tests (+http://127.0.0.1/)",
        }


def test_standalone_mode_serves_until_interrupted(repo_root):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, str(repo_root / "tests" / "fixture_site.py"), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        assert process.stdout is not None
        lines = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line or "Ctrl-C" in line:
                break
            lines.append(line)
        feed_urls = [ln.split()[-1] for ln in lines if "/feed/" in ln or "atom.xml" in ln]
        assert f"http://127.0.0.1:{port}/feed/" in feed_urls, lines
        assert feedparser.parse(fetch(f"http://127.0.0.1:{port}/feed/")[2]).entries
    finally:
        process.send_signal(signal.SIGINT)
        # communicate() drains and closes both pipes
        process.communicate(timeout=10)
        assert process.returncode == 0

"""parse_feed: real RSS/Atom/JSON feeds from ../shared/data, and Arabic feeds written
the way Arabic outlets publish them (windows-1256 with right and wrong labels, Arabic
pubDates, stray ampersands, relative links, repeated GUIDs, HTML in CDATA)."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin

import pytest

from monitor.errors import FeedError
from monitor.models import ParsedFeed
from monitor.sources import feeds
from monitor.sources.feeds import parse_feed

# Real material comes from ../shared/data through conftest's `shared_data` fixture, which
# skips with the reason when it is absent; this path is only read to name the feed-rs cases.
_FEED_RS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "feeds" / "feed-rs"
URL = "https://www.example-news.com/rss/world.xml"


@pytest.fixture
def real_feeds(shared_data: Path) -> Path:
    return shared_data / "feeds"


def rss(items: str, *, title: str = "سكاي نيوز عربية - العالم", decl: str = "utf-8") -> str:
    head = f'<?xml version="1.0" encoding="{decl}"?>\n' if decl else ""
    return (
        f'{head}<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
        f"<title>{title}</title>\n<link>https://www.example-news.com/</link>\n"
        f"<description>آخر الأخبار</description>\n<language>ar</language>\n"
        f"{items}\n</channel>\n</rss>\n"
    )


def item(
    title: str,
    link: str | None,
    *,
    guid: str | None = None,
    date: str | None = "Mon, 17 Jun 2024 19:01:00 +0400",
    description: str = "",
) -> str:
    parts = [f"<title>{title}</title>"]
    if link is not None:
        parts.append(f"<link>{link}</link>")
    if guid is not None:
        parts.append(f"<guid>{guid}</guid>")
    if date is not None:
        parts.append(f"<pubDate>{date}</pubDate>")
    if description:
        parts.append(f"<description>{description}</description>")
    return "<item>" + "".join(parts) + "</item>"


TITLES = [
    "بوتين يستقبل كيم جونغ أون في موسكو",
    "روسيا وكوريا الشمالية توقعان اتفاقية شراكة استراتيجية",
    "شويغو يزور بيونغ يانغ",
]
ARABIC_FEED = rss(
    "\n".join(
        item(t, f"https://www.example-news.com/world/{n}.html", guid=f"urn:news:{n}")
        for n, t in enumerate(TITLES, start=1)
    )
)


# -- Arabic feeds ---------------------------------------------------------------------------


def test_arabic_rss_in_utf8():
    feed = parse_feed(ARABIC_FEED.encode(), URL)
    assert isinstance(feed, ParsedFeed)
    assert feed.kind == "rss20"
    assert feed.title == "سكاي نيوز عربية - العالم"
    assert feed.encoding == "utf-8"
    assert feed.warnings == ()
    assert [e.title for e in feed.entries] == TITLES
    assert [e.url for e in feed.entries] == [
        f"https://www.example-news.com/world/{n}.html" for n in (1, 2, 3)
    ]
    assert feed.entries[0].guid == "urn:news:1"
    assert feed.entries[0].published == datetime(2024, 6, 17, 15, 1, tzinfo=UTC)


def test_windows_1256_feed_with_a_correct_declaration():
    feed = parse_feed(rss(item(TITLES[0], "/a/1"), decl="windows-1256").encode("cp1256"), URL)
    assert feed.encoding == "cp1256"
    assert feed.entries[0].title == TITLES[0]
    assert feed.title == "سكاي نيوز عربية - العالم"
    assert feed.warnings == ()


@pytest.mark.parametrize(
    ("decl", "content_type"),
    [
        ("utf-8", "application/rss+xml; charset=utf-8"),  # cp1256 bytes labelled UTF-8
        ("ISO-8859-1", "text/xml"),  # labelled Latin-1
        ("", "application/xml"),  # labelled nothing at all
    ],
)
def test_windows_1256_feed_with_a_wrong_or_missing_declaration(decl, content_type):
    body = rss(item(TITLES[1], "/a/2"), decl=decl).encode("cp1256")
    feed = parse_feed(body, URL, {"Content-Type": content_type})
    assert feed.encoding == "cp1256"
    assert feed.entries[0].title == TITLES[1]
    assert feed.title == "سكاي نيوز عربية - العالم"
    assert any(w.startswith("encoding: ") for w in feed.warnings)
    assert not any("malformed" in w for w in feed.warnings)


def test_charset_from_headers_is_looked_up_case_insensitively():
    body = rss(item(TITLES[0], "/a/1"), decl="").encode("cp1256")
    feed = parse_feed(body, URL, {"CONTENT-TYPE": "application/rss+xml; charset=Windows-1256"})
    assert feed.encoding == "cp1256"
    assert feed.warnings == ()


def test_feedparser_gets_utf8_bytes_declared_as_utf8(monkeypatch):
    seen: list[bytes] = []
    real_parse = feeds.feedparser.parse

    def spy(data, **kwargs):
        seen.append(data)
        return real_parse(data, **kwargs)

    monkeypatch.setattr(feeds.feedparser, "parse", spy)
    body = rss(item(TITLES[0], "/a/1"), decl="windows-1256").encode("cp1256")
    assert parse_feed(body, URL).entries[0].title == TITLES[0]
    assert seen[0].startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    assert TITLES[0].encode() in seen[0]


def test_utf8_bom_wins_over_a_windows_1256_declaration():
    body = b"\xef\xbb\xbf" + rss(item(TITLES[2], "/a/3"), decl="windows-1256").encode()
    feed = parse_feed(body, URL)
    assert feed.entries[0].title == TITLES[2]
    assert feed.encoding == "utf-8"


def test_leading_whitespace_before_the_xml_declaration_is_tolerated():
    feed = parse_feed(b"\n\n  " + ARABIC_FEED.encode(), URL)
    assert len(feed.entries) == 3
    assert feed.warnings == ()


def test_arabic_pubdates_are_parsed():
    items = "\n".join(
        [
            item("أ", "/a/1", date="الأحد، 23 يونيو 2024 09:14 ص"),
            item("ب", "/a/2", date="17-6-2024 | 19:01"),
            item("ج", "/a/3", date="١٩ يونيو/حزيران ٢٠٢٤"),
            item("د", "/a/4", date="الإثنين 17 حزيران 2024 - 07:05 م"),
        ]
    )
    feed = parse_feed(rss(items).encode(), URL)
    assert [e.published for e in feed.entries] == [
        datetime(2024, 6, 23, 9, 14, tzinfo=UTC),
        datetime(2024, 6, 17, 19, 1, tzinfo=UTC),
        datetime(2024, 6, 19, tzinfo=UTC),
        datetime(2024, 6, 17, 19, 5, tzinfo=UTC),
    ]


def test_missing_unparseable_and_implausible_dates_become_none():
    items = "\n".join(
        [
            item("بلا تاريخ", "/a/1", date=None),
            item("تاريخ نسبي", "/a/2", date="منذ 3 ساعات"),
            item("تاريخ قديم", "/a/3", date="Thu, 01 Jan 1970 00:00:00 GMT"),
            item("تاريخ مستقبلي", "/a/4", date="Fri, 01 Jan 2100 00:00:00 GMT"),
            item("تاريخ سليم", "/a/5", date="2024-06-17T10:00:00+03:00"),
        ]
    )
    feed = parse_feed(rss(items).encode(), URL)
    assert [e.published for e in feed.entries] == [
        None,
        None,
        None,
        None,
        datetime(2024, 6, 17, 7, tzinfo=UTC),
    ]
    assert any("2 implausible publication dates" in w for w in feed.warnings)


def test_dc_date_is_used_when_there_is_no_pubdate():
    entry = (
        "<item><title>أ</title><link>/a/1</link><dc:date>2024-06-17T10:00:00+03:00</dc:date></item>"
    )
    feed = parse_feed(rss(entry).encode(), URL)
    assert feed.entries[0].published == datetime(2024, 6, 17, 7, tzinfo=UTC)


def test_stray_ampersand_still_yields_entries_with_a_warning():
    items = item("روسيا & كوريا الشمالية: تعاون عسكري", "/a/1") + item(TITLES[0], "/a/2")
    feed = parse_feed(rss(items).encode(), URL)
    assert [e.title for e in feed.entries] == ["روسيا & كوريا الشمالية: تعاون عسكري", TITLES[0]]
    assert any(w.startswith("malformed XML, parsed leniently") for w in feed.warnings)


def test_relative_links_are_resolved_against_the_feed_url():
    items = item("أ", "/world/1.html") + item("ب", "2.html") + item("ج", "//cdn.example.net/3")
    feed = parse_feed(rss(items).encode(), URL)
    assert [e.url for e in feed.entries] == [
        "https://www.example-news.com/world/1.html",
        "https://www.example-news.com/rss/2.html",
        "https://cdn.example.net/3",
    ]


def test_xml_base_is_honoured():
    atom = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="/ar/">
  <title>الجزيرة نت</title><id>urn:feed</id><updated>2024-06-17T10:00:00Z</updated>
  <entry><title>أ</title><link href="news/1.html"/><id>urn:1</id>
    <updated>2024-06-17T10:00:00Z</updated></entry>
  <entry xml:base="https://other.example.org/world/"><title>ب</title><link href="2.html"/>
    <id>urn:2</id><updated>2024-06-17T10:00:00Z</updated></entry>
</feed>"""
    feed = parse_feed(atom.encode(), "https://www.example-news.com/feeds/atom.xml")
    assert feed.kind == "atom10"
    assert [e.url for e in feed.entries] == [
        "https://www.example-news.com/ar/news/1.html",
        "https://other.example.org/world/2.html",
    ]


def test_entries_without_a_link_fall_back_to_an_http_guid_or_are_skipped():
    items = "\n".join(
        [
            item("رابط من المعرف", None, guid="https://www.example-news.com/a/7"),
            item("معرف رقمي", None, guid="123456"),
            item("معرف في CDATA", None, guid="<![CDATA[ 98765 ]]>"),
            item("بلا رابط ولا معرف", None),
            item("رابط جافاسكربت", "javascript:void(0)"),
        ]
    )
    feed = parse_feed(rss(items).encode(), URL)
    assert [(e.url, e.title) for e in feed.entries] == [
        ("https://www.example-news.com/a/7", "رابط من المعرف")
    ]
    assert "skipped 4 entries without an http(s) link or GUID URL" in feed.warnings


def test_repeated_links_are_dropped_and_repeated_guids_kept_under_new_links():
    items = "\n".join(
        [
            item("الأول", "/a/1", guid="g-1"),
            item("تكرار المعرف", "/a/1-updated", guid="g-1"),
            item("تكرار المعرف مرة أخرى", "/a/1-again", guid="g-1"),
            item("الثاني", "/a/2", guid="g-2"),
            item("تكرار الرابط", "https://www.example-news.com/a/2", guid="g-3"),
        ]
    )
    feed = parse_feed(rss(items).encode(), URL)
    # a CMS that gives every item one GUID must not lose the items: the link decides
    assert [e.title for e in feed.entries] == [
        "الأول",
        "تكرار المعرف",
        "تكرار المعرف مرة أخرى",
        "الثاني",
    ]
    assert "kept 2 entries whose GUID repeats an earlier one under a new link" in feed.warnings
    assert "dropped 1 entries repeating an earlier link" in feed.warnings


def test_cdata_descriptions_with_html_become_plain_text():
    description = (
        "<![CDATA[<p><img src='/img/kim.jpg' alt='صورة'/>أعلن <b>الكرملين</b>&nbsp;أن"
        "   الزيارة\n\t&laquo;تاريخية&raquo;.</p><p>وأضاف:<br/>التعاون مستمر &amp; يتوسع.</p>"
        "<script>track('x')</script>]]>"
    )
    feed = parse_feed(rss(item("أ", "/a/1", description=description)).encode(), URL)
    assert feed.entries[0].summary == (
        "أعلن الكرملين أن الزيارة «تاريخية». وأضاف: التعاون مستمر & يتوسع."
    )


def test_html_in_titles_is_stripped_and_entities_unescaped():
    title = "&lt;b&gt;عاجل:&lt;/b&gt;   بوتين &amp;quot;يرحب&amp;quot; بكيم"
    feed = parse_feed(rss(item(title, "/a/1")).encode(), URL)
    assert feed.entries[0].title == 'عاجل: بوتين "يرحب" بكيم'


def test_google_news_titles_lose_the_publisher_suffix():
    items = (
        "<item><title>بوتين يستقبل كيم - فرانس 24</title><link>https://news.google.com/articles/1"
        '</link><source url="https://www.france24.com">فرانس 24</source></item>'
        "<item><title>روسيا - كوريا: قمة جديدة - RT Arabic</title>"
        "<link>https://news.google.com/articles/2</link></item>"
    )
    google = parse_feed(rss(items).encode(), "https://news.google.com/rss/search?q=كيم&hl=ar")
    assert [e.title for e in google.entries] == ["بوتين يستقبل كيم", "روسيا - كوريا: قمة جديدة"]
    other = parse_feed(rss(items).encode(), URL)
    assert other.entries[0].title == "بوتين يستقبل كيم - فرانس 24"


def test_empty_but_valid_feed_is_not_an_error():
    feed = parse_feed(rss("").encode(), URL)
    assert feed.entries == ()
    assert feed.kind == "rss20"
    assert feed.title == "سكاي نيوز عربية - العالم"
    assert feed.warnings == ()


def test_arabic_atom_feed_uses_updated_when_published_is_missing():
    atom = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ar">
  <title type="html">&lt;b&gt;بي بي سي&lt;/b&gt; عربي</title>
  <id>tag:bbc.co.uk,2024:arabic</id><updated>2024-06-17T10:00:00Z</updated>
  <entry>
    <title>موسكو وبيونغ يانغ</title>
    <link rel="alternate" href="https://www.bbc.com/arabic/articles/c1"/>
    <link rel="enclosure" href="https://www.bbc.com/arabic/c1.mp3"/>
    <id>tag:bbc.co.uk,2024:c1</id>
    <published>2024-06-16T08:00:00+03:00</published><updated>2024-06-17T10:00:00Z</updated>
    <summary type="html">&lt;p&gt;ملخص &lt;em&gt;الخبر&lt;/em&gt;&lt;/p&gt;</summary>
  </entry>
  <entry>
    <title>قمة ثانية</title><link href="https://www.bbc.com/arabic/articles/c2"/>
    <link rel="self" href="https://www.bbc.com/arabic/c2.atom"/>
    <id>tag:bbc.co.uk,2024:c2</id><updated>2024-06-17T09:30:00+03:00</updated>
  </entry>
  <entry>
    <title>رابط ذاتي فقط</title><link rel="self" href="https://www.bbc.com/arabic/c3.atom"/>
    <id>tag:bbc.co.uk,2024:c3</id><updated>2024-06-17T09:30:00Z</updated>
  </entry>
</feed>"""
    feed = parse_feed(atom.encode(), "https://feeds.bbci.co.uk/arabic/rss.xml")
    assert feed.title == "بي بي سي عربي"
    assert [(e.url, e.published) for e in feed.entries] == [
        ("https://www.bbc.com/arabic/articles/c1", datetime(2024, 6, 16, 5, tzinfo=UTC)),
        ("https://www.bbc.com/arabic/articles/c2", datetime(2024, 6, 17, 6, 30, tzinfo=UTC)),
    ]
    assert feed.entries[0].summary == "ملخص الخبر"
    assert "skipped 1 entries without an http(s) link or GUID URL" in feed.warnings


def test_rdf_rss_1_0_with_arabic_dc_dates():
    rdf = """<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://www.example-news.com/rdf"><title>وكالة الأنباء</title>
    <link>https://www.example-news.com/</link><description>أخبار</description></channel>
  <item rdf:about="https://www.example-news.com/n/1"><title>خبر أول</title>
    <link>https://www.example-news.com/n/1</link><dc:date>2024-06-17T10:00:00+03:00</dc:date></item>
  <item rdf:about="https://www.example-news.com/n/2"><title>خبر ثان</title>
    <link>https://www.example-news.com/n/2</link><dc:date>17 حزيران 2024</dc:date></item>
</rdf:RDF>"""
    feed = parse_feed(rdf.encode(), "https://www.example-news.com/rdf")
    assert feed.kind == "rss10"
    assert [e.published for e in feed.entries] == [
        datetime(2024, 6, 17, 7, tzinfo=UTC),
        datetime(2024, 6, 17, tzinfo=UTC),
    ]


def test_rss_0_91_with_a_netscape_doctype():
    body = (
        '<?xml version="1.0" encoding="windows-1256"?>\n'
        '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
        '"http://my.netscape.com/publish/formats/rss-0.91.dtd">\n'
        '<rss version="0.91"><channel><title>صحيفة</title><link>https://x.example/</link>'
        "<description>d</description><language>ar</language>"
        "<item><title>خبر</title><link>https://x.example/1</link></item></channel></rss>"
    ).encode("cp1256")
    feed = parse_feed(body, "https://x.example/rss")
    assert feed.kind == "rss091n"  # feedparser tells Netscape 0.91 from UserLand 0.91
    assert [(e.url, e.title) for e in feed.entries] == [("https://x.example/1", "خبر")]


# -- not a feed -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty response body"),
        (b" \r\n\t ", "empty response body"),
        (
            b"<!DOCTYPE html>\n<html lang='ar' dir='rtl'><head><title>\xd8\xa3</title></head>",
            "got an HTML page, not a feed — is the feed URL right?",
        ),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN" "x">'
            b'<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>',
            "got an HTML page, not a feed",
        ),
        (b"<!-- cache --><HEAD><TITLE>Moved</TITLE></HEAD>", "got an HTML page"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01", "binary data"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", "gzip-compressed"),
        (b"Not Found", "no RSS/Atom feed structure found (document root: no XML element"),
        (b'<?xml version="1.0"?><catalog><book/></catalog>', "document root: <catalog>"),
        (b'{"status": "error"}', "JSON document that is not a JSON Feed"),
        (b"{not json", "malformed JSON"),
    ],
)
def test_what_is_not_a_feed_raises_feed_error(body, message):
    with pytest.raises(FeedError, match=re.escape(message)):
        parse_feed(body, URL)


# -- JSON Feed ------------------------------------------------------------------------------


def test_inline_arabic_json_feed():
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "العربية نت",
        "items": [
            {
                "id": "1",
                "url": "/ar/1.html",
                "title": "بوتين وكيم",
                "content_html": "<p>نص</p>",
                "date_published": "2024-06-17T10:00:00+03:00",
            },
            {"id": "2", "external_url": "https://x.example/2", "summary": "ملخص"},
            {"id": "1", "url": "/ar/1-dup.html"},
            {"id": "3"},
        ],
    }
    feed = parse_feed(json.dumps(document, ensure_ascii=False).encode(), URL)
    assert feed.kind == "json11"
    assert feed.title == "العربية نت"
    assert [(e.url, e.title, e.summary) for e in feed.entries] == [
        ("https://www.example-news.com/ar/1.html", "بوتين وكيم", "نص"),
        ("https://x.example/2", "", "ملخص"),
        ("https://www.example-news.com/ar/1-dup.html", "", ""),
    ]
    assert feed.entries[0].published == datetime(2024, 6, 17, 7, tzinfo=UTC)
    assert "kept 1 entries whose GUID repeats an earlier one under a new link" in feed.warnings
    assert "skipped 1 entries without an http(s) link or GUID URL" in feed.warnings


@pytest.mark.parametrize(
    "path",
    [
        "feed-rs/jsonfeed/jsonfeed_spec_1.json",
        "feed-rs/jsonfeed/jsonfeed_example_1.json",
        "feed-rs/jsonfeed/jsonfeed_elastic_1.1.json",
        "trafilatura/feed.json",
    ],
)
def test_real_json_feeds(real_feeds, path):
    source = real_feeds / path
    document = json.loads(source.read_text(encoding="utf-8"))
    feed = parse_feed(source.read_bytes(), "https://example.com/feed.json")
    expected = [i.get("url") or i.get("external_url") for i in document["items"]]
    assert [e.url for e in feed.entries] == [u for u in expected if u]
    assert feed.kind.startswith("json1")
    dated = [bool(i.get("date_published")) for i in document["items"] if i.get("url")]
    assert [e.published is not None for e in feed.entries] == dated


# -- real RSS/Atom feeds --------------------------------------------------------------------


def _expected_rss_parser(real_feeds: Path, name: str) -> dict:
    raw = (real_feeds / "rss-parser" / "output" / f"{name}.json").read_bytes()
    try:
        return json.loads(raw.decode("utf-8"))["feed"]
    except UnicodeDecodeError:  # encoding.json was written in Latin-1
        return json.loads(raw.decode("latin-1"))["feed"]


def _plain(text: str | None) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]*>", "", text or "")).split())


def _matches(expected: str, got: str) -> bool:
    """rss-parser wrote U+FFFD where it failed to decode; count those as any one character."""
    pattern = ".".join(re.escape(part) for part in _plain(expected).split("\ufffd"))
    return re.fullmatch(pattern, got) is not None


RSS_PARSER_CASES = [
    "content-encoded",
    "craigslist",
    "encoding",
    "feedburner",
    "guardian",
    "heise",
    "heraldsun",
    "incomplete-fields",
    "instant-article",
    "many-links",
    "missing-fields",
    "narro",
    "pagination-links",
    "reddit-atom",
    "reddit",
    "rss-1",
    "uolNoticias",
]


@pytest.mark.parametrize("name", RSS_PARSER_CASES)
def test_rss_parser_fixtures_match_their_expected_links_and_titles(real_feeds, name):
    inputs = list((real_feeds / "rss-parser" / "input").glob(f"{name}.*"))
    assert len(inputs) == 1
    expected = _expected_rss_parser(real_feeds, name)
    feed = parse_feed(inputs[0].read_bytes(), "https://example.com/feed")
    items = [i for i in expected.get("items", []) if i.get("link")]
    assert [e.url for e in feed.entries] == [i["link"] for i in items]
    for entry, want in zip(feed.entries, items, strict=True):
        if want.get("title"):
            assert _matches(want["title"], entry.title), (want["title"], entry.title)
    assert _matches(expected.get("title", ""), feed.title)
    assert not any("\ufffd" in e.title for e in feed.entries)


def test_rss_parser_unrecognized_is_an_html_page(real_feeds):
    body = (real_feeds / "rss-parser" / "input" / "unrecognized.rss").read_bytes()
    with pytest.raises(FeedError, match="got an HTML page"):
        parse_feed(body, "https://example.com/feed")


def _feed_rs_cases() -> list[str]:
    return [
        f"{kind}/{path.name}"
        for kind in ("rss0", "rss1", "rss2", "atom")
        for path in sorted((_FEED_RS / kind).glob("*.xml"))
    ] or ["(../shared/data absent)"]


def _feed_rs_links(expected: dict, base: str) -> list[str]:
    """feed-rs keeps relative hrefs as written; rasad resolves them."""
    links = []
    for entry in expected["entries"]:
        hrefs = [k["href"] for k in entry["links"] if k.get("rel") in (None, "alternate")]
        if hrefs:
            links.append(urljoin(base, hrefs[0]))
    return links


# feed-rs and rasad disagree here, for stated reasons.
FEED_RS_DIFFERENCES = {
    "atom/atom_xml_base.xml",  # no <link>; rasad uses the http(s) <id> as the URL
    "rss2/rss_2.0_spec_1.xml",  # no <link>; rasad uses the http(s) <guid> as the URL
    "rss0/rss_0.91_encoding_1.xml",  # feed-rs lower-cases the host name
    "rss2/rss_2.0_invalid_1.xml",  # truncated by the server; no items, no serde file
}


@pytest.mark.parametrize("case", _feed_rs_cases())
def test_feed_rs_fixtures(real_feeds, case):
    source = real_feeds / "feed-rs" / case
    base = "https://example.com/blog/feed.xml"
    feed = parse_feed(source.read_bytes(), base)
    kind = {"rss0": "rss09", "rss1": "rss10", "rss2": "rss20", "atom": "atom"}[case.split("/")[0]]
    if case != "rss2/rss_2.0_reddit.xml":  # an Atom document despite its name
        assert feed.kind.startswith(kind)
    assert all(e.url.startswith(("http://", "https://")) for e in feed.entries)
    assert all(e.published is None or e.published.tzinfo is UTC for e in feed.entries)
    if case not in FEED_RS_DIFFERENCES:
        expected = json.loads(source.with_suffix(".serde.json").read_text(encoding="utf-8"))
        assert [e.url for e in feed.entries] == _feed_rs_links(expected, base)


def test_feed_rs_truncated_feed_is_kept_with_a_warning(real_feeds):
    source = real_feeds / "feed-rs" / "rss2" / "rss_2.0_invalid_1.xml"
    feed = parse_feed(source.read_bytes(), "https://www.reuters.com/rss")
    assert feed.title == "Reuters: Most Read Articles"
    assert feed.entries == ()
    assert any(w.startswith("malformed XML") for w in feed.warnings)


def test_feed_rs_undefined_html_entity_is_parsed_leniently(real_feeds):
    source = real_feeds / "feed-rs" / "rss2" / "rss_2.0_dbengines.xml"
    feed = parse_feed(source.read_bytes(), "https://db-engines.com/en/blog_rss")
    assert len(feed.entries) == 1
    assert any("undefined entity" in w for w in feed.warnings)


def test_feed_rs_relative_atom_links_resolve_against_the_feed_url(real_feeds):
    source = real_feeds / "feed-rs" / "atom" / "atom_relative.xml"
    feed = parse_feed(source.read_bytes(), "https://example.com/blog/feed.xml")
    assert [e.url for e in feed.entries] == ["https://example.com/blog/2003/12/13/atom03"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("feed-rs/xml/xml_sample_1.xml", "document root: <catalog>"),
        ("trafilatura/sitemap.xml", "document root: <urlset>"),
        ("trafilatura/sitemap2.xml", "document root: <sitemapindex>"),
        ("trafilatura/sitemap.xml.gz", "gzip-compressed"),
    ],
)
def test_real_non_feeds_raise(real_feeds, path, message):
    with pytest.raises(FeedError, match=re.escape(message)):
        parse_feed((real_feeds / path).read_bytes(), "https://example.com/feed")


@pytest.mark.parametrize(
    ("path", "urls"),
    [
        ("trafilatura/feed1.atom", ["http://example.org/2003/12/13/atom03"]),
        ("trafilatura/feed2.rss", ["http://www.example.com/blog/post/1"]),
    ],
)
def test_trafilatura_example_feeds(real_feeds, path, urls):
    feed = parse_feed((real_feeds / path).read_bytes(), "https://example.com/feed")
    assert [e.url for e in feed.entries] == urls
    assert feed.entries[0].published is not None

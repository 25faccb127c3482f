"""monitor.extract.article: the fixture site's templates, then one test per behaviour.

Real pages are golden files, one folder each under tests/golden/ (checked by
tests/test_golden.py; they skip when ../shared/data is absent). Measured with the options in
monitor.extract.body.TRAFILATURA_OPTIONS:

    paragraph retention   cnn 1.00 · lbc 1.00 · jawharafm 9 pages 1.00 each · assabah 3/3 kept,
                          3/3 dropped · fixture site: 5 seed + 12 ANT stories x 4 templates,
                          1.00 each (offline, 400 ANT stories x 4: 1.00 on 1,588 renders,
                          12 caption-length stories rejected as no_text)
    output precision      cnn 1.00 · lbc 1.00 · jawharafm 1.00 (share of output paragraphs in gold)
    dates, htmldate-2020  Arabic 7/8 right, 1 none, 0 wrong · Persian 2/3 right, 1 none
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import fixture_site as site
import golden_cases as golden
import lxml.html
import pytest
import trafilatura.metadata
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.errors import ExtractionError
from monitor.extract import metadata
from monitor.extract.article import extract_article
from monitor.extract.body import MIN_WORDS, _is_footer, _own_text, article_scope
from monitor.extract.metadata import (
    _NOT_LETTER,
    _letters,
    clean_title,
    detect_language,
    site_name,
)
from monitor.extract.page import alnum_key, clean_line, head_tags, meta, parse_html
from monitor.extract.page import fold as page_fold
from monitor.models import Article, FeedEntry
from monitor.text.encoding import decode_document

REPO = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 6, 1, tzinfo=UTC)
HTML = {"Content-Type": "text/html; charset=utf-8"}


def norm(text: str) -> str:
    """Whitespace runs to one space; zero-width and bidi marks (invisible) dropped."""
    return re.sub(
        r"\s+", " ", re.sub("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]", "", text)
    ).strip()


def retention(gold: list[str], text: str) -> float:
    """Share of gold paragraphs found (whitespace-normalised) in the extracted text."""
    flat = norm(text)
    return sum(norm(p) in flat for p in gold) / len(gold)


# ── the fixture news site: seed and ANT stories in four page templates ────────────────────────


def fixture_cases(stories: list[site.SiteArticle]) -> list[str]:
    """Render every article in every template, extract it and list what went wrong."""
    problems = []
    for number, story in enumerate(stories):
        for template in site.TEMPLATES:
            url = "http://127.0.0.1:8000" + site.quote_path(
                site.article_path(story, template, 120001 + number)
            )
            rendered = site.render_article_page(story, template, url=url)
            headers = {"Content-Type": rendered.content_type}
            article = extract_article(rendered.body, url, headers, now=NOW)
            problems += [
                f"{template}/{story.slug}: {p}" for p in fixture_problems(story, template, article)
            ]
    return problems


def fixture_problems(story: site.SiteArticle, template: str, article: Article) -> list[str]:
    gold = [p for p in story.paragraphs if any(ch.isalpha() for ch in p)]
    found = retention(gold, article.text)
    problems = [] if found >= 0.97 else [f"retention {found:.2f}"]
    problems += [f"boilerplate {m!r}" for m in site.BOILERPLATE_MARKERS if m in article.text]
    if norm(article.title) != norm(story.title):
        problems.append(f"title {article.title!r}")
    if article.language != "ar":
        problems.append(f"language {article.language}")
    local_day = story.published.astimezone(site.SITE_TZ).date()
    if template in site.TEMPLATES_WITH_DATE_METADATA and article.published != story.published:
        problems.append(f"date {article.published}")
    elif article.published is not None and article.published.date() != local_day:
        problems.append(f"date {article.published}")  # the URL's day, or nothing
    return problems


def test_fixture_site_seed_stories_in_every_template() -> None:
    assert fixture_cases(site.load_seed_articles()) == []


def test_fixture_site_ant_stories_in_every_template(ant_cache: site.AntCorpus) -> None:
    stories = ant_cache.articles(12, seed=3, filter=site.mentions_russia_and_north_korea)
    assert fixture_cases(stories) == []


def test_fixture_site_legacy_page_is_windows_1256_and_feed_date_wins() -> None:
    story = site.load_seed_articles()[0]
    rendered = site.render_article_page(story, "legacy", url="http://127.0.0.1/News/1")
    entry = FeedEntry(url="http://127.0.0.1/News/1", title=story.title, published=story.published)
    headers = {"Content-Type": rendered.content_type}
    article = extract_article(rendered.body, entry.url, headers, entry)
    assert article.encoding == "cp1256"
    assert (article.published, article.date_source) == (story.published, "feed")
    assert "كوريا الشمالية تطلق صاروخاً" not in article.text  # the breaking-news ticker


def test_fixture_site_legacy_page_with_only_a_caption_has_no_text() -> None:
    """The table layout's menus and boxes outweigh a 13-word video caption: not an article."""
    story = site.SiteArticle(
        slug="video-1", title="شاهد: لحظة وصول كيم إلى فلاديفوستوك",
        paragraphs=["القطار المدرع للزعيم الكوري الشمالي يصل إلى محطة فلاديفوستوك صباح اليوم"],
        published=datetime(2024, 6, 18, 9, 0, tzinfo=UTC),
    )  # fmt: skip
    rendered = site.render_article_page(story, "legacy", url="http://127.0.0.1/News/2")
    assert reason(rendered.body, {"Content-Type": rendered.content_type}) == "no_text"


# ── hand-written pages for each behaviour ──────────────────────────────────────────────────────

PARAGRAPHS = [
    "أعلنت وزارة الخارجية الروسية اليوم أن وفدا رفيع المستوى سيزور بيونغ يانغ الأسبوع المقبل "
    "لبحث التعاون الاقتصادي والعسكري بين البلدين، في خطوة جديدة تعكس تقاربا متزايدا.",
    "وقال المتحدث باسم الوزارة في مؤتمر صحفي إن المحادثات ستتناول مشاريع  النقل والطاقة\u00a0"
    "والتبادل التجاري عبر الحدود البرية القصيرة التي تربط البلدين في أقصى الشرق.",
    "ويأتي الإعلان بعد أشهر من توقيع معاهدة الشراكة الاستراتيجية الشاملة بين موسكو وبيونغ يانغ، "
    "وهي المعاهدة التي أثارت قلق كوريا الجنوبية واليابان والولايات المتحدة.",
]


def page(
    paragraphs: list[str],
    *,
    title: str = "",
    head: str = "",
    before: str = "",
    after: str = "",
    lang: str = "ar",
) -> bytes:
    """A small news page: header and menu, the article, a 'most read' box and a footer."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html><html lang="{lang}" dir="rtl"><head><meta charset="utf-8">
<title>{title}</title>{head}</head><body>
<header><nav><ul><li><a href="/">الرئيسية</a></li><li><a href="/politics">سياسة</a></li>
<li><a href="/economy">اقتصاد</a></li><li><a href="/login">تسجيل الدخول</a></li></ul></nav></header>
<main><article><h1>{title}</h1>{before}<div class="content">{body}</div>{after}</article></main>
<aside><h3>الأكثر قراءة</h3><ul><li><a href="/1">ارتفاع أسعار الذهب في الأسواق المحلية</a></li>
<li><a href="/2">منتخب الشباب يتأهل إلى نهائي البطولة</a></li></ul></aside>
<footer><p>© 2024 جميع الحقوق محفوظة</p><p>نستخدم ملفات تعريف الارتباط لتحسين تجربتك</p></footer>
</body></html>""".encode()


def reason(body: bytes, headers: dict[str, str] | None = None, **kwargs: object) -> str:
    with pytest.raises(ExtractionError) as caught:
        extract_article(body, "https://example.org/news/1", headers, **kwargs)  # type: ignore[arg-type]
    assert caught.value.detail, "a person-readable detail goes with the reason"
    return caught.value.reason


@pytest.mark.parametrize("body", [b"", b"   \r\n\t  "])
def test_empty_body_is_rejected(body: bytes) -> None:
    assert reason(body, HTML) == "empty"


def test_body_over_the_limit_is_too_large() -> None:
    body = page(PARAGRAPHS, title="خبر")
    assert reason(body, HTML, max_bytes=len(body) - 1) == "too_large"
    assert extract_article(body, "https://example.org/a", HTML, max_bytes=len(body)).text


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "text/html"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", None),
        (page(PARAGRAPHS, title="خبر"), "application/pdf"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "text/html; charset=utf-8"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", None),
        (b"GIF89a\x01\x00\x01\x00", None),
        (b"PK\x03\x04\x14\x00\x06\x00", "application/octet-stream"),
        (b'{"title": "\xd8\xae\xd8\xa8\xd8\xb1", "body": "..."}', "application/json"),
        (b'{"title": "x"}', None),
        (b"<html>\x00\x01\x02\x03binary\x00junk", None),
        (page(PARAGRAPHS, title="خبر"), "image/jpeg"),
    ],
)
def test_non_html_is_rejected(body: bytes, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    assert reason(body, headers) == "not_html"


def test_page_without_an_article_body_has_no_text() -> None:
    assert reason(page([], title="فيديو: لحظة وصول الوفد")) == "no_text"
    teaser = ["شاهد الفيديو الكامل لوصول الوفد الروسي إلى مطار بيونغ يانغ صباح اليوم."]
    assert reason(page(teaser, title="فيديو")) == "no_text"
    assert reason(b"<html><body><!-- nothing --></body></html>", HTML) == "no_text"
    assert len(" ".join(PARAGRAPHS).split()) >= MIN_WORDS  # the real article passes


def test_site_furniture_never_reaches_the_text() -> None:
    before = "<p>اقرأ أيضا: بوتين يستقبل وزير الدفاع الكوري الشمالي في الكرملين</p>"
    after = (
        "<p>شارك هذا الخبر</p><p>تابعونا على فيسبوك وتويتر</p>"
        "<p>أخبار ذات صلة</p><p>نستخدم ملفات تعريف الارتباط (الكوكيز) لتحسين تجربتك.</p>"
    )
    article = extract_article(
        page(PARAGRAPHS, title="وفد روسي إلى بيونغ يانغ", before=before, after=after),
        "https://example.org/a",
        HTML,
        now=NOW,
    )
    assert article.text.split("\n\n") == [norm(p) for p in PARAGRAPHS]
    for furniture in ("اقرأ", "الأكثر قراءة", "شارك", "تابعونا", "ذات صلة", "الارتباط",
                      "تسجيل الدخول", "الرئيسية", "جميع الحقوق"):  # fmt: skip
        assert furniture not in article.text


def test_paragraphs_are_separated_by_blank_lines_and_normalised() -> None:
    article = extract_article(page(PARAGRAPHS, title="عنوان"), "https://example.org/a", HTML)
    assert article.text.split("\n\n") == [norm(p) for p in PARAGRAPHS]


def test_headlines_listed_under_a_read_also_label_are_dropped() -> None:
    after = ("<p>اقرأ أيضاً:</p><ul><li><a href='/9'>كيم يتفقد مصنعا للصواريخ قرب الحدود</a></li>"
             "<li><a href='/8'>لافروف يصل إلى بيونغ يانغ في زيارة رسمية</a></li></ul>")  # fmt: skip
    article = extract_article(page(PARAGRAPHS, title="خبر", after=after), "https://e.org/a", HTML)
    assert article.text.split("\n\n") == [norm(p) for p in PARAGRAPHS]


def test_boilerplate_words_inside_real_sentences_are_kept() -> None:
    sentences = [
        "شارك أكثر من ثلاثمئة خبير من روسيا وكوريا الشمالية في المؤتمر الاقتصادي الذي عقد أمس.",
        "وقال المتحدث إن التعليقات التي أدلى بها الوزير لا تعبر عن موقف الحكومة الرسمي.",
    ]
    article = extract_article(page([*PARAGRAPHS, *sentences]), "https://e.org/a", HTML)
    assert article.text.split("\n\n") == [norm(p) for p in [*PARAGRAPHS, *sentences]]


# ── title ──────────────────────────────────────────────────────────────────────────────────────

HEADLINE = "موسكو وبيونغ يانغ تبحثان التعاون الاقتصادي"


@pytest.mark.parametrize(
    ("raw", "site_names", "expected"),
    [
        (f"{HEADLINE} | سكاي نيوز عربية", (), HEADLINE),
        (f"{HEADLINE} - BBC News عربي", (), HEADLINE),
        (f"الشرق الأوسط - {HEADLINE}", ("الشرق الأوسط",), HEADLINE),
        (f"{HEADLINE} – France 24", (), HEADLINE),
        (f"{HEADLINE} - اليوم السابع", ("اليوم السابع",), HEADLINE),
        (f"{HEADLINE} - CNNArabic.com", ("CNNArabic",), HEADLINE),
        ("روسيا - كوريا الشمالية: شراكة جديدة", (), "روسيا - كوريا الشمالية: شراكة جديدة"),
        (
            "حمة الهمامي : اعتذار الغرياني مخرج من ورطة",
            (),
            "حمة الهمامي : اعتذار الغرياني مخرج من ورطة",
        ),
    ],
)
def test_clean_title_strips_the_outlet_name_only(
    raw: str, site_names: tuple[str, ...], expected: str
) -> None:
    assert clean_title(raw, site_names) == expected


def titled_page(og_title: str, title_tag: str) -> bytes:
    head = (f'<meta property="og:title" content="{og_title}">'
            '<meta property="og:site_name" content="سكاي نيوز عربية">')  # fmt: skip
    return page(PARAGRAPHS, title=title_tag, head=head)


@pytest.mark.parametrize(
    ("feed_title", "expected"),
    [
        ("بوتين وكيم يوقعان اتفاقا جديدا", "بوتين وكيم يوقعان اتفاقا جديدا"),  # the publisher's
        ("بوتين وكيم يوقعان اتفاقا جديدا | سكاي نيوز عربية", "بوتين وكيم يوقعان اتفاقا جديدا"),
        ("موسكو وبيونغ يانغ تبحثان…", HEADLINE),  # truncated: the page's
        ("موسكو وبيونغ يانغ تبحثان ...", HEADLINE),
        ("", HEADLINE),
        ("   ", HEADLINE),
    ],
)
def test_feed_title_wins_unless_empty_or_truncated(feed_title: str, expected: str) -> None:
    body = titled_page(f"{HEADLINE} | سكاي نيوز عربية", f"{HEADLINE} | سكاي نيوز عربية")
    entry = FeedEntry(url="https://example.org/a", title=feed_title)
    assert extract_article(body, "https://example.org/a", HTML, entry).title == expected


def test_page_title_without_entry_drops_prefix_matching_h1() -> None:
    body = page(
        PARAGRAPHS,
        title=HEADLINE,
        head=f'<meta property="og:title" content="المدينة نيوز - {HEADLINE}">',
    )
    assert extract_article(body, "https://example.org/a", HTML).title == HEADLINE


def test_page_title_is_the_title_element_before_the_h1_without_og_title() -> None:
    tree = parse_html(
        "<html><head><title>قمة بوتين وكيم في موسكو</title></head><body>"
        "<h1>عنوان آخر على الصفحة</h1><p>نص</p><h1>عنوان ثالث</h1></body></html>"
    )
    assert metadata.page_title(tree, []) == "قمة بوتين وكيم في موسكو"
    no_title = parse_html("<html><body><h1> </h1><h1>عنوان آخر</h1><p>نص</p></body></html>")
    assert metadata.page_title(no_title, []) == "عنوان آخر"  # the first h1 with text


def test_headline_repeated_at_the_top_of_the_body_is_dropped() -> None:
    article = extract_article(
        page([HEADLINE, *PARAGRAPHS], title=HEADLINE), "https://e.org/a", HTML
    )
    assert HEADLINE not in article.text


# ── date ───────────────────────────────────────────────────────────────────────────────────────

PUBLISHED_META = '<meta property="article:published_time" content="2024-06-19T10:30:00+03:00">'


def test_copyright_year_is_never_a_publication_date() -> None:
    body = page(PARAGRAPHS, title="خبر")  # its only date: "© 2024 جميع الحقوق محفوظة"
    article = extract_article(body, "https://example.org/news/1", HTML, now=NOW)
    assert article.published is None and article.date_source is None
    assert "2024" not in article.text


def test_feed_date_wins_when_plausible() -> None:
    feed_date = datetime(2024, 6, 19, 8, 0, tzinfo=UTC)
    entry = FeedEntry(url="https://example.org/a", title="خبر", published=feed_date)
    article = extract_article(
        page(PARAGRAPHS, head=PUBLISHED_META), entry.url, HTML, entry, now=NOW
    )
    assert (article.published, article.date_source) == (feed_date, "feed")


def test_implausible_feed_date_falls_back_to_page_metadata() -> None:
    entry = FeedEntry(
        url="https://example.org/a", title="خبر", published=datetime(2031, 1, 1, tzinfo=UTC)
    )  # years after `now`
    article = extract_article(
        page(PARAGRAPHS, head=PUBLISHED_META), entry.url, HTML, entry, now=NOW
    )
    assert article.published == datetime(2024, 6, 19, 7, 30, tzinfo=UTC)
    assert article.date_source == "page"


@pytest.mark.parametrize(
    ("head", "before", "url", "expected"),
    [
        (
            '<script type="application/ld+json">{"@context": "https://schema.org", "@graph": ['
            '{"@type": "WebPage"}, {"@type": "NewsArticle",'
            ' "datePublished": "2024-06-19T10:30:00+03:00",'
            ' "dateModified": "2024-06-20T09:00:00+03:00"}]}</script>',
            "",
            "https://e.org/a",
            datetime(2024, 6, 19, 7, 30, tzinfo=UTC),
        ),
        (
            "",
            '<time datetime="2024-06-19T10:30:00+03:00" itemprop="datePublished">١٩ يونيو</time>',
            "https://e.org/a",
            datetime(2024, 6, 19, 7, 30, tzinfo=UTC),
        ),
        (
            '<meta property="article:published_time" content="الأربعاء، 19 يونيو 2024 - 10:30 ص">',
            "",
            "https://e.org/a",
            datetime(2024, 6, 19, 10, 30, tzinfo=UTC),
        ),
        ("", "", "https://e.org/story/2024/6/19/slug/123", datetime(2024, 6, 19, tzinfo=UTC)),
        (
            '<meta property="article:modified_time" content="2024-06-20T09:00:00Z">',
            "",
            "https://e.org/a",
            None,
        ),
    ],
    ids=["json-ld", "time-itemprop", "arabic-meta", "url", "modified-is-not-published"],
)
def test_page_date_from_structured_metadata(
    head: str, before: str, url: str, expected: datetime | None
) -> None:
    article = extract_article(page(PARAGRAPHS, head=head, before=before), url, HTML, now=NOW)
    assert article.published == expected
    assert article.date_source == ("page" if expected else None)


# ── encoding and language ──────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("content_type", "meta"),
    [
        ("text/html; charset=iso-8859-1", "windows-1256"),
        ("text/html", "utf-8"),
        ("text/html; charset=utf-8", "utf-8"),
    ],
)
def test_windows_1256_page_with_a_wrong_declared_charset(content_type: str, meta: str) -> None:
    text = page(PARAGRAPHS, title="خبر").decode().replace('charset="utf-8"', f'charset="{meta}"')
    text = text.replace('<meta charset="utf-8">', f'<meta charset="{meta}">')
    article = extract_article(
        text.encode("cp1256"), "https://e.org/a", {"Content-Type": content_type}, now=NOW
    )
    assert article.encoding == "cp1256"
    assert article.text.split("\n\n") == [norm(p) for p in PARAGRAPHS]


@pytest.mark.parametrize(
    ("codec", "charset"), [("utf-16", ""), ("utf-16-le", "; charset=utf-16le")]
)
def test_utf16_page_is_not_mistaken_for_binary(codec: str, charset: str) -> None:
    text = page(PARAGRAPHS, title="خبر").decode().replace('<meta charset="utf-8">', "")
    article = extract_article(
        text.encode(codec), "https://e.org/a", {"Content-Type": "text/html" + charset}
    )
    assert article.text.split("\n\n") == [norm(p) for p in PARAGRAPHS]


PERSIAN = [
    "وزیر امور خارجه روسیه روز گذشته در دیدار با همتای کره شمالی گفت که همکاری دو کشور در زمینه "
    "انرژی و حمل و نقل گسترش پیدا می‌کند و گام‌های تازه‌ای برای تجارت مرزی برداشته خواهد شد.",
    "به گزارش خبرگزاری‌ها، دو طرف همچنین درباره برگزاری نشست مشترک اقتصادی در پاییز امسال گفتگو "
    "کردند و قرار شد گروه‌های کارشناسی پیش‌نویس توافق‌نامه‌ها را آماده کنند.",
]


@pytest.mark.parametrize("lang", ["fa", "ar", ""])
def test_persian_page_is_persian_whatever_its_lang_attribute(lang: str) -> None:
    article = extract_article(page(PERSIAN, title="دیدار", lang=lang), "https://e.ir/a", HTML)
    assert article.language == "fa"


@pytest.mark.parametrize(
    ("text", "hint", "expected"),
    [
        (" ".join(PARAGRAPHS), "en", "ar"),  # template default lang="en" on an Arabic page
        (" ".join(PARAGRAPHS), None, "ar"),
        (" ".join(PERSIAN), "ar", "fa"),
        ("Moscow and Pyongyang discussed trade and energy on Tuesday.", "en", "en"),
        ("Moscow and Pyongyang discussed trade and energy on Tuesday.", "ar", None),
        ("Moscou et Pyongyang ont discuté du commerce.", None, None),
        ("کابل کې د سوداګرۍ په اړه خبرې وشوې", "ps", "ps"),
    ],
)
def test_detect_language(text: str, hint: str | None, expected: str | None) -> None:
    assert detect_language(text, hint) == expected


def _language_by_counting_every_letter(text: str, hint: str | None) -> str | None:
    """detect_language as first written: all letters counted, then the Arabic-script share."""
    letters = sum(c.isalpha() for c in text)
    script = "".join(re.findall("[\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff]+", text))
    arabic = sum(c.isalpha() for c in script)
    families = metadata._ARABIC_SCRIPT_LANGUAGES
    if not letters or arabic < 0.5 * letters:
        return hint if hint not in families else None
    if hint in families - {"ar", "fa", "ur"}:
        return hint
    if sum(map(script.count, "ٹڈڑںے")) > 0.005 * arabic:
        return "ur"
    if sum(map(script.count, "پچژگ")) > 0.005 * arabic:
        return "fa"
    return "ar"


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet="روسياكورچگٹے abcXYZ019٢ ،.\n\u064e_²", max_size=80),
    st.sampled_from([None, "ar", "fa", "ur", "ps", "en", "fr"]),
)
def test_detect_language_decides_as_counting_every_letter_does(text: str, hint: str | None) -> None:
    assert detect_language(text, hint) == _language_by_counting_every_letter(text, hint)


# ── canonical hint, headers, purity ────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('<link rel="canonical" href="/news/2024/slug">', "https://e.org/news/2024/slug"),
        ('<meta property="og:url" content="https://e.org/n/1">', "https://e.org/n/1"),
        (
            '<link rel="Canonical" href="https://e.org/c">'
            '<meta property="og:url" content="https://e.org/o">',
            "https://e.org/c",
        ),
        ("", None),
    ],
)
def test_canonical_hint_is_absolute(head: str, expected: str | None) -> None:
    article = extract_article(page(PARAGRAPHS, head=head), "https://e.org/x?utm_source=rss", HTML)
    assert article.canonical_hint == expected


def test_headers_are_case_insensitive_and_may_be_bytes() -> None:
    body = page(PARAGRAPHS)
    assert reason(body, {b"Content-Type": [b"application/pdf"]}) == "not_html"  # type: ignore[dict-item]
    assert extract_article(body, "https://e.org/a", {"CONTENT-TYPE": "text/html"}).text


def test_extraction_is_pure() -> None:
    body = page(PARAGRAPHS, head=PUBLISHED_META, title=HEADLINE)
    first = extract_article(body, "https://e.org/a", HTML, now=NOW)
    assert isinstance(first, Article)
    assert extract_article(body, "https://e.org/a", HTML, now=NOW) == first


# ── trafilatura's metadata step is not run (issue 8) ───────────────────────────────────────────


def test_extraction_runs_neither_htmldate_nor_the_author_search(monkeypatch) -> None:
    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("trafilatura's metadata step ran")

    monkeypatch.setattr(trafilatura.metadata, "find_date", never)
    monkeypatch.setattr(trafilatura.metadata, "extract_author", never)
    body = page(PARAGRAPHS, head=PUBLISHED_META, title=HEADLINE)
    article = extract_article(body, "https://e.org/a", HTML, now=NOW)
    assert article.published is not None and article.date_source == "page"


def site_name_pages() -> list[tuple[bytes, str, str]]:
    """(body, content type, url): the fixture templates, and the golden pages
    (tests/golden/, the real ones when ../shared/data is present)."""
    pages = []
    for article in site.load_seed_articles():
        for template in site.TEMPLATES:
            url = "http://127.0.0.1:8765" + site.quote_path(site.article_path(article, template, 7))
            rendered = site.render_article_page(article, template, url=url, page_id=7)
            pages.append((rendered.body, rendered.content_type, url))
    for case in golden.CASES:
        page = (REPO / case.expected["page"]).resolve()
        if page.exists() and "error" not in case.expected:
            headers = {k.lower(): v for k, v in case.headers().items()}
            content_type = headers.get("content-type", HTML["Content-Type"])
            pages.append((case.body(), content_type, case.expected["url"]))
    return pages


def test_site_name_is_the_one_trafilaturas_metadata_step_finds() -> None:
    """site_name() repeats trafilatura's site-name search without the rest of the step: it
    must stay equal to it (this fails first if a trafilatura release changes the search)."""
    for body, content_type, url in site_name_pages():
        tree = parse_html(decode_document(body, content_type).text)
        scope = article_scope(tree)
        expected = trafilatura.metadata.extract_metadata(scope, url).sitename
        assert site_name(scope, url) == expected, url


def own_text_by_xpath(tree: lxml.html.HtmlElement) -> tuple[dict[object, int], int]:
    """The definition _own_text() walks the tree for, as XPath: text outside links, scripts
    and styles; a text node's cell is its parent if that is a <td> (lxml's getparent() of a
    tail is the element before it), else the nearest <td> above."""
    not_own = "[not(ancestor::a or ancestor::script or ancestor::style)]"
    own: dict[object, int] = {}
    for text in tree.xpath("//td//text()" + not_own):
        parent = text.getparent()
        cell = parent if parent.tag == "td" else next(parent.iterancestors("td"), None)
        own[cell] = own.get(cell, 0) + len(text.strip())
    return own, sum(len(text.strip()) for text in tree.xpath("//body//text()" + not_own))


def test_own_text_per_cell_is_what_its_xpath_definition_says() -> None:
    tricky = (
        "<html><head><title>t</title></head><body>top <table><tr><td>a <a>link</a> tail"
        "<table><tr><td> inner <script>x()</script> after</td></tr></table> after table"
        "<!-- note --> after note</td><td>  </td><td><style>p{}</style></td></tr></table>"
        "<a>out</a> end</body></html>"
    )
    trees = [parse_html(tricky), lxml.html.document_fromstring(tricky)]  # comment dropped, kept
    # an empty text node (code, not the parser, makes one) still makes its cell a cell
    emptied = parse_html("<html><body><table><tr><td>A</td><td> </td></tr></table></body></html>")
    next(emptied.iter("td")).text = ""
    trees.append(emptied)
    for body, content_type, _url in site_name_pages():
        trees.append(parse_html(decode_document(body, content_type).text))
    with_cells = 0
    for tree in trees:
        own, on_page = _own_text(tree)
        expected_own, expected_on_page = own_text_by_xpath(tree)
        assert list(own.items()) == list(expected_own.items())  # same cells, same order
        assert on_page == expected_on_page
        with_cells += bool(own)
    assert with_cells >= 6  # the legacy template's pages and the tricky one have cells


def test_letters_are_counted_as_str_isalpha_counts_them() -> None:
    texts = [
        "روسيا وكوريا الشمالية ٢٠٢٤ 2024 ² ½ Ⅻ 一 _ snake_case — \u0670\u064b ّ \u200f!",
        "Kim Jong-un, 12 km², ¾ of it",
        "",
        "١٢٣",
        *(page[0].decode("utf-8", "replace") for page in site_name_pages()[:8]),
    ]
    for text in texts:
        assert _letters(_NOT_LETTER.sub("", text)) == sum(map(str.isalpha, text)), text[:40]


def test_outlet_names_are_searched_only_for_a_title_with_a_separator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The site-name search runs only when a title has a separator to strip at; when it does
    run and fails, the page is still a parse_error."""
    from monitor.extract import metadata

    calls: list[str] = []

    def failing_search(scope: object, url: str) -> str:
        calls.append(url)
        raise ExtractionError("parse_error", "trafilatura failed: boom")

    monkeypatch.setattr(metadata, "site_name", failing_search)
    body = " ".join(["روسيا وكوريا الشمالية توقعان اتفاقا جديدا للتعاون العسكري."] * 8)

    def page(title: str) -> bytes:
        return (
            f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            f"<p>{body}</p><p>{body}</p></article></body></html>"
        ).encode()

    plain = extract_article(page("اتفاق روسي كوري"), "http://127.0.0.1/a/1", HTML)
    assert plain.title == "اتفاق روسي كوري" and calls == []
    with pytest.raises(ExtractionError) as failed:
        extract_article(page("اتفاق روسي كوري | المدار"), "http://127.0.0.1/a/2", HTML)
    assert failed.value.reason == "parse_error" and calls == ["http://127.0.0.1/a/2"]


def test_clean_line_and_fold_are_their_regex_and_table_definitions() -> None:
    """page.clean_line splits with str.split() and page.fold replaces letter by letter: both
    must equal what they stand for (a \\s+ run collapsed, then stripped; a translate table)."""
    assert all(c.isspace() == bool(re.match(r"\s", c)) for c in map(chr, range(0x110000)))
    table = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})
    harakat = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
    lines = [
        "  a\u00a0\u2003b \u200f c\u2028d\x1c e\x85f  ",
        "\u3000x\u180ey\t\n\r\x0b\x0c z \u200b\u2066 ",
        "إلى أين؟ آلاف المُسْتَشْفَيَات ٱلعربيّة في كوريا الشمالية  Kim JONG",
        *(page[0].decode("utf-8", "replace") for page in site_name_pages()[:6]),
    ]
    bidi = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\u200b]")
    for line in lines:
        assert clean_line(line) == re.sub(r"\s+", " ", bidi.sub("", line)).strip()
        assert page_fold(line) == harakat.sub("", line).translate(table).lower()


def test_head_tags_answer_as_the_xpath_and_meta_walks_they_replace() -> None:
    """page.head_tags reads <meta>, <link> and <base> once a page; what metadata asks of it
    must equal the XPath queries and the walk over <meta> it replaced."""
    tricky = (
        '<html><head><BASE href=" /b/ "><base href="/c/">'
        '<meta http-equiv="Content-Language" content="ar-EG">'
        '<meta http-equiv="CONTENT-language" content="">'
        '<meta HTTP-EQUIV="content-Language">'
        '<meta property=" OG:Title " content="  عنوان  \u200f"><meta name="og:title" content=" ">'
        '<meta itemprop="og:url" name="x" content="/canon"><meta content="orphan">'
        '<link rel="Canonical alternate" href="one"><link rel="canonicalx" href="/no">'
        '<link rel="canonical"><link rel="CANONİCAL" href="/dotted">'
        "</head><body><link rel=canonical href=/two></body></html>"
    )
    trees = [parse_html(tricky)]
    for body, content_type, _url in site_name_pages():
        trees.append(parse_html(decode_document(body, content_type).text))
    for tree in trees:
        tags = head_tags(tree)
        equiv = tree.xpath(
            '//meta[translate(@http-equiv, "CONTENT-LANGUAGE", "content-language")'
            '="content-language"]/@content'
        )
        assert [
            c
            for e, c in tags.http_equiv
            if e.translate(metadata._CONTENT_LANGUAGE) == "content-language"
        ] == equiv
        canonical = tree.xpath(
            '//link[contains(concat(" ", translate(@rel, "CANONICAL", "canonical"), " "),'
            ' " canonical ")]/@href'
        )
        assert [
            h for r, h in tags.links if " canonical " in f" {r.translate(metadata._CANONICAL)} "
        ] == canonical
        assert tags.bases[:1] == tree.xpath("//base/@href")[:1]
        for names in (("og:title", "twitter:title"), ("og:url",), ("og:site_name", "x")):
            wanted = {n.lower() for n in names}
            walked = [
                clean_line(m.get("content") or "")
                for m in tree.iter("meta")
                if any(
                    a and a.strip().lower() in wanted
                    for a in (m.get("property"), m.get("name"), m.get("itemprop"))
                )
            ]
            assert meta(tree, *names) == [v for v in walked if v]
    assert (
        metadata.canonical_hint(trees[0], "http://127.0.0.1/a/") == "http://127.0.0.1/b/one"
    )  # against the first <base>
    assert metadata.language_hint(trees[0]) == "ar"
    # asked of a part of the page, both still read the whole document (as //base, //link did)
    body = trees[0].find("body")
    assert metadata.canonical_hint(body, "http://127.0.0.1/a/") == "http://127.0.0.1/b/one"
    assert metadata.language_hint(body) == "ar"
    # and an extracted page's tags are not kept once it is done
    from monitor.extract import page as page_module

    extract_article(site_name_pages()[0][0], "http://127.0.0.1/a/", HTML)
    assert page_module._LAST_HEAD == []


def test_trafilatura_runs_with_the_settings_it_builds_from_rasads_options(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """body.extractor_for(url) (built once, copied a page) holds what bare_extraction would
    build from TRAFILATURA_OPTIONS itself: a trafilatura release that changes that fails here."""
    import trafilatura.core
    from trafilatura.settings import Extractor

    from monitor.extract.body import TRAFILATURA_OPTIONS, extractor_for

    built: list[Extractor] = []

    class Recorded(Extractor):
        def __init__(self, **options: object) -> None:
            super().__init__(**options)  # type: ignore[arg-type]
            built.append(self)

    monkeypatch.setattr(trafilatura.core, "Extractor", Recorded)
    url = "http://127.0.0.1/news/7/روسيا"
    page = "<html><body><article><p>" + "كلمة " * 60 + "</p></article></body></html>"
    trafilatura.bare_extraction(page, url=url, **TRAFILATURA_OPTIONS)

    def settings(options: Extractor) -> dict[str, object]:
        return {name: getattr(options, name) for name in Extractor.__slots__}

    assert len(built) == 1 and settings(extractor_for(url)) == settings(built[0])


# The footer test as one regex alternation, as it was written before it became substring
# searches (monitor.extract.body._is_footer): the two must agree on every paragraph.
_FOOTER_AS_ONE_PATTERN = re.compile(
    r"الحقوق محفوظه|حقوق النشر|©|all rights reserved|ملفات تعريف الارتباط|الكوكيز|\bcookies?\b"
    r"|سياسه الخصوصيه|privacy policy"
)
_FOOTER_PIECES = [
    "الحقوق محفوظه", "حقوق النشر", "©", "all rights reserved", "ملفات تعريف الارتباط", "الكوكيز",
    "cookie", "cookies", "cookiesx", "xcookie", "_cookie", "سياسه الخصوصيه", "privacy policy",
    "privacy", "حقوق", " ", "-", "روسيا", "a", "1",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_FOOTER_PIECES), max_size=8).map("".join))
def test_footer_phrases_are_found_where_the_one_pattern_finds_them(paragraph: str) -> None:
    assert _is_footer(paragraph) == (_FOOTER_AS_ONE_PATTERN.search(paragraph) is not None)


def test_footer_phrases_on_the_fixture_sites_furniture() -> None:
    for line in (site.COOKIE_TEXT, site.copyright_line("موقع"), "نص الخبر عن روسيا وكوريا"):
        folded = page_fold(clean_line(line))
        assert _is_footer(folded) == (_FOOTER_AS_ONE_PATTERN.search(folded) is not None)
    assert _is_footer(page_fold(site.COOKIE_TEXT))


def test_a_read_also_run_into_a_paragraph_is_cut_off() -> None:
    from monitor.extract.body import clean_body

    story = "بحث الرئيسان التعاون العسكري بين البلدين في موسكو يوم الثلاثاء الماضي"
    raw = f"{story}. اقرأ أيضا: قمة أخرى في بكين\n{story} مرة أخرى. إقرأ كذلك عنوان آخر"
    assert clean_body(raw) == f"{story}.\n\n{story} مرة أخرى."
    assert clean_body(f"{story} وقرأ البيان") == f"{story} وقرأ البيان"  # not the label


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet="روسيا كوريا،.:_-\u00a0\u2003\n\t1٢x")))
def test_alnum_key_keeps_exactly_the_alphanumeric_characters(text: str) -> None:
    assert alnum_key(text) == "".join(c for c in text if c.isalnum())

"""monitor.extract.article: golden files from real Arabic news pages, then one test per behaviour.

Real pages live in ../shared/data/pages (see its README); those tests skip when it is absent.
Measured with the options in monitor.extract.article.TRAFILATURA_OPTIONS:

    paragraph retention   cnn 1.00 · lbc 1.00 · jawharafm 9 pages 1.00 each · assabah 3/3 kept,
                          3/3 dropped · fixture site: 5 seed + 12 ANT stories x 4 templates,
                          1.00 each (offline, 400 ANT stories x 4: 1.00 on 1,588 renders,
                          12 caption-length stories rejected as no_text)
    output precision      cnn 1.00 · lbc 1.00 · jawharafm 1.00 (share of output paragraphs in gold)
    dates, htmldate-2020  Arabic 7/8 right, 1 none, 0 wrong · Persian 2/3 right, 1 none
"""

from __future__ import annotations

import bz2
import gzip
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import fixture_site as site
import lxml.html
import pytest
import trafilatura.metadata

from monitor.errors import ExtractionError
from monitor.extract.article import (
    MIN_WORDS,
    _article_scope,
    _parse_html,
    _site_name,
    clean_title,
    detect_language,
    extract_article,
)
from monitor.models import Article, FeedEntry
from monitor.text.encoding import decode_document

REPO = Path(__file__).resolve().parents[1]
PAGES = REPO.parent / "shared" / "data" / "pages"
needs_pages = pytest.mark.skipif(
    not PAGES.is_dir(), reason=f"real-world pages not found at {PAGES} (see the data README)"
)
NOW = datetime(2026, 6, 1, tzinfo=UTC)
HTML = {"Content-Type": "text/html; charset=utf-8"}


def norm(text: str) -> str:
    """Whitespace runs to one space; zero-width and bidi marks (invisible) dropped."""
    return re.sub(
        r"\s+", " ", re.sub("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]", "", text)
    ).strip()


def visible_text(body: bytes) -> str:
    """Everything a reader sees on the page, scripts and styles left out."""
    tree = lxml.html.document_fromstring(body)
    for element in tree.xpath("//script | //style"):
        element.drop_tree()
    return norm(tree.text_content())


def retention(gold: list[str], text: str) -> float:
    """Share of gold paragraphs found (whitespace-normalised) in the extracted text."""
    flat = norm(text)
    return sum(norm(p) in flat for p in gold) / len(gold)


def precision(gold: list[str], text: str) -> float:
    """Share of extracted paragraphs that belong to the gold body."""
    flat = norm(" ".join(gold))
    paragraphs = text.split("\n\n")
    return sum(norm(p) in flat for p in paragraphs) / len(paragraphs)


# ── golden pages with a gold body ──────────────────────────────────────────────────────────────


@dataclass
class Gold:
    body: bytes
    url: str
    paragraphs: list[str]
    title: str
    boilerplate: tuple[str, ...]  # on the page, never in the text
    entry: FeedEntry | None = None


def ant_fields(path: Path) -> dict[str, str]:
    """The fields of one ANT-format document (<URL>, <TITLE>, <TIME>, <TEXT>, ...)."""
    raw = path.read_text(encoding="utf-8")
    fields = r"<(URL|TITLE|TIME|TEXT)>(.*?)</\1>"
    return {m[1]: m[2].strip() for m in re.finditer(fields, raw, re.S)}


def gold_cnn() -> Gold:
    folder = PAGES / "newspaper4k-cnn-arabic"
    meta = json.loads((folder / "arabic_article.json").read_text(encoding="utf-8"))
    text = (folder / "arabic_article.txt").read_text(encoding="utf-8")
    return Gold(
        (folder / "arabic_article.html").read_bytes(),
        meta["url"],
        [p for p in text.split("\n\n") if p.strip()],
        meta["title"],
        (
            "الآراء الواردة أدناه",
            "ترحب شبكة CNN بالنقاش",
            "Cable News Network",
            "القبض على شاب تحرش بطفلة",
            "الصفحة الرئيسية",
        ),
    )


def gold_lbc() -> Gold:
    folder = PAGES / "fundus-lbc"
    gold = json.loads((folder / "LBCGroup.json").read_text(encoding="utf-8"))["V1"]
    url = json.loads((folder / "meta.info").read_text())["LBCGroup_2026_01_08.html.gz"]["url"]
    paragraphs = [p for s in gold["body"]["sections"] for p in s["paragraphs"]]
    body = gzip.decompress((folder / "LBCGroup_2026_01_08.html.gz").read_bytes())
    return Gold(
        body,
        url,
        paragraphs,
        gold["title"],
        ("الأكثر قراءة", "We use cookies", "طلب استشارات قانونية"),
    )


JAWHARA = ("culture", "diverse", "economy", "internationalNews", "localNews", "politic",
           "society", "sport", "technology")  # fmt: skip


def gold_jawhara(category: str) -> Gold:
    html = next((PAGES / "jawharafm-pairs" / category).glob("*.html"))
    ant = ant_fields(html.with_suffix(".txt"))
    paragraphs = [p for p in ant["TEXT"].splitlines() if p.strip()]
    # the page was found through the site's RSS feed: TITLE/URL are what the feed carried
    entry = FeedEntry(url=ant["URL"], title=ant["TITLE"])
    return Gold(
        html.read_bytes(),
        ant["URL"],
        paragraphs,
        ant["TITLE"],
        ("جميع الحقوق المحفوظة", "إبعث برسالتك", "تسجيل في النشرة الإخبارية"),
        entry,
    )


GOLD: dict[str, Callable[[], Gold]] = {
    "cnn": gold_cnn,
    "lbc": gold_lbc,
    **{f"jawharafm-{c}": partial(gold_jawhara, c) for c in JAWHARA},
}


@needs_pages
@pytest.mark.parametrize("name", sorted(GOLD))
def test_gold_body_is_kept_and_boilerplate_dropped(name: str) -> None:
    gold = GOLD[name]()
    article = extract_article(gold.body, gold.url, HTML, gold.entry, now=NOW)
    assert retention(gold.paragraphs, article.text) >= 0.97
    assert precision(gold.paragraphs, article.text) >= 0.97
    for snippet in gold.boilerplate:
        assert snippet in visible_text(gold.body), "the page really shows it"
        assert snippet not in article.text
    assert article.language == "ar"
    assert norm(article.title) == norm(gold.title)


@needs_pages
def test_lbc_page_title_date_and_canonical_without_feed_entry() -> None:
    gold = gold_lbc()
    article = extract_article(gold.body, gold.url, HTML, now=NOW)
    assert article.title == gold.title  # og:title; <title> carries " - Lebanon News"
    assert article.published == datetime(2026, 1, 8, 11, 42, 50, tzinfo=UTC)
    assert article.date_source == "page"
    assert article.canonical_hint is not None
    assert article.canonical_hint.startswith("https://www.lbcgroup.tv/news/lifestyle/898682/")


@needs_pages
def test_cnn_title_without_site_suffix_and_no_copyright_date() -> None:
    gold = gold_cnn()
    article = extract_article(gold.body, gold.url, HTML, now=NOW)
    assert article.title == gold.title  # <title> ends in " - CNNArabic.com"
    assert article.canonical_hint == gold.url
    # the page's only year is the footer's "© 2013 Cable News Network": no date is better
    assert article.published is None and article.date_source is None


@needs_pages
def test_assabah_keeps_interview_and_drops_weather_and_comment_form() -> None:
    url, gold = next(
        iter(
            json.loads(
                (PAGES / "trafilatura-assabah" / "gold.json").read_text(encoding="utf-8")
            ).items()
        )
    )
    body = (PAGES / "trafilatura-assabah" / gold["file"]).read_bytes()
    article = extract_article(body, url, HTML, now=NOW)
    for snippet in gold["with"]:
        assert snippet in article.text
    for snippet in gold["without"]:
        assert snippet not in article.text
    assert norm(article.title) == norm(gold["title"])


@needs_pages
@pytest.mark.parametrize("category", JAWHARA)
def test_jawharafm_sidebar_headline_never_reaches_relevance(category: str) -> None:
    """North Korea is on every page (a sidebar headline) but in none of the articles."""
    gold = gold_jawhara(category)
    article = extract_article(gold.body, gold.url, HTML, now=NOW)  # no feed entry this time
    if category != "culture":  # the one page whose sidebar had moved on
        assert "كوريا الشمالية يهدد ميسي" in visible_text(gold.body)
    assert "كوريا" not in article.text
    assert "كوريا" not in article.title
    assert norm(gold.title).replace('"', "") == norm(article.title).replace('"', "")


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


# ── htmldate-2020: dates and the Arabic/Persian split ──────────────────────────────────────────


def htmldate_pages() -> list[tuple[str, bytes, str]]:
    folder = PAGES / "htmldate-2020"
    gold = json.loads((folder / "gold_dates.json").read_text(encoding="utf-8"))
    return [(url, (folder / g["file"]).read_bytes(), g["date"]) for url, g in gold.items()]


def on_gold_day(published: datetime, day: str) -> bool:
    """Whether an instant falls on the gold calendar day in some time zone (UTC-12..UTC+14):
    gold dates are the publisher's local day, extracted times are UTC."""
    start = datetime.fromisoformat(day).replace(tzinfo=UTC)
    return start - timedelta(hours=14) <= published < start + timedelta(hours=36)


@needs_pages
def test_htmldate_pages_dates_are_right_or_absent_never_wrong() -> None:
    right = {"ar": 0, "fa": 0}
    for url, body, day in htmldate_pages():
        article = extract_article(body, url, {}, now=NOW)
        persian = ".ir/" in url or "aryanews" in url
        assert article.language == ("fa" if persian else "ar"), url
        if article.published is not None:
            assert on_gold_day(article.published, day), (url, article.published, day)
            assert article.date_source == "page"
            right["fa" if persian else "ar"] += 1
    # measured: 7 of 8 Arabic pages (almadenah states its date only in running text),
    # 2 of 3 Persian pages (aryanews gives only a Jalali date in text)
    assert right == {"ar": 7, "fa": 2}


# ── guessenc: real bytes with real headers ─────────────────────────────────────────────────────

GUESSENC = {
    "alfajertv": ("httpalfajertvcomnews4037470html", "utf-8"),
    "aljazeera": (
        "httpswwwaljazeeranetnewspolitics2019923d987d8acd988d985-d8a3d8b1d8a7d985"
        "d983d988-d8a5d98ad8b1d8a7d986-d8a8d98ad8a7d986-d8abd984d8a7d8abd98a",
        "utf-8",
    ),
    "fatehwatan": ("httpwwwfatehwatanpspage-183525html", "cp1256"),
    "sanaanews": ("httpwwwsanaanewsnetnews-66176htm", "cp1256"),
}


@needs_pages
@pytest.mark.parametrize("name", sorted(GUESSENC))
def test_guessenc_pages_decode_to_clean_arabic(name: str) -> None:
    stem, encoding = GUESSENC[name]
    folder = PAGES / "guessenc-encodings"
    body = bz2.decompress((folder / "html" / f"{stem}.bz2").read_bytes())
    headers = json.loads((folder / "headers" / stem).read_text())
    article = extract_article(body, f"http://{name}.example/", headers, now=NOW)
    assert article.encoding == encoding
    assert article.language == "ar"
    assert "\ufffd" not in article.text
    assert not re.search("[ÃØÙÚÛ]", article.text + article.title), "mojibake"
    letters = [ch for ch in article.text if ch.isalpha()]
    assert sum("\u0600" <= ch <= "\u06ff" for ch in letters) > 0.9 * len(letters)
    assert "الصفحة الرئيسية" not in article.text  # sanaanews' table-layout menu


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
    """(body, content type, url): the fixture templates, and the real pages when present."""
    pages = []
    for article in site.load_seed_articles():
        for template in site.TEMPLATES:
            url = "http://127.0.0.1:8765" + site.quote_path(site.article_path(article, template, 7))
            rendered = site.render_article_page(article, template, url=url, page_id=7)
            pages.append((rendered.body, rendered.content_type, url))
    if PAGES.is_dir():
        golds = [g() for g in GOLD.values()]
        pages += [(g.body, HTML["Content-Type"], g.url) for g in golds]
        pages += [(body, HTML["Content-Type"], url) for url, body, _ in htmldate_pages()]
    return pages


def test_site_name_is_the_one_trafilaturas_metadata_step_finds() -> None:
    """_site_name() repeats trafilatura's site-name search without the rest of the step: it
    must stay equal to it (this fails first if a trafilatura release changes the search)."""
    for body, content_type, url in site_name_pages():
        tree = _parse_html(decode_document(body, content_type).text)
        scope = _article_scope(tree)
        expected = trafilatura.metadata.extract_metadata(scope, url).sitename
        assert _site_name(scope, url) == expected, url

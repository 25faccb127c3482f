"""What an article page says about itself: title, publication date, language, canonical URL.

    tree ─> site name (trafilatura's search) and outlet names ─> title (feed vs page)
         ─> date (feed, else page metadata, else the URL) ─> language (script-checked)
         ─> canonical hint

The feed entry's title and date are the publisher's own and win when usable; the page fills
in what the feed lacks or cut short. Only structured metadata is read, never free text.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, tzinfo
from urllib.parse import urljoin, urlsplit

import lxml.html
import trafilatura.metadata as tm
from trafilatura.settings import Document

from monitor.errors import ExtractionError
from monitor.extract.page import clean_line, fold, head_tags, json_ld, match_key, meta
from monitor.models import FeedEntry
from monitor.text.dates import parse_date, plausible_published

_ARABIC_LETTER = re.compile("[\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff]")
_ARABIC_RUNS = re.compile("[\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff]+")


# ── site name ──────────────────────────────────────────────────────────────────────────────────


def site_name(source: lxml.html.HtmlElement, url: str) -> str | None:
    """The site name trafilatura's metadata step finds, without the rest of that step.

    The same sequence as trafilatura.metadata.extract_metadata: <meta> tags, then JSON-LD, then
    a domain-like part of <title>, else the page's host name; "@" dropped, lower-case names
    title-cased, entities and spacing cleaned. A trafilatura failure is ExtractionError
    ("parse_error"), as for its body extraction.
    """
    try:
        metadata = tm.examine_meta(source)
        # as in trafilatura: a bug in its JSON-LD reader costs only the JSON-LD
        with contextlib.suppress(Exception):
            metadata = tm.extract_meta_json(source, metadata)
        sitename = metadata.sitename or tm.extract_sitename(source)
        if sitename:
            sitename = sitename.lstrip("@")
            if sitename and "." not in sitename and not sitename[0].isupper():
                sitename = sitename.title()
        elif match := tm.META_URL.match(metadata.url or tm.extract_url(source, url) or ""):
            sitename = match[1]
        trimmed = Document()
        trimmed.sitename = sitename
        trimmed.clean_and_trim()
    # a library bug on one odd page must become a recorded failure, not a crashed pipeline
    except Exception as exc:
        raise ExtractionError("parse_error", f"trafilatura failed: {exc!r}") from exc
    name: str | None = trimmed.sitename
    return name


def outlet_names(tree: lxml.html.HtmlElement, sitename: str | None) -> list[str]:
    """Every name the page gives its outlet: og:site_name and the like, then `sitename`."""
    names = meta(tree, "og:site_name", "application-name", "twitter:site")
    names = [n.lstrip("@") for n in names if not n.startswith("http")]
    if sitename:
        names.append(sitename)
    return names


class OutletNames:
    """`outlet_names(tree, site_name(scope, url))`, found when first read.

    Only a title with a separator ("headline | outlet") needs the outlet's names, and most
    feed and og: titles have none; the site-name search (trafilatura's meta tag and JSON-LD
    readers) cost 0.35 ms a page, a tenth of trafilatura's own extraction. A failure of that
    search is still ExtractionError("parse_error"), raised where the names are read."""

    def __init__(self, tree: lxml.html.HtmlElement, scope: lxml.html.HtmlElement, url: str):
        self._tree, self._scope, self._url = tree, scope, url
        self._names: list[str] | None = None

    def __iter__(self) -> Iterator[str]:
        if self._names is None:
            self._names = outlet_names(self._tree, site_name(self._scope, self._url))
        return iter(self._names)


# ── title ──────────────────────────────────────────────────────────────────────────────────────

# Separators between a headline and the outlet's name: "X | سكاي نيوز عربية", "BBC News عربي - X".
_TITLE_SEPARATOR = re.compile(r"(\s+(?:[|｜–—•·~]|-{1,2}|::)\s+)")
# Words that make a short title segment an outlet name rather than part of the headline.
_OUTLET_WORDS = re.compile(
    r"(?:^|\s)(?:نيوز|نت|قناه|تلفزيون|جريده|صحيفه|بوابه|موقع|وكاله|شبكه|الالكترونيه|اونلاين"
    r"|news|tv|online|arabic|network|agency)(?:\s|$)|\.(?:com|net|org|tv|ae|sa|eg|ps|ir)\b"
)
# A "site name" longer than this is a headline that a page put in og:site_name (it happens).
_MAX_SITE_NAME_WORDS = 6


def _is_outlet_name(segment: str, names: Iterable[str], *, last: bool) -> bool:
    key = match_key(segment)
    if not key:
        return True
    for name in names:
        name_key = match_key(name)
        if len(name_key) >= 3 and (
            key == name_key
            or key in name_key
            or (name_key in key and len(key) <= len(name_key) + 12)
        ):
            return True
    short = len(segment.split()) <= 5
    if short and _OUTLET_WORDS.search(fold(segment)):
        return True
    # a short Latin-script tail after an Arabic headline: "… – Beirut Observer"
    return last and short and not _ARABIC_LETTER.search(segment)


def clean_title(title: str, site_names: Iterable[str] = ()) -> str:
    """`title` without the outlet's name before or after it (`site_names` is read only when
    the title has a separator: see `OutletNames`)."""
    parts = _TITLE_SEPARATOR.split(clean_line(title))  # [text, separator, text, ...]
    if len(parts) == 1:
        return parts[0].strip()
    names = [n for n in site_names if n and len(n.split()) <= _MAX_SITE_NAME_WORDS]
    while len(parts) > 1 and _is_outlet_name(parts[-1], names, last=True):
        del parts[-2:]
    while len(parts) > 1 and _is_outlet_name(parts[0], names, last=False):
        del parts[:2]
    return "".join(parts).strip()


def page_title(tree: lxml.html.HtmlElement, site_names: Iterable[str]) -> str:
    """The page's own headline: og:title, else twitter:title, <title> or <h1>, outlet name removed.

    When the title holds several segments and a run of them is the page's <h1>, that run is the
    headline ("المدينة نيوز - أميركا :50 ..." with <h1>أميركا :50 ...</h1>).
    """
    headings: list[str] = []
    titles: list[str] = []
    for element in tree.iter("h1", "title"):  # one walk of the page for both
        (titles if element.tag == "title" else headings).append(clean_line(element.text_content()))
    candidates = [*meta(tree, "og:title", "twitter:title"), *titles, *headings]
    raw = next((c for c in candidates if c), "")
    heading_keys = {match_key(h) for h in headings} - {""}
    parts = _TITLE_SEPARATOR.split(raw)  # [text, separator, text, ...]
    for start in range(0, len(parts), 2):  # longest run of segments first
        for end in range(len(parts), start, -2):
            run = "".join(parts[start:end])
            if (start, end) != (0, len(parts)) and match_key(run) in heading_keys:
                return run.strip()
    return clean_title(raw, site_names)


#: Longest headline kept, in characters: far above any real headline, so only a feed or page
#: that puts a whole article (or a megabyte of junk) in its title is cut.
MAX_TITLE_CHARS = 500


def cap_title(title: str, limit: int = MAX_TITLE_CHARS) -> str:
    """`title` cut to at most `limit` characters, at a word boundary, marked with "…"."""
    if len(title) <= limit:
        return title
    cut = title[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ،,.:;-–—") + "…"


def reconcile_title(feed_title: str, page: str, site_names: Iterable[str] = ()) -> str:
    """The publisher's feed headline, unless empty or cut short ("…", "..."): then the page's.

    A feed title that is the page's headline plus decoration ("… - صور & فيديو") gives way
    to the headline itself.
    """
    page_key, feed_key = match_key(page), match_key(feed_title)
    if page_key and page_key != feed_key and page_key in feed_key:
        return page
    feed_title = clean_title(feed_title, site_names)
    truncated = feed_title.endswith(("…", "..."))
    if feed_title and not (truncated and page):
        return feed_title
    return page


# ── publication date ───────────────────────────────────────────────────────────────────────────

# <meta> names that carry the first publication time (never "modified"/"updated" ones); the
# generic ones are read after JSON-LD, since some CMSs fill them with the page's build date.
_PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "article:published",
    "og:published_time", "datepublished", "publishdate", "publish-date", "publish_date",
    "publication_date", "dc.date.issued", "dcterms.issued", "sailthru.date", "parsely-pub-date",
    "article.published", "originalpublicationdate",
)  # fmt: skip
_GENERIC_DATE_META = ("pubdate", "date", "dc.date", "dcterms.date", "dcterms.created")
_ARTICLE_TYPES = re.compile(r"article|posting|report|news", re.IGNORECASE)


def _published_candidates(tree: lxml.html.HtmlElement) -> Iterator[str | None]:
    """Publication timestamps from structured metadata, most trustworthy first."""
    yield from meta(tree, *_PUBLISHED_META)
    objects = list(json_ld(tree))
    articles = [o for o in objects if _ARTICLE_TYPES.search(str(o.get("@type", "")))]
    for obj in articles or objects:
        value = obj.get("datePublished") or obj.get("dateCreated")
        if isinstance(value, str):
            yield value
    for element in tree.xpath('//*[@itemprop="datePublished"]'):
        yield element.get("content") or element.get("datetime") or element.text_content()
    yield from meta(tree, *_GENERIC_DATE_META)
    # <time datetime>: marked as the publication time, else inside the article, else the only one
    marked = tree.xpath('//time[@datetime][@pubdate or contains(@class, "publish")]')
    in_article = tree.xpath("//article//time[@datetime] | //main//time[@datetime]")
    every = tree.xpath("//time[@datetime]")
    for element in marked or in_article[:1] or (every if len(every) == 1 else []):
        yield element.get("datetime")


# A date in the article's URL path: /2020/8/24/ (youm7, aljazeera) or 2020-06-03 (albayan).
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](\d{1,2})[/-](\d{1,2})(?:[/-]|$)")
_HAS_OFFSET = re.compile(r"(?:Z|GMT|UTC|[+-]\d{2}:?\d{2})\s*$", re.IGNORECASE)


def _url_date(url: str) -> str | None:
    match = _URL_DATE.search(urlsplit(url).path)
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    return f"{year:04d}-{month:02d}-{day:02d}" if 1 <= month <= 12 and 1 <= day <= 31 else None


def page_date(
    tree: lxml.html.HtmlElement, urls: Iterable[str], now: datetime, default_tz: tzinfo = UTC
) -> datetime | None:
    """The page's publication time from structured metadata, else from its URL.

    A value with a UTC offset beats a bare local time of the same page (alyaum gives both), so
    the first plausible value is kept only until one with an offset turns up. No free-text
    search: footers ("© 2024"), "today's date" widgets and sidebar lists are never read.
    """
    fallback: datetime | None = None
    for candidate in _published_candidates(tree):
        value = clean_line(candidate or "")
        parsed = parse_date(value, default_tz=default_tz) if value else None
        if parsed is None or not plausible_published(parsed, now):
            continue
        if _HAS_OFFSET.search(value):
            return parsed
        fallback = fallback or parsed
    if fallback is not None:
        return fallback
    for url in urls:
        url_date = _url_date(url)
        parsed = parse_date(url_date, default_tz=default_tz) if url_date else None
        if parsed is not None and plausible_published(parsed, now):
            return parsed
    return None


def choose_date(
    entry: FeedEntry | None,
    tree: lxml.html.HtmlElement,
    urls: Iterable[str],
    now: datetime,
    default_tz: tzinfo = UTC,
) -> tuple[datetime | None, str | None]:
    """(published, "feed" | "page" | None): the feed's date when plausible, else the page's."""
    if entry is not None and entry.published is not None:
        published = entry.published
        if published.tzinfo is None:
            published = published.replace(tzinfo=UTC)
        if plausible_published(published, now):
            return published, "feed"
    from_page = page_date(tree, urls, now, default_tz)
    return from_page, "page" if from_page else None


# ── language ───────────────────────────────────────────────────────────────────────────────────

# Sounds Arabic lacks (p, ch, zh, g), so Arabic copy writes them only in the odd foreign name.
# ی and ک are not counted: Arabic typed on a Persian keyboard (Iranian outlets' Arabic services)
# is full of them.
_PERSIAN_LETTERS = frozenset("پچژگ")
_URDU_LETTERS = frozenset("ٹڈڑںے")
_ARABIC_SCRIPT_LANGUAGES = frozenset({"ar", "fa", "ur", "ps", "ku", "ckb", "sd", "ug", "ks", "prs"})


_CONTENT_LANGUAGE = str.maketrans("CONTENT-LANGUAGE", "content-language")  # as XPath's translate


def language_hint(tree: lxml.html.HtmlElement) -> str | None:
    """The primary subtag of <html lang>, Content-Language or og:locale ("ar_AR" -> "ar")."""
    root = tree.getroottree().getroot()
    hints = [
        root.get("lang"),
        root.get("{http://www.w3.org/XML/1998/namespace}lang"),
        *(
            content
            for equiv, content in head_tags(root).http_equiv
            if equiv.translate(_CONTENT_LANGUAGE) == "content-language"
        ),
        *meta(tree, "og:locale", "language", "dc.language"),
    ]
    for hint in hints:
        match = re.match(r"\s*([a-zA-Z]{2,3})(?:[-_]|\s*$)", hint or "")
        if match:
            return match.group(1).lower()
    return None


# Characters str.isalpha() is False for (all but a few \w ones that are neither letters nor
# decimal digits: ², ½, Roman numerals), removed in C; what remains is nearly always letters.
_NOT_LETTER = re.compile(r"[\W\d_]+")


def _letters(text: str) -> int:
    """How many characters of `text` are letters (str.isalpha), in C when all of them are."""
    return len(text) if text.isalpha() else sum(map(str.isalpha, text))


def detect_language(text: str, hint: str | None) -> str | None:
    """The text's language: its script decides Arabic vs Persian vs Urdu, the page hint the rest.

    Measured: پ چ ژ گ make 1.6-3.1% of the Arabic-script letters of the three Persian gold pages,
    and 0% of 5,000 ANT Arabic articles (4 of all 31,525 contain one at all), hence 0.5%.
    A hint that contradicts the script (lang="en" on an Arabic page, a common template default)
    loses; for text in another script the hint is all there is.
    """
    # counted in C (sub, isalpha, findall, count) rather than per character in Python: this ran
    # on every page and cost as much as all of relevance (0.9 ms of a 6 ms page)
    script = "".join(_ARABIC_RUNS.findall(text))
    arabic = _letters(script)  # the ranges hold a few marks that are not letters
    # Arabic-script letters are letters of the text, so when they are half of all its
    # characters they are half of its letters: the count of all letters (0.05 ms an article)
    # is needed only for text that is not mostly Arabic script
    if not arabic or arabic < 0.5 * len(text):
        letters = _letters(_NOT_LETTER.sub("", text))
        if not letters or arabic < 0.5 * letters:
            return hint if hint not in _ARABIC_SCRIPT_LANGUAGES else None
    if hint in _ARABIC_SCRIPT_LANGUAGES - {"ar", "fa", "ur"}:
        return hint
    if sum(map(script.count, _URDU_LETTERS)) > 0.005 * arabic:
        return "ur"
    if sum(map(script.count, _PERSIAN_LETTERS)) > 0.005 * arabic:
        return "fa"
    return "ar"


# ── canonical URL hint ─────────────────────────────────────────────────────────────────────────


# What XPath's translate(@x, "CANONICAL", "canonical") lower-cases: these letters only.
_CANONICAL = str.maketrans("CANONICAL", "canonical")


def canonical_hint(tree: lxml.html.HtmlElement, url: str) -> str | None:
    """<link rel=canonical>, else og:url, made absolute against <base href> or the page URL."""
    tags = head_tags(tree.getroottree().getroot())  # the whole document, as //base and //link
    base = urljoin(url, (tags.bases or [""])[0].strip())
    links = [href for rel, href in tags.links if " canonical " in f" {rel.translate(_CANONICAL)} "]
    for candidate in [*links, *meta(tree, "og:url")]:
        absolute: str = urljoin(base, candidate.strip())
        if candidate.strip() and urlsplit(absolute).scheme in ("http", "https"):
            return absolute
    return None

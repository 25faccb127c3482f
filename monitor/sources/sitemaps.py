"""Sitemaps as a second kind of source, for outlets without a usable feed.

A pure function of (body, url, headers) like `monitor.sources.feeds.parse_feed`, and it yields the
same `FeedEntry` values, so everything after the fetch treats a news sitemap like a feed.

* Google News sitemaps (``<news:news>``) give each URL its title and publication date;
  those dates go through `monitor.text.dates.parse_date`, since Arabic outlets often omit the
  offset (``default_tz`` is the outlet's local time, as for feeds).
* Plain sitemaps give only ``<lastmod>``, which stands in for the publication date when
  nothing better is there (a modification date: good enough to skip old URLs).
* Sitemap index files give `children` (with their `<lastmod>`, see `recent_children`).
* A gzipped body (``.xml.gz``, served as application/gzip, which Scrapy leaves compressed)
  is decompressed up to `MAX_SITEMAP_BYTES` (the protocol's 50 MB limit); a bigger or
  corrupt one is refused rather than read in part, so a gzip bomb costs nothing.
* Plain-text sitemaps (one URL a line) are accepted, as the protocol allows.
* `select_entries` decides which of a sitemap's URLs are articles to fetch now: those
  changed within a window, newest first, at most a cap per poll. A sitemap lists an
  outlet's whole archive; without it a first poll would crawl all of it.
* The Google News sitemaps a robots.txt announces are found by
  `monitor.sources.robots.news_sitemaps_from_robots`.

Anything else (an HTML page, an RSS feed, other XML, binary) raises `FeedError` saying what
came back, and the source fails like a broken feed.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from lxml import etree

from monitor.errors import FeedError
from monitor.models import FeedEntry
from monitor.text.dates import parse_date, plausible_published
from monitor.text.encoding import decode_document
from monitor.text.urls import absolute_http_url

__all__ = [
    "ADMITTED",
    "MAX_SITEMAP_BYTES",
    "SKIPPED",
    "EntrySelection",
    "Sitemap",
    "parse_sitemap",
    "recent_children",
    "select_entries",
]

MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # sitemaps.org: at most 50 MB uncompressed

_GZIP_MAGIC = b"\x1f\x8b"
_XML_DECL = re.compile(r"^\s*<\?xml\b[^>]*\?>")
_PROLOGUE = re.compile(
    r"^(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^[>]*(?:\[.*?\])?\s*>)*", re.S | re.I
)
_ROOT = re.compile(r"<([\w:.-]+)")
_FEED_ROOTS = {"rss", "feed", "rdf:rdf", "rdf"}
_HTML_ROOTS = {"html", "head", "body", "!doctype"}
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Sitemap:
    """A sitemap reduced to what rasad needs: article URLs, or more sitemaps to read."""

    entries: tuple[FeedEntry, ...] = ()
    children: tuple[str, ...] = ()  # the sitemaps an index file lists, in its order
    children_lastmod: tuple[datetime | None, ...] = ()  # aligned with `children`
    news: bool = False  # at least one <news:news> block: a Google News sitemap
    warnings: tuple[str, ...] = ()


def parse_sitemap(
    body: bytes,
    url: str,
    headers: Mapping[str, str] | None = None,
    *,
    default_tz: tzinfo = UTC,
    now: datetime | None = None,
    max_bytes: int = MAX_SITEMAP_BYTES,
) -> Sitemap:
    """Parse a sitemap, sitemap index or Google News sitemap; FeedError if it is none.

    `now` bounds plausible dates (a date over a day ahead is dropped, as for feeds);
    `max_bytes` bounds what a gzipped body may unpack to.
    """
    content_type = _header(headers, "content-type")
    if body.startswith(_GZIP_MAGIC):
        body = _gunzip(body, max_bytes)
        content_type = None  # it described the gzip file, not the XML inside
    if not body.strip():
        raise FeedError("empty response body, not a sitemap")
    decoded = decode_document(body, content_type)
    text = decoded.text
    if "\x00" in text[:2048]:
        raise FeedError("got binary data, not a sitemap")
    warnings = [f"encoding: {decoded.note}"] if decoded.note else []
    root_name = _root_element(text)
    if not root_name:
        return _text_sitemap(text, url)
    if root_name in _HTML_ROOTS:
        raise FeedError("got an HTML page, not a sitemap — is the sitemap URL right?")
    if root_name in _FEED_ROOTS:
        raise FeedError("got an RSS/Atom feed, not a sitemap: list it under `feeds` instead")
    root = _parse_xml(text, warnings)
    kind = etree.QName(root).localname
    now = now or datetime.now(UTC)
    if kind == "sitemapindex":
        return _index(root, url, now, warnings)
    if kind == "urlset":
        return _urlset(root, url, default_tz, now, warnings)
    raise FeedError(f"no sitemap structure found (document root: <{root.tag}>)")


def recent_children(sitemap: Sitemap, since: datetime) -> list[str]:
    """The child sitemaps modified at or after `since`, plus those that give no date.

    News outlets keep an index of one sitemap per day or month; only the recent ones
    can hold new stories, so the rest need not be fetched on every poll.
    """
    return [
        child
        for child, modified in zip(sitemap.children, sitemap.children_lastmod, strict=True)
        if modified is None or modified >= since
    ]


# -- which entries to fetch now ----------------------------------------------------------------

SKIPPED = "skipped"  # the frontier state of a listed URL not fetched: too old when listed
ADMITTED = frozenset({"pending", "failed", "done"})  # frontier states of URLs admitted before


@dataclass(frozen=True)
class EntrySelection:
    """What one poll of a sitemap does with the URLs it lists (see `select_entries`).

    Every entry is in exactly one of the four groups.
    """

    fetch: tuple[FeedEntry, ...] = ()  # admitted now: in the window, newest first, <= cap
    known: tuple[FeedEntry, ...] = ()  # admitted by an earlier poll: the frontier decides
    old: tuple[FeedEntry, ...] = ()  # outside the window: recorded as skipped, never fetched
    over_cap: tuple[FeedEntry, ...] = ()  # in the window, beyond the cap: left for later

    @property
    def skipped(self) -> int:
        """URLs not fetched because too old or over the cap (the run report's count)."""
        return len(self.old) + len(self.over_cap)


def select_entries(
    entries: Sequence[FeedEntry],
    *,
    now: datetime,
    window: timedelta,
    cap: int,
    listed: Mapping[str, str],
    first_poll: bool,
) -> EntrySelection:
    """Split a sitemap's entries into those to fetch now and those to leave.

    A sitemap is not a feed: a plain one lists every page the outlet ever published, so
    only URLs changed within `window` of `now` (the news publication date, else
    ``<lastmod>``) are articles to fetch, on a first poll and on later ones alike; and
    at most `cap` of them per poll, newest first, so a busy outlet's first poll stays
    bounded too.

    `listed` maps an entry's URL to its frontier state when the store has it already:
    an admitted one (`ADMITTED`: pending, failed or done) goes to `known` and the store
    decides as for any feed entry (stored: never again; failed: after its backoff). One
    recorded `SKIPPED` is judged afresh: a date now inside the window (the outlet changed
    it, or the window was raised to backfill) admits it.

    Undated URLs (a plain sitemap without ``<lastmod>``) cannot be placed in the window:
    * on a `first_poll` (nothing was ever received from this sitemap, nor from the index
      that lists it) they are the archive, and count as old;
    * on later polls a URL never listed before is new to the sitemap, so new to the
      outlet: it is admitted after the dated ones, within the cap. One listed before (it
      was recorded skipped) stays old.

    Old entries are recorded skipped (see `CrawlRun.sitemap_polled`): the store remembers
    that an undated URL was listed, and nothing skipped is ever fetched unless admitted
    here. Over-cap entries are not recorded at all, so a later poll judges them exactly
    as it would have now (an undated one stays "never listed before").
    """
    since = now - window
    known: list[FeedEntry] = []
    old: list[FeedEntry] = []
    dated: list[FeedEntry] = []
    undated: list[FeedEntry] = []
    for entry in entries:
        state = listed.get(entry.url)
        if state in ADMITTED:
            known.append(entry)
        elif entry.published is not None:
            (dated if _aware(entry.published) >= since else old).append(entry)
        elif first_poll or state == SKIPPED:
            old.append(entry)
        else:
            undated.append(entry)
    dated.sort(key=lambda e: _aware(e.published), reverse=True)  # type: ignore[arg-type]
    candidates = [*dated, *undated]
    limit = max(cap, 0)
    return EntrySelection(
        fetch=tuple(candidates[:limit]),
        known=tuple(known),
        old=tuple(old),
        over_cap=tuple(candidates[limit:]),
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# -- bytes to an XML tree --------------------------------------------------------------------


def _gunzip(body: bytes, limit: int) -> bytes:
    """Decompress one gzip member, refusing more than `limit` bytes of output."""
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = decompressor.decompress(body, limit + 1)
    except zlib.error as error:
        raise FeedError(f"corrupt gzip data, not a sitemap: {error}") from None
    if len(data) > limit:
        raise FeedError(f"gzipped sitemap unpacks to more than {limit:,} bytes: refused")
    if not decompressor.eof:
        raise FeedError("truncated gzip data: the sitemap download was cut short")
    return data


def _root_element(text: str) -> str:
    start = _PROLOGUE.match(text)
    match = _ROOT.match(text, start.end() if start else 0)
    if match is None:
        stripped = text.lstrip()[:15].lower()
        return "!doctype" if stripped.startswith("<!doctype") else ""
    return match.group(1).lower()


def _parse_xml(text: str, warnings: list[str]) -> etree._Element:
    """A lenient parse that never fetches, expands entities or loads a DTD."""
    parser = etree.XMLParser(
        encoding="utf-8",
        recover=True,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    data = _XML_DECL.sub("", text.lstrip(), count=1).encode("utf-8")
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as error:
        raise FeedError(f"malformed XML, not a sitemap: {error}") from None
    if root is None:
        raise FeedError("no XML element at all, not a sitemap")
    if parser.error_log:
        warnings.append(f"malformed XML, parsed leniently: {parser.error_log[0].message}")
    return root


# -- reading the tree ---------------------------------------------------------------------------


def _index(root: etree._Element, url: str, now: datetime, warnings: list[str]) -> Sitemap:
    children: dict[str, datetime | None] = {}
    skipped = 0
    for element in _children(root, "sitemap"):
        loc = absolute_http_url(url, _text(_child(element, "loc")))
        if loc is None:
            skipped += 1
            continue
        modified = parse_date(_text(_child(element, "lastmod")))
        children.setdefault(loc, modified if plausible_published(modified, now) else None)
    if skipped:
        warnings.append(f"skipped {skipped} <sitemap> elements without an http(s) <loc>")
    return Sitemap(
        children=tuple(children),
        children_lastmod=tuple(children.values()),
        warnings=tuple(warnings),
    )


def _urlset(
    root: etree._Element, url: str, default_tz: tzinfo, now: datetime, warnings: list[str]
) -> Sitemap:
    counts: Counter[str] = Counter()
    entries: dict[str, FeedEntry] = {}
    news = False
    for element in _children(root, "url"):
        loc = absolute_http_url(url, _text(_child(element, "loc")))
        if loc is None:
            counts["no link"] += 1
            continue
        if loc in entries:
            counts["duplicates"] += 1
            continue
        block = _child(element, "news")
        news = news or block is not None
        title, published = "", None
        if block is not None:
            title = _clean(_text(_child(block, "title")))
            published = parse_date(_text(_child(block, "publication_date")), default_tz=default_tz)
        if published is None:
            published = parse_date(_text(_child(element, "lastmod")), default_tz=default_tz)
        if published is not None and not plausible_published(published, now):
            counts["implausible dates"] += 1
            published = None
        entries[loc] = FeedEntry(url=loc, title=title, published=published)
    warnings.extend(_MESSAGES[key].format(counts[key]) for key in _MESSAGES if counts[key])
    return Sitemap(entries=tuple(entries.values()), news=news, warnings=tuple(warnings))


_MESSAGES = {
    "no link": "skipped {} <url> elements without an http(s) <loc>",
    "duplicates": "dropped {} <url> elements repeating an earlier <loc>",
    "implausible dates": "ignored {} implausible dates (before 1995 or in the future)",
}


def _text_sitemap(text: str, url: str) -> Sitemap:
    """A plain-text sitemap: every non-blank line an absolute URL, or it is not one."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    urls = [
        absolute_http_url(url, line) if line.lower().startswith("http") else None for line in lines
    ]
    if not lines or any(u is None or " " in line for u, line in zip(urls, lines, strict=True)):
        raise FeedError("not XML and not a list of URLs: not a sitemap")
    unique = dict.fromkeys(u for u in urls if u)
    return Sitemap(entries=tuple(FeedEntry(url=u) for u in unique))


def _children(element: etree._Element, name: str) -> Iterable[etree._Element]:
    """Direct children named `name` in any namespace (sitemaps in the wild mix them up)."""
    for child in element:
        if isinstance(child.tag, str) and etree.QName(child).localname == name:
            yield child


def _child(element: etree._Element, name: str) -> etree._Element | None:
    return next(iter(_children(element, name)), None)


def _text(element: etree._Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def _clean(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None

"""Feed documents (RSS 0.9x/1.0/2.0, Atom, JSON Feed) reduced to `ParsedFeed`.

A pure function of (body, url, headers): the spiders fetch, this decides what the
bytes say.  Decoding is done by `monitor.text.encoding` (which knows the ways Arabic
outlets mislabel windows-1256), and feedparser gets UTF-8 with a matching XML
declaration so it cannot re-decode differently.  Feedparser is lenient about
broken XML; that leniency is kept but reported in `ParsedFeed.warnings`, as is
everything else dropped or repaired here (entries without a usable link, repeated
GUIDs or links, implausible dates), so feed health can show it.

A response that is not a feed at all (empty, binary, an HTML page, XML of some
other kind) raises `FeedError` with a message that says what came back.  A valid
feed with no items is not an error.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from time import struct_time
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from monitor.errors import FeedError
from monitor.models import FeedEntry, ParsedFeed
from monitor.text.dates import parse_date, plausible_published
from monitor.text.encoding import decode_document

__all__ = ["parse_feed"]

_GZIP_MAGIC = b"\x1f\x8b"
_XML_DECL = re.compile(r"^\s*<\?xml\b[^>]*\?>")
_DECL_ENCODING = re.compile(r"""\s+encoding\s*=\s*["'][^"']*["']""")
_PROLOGUE = re.compile(r"^(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.S)
_ROOT = re.compile(r"<!doctype\s+([\w:-]+)|<([\w:.-]+)", re.I)
_HTML_ROOTS = {"html", "head", "body"}
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\ufffd]")
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.I | re.S)
_BLOCK_TAG = re.compile(
    r"</?(?:p|br|div|li|ul|ol|h[1-6]|tr|td|th|table|blockquote|figure|figcaption|img|hr)\b[^>]*>",
    re.I,
)
_TAG = re.compile(r"<[^>]*>")
_GUID = re.compile(
    r"<guid\b(?P<attrs>[^>]*)>(?P<body>\s*(?:<!\[CDATA\[(?P<cdata>.*?)\]\]>|(?P<plain>[^<]*))\s*)"
    r"</guid>",
    re.I | re.S,
)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class _Candidate:
    """One entry as the feed gave it, before links are checked and duplicates dropped."""

    link: str
    guid: str | None
    title: str
    summary: str
    published: datetime | None


def parse_feed(
    body: bytes,
    url: str,
    headers: Mapping[str, str] | None = None,
    *,
    default_tz: tzinfo = UTC,
) -> ParsedFeed:
    """Parse a feed response; raise FeedError when it is not a usable feed.

    `default_tz` is the outlet's local time, for dates printed without an offset.
    """
    _reject_unusable_bytes(body)
    decoded = decode_document(body, _header(headers, "content-type"))
    text = decoded.text
    _reject_binary_text(text)
    warnings = [f"encoding: {decoded.note}"] if decoded.note else []
    if text.lstrip().startswith("{"):
        title, kind, candidates = _read_json_feed(text, default_tz)
    else:
        title, kind, candidates = _read_xml_feed(text, url, warnings, default_tz)
    entries = _select(candidates, url, warnings)
    return ParsedFeed(entries, title, kind, decoded.encoding, tuple(warnings))


# -- refusing what is not a feed ------------------------------------------------------------


def _reject_unusable_bytes(body: bytes) -> None:
    if not body.strip():
        raise FeedError("empty response body, not a feed")
    if body.startswith(_GZIP_MAGIC):
        raise FeedError("got gzip-compressed bytes, not a feed (Content-Encoding not undone?)")


def _reject_binary_text(text: str) -> None:
    head = text[:2048]
    if "\x00" in head or len(_CONTROL.findall(head)) > len(head) // 10:
        raise FeedError("got binary data, not a feed")


def _root_element(text: str) -> str:
    """The name of the first element (or DOCTYPE), lower-cased; '' if there is none."""
    start = _PROLOGUE.match(text)
    match = _ROOT.match(text, start.end() if start else 0)
    return (match.group(1) or match.group(2)).lower() if match else ""


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None


# -- XML feeds via feedparser -----------------------------------------------------------------


def _read_xml_feed(
    text: str, url: str, warnings: list[str], default_tz: tzinfo
) -> tuple[str, str, list[_Candidate]]:
    root = _root_element(text)
    if root in _HTML_ROOTS:
        raise FeedError("got an HTML page, not a feed — is the feed URL right?")
    parsed = feedparser.parse(
        _as_utf8_xml(_mark_non_url_guids(text)),
        response_headers={
            "content-type": "application/xml; charset=utf-8",
            "content-location": url,  # the base for relative links and relative xml:base
        },
    )
    if not parsed.get("version") and not parsed.entries:
        what = f"<{root}>" if root else "no XML element at all"
        raise FeedError(f"no RSS/Atom feed structure found (document root: {what})")
    if parsed.get("bozo"):
        warnings.append(f"malformed XML, parsed leniently: {parsed.get('bozo_exception')}")
    is_google_news = _is_google_news(url)
    candidates = [_from_feedparser(e, is_google_news, default_tz) for e in parsed.entries]
    return _clean_text(parsed.feed.get("title", "")), parsed.get("version", ""), candidates


def _as_utf8_xml(text: str) -> bytes:
    """UTF-8 bytes whose XML declaration (if any) says UTF-8, so nothing re-decodes them."""
    text = text.lstrip()
    declaration = _XML_DECL.match(text)
    if declaration:
        cleaned = _DECL_ENCODING.sub("", declaration.group(0))
        text = cleaned[:-2].rstrip() + ' encoding="utf-8"?>' + text[declaration.end() :]
    return text.encode("utf-8")


def _mark_non_url_guids(text: str) -> str:
    """Give ``isPermaLink="false"`` to <guid>s that are not http(s) URLs and say nothing.

    RSS makes a bare <guid> a permalink, so feedparser would resolve ``<guid>12345</guid>``
    against the feed URL and present a link that never existed."""
    return _GUID.sub(_guid_not_permalink, text)


def _guid_not_permalink(match: re.Match[str]) -> str:
    attributes, value = match["attrs"], (match["cdata"] or match["plain"] or "").strip()
    if "ispermalink" in attributes.lower() or _is_http_url(value):
        return match.group(0)
    return f'<guid{attributes} isPermaLink="false">{match["body"]}</guid>'


def _from_feedparser(entry: dict[str, Any], is_google_news: bool, default_tz: tzinfo) -> _Candidate:
    guid = entry.get("id") or None
    link = entry.get("link") or ""  # a permalink <guid> lands here too: see _mark_non_url_guids
    title = _clean_text(entry.get("title", ""))
    if is_google_news:
        source = entry.get("source") or {}
        title = _strip_publisher(title, _clean_text(source.get("title", "")))
    return _Candidate(
        link=link,
        guid=guid,
        title=title,
        summary=_clean_text(entry.get("summary", "")),
        published=_entry_date(entry, default_tz),
    )


def _entry_date(entry: dict[str, Any], default_tz: tzinfo) -> datetime | None:
    """Published (feedparser's parse, else ours for Arabic strings), else updated.

    `dict.get` on purpose: FeedParserDict.get would answer "published" with "updated"."""
    for key in ("published", "updated"):
        parsed = dict.get(entry, f"{key}_parsed")
        if isinstance(parsed, struct_time):
            return datetime(*parsed[:6], tzinfo=UTC)
        raw = dict.get(entry, key)
        if raw:
            found = parse_date(raw, default_tz=default_tz)
            if found is not None:
                return found
    return None


def _is_google_news(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host == "news.google.com" or host.endswith(".news.google.com")


def _strip_publisher(title: str, publisher: str) -> str:
    """Google News appends " - Publisher" to every title."""
    if publisher and title.endswith(f" - {publisher}"):
        return title[: -len(publisher) - 3].rstrip()
    head, sep, _ = title.rpartition(" - ")
    return head.rstrip() if sep and head.strip() else title


# -- JSON Feed --------------------------------------------------------------------------------


def _read_json_feed(text: str, default_tz: tzinfo) -> tuple[str, str, list[_Candidate]]:
    try:
        document = json.loads(text)
    except ValueError as error:
        raise FeedError(f"got malformed JSON, not a feed: {error}") from None
    version = document.get("version", "") if isinstance(document, dict) else ""
    if not isinstance(version, str) or "jsonfeed.org/version/" not in version:
        raise FeedError("got a JSON document that is not a JSON Feed")
    kind = "json" + version.rstrip("/").rsplit("/", 1)[-1].replace(".", "")
    items = document.get("items") or []
    candidates = [_from_json_item(i, default_tz) for i in items if isinstance(i, dict)]
    return _clean_text(str(document.get("title", ""))), kind, candidates


def _from_json_item(item: Mapping[str, Any], default_tz: tzinfo) -> _Candidate:
    guid = item.get("id")
    summary = item.get("summary") or item.get("content_text") or item.get("content_html") or ""
    published = None
    for key in ("date_published", "date_modified"):
        if isinstance(item.get(key), str):
            published = parse_date(item[key], default_tz=default_tz)
            if published is not None:
                break
    return _Candidate(
        link=str(item.get("url") or item.get("external_url") or ""),
        guid=str(guid) if guid is not None else None,
        title=_clean_text(str(item.get("title") or "")),
        summary=_clean_text(str(summary)),
        published=published,
    )


# -- selection: links, duplicates, dates ------------------------------------------------------


def _select(
    candidates: Iterable[_Candidate], url: str, warnings: list[str]
) -> tuple[FeedEntry, ...]:
    """Keep entries with a usable link, the first of each link; count what is dropped.

    The link, not the GUID, decides: some CMSs give every item the same GUID (the
    homepage), and dropping by GUID would lose all their articles but one. An entry that
    repeats a GUID under a new link is kept (dedup recognises a republished story) and
    counted, so feed health can show the publisher's mistake.
    """
    counts: Counter[str] = Counter()
    seen_guids: set[str] = set()
    seen_links: set[str] = set()
    now = datetime.now(UTC)
    entries = []
    for candidate in candidates:
        link = _absolute_link(candidate, url)
        problem = _drop_reason(link, seen_links)
        if problem or link is None:
            counts[problem or "no link"] += 1
            continue
        if candidate.guid and candidate.guid in seen_guids:
            counts["shared GUIDs"] += 1
        seen_links.add(link)
        if candidate.guid:
            seen_guids.add(candidate.guid)
        published = candidate.published
        if published is not None and not plausible_published(published, now):
            counts["implausible dates"] += 1
            published = None
        entries.append(
            FeedEntry(link, candidate.title, candidate.guid, published, candidate.summary)
        )
    warnings.extend(_MESSAGES[key].format(counts[key]) for key in _MESSAGES if counts[key])
    return tuple(entries)


_MESSAGES = {
    "no link": "skipped {} entries without an http(s) link or GUID URL",
    "shared GUIDs": "kept {} entries whose GUID repeats an earlier one under a new link",
    "duplicate links": "dropped {} entries repeating an earlier link",
    "implausible dates": "ignored {} implausible publication dates (before 1995 or future)",
}


def _drop_reason(link: str | None, seen_links: set[str]) -> str | None:
    if link is None:
        return "no link"
    if link in seen_links:
        return "duplicate links"
    return None


def _absolute_link(candidate: _Candidate, url: str) -> str | None:
    """The entry's link made absolute; else its GUID when that is an absolute http(s) URL."""
    try:
        link = urljoin(url, candidate.link.strip()) if candidate.link else ""
    except ValueError:  # a link no URL parser accepts: try the GUID
        link = ""
    if _is_http_url(link):
        return link
    guid = (candidate.guid or "").strip()
    return guid if _is_http_url(guid) else None


def _is_http_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. "http://[zz]/x": a bracketed host that is no address
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


# -- text -------------------------------------------------------------------------------------


def _clean_text(value: object) -> str:
    """Plain text from a title or summary: tags stripped, entities unescaped, spaces collapsed."""
    text = value if isinstance(value, str) else ""
    if "<" in text:
        text = _SCRIPT.sub(" ", text)
        text = _BLOCK_TAG.sub(" ", text)
        text = _TAG.sub("", text)
    return _SPACE.sub(" ", html.unescape(text)).strip()

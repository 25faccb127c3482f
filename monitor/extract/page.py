"""A fetched article response as an lxml tree, and the small readers every later step shares.

    bytes ─> payload checks (empty, too large, not HTML) ─> decode_document ─> lxml tree

`read_page` refuses what cannot be an HTML page before any parsing, with the `ExtractionError`
reasons empty, too_large, not_html and no_text (an unparseable document). The readers below it
(`clean_line`, `fold`, `match_key`, `meta`, `json_ld`) are what body and metadata both use.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import lxml.html
from lxml import etree

from monitor.errors import ExtractionError
from monitor.text.encoding import decode_document

HTML_TYPES = frozenset({
    "text/html", "application/xhtml+xml", "text/plain", "text/xml", "application/xml",
    "application/octet-stream", "binary/octet-stream", "",  # unlabelled: the bytes decide
})  # fmt: skip

# Magic numbers of formats that are sometimes served at article URLs (PDF editions, images,
# still-compressed bodies, office files, media).
_MAGIC = (
    (b"%PDF", "PDF"), (b"\x89PNG", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF8", "GIF"),
    (b"PK\x03\x04", "ZIP"), (b"\x1f\x8b", "gzip"), (b"BZh", "bzip2"), (b"%!PS", "PostScript"),
    (b"\xd0\xcf\x11\xe0", "MS Office"), (b"Rar!", "RAR"), (b"7z\xbc\xaf", "7-Zip"),
    (b"OggS", "Ogg"), (b"ID3", "MP3"), (b"\x00\x00\x01\x00", "ICO"), (b"wOF", "web font"),
)  # fmt: skip
_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


class Page(NamedTuple):
    """A response that passed the payload checks, decoded and parsed."""

    tree: lxml.html.HtmlElement
    encoding: str  # the codec the bytes were decoded with, e.g. "utf-8", "cp1256"


def read_page(body: bytes, headers: Mapping[str, Any] | None, *, max_bytes: int) -> Page:
    """The response as a tree; ExtractionError when it is not a page worth parsing."""
    content_type = header(headers, "content-type")
    check_payload(body, content_type, max_bytes)
    decoded = decode_document(body, content_type)
    return Page(parse_html(decoded.text), decoded.encoding)


# ── payload checks ─────────────────────────────────────────────────────────────────────────────


def header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    """Case-insensitive header lookup that tolerates Scrapy's bytes and list values."""
    for key, value in (headers or {}).items():
        key = key.decode("latin-1") if isinstance(key, bytes) else key
        if key.lower() != name:
            continue
        if isinstance(value, list | tuple):
            value = value[0] if value else ""
        return value.decode("latin-1") if isinstance(value, bytes) else str(value)
    return None


def check_payload(body: bytes, content_type: str | None, max_bytes: int) -> None:
    """Raise ExtractionError unless `body` could be an HTML page worth parsing."""
    if not body or not body.strip():
        raise ExtractionError("empty", "the response body is empty")
    if len(body) > max_bytes:
        raise ExtractionError("too_large", f"{len(body):,} bytes, over the {max_bytes:,} limit")
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type not in HTML_TYPES and not media_type.startswith("text/"):
        raise ExtractionError("not_html", f"Content-Type is {media_type}")
    head = body[:2048]
    kind = next((kind for magic, kind in _MAGIC if head.startswith(magic)), None)
    if kind is None and (head[4:8] == b"ftyp" or head[8:12] in (b"WEBP", b"WAVE", b"AVI ")):
        kind = "media (MP4/WebP/WAV/AVI)"
    if kind is not None:
        raise ExtractionError("not_html", f"the body is a {kind} file")
    if b"\x00" in head and not head.startswith(_UTF16_32_BOMS) and not _looks_utf16(head):
        raise ExtractionError("not_html", "the body is binary (NUL bytes)")
    if head.lstrip()[:1] in (b"{", b"["):
        raise ExtractionError("not_html", "the body is JSON, not a page")


def _looks_utf16(head: bytes) -> bool:
    """BOM-less UTF-16 markup: '<' next to a NUL in the first two bytes."""
    return head[:2] in (b"<\x00", b"\x00<")


def parse_html(text: str) -> lxml.html.HtmlElement:
    """The decoded document as an lxml tree (the same parser settings trafilatura uses)."""
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)  # lxml refuses str with an encoding declaration
    parser = lxml.html.HTMLParser(
        collect_ids=False, default_doctype=False, remove_comments=True, remove_pis=True
    )
    try:
        tree = lxml.html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionError("no_text", f"the page cannot be parsed as HTML: {exc}") from exc
    return tree


# ── text normalisation ─────────────────────────────────────────────────────────────────────────

_BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\u200b]")
_NOT_ALNUM = re.compile(r"[\W_]+")
_HARAKAT = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")  # + tatweel
_FOLD = (("أ", "ا"), ("إ", "ا"), ("آ", "ا"), ("ٱ", "ا"), ("ى", "ي"), ("ة", "ه"))


def clean_line(text: str) -> str:
    """One paragraph with bidi controls dropped and whitespace runs collapsed to one space."""
    # str.split() splits at exactly the characters `\s` matches (checked over all of Unicode
    # in tests/test_extract.py) and drops them at both ends: the regex sub and strip in one
    # C pass, twice as fast on a page's paragraphs
    return " ".join(_BIDI_CONTROLS.sub("", text).split())


def fold(text: str) -> str:
    """Loose matching form: no diacritics or tatweel, alef/ya/ta-marbuta folded, lower case."""
    # six str.replace scans in C beat one str.translate through a dict, which looks every
    # character up in Python (0.08 -> 0.01 ms for a page's paragraphs); no replacement makes a
    # letter another one replaces, so the order does not matter
    text = _HARAKAT.sub("", text)
    for letter, folded in _FOLD:
        text = text.replace(letter, folded)
    return text.lower()


def match_key(text: str) -> str:
    """Letters and digits only, folded: two titles differing in quotes or spacing are equal."""
    return alnum_key(fold(text))


def alnum_key(folded: str) -> str:
    """match_key of a text already folded (see `fold`)."""
    # `[\W_]` is exactly "not str.isalnum()" for str patterns; one C pass, not a Python loop.
    # Whitespace is never alphanumeric: str.split drops it first (in C, and most of what the
    # pattern would match a match at a time), and a line left with no punctuation is done.
    joined = "".join(folded.split())
    return joined if joined.isalnum() else _NOT_ALNUM.sub("", joined)


# ── metadata read from the tree ────────────────────────────────────────────────────────────────


class HeadTags:
    """The <meta>, <link> and <base> elements of one page, read in one walk over its tree.

    Extraction asks a page for its metadata six to eight times (title, outlet names, language,
    canonical URL, dates); each question was a walk over every <meta> or an XPath over the
    whole tree, 0.07 ms apiece. The tree must not change once read: extraction never changes
    it (trafilatura reads a copy).
    """

    __slots__ = ("bases", "http_equiv", "links", "metas", "tree")

    def __init__(self, tree: lxml.html.HtmlElement) -> None:
        self.tree = tree
        # (property/name/itemprop values stripped and lower-cased, content cleaned) of every
        # <meta> with non-empty content and one of those attributes, in document order
        self.metas: list[tuple[frozenset[str], str]] = []
        self.http_equiv: list[tuple[str, str]] = []  # (http-equiv, content) as written
        self.links: list[tuple[str, str]] = []  # (rel, href) as written
        self.bases: list[str] = []  # <base href>
        for element in tree.iter("meta", "link", "base"):
            tag = element.tag
            if tag == "meta":
                content = element.get("content")
                attrs = (element.get("property"), element.get("name"), element.get("itemprop"))
                keys = frozenset(a.strip().lower() for a in attrs if a)
                cleaned = clean_line(content or "") if keys else ""
                if cleaned:
                    self.metas.append((keys, cleaned))
                equiv = element.get("http-equiv")
                if equiv is not None and content is not None:
                    self.http_equiv.append((equiv, content))
            elif tag == "link":
                rel, href = element.get("rel"), element.get("href")
                if rel is not None and href is not None:
                    self.links.append((rel, href))
            elif (href := element.get("href")) is not None:
                self.bases.append(href)


_LAST_HEAD: list[HeadTags] = []  # the page being extracted (a strong reference: no id reuse)


def head_tags(tree: lxml.html.HtmlElement) -> HeadTags:
    """`HeadTags` of `tree`, read once per page (the last page's are remembered)."""
    if _LAST_HEAD and _LAST_HEAD[0].tree is tree:
        return _LAST_HEAD[0]
    found = HeadTags(tree)
    _LAST_HEAD[:] = [found]
    return found


def forget_head_tags() -> None:
    """Drop the remembered `HeadTags` (and the page tree it holds) once a page is done."""
    _LAST_HEAD.clear()


def meta(tree: lxml.html.HtmlElement, *names: str) -> list[str]:
    """Non-empty content of <meta> tags whose property/name/itemprop is one of `names`."""
    wanted = {n.lower() for n in names}
    return [content for keys, content in head_tags(tree).metas if not keys.isdisjoint(wanted)]


def json_ld(tree: lxml.html.HtmlElement) -> Iterator[dict[str, Any]]:
    """Every JSON object inside the page's JSON-LD blocks (nested @graph included)."""
    for script in tree.xpath('//script[contains(@type, "ld+json")]'):
        try:
            data = json.loads(script.text or "", strict=False)
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                yield item
                stack.extend(v for v in item.values() if isinstance(v, dict | list))

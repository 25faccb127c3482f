"""The Atom 1.0 feed: one entry per new story, with ids derived from the story id.

A story's id is its lead's canonical URL and never changes, so the entry id
(``urn:sha1:`` of it) is the same on every fetch: a reader never shows one story twice. The
feed is built with ElementTree (well-formed by construction); characters XML forbids
(control characters a scraped page may carry) are dropped first.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from monitor.deliver.digest import Entry

ATOM = "http://www.w3.org/2005/Atom"
MAX_ENTRIES = 50
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def entry_id(story: str) -> str:
    return "urn:sha1:" + hashlib.sha1(story.encode("utf-8")).hexdigest()


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def updated(entries: list[Entry]) -> datetime:
    return max((e.latest for e in entries[:MAX_ENTRIES]), default=EPOCH)


def feed(entries: list[Entry], *, base: str, self_url: str, title: str) -> bytes:
    """The feed of (at most `MAX_ENTRIES` of) `entries`, newest first, as UTF-8 bytes."""
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        node = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            node.text = _clean(text)
        return node

    root = ET.Element(f"{{{ATOM}}}feed", {"xml:lang": "ar"})
    sub(root, "id", entry_id(self_url))
    sub(root, "title", title)
    sub(root, "updated", _stamp(updated(entries)))
    sub(root, "link", rel="self", href=self_url)
    sub(root, "link", rel="alternate", href=base + "/")
    author = sub(root, "author")
    sub(author, "name", "rasad")
    sub(root, "generator", "rasad")
    for entry in entries[:MAX_ENTRIES]:
        lead = entry.lead.article
        node = sub(root, "entry")
        sub(node, "id", entry_id(entry.story))
        sub(node, "title", lead.title or lead.canonical_url)
        href = lead.url if lead.url.lower().startswith(("http://", "https://")) else None
        if href:
            sub(node, "link", rel="alternate", href=_clean(href))
        sub(node, "updated", _stamp(entry.latest))
        sub(node, "published", _stamp(entry.lead.when))
        who = sub(node, "author")
        sub(who, "name", entry.lead.outlet)
        for topic in entry.subtopics:
            sub(node, "category", term=_clean(topic))
        sub(node, "summary", entry.excerpt, type="text")
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


def etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def last_modified(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def not_modified(
    tag: str, modified: datetime, if_none_match: str | None, if_modified_since: str | None
) -> bool:
    """RFC 9110: If-None-Match decides when present; else If-Modified-Since."""
    if if_none_match is not None:
        offered = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in offered or tag in offered
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return modified.replace(microsecond=0) <= since
    return False

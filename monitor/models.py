"""The values that flow from the network to the store.

Frozen dataclasses, no behaviour beyond small derived properties: every step
(feed parsing, extraction, relevance, dedup) is a plain function over these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed, as the publisher described it."""

    url: str  # absolute article URL (relative links already resolved)
    title: str = ""
    guid: str | None = None
    published: datetime | None = None  # timezone-aware (UTC) when known
    summary: str = ""


@dataclass(frozen=True)
class ParsedFeed:
    """A feed document reduced to what rasad needs."""

    entries: tuple[FeedEntry, ...]
    title: str = ""
    kind: str = ""  # feedparser's version string: rss20, atom10, rss10, ...
    encoding: str = ""  # the encoding the bytes were actually decoded with
    warnings: tuple[str, ...] = ()  # human-readable notes (malformed XML parsed leniently, ...)


@dataclass(frozen=True)
class Article:
    """An article page reduced to its clean text and metadata."""

    url: str  # the URL that was fetched (after redirects)
    title: str
    text: str  # body paragraphs only, separated by blank lines
    published: datetime | None = None  # timezone-aware (UTC) when known
    language: str | None = None  # ISO 639-1, e.g. "ar"; None when undecided
    encoding: str = ""
    date_source: str | None = None  # "feed" | "page" | None
    canonical_hint: str | None = None  # rel=canonical / og:url from the page, if any


@dataclass(frozen=True)
class Verdict:
    """Why an article was judged on or off topic (filled by the relevance step)."""

    score: float
    on_topic: bool
    matched: tuple[str, ...] = ()
    subtopics: tuple[str, ...] = ()
    details: dict[str, float] = field(default_factory=dict)

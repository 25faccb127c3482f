"""What travels through Scrapy's item pipelines.

A `FetchedPage` leaves the spider (the page bytes and the headers that decide how to
read them, nothing else of the response); the extraction step turns it into an
`ArticleItem`, which later steps (relevance, dedup) refine before the store step
writes it. The raw bytes go no further than extraction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from monitor.judge.dedup import Fingerprint
from monitor.models import Article, FeedEntry, Verdict


def response_headers(response: Any) -> dict[str, str]:
    """A Scrapy response's headers as the lower-cased str -> str mapping a FetchedPage keeps
    (the last value of a repeated header, as Scrapy's Headers.get gives it)."""
    return {
        key.decode("latin-1").lower(): (response.headers.get(key) or b"").decode("latin-1")
        for key in response.headers
    }


@dataclass(frozen=True)
class FetchedPage:
    source: str
    entry: FeedEntry
    url: str  # after redirects
    status: int
    headers: dict[str, str]
    body: bytes

    def __repr__(self) -> str:  # keep logs readable: never dump the bytes
        return f"FetchedPage({self.source!r}, {self.url!r}, {len(self.body)} bytes)"


@dataclass(frozen=True)
class ArticleItem:
    source: str
    entry: FeedEntry
    article: Article
    status: str = "new"  # new | duplicate | off_topic, decided by relevance and dedup
    verdict: Verdict | None = None
    duplicate_of: str | None = None
    similarity: float | None = None
    fingerprint: Fingerprint | None = None

"""The store's one narrow interface, and the records that cross it.

Everything rasad keeps lives behind `Store`: articles with their outcome, the feed
entries still to fetch (the frontier), feed state, runs, and the seed corpus. Both
implementations (SQLite now, PostgreSQL for scale-out) pass the same tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from monitor.judge.dedup import Fingerprint
from monitor.judge.seeds import Seed
from monitor.models import FeedEntry

STATUSES = ("new", "duplicate", "off_topic")


@dataclass(frozen=True)
class StoredArticle:
    """One fetched article with its outcome, as written to and read from the store."""

    url: str
    canonical_url: str
    source: str
    title: str
    text: str
    status: str  # one of STATUSES
    fetched: datetime
    published: datetime | None = None
    fetched_url: str | None = None  # after redirects, when different from url
    language: str | None = None
    relevance: float = 0.0
    verdict: dict[str, Any] | None = None
    duplicate_of: str | None = None
    similarity: float | None = None
    text_hash: str = ""


@dataclass(frozen=True)
class PendingEntry:
    """A feed entry whose article page has not been stored yet."""

    source: str
    entry: FeedEntry
    attempts: int = 0


@dataclass(frozen=True)
class FeedPoll:
    """What one poll of one feed found."""

    source: str
    feed_url: str
    polled: datetime
    ok: bool
    http_status: int | None = None
    error: str | None = None
    entries: int = 0
    etag: str | None = None
    last_modified: str | None = None
    state: str | None = None  # the polling policy's state after this poll (JSON)


@dataclass(frozen=True)
class DuplicateMatch:
    """The story a new article repeats: a stored article's canonical URL or "seed:ID"."""

    doc: str
    similarity: float  # share of the new text found in the original (1.0: exact copy)
    exact: bool


@dataclass(frozen=True)
class PollOutcome:
    """What recording a poll found: the entries to fetch, and how many were never seen."""

    to_fetch: list[FeedEntry]
    new_entries: int = 0


@dataclass(frozen=True)
class FeedHealth:
    source: str
    feed_url: str
    last_poll: datetime | None
    last_success: datetime | None
    last_status: int | None
    last_error: str | None
    error_streak: int
    items_seen: int
    last_new_item: datetime | None
    state: str | None = None  # the polling policy's state (JSON)


class Store(Protocol):
    def close(self) -> None: ...

    # seed corpus
    def load_seeds(self, seeds: Iterable[Seed]) -> int: ...
    def seeds(self) -> list[Seed]: ...

    # frontier: feed entries still to fetch
    def seen(self, url: str) -> bool: ...
    def record_poll(
        self,
        poll: FeedPoll,
        entries: Sequence[FeedEntry] = (),
        max_attempts: int = 5,
        skipped: Sequence[FeedEntry] = (),
    ) -> PollOutcome: ...
    def entry_states(self, urls: Iterable[str]) -> dict[str, str]: ...
    def set_feed_state(self, source: str, feed_url: str, state: str) -> None: ...
    def reset_feed(self, source: str, feed_url: str, state: str) -> None: ...
    def pending(
        self, source: str, max_attempts: int, now: datetime | None = None
    ) -> list[PendingEntry]: ...
    def attempts(self, url: str) -> int: ...
    def record_failure(
        self,
        source: str,
        url: str,
        reason: str,
        when: datetime,
        next_attempt: datetime | None = None,
    ) -> int: ...
    def feed_state(self, source: str, feed_url: str) -> str | None: ...

    # robots.txt cache
    def cached_robots(self, host: str) -> tuple[int, bytes, datetime] | None: ...
    def cache_robots(self, host: str, status: int, body: bytes, fetched: datetime) -> None: ...

    # articles
    def add(self, article: StoredArticle, fp: Fingerprint | None = None) -> str: ...
    def find_duplicate(self, fp: Fingerprint) -> DuplicateMatch | None: ...
    def also_reported_by(self, doc: str) -> list[str]: ...
    def get(self, canonical_url: str) -> StoredArticle | None: ...
    def rejudge(
        self, canonical_url: str, status: str, relevance: float, verdict: dict[str, Any] | None
    ) -> None: ...
    def articles(
        self, *, since: datetime | None = None, statuses: Sequence[str] = ("new",)
    ) -> Iterator[StoredArticle]: ...
    def counts(self) -> dict[str, int]: ...

    # small named values
    def get_state(self, key: str) -> str | None: ...
    def set_state(self, key: str, value: str) -> None: ...

    # runs and health
    def start_run(self, started: datetime, sources: Sequence[str]) -> int: ...
    def finish_run(
        self, run_id: int, finished: datetime, state: str, report: dict[str, Any]
    ) -> None: ...
    def feed_health(self) -> list[FeedHealth]: ...
    def runs(self, limit: int = 10) -> list[dict[str, Any]]: ...

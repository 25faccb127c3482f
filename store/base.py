"""The records that cross the store's interface (`store.protocols`), and their vocabularies.

Frozen dataclasses, written by the crawl and read by every command; no behaviour. The
`Literal` types name every value a column may hold, so mypy rejects a misspelled status
where the store's constraints would only reject it at run time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal

from monitor.judge.dedup import DuplicateMatch
from monitor.models import FeedEntry

__all__ = [
    "ENTRY_STATES",
    "RUN_STATES",
    "STATUSES",
    "AddOutcome",
    "DuplicateMatch",
    "EntryState",
    "FeedHealth",
    "FeedPoll",
    "PendingEntry",
    "PollOutcome",
    "RunState",
    "SearchHit",
    "SearchQuery",
    "SearchTerm",
    "Status",
    "StoredArticle",
    "Written",
]

#: The outcome of one fetched article (see DESIGN.md, "Outcomes of one fetched article").
Status = Literal["new", "duplicate", "off_topic"]
STATUSES: Final[tuple[Status, ...]] = ("new", "duplicate", "off_topic")

#: Where a feed entry stands in the frontier: its article still to fetch (pending, failed),
#: stored (done), or listed but not to be fetched (skipped: a sitemap URL too old to be news).
EntryState = Literal["pending", "failed", "done", "skipped"]
ENTRY_STATES: Final[tuple[EntryState, ...]] = ("pending", "failed", "done", "skipped")

#: A crawl run: still going (or killed: marked interrupted by the next run), or how it ended.
RunState = Literal["running", "ok", "failed", "interrupted"]
RUN_STATES: Final[tuple[RunState, ...]] = ("running", "ok", "failed", "interrupted")

#: What a write did to the archive: a new row, or the text of a stored URL replaced.
Written = Literal["added", "updated"]


@dataclass(frozen=True)
class StoredArticle:
    """One fetched article with its outcome, as written to and read from the store."""

    url: str
    canonical_url: str
    source: str
    title: str
    text: str
    status: Status
    fetched: datetime
    published: datetime | None = None
    fetched_url: str | None = None  # after redirects, when different from url
    language: str | None = None
    relevance: float = 0.0
    verdict: dict[str, Any] | None = None
    duplicate_of: str | None = None
    similarity: float | None = None
    text_hash: str = ""
    story: str | None = None  # its story cluster's id: the lead's canonical URL (None: off-topic)
    # The search index's terms of title and text, space-joined, when the writer computed them
    # beside the rest of the page's analysis (a crawl does, in its worker processes:
    # `monitor.text.search_terms.index_terms`); None: the store computes them. Never read back.
    index_terms: tuple[str, str] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class AddOutcome:
    """What `Archive.add_unless_duplicate` stored.

    ``written == "updated"``: the URL was stored before; its text was replaced and its earlier
    outcome kept (``status``, ``duplicate_of`` are the stored ones).
    """

    written: Written
    status: Status
    duplicate_of: str | None = None  # the cluster's original, for a duplicate
    similarity: float | None = None  # share of the text found in the document matched
    story: str | None = None  # its story cluster's id (see `StoredArticle.story`)


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


@dataclass(frozen=True)
class SearchTerm:
    """One thing a search looks for: a word, or a phrase of several, as index terms
    (`monitor.text.arabic.index_terms`); `prefix`: its last word may go on (``روس*``)."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class SearchQuery:
    """A parsed query (`monitor.deliver.search.parse`): every group must match (each group is
    a choice of terms: ``a OR b``), and no term of `none_of` may."""

    all_of: tuple[tuple[SearchTerm, ...], ...]
    none_of: tuple[SearchTerm, ...] = ()

    @property
    def words(self) -> frozenset[str]:
        """The index terms a match may show (for snippets)."""
        return frozenset(w for group in self.all_of for term in group for w in term.words)


@dataclass(frozen=True)
class SearchHit:
    article: StoredArticle
    score: float  # higher is better; 0 when sorted by date

"""The store's interface, one Protocol per concern, and `Store`: all of them on one database.

Everything rasad keeps lives behind `Store`, so that SQLite (the embedded default) and
PostgreSQL (scale-out) are interchangeable and pass one contract suite
(tests/test_store_contract.py):

=============  ===============================================================================
`Frontier`     the feed entries whose article is still to fetch, and the failures met so far
`FeedLog`      what each poll of each feed found (feed state, health) and robots.txt per host
`Archive`      the fetched articles with their outcomes, and the near-duplicate index they are
               checked against, written together by one atomic step
`SeedCorpus`   the seed articles: the first originals of the near-duplicate index
`RunLog`       crawl runs: when, how they ended, their reports
`DigestLog`    what each digest sent to whom: the articles it held, and its message until the
               SMTP server accepted it
`SearchIndex`  the articles' normalised, light-stemmed words, written with each article
`KeyValue`     small named values (the scheduler's state, discovered feeds, digest marks)
`Browse`       the web archive's reads: one page of stories, one story, coverage counts
=============  ===============================================================================

Every write step is whole or absent after a kill (a crawl's article adds commit in groups:
`Archive.grouped`). Implementations use these exact parameter names, which callers may pass by
keyword (mypy checks only keyword-only names, python/mypy#18680: the contract suite compares).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Literal, Protocol

from monitor.judge.dedup import Fingerprint
from monitor.judge.seeds import Seed
from monitor.models import FeedEntry
from store.base import (
    AddOutcome,
    EntryState,
    FeedHealth,
    FeedPoll,
    PendingEntry,
    PollOutcome,
    SearchHit,
    SearchQuery,
    Status,
    StoredArticle,
    Written,
)
from store.browse import CoverageCount, StoryFilter

__all__ = [
    "Archive",
    "Browse",
    "CoverageCount",
    "DigestLog",
    "FeedLog",
    "Frontier",
    "KeyValue",
    "RunLog",
    "SearchIndex",
    "SeedCorpus",
    "Store",
    "StoryFilter",
]


class Frontier(Protocol):
    """Feed entries from the moment a feed lists them until their article is stored.

    URLs are compared in canonical form (`monitor.text.urls.canonical_url`). An entry is
    pending, failed (tried, with attempts counted and maybe a time before which it waits),
    done (its article stored) or skipped (listed, not to be fetched). The frontier is the
    source of truth between runs and between workers: an entry not done is fetched again.
    """

    def seen(self, url: str) -> bool:
        """True once an article for this URL is stored: it is never fetched again."""
        ...

    def record_poll(
        self,
        poll: FeedPoll,
        entries: Sequence[FeedEntry] = (),
        max_attempts: int = 5,
        skipped: Sequence[FeedEntry] = (),
    ) -> PollOutcome:
        """Record one feed poll (its `FeedLog` side too) and its entries, in one transaction.

        The outcome lists the entries whose article is not stored yet (new ones, and ones left
        pending or failed by earlier runs, due and with attempts to spare), in feed order, and
        counts the entries never seen before. A stored entry whose headline changed is fetched
        once more. An entry recorded skipped earlier is admitted when given in `entries`.
        `skipped`: entries listed but not to fetch, recorded unless known already, never
        returned, never counted as new. A failed poll (`poll.ok` false) records no entries.
        """
        ...

    def entry_states(self, urls: Iterable[str]) -> dict[str, EntryState]:
        """The frontier state of each of `urls` it holds, keyed by the URL as given."""
        ...

    def pending(
        self, source: str, max_attempts: int, now: datetime | None = None
    ) -> list[PendingEntry]:
        """A source's entries still waiting for their article, under the attempt limit and,
        given `now`, due (a failed page waits out its backoff); oldest first."""
        ...

    def attempts(self, url: str) -> int:
        """How often fetching this URL's article has failed so far (0: never, or unknown)."""
        ...

    def record_failure(
        self,
        source: str,
        url: str,
        reason: str,
        when: datetime,
        next_attempt: datetime | None = None,
    ) -> int:
        """Count a failed fetch or extraction; returns the attempts made so far.
        `next_attempt`: not to be tried again before then (None: on the next run)."""
        ...


class FeedLog(Protocol):
    """Per feed: the conditional-GET validators, the polling policy's state, its health;
    per host: the robots.txt last fetched. Polls themselves are recorded by
    `Frontier.record_poll`, with the entries they listed."""

    def feed_state(self, source: str, feed_url: str) -> str | None:
        """The polling policy's saved state of one feed (JSON), if it was polled before."""
        ...

    def set_feed_state(self, source: str, feed_url: str, state: str) -> None: ...

    def reset_feed(self, source: str, feed_url: str, state: str) -> None:
        """Forget a feed's error streak (the state given is the policy's, already reset)."""
        ...

    def feed_health(self) -> list[FeedHealth]:
        """Every feed polled so far, by source and URL."""
        ...

    def cached_robots(self, host: str) -> tuple[int, bytes, datetime] | None:
        """(HTTP status, body, when fetched) of a host's robots.txt, if cached."""
        ...

    def cache_robots(self, host: str, status: int, body: bytes, fetched: datetime) -> None: ...


class Archive(Protocol):
    """The fetched articles, one per canonical URL, with their outcomes; and the
    near-duplicate index of their texts (and the seeds'), always written with them."""

    def add_unless_duplicate(
        self,
        article: StoredArticle,
        fp: Fingerprint | None = None,
        *,
        declared_original: str | None = None,
    ) -> AddOutcome:
        """Store a judged article, as a duplicate when it repeats a stored story: one step.

        `article.status` is relevance's verdict ("new" or "off_topic"). In ONE transaction
        the store looks for the story a "new" article repeats: the stored page it declares as
        its original (`declared_original`, from `monitor.judge.dedup.declared_original`), an
        exact copy, a near-duplicate (seeds included); `monitor.judge.dedup.decide` chooses,
        and the article is written as "new" or as "duplicate" of the cluster's original. An
        "off_topic" article stays off-topic. Either way its fingerprint (`fp`, computed from
        the text when not given) is indexed and its frontier entry closed. A URL stored
        before is updated in place as by `add`.

        The lookup and the write must not interleave with another writer's, or two workers
        storing copies of one story at once would both store "new". SQLite: the transaction
        is BEGIN IMMEDIATE, which takes the database's write lock before the lookup; another
        writer waits for COMMIT, then finds this article. PostgreSQL: the same transaction
        first takes a transaction-scoped advisory lock on the archive
        (``SELECT pg_advisory_xact_lock(...)``), or runs SERIALIZABLE and retries on a
        serialization failure; READ COMMITTED alone would let both transactions miss the
        other's uncommitted copy.
        """
        ...

    def add(self, article: StoredArticle, fp: Fingerprint | None = None) -> Written:
        """Store an article with the outcome it carries (no duplicate check), index its
        fingerprint and close its frontier entry, atomically. For imports and tests; the
        crawl stores through `add_unless_duplicate`.

        "updated" when the URL was stored before: the text is replaced by the latest one
        (and re-indexed) and the earlier outcome kept.
        """
        ...

    def get(self, canonical_url: str) -> StoredArticle | None: ...

    def articles(
        self, *, since: datetime | None = None, statuses: Sequence[Status] = ("new",)
    ) -> Iterator[StoredArticle]:
        """Stored articles with one of `statuses`, fetched at or after `since`, in the
        order they were fetched (streamed, not loaded whole)."""
        ...

    def also_reported_by(self, doc: str) -> list[str]:
        """The URLs of the stored copies of a story (`doc`: its original), oldest first."""
        ...

    def rejudge(
        self,
        canonical_url: str,
        status: Status,
        relevance: float,
        verdict: dict[str, Any] | None,
    ) -> None:
        """Replace an article's outcome after the topic lexicon or threshold changed. An
        article turned off-topic leaves its story; one turned on-topic joins or starts one."""
        ...

    def counts(self) -> dict[str, int]:
        """Articles per status, and "pending": frontier entries still to fetch."""
        ...

    def grouped(
        self, max_steps: int = 100, max_seconds: float = 0.2
    ) -> AbstractContextManager[None]:
        """Articles committed in groups: see `SQLiteConnection.grouped` (PostgreSQL: one each)."""

    def flush(self, *, due_only: bool = False) -> None:
        """Commit an open group now (`due_only`: only if it has waited `max_seconds`)."""

    def after_commit(self, action: Callable[[], None]) -> None:
        """Call `action` once everything written so far is committed (at once, if it is)."""


class SeedCorpus(Protocol):
    """The seed articles: never exported as crawled items, indexed as "seed:<ID>"."""

    def load_seeds(self, seeds: Iterable[Seed]) -> int:
        """Store (and index) the seeds not stored yet; returns how many."""
        ...

    def seeds(self) -> list[Seed]: ...


class RunLog(Protocol):
    """One row per crawl run."""

    def start_run(self, started: datetime, sources: Sequence[str]) -> int:
        """Open a run; a run still "running" was killed and is marked "interrupted"."""
        ...

    def finish_run(
        self, run_id: int, finished: datetime, state: str, report: dict[str, Any]
    ) -> None:
        """Close a run as "ok", "failed" (a source failed) or "interrupted" (stopped early)."""
        ...

    def runs(self, limit: int = 10) -> list[dict[str, Any]]:
        """The latest runs, newest first: id, started, finished, state, sources and report
        (both JSON)."""
        ...


class DigestLog(Protocol):
    """Per recipient, the articles a digest has taken, so that none is sent twice.

    A digest to one recipient is *begun* (its message and the articles it takes recorded,
    state "sending") before the SMTP conversation and *finished* after it: kept as "sent"
    when the server accepted the message, forgotten when it did not, so a failed send marks
    nothing. A digest killed in between stays "sending": the next digest sends that same
    message (same Message-ID) before anything else, and never takes its articles again.
    Articles a recipient's topics leave out are recorded too (``shown`` false), with no
    message, so they are not looked at again.
    """

    def undelivered(
        self, recipient: str, *, since: datetime | None = None
    ) -> Iterator[StoredArticle]:
        """What a digest to `recipient` may hold, in the order fetched: the "new" articles
        and the copies of them ("duplicate", not of a seed), that no digest to `recipient`
        has taken. With `since`: every such article fetched at or after it, taken or not."""
        ...

    def begin_digest(
        self,
        recipient: str,
        message_id: str,
        message: bytes | None,
        shown: Sequence[str],
        passed: Sequence[str] = (),
        when: datetime | None = None,
    ) -> None:
        """Record a digest about to be sent: `shown` (canonical URLs in the message) and
        `passed` (left out by the recipient's topics) are taken. An article taken by an
        earlier digest keeps that record. `message` None: nothing to send, recorded as sent."""
        ...

    def unfinished_digests(self) -> list[tuple[str, str, bytes]]:
        """(recipient, message_id, message) of digests begun and never finished."""
        ...

    def finish_digest(self, message_id: str, sent: bool, when: datetime | None = None) -> None:
        """`sent`: the server accepted it (kept); otherwise it and its articles are forgotten."""
        ...

    def last_digest(self, recipient: str) -> datetime | None:
        """When the latest digest to `recipient` was accepted by the server."""
        ...


class SearchIndex(Protocol):
    """Full-text search over the stored articles' index terms (headline and text), kept in
    the same transaction as the article (an edit in place re-indexes it)."""

    def search(
        self,
        query: SearchQuery,
        *,
        limit: int = 20,
        offset: int = 0,
        since: datetime | None = None,
        until: datetime | None = None,
        sources: Sequence[str] = (),
        statuses: Sequence[Status] = ("new",),
        subtopic: str | None = None,
        sort: str = "relevance",
    ) -> list[SearchHit]:
        """Articles matching `query`, filtered (dates: publication, else fetch date; inclusive).
        "relevance": BM25, the headline weighing more than the text, among the newest
        `RANK_WINDOW` matches (so that common words stay fast); "date": newest first."""
        ...

    def reindex(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Rebuild the index from the stored texts (after a normaliser change); returns how
        many articles. `progress(done, total)` is called now and then."""
        ...

    def index_version(self) -> str | None:
        """The normaliser version (`monitor.text.arabic.version`) the index was built with."""
        ...


class KeyValue(Protocol):
    """Small named values that must survive restarts and live with the store."""

    def get_state(self, key: str) -> str | None: ...

    def set_state(self, key: str, value: str) -> None: ...


class Browse(Protocol):
    """The web archive's reads, each answered by the database (paged, counted, grouped)
    rather than by loading the archive: so that a large store answers a page fast."""

    def story_ids(self, where: StoryFilter, *, limit: int = 20, offset: int = 0) -> list[str]:
        """One page of the stories matching `where`, latest article first."""
        ...

    def count_stories(self, where: StoryFilter) -> int:
        """How many stories match `where` (what `story_ids` would page through)."""
        ...

    def story_articles(
        self, story_ids: Sequence[str], where: StoryFilter | None = None
    ) -> list[StoredArticle]:
        """The articles of these stories (those `where` admits: its period and statuses;
        None: every new and duplicate one), in time order (publication, else fetch date)."""
        ...

    def coverage(
        self,
        where: StoryFilter,
        *,
        by: Literal["day", "week"] = "day",
        split: Literal["subtopic", "source"] | None = None,
    ) -> list[CoverageCount]:
        """Articles and stories per day (or ISO week, starting Monday) matching `where`, by
        bucket then key. Split by subtopic, an article counts once under each of its own."""
        ...

    def newest(self, statuses: Sequence[Status] = ("new",)) -> datetime | None:
        """The latest date (publication, else fetch date) of an article with one of `statuses`."""
        ...


class Store(
    Frontier,
    FeedLog,
    Archive,
    SeedCorpus,
    RunLog,
    DigestLog,
    SearchIndex,
    KeyValue,
    Browse,
    Protocol,
):
    """All of rasad's persistence, on one database."""

    def close(self) -> None: ...

"""The embedded SQLite store: one file, WAL, constraints, one transaction per step.

Durability model: a run writes each outcome (one article, one feed poll with its new
entries, one failure) in its own short transaction. A run killed at any instant leaves
every committed step whole and nothing half-written; entries whose article was not
committed stay `pending` in the frontier and are fetched by the next run.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.errors import StoreError
from monitor.judge.dedup import Fingerprint, fingerprint
from monitor.judge.seeds import Seed, text_hash
from monitor.models import FeedEntry
from monitor.text.urls import canonical_url
from store import dedup_index
from store.base import (
    STATUSES,
    DuplicateMatch,
    FeedHealth,
    FeedPoll,
    PendingEntry,
    PollOutcome,
    StoredArticle,
)


def _script(db: sqlite3.Connection, sql: str) -> None:
    """Run several statements inside the current transaction (executescript would commit)."""
    for statement in sql.split(";"):
        if statement.strip():
            db.execute(statement)


def _m1_initial(db: sqlite3.Connection) -> None:
    statuses = ", ".join(f"'{s}'" for s in STATUSES)
    _script(
        db,
        f"""
        CREATE TABLE seeds (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            outlet TEXT NOT NULL DEFAULT '',
            published TEXT,
            event TEXT NOT NULL DEFAULT '',
            text TEXT NOT NULL,
            text_hash TEXT NOT NULL
        );
        CREATE TABLE feeds (
            source TEXT NOT NULL,
            url TEXT NOT NULL,
            etag TEXT,
            last_modified TEXT,
            last_poll TEXT,
            last_success TEXT,
            last_status INTEGER,
            last_error TEXT,
            error_streak INTEGER NOT NULL DEFAULT 0,
            items_seen INTEGER NOT NULL DEFAULT 0,
            last_new_item TEXT,
            PRIMARY KEY (source, url)
        );
        CREATE TABLE entries (
            canonical_url TEXT PRIMARY KEY,
            url TEXT NOT NULL,
            source TEXT NOT NULL,
            feed_url TEXT NOT NULL,
            title TEXT NOT NULL DEFAULT '',
            guid TEXT,
            published TEXT,
            summary TEXT NOT NULL DEFAULT '',
            first_seen TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'failed', 'done')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            last_attempt TEXT
        );
        CREATE INDEX entries_pending ON entries (source, state) WHERE state != 'done';
        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL,
            canonical_url TEXT NOT NULL UNIQUE,
            fetched_url TEXT,
            source TEXT NOT NULL,
            title TEXT NOT NULL,
            published TEXT,
            fetched TEXT NOT NULL,
            updated TEXT,
            text TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            language TEXT,
            status TEXT NOT NULL CHECK (status IN ({statuses})),
            relevance REAL NOT NULL DEFAULT 0,
            verdict TEXT,
            duplicate_of TEXT,
            similarity REAL
        );
        CREATE INDEX articles_fetched ON articles (fetched);
        CREATE INDEX articles_status ON articles (status, fetched);
        CREATE INDEX articles_hash ON articles (text_hash);
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            started TEXT NOT NULL,
            finished TEXT,
            state TEXT NOT NULL DEFAULT 'running'
                CHECK (state IN ('running', 'ok', 'failed', 'interrupted')),
            sources TEXT NOT NULL,
            report TEXT
        );
    """,
    )


def _m2_state(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated TEXT)")


def _m3_polling(db: sqlite3.Connection) -> None:
    # when a failed page may be tried again (backoff, Retry-After); NULL: at once
    db.execute("ALTER TABLE entries ADD COLUMN next_attempt TEXT")
    # the polling policy's per-feed state (monitor.sources.polling.FeedState as JSON)
    db.execute("ALTER TABLE feeds ADD COLUMN state TEXT")
    # robots.txt per host, reused across runs for a day (RFC 9309 allows caching for 24 h)
    db.execute(
        "CREATE TABLE robots (host TEXT PRIMARY KEY, status INTEGER NOT NULL,"
        " body BLOB NOT NULL, fetched TEXT NOT NULL)"
    )


def _m4_dedup(db: sqlite3.Connection) -> None:
    """The near-duplicate index, filled with every seed and article already stored."""
    dedup_index.create_schema(db)
    db.execute("CREATE INDEX articles_duplicate_of ON articles (duplicate_of)")
    rows = db.execute("SELECT 'seed:' || id, title, text FROM seeds").fetchall()
    rows += db.execute("SELECT canonical_url, title, text FROM articles").fetchall()
    dedup_index.add_many(db, ((doc, fingerprint(title, text)) for doc, title, text in rows))


def _m5_skipped(db: sqlite3.Connection) -> None:
    """Frontier state 'skipped': a sitemap URL listed but not fetched, too old to be news
    (`monitor.sources.sitemaps.select_entries`). SQLite cannot alter a CHECK, so the table is
    rebuilt with the same columns and rows."""
    _script(
        db,
        """
        CREATE TABLE entries_new (
            canonical_url TEXT PRIMARY KEY,
            url TEXT NOT NULL,
            source TEXT NOT NULL,
            feed_url TEXT NOT NULL,
            title TEXT NOT NULL DEFAULT '',
            guid TEXT,
            published TEXT,
            summary TEXT NOT NULL DEFAULT '',
            first_seen TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'failed', 'done', 'skipped')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            last_attempt TEXT,
            next_attempt TEXT
        );
        INSERT INTO entries_new (canonical_url, url, source, feed_url, title, guid, published,
            summary, first_seen, state, attempts, last_error, last_attempt, next_attempt)
            SELECT canonical_url, url, source, feed_url, title, guid, published, summary,
            first_seen, state, attempts, last_error, last_attempt, next_attempt FROM entries;
        DROP TABLE entries;
        ALTER TABLE entries_new RENAME TO entries;
        CREATE INDEX entries_pending ON entries (source, state)
            WHERE state != 'done' AND state != 'skipped'
        """,
    )


# Schema changes are small named functions applied in order, each exactly once.
MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = [
    ("initial", _m1_initial),
    ("state", _m2_state),
    ("polling", _m3_polling),
    ("dedup", _m4_dedup),
    ("skipped", _m5_skipped),
]


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class SQLiteStore:
    """The Store protocol on one SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(
                f"cannot open the store at {self.path.resolve()}: {exc}; check that "
                "store.url names a writable file (not a directory)",
                at_open=True,
            ) from exc

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _migrate(self) -> None:
        with self._tx() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)"
            )
            done = {row[0] for row in db.execute("SELECT version FROM schema_migrations")}
            for version, (name, migrate) in enumerate(MIGRATIONS, start=1):
                if version in done:
                    continue
                migrate(db)
                db.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    (version, name, _iso(datetime.now(UTC))),
                )
            if max(done, default=0) > len(MIGRATIONS):
                raise StoreError(
                    f"{self.path} was written by a newer rasad "
                    f"(schema {max(done)}); upgrade rasad to use it",
                    at_open=True,
                )

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("SELECT max(version) FROM schema_migrations").fetchone()[0])

    # seed corpus ---------------------------------------------------------------

    def load_seeds(self, seeds: Iterable[Seed]) -> int:
        """Insert seeds not yet stored, into the near-duplicate index too; returns how many."""
        added = 0
        with self._tx() as db:
            for s in seeds:
                cursor = db.execute(
                    "INSERT OR IGNORE INTO seeds (id, title, outlet, published, event, text,"
                    " text_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (s.id, s.title, s.outlet, s.published, s.event, s.text, text_hash(s.text)),
                )
                if cursor.rowcount:
                    dedup_index.add(db, s.ref, fingerprint(s.title, s.text))
                    added += 1
        return added

    def seeds(self) -> list[Seed]:
        rows = self._db.execute("SELECT * FROM seeds ORDER BY id")
        return [
            Seed(
                id=r["id"],
                title=r["title"],
                text=r["text"],
                outlet=r["outlet"],
                published=r["published"],
                event=r["event"],
            )
            for r in rows
        ]

    # frontier ------------------------------------------------------------------

    def seen(self, url: str) -> bool:
        """True once an article for this URL is stored: it is never fetched again."""
        key = canonical_url(url)
        row = self._db.execute("SELECT 1 FROM articles WHERE canonical_url = ?", (key,)).fetchone()
        return row is not None

    def record_poll(
        self,
        poll: FeedPoll,
        entries: Sequence[FeedEntry] = (),
        max_attempts: int = 5,
        skipped: Sequence[FeedEntry] = (),
    ) -> PollOutcome:
        """Record one feed poll and its entries in one transaction.

        The outcome lists the entries whose article is not stored yet (new ones, and ones
        left pending or failed by earlier runs, due and with attempts to spare), in feed
        order, and counts the entries never seen before. An entry recorded `skipped`
        earlier is admitted (made pending) when it is given in `entries`.

        `skipped`: entries listed but not to be fetched (a sitemap's URLs older than its
        window); recorded in state 'skipped' unless the frontier has them already, never
        returned to fetch, never counted as new.
        """
        when = _iso(poll.polled)
        with self._tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO feeds (source, url) VALUES (?, ?)",
                (poll.source, poll.feed_url),
            )
            if not poll.ok:
                db.execute(
                    "UPDATE feeds SET last_poll = ?, last_status = ?, last_error = ?,"
                    " error_streak = error_streak + 1, state = coalesce(?, state)"
                    " WHERE source = ? AND url = ?",
                    (when, poll.http_status, poll.error, poll.state, poll.source, poll.feed_url),
                )
                return PollOutcome([])
            to_fetch, added = self._add_entries(db, poll, entries, when, max_attempts)
            self._add_skipped(db, poll, skipped, when)
            db.execute(
                "UPDATE feeds SET last_poll = ?, last_success = ?, last_status = ?,"
                " last_error = NULL, error_streak = 0, items_seen = items_seen + ?,"
                " last_new_item = CASE WHEN ? > 0 THEN ? ELSE last_new_item END,"
                " etag = coalesce(?, etag), last_modified = coalesce(?, last_modified),"
                " state = coalesce(?, state) WHERE source = ? AND url = ?",
                (
                    when,
                    when,
                    poll.http_status,
                    added,
                    added,
                    when,
                    poll.etag,
                    poll.last_modified,
                    poll.state,
                    poll.source,
                    poll.feed_url,
                ),
            )
            return PollOutcome(to_fetch, added)

    def set_feed_state(self, source: str, feed_url: str, state: str) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE feeds SET state = ? WHERE source = ? AND url = ?", (state, source, feed_url)
            )

    def reset_feed(self, source: str, feed_url: str, state: str) -> None:
        """Forget a feed's error streak (the state given is the policy's, already reset)."""
        with self._tx() as db:
            db.execute(
                "UPDATE feeds SET error_streak = 0, last_error = NULL, state = ?"
                " WHERE source = ? AND url = ?",
                (state, source, feed_url),
            )

    def feed_state(self, source: str, feed_url: str) -> str | None:
        """The polling policy's saved state of one feed (JSON), if it was polled before."""
        row = self._db.execute(
            "SELECT state FROM feeds WHERE source = ? AND url = ?", (source, feed_url)
        ).fetchone()
        return row[0] if row else None

    def _add_entries(
        self,
        db: sqlite3.Connection,
        poll: FeedPoll,
        entries: Sequence[FeedEntry],
        when: str | None,
        max_attempts: int,
    ) -> tuple[list[FeedEntry], int]:
        to_fetch: list[FeedEntry] = []
        added = 0
        for entry in entries:
            key = canonical_url(entry.url)
            cursor = db.execute(
                "INSERT OR IGNORE INTO entries (canonical_url, url, source, feed_url, title, guid,"
                " published, summary, first_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    entry.url,
                    poll.source,
                    poll.feed_url,
                    entry.title,
                    entry.guid,
                    _iso(entry.published),
                    entry.summary,
                    when,
                ),
            )
            added += cursor.rowcount
            state, attempts, next_attempt, title = db.execute(
                "SELECT state, attempts, next_attempt, title FROM entries WHERE canonical_url = ?",
                (key,),
            ).fetchone()
            if state == "skipped":  # listed before as too old; now admitted
                db.execute("UPDATE entries SET state = 'pending' WHERE canonical_url = ?", (key,))
                state = "pending"
            if state == "done" and entry.title and title and entry.title != title:
                # the publisher changed the headline of a stored story: fetch it once more,
                # so the store keeps the latest text (its outcome stays as it was)
                db.execute(
                    "UPDATE entries SET state = 'pending', title = ?, next_attempt = NULL,"
                    " attempts = 0 WHERE canonical_url = ?",
                    (entry.title, key),
                )
                state, next_attempt = "pending", None
            due = next_attempt is None or next_attempt <= when
            if state != "done" and attempts < max_attempts and due:
                to_fetch.append(entry)
        return to_fetch, added

    @staticmethod
    def _add_skipped(
        db: sqlite3.Connection, poll: FeedPoll, entries: Sequence[FeedEntry], when: str | None
    ) -> None:
        for entry in entries:
            db.execute(
                "INSERT OR IGNORE INTO entries (canonical_url, url, source, feed_url, title, guid,"
                " published, summary, first_seen, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?,"
                " 'skipped')",
                (
                    canonical_url(entry.url),
                    entry.url,
                    poll.source,
                    poll.feed_url,
                    entry.title,
                    entry.guid,
                    _iso(entry.published),
                    entry.summary,
                    when,
                ),
            )

    def entry_states(self, urls: Iterable[str]) -> dict[str, str]:
        """The frontier state (pending, failed, done or skipped) of each of `urls` it
        holds, keyed by the URL as given; URLs never listed are left out."""
        states: dict[str, str] = {}
        for url in urls:
            row = self._db.execute(
                "SELECT state FROM entries WHERE canonical_url = ?", (canonical_url(url),)
            ).fetchone()
            if row is not None:
                states[url] = row[0]
        return states

    def pending(
        self, source: str, max_attempts: int, now: datetime | None = None
    ) -> list[PendingEntry]:
        """Entries of a source still waiting for their article, under the attempt limit and,
        given `now`, due (a failed page waits out its backoff before it is tried again)."""
        rows = self._db.execute(
            "SELECT * FROM entries WHERE source = ? AND state != 'done' AND state != 'skipped'"
            " AND attempts < ?"
            " AND (? IS NULL OR next_attempt IS NULL OR next_attempt <= ?) ORDER BY first_seen",
            (source, max_attempts, _iso(now), _iso(now)),
        )
        return [
            PendingEntry(
                source=r["source"],
                attempts=r["attempts"],
                entry=FeedEntry(
                    url=r["url"],
                    title=r["title"],
                    guid=r["guid"],
                    published=_dt(r["published"]),
                    summary=r["summary"],
                ),
            )
            for r in rows
        ]

    def attempts(self, url: str) -> int:
        """How often fetching this URL's article has failed so far."""
        row = self._db.execute(
            "SELECT attempts FROM entries WHERE canonical_url = ?", (canonical_url(url),)
        ).fetchone()
        return int(row[0]) if row else 0

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
        key = canonical_url(url)
        with self._tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO entries (canonical_url, url, source, feed_url, first_seen)"
                " VALUES (?, ?, ?, '', ?)",
                (key, url, source, _iso(when)),
            )
            db.execute(
                "UPDATE entries SET state = 'failed', attempts = attempts + 1, last_error = ?,"
                " last_attempt = ?, next_attempt = ? WHERE canonical_url = ? AND state != 'done'",
                (reason, _iso(when), _iso(next_attempt), key),
            )
            row = db.execute("SELECT attempts FROM entries WHERE canonical_url = ?", (key,))
            return int(row.fetchone()[0])

    # articles ------------------------------------------------------------------

    def add(self, article: StoredArticle, fp: Fingerprint | None = None) -> str:
        """Store an article, index its fingerprint and close its frontier entry, atomically.

        Returns "added", or "updated" when the URL was stored before: the text is
        replaced by the latest one (and re-indexed) and the earlier outcome (status) is kept.
        """
        values = self._article_row(article)
        fp = fp or fingerprint(article.title, article.text)
        with self._tx() as db:
            existing = db.execute(
                "SELECT id FROM articles WHERE canonical_url = ?", (article.canonical_url,)
            ).fetchone()
            if existing:
                db.execute(
                    "UPDATE articles SET text = ?, text_hash = ?, title = ?, updated = ?"
                    " WHERE id = ?",
                    (
                        article.text,
                        values["text_hash"],
                        article.title,
                        values["fetched"],
                        existing["id"],
                    ),
                )
                outcome = "updated"
            else:
                columns = ", ".join(values)
                marks = ", ".join("?" for _ in values)
                db.execute(
                    f"INSERT INTO articles ({columns}) VALUES ({marks})", tuple(values.values())
                )
                outcome = "added"
            dedup_index.add(db, article.canonical_url, fp)
            db.execute(
                "UPDATE entries SET state = 'done', last_attempt = ?, last_error = NULL,"
                " attempts = attempts + 1 WHERE canonical_url IN (?, ?)",
                (values["fetched"], article.canonical_url, canonical_url(article.url)),
            )
        return outcome

    def find_duplicate(self, fp: Fingerprint) -> DuplicateMatch | None:
        """The seed or stored story this text repeats (exact, or near by containment).

        A match that is itself a duplicate points on to the story it repeats, so every
        copy of a story links to one original: the cluster's root.
        """
        match = dedup_index.find_duplicate(self._db, fp)
        if match is None:
            return None
        root = self._db.execute(
            "SELECT duplicate_of FROM articles WHERE canonical_url = ?", (match.doc,)
        ).fetchone()
        doc = root[0] if root and root[0] else match.doc
        return DuplicateMatch(doc, round(match.similarity.containment, 4), match.exact)

    def also_reported_by(self, doc: str) -> list[str]:
        """The URLs of the stored copies of a story (its cluster), oldest first."""
        rows = self._db.execute(
            "SELECT url FROM articles WHERE duplicate_of = ? ORDER BY fetched, id", (doc,)
        )
        return [row[0] for row in rows]

    @staticmethod
    def _article_row(article: StoredArticle) -> dict[str, Any]:
        if article.status not in STATUSES:
            raise StoreError(f"unknown status {article.status!r}")
        return {
            "url": article.url,
            "canonical_url": article.canonical_url,
            "fetched_url": article.fetched_url,
            "source": article.source,
            "title": article.title,
            "published": _iso(article.published),
            "fetched": _iso(article.fetched),
            "text": article.text,
            "text_hash": article.text_hash or text_hash(article.text),
            "language": article.language,
            "status": article.status,
            "relevance": article.relevance,
            "verdict": json.dumps(article.verdict, ensure_ascii=False) if article.verdict else None,
            "duplicate_of": article.duplicate_of,
            "similarity": article.similarity,
        }

    @staticmethod
    def _article(row: sqlite3.Row) -> StoredArticle:
        return StoredArticle(
            url=row["url"],
            canonical_url=row["canonical_url"],
            source=row["source"],
            title=row["title"],
            text=row["text"],
            status=row["status"],
            fetched=_dt(row["fetched"]) or datetime.now(UTC),
            published=_dt(row["published"]),
            fetched_url=row["fetched_url"],
            language=row["language"],
            relevance=row["relevance"],
            verdict=json.loads(row["verdict"]) if row["verdict"] else None,
            duplicate_of=row["duplicate_of"],
            similarity=row["similarity"],
            text_hash=row["text_hash"],
        )

    def rejudge(
        self, canonical: str, status: str, relevance: float, verdict: dict[str, Any] | None
    ) -> None:
        """Replace an article's outcome after the topic lexicon or threshold changed."""
        if status not in STATUSES:
            raise StoreError(f"unknown status {status!r}")
        with self._tx() as db:
            db.execute(
                "UPDATE articles SET status = ?, relevance = ?, verdict = ?"
                " WHERE canonical_url = ?",
                (
                    status,
                    relevance,
                    json.dumps(verdict, ensure_ascii=False) if verdict else None,
                    canonical,
                ),
            )

    def get(self, canonical: str) -> StoredArticle | None:
        row = self._db.execute(
            "SELECT * FROM articles WHERE canonical_url = ?", (canonical,)
        ).fetchone()
        return self._article(row) if row else None

    def articles(
        self, *, since: datetime | None = None, statuses: Sequence[str] = ("new",)
    ) -> Iterator[StoredArticle]:
        """Stored articles in the order they were fetched (streamed, not loaded whole)."""
        marks = ", ".join("?" for _ in statuses)
        query = f"SELECT * FROM articles WHERE status IN ({marks})"
        params: list[Any] = list(statuses)
        if since:
            query += " AND fetched >= ?"
            params.append(_iso(since))
        cursor = self._db.execute(query + " ORDER BY fetched, id", params)
        for row in cursor:
            yield self._article(row)

    def counts(self) -> dict[str, int]:
        rows = self._db.execute("SELECT status, count(*) FROM articles GROUP BY status")
        counts = {status: 0 for status in STATUSES}
        counts.update({row[0]: row[1] for row in rows})
        pending = self._db.execute(
            "SELECT count(*) FROM entries WHERE state != 'done' AND state != 'skipped'"
        )
        counts["pending"] = pending.fetchone()[0]
        return counts

    # robots.txt cache -----------------------------------------------------------

    def cached_robots(self, host: str) -> tuple[int, bytes, datetime] | None:
        """(HTTP status, body, when fetched) of a host's robots.txt, if cached."""
        row = self._db.execute(
            "SELECT status, body, fetched FROM robots WHERE host = ?", (host,)
        ).fetchone()
        return (row[0], bytes(row[1]), datetime.fromisoformat(row[2])) if row else None

    def cache_robots(self, host: str, status: int, body: bytes, fetched: datetime) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO robots (host, status, body, fetched) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (host) DO UPDATE SET status = excluded.status,"
                " body = excluded.body, fetched = excluded.fetched",
                (host, status, body, _iso(fetched)),
            )

    # small named values (the scheduler's job state, digest marks) ---------------

    def get_state(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_state(self, key: str, value: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO state (key, value, updated) VALUES (?, ?, ?) ON CONFLICT (key)"
                " DO UPDATE SET value = excluded.value, updated = excluded.updated",
                (key, value, _iso(datetime.now(UTC))),
            )

    # runs and feed health ----------------------------------------------------------

    def start_run(self, started: datetime, sources: Sequence[str]) -> int:
        with self._tx() as db:
            # A run still "running" here was killed: say so rather than leave it open.
            db.execute("UPDATE runs SET state = 'interrupted' WHERE state = 'running'")
            cursor = db.execute(
                "INSERT INTO runs (started, sources) VALUES (?, ?)",
                (_iso(started), json.dumps(list(sources))),
            )
            return int(cursor.lastrowid or 0)

    def finish_run(
        self, run_id: int, finished: datetime, state: str, report: dict[str, Any]
    ) -> None:
        """Close a run as "ok", "failed" (a source failed) or "interrupted" (stopped early)."""
        with self._tx() as db:
            db.execute(
                "UPDATE runs SET finished = ?, state = ?, report = ? WHERE id = ?",
                (
                    _iso(finished),
                    state,
                    json.dumps(report, ensure_ascii=False),
                    run_id,
                ),
            )

    def runs(self, limit: int = 10) -> list[dict[str, Any]]:
        rows = self._db.execute("SELECT * FROM runs ORDER BY id DESC LIMIT ?", (limit,))
        return [dict(row) for row in rows]

    def feed_health(self) -> list[FeedHealth]:
        rows = self._db.execute("SELECT * FROM feeds ORDER BY source, url")
        return [
            FeedHealth(
                source=r["source"],
                feed_url=r["url"],
                last_poll=_dt(r["last_poll"]),
                last_success=_dt(r["last_success"]),
                last_status=r["last_status"],
                last_error=r["last_error"],
                error_streak=r["error_streak"],
                items_seen=r["items_seen"],
                last_new_item=_dt(r["last_new_item"]),
                state=r["state"],
            )
            for r in rows
        ]

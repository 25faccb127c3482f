"""The schema of the SQLite store, as small named migrations applied in order, each once.

`SQLiteConnection` applies the ones a file lacks, in one transaction, when it opens the file
(`schema_migrations` records each); a file written by a newer rasad is refused. A migration
never commits (``executescript`` would): `_script` runs its statements one by one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from monitor.judge.fingerprints import fingerprint
from store.base import STATUSES
from store.sqlite import dedup_index, fts, stories


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


def _m6_stories(db: sqlite3.Connection) -> None:
    """Story clusters (`store.sqlite.stories`): each article's story id, its lead's canonical
    URL; the articles already stored are clustered in publication order."""
    db.execute("ALTER TABLE articles ADD COLUMN story TEXT")
    db.execute("CREATE INDEX articles_story ON articles (story)")
    stories.backfill(db)


def _m7_digests(db: sqlite3.Connection) -> None:
    """The digest log (`store.sqlite.digests`): messages per recipient and the articles
    each took; a message's items go with it when a refused message is forgotten."""
    _script(
        db,
        """
        CREATE TABLE digest_messages (
            message_id TEXT PRIMARY KEY,
            recipient TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('sending', 'sent')),
            created TEXT NOT NULL,
            sent TEXT,
            message BLOB
        );
        CREATE INDEX digest_messages_recipient ON digest_messages (recipient, state, sent);
        CREATE TABLE digest_items (
            recipient TEXT NOT NULL,
            article TEXT NOT NULL,
            message_id TEXT NOT NULL
                REFERENCES digest_messages (message_id) ON DELETE CASCADE,
            shown INTEGER NOT NULL,
            PRIMARY KEY (recipient, article)
        );
        CREATE INDEX digest_items_message ON digest_items (message_id);
        """,
    )


def _m8_search(db: sqlite3.Connection) -> None:
    """The search index (`store.sqlite.fts`), built from the articles already stored."""
    db.execute(fts.CREATE)
    fts.build(db)


def _m9_search_cover(db: sqlite3.Connection) -> None:
    """The filter columns of every article beside its id, so that search checks a match's
    status, outlet, dates and subtopics without reading the article row (bench/search_bench.py:
    p99 at 1M from 277 ms)."""
    db.execute(
        f"CREATE INDEX {fts.COVER} ON articles (id, status, source, published, fetched, verdict)"
    )


def _m10_browse(db: sqlite3.Connection) -> None:
    """The web archive's index (`store.sqlite.browse`): by status and date (publication, else
    fetch), covering what a story list or the coverage chart reads, so that a period is a
    range and no article row is read (100k articles: a 90-day coverage 148 -> 5 ms)."""
    db.execute(
        "CREATE INDEX articles_browse ON articles (status, coalesce(published, fetched),"
        " story, canonical_url, source, fetched, published, verdict)"
    )


# Schema changes are small named functions applied in order, each exactly once.
MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = [
    ("initial", _m1_initial),
    ("state", _m2_state),
    ("polling", _m3_polling),
    ("dedup", _m4_dedup),
    ("skipped", _m5_skipped),
    ("stories", _m6_stories),
    ("digests", _m7_digests),
    ("search", _m8_search),
    ("search_cover", _m9_search_cover),
    ("browse", _m10_browse),
]

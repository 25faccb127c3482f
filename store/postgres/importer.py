"""Copy a SQLite store into an empty PostgreSQL store, whole, in one transaction (`rasad migrate`).

Table by table with ``COPY ... FROM STDIN``: the SQLite store's values go over almost as they
are (PostgreSQL parses its ISO 8601 timestamps, JSON verdicts and 0/1 flags itself), article
and fingerprint ids included, so the near-duplicate postings stay valid and "newest first"
stays the same order. The search index is rebuilt from the texts with this rasad's
normaliser (it is a function of them). Either everything is copied or nothing is: a failure
rolls the target back to empty.

`verify` then compares the two: rows per table, and a sample of articles read back through
both stores' own `get`, which must be equal field for field.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from monitor.errors import StoreError
from store.postgres import fts
from store.postgres.connection import DB, PGConnection

#: (table, its columns as both stores name them, SQLite's ORDER BY): in dependency order.
#: entries and digest_messages get their ``seq`` from PostgreSQL, in SQLite's row order.
TABLES: Final[tuple[tuple[str, str, str], ...]] = (
    ("seeds", "id, title, outlet, published, event, text, text_hash", "id"),
    (
        "feeds",
        "source, url, etag, last_modified, last_poll, last_success, last_status, last_error,"
        " error_streak, items_seen, last_new_item, state",
        "source, url",
    ),
    ("robots", "host, status, body, fetched", "host"),
    (
        "entries",
        "canonical_url, url, source, feed_url, title, guid, published, summary, first_seen,"
        " state, attempts, last_error, last_attempt, next_attempt",
        "first_seen, rowid",
    ),
    (
        "articles",
        "id, url, canonical_url, fetched_url, source, title, published, fetched, updated, text,"
        " text_hash, language, status, relevance, verdict, duplicate_of, similarity, story",
        "id",
    ),
    ("runs", "id, started, finished, state, sources, report", "id"),
    ("state", "key, value, updated", "key"),
    ("digest_messages", "message_id, recipient, state, created, sent, message", "created, rowid"),
    ("digest_items", "recipient, article, message_id, shown", "recipient, article"),
    (
        "dedup_fingerprints",
        "id, doc, text_hash, shingle_count, token_count, banded, version, shingles",
        "id",
    ),
    ("dedup_bands", "key, fp", "key, fp"),
)
#: The identity columns whose counters must move past the copied ids.
_IDENTITIES: Final = ("articles", "runs", "dedup_fingerprints")
#: Report progress every this many rows.
_EVERY: Final = 5000

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Verified:
    """What `verify` found: per table (source rows, target rows), and articles that differ."""

    counts: dict[str, tuple[int, int]]
    sampled: int
    differing: list[str]

    @property
    def ok(self) -> bool:
        return not self.differing and all(a == b for a, b in self.counts.values())


def source_connection(path: Path) -> sqlite3.Connection:
    """The SQLite file, read-only (`rasad migrate` never writes its source)."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _rows(source: sqlite3.Connection, table: str, columns: str, order: str) -> Iterator[Any]:
    cursor = source.execute(f"SELECT {columns} FROM {table} ORDER BY {order}")
    while batch := cursor.fetchmany(1000):
        yield from batch


def _count(source: sqlite3.Connection, table: str) -> int:
    return int(source.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def copy_into(
    store: PGConnection, source: sqlite3.Connection, progress: Progress | None = None
) -> int:
    """Copy every table of `source` into the empty `store`; returns the articles copied.
    One transaction: on any failure the target is left as it was."""
    with store._tx() as target:
        row = target.execute("SELECT count(*) AS n FROM articles").fetchone()
        if row is not None and row["n"]:
            raise StoreError(
                f"the target store already holds {row['n']} articles; migrate into an empty one"
            )
        # the target's own fresh rows (the search index's version mark) make way for the copy's
        target.execute("DELETE FROM state")
        for table, columns, order in TABLES:
            total = _count(source, table)
            with target.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for done, values in enumerate(_rows(source, table, columns, order), start=1):
                    copy.write_row(values)
                    if progress and (done % _EVERY == 0 or done == total):
                        progress(table, done, total)
        for table in _IDENTITIES:
            target.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
            )
        articles = _count(source, "articles")
        _index(target, articles, progress)
    return articles


def _index(target: DB, total: int, progress: Progress | None) -> None:
    """The search index of every copied article, from its text (COPY of tsvector literals)."""
    rows = target.execute("SELECT id, title, text FROM articles ORDER BY id").fetchall()
    with target.cursor().copy("COPY article_search (id, terms) FROM STDIN") as copy:
        for done, r in enumerate(rows, start=1):
            copy.write_row((r["id"], fts.vector(r["title"], r["text"])))
            if progress and (done % _EVERY == 0 or done == total):
                progress("search index", done, total)
    fts.set_version(target)


def verify(
    source_path: Path, source: sqlite3.Connection, store: PGConnection, sample: int = 50
) -> Verified:
    """Rows per table on both sides, and `sample` random articles compared as each store
    reads them back (`Archive.get`)."""
    from store.postgres import PostgresStore
    from store.sqlite import SQLiteStore

    assert isinstance(store, PostgresStore)
    target = store._db
    counts = {}
    for table, _, _ in TABLES:
        row = target.execute(f"SELECT count(*) AS n FROM {table}").fetchone()
        counts[table] = (_count(source, table), int(row["n"]) if row else 0)
    row = target.execute("SELECT count(*) AS n FROM article_search").fetchone()
    counts["article_search"] = (counts["articles"][0], int(row["n"]) if row else 0)
    urls = [str(r[0]) for r in source.execute("SELECT canonical_url FROM articles ORDER BY id")]
    picked = random.Random(0).sample(urls, min(sample, len(urls)))
    old = SQLiteStore(source_path, read_only=True)
    try:
        differing = [url for url in picked if old.get(url) != store.get(url)]
    finally:
        old.close()
    return Verified(counts, len(picked), differing)

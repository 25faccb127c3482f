"""The near-duplicate index, kept in the SQLite store's own database.

Why in the store: the design forbids side files that can drift from the archive, and the index
must cover the seed corpus and every stored article, survive restarts and keep working at a
million articles without being loaded into memory. Everything here is SQL on the caller's
connection; nothing is cached in the process.

Transactions are the caller's: the store runs in autocommit mode and wraps each step in
``BEGIN IMMEDIATE`` ... ``COMMIT``, so that an article row and its fingerprint are written, or
rolled back, together. No function here begins, commits or rolls back.

Tables (``create_schema``, idempotent, statement by statement so it can run inside a migration):

``dedup_fingerprints``
    one row per indexed document: ``doc`` ("seed:<ID>" for a seed, the canonical URL for an
    article), the SHA-256 of its normalised text (32 bytes; NULL for an empty text), its
    shingle set (sorted 32-bit ints, 4 bytes a shingle: verification never needs the
    text itself), counts, whether its band keys are indexed, and the fingerprint version.
``dedup_bands``
    the LSH postings, ``(key, fp)`` in a WITHOUT ROWID table: the primary key *is* the lookup
    index, so a posting costs ~15 bytes and a lookup one B-tree seek. The band number is mixed
    into the key (``monitor.judge.dedup.band_keys``), so one column serves all bands.

Exact copies share one set of postings: a document whose text hash is already indexed adds its
fingerprint row but no band keys (``banded = 0``); removing the holder hands the postings on.
A band key shared by very many documents (templated boilerplate) is read at most
``POSTING_CAP`` rows deep, so no query can scan an unbounded list.

Typical use, inside the transaction that stores the article (``store.sqlite.archive``)::

    fp = dedup.fingerprint(article.title, article.text)
    match = dedup_index.find_duplicate(db, fp)        # None, or Match(doc, similarity, exact)
    ... dedup.decide() ... store the article as "duplicate" of the match's root, or as "new"
    dedup_index.add(db, canonical_url, fp)
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from monitor.judge import dedup
from monitor.judge.dedup import Fingerprint, Similarity

__all__ = [
    "POSTING_CAP",
    "Match",
    "add",
    "add_many",
    "candidates",
    "create_schema",
    "exact",
    "find_duplicate",
    "remove",
    "stale_count",
]

#: How deep one band key's posting list is read by a query.
POSTING_CAP: Final = 1000

_SCHEMA: Final = (
    """CREATE TABLE IF NOT EXISTS dedup_fingerprints (
        id INTEGER PRIMARY KEY,
        doc TEXT NOT NULL UNIQUE,
        text_hash BLOB,
        shingle_count INTEGER NOT NULL,
        token_count INTEGER NOT NULL,
        banded INTEGER NOT NULL DEFAULT 0,
        version INTEGER NOT NULL,
        shingles BLOB NOT NULL
    )""",
    """CREATE INDEX IF NOT EXISTS dedup_fingerprints_hash
        ON dedup_fingerprints (text_hash) WHERE text_hash IS NOT NULL""",
    """CREATE TABLE IF NOT EXISTS dedup_bands (
        key INTEGER NOT NULL,
        fp INTEGER NOT NULL,
        PRIMARY KEY (key, fp)
    ) WITHOUT ROWID""",
)


def create_schema(db: sqlite3.Connection) -> None:
    """Create the index tables if absent. Safe inside the caller's transaction (no executescript,
    which would commit) and safe to run again."""
    for statement in _SCHEMA:
        db.execute(statement)


@dataclass(frozen=True)
class Match:
    """The stored document a new text repeats, and how closely."""

    doc: str
    similarity: Similarity
    exact: bool  # same normalised text (no shingle comparison needed)


_EXACT_SIMILARITY: Final = Similarity(jaccard=1.0, containment=1.0, coverage=1.0, novel_run=0)


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def add(db: sqlite3.Connection, doc: str, fp: Fingerprint) -> None:
    """Index ``doc`` under ``fp``; a document indexed before is re-indexed (its text changed).

    A text too short to judge is hashed (with its headline) but not banded, so only an exact
    copy can match it; an empty text is recorded (so ``remove`` and re-indexing stay uniform)
    but matches nothing.
    """
    remove(db, doc)
    _insert(db, doc, fp)


def _insert(db: sqlite3.Connection, doc: str, fp: Fingerprint) -> None:
    text_hash = bytes.fromhex(fp.text_hash) if fp.hashable else None
    banded = fp.judgeable and fp.shingle_count > 0 and not _hash_is_banded(db, text_hash)
    cursor = db.execute(
        "INSERT INTO dedup_fingerprints"
        " (doc, text_hash, shingle_count, token_count, banded, version, shingles)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            doc,
            text_hash,
            fp.shingle_count,
            fp.token_count,
            int(banded),
            dedup.FINGERPRINT_VERSION,
            dedup.pack_shingles(fp.sequence),
        ),
    )
    if banded:
        _insert_bands(db, int(cursor.lastrowid or 0), fp.bands)


def add_many(db: sqlite3.Connection, items: Iterable[tuple[str, Fingerprint]]) -> int:
    """``add`` for a batch of *new* documents (a backfill, the seed corpus); returns the count.

    Faster than repeated ``add`` because it skips the per-document removal; a doc that is already
    indexed raises ``sqlite3.IntegrityError`` (use ``add`` to re-index).
    """
    count = 0
    for doc, fp in items:
        _insert(db, doc, fp)
        count += 1
    return count


def remove(db: sqlite3.Connection, doc: str) -> bool:
    """Drop ``doc`` from the index; returns whether it was there.

    Its band keys are recomputed from the stored shingles (so the postings table needs no second
    index on ``fp``); if another document holds the same text, that one inherits the postings.
    """
    row = db.execute(
        "SELECT id, text_hash, banded, shingles FROM dedup_fingerprints WHERE doc = ?", (doc,)
    ).fetchone()
    if row is None:
        return False
    fp_id, text_hash, banded, blob = row
    db.execute("DELETE FROM dedup_fingerprints WHERE id = ?", (fp_id,))
    if banded:
        keys = _keys_from_blob(blob)
        db.executemany(
            "DELETE FROM dedup_bands WHERE key = ? AND fp = ?", [(k, fp_id) for k in keys]
        )
        heir = db.execute(
            "SELECT id FROM dedup_fingerprints WHERE text_hash = ? ORDER BY id LIMIT 1",
            (text_hash,),
        ).fetchone()
        if heir is not None:
            db.execute("UPDATE dedup_fingerprints SET banded = 1 WHERE id = ?", (heir[0],))
            _insert_bands(db, heir[0], keys)
    return True


def _insert_bands(db: sqlite3.Connection, fp_id: int, keys: Sequence[int]) -> None:
    db.executemany(
        "INSERT OR IGNORE INTO dedup_bands (key, fp) VALUES (?, ?)", [(k, fp_id) for k in keys]
    )


def _hash_is_banded(db: sqlite3.Connection, text_hash: bytes | None) -> bool:
    if text_hash is None:
        return False
    row = db.execute(
        "SELECT 1 FROM dedup_fingerprints WHERE text_hash = ? AND banded = 1 LIMIT 1",
        (text_hash,),
    ).fetchone()
    return row is not None


def _keys_from_blob(blob: bytes) -> tuple[int, ...]:
    return dedup.band_keys(dedup.signature(dedup.unpack_shingles(blob)))


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def exact(db: sqlite3.Connection, text_hash: str) -> str | None:
    """The first-indexed document with exactly this normalised text, if any."""
    row = db.execute(
        "SELECT doc FROM dedup_fingerprints WHERE text_hash = ? ORDER BY id LIMIT 1",
        (bytes.fromhex(text_hash),),
    ).fetchone()
    return row[0] if row else None


def _candidate_sql(bands: int) -> str:
    # One capped sub-select per band key, so no posting list is read past POSTING_CAP rows.
    hits = " UNION ALL ".join(
        f"SELECT fp FROM (SELECT fp FROM dedup_bands WHERE key = ? LIMIT {POSTING_CAP})"
        for _ in range(bands)
    )
    return (
        f"SELECT f.id, f.doc, count(*) AS shared FROM ({hits}) AS h"
        " JOIN dedup_fingerprints AS f ON f.id = h.fp"
        " GROUP BY h.fp ORDER BY shared DESC, h.fp LIMIT ?"
    )


_CANDIDATE_SQL: dict[int, str] = {}


def _candidate_rows(
    db: sqlite3.Connection, fp: Fingerprint, limit: int
) -> list[tuple[int, str, int]]:
    if not fp.judgeable or not fp.bands or limit <= 0:
        return []
    sql = _CANDIDATE_SQL.get(len(fp.bands))
    if sql is None:
        sql = _CANDIDATE_SQL[len(fp.bands)] = _candidate_sql(len(fp.bands))
    return [(r[0], r[1], r[2]) for r in db.execute(sql, (*fp.bands, limit))]


def candidates(db: sqlite3.Connection, fp: Fingerprint, limit: int = 50) -> list[str]:
    """Documents sharing at least one band key with ``fp``, most shared bands first.

    Empty for a text too short to judge. Candidates are only *possible* near-duplicates: verify
    them (``find_duplicate`` does).
    """
    return [doc for _, doc, _ in _candidate_rows(db, fp, limit)]


def _shingle_sets(db: sqlite3.Connection, ids: Sequence[int]) -> Iterator[tuple[str, bytes]]:
    marks = ", ".join("?" for _ in ids)
    yield from db.execute(
        f"SELECT doc, shingles FROM dedup_fingerprints WHERE id IN ({marks}) ORDER BY id",
        tuple(ids),
    )


def find_duplicate(db: sqlite3.Connection, fp: Fingerprint, limit: int = 50) -> Match | None:
    """The stored document that ``fp``'s text republishes, or None.

    Exact text first (for a text too short to judge, exact text under the same headline, and
    nothing more); otherwise up to ``limit`` LSH candidates, verified against their stored
    shingle sets (no stored text is re-read or re-normalised) by ``dedup.closest``, which
    also chooses among several.
    """
    if not fp.hashable:
        return None
    doc = exact(db, fp.text_hash)
    if doc is not None:
        return Match(doc, _EXACT_SIMILARITY, exact=True)
    rows = _candidate_rows(db, fp, limit)
    if not rows:
        return None
    stored = (
        (doc, dedup.unpack_shingles(blob)) for doc, blob in _shingle_sets(db, [r[0] for r in rows])
    )
    best = dedup.closest(fp, stored)
    return Match(best[0], best[1], exact=False) if best else None


def stale_count(db: sqlite3.Connection) -> int:
    """Fingerprints written by another ``FINGERPRINT_VERSION`` (they need re-indexing)."""
    row = db.execute(
        "SELECT count(*) FROM dedup_fingerprints WHERE version != ?",
        (dedup.FINGERPRINT_VERSION,),
    ).fetchone()
    return int(row[0])

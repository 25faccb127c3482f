"""The near-duplicate index, kept in the PostgreSQL store's own database.

The same index as `store.sqlite.dedup_index` (read its docstring for the why): one
``dedup_fingerprints`` row per document with its packed shingle set, and the LSH postings
``dedup_bands (key, fp)`` whose primary key is the lookup index. Exact copies share one set of
postings (``banded``), handed on when the holder is removed; a crowded band key is read at
most `POSTING_CAP` rows deep. The same functions, on a psycopg connection, inside the
caller's transaction (none of them begins or commits).

What PostgreSQL changes is only how a batch of keys travels: as one ``bigint[]`` parameter,
unnested by the server (one statement per lookup or write, not one per band). The functions
take any psycopg connection (whatever its row factory: they read through a cursor of their
own), so the index's tests drive them as they drive the SQLite ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import psycopg
from psycopg.rows import DictRow, dict_row

from monitor.judge import dedup
from monitor.judge.dedup import Fingerprint, Similarity

DB = psycopg.Connection[Any]

__all__ = [
    "POSTING_CAP",
    "Match",
    "add",
    "add_many",
    "candidates",
    "exact",
    "find_duplicate",
    "remove",
    "stale_count",
]

#: How deep one band key's posting list is read by a query.
POSTING_CAP: Final = 1000


@dataclass(frozen=True)
class Match:
    """The stored document a new text repeats, and how closely."""

    doc: str
    similarity: Similarity
    exact: bool  # same normalised text (no shingle comparison needed)


_EXACT_SIMILARITY: Final = Similarity(jaccard=1.0, containment=1.0, coverage=1.0, novel_run=0)


def _run(db: DB, query: str, params: Sequence[Any] = ()) -> psycopg.Cursor[DictRow]:
    """One statement on a cursor of this module's own, answering dict rows."""
    return db.cursor(row_factory=dict_row).execute(query, params)


def add(db: DB, doc: str, fp: Fingerprint) -> None:
    """Index ``doc`` under ``fp``; a document indexed before is re-indexed (its text changed)."""
    remove(db, doc)
    _insert(db, doc, fp)


def add_many(db: DB, items: Iterable[tuple[str, Fingerprint]]) -> int:
    """``add`` for a batch of *new* documents; a doc indexed already raises UniqueViolation."""
    count = 0
    for doc, fp in items:
        _insert(db, doc, fp)
        count += 1
    return count


def _insert(db: DB, doc: str, fp: Fingerprint) -> None:
    text_hash = bytes.fromhex(fp.text_hash) if fp.hashable else None
    banded = fp.judgeable and fp.shingle_count > 0 and not _hash_is_banded(db, text_hash)
    row = _run(
        db,
        "INSERT INTO dedup_fingerprints"
        " (doc, text_hash, shingle_count, token_count, banded, version, shingles)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
        (
            doc,
            text_hash,
            fp.shingle_count,
            fp.token_count,
            banded,
            dedup.FINGERPRINT_VERSION,
            dedup.pack_shingles(fp.sequence),
        ),
    ).fetchone()
    if banded and row is not None:
        _insert_bands(db, int(row["id"]), fp.bands)


def remove(db: DB, doc: str) -> bool:
    """Drop ``doc`` from the index; returns whether it was there. Another document holding
    the same text inherits its postings."""
    row = _run(
        db,
        "DELETE FROM dedup_fingerprints WHERE doc = %s RETURNING id, text_hash, banded, shingles",
        (doc,),
    ).fetchone()
    if row is None:
        return False
    if row["banded"]:
        keys = dedup.band_keys(dedup.signature(dedup.unpack_shingles(bytes(row["shingles"]))))
        _run(
            db,
            "DELETE FROM dedup_bands WHERE key = ANY(%s::bigint[]) AND fp = %s",
            (list(keys), row["id"]),
        )
        heir = _run(
            db,
            "SELECT id FROM dedup_fingerprints WHERE text_hash = %s ORDER BY id LIMIT 1",
            (row["text_hash"],),
        ).fetchone()
        if heir is not None:
            _run(db, "UPDATE dedup_fingerprints SET banded = true WHERE id = %s", (heir["id"],))
            _insert_bands(db, int(heir["id"]), keys)
    return True


def _insert_bands(db: DB, fp_id: int, keys: Sequence[int]) -> None:
    _run(
        db,
        "INSERT INTO dedup_bands (key, fp) SELECT k, %s FROM unnest(%s::bigint[]) AS k"
        " ON CONFLICT DO NOTHING",
        (fp_id, list(keys)),
    )


def _hash_is_banded(db: DB, text_hash: bytes | None) -> bool:
    if text_hash is None:
        return False
    row = _run(
        db, "SELECT 1 FROM dedup_fingerprints WHERE text_hash = %s AND banded LIMIT 1", (text_hash,)
    ).fetchone()
    return row is not None


def exact(db: DB, text_hash: str) -> str | None:
    """The first-indexed document with exactly this normalised text, if any."""
    row = _run(
        db,
        "SELECT doc FROM dedup_fingerprints WHERE text_hash = %s ORDER BY id LIMIT 1",
        (bytes.fromhex(text_hash),),
    ).fetchone()
    return str(row["doc"]) if row else None


# One capped probe per band key (LATERAL ... LIMIT), so no posting list is read past the cap.
_CANDIDATES: Final = (
    "SELECT f.id, f.doc, count(*) AS shared"
    " FROM unnest(%s::bigint[]) AS k (key)"
    f" CROSS JOIN LATERAL (SELECT fp FROM dedup_bands b WHERE b.key = k.key LIMIT {POSTING_CAP})"
    " AS h JOIN dedup_fingerprints AS f ON f.id = h.fp"
    " GROUP BY f.id, f.doc ORDER BY shared DESC, f.id LIMIT %s"
)


def _candidate_rows(db: DB, fp: Fingerprint, limit: int) -> list[tuple[int, str, int]]:
    if not fp.judgeable or not fp.bands or limit <= 0:
        return []
    rows = _run(db, _CANDIDATES, (list(fp.bands), limit))
    return [(int(r["id"]), str(r["doc"]), int(r["shared"])) for r in rows]


def candidates(db: DB, fp: Fingerprint, limit: int = 50) -> list[str]:
    """Documents sharing at least one band key with ``fp``, most shared bands first."""
    return [doc for _, doc, _ in _candidate_rows(db, fp, limit)]


def find_duplicate(db: DB, fp: Fingerprint, limit: int = 50) -> Match | None:
    """The stored document that ``fp``'s text republishes, or None: exact text first, then up
    to ``limit`` LSH candidates verified against their stored shingle sets (`dedup.closest`)."""
    if not fp.hashable:
        return None
    doc = exact(db, fp.text_hash)
    if doc is not None:
        return Match(doc, _EXACT_SIMILARITY, exact=True)
    rows = _candidate_rows(db, fp, limit)
    if not rows:
        return None
    found = _run(
        db,
        "SELECT doc, shingles FROM dedup_fingerprints WHERE id = ANY(%s) ORDER BY id",
        ([r[0] for r in rows],),
    )
    stored = ((str(r["doc"]), dedup.unpack_shingles(bytes(r["shingles"]))) for r in found)
    best = dedup.closest(fp, stored)
    return Match(best[0], best[1], exact=False) if best else None


def stale_count(db: DB) -> int:
    """Fingerprints written by another ``FINGERPRINT_VERSION`` (they need re-indexing)."""
    row = _run(
        db,
        "SELECT count(*) AS n FROM dedup_fingerprints WHERE version <> %s",
        (dedup.FINGERPRINT_VERSION,),
    ).fetchone()
    return int(row["n"]) if row else 0

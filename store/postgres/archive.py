"""The archive on PostgreSQL: the `articles` table and, written with it, the near-duplicate index.

Every write closes the article's frontier entry and (re-)indexes its fingerprint and search
terms in the same transaction, as on SQLite (`store.sqlite.archive`).

Why advisory locks, and which. SQLite's atomic add is safe because BEGIN IMMEDIATE makes every
writer wait for every other. PostgreSQL's default READ COMMITTED is not: two transactions
storing copies of one story at the same instant each look the other's copy up before it is
committed, miss it, and both store "new" (a probe on PostgreSQL 15 did exactly that, and so
does tests/test_postgres.py with the locks switched off). The choices were:

- SERIALIZABLE: correct, but the loser fails with a serialization error and must be retried
  whole, and unrelated articles conflict too (their index lookups read the same pages), so
  retries grow with the number of workers;
- one advisory lock on the whole archive: correct, but serialises every write, which is what
  scaling out is meant to avoid;
- **transaction-level advisory locks on what a copy would share with its original**: the
  article's LSH band keys (a near-duplicate shares at least one band with what it repeats,
  or the index would not find it either), its normalised text hash (an exact copy) and its
  canonical URL (the same page twice). Taken in sorted order (so two transactions cannot
  deadlock), before the lookup, released at COMMIT. The second of two racing copies waits
  for the first's commit, then its lookup (a fresh snapshot: READ COMMITTED takes one per
  statement) finds the first copy: one "new", one "duplicate", no retry. Articles about
  different stories share no key and never wait for each other.

A lock key is a 64-bit number: band keys are ones already, a URL or hash is hashed to one
(`lock_key`); a collision between unrelated keys only makes one transaction wait.
`LOCKS` switches them off, for the test that shows the race is real.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

from psycopg.types.json import Jsonb

from monitor.errors import StoreError
from monitor.judge import dedup
from monitor.judge.dedup import Candidate, Fingerprint, fingerprint
from monitor.judge.seeds import text_hash
from monitor.text import urls
from store.adding import add_judged
from store.base import STATUSES, AddOutcome, Status, StoredArticle, Written
from store.postgres import dedup_index, fts, stories
from store.postgres.connection import DB, PGConnection, lock_key, ts

#: Whether the atomic add takes its advisory locks (False only in a test that shows the race).
LOCKS = True
#: Articles read per round trip when streaming (keyset pages: no cursor held open).
_PAGE = 500


def lock_keys(article: StoredArticle, fp: Fingerprint) -> list[int]:
    """The advisory-lock keys of an article, sorted: its bands, text hash and canonical URL."""
    keys = {lock_key("url:" + article.canonical_url)}
    if fp.hashable:
        keys.add(lock_key("hash:" + fp.text_hash))
    if fp.judgeable:
        keys.update(fp.bands)
    return sorted(keys)


def _lock(db: DB, keys: Sequence[int]) -> None:
    """Take the transaction's advisory locks, one at a time in the order given."""
    if LOCKS and keys:
        db.execute(
            "SELECT count(pg_advisory_xact_lock(k)) FROM"
            " (SELECT k FROM unnest(%s::bigint[]) WITH ORDINALITY AS u (k, n) ORDER BY n) AS s",
            (list(keys),),
        )


class PGArchive(PGConnection):
    """`store.protocols.Archive` on PostgreSQL."""

    def add_unless_duplicate(
        self,
        article: StoredArticle,
        fp: Fingerprint | None = None,
        *,
        declared_original: str | None = None,
    ) -> AddOutcome:
        """Store a judged article, as a duplicate when it repeats a stored story: one
        transaction, under the advisory locks of what a copy would share with it (see the
        module's docstring and `store.protocols.Archive.add_unless_duplicate`)."""
        fp = fp or fingerprint(article.title, article.text)
        with self._tx() as db:
            _lock(db, lock_keys(article, fp))
            stored = db.execute(
                "SELECT status, duplicate_of, similarity, story FROM articles"
                " WHERE canonical_url = %s",
                (article.canonical_url,),
            ).fetchone()
            return add_judged(
                article,
                fp,
                stored,
                declared=lambda: _declared(db, declared_original, article.text),
                indexed=lambda: _indexed(db, fp),
                story_of=partial(stories.story_of, db),
                write=partial(_write, db),
            )

    def add(self, article: StoredArticle, fp: Fingerprint | None = None) -> Written:
        """Store an article with the outcome it carries (see `store.protocols.Archive.add`)."""
        fp = fp or fingerprint(article.title, article.text)
        with self._tx() as db:
            _lock(db, [lock_key("url:" + article.canonical_url)])
            if article.story is None:
                article = replace(article, story=stories.story_of(db, article))
            return _write(db, article, fp)

    def get(self, canonical_url: str) -> StoredArticle | None:
        row = self._db.execute(
            "SELECT * FROM articles WHERE canonical_url = %s", (canonical_url,)
        ).fetchone()
        return article_from_row(row) if row else None

    def articles(
        self, *, since: datetime | None = None, statuses: Sequence[Status] = ("new",)
    ) -> Iterator[StoredArticle]:
        """Stored articles in the order they were fetched, read a page at a time."""
        after: tuple[datetime, int] | None = None
        while True:
            query = "SELECT * FROM articles WHERE status = ANY(%s)"
            params: list[Any] = [list(statuses)]
            if since:
                query += " AND fetched >= %s"
                params.append(ts(since))
            if after is not None:
                query += " AND (fetched, id) > (%s, %s)"
                params.extend(after)
            rows = self._db.execute(query + f" ORDER BY fetched, id LIMIT {_PAGE}", params)
            page = rows.fetchall()
            for row in page:
                yield article_from_row(row)
            if len(page) < _PAGE:
                return
            after = (page[-1]["fetched"], int(page[-1]["id"]))

    def also_reported_by(self, doc: str) -> list[str]:
        """The URLs of the stored copies of a story (its cluster), oldest first."""
        rows = self._db.execute(
            "SELECT url FROM articles WHERE duplicate_of = %s ORDER BY fetched, id", (doc,)
        )
        return [str(row["url"]) for row in rows]

    def rejudge(
        self,
        canonical_url: str,
        status: Status,
        relevance: float,
        verdict: dict[str, Any] | None,
    ) -> None:
        """Replace an article's outcome after the topic lexicon or threshold changed."""
        if status not in STATUSES:
            raise StoreError(f"unknown status {status!r}")
        with self._tx() as db:
            row = db.execute(
                "UPDATE articles SET status = %s, relevance = %s, verdict = %s"
                " WHERE canonical_url = %s RETURNING *",
                (status, relevance, _json(verdict), canonical_url),
            ).fetchone()
            if row is not None and (status == "off_topic") == (row["story"] is not None):
                story = stories.story_of(db, article_from_row(row))
                db.execute("UPDATE articles SET story = %s WHERE id = %s", (story, row["id"]))

    def counts(self) -> dict[str, int]:
        rows = self._db.execute("SELECT status, count(*) AS n FROM articles GROUP BY status")
        counts: dict[str, int] = {status: 0 for status in STATUSES}
        counts.update({str(row["status"]): int(row["n"]) for row in rows})
        pending = self._db.execute(
            "SELECT count(*) AS n FROM entries WHERE state <> 'done' AND state <> 'skipped'"
        ).fetchone()
        counts["pending"] = int(pending["n"]) if pending else 0
        return counts


def _declared(db: DB, original: str | None, text: str) -> Candidate | None:
    """The stored page an article names as its original, if it is stored."""
    if original is None:
        return None
    row = db.execute(
        "SELECT text, duplicate_of FROM articles WHERE canonical_url = %s", (original,)
    ).fetchone()
    if row is None:
        return None
    root = row["duplicate_of"] or original
    return Candidate(original, root, dedup.similarity(text, row["text"]))


def _indexed(db: DB, fp: Fingerprint) -> Candidate | None:
    """The index's exact or best near match (a seed or a stored article), with its root."""
    match = dedup_index.find_duplicate(db, fp)
    if match is None:
        return None
    row = db.execute(
        "SELECT duplicate_of FROM articles WHERE canonical_url = %s", (match.doc,)
    ).fetchone()
    root = row["duplicate_of"] if row is not None and row["duplicate_of"] else match.doc
    return Candidate(match.doc, root, match.similarity, match.exact)


def _write(db: DB, article: StoredArticle, fp: Fingerprint) -> Written:
    """Insert the article, or replace a stored one's text keeping its outcome; index it;
    close its frontier entry. Inside the caller's transaction."""
    values = _article_row(article)
    existing = db.execute(
        "UPDATE articles SET text = %s, text_hash = %s, title = %s, updated = %s"
        " WHERE canonical_url = %s RETURNING id",
        (
            article.text,
            values["text_hash"],
            article.title,
            values["fetched"],
            article.canonical_url,
        ),
    ).fetchone()
    written: Written = "updated"
    if existing is None:
        columns = ", ".join(values)
        marks = ", ".join("%s" for _ in values)
        existing = db.execute(
            f"INSERT INTO articles ({columns}) VALUES ({marks}) RETURNING id",
            tuple(values.values()),
        ).fetchone()
        written = "added"
    assert existing is not None
    fts.index(db, int(existing["id"]), article.title, article.text, article.index_terms)
    dedup_index.add(db, article.canonical_url, fp)
    db.execute(
        "UPDATE entries SET state = 'done', last_attempt = %s, last_error = NULL,"
        " attempts = attempts + 1 WHERE canonical_url IN (%s, %s)",
        (values["fetched"], article.canonical_url, urls.canonical_url(article.url)),
    )
    return written


def _json(verdict: dict[str, Any] | None) -> Jsonb | None:
    return Jsonb(verdict) if verdict else None


def _article_row(article: StoredArticle) -> dict[str, Any]:
    if article.status not in STATUSES:
        raise StoreError(f"unknown status {article.status!r}")
    return {
        "url": article.url,
        "canonical_url": article.canonical_url,
        "fetched_url": article.fetched_url,
        "source": article.source,
        "title": article.title,
        "published": ts(article.published),
        "fetched": ts(article.fetched),
        "text": article.text,
        "text_hash": article.text_hash or text_hash(article.text),
        "language": article.language,
        "status": article.status,
        "relevance": article.relevance,
        "verdict": _json(article.verdict),
        "duplicate_of": article.duplicate_of,
        "similarity": article.similarity,
        "story": article.story,
    }


def article_from_row(row: dict[str, Any]) -> StoredArticle:
    return StoredArticle(
        url=row["url"],
        canonical_url=row["canonical_url"],
        source=row["source"],
        title=row["title"],
        text=row["text"],
        status=row["status"],
        fetched=row["fetched"] or datetime.now(UTC),
        published=row["published"],
        fetched_url=row["fetched_url"],
        language=row["language"],
        relevance=row["relevance"],
        verdict=row["verdict"] or None,
        duplicate_of=row["duplicate_of"],
        similarity=row["similarity"],
        text_hash=row["text_hash"],
        story=row["story"],
    )

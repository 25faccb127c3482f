"""The archive on SQLite: the `articles` table and, written with it, the near-duplicate index.

Every write closes the article's frontier entry and (re-)indexes its fingerprint in the
same transaction, so the archive, the index and the frontier never disagree.

The atomic add (`add_unless_duplicate`) is one ``BEGIN IMMEDIATE`` transaction: it holds the
database's write lock from before the duplicate lookup until the article is committed, so
of two processes storing copies of one story, the second one's lookup finds the first's
copy. The decision itself is `monitor.judge.dedup.decide`'s; this module only finds the
candidates (the declared original, the index's match) and the cluster roots.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from sqlite3 import Connection, Row
from typing import Any

from monitor.errors import StoreError
from monitor.judge import dedup
from monitor.judge.dedup import Candidate, Fingerprint, fingerprint
from monitor.judge.seeds import text_hash
from monitor.text import urls
from store.adding import add_judged
from store.base import STATUSES, AddOutcome, Status, StoredArticle, Written
from store.sqlite import dedup_index, fts, stories
from store.sqlite.connection import SQLiteConnection, from_iso, iso


class SQLiteArchive(SQLiteConnection):
    """`store.protocols.Archive` on SQLite."""

    def add_unless_duplicate(
        self,
        article: StoredArticle,
        fp: Fingerprint | None = None,
        *,
        declared_original: str | None = None,
    ) -> AddOutcome:
        """Store a judged article, as a duplicate when it repeats a stored story: one
        transaction (see `store.protocols.Archive.add_unless_duplicate`)."""
        fp = fp or fingerprint(article.title, article.text)
        with self._tx(groupable=True) as db:
            stored = db.execute(
                "SELECT status, duplicate_of, similarity, story FROM articles"
                " WHERE canonical_url = ?",
                (article.canonical_url,),
            ).fetchone()
            return add_judged(
                article,
                fp,
                stored,
                declared=lambda: self._declared(db, declared_original, article.text),
                indexed=lambda: self._indexed(db, fp),
                story_of=partial(stories.story_of, db),
                write=partial(self._write, db),
            )

    def add(self, article: StoredArticle, fp: Fingerprint | None = None) -> Written:
        """Store an article with the outcome it carries (see `store.protocols.Archive.add`)."""
        fp = fp or fingerprint(article.title, article.text)
        with self._tx() as db:
            if article.story is None:
                article = replace(article, story=stories.story_of(db, article))
            return self._write(db, article, fp)

    @staticmethod
    def _declared(db: Connection, original: str | None, text: str) -> Candidate | None:
        """The stored page an article names as its original, if it is stored."""
        if original is None:
            return None
        row = db.execute(
            "SELECT text, duplicate_of FROM articles WHERE canonical_url = ?", (original,)
        ).fetchone()
        if row is None:
            return None
        root = row["duplicate_of"] or original
        return Candidate(original, root, dedup.similarity(text, row["text"]))

    @staticmethod
    def _indexed(db: Connection, fp: Fingerprint) -> Candidate | None:
        """The index's exact or best near match (a seed or a stored article), with its root."""
        match = dedup_index.find_duplicate(db, fp)
        if match is None:
            return None
        row = db.execute(
            "SELECT duplicate_of FROM articles WHERE canonical_url = ?", (match.doc,)
        ).fetchone()
        root = row[0] if row is not None and row[0] else match.doc
        return Candidate(match.doc, root, match.similarity, match.exact)

    def _write(self, db: Connection, article: StoredArticle, fp: Fingerprint) -> Written:
        """Insert the article, or replace a stored one's text keeping its outcome; index it;
        close its frontier entry. Inside the caller's transaction."""
        values = _article_row(article)
        existing = db.execute(
            "SELECT id FROM articles WHERE canonical_url = ?", (article.canonical_url,)
        ).fetchone()
        written: Written
        if existing:
            db.execute(
                "UPDATE articles SET text = ?, text_hash = ?, title = ?, updated = ? WHERE id = ?",
                (
                    article.text,
                    values["text_hash"],
                    article.title,
                    values["fetched"],
                    existing["id"],
                ),
            )
            written = "updated"
        else:
            columns = ", ".join(values)
            marks = ", ".join("?" for _ in values)
            cursor = db.execute(
                f"INSERT INTO articles ({columns}) VALUES ({marks})", tuple(values.values())
            )
            written = "added"
        rowid = int(existing["id"] if existing else cursor.lastrowid)  # type: ignore[arg-type]
        fts.index(db, rowid, article.title, article.text, article.index_terms)
        dedup_index.add(db, article.canonical_url, fp)
        db.execute(
            "UPDATE entries SET state = 'done', last_attempt = ?, last_error = NULL,"
            " attempts = attempts + 1 WHERE canonical_url IN (?, ?)",
            (values["fetched"], article.canonical_url, urls.canonical_url(article.url)),
        )
        return written

    def get(self, canonical_url: str) -> StoredArticle | None:
        row = self._db.execute(
            "SELECT * FROM articles WHERE canonical_url = ?", (canonical_url,)
        ).fetchone()
        return article_from_row(row) if row else None

    def articles(
        self, *, since: datetime | None = None, statuses: Sequence[Status] = ("new",)
    ) -> Iterator[StoredArticle]:
        """Stored articles in the order they were fetched (streamed, not loaded whole)."""
        marks = ", ".join("?" for _ in statuses)
        query = f"SELECT * FROM articles WHERE status IN ({marks})"
        params: list[Any] = list(statuses)
        if since:
            query += " AND fetched >= ?"
            params.append(iso(since))
        cursor = self._db.execute(query + " ORDER BY fetched, id", params)
        for row in cursor:
            yield article_from_row(row)

    def also_reported_by(self, doc: str) -> list[str]:
        """The URLs of the stored copies of a story (its cluster), oldest first."""
        rows = self._db.execute(
            "SELECT url FROM articles WHERE duplicate_of = ? ORDER BY fetched, id", (doc,)
        )
        return [str(row[0]) for row in rows]

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
            db.execute(
                "UPDATE articles SET status = ?, relevance = ?, verdict = ?"
                " WHERE canonical_url = ?",
                (status, relevance, _json(verdict), canonical_url),
            )
            row = db.execute(
                "SELECT * FROM articles WHERE canonical_url = ?", (canonical_url,)
            ).fetchone()
            if row is not None and (status == "off_topic") == (row["story"] is not None):
                story = stories.story_of(db, article_from_row(row))
                db.execute("UPDATE articles SET story = ? WHERE id = ?", (story, row["id"]))

    def counts(self) -> dict[str, int]:
        rows = self._db.execute("SELECT status, count(*) FROM articles GROUP BY status")
        counts: dict[str, int] = {status: 0 for status in STATUSES}
        counts.update({row[0]: row[1] for row in rows})
        pending = self._db.execute(
            "SELECT count(*) FROM entries WHERE state != 'done' AND state != 'skipped'"
        )
        counts["pending"] = int(pending.fetchone()[0])
        return counts


def _json(verdict: dict[str, Any] | None) -> str | None:
    return json.dumps(verdict, ensure_ascii=False) if verdict else None


def _article_row(article: StoredArticle) -> dict[str, Any]:
    if article.status not in STATUSES:
        raise StoreError(f"unknown status {article.status!r}")
    return {
        "url": article.url,
        "canonical_url": article.canonical_url,
        "fetched_url": article.fetched_url,
        "source": article.source,
        "title": article.title,
        "published": iso(article.published),
        "fetched": iso(article.fetched),
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


def article_from_row(row: Row) -> StoredArticle:
    return StoredArticle(
        url=row["url"],
        canonical_url=row["canonical_url"],
        source=row["source"],
        title=row["title"],
        text=row["text"],
        status=row["status"],
        fetched=from_iso(row["fetched"]) or datetime.now(UTC),
        published=from_iso(row["published"]),
        fetched_url=row["fetched_url"],
        language=row["language"],
        relevance=row["relevance"],
        verdict=json.loads(row["verdict"]) if row["verdict"] else None,
        duplicate_of=row["duplicate_of"],
        similarity=row["similarity"],
        text_hash=row["text_hash"],
        story=row["story"],
    )

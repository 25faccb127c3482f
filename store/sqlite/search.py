"""Archive search on SQLite, over the FTS5 table `store.sqlite.fts` keeps.

A query reaches FTS5 as an expression built here from a parsed `SearchQuery` whose every
word is quoted, so no input a person types can be FTS5 syntax. Ranking is bounded: BM25
(headline ×4) over the newest :data:`RANK_WINDOW` matches, which FTS5 yields in rowid order
and stops at, rather than over every match of a common word.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Final

from monitor.errors import StoreError
from store.base import SearchHit, SearchQuery, SearchTerm, Status
from store.sqlite import fts
from store.sqlite.archive import article_from_row
from store.sqlite.connection import SQLiteConnection, iso

#: How many of the newest matches are ranked by relevance.
RANK_WINDOW: Final = 2000
#: BM25 column weights: headline, text.
WEIGHTS: Final = (4.0, 1.0)


def _quote(term: SearchTerm) -> str:
    phrase = " ".join(term.words).replace('"', '""')
    return f'"{phrase}"' + (" *" if term.prefix else "")


def expression(query: SearchQuery) -> str:
    """The FTS5 MATCH expression of a parsed query."""
    if not query.all_of:
        raise StoreError("a search needs at least one word to find")
    groups = ["(" + " OR ".join(_quote(t) for t in group) + ")" for group in query.all_of if group]
    found = " AND ".join(groups)
    if query.none_of:
        found = f"({found}) NOT (" + " OR ".join(_quote(t) for t in query.none_of) + ")"
    return found


def ranking_window(
    query: SearchQuery,
    *,
    rows: int,
    since: datetime | None,
    until: datetime | None,
    sources: Sequence[str],
    statuses: Sequence[Status],
    subtopic: str | None,
    sort: str,
) -> tuple[str, list[Any]]:
    """The statement (and its parameters) of the newest `rows` matches passing the filters,
    as (id, score, at) rows. It carries no article text: sorting 2,000 whole rows cost more
    than finding them. The filter columns are read from a covering index rather than the
    article row, whose text pushes them onto overflow pages."""
    where = ["article_search MATCH ?"]
    params: list[Any] = [expression(query)]
    if statuses:
        where.append(f"a.status IN ({', '.join('?' for _ in statuses)})")
        params.extend(statuses)
    if sources:
        where.append(f"a.source IN ({', '.join('?' for _ in sources)})")
        params.extend(sources)
    if since is not None:
        where.append("coalesce(a.published, a.fetched) >= ?")
        params.append(iso(since))
    if until is not None:
        where.append("coalesce(a.published, a.fetched) <= ?")
        params.append(iso(until))
    if subtopic:
        where.append("EXISTS (SELECT 1 FROM json_each(a.verdict, '$.subtopics') WHERE value = ?)")
        params.append(subtopic)
    score = f"-bm25(article_search, {WEIGHTS[0]}, {WEIGHTS[1]})" if sort != "date" else "0"
    sql = (
        f"SELECT a.id AS id, {score} AS score, coalesce(a.published, a.fetched) AS at"
        f" FROM article_search JOIN articles a INDEXED BY {fts.COVER}"
        " ON a.id = article_search.rowid"
        f" WHERE {' AND '.join(where)}"
        " ORDER BY article_search.rowid DESC LIMIT ?"
    )
    return sql, [*params, rows]


class SQLiteSearchIndex(SQLiteConnection):
    """`store.protocols.SearchIndex` on SQLite."""

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
        window, params = ranking_window(
            query,
            rows=max(RANK_WINDOW, offset + limit),
            since=since,
            until=until,
            sources=sources,
            statuses=statuses,
            subtopic=subtopic,
            sort=sort,
        )
        key = "score" if sort != "date" else "at"
        rows = self._db.execute(
            f"SELECT a.*, page.score AS score FROM (SELECT * FROM ({window})"
            f" ORDER BY {key} DESC, id DESC LIMIT ? OFFSET ?) page"
            f" JOIN articles a ON a.id = page.id ORDER BY page.{key} DESC, page.id DESC",
            [*params, limit, offset],
        )
        return [SearchHit(article_from_row(r), float(f"{float(r['score']):.4g}")) for r in rows]

    def reindex(self, progress: Callable[[int, int], None] | None = None) -> int:
        with self._tx() as db:
            return fts.build(db, progress)

    def index_version(self) -> str | None:
        row = self._db.execute(
            "SELECT value FROM state WHERE key = ?", (fts.VERSION_KEY,)
        ).fetchone()
        return str(row[0]) if row else None

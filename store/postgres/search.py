"""Archive search on PostgreSQL, over the ``tsvector`` index `store.postgres.fts` keeps.

A parsed `SearchQuery` becomes a ``tsquery`` *literal* built here, every word quoted, so no
input a person types can be tsquery syntax, and no PostgreSQL dictionary touches the words
(they are index terms already, as in the index): a group of alternatives is ``( a | b )``,
the groups are joined by ``&``, a phrase is ``'a' <-> 'b'``, a prefix ``'a':*``, and the
excluded terms ``& !( ... )``.

Ranking mirrors the SQLite store's: among the newest :data:`RANK_WINDOW` matches (by article
id, newest first, so that a common word stays fast), ``ts_rank_cd`` with the headline's terms
weighing 4 times the text's (the weights of SQLite's BM25), normalised by the log of the
document's length (BM25 also favours the shorter of two texts saying the same). Scores are on
another scale than BM25's: compare them within one backend only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Final

from monitor.errors import StoreError
from store.base import SearchHit, SearchQuery, SearchTerm, Status
from store.postgres import fts
from store.postgres.archive import article_from_row
from store.postgres.connection import PGConnection, ts

#: How many of the newest matches are ranked by relevance.
RANK_WINDOW: Final = 2000
#: ts_rank_cd weights, in PostgreSQL's order {D, C, B, A}: text 1, headline 4.
WEIGHTS: Final = "{0.25, 0, 0, 1.0}"
#: ts_rank_cd normalisation: divide by 1 + log(document length).
NORMALISATION: Final = 1


def _term(term: SearchTerm) -> str | None:
    words = [fts.quote(fts.lexeme(w)) for w in term.words if fts.lexeme(w)]
    if not words:
        return None
    if term.prefix:
        words[-1] += ":*"
    return "(" + " <-> ".join(words) + ")"


def _alternatives(terms: Sequence[SearchTerm]) -> str | None:
    found = [t for t in (_term(term) for term in terms) if t]
    return "(" + " | ".join(found) + ")" if found else None


def tsquery(query: SearchQuery) -> str:
    """The tsquery literal of a parsed query."""
    groups = [g for g in (_alternatives(group) for group in query.all_of) if g]
    if not groups:
        raise StoreError("a search needs at least one word to find")
    found = " & ".join(groups)
    excluded = _alternatives(query.none_of)
    return f"({found}) & !{excluded}" if excluded else found


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
    as (id, score, at) rows, carrying no article text."""
    literal = tsquery(query)
    where = ["s.terms @@ %s::tsquery"]
    params: list[Any] = [literal]
    if statuses:
        where.append("a.status = ANY(%s)")
        params.append(list(statuses))
    if sources:
        where.append("a.source = ANY(%s)")
        params.append(list(sources))
    if since is not None:
        where.append("coalesce(a.published, a.fetched) >= %s")
        params.append(ts(since))
    if until is not None:
        where.append("coalesce(a.published, a.fetched) <= %s")
        params.append(ts(until))
    if subtopic:
        where.append("a.verdict -> 'subtopics' ? %s")
        params.append(subtopic)
    score = "0::real"
    if sort != "date":
        score = f"ts_rank_cd('{WEIGHTS}'::real[], s.terms, %s::tsquery, {NORMALISATION})"
        params.insert(0, literal)
    sql = (
        f"SELECT a.id AS id, {score} AS score, coalesce(a.published, a.fetched) AS at"
        " FROM article_search s JOIN articles a ON a.id = s.id"
        f" WHERE {' AND '.join(where)} ORDER BY s.id DESC LIMIT %s"
    )
    return sql, [*params, rows]


class PGSearchIndex(PGConnection):
    """`store.protocols.SearchIndex` on PostgreSQL."""

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
            f"SELECT a.*, page.score AS score FROM (SELECT * FROM ({window}) AS w"
            f" ORDER BY {key} DESC, id DESC LIMIT %s OFFSET %s) AS page"
            f" JOIN articles a ON a.id = page.id ORDER BY page.{key} DESC, page.id DESC",
            [*params, limit, offset],
        )
        return [SearchHit(article_from_row(r), float(f"{float(r['score']):.4g}")) for r in rows]

    def reindex(self, progress: Callable[[int, int], None] | None = None) -> int:
        with self._tx() as db:
            return fts.build(db, progress)

    def index_version(self) -> str | None:
        row = self._db.execute(
            "SELECT value FROM state WHERE key = %s", (fts.VERSION_KEY,)
        ).fetchone()
        return str(row["value"]) if row else None

"""The web archive's reads on PostgreSQL (`store.protocols.Browse`): paged, counted and grouped
by the server, with the SQLite store's rules (`store.sqlite.browse`).

A story's id is ``articles.story`` (else the article's own URL); an article's date is its
publication date, else its fetch date; day and week buckets are UTC days (the session's
TimeZone is UTC), weeks starting Monday (``date_trunc('week')`` is ISO's).

Unlike the SQLite store, nothing is remembered between calls: with many writers on many
machines there is no cheap "has anything changed" check like SQLite's ``data_version``, and
the server's own buffer cache keeps a repeated page fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from store.base import Status, StoredArticle
from store.postgres.archive import article_from_row
from store.postgres.connection import PGConnection, ts
from store.protocols import CoverageCount, StoryFilter

_STORY = "coalesce(story, canonical_url)"
_WHEN = "coalesce(published, fetched)"
_HAS_SUBTOPIC = "verdict -> 'subtopics' ? %s"
#: The first day of an article's day or week (ISO weeks: Monday), as YYYY-MM-DD.
_BUCKETS = {
    "day": f"to_char({_WHEN}, 'YYYY-MM-DD')",
    "week": f"to_char(date_trunc('week', {_WHEN}), 'YYYY-MM-DD')",
}


def _rows_where(where: StoryFilter) -> tuple[str, list[Any]]:
    """The WHERE clause choosing the articles a story list looks at (period, statuses)."""
    clause = "status = ANY(%s)"
    params: list[Any] = [list(where.statuses)]
    if where.since is not None:
        clause += f" AND {_WHEN} >= %s"
        params.append(ts(where.since))
    if where.until is not None:
        clause += f" AND {_WHEN} <= %s"
        params.append(ts(where.until))
    return clause, params


def _grouped(where: StoryFilter) -> tuple[str, list[Any]]:
    """The stories matching `where`, one row each: id, latest date, its lead's fetch date."""
    clause, params = _rows_where(where)
    having = "bool_or(status = 'new')"
    if where.source:
        having += " AND bool_or(source = %s)"
        params.append(where.source)
    if where.subtopic:
        having += f" AND coalesce(bool_or(status = 'new' AND {_HAS_SUBTOPIC}), false)"
        params.append(where.subtopic)
    sql = (
        f"SELECT {_STORY} AS sid, max({_WHEN}) AS latest,"
        f" coalesce(max(CASE WHEN canonical_url = {_STORY} THEN fetched END),"
        "  min(CASE WHEN status = 'new' THEN fetched END)) AS lead_fetched"
        f" FROM articles WHERE {clause} GROUP BY sid HAVING {having}"
    )
    return sql, params


class PGBrowse(PGConnection):
    """`store.protocols.Browse` on PostgreSQL."""

    def story_ids(self, where: StoryFilter, *, limit: int = 20, offset: int = 0) -> list[str]:
        sql, params = _grouped(where)
        rows = self._db.execute(
            # COLLATE "C": ties broken in byte order, as SQLite compares text
            f"SELECT sid FROM ({sql}) AS g"
            ' ORDER BY latest DESC, lead_fetched DESC, sid COLLATE "C" DESC LIMIT %s OFFSET %s',
            [*params, limit, offset],
        )
        return [str(row["sid"]) for row in rows]

    def count_stories(self, where: StoryFilter) -> int:
        sql, params = _grouped(where)
        row = self._db.execute(f"SELECT count(*) AS n FROM ({sql}) AS g", params).fetchone()
        return int(row["n"]) if row else 0

    def story_articles(
        self, story_ids: Sequence[str], where: StoryFilter | None = None
    ) -> list[StoredArticle]:
        clause, params = _rows_where(where or StoryFilter())
        rows = self._db.execute(
            f"SELECT * FROM articles WHERE story = ANY(%s) AND {clause}",
            [list(dict.fromkeys(story_ids)), *params],
        )
        found = [article_from_row(row) for row in rows]
        return sorted(found, key=lambda a: (a.published or a.fetched, a.fetched))

    def coverage(
        self,
        where: StoryFilter,
        *,
        by: Literal["day", "week"] = "day",
        split: Literal["subtopic", "source"] | None = None,
    ) -> list[CoverageCount]:
        clause, params = _rows_where(where)
        if where.source:
            clause += " AND source = %s"
            params.append(where.source)
        if where.subtopic:
            clause += f" AND {_HAS_SUBTOPIC}"
            params.append(where.subtopic)
        source, key = "articles", "NULL::text"
        if split == "source":
            key = "source"
        elif split == "subtopic":
            source = (
                "articles CROSS JOIN LATERAL jsonb_array_elements_text("
                "CASE WHEN jsonb_typeof(verdict -> 'subtopics') = 'array'"
                " THEN verdict -> 'subtopics' ELSE '[]' END) AS t (value)"
            )
            key = "t.value"
        # a copy of a seed belongs to no stored story: counted as an article, not a story
        story = f"CASE WHEN {_STORY} NOT LIKE 'seed:%%' THEN {_STORY} END"
        sql = (
            f"SELECT * FROM (SELECT {_BUCKETS[by]} AS bucket, {key} AS k, count(*) AS n,"
            f" count(DISTINCT {story}) AS stories FROM {source} WHERE {clause}"
            ' GROUP BY bucket, k) AS c ORDER BY bucket, k COLLATE "C"'
        )
        return [
            CoverageCount(
                str(r["bucket"]), None if r["k"] is None else str(r["k"]), r["n"], r["stories"]
            )
            for r in self._db.execute(sql, params)
        ]

    def newest(self, statuses: Sequence[Status] = ("new",)) -> datetime | None:
        row = self._db.execute(
            f"SELECT max({_WHEN}) AS at FROM articles WHERE status = ANY(%s)", (list(statuses),)
        ).fetchone()
        return row["at"] if row and row["at"] else None

"""The web archive's reads on SQLite (`store.protocols.Browse`): paged, counted and grouped by
the database, so that a page of a 100k-article store reads a page, not the archive.

A story's id is ``articles.story`` (an article stored before stories existed: its own URL);
an article's date is its publication date, else its fetch date, as everywhere in rasad.
Timestamps are ISO 8601 text in UTC, so their first ten characters are the UTC day.

The queries read the ``articles_browse`` index (migration 10) alone. A story list groups every
article of its period, so the unfiltered home page of a large store costs a scan of that
index: the ordered list of its story ids is remembered (every page and the count are then
slices of it), as are coverage counts, by all the connections to the file in this process,
until any write commits (`_Memo`): the web archive only reads, the crawl writes now and then.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

from store.base import Status, StoredArticle
from store.protocols import CoverageCount, StoryFilter
from store.sqlite.archive import article_from_row
from store.sqlite.connection import SQLiteConnection, from_iso, iso

T = TypeVar("T")

_STORY = "coalesce(story, canonical_url)"
_WHEN = "coalesce(published, fetched)"
_HAS_SUBTOPIC = "EXISTS (SELECT 1 FROM json_each(verdict, '$.subtopics') WHERE value = ?)"
#: The first day of an article's day or week (ISO weeks: Monday), as YYYY-MM-DD.
_BUCKETS = {
    "day": f"substr({_WHEN}, 1, 10)",
    "week": f"date(substr({_WHEN}, 1, 10), '-6 days', 'weekday 1')",
}
#: Answers remembered per store file (cleared whole when full, or when the data changes): a
#: story list is every matching story's id (100k articles: some 40k ids, a few MB).
MEMO_SIZE = 32
#: SQLite keeps at most this many parameters in one statement (older builds: 999).
_CHUNK = 500


def _rows_where(where: StoryFilter, by_index: bool = True) -> tuple[str, list[Any]]:
    """The WHERE clause choosing the articles a story list looks at (period, statuses);
    not `by_index`: written so that the planner does not read the browse index for it."""
    marks = ", ".join("?" for _ in where.statuses)
    clause = f"{'' if by_index else '+'}status IN ({marks})"
    params: list[Any] = list(where.statuses)
    if where.since is not None:
        clause += f" AND {_WHEN} >= ?"
        params.append(iso(where.since))
    if where.until is not None:
        clause += f" AND {_WHEN} <= ?"
        params.append(iso(where.until))
    return clause, params


def _grouped(where: StoryFilter) -> tuple[str, list[Any]]:
    """The stories matching `where`, one row each: id, latest date, its lead's fetch date."""
    clause, params = _rows_where(where)
    having = "sum(status = 'new') > 0"
    if where.source:
        having += " AND sum(source = ?) > 0"
        params.append(where.source)
    if where.subtopic:
        having += f" AND sum(status = 'new' AND {_HAS_SUBTOPIC}) > 0"
        params.append(where.subtopic)
    sql = (
        f"SELECT {_STORY} AS sid, max({_WHEN}) AS latest,"
        f" coalesce(max(CASE WHEN canonical_url = {_STORY} THEN fetched END),"
        "  min(CASE WHEN status = 'new' THEN fetched END)) AS lead_fetched"
        f" FROM articles WHERE {clause} GROUP BY sid HAVING {having}"
    )
    return sql, params


class _Memo:
    """The answers remembered for one store file, shared by its connections in this process.

    Valid while the file is unchanged: `version` is ``PRAGMA data_version`` on a connection of
    its own that never writes, so any commit (by this process or another) changes it; an answer
    is kept with the version read before its query ran, and used only while that is current.
    """

    def __init__(self, path: Path) -> None:
        self.lock = threading.Lock()
        self.answers: dict[tuple[Any, ...], tuple[int, Any]] = {}
        uri = path.resolve().as_uri() + "?mode=ro"
        self.watcher = sqlite3.connect(uri, uri=True, check_same_thread=False)

    def version(self) -> int:
        with self.lock:
            return int(self.watcher.execute("PRAGMA data_version").fetchone()[0])

    def get(self, key: tuple[Any, ...], version: int) -> tuple[bool, Any]:
        with self.lock:
            found = self.answers.get(key)
        return (True, found[1]) if found is not None and found[0] == version else (False, None)

    def put(self, key: tuple[Any, ...], version: int, answer: Any) -> None:
        with self.lock:
            if len(self.answers) >= MEMO_SIZE:
                self.answers.clear()
            self.answers[key] = (version, answer)


_MEMOS: dict[Path, _Memo] = {}
_MEMOS_LOCK = threading.Lock()


def _memo(path: Path) -> _Memo | None:
    if str(path) == ":memory:":
        return None
    with _MEMOS_LOCK:
        if path not in _MEMOS:
            try:
                _MEMOS[path] = _Memo(path)
            except sqlite3.Error:
                return None  # no second connection to watch with: nothing is remembered
        return _MEMOS[path]


class SQLiteBrowse(SQLiteConnection):
    """`store.protocols.Browse` on SQLite."""

    def _remembered(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """`compute()`, or its answer from before when the file has not changed since."""
        memo = _memo(self.path)
        try:
            version = memo.version() if memo is not None else None
        except sqlite3.Error:  # e.g. a read-only directory without the WAL's -shm file
            version = None
        if memo is None or version is None:
            return compute()
        hit, answer = memo.get(key, version)
        if not hit:
            answer = compute()
            memo.put(key, version, answer)
        return cast(T, answer)

    def _story_order(self, where: StoryFilter) -> list[str]:
        """Every story matching `where`, latest first: grouped once, then paged from memory."""

        def compute() -> list[str]:
            sql, params = _grouped(where)
            rows = self._db.execute(
                f"{sql} ORDER BY latest DESC, lead_fetched DESC, sid DESC", params
            )
            return [str(row[0]) for row in rows]

        return self._remembered(("stories", where), compute)

    def story_ids(self, where: StoryFilter, *, limit: int = 20, offset: int = 0) -> list[str]:
        return self._story_order(where)[offset : offset + limit]

    def count_stories(self, where: StoryFilter) -> int:
        return len(self._story_order(where))

    def story_articles(
        self, story_ids: Sequence[str], where: StoryFilter | None = None
    ) -> list[StoredArticle]:
        clause, params = _rows_where(where or StoryFilter(), by_index=False)
        found: list[StoredArticle] = []
        ids = list(dict.fromkeys(story_ids))
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ", ".join("?" for _ in chunk)
            # by the story index, not the period's range (a story is a few rows, a period may
            # be the whole archive); every on-topic article has a story
            rows = self._db.execute(
                f"SELECT * FROM articles WHERE story IN ({marks}) AND {clause}",
                [*chunk, *params],
            )
            found.extend(article_from_row(row) for row in rows)
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
            clause += " AND source = ?"
            params.append(where.source)
        if where.subtopic:
            clause += f" AND {_HAS_SUBTOPIC}"
            params.append(where.subtopic)
        bucket = _BUCKETS[by]
        source = "articles"
        key = "NULL"
        if split == "source":
            key = "source"
        elif split == "subtopic":
            source = "articles JOIN json_each(articles.verdict, '$.subtopics') AS t"
            key = "t.value"
        # a copy of a seed belongs to no stored story: counted as an article, not a story
        story = f"CASE WHEN {_STORY} NOT LIKE 'seed:%' THEN {_STORY} END"
        sql = (
            f"SELECT {bucket} AS bucket, {key} AS k, count(*), count(DISTINCT {story})"
            f" FROM {source} WHERE {clause} GROUP BY bucket, k ORDER BY bucket, k"
        )

        def compute() -> list[CoverageCount]:
            return [
                CoverageCount(str(r[0]), None if r[1] is None else str(r[1]), int(r[2]), int(r[3]))
                for r in self._db.execute(sql, params)
            ]

        return list(self._remembered(("coverage", where, by, split), compute))

    def newest(self, statuses: Sequence[Status] = ("new",)) -> datetime | None:
        marks = ", ".join("?" for _ in statuses)
        row = self._db.execute(
            f"SELECT max({_WHEN}) FROM articles WHERE status IN ({marks})", list(statuses)
        ).fetchone()
        return from_iso(row[0]) if row and row[0] else None

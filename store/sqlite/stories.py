"""Story clusters on SQLite: the ``articles.story`` column, assigned inside the write step.

The decision is ``monitor.judge.stories``'s; this module finds what it compares, on the
caller's connection and inside the caller's transaction (``Archive.add_unless_duplicate``),
so two workers storing write-ups of one event at once cannot both start a story:

* an off-topic article has no story;
* a duplicate takes its original's story (an original with none, an off-topic page or a
  seed, gives its own reference: the seeds are not clustered here, their dates being page
  headers);
* a new article joins the story of the most similar on-topic article published within
  ``stories.WINDOW_DAYS`` (at most :data:`CANDIDATES` of them, nearest in time first), or
  starts its own: its story id is its own canonical URL, and it is that story's lead.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from typing import Final

from monitor.judge import stories
from store.base import StoredArticle
from store.sqlite.timestamps import from_iso, iso

#: How many recent on-topic articles one new article is compared with, at most.
CANDIDATES: Final = 200


def story_of(db: sqlite3.Connection, article: StoredArticle) -> str | None:
    """The story ``article`` belongs to, as it is about to be stored."""
    if article.status == "off_topic":
        return None
    if article.status == "duplicate":
        original = article.duplicate_of or article.canonical_url
        row = db.execute(
            "SELECT story FROM articles WHERE canonical_url = ?", (original,)
        ).fetchone()
        return str(row[0]) if row is not None and row[0] else original
    when = article.published or article.fetched
    terms = stories.story_terms(article.title, article.text, when)
    window = timedelta(days=stories.WINDOW_DAYS)
    rows = db.execute(
        "SELECT story, title, substr(text, 1, ?) AS text, coalesce(published, fetched) AS at"
        " FROM articles"
        " WHERE status = 'new' AND story IS NOT NULL AND canonical_url != ?"
        " AND coalesce(published, fetched) BETWEEN ? AND ?"
        " ORDER BY abs(julianday(coalesce(published, fetched)) - julianday(?)), id LIMIT ?",
        (
            stories.HEAD_CHARS,  # all the decision reads of a text
            article.canonical_url,
            iso(when - window),
            iso(when + window),
            iso(when),
            CANDIDATES,
        ),
    )
    stored = (
        (str(r["story"]), stories.story_terms(r["title"], r["text"], from_iso(r["at"])))
        for r in rows
    )
    return stories.best_story(terms, stored) or article.canonical_url


def backfill(db: sqlite3.Connection) -> None:
    """Give every stored article its story, in publication order (the migration's step)."""
    rows = db.execute(
        "SELECT * FROM articles ORDER BY status != 'new', coalesce(published, fetched), id"
    ).fetchall()
    for row in rows:
        article = StoredArticle(
            url=row["url"],
            canonical_url=row["canonical_url"],
            source=row["source"],
            title=row["title"],
            text=row["text"],
            status=row["status"],
            fetched=from_iso(row["fetched"]),  # type: ignore[arg-type]
            published=from_iso(row["published"]),
            duplicate_of=row["duplicate_of"],
        )
        db.execute("UPDATE articles SET story = ? WHERE id = ?", (story_of(db, article), row["id"]))

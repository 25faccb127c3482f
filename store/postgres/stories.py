"""Story clusters on PostgreSQL: the ``articles.story`` column, assigned inside the write step.

The rules are `store.sqlite.stories`' (an off-topic article has none, a duplicate takes its
original's, a new one joins the most similar on-topic article published within
``stories.WINDOW_DAYS`` or starts its own); the decision is `monitor.judge.stories`'.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from monitor.judge import stories
from store.base import StoredArticle
from store.postgres.connection import DB, ts

#: How many recent on-topic articles one new article is compared with, at most.
CANDIDATES: Final = 200


def story_of(db: DB, article: StoredArticle) -> str | None:
    """The story ``article`` belongs to, as it is about to be stored."""
    if article.status == "off_topic":
        return None
    if article.status == "duplicate":
        original = article.duplicate_of or article.canonical_url
        row = db.execute(
            "SELECT story FROM articles WHERE canonical_url = %s", (original,)
        ).fetchone()
        return str(row["story"]) if row is not None and row["story"] else original
    when = ts(article.published or article.fetched)
    assert when is not None
    terms = stories.story_terms(article.title, article.text, when)
    window = timedelta(days=stories.WINDOW_DAYS)
    rows = db.execute(
        "SELECT story, title, substr(text, 1, %s) AS text, coalesce(published, fetched) AS at"
        " FROM articles"
        " WHERE status = 'new' AND story IS NOT NULL AND canonical_url <> %s"
        " AND coalesce(published, fetched) BETWEEN %s AND %s"
        " ORDER BY abs(extract(epoch FROM coalesce(published, fetched) - %s::timestamptz)), id"
        " LIMIT %s",
        (
            stories.HEAD_CHARS,  # all the decision reads of a text
            article.canonical_url,
            when - window,
            when + window,
            when,
            CANDIDATES,
        ),
    )
    stored = ((str(r["story"]), stories.story_terms(r["title"], r["text"], r["at"])) for r in rows)
    return stories.best_story(terms, stored) or article.canonical_url

"""The atomic add's decision, shared by the backends.

Each backend runs `add_judged` inside its own write transaction (SQLite: BEGIN IMMEDIATE;
PostgreSQL: under its advisory locks), handing it what only it can do: read the stored row,
look up the declared original and the index, pick the story cluster and write the row. The
order of the steps, and what wins, is decided here once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from monitor.judge import dedup
from monitor.judge.dedup import Candidate, Fingerprint
from store.base import AddOutcome, StoredArticle, Written


def add_judged(
    article: StoredArticle,
    fp: Fingerprint,
    stored: Mapping[str, Any] | None,
    *,
    declared: Callable[[], Candidate | None],
    indexed: Callable[[], Candidate | None],
    story_of: Callable[[StoredArticle], str | None],
    write: Callable[[StoredArticle, Fingerprint], Written],
) -> AddOutcome:
    """Store `article`, as a duplicate when it repeats a stored story.

    `stored` is the row already stored under its canonical URL (status, duplicate_of,
    similarity, story) or None. A new article that may be a duplicate is checked against the
    page it declares as its original first (that wins: `dedup.decide`), so the index is asked
    only without one. An article stored before is rewritten in place and keeps its outcome.
    """
    if stored is None and dedup.can_be_duplicate(article.status):
        found = declared()
        match = dedup.decide(found, None if found else indexed())
        if match is not None:
            article = replace(
                article,
                status="duplicate",
                duplicate_of=match.doc,
                similarity=match.similarity,
            )
    if stored is None:
        article = replace(article, story=story_of(article))
    written = write(article, fp)
    if stored is not None:  # edited in place: the earlier outcome stands
        return AddOutcome(
            written,
            stored["status"],
            stored["duplicate_of"],
            stored["similarity"],
            stored["story"],
        )
    return AddOutcome(
        written, article.status, article.duplicate_of, article.similarity, article.story
    )

"""The search index's table on PostgreSQL, written by the archive's write step: one
``tsvector`` of each article's index terms (`article_search`, keyed by ``articles.id``).

The terms are rasad's own (`monitor.text.search_terms.index_terms`: folded, clitic-stripped,
variant-folded, light-stemmed), exactly those of the SQLite store's FTS5 table. They reach
PostgreSQL as a ``tsvector`` *literal* built here (each term quoted, with its position and
weight), not through ``to_tsvector``: no PostgreSQL parser, dictionary or locale touches
them, so the index does not depend on the server's configuration (``simple`` would still
split at characters a C-locale server does not know as letters). The headline's terms carry
weight A and positions from 1; the text's weight D, after a gap, so that a phrase never runs
from the headline into the text (as FTS5 keeps its columns apart). Searching is
`store.postgres.search`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from monitor.text import search_terms
from store.postgres.db import DB

VERSION_KEY: Final = "search.version"
#: The highest position a tsvector records (later words keep this position).
_MAX_POSITION: Final = 16383
#: How many positions of one term a tsvector keeps (PostgreSQL drops the rest).
_MAX_POSITIONS: Final = 256


#: Characters of a term kept (PostgreSQL refuses a lexeme of 2 KB or more; a query's word is
#: cut alike, so a very long word still finds itself).
_MAX_LEXEME: Final = 500
#: Bytes of tsvector literal at most (PostgreSQL's limit is 1 MB): later new terms are left out.
_MAX_VECTOR: Final = 900_000


def lexeme(term: str) -> str:
    """An index term as the tsvector holds it: without NULs (PostgreSQL text has none), cut."""
    return term.replace("\x00", "")[:_MAX_LEXEME]


def quote(term: str) -> str:
    """A lexeme quoted for a tsvector or tsquery literal."""
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def vector(title: str, text: str, terms: tuple[str, str] | None = None) -> str:
    """The tsvector literal of an article: its index terms with positions and weights;
    `terms`: its title's and text's terms, space-joined, when the caller has them
    (`StoredArticle.index_terms`, computed by a crawl's worker processes)."""
    positions: dict[str, list[str]] = {}

    size = 0

    def place(words: Sequence[str], start: int, weight: str) -> int:
        nonlocal size
        at = start
        for term in words:
            word = lexeme(term)
            if word not in positions:
                if not word or size > _MAX_VECTOR:
                    at += 1
                    continue
                size += len(word.encode()) + 16
            spots = positions.setdefault(word, [])
            if len(spots) < _MAX_POSITIONS and at <= _MAX_POSITION:
                spots.append(f"{at}{weight}")
            at += 1
        return at

    if terms is None:
        title_terms, text_terms = search_terms.index_terms(title), search_terms.index_terms(text)
    else:  # split(" ") keeps an empty term where index_terms gave one: same positions
        title_terms, text_terms = (part.split(" ") if part else [] for part in terms)
    after_title = place(title_terms, 1, "A")
    place(text_terms, after_title + 1, "")  # D is the unmarked weight
    return " ".join(f"{quote(w)}:{','.join(p)}" if p else quote(w) for w, p in positions.items())


def index(
    db: DB, article_id: int, title: str, text: str, terms: tuple[str, str] | None = None
) -> None:
    """(Re-)index one article, inside the caller's transaction (`terms`: see `vector`)."""
    db.execute(
        "INSERT INTO article_search (id, terms) VALUES (%s, %s::tsvector)"
        " ON CONFLICT (id) DO UPDATE SET terms = excluded.terms",
        (article_id, vector(title, text, terms)),
    )


def build(db: DB, progress: Callable[[int, int], None] | None = None) -> int:
    """Index every stored article afresh (`reindex`), in batches by id."""
    db.execute("DELETE FROM article_search")
    row = db.execute("SELECT count(*) AS n FROM articles").fetchone()
    total = int(row["n"]) if row else 0
    done, last = 0, 0
    while True:
        rows = db.execute(
            "SELECT id, title, text FROM articles WHERE id > %s ORDER BY id LIMIT 500", (last,)
        ).fetchall()
        if not rows:
            break
        for r in rows:
            index(db, int(r["id"]), r["title"], r["text"])
            done += 1
            if progress and (done % 1000 == 0 or done == total):
                progress(done, total)
        last = int(rows[-1]["id"])
    set_version(db)
    return done


def set_version(db: DB) -> None:
    db.execute(
        "INSERT INTO state (key, value) VALUES (%s, %s)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (VERSION_KEY, search_terms.version()),
    )

"""The search index's table on SQLite, written by the archive's write step: an FTS5 table of
each article's index terms, one row per article (rowid = ``articles.id``).

FTS5's own tokenizer knows nothing of Arabic (tashkeel splits words, no hamza or ta marbuta
folding, no clitics), so the table holds text rasad's normaliser has already produced
(`monitor.text.search_terms.index_terms`: folded, clitic-stripped, variant-folded, light-stemmed
words separated by spaces); FTS5 only splits it at the spaces. Searching is
`store.sqlite.search`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from sqlite3 import Connection
from typing import Final

from monitor.text import search_terms

VERSION_KEY: Final = "search.version"
#: The index search reads a match's filter columns from (`store.sqlite.search`).
COVER: Final = "articles_search_cover"

CREATE: Final = (
    "CREATE VIRTUAL TABLE article_search USING fts5(title, body,"
    " tokenize = 'unicode61 remove_diacritics 0', prefix = '2 3', detail = full)"
)


def index(
    db: Connection, rowid: int, title: str, text: str, terms: tuple[str, str] | None = None
) -> None:
    """(Re-)index one article, inside the caller's transaction; `terms`: its title's and
    text's index terms, space-joined, when the caller has them (`StoredArticle.index_terms`)."""
    if terms is None:
        terms = search_terms.index_text(title), search_terms.index_text(text)
    db.execute("DELETE FROM article_search WHERE rowid = ?", (rowid,))
    db.execute("INSERT INTO article_search (rowid, title, body) VALUES (?, ?, ?)", (rowid, *terms))


def build(db: Connection, progress: Callable[[int, int], None] | None = None) -> int:
    """Index every stored article afresh (the migration's step, and `reindex`)."""
    db.execute("DELETE FROM article_search")
    total = int(db.execute("SELECT count(*) FROM articles").fetchone()[0])
    done = 0
    for row in db.execute("SELECT id, title, text FROM articles ORDER BY id").fetchall():
        index(db, row[0], row[1], row[2])
        done += 1
        if progress and (done % 1000 == 0 or done == total):
            progress(done, total)
    _set_version(db)
    return done


def _set_version(db: Connection) -> None:
    db.execute(
        "INSERT INTO state (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (VERSION_KEY, search_terms.version()),
    )

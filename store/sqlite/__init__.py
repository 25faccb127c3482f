"""The embedded SQLite store: one file, WAL, constraints, one transaction per step.

`SQLiteStore` is the `store.protocols.Store` on one file, assembled from one class per
concern, each in its module over the shared connection (`connection`: the file, its
migrations and transactions):

``frontier``     `entries`: feed entries until their article is stored
``feeds``        `feeds`, `robots`: the feed log
``archive``      `articles`, and the atomic add with its duplicate lookup
``dedup_index``  `dedup_fingerprints`, `dedup_bands`: the near-duplicate index (SQL functions)
``seeds``        `seeds`: the seed corpus
``runs``         `runs`, `state`: the run log and small named values
``digests``      `digest_messages`, `digest_items`: what each digest sent to whom
``fts``, ``search``  `article_search`: the full-text index (FTS5) and the search over it
``migrations``   the schema, as named steps applied in order
"""

from __future__ import annotations

from typing import Final

from store.protocols import Store
from store.sqlite.archive import SQLiteArchive
from store.sqlite.browse import SQLiteBrowse
from store.sqlite.digests import SQLiteDigestLog
from store.sqlite.feeds import SQLiteFeedLog
from store.sqlite.frontier import SQLiteFrontier
from store.sqlite.runs import SQLiteKeyValue, SQLiteRunLog
from store.sqlite.search import SQLiteSearchIndex
from store.sqlite.seeds import SQLiteSeedCorpus

__all__ = ["SQLiteStore"]


class SQLiteStore(
    SQLiteFrontier,
    SQLiteFeedLog,
    SQLiteArchive,
    SQLiteSeedCorpus,
    SQLiteRunLog,
    SQLiteDigestLog,
    SQLiteSearchIndex,
    SQLiteKeyValue,
    SQLiteBrowse,
):
    """The Store on one SQLite file (`SQLiteStore(path)`; a missing file is created).

    `SQLiteStore(path, read_only=True)` opens an existing file without migrating or writing
    it, for the commands that only read (see `store.sqlite.connection`).
    """


# mypy checks here that SQLiteStore implements every concern of the Store with compatible
# types (parameter names of positional parameters it does not check: the contract suite does).
_IMPLEMENTS: Final[type[Store]] = SQLiteStore

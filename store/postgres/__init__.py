"""The PostgreSQL store: the same Store on a server, for many workers on many machines.

`PostgresStore` is the `store.protocols.Store` on one PostgreSQL database (psycopg 3, the
optional extra ``rasad[postgres]``; `store.open_store` imports this package only for a
``postgresql://`` URL). One class per concern, each in its module over the shared session
(`connection`: connecting, migrations, transactions), mirroring `store.sqlite`:

``frontier``     `entries`: feed entries until their article is stored
``feeds``        `feeds`, `robots`: the feed log
``archive``      `articles`, and the atomic add with its duplicate lookup under advisory locks
``dedup_index``  `dedup_fingerprints`, `dedup_bands`: the near-duplicate index
``stories``      the story cluster an article joins, inside its write step
``seeds``        `seeds`: the seed corpus
``runs``         `runs`, `state`: the run log and small named values
``digests``      `digest_messages`, `digest_items`: what each digest sent to whom
``fts``, ``search``  `article_search`: rasad's index terms as a tsvector, and the search over it
``browse``       the web archive's paged and grouped reads
``migrations``   the schema, as named steps applied in order
``importer``     a SQLite store copied in whole, and checked (`rasad migrate`)
"""

from __future__ import annotations

from typing import Final

from store.postgres.archive import PGArchive
from store.postgres.browse import PGBrowse
from store.postgres.connection import guard_methods
from store.postgres.digests import PGDigestLog
from store.postgres.feeds import PGFeedLog
from store.postgres.frontier import PGFrontier
from store.postgres.runs import PGKeyValue, PGRunLog
from store.postgres.search import PGSearchIndex
from store.postgres.seeds import PGSeedCorpus
from store.protocols import Store

__all__ = ["PostgresStore"]


class PostgresStore(
    PGFrontier,
    PGFeedLog,
    PGArchive,
    PGSeedCorpus,
    PGRunLog,
    PGDigestLog,
    PGSearchIndex,
    PGKeyValue,
    PGBrowse,
):
    """The Store on one PostgreSQL database (`PostgresStore(url)`; the schema is created or
    migrated unless `create` is false or `read_only`, see `store.postgres.connection`)."""


guard_methods(PostgresStore)  # a lost connection reconnects; server errors are StoreErrors

# mypy checks here that PostgresStore implements every concern of the Store with compatible
# types (parameter names of positional parameters it does not check: the contract suite does).
_IMPLEMENTS: Final[type[Store]] = PostgresStore

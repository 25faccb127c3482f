"""Persistence behind one narrow interface: `open_store(url)` gives a `Store`.

What other stages may import: `open_store`, the Protocols (`store.protocols`) and the records
(`store.base`). The implementations (`store.sqlite`, later `store.postgres`) are imported
only by `open_store`, lazily, so an optional driver is needed only by those who use it.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from monitor.config.loader import sqlite_path
from monitor.errors import StoreError, StoreMissing
from store.base import (
    STATUSES,
    AddOutcome,
    DuplicateMatch,
    EntryState,
    FeedHealth,
    FeedPoll,
    PendingEntry,
    PollOutcome,
    RunState,
    Status,
    StoredArticle,
    Written,
)
from store.protocols import (
    Archive,
    DigestLog,
    FeedLog,
    Frontier,
    KeyValue,
    RunLog,
    SeedCorpus,
    Store,
)

__all__ = [
    "POSTGRES_SCHEMES",
    "STATUSES",
    "AddOutcome",
    "Archive",
    "DigestLog",
    "DuplicateMatch",
    "EntryState",
    "FeedHealth",
    "FeedLog",
    "FeedPoll",
    "Frontier",
    "KeyValue",
    "PendingEntry",
    "PollOutcome",
    "RunLog",
    "RunState",
    "SeedCorpus",
    "Status",
    "Store",
    "StoredArticle",
    "Written",
    "lock_file",
    "open_store",
]


#: The URL schemes of the PostgreSQL store (libpq accepts both).
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def lock_file(url: str, name: str) -> Path:
    """Where the advisory lock `name` ("crawl", "schedule") of the store at `url` lives.

    For SQLite, beside the database file (data/rasad.db -> data/rasad.lock,
    data/rasad.schedule.lock); for PostgreSQL, one per database in the machine's temporary
    directory. Callers ask here rather than build a path themselves.
    """
    if url.startswith("sqlite:///"):
        db = sqlite_path(url)
        return (
            db.with_suffix(".lock") if name == "crawl" else db.with_name(f"{db.stem}.{name}.lock")
        )
    if url.startswith(POSTGRES_SCHEMES):
        # One crawl (one scheduler) per machine and database: a file in the temporary
        # directory named by a digest of the URL (no password on disk). Runs on other machines
        # are not excluded, and need not be: the store keeps them apart (advisory locks).
        digest = hashlib.sha256(url.encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"rasad-{digest}.{name}.lock"
    raise StoreError(f"no lock file for store URL {url!r}", at_open=True)


def open_store(url: str, *, create: bool = True, read_only: bool = False) -> Store:
    """Open (migrating as needed) the store a config's `store.url` names.

    With `create=False`, for commands that only read, a store that does not exist raises
    StoreMissing instead of being created empty (a command run from the wrong directory
    would otherwise report an empty archive as if it were the real one). `read_only` (which
    implies `create=False`) opens it without migrating or writing, so a read-only file or
    filesystem can still be read. Raises StoreError for a URL no implementation serves, or
    a store that cannot be opened (StoreCorrupt, also a StoreError, for a damaged file).
    """
    if url.startswith("sqlite:///"):
        from store.sqlite import SQLiteStore

        path = sqlite_path(url)
        if (read_only or not create) and not path.exists():
            raise StoreMissing(
                f"no store at {path.resolve()}; run `rasad crawl` first, or pass the "
                "config that names your store with --config"
            )
        return SQLiteStore(path, read_only=read_only)
    if url.startswith(POSTGRES_SCHEMES):
        try:
            from store.postgres import PostgresStore
        except ImportError:
            raise StoreError(
                "the PostgreSQL store needs psycopg 3: pip install 'rasad[postgres]'",
                at_open=True,
            ) from None
        return PostgresStore(url, create=create and not read_only, read_only=read_only)
    raise StoreError(f"unsupported store URL {url!r}", at_open=True)

"""Persistence behind one narrow interface (`store.base.Store`)."""

from __future__ import annotations

from monitor.config.loader import sqlite_path
from monitor.errors import StoreError, StoreMissing
from store.base import Store


def open_store(url: str, *, create: bool = True) -> Store:
    """Open (migrating as needed) the store a config's `store.url` names.

    With `create=False`, for commands that only read, a store that does not exist raises
    StoreMissing instead of being created empty (a command run from the wrong directory
    would otherwise report an empty archive as if it were the real one).
    """
    if url.startswith("sqlite:///"):
        from store.sqlite import SQLiteStore

        path = sqlite_path(url)
        if not create and not path.exists():
            raise StoreMissing(
                f"no store at {path.resolve()}; run `rasad crawl` first, or pass the "
                "config that names your store with --config"
            )
        return SQLiteStore(path)
    raise StoreError(f"unsupported store URL {url!r}", at_open=True)

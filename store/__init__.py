"""Persistence behind one narrow interface (`store.base.Store`)."""

from __future__ import annotations

from monitor.config import sqlite_path
from monitor.errors import StoreError
from store.base import Store


def open_store(url: str) -> Store:
    """Open (creating and migrating as needed) the store a config's `store.url` names."""
    if url.startswith("sqlite:///"):
        from store.sqlite import SQLiteStore

        return SQLiteStore(sqlite_path(url))
    raise StoreError(f"unsupported store URL {url!r}")

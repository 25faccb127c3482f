"""The SQLite file every part of the store works on: opened, migrated, one transaction a step.

Durability model: a run writes each outcome (one article, one feed poll with its new
entries, one failure) in its own short transaction. A run killed at any instant leaves
every committed step whole and nothing half-written; entries whose article was not
committed stay pending in the frontier and are fetched by the next run.

The connection runs in autocommit mode and each write step is ``BEGIN IMMEDIATE`` ...
``COMMIT`` (`SQLiteConnection._tx`): IMMEDIATE takes the write lock when the transaction
begins rather than at its first write, so a step that reads before it writes (the atomic
add's duplicate lookup) sees everything committed before it and nothing committed during
it. Other processes wait for the lock up to `BUSY_TIMEOUT` seconds. WAL lets readers go on
meanwhile.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from monitor.errors import StoreError
from store.sqlite import migrations
from store.sqlite.timestamps import from_iso, iso

__all__ = ["BUSY_TIMEOUT", "SQLiteConnection", "from_iso", "iso"]

#: Seconds a writer waits for another process's transaction before giving up.
BUSY_TIMEOUT: Final = 30.0


class SQLiteConnection:
    """One open store file: WAL, foreign keys, the schema migrated to this rasad's version.

    The concerns of the Store (frontier, feed log, archive, ...) are subclasses of this one,
    combined in `store.sqlite.SQLiteStore`.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(
                f"cannot open the store at {self.path.resolve()}: {exc}; check that "
                "store.url names a writable file (not a directory)",
                at_open=True,
            ) from exc

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write step: BEGIN IMMEDIATE ... COMMIT, rolled back on any exception."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _migrate(self) -> None:
        steps = migrations.MIGRATIONS  # looked up here, so a test can stop at an older schema
        with self._tx() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)"
            )
            done = {row[0] for row in db.execute("SELECT version FROM schema_migrations")}
            for version, (name, migrate) in enumerate(steps, start=1):
                if version in done:
                    continue
                migrate(db)
                db.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    (version, name, iso(datetime.now(UTC))),
                )
            if max(done, default=0) > len(steps):
                raise StoreError(
                    f"{self.path} was written by a newer rasad "
                    f"(schema {max(done)}); upgrade rasad to use it",
                    at_open=True,
                )

    @property
    def schema_version(self) -> int:
        row = self._db.execute("SELECT max(version) FROM schema_migrations").fetchone()
        return int(row[0])

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

Stores that are not perfect:

- **read-only** (``SQLiteConnection(path, read_only=True)``, for commands that only read):
  opened with ``mode=ro``, never migrated, never written, so an archive on a read-only
  filesystem or in a directory the user cannot write can still be exported, searched and
  served. When even SQLite's shared-memory file cannot be created beside it, the file is
  opened ``immutable`` (nobody can be writing a file nobody can write).
- **corrupt**: a quick check when a store is opened for writing, a cheap schema read when it
  is opened for reading, and every query afterwards raise `StoreCorrupt`, one line naming the
  file and how to recover it, instead of SQLite's bare "database disk image is malformed".
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from monitor.errors import StoreError
from store.sqlite import migrations
from store.sqlite.groups import WriteGroup
from store.sqlite.timestamps import from_iso, iso

__all__ = ["BUSY_TIMEOUT", "SQLiteConnection", "StoreCorrupt", "from_iso", "is_corruption", "iso"]

#: Seconds a writer waits for another process's transaction before giving up.
BUSY_TIMEOUT: Final = 30.0

_CORRUPT_CODES: Final = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})
_CORRUPT_WORDS: Final = ("malformed", "not a database", "corrupt")
_UNDECODABLE: Final = "Could not decode to UTF-8"


class StoreCorrupt(StoreError, sqlite3.DatabaseError):
    """The store file is damaged (SQLITE_CORRUPT, SQLITE_NOTADB).

    Also a `sqlite3.DatabaseError`, so code that handles SQLite's own errors still sees it.
    `detail` is what SQLite said.
    """

    def __init__(self, message: str, *, at_open: bool = False, detail: str = "") -> None:
        super().__init__(message, at_open=at_open)
        self.detail = detail


def is_corruption(exc: BaseException) -> bool:
    """Whether an exception is SQLite reporting a damaged or foreign file."""
    if isinstance(exc, StoreCorrupt):
        return True
    if isinstance(exc, sqlite3.OperationalError) and str(exc).startswith(_UNDECODABLE):
        return True  # rasad writes only UTF-8: text that is not is a damaged page
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF in _CORRUPT_CODES:
        return True
    return type(exc) is sqlite3.DatabaseError and any(w in str(exc) for w in _CORRUPT_WORDS)


def corrupt_message(path: Path, detail: object, *, at_open: bool = False) -> str:
    """One line: which file, what SQLite said, and how to get the data back."""
    where = path.resolve()
    said = str(detail).replace("*** in database main ***", "").split(" with text '")[0]
    said = " ".join("".join(ch if ch.isprintable() else " " for ch in said).split())
    said = said if len(said) <= 120 else said[:119] + "…"
    what = f"cannot open the store at {where}: it is" if at_open else f"the store {where} is"
    return (
        f"{what} damaged ({said}): recover it with "
        f'`sqlite3 {where} ".recover" | sqlite3 {where.with_suffix(".recovered.db")}` '
        "and point store.url at the new file, or restore a backup"
    )


def _guarded(path: Path, exc: sqlite3.Error, at_open: bool = False) -> sqlite3.Error:
    if is_corruption(exc) and not isinstance(exc, StoreCorrupt):
        corrupt = StoreCorrupt(
            corrupt_message(path, exc, at_open=at_open), at_open=at_open, detail=str(exc)
        )
        corrupt.__cause__ = exc
        return corrupt
    return exc


class _GuardedCursor(sqlite3.Cursor):
    """A cursor whose corruption errors, at execute or at any later fetch, are StoreCorrupt."""

    def _path(self) -> Path:
        return getattr(self.connection, "store_path", Path("?"))

    def execute(self, sql: str, parameters: Any = (), /) -> _GuardedCursor:
        try:
            super().execute(sql, parameters)
        except sqlite3.Error as exc:
            raise _guarded(self._path(), exc) from exc
        return self

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> _GuardedCursor:
        try:
            super().executemany(sql, seq_of_parameters)
        except sqlite3.Error as exc:
            raise _guarded(self._path(), exc) from exc
        return self

    def fetchone(self) -> Any:
        try:
            return super().fetchone()
        except sqlite3.Error as exc:
            raise _guarded(self._path(), exc) from exc

    def fetchmany(self, size: int | None = 1) -> list[Any]:
        try:
            return super().fetchmany(self.arraysize if size is None else size)
        except sqlite3.Error as exc:
            raise _guarded(self._path(), exc) from exc

    def fetchall(self) -> list[Any]:
        try:
            return super().fetchall()
        except sqlite3.Error as exc:
            raise _guarded(self._path(), exc) from exc

    def __next__(self) -> Any:
        try:
            return super().__next__()
        except sqlite3.Error as exc:
            raise _guarded(self._path(), exc) from exc


class _GuardedConnection(sqlite3.Connection):
    """sqlite3.Connection whose statements run on `_GuardedCursor`s."""

    store_path: Path = Path("?")

    def cursor(self, factory: Any = None) -> Any:
        return super().cursor(factory or _GuardedCursor)

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> Any:
        return self.cursor().executemany(sql, parameters)


class SQLiteConnection:
    """One open store file: WAL, foreign keys, the schema migrated to this rasad's version.

    With `read_only`, the file must exist and be at this rasad's schema already (a
    read-only open never migrates); StoreError says what to run otherwise.

    The concerns of the Store (frontier, feed log, archive, ...) are subclasses of this one,
    combined in `store.sqlite.SQLiteStore`.
    """

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self._group: WriteGroup | None = None  # set inside grouped(): see there
        self.read_mode = "ro" if read_only else "rw"  # "immutable": see _open_read_only
        if read_only:
            self._db = self._open_read_only()
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = self._connect(str(self.path))
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._check_integrity()
            self._migrate()
        except StoreCorrupt as exc:
            raise self._corrupt_at_open(exc) from None
        except StoreError:
            raise
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(self._open_problem(exc), at_open=True) from exc

    def close(self) -> None:
        if self._group is not None:
            self._group.flush()  # what was written is kept, as with one transaction a step
        self._db.close()

    def _connect(self, target: str, *, uri: bool = False) -> sqlite3.Connection:
        db = sqlite3.connect(
            target, isolation_level=None, timeout=BUSY_TIMEOUT, uri=uri, factory=_GuardedConnection
        )
        assert isinstance(db, _GuardedConnection)
        db.store_path = self.path
        db.row_factory = sqlite3.Row
        return db

    def _corrupt_at_open(self, exc: StoreCorrupt) -> StoreCorrupt:
        message = corrupt_message(self.path, exc.detail, at_open=True)
        error = StoreCorrupt(message, at_open=True, detail=exc.detail)
        error.__cause__ = exc.__cause__
        return error

    def _open_problem(self, exc: BaseException) -> str:
        where = self.path.resolve()
        if is_corruption(exc):
            return corrupt_message(self.path, exc, at_open=True)
        readonly = isinstance(exc, sqlite3.Error) and (
            getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_READONLY
        )
        if readonly or (isinstance(exc, OSError) and exc.errno in (13, 30)):
            return (
                f"the store {where} is read-only ({exc}); this command writes it: run it where "
                "the file and its directory are writable (export, search, sources, runs and "
                "serve can read it as it is)"
            )
        return (
            f"cannot open the store at {where}: {exc}; check that store.url names a "
            "writable file (not a directory)"
        )

    def _open_read_only(self) -> sqlite3.Connection:
        uri = self.path.resolve().as_uri()
        db: sqlite3.Connection | None = None
        try:
            try:
                db = self._connect(f"{uri}?mode=ro", uri=True)
                version = self._stored_version(db)
            except StoreCorrupt:
                raise
            except sqlite3.OperationalError as exc:
                # WAL needs its -shm file: when it cannot be created here either, nobody can
                # be writing this file, and SQLite may read it as immutable. (Not on a busy
                # or locked file: someone is writing it.)
                code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
                if code not in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY):
                    raise
                if db is not None:
                    db.close()
                db = self._connect(f"{uri}?immutable=1", uri=True)
                self.read_mode = "immutable"
                version = self._stored_version(db)
            db.execute("PRAGMA query_only=ON")
        except StoreCorrupt as exc:
            if db is not None:
                db.close()
            raise self._corrupt_at_open(exc) from None
        except sqlite3.Error as exc:
            if db is not None:
                db.close()
            raise StoreError(
                f"cannot read the store at {self.path.resolve()}: {exc}", at_open=True
            ) from exc
        latest = len(migrations.MIGRATIONS)
        if version != latest:
            db.close()
            if version > latest:
                raise StoreError(self._newer(version), at_open=True)
            self._upgrade_then_reopen(version, latest)
            return self._open_read_only()
        return db

    @staticmethod
    def _stored_version(db: sqlite3.Connection) -> int:
        names = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        if "schema_migrations" not in names:
            return 0
        row = db.execute("SELECT max(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0)

    def _upgrade_then_reopen(self, version: int, latest: int) -> None:
        """An older schema is migrated when the file can be written, else refused in one line."""
        hint = (
            f"the store {self.path.resolve()} has schema {version} and this rasad needs "
            f"{latest}; run a command that writes it first (`rasad crawl`), where the file "
            "and its directory are writable"
        )
        if not (os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK)):
            raise StoreError(hint, at_open=True)
        try:
            SQLiteConnection(self.path).close()
        except StoreCorrupt:
            raise
        except StoreError as exc:
            raise StoreError(f"{hint} ({exc})", at_open=True) from None

    def _newer(self, version: int) -> str:
        return (
            f"{self.path} was written by a newer rasad (schema {version}); upgrade rasad to use it"
        )

    def _check_integrity(self) -> None:
        """PRAGMA quick_check: a damaged page anywhere, before a run writes on top of it."""
        rows = [row[0] for row in self._db.execute("PRAGMA quick_check(1)")]
        if rows != ["ok"]:
            detail = rows[0] if rows else "quick_check returned nothing"
            raise StoreCorrupt(corrupt_message(self.path, detail), detail=detail)

    @contextmanager
    def _tx(self, *, groupable: bool = False) -> Iterator[sqlite3.Connection]:
        """One write step: BEGIN IMMEDIATE ... COMMIT, rolled back on any exception; inside
        `grouped()`, a step of the group's transaction (`store.sqlite.groups`)."""
        group = self._group
        if group is not None and not group.resting():
            with group.step(groupable=groupable) as db:
                yield db
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @contextmanager
    def grouped(self, max_steps: int = 100, max_seconds: float = 0.2) -> Iterator[None]:
        """Commit articles in groups rather than one transaction each (see `WriteGroup`):
        for a crawl, the one writer. `rasad worker` processes sharing a file do not group."""
        if self._group is not None:
            raise RuntimeError("store writes are grouped already")
        self._group = WriteGroup(self._db, max_steps, max_seconds)
        try:
            yield
        except BaseException:
            group, self._group = self._group, None
            group.roll_back()
            raise
        try:
            self._group.flush()
        finally:
            self._group = None

    def flush(self, *, due_only: bool = False) -> None:
        """Commit the open group now (with `due_only`, only once it is `max_seconds` old)."""
        if self._group is not None:
            self._group.flush(due_only=due_only)

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run `action` once what was written so far is committed: at once outside a group,
        else when the group commits (never, if it is rolled back)."""
        if self._group is not None and self._group.is_open():
            self._group.actions.append(action)
        else:
            action()

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
                raise StoreError(self._newer(max(done)), at_open=True)

    @property
    def schema_version(self) -> int:
        row = self._db.execute("SELECT max(version) FROM schema_migrations").fetchone()
        return int(row[0])

"""The PostgreSQL database every part of the store works on: connected, migrated, one
transaction a step.

Durability model, as on SQLite: each write step (one article, one feed poll with its entries,
one failure) is one short transaction (`PGConnection._tx`); reads run in autocommit, each
statement on its own snapshot. A process killed at any instant leaves every committed step
whole; the server rolls back the rest.

Opening:

- the URL is handed to libpq as it is (``postgresql://user@host:5432/db``, and whatever
  libpq reads besides: ``PGPASSWORD``, ``~/.pgpass``, ``sslmode=`` ...);
- a server that is down, refuses, or has no such database is a one-line `StoreError` that
  names the server (never the password) and what libpq said;
- `create=False` (commands that only read) on a database without the rasad schema raises
  `StoreMissing` rather than creating an empty archive in the wrong database;
- `read_only=True` makes every transaction of the session READ ONLY and never migrates:
  for readers with a role that may only SELECT.

A lost connection (the server restarted, the backend was terminated, the network broke):

- a call that finds the session broken reconnects first (nothing is in flight then);
- a read (a call that has not begun a write step; an iteration that has not handed out its
  first item) that loses the connection is reconnected and run again, once;
- a write step that loses it is not retried (its outcome may be unknown when the loss came
  at COMMIT): it raises `ConnectionLost`, a `StoreError` of one line, and the next call
  reconnects. The session's run locks (`store.postgres.runs`) are taken again on reconnect.

Any other `psycopg.OperationalError` / `InterfaceError` after opening (disk full on the
server, a statement cancelled, ...) is `ServerFailed`, also a one-line `StoreError`, so the
commands print it as they print every store error rather than as "unexpected error".

Strings go without NUL characters (PostgreSQL text has none: `_NulFreeDumper`).
Timestamps are ``timestamptz`` kept to the second (as the SQLite store keeps them), read
back as UTC datetimes; the session's TimeZone is UTC so that day buckets are UTC days.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from typing import Any, Final, TypeVar
from urllib.parse import urlsplit

import psycopg
from psycopg.rows import dict_row
from psycopg.types.datetime import TimestamptzLoader
from psycopg.types.string import StrDumperUnknown

from monitor.errors import StoreError, StoreMissing
from store.postgres import migrations
from store.postgres.db import DB

__all__ = [
    "CONNECT_TIMEOUT",
    "DB",
    "ConnectionLost",
    "PGConnection",
    "ServerFailed",
    "guard_methods",
    "lock_key",
    "ts",
]

#: Seconds to wait for the server to answer a connection.
CONNECT_TIMEOUT: Final = 10


def ts(value: datetime | None) -> datetime | None:
    """A timestamp as stored: UTC, to the second (what SQLite's ISO text keeps)."""
    return value.astimezone(UTC).replace(microsecond=0) if value else None


def lock_key(text: str) -> int:
    """A signed 64-bit advisory-lock key for a string (a URL, a text hash)."""
    return int.from_bytes(
        hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True
    )


class _UTCLoader(TimestamptzLoader):
    """timestamptz read as a datetime in `datetime.UTC` (not a zoneinfo), like SQLite's."""

    def load(self, data: Any) -> datetime:
        return super().load(data).astimezone(UTC)


class _NulFreeDumper(StrDumperUnknown):
    """Strings sent without NUL characters: PostgreSQL text cannot hold them (SQLite can), and
    a feed or page carrying one must not make its poll or article unstorable."""

    def dump(self, obj: str) -> Any:
        return super().dump(obj.replace("\x00", "") if "\x00" in obj else obj)


def where(url: str) -> str:
    """The server and database a URL names, for messages: never its password."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    user = f"{parts.username}@" if parts.username else ""
    return f"postgresql://{user}{host}{port}{parts.path}"


def _first_line(exc: BaseException) -> str:
    said = " ".join(str(exc).split("\n")[0].split()) or type(exc).__name__
    return said if len(said) <= 200 else said[:199] + "…"


#: What a lost or failing server raises in psycopg (after the connection was made).
_SERVER_ERRORS: Final = (psycopg.OperationalError, psycopg.InterfaceError)


class ConnectionLost(StoreError):
    """The connection to the server broke during a write step: the step is not retried."""

    hint = "check that the PostgreSQL server is up and reachable, then run rasad crawl again"


class ServerFailed(StoreError):
    """The server failed a statement (or could not be reached again after a loss)."""

    hint = "check the PostgreSQL server (its log says why), then run rasad crawl again"


def _failed(store: PGConnection, exc: BaseException, *, writing: bool = True) -> StoreError:
    """A psycopg error after opening as one line that names the server."""
    said = _first_line(exc)
    if store._db.closed:  # the session is gone: the next call reconnects
        if writing and store._writing:
            return ConnectionLost(f"connection to {store.where} lost during a write: {said}")
        return ServerFailed(f"connection to {store.where} lost: {said}")
    return ServerFailed(f"the store at {store.where} failed: {said}")


F = TypeVar("F", bound=Callable[..., Any])


def _guarded(method: F) -> F:
    """`method` with the reconnect-and-retry rule above and psycopg errors as StoreErrors."""
    if inspect.isgeneratorfunction(method):

        @functools.wraps(method)
        def generate(self: PGConnection, *args: Any, **kwargs: Any) -> Iterator[Any]:
            self._reconnect_if_broken()
            for attempt in (1, 2):
                started = False
                try:
                    for item in method(self, *args, **kwargs):
                        started = True
                        yield item
                    return
                except _SERVER_ERRORS as exc:
                    # nothing handed out yet: the read can start again on a new connection
                    if started or attempt == 2 or not self._db.closed:
                        raise _failed(self, exc, writing=False) from exc
                self._reconnect()

        return generate  # type: ignore[return-value]

    @functools.wraps(method)
    def call(self: PGConnection, *args: Any, **kwargs: Any) -> Any:
        if self._depth:  # called from within another store call: that one guards
            return method(self, *args, **kwargs)
        self._reconnect_if_broken()
        self._depth += 1
        self._writing = 0
        try:
            try:
                return method(self, *args, **kwargs)
            except _SERVER_ERRORS as exc:
                if not (self._db.closed and not self._writing):
                    raise _failed(self, exc) from exc
            # a read that lost its connection: once more on a new one
            self._reconnect()
            try:
                return method(self, *args, **kwargs)
            except _SERVER_ERRORS as exc:
                raise _failed(self, exc) from exc
        finally:
            self._depth -= 1

    return call  # type: ignore[return-value]


def guard_methods(cls: type[Any]) -> None:
    """Every public method of `cls` (the assembled store) guarded by `_guarded`."""
    for name in dir(cls):
        if name.startswith("_") or name == "close":
            continue
        value = inspect.getattr_static(cls, name)
        if inspect.isfunction(value):
            setattr(cls, name, _guarded(value))


class PGConnection:
    """One session to the store's database, its schema migrated to this rasad's version.

    The concerns of the Store (frontier, feed log, archive, ...) are subclasses of this one,
    combined in `store.postgres.PostgresStore`.
    """

    def __init__(self, url: str, *, create: bool = True, read_only: bool = False) -> None:
        self.url = url
        self.read_only = read_only
        self.where = where(url)
        #: store calls under way (a store method calling another is guarded once)
        self._depth = 0
        #: write steps begun by the current store call (a read is retried, a write is not)
        self._writing = 0
        self._db: DB = self._connect(at_open=True)
        try:
            self._open(create=create and not read_only)
        except BaseException:
            self._db.close()
            raise

    def _connect(self, *, at_open: bool) -> DB:
        """A new session, set up: UTC, read-only if asked."""
        try:
            db = psycopg.connect(
                self.url, autocommit=True, row_factory=dict_row, connect_timeout=CONNECT_TIMEOUT
            )
        except psycopg.Error as exc:
            again = "" if at_open else "again "
            raise StoreError(
                f"cannot connect {again}to the store at {self.where}: {_first_line(exc)}; check "
                "that the server runs and store.url names its host, port, user and database",
                at_open=at_open,
            ) from None
        try:
            db.adapters.register_loader("timestamptz", _UTCLoader)
            db.adapters.register_dumper(str, _NulFreeDumper)
            db.execute("SET TimeZone = 'UTC'")
            if self.read_only:
                db.execute("SET default_transaction_read_only = on")
        except BaseException:
            db.close()
            raise
        return db

    def _reconnect(self) -> None:
        """Replace a broken session with a new one (and restore what the session held)."""
        self._db.close()
        self._db = self._connect(at_open=False)
        try:
            self._reconnected(self._db)
        except _SERVER_ERRORS as exc:
            raise _failed(self, exc) from exc

    def _reconnect_if_broken(self) -> None:
        if self._db.closed:
            self._reconnect()

    def _reconnected(self, db: DB) -> None:
        """Hook: take again what the lost session held (overridden by the run log)."""

    def close(self) -> None:
        self._db.close()

    def _open(self, *, create: bool) -> None:
        version = self._stored_version()
        latest = len(migrations.MIGRATIONS)
        if version > latest:
            raise StoreError(
                f"{self.where} was written by a newer rasad (schema {version}); upgrade rasad",
                at_open=True,
            )
        if version == latest:
            return
        if not create and version == 0:
            raise StoreMissing(
                f"no rasad store in {self.where}; run `rasad crawl` (or `rasad migrate`) with "
                "this store.url first, or pass the config that names your store with --config"
            )
        if self.read_only:
            raise StoreError(
                f"the store {self.where} has schema {version} and this rasad needs {latest}; "
                "run a command that writes it first (`rasad crawl`)",
                at_open=True,
            )
        try:
            self._migrate()
        except psycopg.Error as exc:
            raise StoreError(
                f"cannot migrate the store at {self.where}: {_first_line(exc)}", at_open=True
            ) from None

    def _stored_version(self) -> int:
        try:
            row = self._db.execute("SELECT to_regclass('schema_migrations') AS t").fetchone()
            if row is None or row["t"] is None:
                return 0
            row = self._db.execute("SELECT max(version) AS v FROM schema_migrations").fetchone()
        except psycopg.Error as exc:
            raise StoreError(
                f"cannot read the store at {self.where}: {_first_line(exc)}", at_open=True
            ) from None
        return int(row["v"] or 0) if row else 0

    @contextmanager
    def grouped(self, max_steps: int = 100, max_seconds: float = 0.2) -> Iterator[None]:
        """One transaction an article all the same: an article's transaction holds advisory
        locks on its LSH band keys until it commits (how two workers' copies of one story
        never both become new), and a group would hold them for all its articles, keeping
        every other worker that meets one of those bands waiting."""
        yield

    def flush(self, *, due_only: bool = False) -> None:
        """Nothing waits to be committed (see `grouped`)."""

    def after_commit(self, action: Callable[[], None]) -> None:
        action()  # every step is committed when it returns

    @contextmanager
    def _tx(self) -> Iterator[DB]:
        """One write step: BEGIN ... COMMIT (READ COMMITTED), rolled back on any exception.

        A BEGIN that finds the connection lost is sent again on a new one (nothing of the step
        was sent yet); a loss after it raises (see `_guarded`)."""
        with ExitStack() as stack:
            outermost = self._db.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
            try:
                stack.enter_context(self._db.transaction())
            except _SERVER_ERRORS:
                if not (outermost and self._db.closed):
                    raise
                self._reconnect()
                stack.enter_context(self._db.transaction())
            self._writing += 1
            yield self._db

    def _migrate(self) -> None:
        steps = migrations.MIGRATIONS  # looked up here, so a test can stop at an older schema
        with self._tx() as db:
            # two processes opening a new database at once: the second waits, then finds it done
            db.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key("rasad.migrate"),))
            db.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY,"
                " name text NOT NULL, applied timestamptz NOT NULL)"
            )
            done = {row["version"] for row in db.execute("SELECT version FROM schema_migrations")}
            for version, (name, migrate) in enumerate(steps, start=1):
                if version in done:
                    continue
                migrate(db)
                db.execute(
                    "INSERT INTO schema_migrations VALUES (%s, %s, %s)",
                    (version, name, ts(datetime.now(UTC))),
                )

    @property
    def schema_version(self) -> int:
        return self._stored_version()

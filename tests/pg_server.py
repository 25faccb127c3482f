"""A throwaway PostgreSQL server for the tests: Debian's binaries, a temporary cluster, 127.0.0.1.

`postgresql_url(tmp_path)` is what tests/test_store_contract.py's BACKENDS calls: the URL of a
fresh, empty database on the one server this test session starts (the first call starts it; an
atexit hook stops it, whatever happened). Each database is copied from a template that already
holds the migrated rasad schema (`CREATE DATABASE ... TEMPLATE`: a file copy, some 30 ms, where
migrating afresh would cost more), so tests start from an empty store without paying for its
schema each time. `empty_database()` gives one without the schema.

The cluster runs with ``fsync=off`` and friends: it lives only as long as the session. initdb
refuses to run as root, so as root the server runs as the ``postgres`` user, in a temporary
directory it owns. When no PostgreSQL is installed, the tests skip with the reason.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

__all__ = ["Server", "empty_database", "postgresql_url", "server"]

_INSTALL = "PostgreSQL not installed: apt-get install postgresql (initdb and pg_ctl not found)"
_TEMPLATE = "rasad_template"
#: How many of the latest test databases are kept (older ones are dropped).
KEEP = 8


def _binaries() -> Path | None:
    """The newest Debian-packaged PostgreSQL's bin directory (or one on PATH)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One running cluster in a temporary directory; `stop()` stops it and removes the directory."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="rasad-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        self._names = itertools.count(1)
        self._lock = threading.Lock()
        self.running = False
        try:
            self._start()
        except BaseException:
            self.stop()  # no cluster left behind half made
            raise

    def _start(self) -> None:
        if self.as_root:  # initdb refuses root: the cluster belongs to the postgres user
            shutil.chown(self.root, "postgres", "postgres")
        os.chmod(self.root, 0o700)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root}"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            " -c max_connections=60 -c shared_buffers=32MB"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.root / "log"),
            "-w",
            "-t",
            "60",
            "-o",
            options,
            "start",
        )
        self.running = True

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bindir / tool), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.root, check=False)
        if done.returncode != 0:
            log = self.root / "log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{tool} failed: {done.stderr.strip()} {tail}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, template: str | None = None) -> str:
        """A new database's name (t_1, t_2, ...), empty or a copy of `template`.

        Each is some 7 MB: the one created `KEEP` databases ago is dropped meanwhile, so a
        session of hundreds of tests does not fill the disk (a test uses a few at most).
        """
        import psycopg

        with self._lock:
            number = next(self._names)
        name = f"t_{number}"
        with psycopg.connect(self.url(), autocommit=True) as db:
            db.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
            if number > KEEP:
                db.execute(f"DROP DATABASE IF EXISTS t_{number - KEEP} WITH (FORCE)")
        return name

    def stop(self) -> None:
        if self.running:
            self.running = False
            with contextlib.suppress(RuntimeError):  # already gone: nothing to stop
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


_SERVER: Server | None = None
_TEMPLATE_READY = False
_START = threading.Lock()


def server() -> Server:
    """The session's server, started on first use; skips the test when it cannot be."""
    global _SERVER
    with _START:
        if _SERVER is None:
            bindir = _binaries()
            if bindir is None:
                pytest.skip(_INSTALL)
            try:
                import psycopg  # noqa: F401
            except ImportError:
                pytest.skip("psycopg is not installed: pip install 'rasad[postgres]'")
            try:
                _SERVER = Server(bindir)
            except (RuntimeError, OSError) as exc:
                pytest.skip(f"PostgreSQL could not be started: {str(exc)[:300]}")
            atexit.register(_SERVER.stop)
        return _SERVER


def empty_database() -> str:
    """The URL of a new database without the rasad schema."""
    pg = server()
    return pg.url(pg.create_database())


def postgresql_url(tmp_path: Path | None = None) -> str:
    """The URL of a new database holding an empty, migrated rasad store (BACKENDS' entry)."""
    global _TEMPLATE_READY
    pg = server()
    with _START:
        if not _TEMPLATE_READY:
            from store import open_store

            with __import__("psycopg").connect(pg.url(), autocommit=True) as db:
                db.execute(f"CREATE DATABASE {_TEMPLATE}")
            open_store(pg.url(_TEMPLATE)).close()
            _TEMPLATE_READY = True
    return pg.url(pg.create_database(_TEMPLATE))

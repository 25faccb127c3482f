"""Advisory locks that keep two rasad processes off the same work.

A lock is an flock on the file the store names for it (`store.lock_file`), holding the
owner's pid so the message can say who has it. The kernel releases it when the process
dies, so a killed run never leaves a stale lock behind.

Where the store's directory cannot be written (a read-only filesystem, another user's
archive), an existing lock file there is still locked, opened for reading (flock needs no
write access, so such a process still excludes the writers); when there is none, the lock
lives in the temporary directory under a name derived from the lock file's full path.
Only when neither can be created is it one line, StoreError.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import IO

from monitor.config.loader import Config
from monitor.errors import LockHeld, StoreError
from store import lock_file


@contextmanager
def pid_lock(lock_path: Path, held_message: str) -> Iterator[None]:
    """Hold `lock_path` exclusively; raise LockHeld(held_message + who) if taken, and
    StoreError when no lock file can be created, beside the store or in the temporary
    directory."""
    handle, where = _open_lock(lock_path)
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise LockHeld(f"{held_message} (pid {holder}, lock {where})") from None
        if handle.writable():
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
        yield


def fallback_lock_path(lock_path: Path) -> Path:
    """Where the lock of a store in an unwritable directory lives: the temporary directory,
    named after the lock file's full path so that every process on that store meets there."""
    digest = hashlib.sha256(str(lock_path.resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"rasad-{digest}-{lock_path.name}"


def _open_lock(lock_path: Path) -> tuple[IO[str], Path]:
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        return open(lock_path, "a+"), lock_path
    except OSError as exc:
        if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise StoreError(_cannot(lock_path, exc), at_open=True) from None
        problem = exc
    if lock_path.is_file():
        try:
            return open(lock_path), lock_path
        except OSError:
            pass
    fallback = fallback_lock_path(lock_path)
    try:
        return open(fallback, "a+"), fallback
    except OSError as exc:
        raise StoreError(
            _cannot(lock_path, problem, f" nor {fallback} ({exc.strerror})"), at_open=True
        ) from None


def _cannot(lock_path: Path, exc: OSError, also: str = "") -> str:
    return (
        f"cannot create the lock file {lock_path.resolve()}: {exc.strerror}{also}; check that "
        "the store's directory (store.url) exists and is writable"
    )


def crawl_lock(config: Config) -> AbstractContextManager[None]:
    """One crawl (or rescore) at a time per store."""
    path = lock_file(config.store_url, "crawl")
    return pid_lock(path, "another crawl is running; this run did nothing")


def schedule_lock(config: Config) -> AbstractContextManager[None]:
    """One daemon per store: a second one would poll every source twice."""
    return pid_lock(
        lock_file(config.store_url, "schedule"),
        "another `rasad schedule` is running on this store",
    )

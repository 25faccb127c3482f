"""Advisory locks that keep two rasad processes off the same work.

A lock is an flock on the file the store names for it (`store.lock_file`), holding the
owner's pid so the message can say who has it. The kernel releases it when the process
dies, so a killed run never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from monitor.config.loader import Config
from monitor.errors import LockHeld, StoreError
from store import lock_file


@contextmanager
def pid_lock(lock_path: Path, held_message: str) -> Iterator[None]:
    """Hold `lock_path` exclusively; raise LockHeld(held_message + who) if taken, and
    StoreError when the lock file cannot be created (the store's directory is unusable)."""
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path, "a+")  # noqa: SIM115 (closed by the with below)
    except OSError as exc:
        raise StoreError(
            f"cannot create the lock file {lock_path.resolve()}: {exc.strerror}; check that "
            "the store's directory (store.url) exists and is writable",
            at_open=True,
        ) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise LockHeld(f"{held_message} (pid {holder}, lock {lock_path})") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield


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

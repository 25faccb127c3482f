"""Article writes committed in groups: `SQLiteConnection.grouped()`'s transaction.

A crawl's store step costs 1.7 ms an article with one transaction each and 1.2-1.4 ms in
groups: SQLite writes each changed page to the WAL once a commit, not once an article.

A group commits after `max_steps` articles or once it is `max_seconds` old (checked at each
step and by `flush(due_only=True)`, which a crawl calls on a timer so a quiet spell never
holds the write lock), before any other kind of write is left to stand alone, and at the end.
Each step is a savepoint: a failing one undoes only itself. A process killed meanwhile loses
the group's articles and their frontier updates together: those pages are still pending, and
the next run fetches and stores them as if they had never been fetched. What must happen only
once they are stored (the run report's counts) waits in `actions`.

Other processes wait for the write lock while a group is open. So that one waiting (`rasad
digest` writing its delivery log, say) is not starved through a long backfill, each commit is
followed by `max_seconds / 4` (at most `_TURN_SECONDS`) of one transaction a step, the lock
free between them, as without groups.

The group is open only while SQLite's transaction is: SQLite rolls a whole transaction back
on some errors (a full disk, an I/O error), and such a group is dropped with the actions
waiting for it, never committed.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Final

__all__ = ["WriteGroup"]

#: The longest spell of one transaction a step after a group commits.
_TURN_SECONDS: Final = 0.05


class WriteGroup:
    """The open group on one connection: its transaction's start (None: none open), steps
    so far, the actions waiting for its commit, and until when steps stand alone again."""

    def __init__(self, db: sqlite3.Connection, max_steps: int, max_seconds: float) -> None:
        self.db = db
        self.max_steps, self.max_seconds = max_steps, max_seconds
        self.began: float | None = None
        self.steps = 0
        self.actions: list[Callable[[], None]] = []
        self.resume = 0.0

    def is_open(self) -> bool:
        return self.began is not None and self.db.in_transaction

    def resting(self) -> bool:
        """Just after a commit: steps are single transactions, so others get the lock."""
        return not self.is_open() and time.monotonic() < self.resume

    def overdue(self) -> bool:
        return self.began is not None and time.monotonic() - self.began >= self.max_seconds

    @contextmanager
    def step(self, *, groupable: bool) -> Iterator[sqlite3.Connection]:
        """One write step as a savepoint of the group's transaction; a step that is not
        `groupable` (anything but storing an article) commits the group right after it."""
        if not self.is_open():
            self._reset()  # none open (or SQLite rolled one back): a new one
            self.db.execute("BEGIN IMMEDIATE")
            self.began = time.monotonic()
        self.db.execute("SAVEPOINT step")
        try:
            yield self.db
        except BaseException:
            self._undo_step()
            raise
        self.db.execute("RELEASE step")
        self.steps += 1
        if not groupable or self.steps >= self.max_steps or self.overdue():
            self._commit()

    def flush(self, *, due_only: bool = False) -> None:
        """Commit the group now (with `due_only`, only once it is `max_seconds` old)."""
        if self.began is None:
            return
        if not self.is_open():  # SQLite rolled it back: nothing of it is left to commit
            self._reset()
        elif not due_only or self.overdue():
            self._commit()

    def roll_back(self) -> None:
        """Drop the group (its caller failed): nothing of it is committed or counted."""
        self._reset()
        if self.db.in_transaction:
            with contextlib.suppress(sqlite3.Error):  # the caller's exception says what happened
                self.db.execute("ROLLBACK")

    def _reset(self) -> None:
        self.began, self.steps, self.actions = None, 0, []

    def _undo_step(self) -> None:
        """A failed step undone; the group's earlier steps stay, to be committed, unless
        SQLite rolled the whole transaction back: then the group is gone with it."""
        try:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK TO step")
                self.db.execute("RELEASE step")
                return
        except sqlite3.Error:
            if self.db.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self.db.execute("ROLLBACK")
        finally:
            if not self.db.in_transaction:
                self._reset()

    def _commit(self) -> None:
        actions = self.actions
        self._reset()
        self.resume = time.monotonic() + min(self.max_seconds / 4, _TURN_SECONDS)
        try:
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self.db.execute("ROLLBACK")
            raise
        for action in actions:
            action()

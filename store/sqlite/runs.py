"""Runs and small named values on SQLite: the `runs` and `state` tables."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from store.sqlite.connection import SQLiteConnection, iso


class SQLiteRunLog(SQLiteConnection):
    """`store.protocols.RunLog` on SQLite."""

    def start_run(self, started: datetime, sources: Sequence[str]) -> int:
        with self._tx() as db:
            # A run still "running" here was killed: say so rather than leave it open.
            db.execute("UPDATE runs SET state = 'interrupted' WHERE state = 'running'")
            cursor = db.execute(
                "INSERT INTO runs (started, sources) VALUES (?, ?)",
                (iso(started), json.dumps(list(sources))),
            )
            return int(cursor.lastrowid or 0)

    def finish_run(
        self, run_id: int, finished: datetime, state: str, report: dict[str, Any]
    ) -> None:
        """Close a run as "ok", "failed" (a source failed) or "interrupted" (stopped early)."""
        with self._tx() as db:
            db.execute(
                "UPDATE runs SET finished = ?, state = ?, report = ? WHERE id = ?",
                (
                    iso(finished),
                    state,
                    json.dumps(report, ensure_ascii=False),
                    run_id,
                ),
            )

    def runs(self, limit: int = 10) -> list[dict[str, Any]]:
        rows = self._db.execute("SELECT * FROM runs ORDER BY id DESC LIMIT ?", (limit,))
        return [dict(row) for row in rows]


class SQLiteKeyValue(SQLiteConnection):
    """`store.protocols.KeyValue` on SQLite."""

    def get_state(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_state(self, key: str, value: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO state (key, value, updated) VALUES (?, ?, ?) ON CONFLICT (key)"
                " DO UPDATE SET value = excluded.value, updated = excluded.updated",
                (key, value, iso(datetime.now(UTC))),
            )

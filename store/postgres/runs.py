"""Runs and small named values on PostgreSQL: the `runs` and `state` tables.

`runs()` answers as the SQLite store does (timestamps as ISO 8601 text, sources and report
as JSON text), so `rasad runs` reads either alike.

A run still "running" when another starts was killed, and is marked "interrupted": on SQLite
the crawl lock makes that certain, but crawls on several machines share one PostgreSQL store.
So each run holds a session-level advisory lock (`RUN_LOCKS`, its id) from `start_run` to
`finish_run`, and the server releases it when the process dies or its connection drops:
`start_run` interrupts only the runs whose lock it can take, never a live run elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from store.postgres.connection import DB, PGConnection, ts

#: The first key of the runs' advisory locks (the second is the run's id).
RUN_LOCKS = 0x72617364  # "rasd"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


class PGRunLog(PGConnection):
    """`store.protocols.RunLog` on PostgreSQL."""

    def start_run(self, started: datetime, sources: Sequence[str]) -> int:
        with self._tx() as db:
            # A run still "running" whose lock is free was killed: say so rather than leave
            # it open (its lock taken here is released with this transaction).
            db.execute(
                "UPDATE runs SET state = 'interrupted' WHERE state = 'running'"
                " AND pg_try_advisory_xact_lock(%s, (id %% 2147483647)::int)",
                (RUN_LOCKS,),
            )
            row = db.execute(
                "INSERT INTO runs (started, sources) VALUES (%s, %s) RETURNING id",
                (ts(started), json.dumps(list(sources))),
            ).fetchone()
            run_id = int(row["id"]) if row else 0
            db.execute("SELECT pg_advisory_lock(%s, (%s %% 2147483647)::int)", (RUN_LOCKS, run_id))
        self._runs_held().add(run_id)
        return run_id

    def finish_run(
        self, run_id: int, finished: datetime, state: str, report: dict[str, Any]
    ) -> None:
        """Close a run as "ok", "failed" (a source failed) or "interrupted" (stopped early)."""
        with self._tx() as db:
            db.execute(
                "UPDATE runs SET finished = %s, state = %s, report = %s WHERE id = %s",
                (ts(finished), state, json.dumps(report, ensure_ascii=False), run_id),
            )
            db.execute(
                "SELECT pg_advisory_unlock(%s, (%s %% 2147483647)::int)", (RUN_LOCKS, run_id)
            )
        self._runs_held().discard(run_id)

    def _runs_held(self) -> set[int]:
        """The runs whose session locks this session holds (taken again on reconnect)."""
        held: set[int] | None = getattr(self, "_held_runs", None)
        if held is None:
            held = set()
            self._held_runs = held
        return held

    def _reconnected(self, db: DB) -> None:
        super()._reconnected(db)
        for run_id in sorted(self._runs_held()):
            # free unless another machine's `start_run` marked the run interrupted meanwhile
            db.execute(
                "SELECT pg_try_advisory_lock(%s, (%s %% 2147483647)::int)", (RUN_LOCKS, run_id)
            )

    def runs(self, limit: int = 10) -> list[dict[str, Any]]:
        rows = self._db.execute("SELECT * FROM runs ORDER BY id DESC LIMIT %s", (limit,))
        return [
            {**row, "started": _iso(row["started"]), "finished": _iso(row["finished"])}
            for row in rows
        ]


class PGKeyValue(PGConnection):
    """`store.protocols.KeyValue` on PostgreSQL."""

    def get_state(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM state WHERE key = %s", (key,)).fetchone()
        return str(row["value"]) if row else None

    def set_state(self, key: str, value: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO state (key, value, updated) VALUES (%s, %s, %s) ON CONFLICT (key)"
                " DO UPDATE SET value = excluded.value, updated = excluded.updated",
                (key, value, ts(datetime.now(UTC))),
            )

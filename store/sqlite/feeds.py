"""The feed log on SQLite: the `feeds` table (per feed: validators, policy state, health)
and the `robots` table (per host: the robots.txt last fetched, reused for a day)."""

from __future__ import annotations

from datetime import datetime

from store.base import FeedHealth
from store.sqlite.connection import SQLiteConnection, from_iso, iso


class SQLiteFeedLog(SQLiteConnection):
    """`store.protocols.FeedLog` on SQLite."""

    def feed_state(self, source: str, feed_url: str) -> str | None:
        """The polling policy's saved state of one feed (JSON), if it was polled before."""
        row = self._db.execute(
            "SELECT state FROM feeds WHERE source = ? AND url = ?", (source, feed_url)
        ).fetchone()
        return row[0] if row else None

    def set_feed_state(self, source: str, feed_url: str, state: str) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE feeds SET state = ? WHERE source = ? AND url = ?", (state, source, feed_url)
            )

    def reset_feed(self, source: str, feed_url: str, state: str) -> None:
        """Forget a feed's error streak (the state given is the policy's, already reset)."""
        with self._tx() as db:
            db.execute(
                "UPDATE feeds SET error_streak = 0, last_error = NULL, state = ?"
                " WHERE source = ? AND url = ?",
                (state, source, feed_url),
            )

    def feed_health(self) -> list[FeedHealth]:
        rows = self._db.execute("SELECT * FROM feeds ORDER BY source, url")
        return [
            FeedHealth(
                source=r["source"],
                feed_url=r["url"],
                last_poll=from_iso(r["last_poll"]),
                last_success=from_iso(r["last_success"]),
                last_status=r["last_status"],
                last_error=r["last_error"],
                error_streak=r["error_streak"],
                items_seen=r["items_seen"],
                last_new_item=from_iso(r["last_new_item"]),
                state=r["state"],
            )
            for r in rows
        ]

    def cached_robots(self, host: str) -> tuple[int, bytes, datetime] | None:
        """(HTTP status, body, when fetched) of a host's robots.txt, if cached."""
        row = self._db.execute(
            "SELECT status, body, fetched FROM robots WHERE host = ?", (host,)
        ).fetchone()
        return (row[0], bytes(row[1]), datetime.fromisoformat(row[2])) if row else None

    def cache_robots(self, host: str, status: int, body: bytes, fetched: datetime) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO robots (host, status, body, fetched) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (host) DO UPDATE SET status = excluded.status,"
                " body = excluded.body, fetched = excluded.fetched",
                (host, status, body, iso(fetched)),
            )

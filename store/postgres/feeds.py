"""The feed log on PostgreSQL: the `feeds` table (per feed: validators, policy state, health)
and the `robots` table (per host: the robots.txt last fetched, reused for a day)."""

from __future__ import annotations

from datetime import datetime

from store.base import FeedHealth
from store.postgres.connection import PGConnection, ts


class PGFeedLog(PGConnection):
    """`store.protocols.FeedLog` on PostgreSQL."""

    def feed_state(self, source: str, feed_url: str) -> str | None:
        """The polling policy's saved state of one feed (JSON), if it was polled before."""
        row = self._db.execute(
            "SELECT state FROM feeds WHERE source = %s AND url = %s", (source, feed_url)
        ).fetchone()
        return row["state"] if row else None

    def set_feed_state(self, source: str, feed_url: str, state: str) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE feeds SET state = %s WHERE source = %s AND url = %s",
                (state, source, feed_url),
            )

    def reset_feed(self, source: str, feed_url: str, state: str) -> None:
        """Forget a feed's error streak (the state given is the policy's, already reset)."""
        with self._tx() as db:
            db.execute(
                "UPDATE feeds SET error_streak = 0, last_error = NULL, state = %s"
                " WHERE source = %s AND url = %s",
                (state, source, feed_url),
            )

    def feed_health(self) -> list[FeedHealth]:
        # COLLATE "C": byte order, as SQLite sorts text, whatever the database's locale
        rows = self._db.execute('SELECT * FROM feeds ORDER BY source COLLATE "C", url COLLATE "C"')
        return [
            FeedHealth(
                source=r["source"],
                feed_url=r["url"],
                last_poll=r["last_poll"],
                last_success=r["last_success"],
                last_status=r["last_status"],
                last_error=r["last_error"],
                error_streak=r["error_streak"],
                items_seen=r["items_seen"],
                last_new_item=r["last_new_item"],
                state=r["state"],
            )
            for r in rows
        ]

    def cached_robots(self, host: str) -> tuple[int, bytes, datetime] | None:
        """(HTTP status, body, when fetched) of a host's robots.txt, if cached."""
        row = self._db.execute(
            "SELECT status, body, fetched FROM robots WHERE host = %s", (host,)
        ).fetchone()
        return (int(row["status"]), bytes(row["body"]), row["fetched"]) if row else None

    def cache_robots(self, host: str, status: int, body: bytes, fetched: datetime) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO robots (host, status, body, fetched) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (host) DO UPDATE SET status = excluded.status,"
                " body = excluded.body, fetched = excluded.fetched",
                (host, status, body, ts(fetched)),
            )

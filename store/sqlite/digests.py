"""The digest log on SQLite: `digest_messages` (one row per digest to one recipient) and
`digest_items` (the articles each one took), written in one transaction each.

A message is "sending" from before the SMTP conversation until `finish_digest`; its items
are taken from the moment it is begun, so a second digest started meanwhile (or after a
crash) cannot take them again. A message the server refused is deleted with its items
(ON DELETE CASCADE), which puts them back into the next digest.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from store.base import StoredArticle
from store.sqlite.archive import article_from_row
from store.sqlite.connection import SQLiteConnection, from_iso, iso

#: What a digest may hold: new articles, and copies of stored articles (never of a seed).
_DIGESTIBLE = "(a.status = 'new' OR (a.status = 'duplicate' AND a.duplicate_of NOT LIKE 'seed:%'))"


class SQLiteDigestLog(SQLiteConnection):
    """`store.protocols.DigestLog` on SQLite."""

    def undelivered(
        self, recipient: str, *, since: datetime | None = None
    ) -> Iterator[StoredArticle]:
        query = f"SELECT a.* FROM articles a WHERE {_DIGESTIBLE}"
        params: list[Any] = []
        if since is not None:
            query += " AND a.fetched >= ?"
            params.append(iso(since))
        else:
            query += (
                " AND NOT EXISTS (SELECT 1 FROM digest_items i"
                " WHERE i.recipient = ? AND i.article = a.canonical_url)"
            )
            params.append(recipient)
        for row in self._db.execute(query + " ORDER BY a.fetched, a.id", params):
            yield article_from_row(row)

    def begin_digest(
        self,
        recipient: str,
        message_id: str,
        message: bytes | None,
        shown: Sequence[str],
        passed: Sequence[str] = (),
        when: datetime | None = None,
    ) -> None:
        at = iso(when or datetime.now(UTC))
        with self._tx() as db:
            db.execute(
                "INSERT INTO digest_messages (message_id, recipient, state, created, sent, message)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    message_id,
                    recipient,
                    "sending" if message is not None else "sent",
                    at,
                    None if message is not None else at,
                    message,
                ),
            )
            db.executemany(
                "INSERT OR IGNORE INTO digest_items (recipient, article, message_id, shown)"
                " VALUES (?, ?, ?, ?)",
                [(recipient, url, message_id, 1) for url in shown]
                + [(recipient, url, message_id, 0) for url in passed],
            )

    def unfinished_digests(self) -> list[tuple[str, str, bytes]]:
        rows = self._db.execute(
            "SELECT recipient, message_id, message FROM digest_messages"
            " WHERE state = 'sending' ORDER BY created, rowid"
        )
        return [(str(r[0]), str(r[1]), bytes(r[2])) for r in rows]

    def finish_digest(self, message_id: str, sent: bool, when: datetime | None = None) -> None:
        with self._tx() as db:
            if sent:
                db.execute(
                    "UPDATE digest_messages SET state = 'sent', sent = ?, message = NULL"
                    " WHERE message_id = ?",
                    (iso(when or datetime.now(UTC)), message_id),
                )
            else:
                db.execute("DELETE FROM digest_messages WHERE message_id = ?", (message_id,))

    def last_digest(self, recipient: str) -> datetime | None:
        row = self._db.execute(
            "SELECT max(sent) FROM digest_messages WHERE recipient = ? AND state = 'sent'",
            (recipient,),
        ).fetchone()
        return from_iso(row[0]) if row and row[0] else None

"""The digest log on PostgreSQL: `digest_messages` (one row per digest to one recipient) and
`digest_items` (the articles each one took), written in one transaction each.

The rules are `store.sqlite.digests`': items are taken from the moment a message is begun
(the primary key (recipient, article) makes a second digest begun meanwhile skip them), and a
message the server refused is deleted with its items (ON DELETE CASCADE).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from store.base import StoredArticle
from store.postgres.archive import article_from_row
from store.postgres.connection import PGConnection, ts

#: What a digest may hold: new articles, and copies of stored articles (never of a seed).
_DIGESTIBLE = "(a.status = 'new' OR (a.status = 'duplicate' AND a.duplicate_of NOT LIKE 'seed:%%'))"


class PGDigestLog(PGConnection):
    """`store.protocols.DigestLog` on PostgreSQL."""

    def undelivered(
        self, recipient: str, *, since: datetime | None = None
    ) -> Iterator[StoredArticle]:
        query = f"SELECT a.* FROM articles a WHERE {_DIGESTIBLE}"
        params: list[Any] = []
        if since is not None:
            query += " AND a.fetched >= %s"
            params.append(ts(since))
        else:
            query += (
                " AND NOT EXISTS (SELECT 1 FROM digest_items i"
                " WHERE i.recipient = %s AND i.article = a.canonical_url)"
            )
            params.append(recipient)
        for row in self._db.execute(query + " ORDER BY a.fetched, a.id", params).fetchall():
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
        at = ts(when or datetime.now(UTC))
        with self._tx() as db:
            db.execute(
                "INSERT INTO digest_messages (message_id, recipient, state, created, sent, message)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                (
                    message_id,
                    recipient,
                    "sending" if message is not None else "sent",
                    at,
                    None if message is not None else at,
                    message,
                ),
            )
            items = [(recipient, url, message_id, True) for url in shown]
            items += [(recipient, url, message_id, False) for url in passed]
            with db.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO digest_items (recipient, article, message_id, shown)"
                    " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    items,
                )

    def unfinished_digests(self) -> list[tuple[str, str, bytes]]:
        rows = self._db.execute(
            "SELECT recipient, message_id, message FROM digest_messages"
            " WHERE state = 'sending' ORDER BY created, seq"
        )
        return [(str(r["recipient"]), str(r["message_id"]), bytes(r["message"])) for r in rows]

    def finish_digest(self, message_id: str, sent: bool, when: datetime | None = None) -> None:
        with self._tx() as db:
            if sent:
                db.execute(
                    "UPDATE digest_messages SET state = 'sent', sent = %s, message = NULL"
                    " WHERE message_id = %s",
                    (ts(when or datetime.now(UTC)), message_id),
                )
            else:
                db.execute("DELETE FROM digest_messages WHERE message_id = %s", (message_id,))

    def last_digest(self, recipient: str) -> datetime | None:
        row = self._db.execute(
            "SELECT max(sent) AS sent FROM digest_messages WHERE recipient = %s AND state = 'sent'",
            (recipient,),
        ).fetchone()
        return row["sent"] if row and row["sent"] else None

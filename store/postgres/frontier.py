"""The frontier on PostgreSQL: the `entries` table (and a poll's side of `feeds`).

The same states and rules as `store.sqlite.frontier`: one row per canonical URL, pending ->
failed ... -> done when the article is stored (`store.postgres.archive` closes it in the same
transaction), or skipped. A poll and its entries are one transaction. Two workers polling the
same feed at once meet at the rows' primary keys (``ON CONFLICT DO NOTHING``), never a
duplicate entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from monitor.models import FeedEntry
from monitor.text.urls import canonical_url
from store.base import EntryState, FeedPoll, PendingEntry, PollOutcome
from store.postgres.connection import DB, PGConnection, ts


class PGFrontier(PGConnection):
    """`store.protocols.Frontier` on PostgreSQL."""

    def seen(self, url: str) -> bool:
        """True once an article for this URL is stored: it is never fetched again."""
        row = self._db.execute(
            "SELECT 1 FROM articles WHERE canonical_url = %s", (canonical_url(url),)
        ).fetchone()
        return row is not None

    def record_poll(
        self,
        poll: FeedPoll,
        entries: Sequence[FeedEntry] = (),
        max_attempts: int = 5,
        skipped: Sequence[FeedEntry] = (),
    ) -> PollOutcome:
        """Record one feed poll and its entries in one transaction (see
        `store.protocols.Frontier.record_poll`)."""
        when = ts(poll.polled)
        with self._tx() as db:
            db.execute(
                "INSERT INTO feeds (source, url) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                (poll.source, poll.feed_url),
            )
            if not poll.ok:
                db.execute(
                    "UPDATE feeds SET last_poll = %s, last_status = %s, last_error = %s,"
                    " error_streak = error_streak + 1, state = coalesce(%s, state)"
                    " WHERE source = %s AND url = %s",
                    (when, poll.http_status, poll.error, poll.state, poll.source, poll.feed_url),
                )
                return PollOutcome([])
            to_fetch, added = _add_entries(db, poll, entries, when, max_attempts)
            for entry in skipped:
                _insert_entry(db, poll, entry, when, "skipped")
            db.execute(
                "UPDATE feeds SET last_poll = %s, last_success = %s, last_status = %s,"
                " last_error = NULL, error_streak = 0, items_seen = items_seen + %s,"
                " last_new_item = CASE WHEN %s > 0 THEN %s ELSE last_new_item END,"
                " etag = coalesce(%s, etag), last_modified = coalesce(%s, last_modified),"
                " state = coalesce(%s, state) WHERE source = %s AND url = %s",
                (
                    when,
                    when,
                    poll.http_status,
                    added,
                    added,
                    when,
                    poll.etag,
                    poll.last_modified,
                    poll.state,
                    poll.source,
                    poll.feed_url,
                ),
            )
            return PollOutcome(to_fetch, added)

    def entry_states(self, urls: Iterable[str]) -> dict[str, EntryState]:
        """The frontier state of each of `urls` it holds, keyed by the URL as given."""
        given = {url: canonical_url(url) for url in urls}
        rows = self._db.execute(
            "SELECT canonical_url, state FROM entries WHERE canonical_url = ANY(%s)",
            (list(set(given.values())),),
        )
        states = {str(r["canonical_url"]): r["state"] for r in rows}
        return {url: states[key] for url, key in given.items() if key in states}

    def pending(
        self, source: str, max_attempts: int, now: datetime | None = None
    ) -> list[PendingEntry]:
        """Entries of a source still waiting for their article, under the attempt limit and,
        given `now`, due (a failed page waits out its backoff before it is tried again)."""
        rows = self._db.execute(
            "SELECT * FROM entries WHERE source = %s AND state <> 'done' AND state <> 'skipped'"
            " AND attempts < %s AND (%s::timestamptz IS NULL OR next_attempt IS NULL"
            " OR next_attempt <= %s::timestamptz) ORDER BY first_seen, seq",
            (source, max_attempts, ts(now), ts(now)),
        )
        return [
            PendingEntry(
                source=r["source"],
                attempts=r["attempts"],
                entry=FeedEntry(
                    url=r["url"],
                    title=r["title"],
                    guid=r["guid"],
                    published=r["published"],
                    summary=r["summary"],
                ),
            )
            for r in rows
        ]

    def attempts(self, url: str) -> int:
        """How often fetching this URL's article has failed so far."""
        row = self._db.execute(
            "SELECT attempts FROM entries WHERE canonical_url = %s", (canonical_url(url),)
        ).fetchone()
        return int(row["attempts"]) if row else 0

    def record_failure(
        self,
        source: str,
        url: str,
        reason: str,
        when: datetime,
        next_attempt: datetime | None = None,
    ) -> int:
        """Count a failed fetch or extraction; returns the attempts made so far."""
        key = canonical_url(url)
        with self._tx() as db:
            db.execute(
                "INSERT INTO entries (canonical_url, url, source, feed_url, first_seen)"
                " VALUES (%s, %s, %s, '', %s) ON CONFLICT DO NOTHING",
                (key, url, source, ts(when)),
            )
            row = db.execute(
                "UPDATE entries SET state = CASE WHEN state = 'done' THEN state ELSE 'failed' END,"
                " attempts = attempts + CASE WHEN state = 'done' THEN 0 ELSE 1 END,"
                " last_error = CASE WHEN state = 'done' THEN last_error ELSE %s END,"
                " last_attempt = CASE WHEN state = 'done' THEN last_attempt ELSE %s END,"
                " next_attempt = CASE WHEN state = 'done' THEN next_attempt ELSE %s END"
                " WHERE canonical_url = %s RETURNING attempts",
                (reason, ts(when), ts(next_attempt), key),
            ).fetchone()
            return int(row["attempts"]) if row else 0


def _add_entries(
    db: DB,
    poll: FeedPoll,
    entries: Sequence[FeedEntry],
    when: datetime | None,
    max_attempts: int,
) -> tuple[list[FeedEntry], int]:
    to_fetch: list[FeedEntry] = []
    added = 0
    for entry in entries:
        key = canonical_url(entry.url)
        added += _insert_entry(db, poll, entry, when, "pending")
        row = db.execute(
            "SELECT state, attempts, next_attempt, title FROM entries WHERE canonical_url = %s",
            (key,),
        ).fetchone()
        assert row is not None  # inserted above, or there already
        state, attempts, next_attempt = row["state"], row["attempts"], row["next_attempt"]
        if state == "skipped":  # listed before as too old; now admitted
            db.execute("UPDATE entries SET state = 'pending' WHERE canonical_url = %s", (key,))
            state = "pending"
        if state == "done" and entry.title and row["title"] and entry.title != row["title"]:
            # the publisher changed the headline of a stored story: fetch it once more, so the
            # store keeps the latest text (its outcome stays as it was)
            db.execute(
                "UPDATE entries SET state = 'pending', title = %s, next_attempt = NULL,"
                " attempts = 0 WHERE canonical_url = %s",
                (entry.title, key),
            )
            state, next_attempt = "pending", None
        due = next_attempt is None or when is None or next_attempt <= when
        if state != "done" and attempts < max_attempts and due:
            to_fetch.append(entry)
    return to_fetch, added


def _insert_entry(
    db: DB, poll: FeedPoll, entry: FeedEntry, when: datetime | None, state: EntryState
) -> int:
    """Record a listed entry unless its URL is known already; 1 when it was new."""
    cursor = db.execute(
        "INSERT INTO entries (canonical_url, url, source, feed_url, title, guid,"
        " published, summary, first_seen, state)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
        (
            canonical_url(entry.url),
            entry.url,
            poll.source,
            poll.feed_url,
            entry.title,
            entry.guid,
            ts(entry.published),
            entry.summary,
            when,
            state,
        ),
    )
    return cursor.rowcount

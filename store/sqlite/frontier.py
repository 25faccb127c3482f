"""The frontier on SQLite: the `entries` table (and a poll's side of `feeds`).

One row per canonical URL a feed or sitemap listed; its state moves pending -> failed ... ->
done when the article is stored (`store.sqlite.archive` closes it in the same transaction),
or stays skipped. A poll and its entries are one transaction, so a killed run never leaves a
feed marked polled without the entries it listed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from sqlite3 import Connection

from monitor.models import FeedEntry
from monitor.text.urls import canonical_url
from store.base import EntryState, FeedPoll, PendingEntry, PollOutcome
from store.sqlite.connection import SQLiteConnection, from_iso, iso


class SQLiteFrontier(SQLiteConnection):
    """`store.protocols.Frontier` on SQLite."""

    def seen(self, url: str) -> bool:
        """True once an article for this URL is stored: it is never fetched again."""
        key = canonical_url(url)
        row = self._db.execute("SELECT 1 FROM articles WHERE canonical_url = ?", (key,)).fetchone()
        return row is not None

    def record_poll(
        self,
        poll: FeedPoll,
        entries: Sequence[FeedEntry] = (),
        max_attempts: int = 5,
        skipped: Sequence[FeedEntry] = (),
    ) -> PollOutcome:
        """Record one feed poll and its entries in one transaction.

        The outcome lists the entries whose article is not stored yet (new ones, and ones
        left pending or failed by earlier runs, due and with attempts to spare), in feed
        order, and counts the entries never seen before. An entry recorded `skipped`
        earlier is admitted (made pending) when it is given in `entries`.

        `skipped`: entries listed but not to be fetched (a sitemap's URLs older than its
        window); recorded in state 'skipped' unless the frontier has them already, never
        returned to fetch, never counted as new.
        """
        when = iso(poll.polled)
        with self._tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO feeds (source, url) VALUES (?, ?)",
                (poll.source, poll.feed_url),
            )
            if not poll.ok:
                db.execute(
                    "UPDATE feeds SET last_poll = ?, last_status = ?, last_error = ?,"
                    " error_streak = error_streak + 1, state = coalesce(?, state)"
                    " WHERE source = ? AND url = ?",
                    (when, poll.http_status, poll.error, poll.state, poll.source, poll.feed_url),
                )
                return PollOutcome([])
            to_fetch, added = self._add_entries(db, poll, entries, when, max_attempts)
            self._add_skipped(db, poll, skipped, when)
            db.execute(
                "UPDATE feeds SET last_poll = ?, last_success = ?, last_status = ?,"
                " last_error = NULL, error_streak = 0, items_seen = items_seen + ?,"
                " last_new_item = CASE WHEN ? > 0 THEN ? ELSE last_new_item END,"
                " etag = coalesce(?, etag), last_modified = coalesce(?, last_modified),"
                " state = coalesce(?, state) WHERE source = ? AND url = ?",
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

    def _add_entries(
        self,
        db: Connection,
        poll: FeedPoll,
        entries: Sequence[FeedEntry],
        when: str | None,
        max_attempts: int,
    ) -> tuple[list[FeedEntry], int]:
        to_fetch: list[FeedEntry] = []
        added = 0
        for entry in entries:
            key = canonical_url(entry.url)
            added += _insert_entry(db, poll, entry, when, "pending")
            state, attempts, next_attempt, title = db.execute(
                "SELECT state, attempts, next_attempt, title FROM entries WHERE canonical_url = ?",
                (key,),
            ).fetchone()
            if state == "skipped":  # listed before as too old; now admitted
                db.execute("UPDATE entries SET state = 'pending' WHERE canonical_url = ?", (key,))
                state = "pending"
            if state == "done" and entry.title and title and entry.title != title:
                # the publisher changed the headline of a stored story: fetch it once more,
                # so the store keeps the latest text (its outcome stays as it was)
                db.execute(
                    "UPDATE entries SET state = 'pending', title = ?, next_attempt = NULL,"
                    " attempts = 0 WHERE canonical_url = ?",
                    (entry.title, key),
                )
                state, next_attempt = "pending", None
            due = next_attempt is None or next_attempt <= when
            if state != "done" and attempts < max_attempts and due:
                to_fetch.append(entry)
        return to_fetch, added

    @staticmethod
    def _add_skipped(
        db: Connection, poll: FeedPoll, entries: Sequence[FeedEntry], when: str | None
    ) -> None:
        for entry in entries:
            _insert_entry(db, poll, entry, when, "skipped")

    def entry_states(self, urls: Iterable[str]) -> dict[str, EntryState]:
        """The frontier state (pending, failed, done or skipped) of each of `urls` it
        holds, keyed by the URL as given; URLs never listed are left out."""
        states: dict[str, EntryState] = {}
        for url in urls:
            row = self._db.execute(
                "SELECT state FROM entries WHERE canonical_url = ?", (canonical_url(url),)
            ).fetchone()
            if row is not None:
                states[url] = row[0]
        return states

    def pending(
        self, source: str, max_attempts: int, now: datetime | None = None
    ) -> list[PendingEntry]:
        """Entries of a source still waiting for their article, under the attempt limit and,
        given `now`, due (a failed page waits out its backoff before it is tried again)."""
        rows = self._db.execute(
            "SELECT * FROM entries WHERE source = ? AND state != 'done' AND state != 'skipped'"
            " AND attempts < ?"
            " AND (? IS NULL OR next_attempt IS NULL OR next_attempt <= ?) ORDER BY first_seen",
            (source, max_attempts, iso(now), iso(now)),
        )
        return [
            PendingEntry(
                source=r["source"],
                attempts=r["attempts"],
                entry=FeedEntry(
                    url=r["url"],
                    title=r["title"],
                    guid=r["guid"],
                    published=from_iso(r["published"]),
                    summary=r["summary"],
                ),
            )
            for r in rows
        ]

    def attempts(self, url: str) -> int:
        """How often fetching this URL's article has failed so far."""
        row = self._db.execute(
            "SELECT attempts FROM entries WHERE canonical_url = ?", (canonical_url(url),)
        ).fetchone()
        return int(row[0]) if row else 0

    def record_failure(
        self,
        source: str,
        url: str,
        reason: str,
        when: datetime,
        next_attempt: datetime | None = None,
    ) -> int:
        """Count a failed fetch or extraction; returns the attempts made so far.
        `next_attempt`: not to be tried again before then (None: on the next run)."""
        key = canonical_url(url)
        with self._tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO entries (canonical_url, url, source, feed_url, first_seen)"
                " VALUES (?, ?, ?, '', ?)",
                (key, url, source, iso(when)),
            )
            db.execute(
                "UPDATE entries SET state = 'failed', attempts = attempts + 1, last_error = ?,"
                " last_attempt = ?, next_attempt = ? WHERE canonical_url = ? AND state != 'done'",
                (reason, iso(when), iso(next_attempt), key),
            )
            row = db.execute("SELECT attempts FROM entries WHERE canonical_url = ?", (key,))
            return int(row.fetchone()[0])


def _insert_entry(
    db: Connection, poll: FeedPoll, entry: FeedEntry, when: str | None, state: EntryState
) -> int:
    """Record a listed entry unless its URL is known already; 1 when it was new."""
    cursor = db.execute(
        "INSERT OR IGNORE INTO entries (canonical_url, url, source, feed_url, title, guid,"
        " published, summary, first_seen, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            canonical_url(entry.url),
            entry.url,
            poll.source,
            poll.feed_url,
            entry.title,
            entry.guid,
            iso(entry.published),
            entry.summary,
            when,
            state,
        ),
    )
    return cursor.rowcount

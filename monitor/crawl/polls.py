"""Feed polls within one crawl: conditional requests, what a feed or sitemap lists, how a
failed poll is recorded, and the polling policy's state per feed.

`FeedRun` is the part of the crawl run that knows feeds; `monitor.crawl.run.CrawlRun`
adds discovery and article pages on top. Neither imports Scrapy.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TextIO, cast

from monitor.config.loader import Config, Source
from monitor.crawl.failures import GuardedStore
from monitor.crawl.prepare import Preparer
from monitor.crawl.report import RunReport
from monitor.errors import FeedError
from monitor.judge.relevance import load_lexicon
from monitor.models import FeedEntry
from monitor.sources import polling
from monitor.sources.feeds import parse_feed
from monitor.sources.sitemaps import (
    EntrySelection,
    parse_sitemap,
    recent_children,
    select_entries,
)
from monitor.text.urls import unrecordable
from store import FeedPoll, Store

Clock = Callable[[], datetime]
FAILING_STREAK = polling.FAILING_STREAK  # failing this many polls in a row is flagged


def utcnow() -> datetime:
    return datetime.now(UTC)


class FeedRun:
    """State of one crawl's feed polls: the sources, the store, the report, progress."""

    def __init__(
        self,
        config: Config,
        store: Store,
        sources: Sequence[Source],
        *,
        clock: Clock = utcnow,
        progress: TextIO | None = None,
        due_only: bool = False,
        force: bool = False,
    ) -> None:
        self.config = config
        self.due_only = due_only  # poll only feeds whose adapted interval has passed
        self.force = force  # poll now: past backoff and intervals, unconditionally
        # every store call of the crawl goes through the guard: the first that fails
        # stops the run (`stop`), and the report says why
        self._guard = GuardedStore(store, self._store_failed)
        self.store = cast(Store, self._guard)
        self.sources = list(sources)
        self.clock = clock
        self.progress = progress
        self.report = RunReport()
        self.stop: Callable[[str], None] | None = None  # set by the spider: ends the crawl
        for source in self.sources:
            self.report.source(source.name)
        self._fetched = 0
        self._by_name = {s.name: s for s in self.sources}
        self._states: dict[tuple[str, str], polling.FeedState] = {}
        self._unresolved: list[tuple[str, str]] = []  # feeds whose host did not resolve
        self._sitemap_first: dict[str, bool] = {}  # sitemap URL -> first poll (see below)
        self.lexicon = load_lexicon(config.relevance.lexicon)
        self.preparer: Preparer | None = None  # set by the pipeline at the first page

    @property
    def unguarded_store(self) -> Store:
        """The store without the guard: only for closing the run after a failure."""
        store: Store = self._guard.unguarded
        return store

    def _store_failed(self, why: str) -> None:
        self.report.store_error = why
        self.say(f"STORE FAILED: {why}")
        if self.stop is not None:
            self.stop("store_failed")

    def say(self, message: str) -> None:
        if self.progress:
            print(message, file=self.progress, flush=True)

    def feed_request_headers(self, source: Source, feed_url: str) -> dict[str, str] | None:
        """Conditional-GET headers for a feed, or None when it must not be polled now: a
        server's Retry-After still holds, it is failing and its backoff has not passed, or
        (with `due_only`, as `rasad schedule` runs crawls) its adapted interval has not
        passed. Otherwise a healthy feed is polled on every crawl.

        With `force` only a server's Retry-After holds a feed back, and the request
        carries no conditional headers."""
        now = self.clock()
        state = self._state(source.name, feed_url)
        waiting = state.retry_after_until is not None and now < state.retry_after_until
        backing_off = state.error_streak > 0 and not polling.is_due(state, now)
        if waiting or (backing_off and not self.force):
            until = state.retry_after_until if waiting else state.next_due
            if waiting:
                why = "the server's Retry-After" + (", honoured even with --force" * self.force)
            else:
                why = f"backoff after {state.error_streak} failures; --force polls it now"
            self.report.source(source.name).deferred.append(
                f"{feed_url}: not polled until {until:%Y-%m-%d %H:%M} UTC ({why})"
            )
            return None
        if self.force:
            return {}
        if self.due_only and not polling.is_due(state, now):
            self.report.source(source.name).not_due += 1
            return None
        return polling.conditional_headers(state, now)

    def feed_polled(
        self,
        source: str,
        feed_url: str,
        body: bytes,
        status: int,
        headers: Mapping[str, str],
        base_url: str | None = None,
    ) -> list[FeedEntry]:
        """Record a feed response (200, 304 or an HTTP error); return the entries to fetch."""
        report = self.report.source(source)
        report.feeds_polled += 1
        if status == 304:
            report.not_modified += 1
            state = self._after(source, feed_url, status, headers)
            poll = FeedPoll(
                source, feed_url, self.clock(), ok=True, http_status=304, state=state.to_json()
            )
            to_fetch = self.store.record_poll(poll).to_fetch
            self.say(f"[{source}] {feed_url}: not modified")
            return to_fetch
        if status >= 400:
            self.feed_failed(source, feed_url, f"HTTP {status}", status, headers, counted=True)
            return []
        try:
            feed = parse_feed(body, base_url or feed_url, headers, default_tz=self.timezone(source))
        except FeedError as exc:
            self.feed_failed(source, feed_url, str(exc), status, headers, counted=True)
            return []
        return self._record_entries(
            source, feed_url, status, headers, body, feed.entries, feed.warnings
        )

    def sitemap_polled(
        self,
        source: str,
        url: str,
        body: bytes,
        status: int,
        headers: Mapping[str, str],
        base_url: str | None = None,
    ) -> tuple[list[FeedEntry], list[str]]:
        """Record a sitemap response: the entries to fetch, and the recent child sitemaps
        of an index (news outlets keep one per day or month) to poll next.

        Only URLs changed within `crawl.sitemap_window`, at most `crawl.sitemap_max_urls`
        of them a poll, newest first, are fetched (`monitor.sources.sitemaps.select_entries`
        says why and how undated ones are treated); only children changed within the
        window are read. The URLs too old to fetch are recorded in the frontier as
        skipped, so the store, not this process, knows what a sitemap listed."""
        first_poll = self._first_sitemap_poll(source, url)
        if status == 304 or status >= 400:
            return self.feed_polled(source, url, body, status, headers), []
        self.report.source(source).feeds_polled += 1
        now = self.clock()
        try:
            sitemap = parse_sitemap(
                body, base_url or url, headers, default_tz=self.timezone(source), now=now
            )
        except FeedError as exc:
            self.feed_failed(source, url, str(exc), status, headers, counted=True)
            return [], []
        window = timedelta(seconds=self.config.crawl.sitemap_window)
        children = recent_children(sitemap, now - window)
        listed = self._recordable(self.report.source(source).skipped_entries, url, sitemap.entries)
        for child in children:
            self._sitemap_first.setdefault(child, first_poll)
        selection = select_entries(
            listed,
            now=now,
            window=window,
            cap=self.config.crawl.sitemap_max_urls,
            listed=self.store.entry_states(e.url for e in listed),
            first_poll=first_poll,
        )
        to_fetch = self._record_entries(
            source,
            url,
            status,
            headers,
            body,
            listed,
            sitemap.warnings,
            selection=selection,
        )
        return to_fetch, children

    def _first_sitemap_poll(self, source: str, url: str) -> bool:
        """Whether this poll of a sitemap is its first: nothing was ever received from it.

        A child sitemap of an index inherits the answer of the index that listed it this
        run: a new day's child of a known index is news, not archive, although rasad has
        never read it. Decided once per run, before the poll changes the feed state."""
        if url not in self._sitemap_first:
            self._sitemap_first[url] = self._state(source, url).verified_at is None
        return self._sitemap_first[url]

    def _record_entries(
        self,
        source: str,
        url: str,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        entries: Sequence[FeedEntry],
        warnings: Sequence[str],
        *,
        selection: EntrySelection | None = None,
    ) -> list[FeedEntry]:
        """Record a parsed feed's entries (of a sitemap: as `selection` split them);
        return those to fetch now. An entry the store cannot key (a link with a port out
        of range, a host that is no address) is skipped and counted, not allowed to fail
        the poll's transaction and lose the rest of the feed."""
        report = self.report.source(source)
        report.feed_warnings.extend(f"{url}: {w}" for w in warnings)
        entries = self._recordable(report.skipped_entries, url, entries)
        poll = FeedPoll(
            source,
            url,
            self.clock(),
            ok=True,
            http_status=status,
            entries=len(entries),
            etag=headers.get("etag"),
            last_modified=headers.get("last-modified"),
        )
        admitted: Sequence[FeedEntry] = entries
        skipped = 0
        if selection is not None:  # a sitemap: only entries inside its window are fetched
            admitted = [*selection.fetch, *selection.known]
            skipped = selection.skipped
        outcome = self.store.record_poll(
            poll,
            admitted,
            self.config.crawl.max_attempts,
            skipped=selection.old if selection is not None else (),
        )
        state = self._after(
            source,
            url,
            status,
            headers,
            new_items=outcome.new_entries,
            listed_items=len(entries),
            hints=polling.feed_hints(body),
            item_dates=[e.published for e in entries if e.published],
        )
        # The policy needs the count of new entries, known only once they are recorded; a
        # run killed between the two writes keeps the old state and fetches the feed in full.
        self.store.set_feed_state(source, url, state.to_json())
        to_fetch = outcome.to_fetch
        # entries skipped as too old or over the cap are counted apart, not as listed:
        # listed - known = to fetch holds for the report's sums either way
        report.entries += len(entries) - skipped
        report.already_stored += len(entries) - skipped - len(to_fetch)
        report.sitemap_skipped += skipped
        more = f", {skipped} skipped (too old, or over the cap)" if skipped else ""
        self.say(f"[{source}] {url}: {len(entries)} entries, {len(to_fetch)} to fetch{more}")
        return to_fetch

    def _recordable(
        self, skipped: Counter[str], feed_url: str, entries: Sequence[FeedEntry]
    ) -> list[FeedEntry]:
        kept = []
        for entry in entries:
            reason = unrecordable(entry.url)
            if reason is None:
                kept.append(entry)
            else:
                skipped[reason] += 1
                self.say(f"{feed_url}: entry skipped ({reason}): {entry.url[:200]}")
        return kept

    def feed_failed(
        self,
        source: str,
        feed_url: str,
        reason: str,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        counted: bool = False,
        kind: str | None = None,
    ) -> None:
        """Record a failed feed poll; `kind` is describe_failure's short reason ("dns", ...)."""
        report = self.report.source(source)
        if not counted:
            report.feeds_polled += 1
        if kind == "dns":
            report.unresolved += 1
            self._unresolved.append((source, feed_url))
        state = self._after(source, feed_url, status or 0, headers or {}, error=reason)
        self.store.record_poll(
            FeedPoll(
                source,
                feed_url,
                self.clock(),
                ok=False,
                http_status=status,
                error=reason,
                state=state.to_json(),
            )
        )
        if polling.is_failing(state, FAILING_STREAK):
            reason += f" — failed {state.error_streak} polls in a row: check the feed URL"
        if state.retry_after_until:
            reason += f" (Retry-After: not before {state.retry_after_until:%Y-%m-%d %H:%M} UTC)"
        report.feed_errors.append(f"{feed_url}: {reason}")
        self.say(f"[{source}] {feed_url}: FAILED: {reason}")

    def _state(self, source: str, feed_url: str) -> polling.FeedState:
        key = (source, feed_url)
        if key not in self._states:
            try:
                self._states[key] = polling.FeedState.from_json(
                    self.store.feed_state(source, feed_url)
                )
            except ValueError:  # unreadable (written by a broken build): start afresh
                self._states[key] = polling.FeedState()
        return self._states[key]

    def _after(
        self,
        source: str,
        feed_url: str,
        status: int,
        headers: Mapping[str, str],
        *,
        new_items: int = 0,
        listed_items: int = 0,
        hints: polling.FeedHints = polling.NO_HINTS,
        item_dates: Sequence[datetime] = (),
        error: str | None = None,
    ) -> polling.FeedState:
        base = self._by_name[source].interval if source in self._by_name else 900
        low, high = polling.interval_bounds(base)
        state = polling.after_poll(
            self._state(source, feed_url),
            self.clock(),
            status=status,
            headers=headers,
            new_items=new_items,
            content_changed=new_items > 0,
            feed_hints=hints,
            base_interval_s=base,
            min_interval_s=low,
            max_interval_s=high,
            listed_items=listed_items,
            item_dates=item_dates,
            error=error,
        )
        self._states[(source, feed_url)] = state
        return state

    def source_unusable(self, source: Source, reason: str) -> None:
        self.report.source(source.name).feed_errors.append(reason)

    def timezone(self, source: str) -> tzinfo:
        """The outlet's local time, for dates it prints without an offset."""
        return self._by_name[source].timezone if source in self._by_name else UTC

    def finish(self) -> None:
        """After the last request. A run in which no outlet's host resolved says more about
        this machine (offline) than about the feeds: their failure is recorded, but they
        are not held back, so the first run once online polls every feed."""
        if not self.report.offline:
            return
        now = self.clock()
        for source, feed_url in self._unresolved:
            state = polling.forgive(self._state(source, feed_url), now)
            self._states[(source, feed_url)] = state
            self.store.set_feed_state(source, feed_url, state.to_json())

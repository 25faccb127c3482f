"""One polling pass: the glue between Scrapy's callbacks, the store and the run report.

The spider only fetches and routes; every decision it needs (what a feed lists, which
entries are already stored, how a failure is recorded) is a method of `CrawlRun`, and
the item pipelines reach the same object. `run_crawl()` builds it, runs Scrapy once in
this process, and returns the report.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TextIO

from monitor import polling
from monitor.config import Config, Source
from monitor.dedup import Fingerprint
from monitor.discovery import candidate_urls, discover_feeds, should_rediscover
from monitor.errors import FeedError
from monitor.feeds import parse_feed
from monitor.models import FeedEntry
from monitor.relevance import load_lexicon
from monitor.report import RunReport
from monitor.seeds import load_seeds
from monitor.sitemaps import parse_sitemap, recent_children
from store.base import FeedPoll, Store, StoredArticle

log = logging.getLogger("rasad")

Clock = Callable[[], datetime]
_MAX_RETRY_DELAY = 86400.0
SITEMAP_DAYS = 2  # child sitemaps modified within this many days are polled
MAX_CANDIDATES = 12  # feed URLs tried per discovery
_DISCOVERED = "discovered:"  # store state key prefix: a source's discovered feeds (JSON)
FAILING_STREAK = polling.FAILING_STREAK  # failing this many polls in a row is flagged


def utcnow() -> datetime:
    return datetime.now(UTC)


class CrawlRun:
    """State of one crawl: the sources, the store, the report, and progress output."""

    def __init__(
        self,
        config: Config,
        store: Store,
        sources: Sequence[Source],
        *,
        clock: Clock = utcnow,
        progress: TextIO | None = None,
        due_only: bool = False,
    ) -> None:
        self.config = config
        self.due_only = due_only  # poll only feeds whose adapted interval has passed
        self.store = store
        self.sources = list(sources)
        self.clock = clock
        self.progress = progress
        self.report = RunReport()
        for source in self.sources:
            self.report.source(source.name)
        self._fetched = 0
        self._by_name = {s.name: s for s in self.sources}
        self._states: dict[tuple[str, str], polling.FeedState] = {}
        self.lexicon = load_lexicon(config.relevance.lexicon)

    def say(self, message: str) -> None:
        if self.progress:
            print(message, file=self.progress, flush=True)

    # feeds -----------------------------------------------------------------------

    def feed_request_headers(self, source: Source, feed_url: str) -> dict[str, str] | None:
        """Conditional-GET headers for a feed, or None when it must not be polled now: a
        server's Retry-After still holds, it is failing and its backoff has not passed, or
        (with `due_only`, as `rasad schedule` runs crawls) its adapted interval has not
        passed. Otherwise a healthy feed is polled on every crawl."""
        now = self.clock()
        state = self._state(source.name, feed_url)
        waiting = state.retry_after_until is not None and now < state.retry_after_until
        backing_off = state.error_streak > 0 and not polling.is_due(state, now)
        if waiting or backing_off:
            until = state.retry_after_until if waiting else state.next_due
            why = "Retry-After" if waiting else f"backoff after {state.error_streak} failures"
            self.report.source(source.name).deferred.append(
                f"{feed_url}: not polled until {until:%Y-%m-%d %H:%M} UTC ({why})"
            )
            return None
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
        of an index (news outlets keep one per day or month) to poll next."""
        if status == 304 or status >= 400:
            return self.feed_polled(source, url, body, status, headers), []
        self.report.source(source).feeds_polled += 1
        try:
            sitemap = parse_sitemap(
                body, base_url or url, headers, default_tz=self.timezone(source), now=self.clock()
            )
        except FeedError as exc:
            self.feed_failed(source, url, str(exc), status, headers, counted=True)
            return [], []
        children = recent_children(sitemap, self.clock() - timedelta(days=SITEMAP_DAYS))
        to_fetch = self._record_entries(
            source, url, status, headers, body, sitemap.entries, sitemap.warnings
        )
        return to_fetch, children

    def _record_entries(
        self,
        source: str,
        url: str,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        entries: Sequence[FeedEntry],
        warnings: Sequence[str],
    ) -> list[FeedEntry]:
        report = self.report.source(source)
        report.feed_warnings.extend(f"{url}: {w}" for w in warnings)
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
        outcome = self.store.record_poll(poll, entries, self.config.crawl.max_attempts)
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
        report.entries += len(entries)
        report.already_stored += len(entries) - len(to_fetch)
        self.say(f"[{source}] {url}: {len(entries)} entries, {len(to_fetch)} to fetch")
        return to_fetch

    # discovery ---------------------------------------------------------------------

    def feeds_of(self, source: Source) -> list[str]:
        """The configured feeds, then those discovered on the homepage by earlier runs."""
        found = json.loads(self.store.get_state(_DISCOVERED + source.name) or "[]")
        return [*source.feeds, *(f for f in found if f not in source.feeds)]

    def needs_discovery(self, source: Source) -> bool:
        """A homepage-only source without a known feed, or one whose feeds are all gone."""
        if not source.homepage:
            return False
        feeds = self.feeds_of(source)
        return not feeds or all(should_rediscover(self._state(source.name, f)) for f in feeds)

    def discovery_candidates(
        self, source: Source, body: bytes, url: str, headers: Mapping[str, str]
    ) -> list[str]:
        """Feed URLs to try, best first: those the homepage names, then common paths."""
        gone = {f for f in self.feeds_of(source) if should_rediscover(self._state(source.name, f))}
        candidates: list[str] = []
        for candidate in [
            *discover_feeds(body, url, headers),
            *candidate_urls(source.homepage or url),
        ]:
            if candidate not in candidates and candidate not in gone:
                candidates.append(candidate)
        return candidates[:MAX_CANDIDATES]

    def candidate_polled(
        self, source: Source, url: str, body: bytes, status: int, headers: Mapping[str, str]
    ) -> list[FeedEntry] | None:
        """A discovery candidate's response: the entries to fetch when it is a feed with
        items (it becomes the source's feed), else None (try the next candidate)."""
        if status != 200:
            return None
        try:
            feed = parse_feed(body, url, headers, default_tz=self.timezone(source.name))
        except FeedError:
            return None
        if not feed.entries:
            return None
        self.store.set_state(_DISCOVERED + source.name, json.dumps([url]))
        report = self.report.source(source.name)
        report.feed_warnings.append(f"{source.homepage}: feed discovered: {url}")
        report.feeds_polled += 1
        return self._record_entries(
            source.name, url, status, headers, body, feed.entries, feed.warnings
        )

    def discovery_failed(self, source: Source, tried: int) -> None:
        self.source_unusable(
            source,
            f"{source.homepage}: no usable feed found (tried the homepage's links and "
            f"common feed paths, {tried} URLs)",
        )

    def feed_failed(
        self,
        source: str,
        feed_url: str,
        reason: str,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        counted: bool = False,
    ) -> None:
        report = self.report.source(source)
        if not counted:
            report.feeds_polled += 1
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

    def pending_entries(self, source: Source) -> list[FeedEntry]:
        """Entries an earlier run listed but did not store (killed, or failed)."""
        pending = self.store.pending(source.name, self.config.crawl.max_attempts, self.clock())
        self.report.source(source.name).retried += len(pending)
        return [p.entry for p in pending]

    def timezone(self, source: str) -> tzinfo:
        """The outlet's local time, for dates it prints without an offset."""
        return self._by_name[source].timezone if source in self._by_name else UTC

    # articles --------------------------------------------------------------------

    def page_fetched(self, source: str) -> None:
        self.report.source(source).fetched += 1
        self._fetched += 1
        if self._fetched % 50 == 0:
            self.say(f"... {self._fetched} article pages fetched")

    def article_failed(
        self, source: str, url: str, reason: str, retry_after: float | None = None
    ) -> None:
        """Record a failed page; it is tried again after a backoff that doubles with each
        failure (at most a day), and never before the server's Retry-After."""
        now = self.clock()
        failures = self.store.attempts(url) + 1
        delay = min(self.config.crawl.retry_delay * 2 ** (failures - 1), _MAX_RETRY_DELAY)
        delay = max(delay, retry_after or 0.0)
        attempts = self.store.record_failure(
            source, url, reason, now, now + timedelta(seconds=delay)
        )
        report = self.report.source(source)
        report.failed[reason] += 1
        if attempts >= self.config.crawl.max_attempts:
            report.gave_up += 1
        log.info("article failed (%s): %s", reason, url)

    def article_done(self, article: StoredArticle, fp: Fingerprint | None = None) -> str:
        outcome = self.store.add(article, fp)
        key = "updated" if outcome == "updated" else article.status
        self.report.source(article.source).stored[key] += 1
        return outcome


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """A Retry-After header (seconds, or an HTTP date) as seconds from `now`."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def describe_failure(failure: object) -> tuple[str, str]:
    """A short stable reason (for counting) and a readable detail for a Twisted failure."""
    from scrapy import exceptions as scrapy_errors
    from scrapy.spidermiddlewares.httperror import HttpError
    from twisted.internet import error as twisted_errors

    value = getattr(failure, "value", failure)
    text = str(value)
    if isinstance(value, HttpError):
        status = value.response.status
        return f"http_{status}", f"HTTP {status}"
    if isinstance(value, scrapy_errors.CannotResolveHostError | twisted_errors.DNSLookupError):
        return "dns", "host name not found"
    if isinstance(
        value,
        scrapy_errors.DownloadTimeoutError
        | twisted_errors.TimeoutError
        | twisted_errors.TCPTimedOutError,
    ):
        return "timeout", "timed out"
    if isinstance(
        value, scrapy_errors.DownloadConnectionRefusedError | twisted_errors.ConnectionRefusedError
    ):
        return "refused", "connection refused"
    if "larger than download max size" in text:
        return "too_large", "response larger than crawl.max_page_bytes"
    if isinstance(value, scrapy_errors.IgnoreRequest):
        if "robots.txt" in text:
            return "robots", "disallowed by robots.txt"
        if "redirect" in text.lower():
            return "redirects", "too many redirects (a redirect loop?)"
        return "ignored", text or "request ignored"
    return "network", f"{type(value).__name__}: {text}"[:200]


def run_crawl(
    config: Config,
    store: Store,
    sources: Sequence[Source],
    *,
    progress: TextIO | None = sys.stderr,
    verbose: bool = False,
    due_only: bool = False,
) -> RunReport:
    """Poll `sources` once with Scrapy in this process and return the report.

    Twisted's reactor cannot be restarted, so call this at most once per process
    (`rasad schedule` runs each crawl as a subprocess for that reason).
    """
    from scrapy.crawler import CrawlerProcess

    from monitor.settings import scrapy_settings
    from spiders.feeds import FeedSpider

    started = time.monotonic()
    store.load_seeds(load_seeds())
    run = CrawlRun(
        config, store, [s for s in sources if s.enabled], progress=progress, due_only=due_only
    )
    run_id = store.start_run(run.clock(), [s.name for s in run.sources])
    process = CrawlerProcess(scrapy_settings(config, verbose=verbose))
    crawler = process.create_crawler(FeedSpider)
    process.crawl(crawler, run=run)
    process.start()
    run.report.seconds = time.monotonic() - started
    reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
    run.report.interrupted = reason not in (None, "finished")
    state = "interrupted" if run.report.interrupted else "ok" if run.report.ok else "failed"
    store.finish_run(run_id, run.clock(), state, run.report.as_dict())
    return run.report

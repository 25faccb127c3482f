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
from typing import Any, TextIO
from urllib.parse import urlsplit

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
from monitor.sitemaps import (
    EntrySelection,
    news_sitemaps_from_robots,
    parse_sitemap,
    recent_children,
    select_entries,
)
from store.base import FeedPoll, Store, StoredArticle

log = logging.getLogger("rasad")

Clock = Callable[[], datetime]
_MAX_RETRY_DELAY = 86400.0
MAX_ROBOTS_SITEMAPS = 5  # news sitemaps taken from one robots.txt
_ROBOTS_SITEMAPS = "robots-sitemaps:"  # state key prefix: news sitemaps robots.txt named (JSON)
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
        force: bool = False,
    ) -> None:
        self.config = config
        self.due_only = due_only  # poll only feeds whose adapted interval has passed
        self.force = force  # poll now: past backoff and intervals, unconditionally
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
        self._unresolved: list[tuple[str, str]] = []  # feeds whose host did not resolve
        self._sitemap_first: dict[str, bool] = {}  # sitemap URL -> first poll (see below)
        self.lexicon = load_lexicon(config.relevance.lexicon)

    def say(self, message: str) -> None:
        if self.progress:
            print(message, file=self.progress, flush=True)

    # feeds -----------------------------------------------------------------------

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
        of them a poll, newest first, are fetched (`monitor.sitemaps.select_entries`
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
        for child in children:
            self._sitemap_first.setdefault(child, first_poll)
        selection = select_entries(
            sitemap.entries,
            now=now,
            window=window,
            cap=self.config.crawl.sitemap_max_urls,
            listed=self.store.entry_states(e.url for e in sitemap.entries),
            first_poll=first_poll,
        )
        to_fetch = self._record_entries(
            source,
            url,
            status,
            headers,
            body,
            sitemap.entries,
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
        return those to fetch now."""
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

    # discovery ---------------------------------------------------------------------

    def feeds_of(self, source: Source) -> list[str]:
        """The configured feeds, then those discovered on the homepage by earlier runs."""
        found = json.loads(self.store.get_state(_DISCOVERED + source.name) or "[]")
        return [*source.feeds, *(f for f in found if f not in source.feeds)]

    def needs_discovery(self, source: Source) -> bool:
        """A homepage-only source without a known feed (nor a news sitemap its robots.txt
        named), or one whose feeds and such sitemaps are all gone."""
        if not source.homepage:
            return False
        usable = [*self.feeds_of(source), *self._robots_sitemaps(source)]
        return not usable or all(should_rediscover(self._state(source.name, f)) for f in usable)

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
        if self._robots_sitemaps(source):  # they were gone, or discovery would not have run
            self.store.set_state(_ROBOTS_SITEMAPS + source.name, "[]")
        report = self.report.source(source.name)
        report.feed_warnings.append(f"{source.homepage}: feed discovered: {url}")
        report.feeds_polled += 1
        return self._record_entries(
            source.name, url, status, headers, body, feed.entries, feed.warnings
        )

    def discovery_failed(self, source: Source, tried: int, *, robots: bool = False) -> None:
        """No feed found; with `robots`, its robots.txt named no news sitemap either."""
        self.source_unusable(
            source,
            f"{source.homepage}: no usable feed found (tried the homepage's links and "
            f"common feed paths, {tried} URLs)"
            + ("; robots.txt announces no news sitemap" if robots else ""),
        )

    # news sitemaps announced in robots.txt: for a homepage source without a usable feed

    def sitemaps_of(self, source: Source) -> list[str]:
        """The configured sitemaps, then the news sitemaps robots.txt named to earlier runs."""
        found = self._robots_sitemaps(source)
        return [*source.sitemaps, *(s for s in found if s not in source.sitemaps)]

    def _robots_sitemaps(self, source: Source) -> list[str]:
        found: list[str] = json.loads(self.store.get_state(_ROBOTS_SITEMAPS + source.name) or "[]")
        return found

    def robots_url(self, source: Source) -> str | None:
        """Where to look once feed discovery found nothing: the robots.txt of the homepage's
        host, whose ``Sitemap:`` lines often name a Google News sitemap. None for a source
        with configured sitemaps (those are its sitemaps) or without a homepage."""
        if source.sitemaps or not source.homepage:
            return None
        parts = urlsplit(source.homepage)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return None
        return f"{parts.scheme}://{parts.netloc}/robots.txt"

    def cached_robots_sitemaps(
        self, source: Source, robots_url: str, tried: int
    ) -> list[str] | None:
        """`robots_polled` over the robots.txt the store holds, if it is fresh: the robots
        middleware keeps each host's there (`crawl.robots_cache`), and has usually just
        fetched this one for the homepage. None: not cached, fetch it."""
        cached = self.store.cached_robots(urlsplit(robots_url).netloc)
        max_age = timedelta(seconds=self.config.crawl.robots_cache)
        if cached is None or self.clock() - cached[2] > max_age:
            return None
        status, body, _fetched = cached
        return self._robots_found(source, robots_url, status, body, tried)

    def robots_polled(
        self, source: Source, robots_url: str, body: bytes, status: int, tried: int
    ) -> list[str]:
        """A robots.txt fetched for its sitemaps (kept for the robots middleware too): the
        news sitemaps to poll now. They are remembered in the store, so later runs poll
        them without discovery (until they are gone, as for discovered feeds)."""
        self.store.cache_robots(urlsplit(robots_url).netloc, status, body, self.clock())
        return self._robots_found(source, robots_url, status, body, tried)

    def _robots_found(
        self, source: Source, robots_url: str, status: int, body: bytes, tried: int
    ) -> list[str]:
        text = body.decode("utf-8", "replace") if status == 200 else ""
        found = news_sitemaps_from_robots(text, robots_url)[:MAX_ROBOTS_SITEMAPS]
        if not found:
            self.discovery_failed(source, tried, robots=True)
            return []
        polled = set(self.sitemaps_of(source))  # polled by this run already (and gone)
        self.store.set_state(_ROBOTS_SITEMAPS + source.name, json.dumps(found))
        self.store.set_state(_DISCOVERED + source.name, "[]")  # gone, or none was found
        self.report.source(source.name).feed_warnings.append(
            f"{source.homepage}: no feed; news sitemap(s) named in robots.txt: {', '.join(found)}"
        )
        return [url for url in found if url not in polled]

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

    def pending_entries(self, source: Source) -> list[FeedEntry]:
        """Entries an earlier run listed but did not store (killed, or failed)."""
        # --force retries failed pages now too; otherwise each waits out its backoff
        now = None if self.force else self.clock()
        pending = self.store.pending(source.name, self.config.crawl.max_attempts, now)
        self.report.source(source.name).retried += len(pending)
        return [p.entry for p in pending]

    def timezone(self, source: str) -> tzinfo:
        """The outlet's local time, for dates it prints without an offset."""
        return self._by_name[source].timezone if source in self._by_name else UTC

    # articles --------------------------------------------------------------------

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

    def listed_twice(self, source: str) -> None:
        """An entry whose page another feed of this run already requested."""
        self.report.source(source).listed_twice += 1

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


def standalone_run(crawler: Any) -> CrawlRun:
    """A run for a spider Scrapy started itself (`scrapy crawl feeds`): the rasad config
    and store, the crawl lock, and the report printed when the spider closes.

    A config or store problem is one line on stderr, then NotConfigured stops the crawl.
    """
    from contextlib import ExitStack

    from scrapy import signals
    from scrapy.exceptions import NotConfigured

    from monitor.config import load_config
    from monitor.errors import RasadError
    from monitor.locks import crawl_lock
    from store import open_store

    stack = ExitStack()
    try:
        config = load_config(crawler.settings.get("RASAD_CONFIG"))
        stack.enter_context(crawl_lock(config))
        store = open_store(config.store_url)
        stack.callback(store.close)
        store.load_seeds(load_seeds())
    except RasadError as exc:
        stack.close()
        print(f"rasad: {exc}", file=sys.stderr)
        raise NotConfigured(str(exc)) from None
    run = CrawlRun(config, store, [s for s in config.sources if s.enabled], progress=None)
    run_id = store.start_run(run.clock(), [s.name for s in run.sources])
    started = time.monotonic()

    def closed(spider: Any, reason: str) -> None:
        run.report.seconds = time.monotonic() - started
        run.report.interrupted = reason != "finished"
        run.finish()
        store.finish_run(run_id, run.clock(), _run_state(run.report), run.report.as_dict())
        stack.close()
        print(run.report.render())

    crawler.signals.connect(closed, signal=signals.spider_closed, weak=False)
    return run


def _run_state(report: RunReport) -> str:
    return "interrupted" if report.interrupted else "ok" if report.ok else "failed"


def run_crawl(
    config: Config,
    store: Store,
    sources: Sequence[Source],
    *,
    progress: TextIO | None = sys.stderr,
    verbose: bool = False,
    log_file: str | None = None,
    due_only: bool = False,
    force: bool = False,
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
        config,
        store,
        [s for s in sources if s.enabled],
        progress=progress,
        due_only=due_only,
        force=force,
    )
    run_id = store.start_run(run.clock(), [s.name for s in run.sources])
    process = CrawlerProcess(scrapy_settings(config, verbose=verbose, log_file=log_file))
    crawler = process.create_crawler(FeedSpider)
    process.crawl(crawler, run=run)
    process.start()
    run.report.seconds = time.monotonic() - started
    reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
    run.report.interrupted = reason not in (None, "finished")
    run.finish()
    store.finish_run(run_id, run.clock(), _run_state(run.report), run.report.as_dict())
    return run.report

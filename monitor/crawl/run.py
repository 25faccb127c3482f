"""One polling pass: the glue between Scrapy's callbacks, the store and the run report.

The spider only fetches and routes; every decision it needs (what a feed lists, which
entries are already stored, how a failure is recorded) is a method of `CrawlRun`, and
the item pipelines reach the same object. `monitor.crawl.process.run_crawl()` builds it,
runs Scrapy once in this process, and returns the report.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import timedelta
from urllib.parse import urlsplit

from monitor.config.loader import Source
from monitor.crawl.polls import FeedRun
from monitor.errors import FeedError
from monitor.judge.dedup import Fingerprint
from monitor.models import FeedEntry
from monitor.sources.discovery import candidate_urls, discover_feeds, should_rediscover
from monitor.sources.feeds import parse_feed
from monitor.sources.robots import (
    news_sitemaps_from_robots,
)
from store.base import AddOutcome, StoredArticle

log = logging.getLogger("rasad")

_MAX_RETRY_DELAY = 86400.0
MAX_ROBOTS_SITEMAPS = 5  # news sitemaps taken from one robots.txt
_ROBOTS_SITEMAPS = "robots-sitemaps:"  # state key prefix: news sitemaps robots.txt named (JSON)
MAX_CANDIDATES = 12  # feed URLs tried per discovery
_DISCOVERED = "discovered:"  # store state key prefix: a source's discovered feeds (JSON)


class CrawlRun(FeedRun):
    """One crawl: feed polls (`FeedRun`), feed discovery, and the article pages."""

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

    def pending_entries(self, source: Source) -> list[FeedEntry]:
        """Entries an earlier run listed but did not store (killed, or failed)."""
        # --force retries failed pages now too; otherwise each waits out its backoff
        now = None if self.force else self.clock()
        pending = self.store.pending(source.name, self.config.crawl.max_attempts, now)
        self.report.source(source.name).retried += len(pending)
        return [p.entry for p in pending]

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

    def article_done(
        self, article: StoredArticle, fp: Fingerprint | None, declared_original: str | None
    ) -> AddOutcome:
        outcome = self.store.add_unless_duplicate(article, fp, declared_original=declared_original)
        key = "updated" if outcome.written == "updated" else outcome.status
        stored = self.report.source(article.source).stored
        # counted once it is committed: a group of articles the store could not commit is
        # not in the store, so not in the report either (store.protocols.Store.grouped)
        self.store.after_commit(lambda: stored.update((key,)))
        return outcome

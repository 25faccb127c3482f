"""The feed spider: polls every configured feed and fetches the pages of new entries.

Fetch and route only. What a feed lists, which entries are already stored and how a
failure is recorded are decided by `monitor.crawl.run.CrawlRun`; what a page says is
decided by the item pipelines.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import suppress
from typing import Any, TypeVar

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from monitor.config.loader import Source
from monitor.crawl.failures import StoreWriteFailed, describe_failure, retry_after_seconds
from monitor.crawl.items import FetchedPage, response_headers
from monitor.crawl.process import standalone_run
from monitor.crawl.run import CrawlRun
from monitor.models import FeedEntry
from monitor.queue.coordinator import QueuedCrawlRun
from monitor.text.urls import canonical_url

_Polled = TypeVar("_Polled")


# Feed responses the spider's callback sees instead of an HttpError: 304 is "nothing new",
# and the errors carry what the polling policy needs (Retry-After, gone, ...).
FEED_STATUSES = [304, *range(400, 600)]

# Article requests handed to Scrapy and not answered yet, at most: the rest of a long
# backlog (a backfill lists tens of thousands) waits in the spider as (source, entry) pairs,
# so pages start at once and memory stays flat instead of holding every request up front.
MAX_REQUESTED = 2000


class FeedSpider(scrapy.Spider):
    name = "feeds"
    _stopping = False  # stop_crawl() was called

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> FeedSpider:
        """`rasad crawl` passes its run; `scrapy crawl feeds` gets one built from the rasad
        config ($RASAD_CONFIG, else ./rasad.toml, else the defaults)."""
        if kwargs.get("run") is None:
            kwargs["run"] = standalone_run(crawler)
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, FeedSpider)
        spider.run.stop = spider.stop_crawl
        crawler.signals.connect(spider._idle, signal=signals.spider_idle)
        return spider

    def _idle(self) -> None:
        """Scrapy has nothing left to do: hand it the next part of the backlog, if any."""
        if not self._backlog or self._stopping:
            return
        engine = self.crawler.engine
        assert engine is not None
        for request in self._top_up():
            engine.crawl(request)
        raise DontCloseSpider

    def stop_crawl(self, reason: str) -> None:
        """End the crawl now (a store that cannot be written): requests in flight are
        abandoned, and their pages stay pending for the next run."""
        from scrapy.utils.defer import deferred_from_coro

        engine = self.crawler.engine
        if engine is not None and not self._stopping:
            self._stopping = True
            deferred_from_coro(engine.close_spider_async(reason=reason))

    def closed(self, reason: str) -> None:
        """Requests that got neither a response nor an error were dropped on the way (a
        URL over URLLENGTH_LIMIT, a middleware filtering it): when the crawl ran to its end,
        each is recorded as a failure, so it is retried at most `max_attempts` times."""
        if reason != "finished":
            return  # stopped early: what was not reached stays pending, not failed
        limit = self.crawler.settings.getint("URLLENGTH_LIMIT")
        try:
            for source, feed_url in self._feeds_out.values():
                self.run.feed_failed(source, feed_url, "request dropped before it was sent")
            for source, entry in self._articles_out.values():
                why = "url_too_long" if limit and len(entry.url) > limit else "dropped"
                self.run.article_failed(source, entry.url, why)
        except StoreWriteFailed:
            pass  # in the report already

    def __init__(self, run: CrawlRun | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if run is None:
            raise ValueError("the feed spider needs a CrawlRun: start it through from_crawler")
        self.run = run
        # Article requests bypass Scrapy's duplicate filter, which silently drops a request
        # it has seen (a redirect loop would vanish without an errback and go unrecorded);
        # the same page listed twice in one run is skipped here instead.
        self._requested: set[str] = set()
        # requests sent and not answered yet (neither callback nor errback): by id
        self._articles_out: dict[int, tuple[str, FeedEntry]] = {}
        self._feeds_out: dict[int, tuple[str, str]] = {}
        self._backlog: deque[tuple[Source, FeedEntry]] = deque()  # listed, not requested yet

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for source in self.run.sources:
            if self.run.needs_discovery(source):
                assert source.homepage is not None
                yield self._request(
                    source,
                    source.homepage,
                    self.parse_homepage,
                    self.homepage_failed,
                    priority=10,
                    dont_filter=True,
                )
            for feed_url in self.run.feeds_of(source):
                if request := self._feed_request(source, feed_url, self.parse_feed):
                    yield request
            for sitemap_url in self.run.sitemaps_of(source):
                if request := self._feed_request(source, sitemap_url, self.parse_sitemap):
                    yield request
            for request in self._article_requests(source, self.run.pending_entries(source)):
                yield request

    def _feed_request(self, source: Source, url: str, callback: Any) -> scrapy.Request | None:
        """A conditional request for a feed or sitemap; None while it is held back."""
        headers = self.run.feed_request_headers(source, url)
        if headers is None:
            return None
        request = self._request(
            source,
            url,
            callback,
            self.feed_failed,
            priority=10,
            dont_filter=True,
            meta={"handle_httpstatus_list": FEED_STATUSES},
        )
        request.cb_kwargs["feed_url"] = url  # its identity, whatever it redirects to
        request.headers.update(headers)
        self._feeds_out[_key(request)] = (source.name, url)
        return request

    def _request(
        self, source: Source, url: str, callback: Any, errback: Any, **kwargs: Any
    ) -> scrapy.Request:
        headers = {"User-Agent": source.user_agent} if source.user_agent else {}
        return scrapy.Request(
            url,
            callback=callback,
            errback=errback,
            headers=headers,
            cb_kwargs={"source": source},
            **kwargs,
        )

    def _article_requests(
        self, source: Source, entries: list[FeedEntry]
    ) -> Iterator[scrapy.Request]:
        """Entries to fetch join the backlog (each page once per run); as many requests
        as `MAX_REQUESTED` allows leave it now."""
        for entry in entries:
            key = canonical_url(entry.url)
            if key in self._requested:
                self.run.listed_twice(source.name)
                continue
            self._requested.add(key)
            if isinstance(self.run, QueuedCrawlRun):  # scale-out: a `rasad worker` fetches it
                self.run.hand_off(source, entry)
                continue
            self._backlog.append((source, entry))
        yield from self._top_up()

    def _top_up(self) -> Iterator[scrapy.Request]:
        while self._backlog and len(self._articles_out) < MAX_REQUESTED and not self._stopping:
            source, entry = self._backlog.popleft()
            yield self._article_request(source, entry)

    def _article_request(self, source: Source, entry: FeedEntry) -> scrapy.Request:
        request = self._request(
            source, entry.url, self.parse_article, self.article_failed, dont_filter=True
        )
        request.cb_kwargs["entry"] = entry
        self._articles_out[_key(request)] = (source.name, entry)
        return request

    def parse_feed(self, response: Response, source: Source, feed_url: str) -> Any:
        to_fetch = self._polled(self.run.feed_polled, response, source, feed_url)
        if to_fetch is not None:
            yield from self._article_requests(source, to_fetch)

    def parse_sitemap(self, response: Response, source: Source, feed_url: str) -> Any:
        polled = self._polled(self.run.sitemap_polled, response, source, feed_url)
        if polled is None:
            return
        to_fetch, children = polled
        for child in children:
            if request := self._feed_request(source, child, self.parse_sitemap):
                yield request
        yield from self._article_requests(source, to_fetch)

    def _polled(
        self, poll: Callable[..., _Polled], response: Response, source: Source, feed_url: str
    ) -> _Polled | None:
        """What `poll` (the run's feed or sitemap step) makes of a response; None when the
        store failed (the crawl is stopping; the report says why) or the feed broke rasad (it
        fails, never passes as ok)."""
        self._feeds_out.pop(response.meta.get("rasad_key", 0), None)
        try:
            return poll(
                source.name,
                feed_url,
                response.body,
                response.status,
                response_headers(response),
                base_url=response.url,
            )
        except StoreWriteFailed:
            return None
        except Exception as exc:
            detail = f"cannot be read ({type(exc).__name__}: {str(exc)[:120]})"
            with suppress(StoreWriteFailed):
                self.run.feed_failed(source.name, feed_url, detail, response.status, counted=True)
            return None

    def feed_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        self._feeds_out.pop(request.meta.get("rasad_key", 0), None)
        reason, detail = describe_failure(failure)
        with suppress(StoreWriteFailed):  # stopped the crawl; in the report
            self.run.feed_failed(
                request.cb_kwargs["source"].name,
                request.cb_kwargs["feed_url"],
                detail,
                _status(failure),
                kind=reason,
            )

    # discovery: the homepage, then candidate feed URLs one at a time until one works

    def parse_homepage(self, response: Response, source: Source) -> Any:
        candidates = self.run.discovery_candidates(
            source, response.body, response.url, response_headers(response)
        )
        yield from self._next_candidate(source, candidates, tried=0)

    def homepage_failed(self, failure: Failure) -> Any:
        source: Source = failure.request.cb_kwargs["source"]  # type: ignore[attr-defined]
        candidates = self.run.discovery_candidates(source, b"", source.homepage or "", {})
        yield from self._next_candidate(source, candidates, tried=0)

    def _next_candidate(self, source: Source, candidates: list[str], tried: int) -> Any:
        if not candidates:
            yield from self._robots_sitemaps(source, tried)
            return
        request = self._request(
            source,
            candidates[0],
            self.parse_candidate,
            self.candidate_failed,
            priority=10,
            dont_filter=True,
            meta={"handle_httpstatus_all": True},
        )
        request.cb_kwargs.update(rest=candidates[1:], tried=tried + 1)
        yield request

    def parse_candidate(
        self, response: Response, source: Source, rest: list[str], tried: int
    ) -> Any:
        to_fetch = self.run.candidate_polled(
            source, response.url, response.body, response.status, response_headers(response)
        )
        if to_fetch is None:
            yield from self._next_candidate(source, rest, tried)
        else:
            yield from self._article_requests(source, to_fetch)

    def candidate_failed(self, failure: Failure) -> Any:
        kwargs = failure.request.cb_kwargs  # type: ignore[attr-defined]
        yield from self._next_candidate(kwargs["source"], kwargs["rest"], kwargs["tried"])

    # no feed found: the news sitemaps the host's robots.txt announces, polled as sitemaps

    def _robots_sitemaps(self, source: Source, tried: int) -> Any:
        robots_url = self.run.robots_url(source)
        if robots_url is None:
            self.run.discovery_failed(source, tried)
            return
        found = self.run.cached_robots_sitemaps(source, robots_url, tried)
        if found is not None:
            yield from self._sitemap_requests(source, found)
            return
        request = self._request(
            source,
            robots_url,
            self.parse_robots,
            self.robots_failed,
            priority=10,
            dont_filter=True,
            # robots.txt itself is never disallowed; the middleware would fetch it twice
            meta={"handle_httpstatus_all": True, "dont_obey_robotstxt": True},
        )
        request.cb_kwargs.update(robots_url=robots_url, tried=tried + 1)
        yield request

    def parse_robots(self, response: Response, source: Source, robots_url: str, tried: int) -> Any:
        found = self.run.robots_polled(source, robots_url, response.body, response.status, tried)
        yield from self._sitemap_requests(source, found)

    def robots_failed(self, failure: Failure) -> None:
        kwargs = failure.request.cb_kwargs  # type: ignore[attr-defined]
        self.run.discovery_failed(kwargs["source"], kwargs["tried"])

    def _sitemap_requests(self, source: Source, urls: list[str]) -> Any:
        for url in urls:
            if request := self._feed_request(source, url, self.parse_sitemap):
                yield request

    def parse_article(self, response: Response, source: Source, entry: FeedEntry) -> Any:
        self._articles_out.pop(response.meta.get("rasad_key", 0), None)
        yield from self._top_up()
        self.run.page_fetched(source.name)
        yield FetchedPage(
            source=source.name,
            entry=entry,
            url=response.url,
            status=response.status,
            headers=response_headers(response),
            body=response.body,
        )

    def article_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        request = failure.request  # type: ignore[attr-defined]
        self._articles_out.pop(request.meta.get("rasad_key", 0), None)
        yield from self._top_up()
        reason, _detail = describe_failure(failure)
        entry: FeedEntry = request.cb_kwargs["entry"]
        response = getattr(failure.value, "response", None)
        retry_after = None
        if response is not None:
            header = response.headers.get(b"Retry-After")
            retry_after = retry_after_seconds(
                header.decode("latin-1") if header else None, self.run.clock()
            )
        with suppress(StoreWriteFailed):  # stopped the crawl; in the report
            self.run.article_failed(
                request.cb_kwargs["source"].name, entry.url, reason, retry_after
            )


_keys = itertools.count(1)


def _key(request: scrapy.Request) -> int:
    """The request's tracking key: kept in its meta, which retries and redirects copy."""
    if "rasad_key" not in request.meta:
        request.meta["rasad_key"] = next(_keys)
    key: int = request.meta["rasad_key"]
    return key


def _status(failure: Failure) -> int | None:
    response = getattr(failure.value, "response", None)
    return getattr(response, "status", None)

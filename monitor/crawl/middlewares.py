"""Downloader middlewares rasad needs beyond Scrapy's own."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Request, Response
from scrapy.robotstxt import RobotParser
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred

from monitor.sources.robots import polite_delay


class StoredRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, with robots.txt kept in the store between runs and
    safe when many requests wait for one robots.txt.

    Caching: each `rasad crawl` is a new process, and Scrapy would fetch every host's
    robots.txt again on every run; an unchanged re-poll must cost one conditional request
    per feed and nothing else. A robots.txt fetched less than `crawl.robots_cache` seconds
    ago (a day by default; RFC 9309 allows 24 h) is read from the store instead.

    Crawl-delay: Scrapy parses it but never applies it. The delay a host's robots.txt asks
    for (capped at two minutes) becomes its download slot's delay when it exceeds
    `crawl.download_delay`.

    Waiting: under the asyncio reactor Scrapy awaits the per-host Deferred through
    `Deferred.asFuture`, whose callback returns None: the first waiter gets the parser,
    every later waiter gets None, which means "no robots.txt, allow everything". A crawl
    that starts with several requests to one host would then fetch disallowed pages. Once
    any waiter resumes the parser is settled in `_parsers`, so it is read from there.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._delays: dict[str, float] = {}  # netloc -> seconds between requests
        crawler.signals.connect(self._apply_delay, signal=signals.request_reached_downloader)

    async def robot_parser(self, request: Request) -> RobotParser | None:
        netloc = urlparse_cached(request).netloc
        if netloc not in self._parsers:
            self._load_cached(netloc)
        parser = await super().robot_parser(request)
        settled = self._parsers.get(netloc)
        parser = parser if isinstance(settled, Deferred) else settled
        if parser is not None and netloc not in self._delays:
            agent = request.headers.get(b"User-Agent") or self._default_useragent
            delay = polite_delay(
                self.crawler.settings.getfloat("DOWNLOAD_DELAY"), parser.crawl_delay(agent)
            )
            self._delays[netloc] = delay
        return parser

    def _apply_delay(self, request: Request, spider: Any = None) -> None:
        delay = self._delays.get(urlparse_cached(request).netloc)
        engine = self.crawler.engine
        if delay is None or engine is None:
            return
        slot = engine.downloader.slots.get(request.meta.get("download_slot", ""))
        if slot is not None and slot.delay < delay:
            slot.delay = delay
            slot.randomize_delay = False

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        run = self._run()
        if run is not None:
            run.store.cache_robots(netloc, response.status, response.body, run.clock())
        await super()._parse_robots(response, netloc, request)

    def _load_cached(self, netloc: str) -> None:
        run = self._run()
        if run is None:
            return
        cached = run.store.cached_robots(netloc)
        max_age = timedelta(seconds=run.config.crawl.robots_cache)
        if cached is None or run.clock() - cached[2] > max_age:
            return
        self._parsers[netloc] = build_from_crawler(self._parserimpl, self.crawler, cached[1])
        self._stats.inc_value("robotstxt/cached")

    def _run(self) -> Any:
        return getattr(self.crawler.spider, "run", None)

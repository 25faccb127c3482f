"""Downloader middlewares rasad needs beyond Scrapy's own."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import CannotResolveHostError, DownloadCancelledError
from scrapy.http import Request, Response
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet import defer
from twisted.internet.defer import CancelledError, Deferred
from twisted.internet.threads import deferToThread

from monitor.crawl.destinations import (
    DestinationPolicy,
    ForbiddenDestination,
    PinnedResolver,
    host_of,
    parse_networks,
)
from monitor.sources.robots import polite_delay, robots_max_age, robots_rules

REFUSALS_SHOWN = 5  # per source, in the run report; the rest are counted
_BYTES = "rasad_bytes_received"  # request.meta: body bytes received so far


class ResponseTooLarge(Exception):
    """A streamed (chunked) response that outgrew DOWNLOAD_MAXSIZE. Scrapy cancels such a
    download with a bare DownloadCancelledError, which would be counted as "network"; the
    message is the one Scrapy gives a too-long Content-Length, so both are `too_large`."""


def policy_for(config: Any) -> DestinationPolicy:
    """The destination policy of a run's config (None: no config, public addresses only).

    `[crawl] allow_networks` absent: public addresses and the configured sources' own hosts;
    set: public addresses and the listed networks only."""
    if config is None:
        return DestinationPolicy(())
    networks = config.crawl.allow_networks
    trusted = [
        host_of(url)
        for source in config.sources
        for url in (
            *source.feeds,
            *source.sitemaps,
            *([source.homepage] if source.homepage else []),
        )
    ]
    return DestinationPolicy(None if networks is None else parse_networks(networks), trusted)


class DestinationMiddleware:
    """Refuses, before any connection, every request (feed, article, robots.txt, redirect,
    meta refresh) whose scheme is not http(s) or whose host resolves to an address the
    destination policy does not allow (`monitor.crawl.destinations`).

    The host is resolved once per run in a thread; the answer is pinned, and the reactor's
    name resolver is replaced by one that connects only to pinned, allowed addresses, so the
    address checked is the address connected to. A refused request's errback gets
    `ForbiddenDestination` (reason `forbidden_destination`); a refused page that is not a
    feed also gets a line in the run report naming the URL and the address.

    It also turns Scrapy's cancellation of a chunked response past DOWNLOAD_MAXSIZE into
    `ResponseTooLarge` (recorded as `too_large`, as a too-long Content-Length already is).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._policy: DestinationPolicy | None = None
        self._shown: Counter[str] = Counter()  # source -> refusals listed in the report
        self._maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        self._dns_timeout = crawler.settings.getfloat("DNS_TIMEOUT") or 60.0
        crawler.signals.connect(self._count_bytes, signal=signals.bytes_received)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DestinationMiddleware:
        return cls(crawler)

    @property
    def policy(self) -> DestinationPolicy:
        """Built at the first request (the spider and its run exist by then), when it also
        takes over the reactor's name resolution."""
        if self._policy is None:
            run = getattr(self.crawler.spider, "run", None)
            self._policy = policy_for(getattr(run, "config", None))
            from twisted.internet import reactor

            fallback = reactor.nameResolver
            reactor.installNameResolver(PinnedResolver(self._policy, fallback))
        return self._policy

    async def process_request(self, request: Request) -> None:
        policy = self.policy
        request.meta.pop(_BYTES, None)  # a retry or a redirect counts its own body
        from twisted.internet import reactor

        lookup = deferToThread(policy.check, request.url)
        lookup.addTimeout(self._dns_timeout, reactor)
        try:
            await maybe_deferred_to_future(lookup)
        except ForbiddenDestination as refused:
            self._report(request, refused)
            raise
        except defer.TimeoutError:
            host = urlparse_cached(request).hostname
            raise CannotResolveHostError(
                f"looking up {host} took longer than {self._dns_timeout:g} s"
            ) from None

    def process_exception(self, request: Request, exception: Exception) -> None:
        maxsize = request.meta.get("download_maxsize", self._maxsize)
        received = request.meta.get(_BYTES, 0)
        cancelled = isinstance(exception, DownloadCancelledError | CancelledError)
        if cancelled and maxsize and received > maxsize:
            raise ResponseTooLarge(
                f"Received {received} bytes which is larger than download max size "
                f"({maxsize}) in request {request}."
            ) from exception

    def _count_bytes(self, data: bytes, request: Request, spider: Any = None) -> None:
        request.meta[_BYTES] = request.meta.get(_BYTES, 0) + len(data)

    def _report(self, request: Request, refused: ForbiddenDestination) -> None:
        """A line under the report's table for a refused page (a refused feed's failure
        line already names it), at most REFUSALS_SHOWN per source."""
        run = getattr(self.crawler.spider, "run", None)
        source = request.cb_kwargs.get("source")
        if run is None or source is None or "feed_url" in request.cb_kwargs:
            return
        name = source.name
        self._shown[name] += 1
        report = run.report.source(name)
        if self._shown[name] <= REFUSALS_SHOWN:
            report.feed_warnings.append(f"refused {refused.url}: {refused.why}")
        elif self._shown[name] == REFUSALS_SHOWN + 1:
            report.feed_warnings.append(
                "more destinations refused: counted under forbidden_destination"
            )


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
        rules = robots_rules(response.status, response.body)  # a 5xx disallows all (RFC 9309)
        await super()._parse_robots(response.replace(body=rules), netloc, request)

    def _load_cached(self, netloc: str) -> None:
        run = self._run()
        if run is None:
            return
        cached = run.store.cached_robots(netloc)
        if cached is None:
            return
        max_age = timedelta(seconds=robots_max_age(cached[0], run.config.crawl.robots_cache))
        if run.clock() - cached[2] > max_age:
            return
        rules = robots_rules(cached[0], cached[1])
        self._parsers[netloc] = build_from_crawler(self._parserimpl, self.crawler, rules)
        self._stats.inc_value("robotstxt/cached")

    def _run(self) -> Any:
        return getattr(self.crawler.spider, "run", None)

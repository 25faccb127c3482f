"""Downloader middlewares rasad needs beyond Scrapy's own."""

from __future__ import annotations

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Request
from scrapy.robotstxt import RobotParser
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, safe when many requests wait for one robots.txt.

    Under the asyncio reactor Scrapy awaits the per-host Deferred through
    `Deferred.asFuture`, whose callback returns None: the first waiter gets the parser,
    every later waiter gets None, which means "no robots.txt, allow everything". A crawl
    that starts with several requests to one host (feeds plus retried article pages)
    would then fetch disallowed pages. Once any waiter resumes, the parser is settled in
    `_parsers`, so read it from there.
    """

    async def robot_parser(self, request: Request) -> RobotParser | None:
        parser = await super().robot_parser(request)
        settled = self._parsers.get(urlparse_cached(request).netloc)
        return parser if isinstance(settled, Deferred) else settled

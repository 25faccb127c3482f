"""The feed spider: polls every configured feed and fetches the pages of new entries.

Fetch and route only. What a feed lists, which entries are already stored and how a
failure is recorded are decided by `monitor.crawl.CrawlRun`; what a page says is
decided by the item pipelines.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from monitor.config import Source
from monitor.crawl import CrawlRun, describe_failure, retry_after_seconds
from monitor.items import FetchedPage
from monitor.models import FeedEntry
from monitor.urls import canonical_url


def _headers(response: Response) -> dict[str, str]:
    return {
        key.decode("latin-1").lower(): (response.headers.get(key) or b"").decode("latin-1")
        for key in response.headers
    }


# Feed responses the spider's callback sees instead of an HttpError: 304 is "nothing new",
# and the errors carry what the polling policy needs (Retry-After, gone, ...).
FEED_STATUSES = [304, *range(400, 600)]


class FeedSpider(scrapy.Spider):
    name = "feeds"

    def __init__(self, run: CrawlRun | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if run is None:
            raise ValueError("the feed spider is started by `rasad crawl`, which gives it a run")
        self.run = run
        # Article requests bypass Scrapy's duplicate filter, which silently drops a request
        # it has seen (a redirect loop would vanish without an errback and go unrecorded);
        # the same page listed twice in one run is skipped here instead.
        self._requested: set[str] = set()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for source in self.run.sources:
            if not source.feeds:
                self.run.source_unusable(
                    source,
                    f"{source.homepage}: no feeds configured, "
                    "and feed discovery from a homepage is not "
                    "available yet: add `feeds`",
                )
            for feed_url in source.feeds:
                headers = self.run.feed_request_headers(source, feed_url)
                if headers is None:
                    continue
                feed_request = self._request(
                    source,
                    feed_url,
                    self.parse_feed,
                    self.feed_failed,
                    priority=10,
                    dont_filter=True,
                    meta={"handle_httpstatus_list": FEED_STATUSES},
                )
                feed_request.headers.update(headers)
                yield feed_request
            for entry in self.run.pending_entries(source):
                if request := self._article_request(source, entry):
                    yield request

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

    def _article_request(self, source: Source, entry: FeedEntry) -> scrapy.Request | None:
        key = canonical_url(entry.url)
        if key in self._requested:
            return None
        self._requested.add(key)
        request = self._request(
            source, entry.url, self.parse_article, self.article_failed, dont_filter=True
        )
        request.cb_kwargs["entry"] = entry
        return request

    def parse_feed(self, response: Response, source: Source) -> Any:
        to_fetch = self.run.feed_polled(
            source.name, response.url, response.body, response.status, _headers(response)
        )
        for entry in to_fetch:
            if request := self._article_request(source, entry):
                yield request

    def feed_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        _reason, detail = describe_failure(failure)
        self.run.feed_failed(
            request.cb_kwargs["source"].name, request.url, detail, _status(failure)
        )

    def parse_article(self, response: Response, source: Source, entry: FeedEntry) -> Any:
        self.run.page_fetched(source.name)
        yield FetchedPage(
            source=source.name,
            entry=entry,
            url=response.url,
            status=response.status,
            headers=_headers(response),
            body=response.body,
        )

    def article_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        reason, _detail = describe_failure(failure)
        entry: FeedEntry = request.cb_kwargs["entry"]
        response = getattr(failure.value, "response", None)
        retry_after = None
        if response is not None:
            header = response.headers.get(b"Retry-After")
            retry_after = retry_after_seconds(
                header.decode("latin-1") if header else None, self.run.clock()
            )
        self.run.article_failed(request.cb_kwargs["source"].name, entry.url, reason, retry_after)


def _status(failure: Failure) -> int | None:
    response = getattr(failure.value, "response", None)
    return getattr(response, "status", None)

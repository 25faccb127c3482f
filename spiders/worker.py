"""The worker spider of `rasad worker`: article pages taken from the shared queue.

Fetch and route only, like the feed spider's article path: the same request per page, the
same callbacks' meaning (a response becomes a `FetchedPage` for the item pipelines; an error
is recorded against the page's source), the same pipelines. What is new is where requests
come from: `start()` keeps taking jobs from the queue while fewer than `concurrency` are in
hand, holds back a job whose host another worker has just asked (the per-host delay is
shared through the queue), and renews the leases of the jobs in hand every few seconds.
The run (`monitor.queue.worker_run.WorkerRun`) acknowledges each job once its outcome is
in the store.

Stopping (SIGTERM, Ctrl-C): no more jobs are taken; requests in flight are abandoned by
Scrapy and their jobs given back to the queue, first in line for another worker.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections.abc import AsyncIterator
from contextlib import suppress
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from twisted.internet.task import LoopingCall
from twisted.python.failure import Failure

from monitor.crawl.failures import StoreWriteFailed, describe_failure, retry_after_seconds
from monitor.crawl.items import FetchedPage, response_headers
from monitor.queue.jobs import Lease
from monitor.queue.redis_queue import QueueError
from monitor.queue.worker_run import WorkerRun
from monitor.text.urls import canonical_url

logger = logging.getLogger("rasad")

IDLE_POLL_S = 0.2  # how long an idle worker waits before asking the queue again
TAKE_AT_ONCE = 8  # jobs taken in one round trip, at most


class WorkerSpider(scrapy.Spider):
    name = "worker"

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> WorkerSpider:
        if kwargs.get("run") is None:
            raise NotConfigured("the worker spider runs under `rasad worker` only")
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, WorkerSpider)
        spider.run.stop = spider.stop_crawl
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(spider._item_left, signal=signal)
        return spider

    def __init__(
        self,
        run: WorkerRun | None = None,
        concurrency: int = 16,
        idle_exit: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if run is None:
            raise ValueError("the worker spider needs a WorkerRun: start it with `rasad worker`")
        self.run = run
        self.concurrency = max(1, concurrency)
        self.idle_exit = idle_exit  # stop once the queue has been empty this long (None: never)
        self._stopping = False
        self._waiting: list[tuple[float, int, Lease]] = []  # (not before, seq, lease)
        self._seq = itertools.count()
        self._renewer: LoopingCall | None = None

    def stop_crawl(self, reason: str) -> None:
        """End the worker now (a store that cannot be written, a queue gone away)."""
        from scrapy.utils.defer import deferred_from_coro

        engine = self.crawler.engine
        if engine is not None and not self._stopping:
            self._stopping = True
            deferred_from_coro(engine.close_spider_async(reason=reason))

    def closed(self, reason: str) -> None:
        """Every job still in hand goes back to the queue (a page half-processed is taken
        again; the store's constraints keep it stored once)."""
        self._stopping = True
        if self._renewer is not None and self._renewer.running:
            self._renewer.stop()
        with suppress(QueueError):
            self.run.release_all()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        interval = max(0.2, min(5.0, self.run.lease_s / 3))
        self._renewer = LoopingCall(self._renew)
        self._renewer.start(interval, now=True)
        idle_since = time.monotonic()
        while not self._stopping:
            request = self._next_request()
            if request is not None:
                idle_since = time.monotonic()
                yield request
                continue
            room = self.concurrency - len(self.run.held)
            taken = self._take(room) if room > 0 else 0
            if taken:
                idle_since = time.monotonic()
                continue
            if self.run.held or self._waiting:
                idle_since = time.monotonic()
            elif self.idle_exit is not None and time.monotonic() - idle_since >= self.idle_exit:
                return
            await asyncio.sleep(self._pause())

    def _take(self, room: int) -> int:
        try:
            leases = self.run.take(min(room, TAKE_AT_ONCE))
        except QueueError as exc:
            self.run.say(f"rasad worker: {exc}")
            self.stop_crawl("queue_failed")
            return 0
        except StoreWriteFailed:
            return 0  # the run is stopping; the report says why
        for lease in leases:
            heapq.heappush(self._waiting, (0.0, next(self._seq), lease))
        return len(leases)

    def _pause(self) -> float:
        if not self._waiting:
            return IDLE_POLL_S
        return min(IDLE_POLL_S, max(0.01, self._waiting[0][0] - time.monotonic()))

    def _next_request(self) -> scrapy.Request | None:
        """The first job in hand whose host may be asked now, as a request."""
        now = time.monotonic()
        while self._waiting and self._waiting[0][0] <= now:
            _, _, lease = heapq.heappop(self._waiting)
            if lease.key not in self.run.held:
                continue  # done meanwhile
            limit = self.crawler.settings.getint("URLLENGTH_LIMIT")
            if limit and len(lease.job.entry.url) > limit:  # Scrapy would drop it silently
                self._record(lease, "url_too_long")
                continue
            wait = self.run.host_wait(lease.job.entry.url)
            if wait > 0:
                heapq.heappush(self._waiting, (now + wait, next(self._seq), lease))
                return None
            return self._request(lease)
        return None

    def _request(self, lease: Lease) -> scrapy.Request:
        source = self.run.source_of(lease)
        headers = {"User-Agent": source.user_agent} if source.user_agent else {}
        return scrapy.Request(
            lease.job.entry.url,
            callback=self.parse_article,
            errback=self.article_failed,
            headers=headers,
            cb_kwargs={"source": source, "entry": lease.job.entry, "lease": lease},
            dont_filter=True,  # a page the filter dropped would have no outcome at all
        )

    def _renew(self) -> None:
        """Every few seconds; it must never raise (a LoopingCall that raises stops, and
        then every lease in hand would run out)."""
        try:
            self.run.renew()
            self.run.reap()  # a killed worker's jobs return even without a coordinator
        except QueueError as exc:
            self.run.say(f"rasad worker: {exc}")
        except StoreWriteFailed:
            pass  # the worker is stopping; the report says why
        except Exception:
            logger.exception("renewing leases failed")

    def _record(self, lease: Lease, reason: str, retry_after: float | None = None) -> None:
        with suppress(StoreWriteFailed):  # stopped the worker; the job goes back
            self.run.article_failed(lease.job.source, lease.job.entry.url, reason, retry_after)

    def parse_article(self, response: Response, source: Any, entry: Any, lease: Lease) -> Any:
        self.run.job_fetched(lease)
        yield FetchedPage(
            source=source.name,
            entry=entry,
            url=response.url,
            status=response.status,
            headers=response_headers(response),
            body=response.body,
        )

    def article_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        lease: Lease = request.cb_kwargs["lease"]
        reason, _detail = describe_failure(failure)
        response = getattr(failure.value, "response", None)
        retry_after = None
        if response is not None:
            header = response.headers.get(b"Retry-After")
            retry_after = retry_after_seconds(
                header.decode("latin-1") if header else None, self.run.clock()
            )
        self._record(lease, reason, retry_after)

    def _item_left(self, item: Any, **_kwargs: Any) -> None:
        """An item the pipelines finished with: a page that left them without an outcome
        in the store (neither stored nor recorded failed) is recorded failed, or its job
        would be held, and renewed, for ever."""
        entry = getattr(item, "entry", None)
        if entry is None or self._stopping:
            return
        lease = self.run.held.get(canonical_url(entry.url))
        if lease is not None:
            self._record(lease, "dropped")

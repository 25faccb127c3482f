"""The coordinator side of a scaled-out crawl: `rasad crawl` with `[queue] url` set.

It polls feeds and sitemaps exactly as a single-process crawl does (the same `CrawlRun`),
but hands each article page to the shared queue instead of fetching it (`hand_off`, called
by the feed spider), then waits until the workers have emptied the queue (`drain`) and
adds what they counted for this run to its report, which is printed and recorded as usual.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from monitor.config.loader import Config, Source
from monitor.crawl.report import RunReport
from monitor.crawl.run import CrawlRun
from monitor.models import FeedEntry
from monitor.queue.jobs import COUNTERS, Job, record_lost
from monitor.queue.redis_queue import QueueError, RedisQueue
from store import Store

BATCH = 50  # jobs queued in one round trip
POLL_S = 0.25  # how often the queue is looked at while waiting for the workers
PROGRESS_S = 5.0  # a progress line this often (with progress on)
NO_WORKER_S = 30.0  # warn when no worker renewed anything for this long


class QueuedCrawlRun(CrawlRun):
    """A crawl run whose article pages are fetched by `rasad worker` processes."""

    def __init__(
        self,
        config: Config,
        store: Store,
        sources: Sequence[Source],
        *,
        queue: RedisQueue | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(config, store, sources, **kwargs)
        assert config.queue.url is not None, "a queued run needs [queue] url"
        self.queue = queue or RedisQueue(config.queue.url)
        self.queue.ping()  # a queue that cannot be reached fails the run before any poll
        self.token = uuid.uuid4().hex  # this run's id in the queue (its counters' key)
        self.handed_off = 0
        self._batch: list[Job] = []

    def hand_off(self, source: Source, entry: FeedEntry) -> None:
        """Queue one article page (the spider de-duplicates within the run; the queue across
        runs: a page still queued by an interrupted run is not queued twice)."""
        self._batch.append(Job(source.name, entry, self.token))
        self.handed_off += 1
        if len(self._batch) >= BATCH:
            try:
                self.flush()
            except QueueError as exc:  # kept, and tried again with the next batch
                self.say(f"{exc}; trying again")

    def flush(self) -> None:
        """Queue the pages handed off so far (again after a failure: queuing is idempotent)."""
        if self._batch:
            self.queue.enqueue(self._batch)
            self._batch = []

    def drain(self, reason: str | None, stopped: Callable[[], bool]) -> str | None:
        """After the polls: wait for the workers to empty the queue (the whole queue: a
        worker takes pages first come, first served), then merge their counts into the
        report. Returns the crawl's finish reason: "shutdown" when `stopped()` turned true
        while waiting (the pages left stay queued for the workers, and in the frontier)."""
        try:
            self.flush()
            if reason == "finished":
                reason = self._wait(stopped)
            merge_counts(self.report, self.queue, self.token)
        except QueueError as exc:  # recorded interrupted; the frontier keeps every page
            print(f"rasad: {exc}", file=sys.stderr)
            return "queue_failed"
        finally:
            self.queue.close()
        return reason

    def reap(self) -> None:
        """A killed worker's pages back to the queue; those that outlived too many workers
        recorded failed in the store."""
        _expired, lost = self.queue.reap()
        record_lost(self.store, lost, self.clock(), self.config.crawl.retry_delay)

    def _wait(self, stopped: Callable[[], bool]) -> str:
        started = last_line = time.monotonic()
        warned = False
        while True:
            self.reap()
            pending, leased = self.queue.outstanding()
            if pending + leased == 0:
                return "finished"
            if stopped():
                return "shutdown"
            now = time.monotonic()
            if now - last_line >= PROGRESS_S:
                last_line = now
                workers = self.queue.live_workers(NO_WORKER_S)
                self.say(
                    f"... waiting for workers: {pending} pages queued, {leased} in progress, "
                    f"{workers} worker(s) active"
                )
                if not workers and not warned and now - started >= NO_WORKER_S:
                    warned = True
                    self.say(f"no `rasad worker` is taking pages from {self.queue.url}")
            time.sleep(POLL_S)


def merge_counts(report: RunReport, queue: RedisQueue, token: str) -> None:
    """Add what the workers counted for run `token` (fetched, stored by outcome, failed by
    reason, ...) to `report`, with their warnings; then forget them in the queue."""
    for source, counts in queue.run_counts(token).items():
        into = report.source(source)
        for name, n in counts.items():
            if name.startswith("stored."):
                into.stored[name.removeprefix("stored.")] += n
            elif name.startswith("failed."):
                into.failed[name.removeprefix("failed.")] += n
            elif name in COUNTERS:
                setattr(into, name, getattr(into, name) + n)
    for source, line in queue.run_notes(token):
        report.source(source).feed_warnings.append(line)
    queue.forget_run(token)

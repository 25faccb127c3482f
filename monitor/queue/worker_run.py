"""The worker side of a scaled-out crawl: the run object of `rasad worker`.

`WorkerRun` is a `CrawlRun` (so the item pipelines and middlewares find the config, the
store, the lexicon and the report where they always do) that also holds the worker's
leases. The pipelines end each page by calling `article_done` or `article_failed`; once the
store has committed that outcome, the job is acknowledged in the queue together with what
this page adds to its coordinator run's report. Until then the lease is renewed, so a page
is never lost: a worker killed before the ack lets its lease run out, and another worker
takes the page again (and skips it if the store says it is stored by now).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import TextIO
from urllib.parse import urlsplit

from monitor.config.loader import Config, Source
from monitor.crawl.run import CrawlRun
from monitor.judge.dedup import Fingerprint
from monitor.queue.jobs import Lease, record_lost
from monitor.queue.redis_queue import QueueError, RedisQueue, worker_id
from monitor.sources.robots import crawl_delay_for, polite_delay, robots_rules
from monitor.text.urls import canonical_url
from store import Store
from store.base import AddOutcome, StoredArticle

log = logging.getLogger("rasad")

MAX_HOST_HOLD_S = 600.0  # a Retry-After holds a host back for every worker, up to this
HOST_DELAY_TTL_S = 60.0  # a host's delay (robots.txt Crawl-delay) is looked up this often


class WorkerRun(CrawlRun):
    """A worker's crawl run: every configured source, the leases in hand, their counts."""

    def __init__(
        self,
        config: Config,
        store: Store,
        queue: RedisQueue,
        *,
        worker: str | None = None,
        progress: TextIO | None = None,
    ) -> None:
        super().__init__(config, store, config.sources, progress=progress)
        self.queue = queue
        self.worker = worker or worker_id()
        self.lease_s = float(config.queue.lease)
        self.held: dict[str, Lease] = {}  # job key -> lease: taken and not acknowledged yet
        self._counts: dict[str, Counter[str]] = {}  # job key -> what it adds to its report
        self._delays: dict[str, tuple[float, float]] = {}  # host -> (delay, looked up at)
        self._warned: dict[str, int] = {}  # source -> its report's warnings forwarded
        self.done = 0  # jobs acknowledged
        self.lost = 0  # leases that ran out while held (this worker was too slow)

    def source_of(self, lease: Lease) -> Source:
        """The job's source as this worker's config has it (a name it lacks: the defaults)."""
        return self._by_name.get(lease.job.source) or Source(name=lease.job.source)

    # the queue

    def take(self, count: int) -> list[Lease]:
        """Up to `count` more jobs; those whose page the store already holds are skipped."""
        fresh = []
        for lease in self.queue.take(self.worker, self.lease_s, count):
            self.held[lease.key] = lease
            self._counts[lease.key] = Counter()
            if self.store.seen(lease.job.entry.url):  # stored since it was queued
                self._count(lease.key, "already_stored")
                self._ack(lease.key, skipped=True)
            else:
                fresh.append(lease)
        return fresh

    def renew(self) -> None:
        """Extend every lease in hand (called every few seconds)."""
        if not self.held:
            self.queue.renew(self.worker, [], self.lease_s)  # still alive
            return
        lost = self.queue.renew(self.worker, list(self.held.values()), self.lease_s)
        for key in lost:
            if key in self.held:
                self.lost += 1
                log.warning("lease ran out on %s; another worker may fetch it too", key)

    def reap(self) -> None:
        """As the coordinator does while it waits: workers recover a killed worker's pages
        even when no coordinator is running."""
        _expired, lost = self.queue.reap()
        record_lost(self.store, lost, self.clock(), self.config.crawl.retry_delay)

    def release_all(self) -> int:
        """Give back every job in hand (a stopping worker); how many went back."""
        released = 0
        for key, lease in list(self.held.items()):
            released += self.queue.release(lease)
            self.held.pop(key, None)
            self._counts.pop(key, None)
        return released

    def _count(self, key: str, name: str, n: int = 1) -> None:
        if key in self._counts:
            self._counts[key][name] += n

    def _ack(self, key: str, *, skipped: bool = False) -> None:
        lease = self.held.pop(key, None)
        counts = self._counts.pop(key, Counter())
        if lease is None:
            return
        self._forward_warnings(lease)
        self.queue.ack(lease, counts, skipped=skipped)
        self.done += 1
        if self.done % 50 == 0:
            self.say(f"... {self.done} pages done")

    # per-host politeness, shared by every worker

    def host_wait(self, url: str) -> float:
        """Seconds before a request to `url`'s host may go (0.0: now, and the host's next
        request waits its delay): `download_delay`, raised to its robots.txt Crawl-delay,
        and any Retry-After a worker was given, across every worker on the queue."""
        host = urlsplit(url).netloc
        return self.queue.host_slot(host, self._host_delay(host))

    def _host_delay(self, host: str) -> float:
        now = time.monotonic()
        known = self._delays.get(host)
        if known is not None and now - known[1] < HOST_DELAY_TTL_S:
            return known[0]
        crawl = self.config.crawl
        crawl_delay = None
        cached = self.store.cached_robots(host) if crawl.obey_robots else None
        if cached is not None:
            text = robots_rules(cached[0], cached[1]).decode("utf-8", "replace")
            crawl_delay = crawl_delay_for(text, crawl.user_agent)
        delay = polite_delay(crawl.download_delay, crawl_delay)
        if cached is not None or not crawl.obey_robots:
            # remembered only once robots.txt is known: until then each claim asks the store
            # again, so the first page's robots.txt sets the Crawl-delay of the very next one
            self._delays[host] = (delay, now)
        return delay

    # what the spider and the pipelines report

    def job_fetched(self, lease: Lease) -> None:
        self.page_fetched(lease.job.source)
        self._count(lease.key, "fetched")

    def article_failed(
        self, source: str, url: str, reason: str, retry_after: float | None = None
    ) -> None:
        report = self.report.source(source)
        gave_up = report.gave_up
        super().article_failed(source, url, reason, retry_after)
        key = canonical_url(url)
        self._count(key, f"failed.{reason}")
        self._count(key, "gave_up", report.gave_up - gave_up)
        self._ack(key)  # first: the failure is committed, so the job is over whatever follows
        if retry_after:
            host = urlsplit(url).netloc
            try:
                self.queue.hold_host(host, min(retry_after, MAX_HOST_HOLD_S))
            except QueueError as exc:  # the store keeps the Retry-After for this page itself
                self.say(f"rasad worker: could not share {host}'s Retry-After: {exc}")

    def article_done(
        self, article: StoredArticle, fp: Fingerprint | None, declared_original: str | None
    ) -> AddOutcome:
        outcome = super().article_done(article, fp, declared_original)
        key = canonical_url(article.url)
        self._count(key, f"stored.{'updated' if outcome.written == 'updated' else outcome.status}")
        self._ack(key)
        return outcome

    def _forward_warnings(self, lease: Lease) -> None:
        """Warnings the middlewares added to this worker's report since the last job of
        the source (a refused destination, ...) go to the job's coordinator run's report."""
        source = lease.job.source
        warnings = self.report.source(source).feed_warnings
        sent = self._warned.get(source, 0)
        for line in warnings[sent:]:
            self.queue.note(lease.job.run, source, line)
        self._warned[source] = len(warnings)

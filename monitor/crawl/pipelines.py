"""The item pipeline: a fetched page is prepared (extracted, judged, fingerprinted) beside
the reactor and stored in arrival order (`ArticlePipeline`).

Each component reaches the run (store, report, clock) through the crawler's spider;
the work itself is done by plain functions in monitor/ that know nothing of Scrapy.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from dataclasses import asdict
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from twisted.internet.task import LoopingCall

from monitor.crawl.failures import StoreWriteFailed
from monitor.crawl.items import ArticleItem, FetchedPage
from monitor.crawl.prepare import Judging, Prepared, Preparer, worker_count
from monitor.crawl.run import CrawlRun
from monitor.judge.dedup import declared_original
from monitor.text.urls import canonical_url
from store.base import Status, StoredArticle

#: Seconds between checks that an open group of stored articles has waited long enough.
FLUSH_EVERY = 0.1


class _RunPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> _RunPipeline:
        return cls(crawler)

    @property
    def run(self) -> CrawlRun:
        run: CrawlRun = self.crawler.spider.run  # type: ignore[union-attr]
        return run


class ArticlePipeline(_RunPipeline):
    """Page bytes → stored outcome, in two steps.

    Preparing (extract, judge, fingerprint: `monitor.crawl.prepare`) runs beside the
    reactor, in worker processes once the run is big enough; storing runs here, one page at
    a time *in the order the pages arrived* (`InOrder`), whatever order the workers finish
    in. So the outcomes are the ones a one-page-at-a-time crawl gives: of two copies of a
    story fetched by one run, the first fetched is stored as new and the second is matched
    against it. A page is either stored or recorded as failed before its turn ends; one
    whose result never arrived (the run was killed) stays pending in the frontier.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._preparer: Preparer | None = None
        self._in_order = InOrder()
        self._flusher = LoopingCall(self._flush_due)

    @property
    def preparer(self) -> Preparer:
        if self._preparer is None:
            run = self.run
            judging = Judging(
                lexicon=run.lexicon,
                threshold=run.config.relevance.threshold,
                languages=run.config.relevance.languages,
                max_bytes=run.config.crawl.max_page_bytes,
            )
            self._preparer = Preparer(judging, worker_count(run.config.crawl.extract_processes))
            run.preparer = self._preparer
        return self._preparer

    def open_spider(self) -> None:
        # a group of stored articles waits at most its max_seconds, also when no page comes
        # to close it (store.protocols.Store.grouped)
        self._flusher.start(FLUSH_EVERY, now=False)

    def _flush_due(self) -> None:
        try:
            self.run.store.flush(due_only=True)
        except StoreWriteFailed:  # the run is stopping; the guard has recorded why
            self._flusher.stop()

    def close_spider(self) -> None:
        if self._flusher.running:
            self._flusher.stop()
        with suppress(StoreWriteFailed):  # the last group, before the workers are stopped
            self.run.store.flush()
        if self._preparer is not None:
            self._preparer.close()

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, FetchedPage):
            return item
        turn = self._in_order.ticket()
        try:
            prepared = await self._prepared(item)
            await self._in_order.turn(turn)
            return self._store(item, prepared)
        finally:
            self._in_order.done(turn)

    async def _prepared(self, item: FetchedPage) -> Prepared:
        tz = self.run.timezone(item.source)
        future = self.preparer.submit(item.body, item.url, item.headers, item.entry, tz)
        if future.done():
            return future.result()
        try:
            return await asyncio.wrap_future(future)
        except Exception as exc:  # the worker died (BrokenProcessPool): prepare it here
            return self.preparer.retry_here(item.body, item.url, item.headers, item.entry, tz, exc)

    def _store(self, item: FetchedPage, prepared: Prepared) -> ArticleItem:
        if prepared.article is None:
            reason = prepared.failure or "extract_error"
            _record(self.run.article_failed, item.source, item.entry.url, reason)
            raise DropItem(f"{item.entry.url}: {prepared.detail or reason}")
        article = prepared.article
        verdict = prepared.verdict
        # relevance decided "new" or "off_topic"; "duplicate" is the store's to decide
        judged: Status = "new" if verdict is not None and verdict.on_topic else "off_topic"
        stored = StoredArticle(
            url=item.entry.url,
            canonical_url=canonical_url(item.entry.url),
            fetched_url=article.url if article.url != item.entry.url else None,
            source=item.source,
            title=article.title,
            text=article.text,
            status=judged,
            fetched=self.run.clock(),
            published=article.published,
            language=article.language,
            relevance=verdict.score if verdict else 0.0,
            verdict=asdict(verdict) if verdict else None,
            text_hash=prepared.text_hash,
            index_terms=prepared.index_terms,
        )
        try:
            outcome = self.run.article_done(
                stored,
                prepared.fingerprint,
                declared_original=declared_original(article.canonical_hint, item.entry.url),
            )
        except StoreWriteFailed as exc:  # the run stops; the page stays pending
            raise DropItem(f"{item.entry.url}: not stored: {exc}") from None
        return ArticleItem(
            source=item.source,
            entry=item.entry,
            article=article,
            status=outcome.status,
            verdict=verdict,
            duplicate_of=outcome.duplicate_of,
            similarity=outcome.similarity,
            fingerprint=prepared.fingerprint,
        )


class InOrder:
    """Turns in ticket order: `ticket()` when a page arrives, `await turn(n)` before it is
    stored, `done(n)` after (also when it failed, or was given up: a ticket done out of
    turn is skipped when its turn comes, so one lost page never stalls the rest)."""

    def __init__(self) -> None:
        self._issued = 0
        self._serving = 0
        self._finished: set[int] = set()
        self._waiting: dict[int, asyncio.Future[None]] = {}

    def ticket(self) -> int:
        self._issued += 1
        return self._issued - 1

    async def turn(self, ticket: int) -> None:
        if ticket == self._serving:
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting[ticket] = waiter
        await waiter

    def done(self, ticket: int) -> None:
        self._waiting.pop(ticket, None)
        self._finished.add(ticket)
        while self._serving in self._finished:
            self._finished.discard(self._serving)
            self._serving += 1
        waiter = self._waiting.pop(self._serving, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


def _record(failed: Any, source: str, url: str, reason: str) -> None:
    """Record a page failure; a store that cannot take it has stopped the run already."""
    try:
        failed(source, url, reason)
    except StoreWriteFailed:
        raise DropItem(f"{url}: {reason}; not recorded: the store failed") from None

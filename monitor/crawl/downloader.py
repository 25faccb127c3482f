"""Scrapy's downloader with the per-host limit kept when `download_delay` is 0.

Scrapy 2.19 starts a download as an asyncio task and counts it against its slot's
concurrency only once the task runs; with no delay, the loop that hands out queued requests
sees the count unchanged and hands out the whole queue at once (a crawl limited to 2 per host
had 8 requests in flight on the fixture site, `tests/test_per_host_limit.py`). With a delay
the loop stops after one request, so only the no-delay case needs this. The fix counts the
requests handed out whose task has not started yet as in use.

This reaches into Scrapy's private downloader (`_process_queue`, `_download`): pyproject
pins Scrapy to the minor version it was written against.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from scrapy.core.downloader import Downloader, Slot
from scrapy.http import Request, Response


class PoliteDownloader(Downloader):
    """`Downloader` whose slots never start more downloads than their concurrency."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._starting: Counter[int] = Counter()  # id(slot) -> tasks handed out, not started

    def _process_queue(self, slot: Slot) -> None:
        if slot.latercall or slot.download_delay():
            super()._process_queue(slot)  # one request per call: no burst to prevent
            return
        free = slot.free_transfer_slots() - self._starting[id(slot)]
        held = slot.queue
        if len(held) <= free:
            self._starting[id(slot)] += len(held)
            super()._process_queue(slot)
            return
        # hand Scrapy's loop only as many requests as there are free places
        later = [held.pop() for _ in range(len(held) - max(free, 0))]
        self._starting[id(slot)] += len(held)
        try:
            super()._process_queue(slot)
        finally:
            held.extend(reversed(later))

    async def _download(self, slot: Slot, request: Request) -> Response:
        if self._starting[id(slot)] > 0:
            self._starting[id(slot)] -= 1
        return await super()._download(slot, request)

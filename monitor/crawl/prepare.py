"""What a fetched page becomes before the store sees it: extracted, judged, fingerprinted.

This is the CPU-heavy part of a crawl (trafilatura above all: about 9 ms of the 10-11 ms a
page costs), so it runs beside the downloader rather than on Scrapy's reactor thread:
`Preparer` hands pages to a pool of worker processes sized to the machine and the reactor
keeps downloading meanwhile. `prepare()` is a pure function of the page and the run's
judging settings (`Judging`), so a page prepared in a worker is prepared exactly as it would
be in the crawl process; the store step that follows stays in the crawl process, applied
in the order the pages arrived (`monitor.crawl.pipelines`), which keeps the dedup
guarantee (two copies in one run never both pass as new) and the killed-run guarantee (a
page whose result was not stored is still pending in the frontier).

Small runs never start the pool: a scheduled poll that finds a dozen new articles is
over before worker processes would have imported trafilatura. The pool starts, in a
thread, once a run has prepared `POOL_AFTER` pages itself; until it is ready pages go on
being prepared in the crawl process.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import tzinfo
from typing import Final

from monitor.errors import ExtractionError
from monitor.extract.article import extract_article
from monitor.judge.dedup import Fingerprint, fingerprint
from monitor.judge.lexicon import Lexicon
from monitor.judge.relevance import judge
from monitor.judge.seeds import text_hash
from monitor.models import Article, FeedEntry, Verdict
from monitor.text import search_terms

log = logging.getLogger("rasad")

__all__ = [
    "POOL_AFTER",
    "RECYCLE_AFTER",
    "Judging",
    "Prepared",
    "Preparer",
    "prepare",
    "worker_count",
]

#: Pages a run prepares in its own process before it starts the worker pool.
POOL_AFTER: Final = 24

#: Pages one pool prepares before a fresh pool takes over. lxml, trafilatura and the
#: tokenisers' memos grow a worker by about 2 MB per 1,000 pages over a long backfill; the
#: old pool finishes what it holds and ends, so the tree never holds more than this much.
RECYCLE_AFTER: Final = 4000


@dataclass(frozen=True)
class Judging:
    """What preparing a page needs besides the page: sent to each worker once."""

    lexicon: Lexicon
    threshold: float
    languages: tuple[str, ...]
    max_bytes: int


@dataclass(frozen=True)
class Prepared:
    """A page's article with its verdict and fingerprint, or why it has none (`failure`:
    the short reason the run report counts, `detail` for the log)."""

    article: Article | None = None
    verdict: Verdict | None = None
    fingerprint: Fingerprint | None = None
    text_hash: str = ""
    index_terms: tuple[str, str] | None = None  # the search index's (title, text) terms
    failure: str | None = None
    detail: str = ""


def prepare(
    body: bytes,
    url: str,
    headers: Mapping[str, str],
    entry: FeedEntry,
    default_tz: tzinfo,
    judging: Judging,
) -> Prepared:
    """Extract, judge and fingerprint one page. Never raises: a page rasad cannot read is
    a `failure`, and so is a bug in extraction (it must not lose the page silently)."""
    try:
        article = extract_article(
            body, url, headers, entry, max_bytes=judging.max_bytes, default_tz=default_tz
        )
    except ExtractionError as exc:
        return Prepared(failure=exc.reason, detail=str(exc))
    except Exception as exc:
        return Prepared(failure="extract_error", detail=f"{type(exc).__name__}: {exc}")
    try:
        verdict = judge(
            article.title,
            article.text,
            lexicon=judging.lexicon,
            threshold=judging.threshold,
            language=article.language,
            languages=judging.languages,
        )
        return Prepared(
            article=article,
            verdict=verdict,
            fingerprint=fingerprint(article.title, article.text),
            text_hash=text_hash(article.text),
            # computed here, in a worker, rather than in the crawl process's store step
            index_terms=(
                search_terms.index_text(article.title),
                search_terms.index_text(article.text),
            ),
        )
    except Exception as exc:
        return Prepared(failure="extract_error", detail=f"judging: {type(exc).__name__}: {exc}")


def worker_count(configured: int | None) -> int:
    """Worker processes for a run: `[crawl] extract_processes` when set (0: none), else one per core
    this process may run on."""
    if configured is not None:
        return configured
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# --- in a worker process ---------------------------------------------------------------

_judging: Judging | None = None


def _start_worker(judging: Judging, crawl_pid: int) -> None:
    """A worker's first step: keep the settings, leave signals to the crawl process (a
    Ctrl-C reaches the whole process group; the crawl ends the workers itself), and end
    with the crawl process however it ends.

    A crawl killed with -9 cannot end its workers, and multiprocessing does not notice
    either (each worker holds its own queue's write end, so it never reads EOF): they would
    live on, holding the crawl's stdout and stderr open, and a cron wrapper or a
    `subprocess.run` reading them would wait forever.
    """
    global _judging
    _judging = judging
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_end_with, args=(crawl_pid,), name="rasad-watch", daemon=True).start()


def _end_with(pid: int) -> None:
    """Exit this process as soon as process `pid` has ended."""
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):  # no pidfd (not Linux 5.3+): look once a second
        while True:
            time.sleep(1.0)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:
                pass
    select.select([fd], [], [])  # readable once the process has exited
    os._exit(0)


def _prepare_in_worker(
    body: bytes, url: str, headers: dict[str, str], entry: FeedEntry, default_tz: tzinfo
) -> Prepared:
    assert _judging is not None, "worker started without its settings"
    return prepare(body, url, headers, entry, default_tz, _judging)


# --- in the crawl process ----------------------------------------------------------------


class Preparer:
    """Prepares pages in the crawl process or in a pool of `workers` processes.

    `submit()` returns a Future: already done when the page was prepared here, pending
    when a worker has it. The pool is started in a thread once `POOL_AFTER` pages have been
    prepared here (starting worker processes takes about a second; the reactor must not
    wait for it), and replaced by a fresh one, started the same way, every `recycle_after`
    pages. A pool that breaks (a worker killed by the system, say) is not restarted: the
    rest of the run prepares its pages here, and nothing is lost.
    """

    def __init__(
        self,
        judging: Judging,
        workers: int,
        *,
        pool_after: int = POOL_AFTER,
        recycle_after: int = RECYCLE_AFTER,
    ) -> None:
        self.judging = judging
        self.workers = workers
        self.pool_after = pool_after
        self.recycle_after = recycle_after
        self.prepared_here = 0
        self.prepared_by_workers = 0
        self.pools_started = 0
        self.broken: str | None = None  # why the pool stopped being used
        self._pool: ProcessPoolExecutor | None = None
        self._pool_pages = 0  # submitted to the current pool
        self._retired: list[ProcessPoolExecutor] = []  # finishing their last pages
        self._starting: threading.Thread | None = None
        self._closed = False
        self._lock = threading.Lock()

    def submit(
        self,
        body: bytes,
        url: str,
        headers: dict[str, str],
        entry: FeedEntry,
        default_tz: tzinfo,
    ) -> Future[Prepared]:
        future: Future[Prepared] | None = None
        failed: BaseException | None = None
        with self._lock:  # not while the starting thread swaps pools
            pool = self._pool
            if pool is not None and self.broken is None:
                try:
                    future = pool.submit(_prepare_in_worker, body, url, headers, entry, default_tz)
                except (BrokenProcessPool, RuntimeError) as exc:
                    failed = exc
        if failed is not None:
            self._give_up(failed)
        if future is not None:
            self.prepared_by_workers += 1
            self._pool_pages += 1
            if self._pool_pages >= self.recycle_after:
                self._start_pool()  # the next pool; this one serves until it is ready
            return future
        done = Future[Prepared]()
        done.set_result(prepare(body, url, headers, entry, default_tz, self.judging))
        self.prepared_here += 1
        if self.prepared_here >= self.pool_after:
            self._start_pool()
        return done

    def retry_here(
        self,
        body: bytes,
        url: str,
        headers: dict[str, str],
        entry: FeedEntry,
        default_tz: tzinfo,
        exc: BaseException,
    ) -> Prepared:
        """A page whose worker died: prepare it here, and stop using the pool."""
        self._give_up(exc)
        self.prepared_here += 1
        return prepare(body, url, headers, entry, default_tz, self.judging)

    def _give_up(self, exc: BaseException) -> None:
        if self.broken is None:
            self.broken = f"{type(exc).__name__}: {exc}"[:200]
            log.warning("worker pool stopped (%s); preparing pages in the crawl", self.broken)

    def _start_pool(self) -> None:
        if self.workers < 1 or self.broken is not None or self._closed:
            return
        if self._starting is not None and (self._starting.is_alive() or self._pool is None):
            return  # one is starting; or the first one could not start
        self._starting = threading.Thread(target=self._make_pool, name="rasad-pool", daemon=True)
        self._starting.start()

    def _make_pool(self) -> None:
        # Signals stay with the crawl process: blocked in this thread, they stay blocked in
        # every process started from it (the fork server, the resource tracker and, forked
        # from the server, the workers), so a Ctrl-C that reaches the whole process group
        # never interrupts a worker halfway through starting, with a traceback.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        # The resource tracker (started with the pool's first queue) inherits this process's
        # warning options; after a crawl killed with -9 it would print a warning about the
        # queues' semaphores it cleans up, on the user's terminal, about nothing they can act on.
        sys.warnoptions.append("ignore::UserWarning:multiprocessing.resource_tracker")
        try:
            # forkserver: workers start from a clean interpreter that imported the extraction
            # code once, not from a fork of a process running a reactor and a SQLite store
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["monitor.crawl.prepare"])
            pool = ProcessPoolExecutor(
                self.workers,
                mp_context=context,
                initializer=_start_worker,
                initargs=(self.judging, os.getpid()),
            )
            # start every worker now, in this thread, rather than at the first submit
            for started in [pool.submit(os.getpid) for _ in range(self.workers)]:
                started.result(timeout=120)
        except Exception as exc:
            self._give_up(exc)
            return
        with self._lock:
            if not self._closed:
                old, self._pool = self._pool, pool
                self._pool_pages = 0
                self.pools_started += 1
                if old is not None:  # it finishes the pages it holds, then its workers end
                    old.shutdown(wait=False)
                    self._retired.append(old)
                log.info("%d worker processes preparing pages", self.workers)
                return
        pool.shutdown(wait=True, cancel_futures=True)  # the run ended while they started

    @property
    def pool_pids(self) -> list[int]:
        """The worker processes' ids (for benches and tests)."""
        pool = self._pool
        processes = getattr(pool, "_processes", None) or {}
        return sorted(processes)

    def close(self) -> None:
        """End the workers (after the last page: nothing they hold is still wanted)."""
        log.info(
            "pages prepared: %d in the crawl process, %d by workers",
            self.prepared_here,
            self.prepared_by_workers,
        )
        with self._lock:
            self._closed = True
        if self._starting is not None:  # let a pool that is starting finish, then end it
            self._starting.join(timeout=120)
        with self._lock:
            pool, self._pool = self._pool, None
        for old in self._retired:
            old.shutdown(wait=True)
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

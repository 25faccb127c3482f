"""Starting Scrapy for one crawl: `run_crawl()` for `rasad crawl`, `standalone_run()` for
a spider Scrapy started itself (`scrapy crawl feeds`). The spider is loaded by name."""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any, TextIO

from monitor.config.loader import Config, Source
from monitor.crawl.failures import StoreWriteFailed
from monitor.crawl.report import RunReport
from monitor.crawl.run import CrawlRun
from monitor.judge.seeds import load_seeds
from monitor.queue.coordinator import QueuedCrawlRun
from store import Store


def standalone_run(crawler: Any) -> CrawlRun:
    """A run for a spider Scrapy started itself (`scrapy crawl feeds`): the rasad config
    and store, the crawl lock, and the report printed when the spider closes.

    A config or store problem is one line on stderr, then NotConfigured stops the crawl.
    """
    from contextlib import ExitStack

    from scrapy import signals
    from scrapy.exceptions import NotConfigured

    from monitor.config.loader import load_config
    from monitor.errors import RasadError
    from monitor.schedule.locks import crawl_lock
    from store import open_store

    stack = ExitStack()
    try:
        config = load_config(crawler.settings.get("RASAD_CONFIG"))
        stack.enter_context(crawl_lock(config))
        store = open_store(config.store_url)
        stack.callback(store.close)
        store.load_seeds(load_seeds())
    except RasadError as exc:
        stack.close()
        print(f"rasad: {exc}", file=sys.stderr)
        raise NotConfigured(str(exc)) from None
    run = CrawlRun(config, store, [s for s in config.sources if s.enabled], progress=None)
    run_id = run.store.start_run(run.clock(), [s.name for s in run.sources])
    started = time.monotonic()

    def closed(spider: Any, reason: str) -> None:
        run.report.seconds = time.monotonic() - started
        run.report.interrupted = reason != "finished"
        _finish(run, run_id)
        stack.close()
        print(run.report.render())

    crawler.signals.connect(closed, signal=signals.spider_closed, weak=False)
    return run


def _run_state(report: RunReport) -> str:
    if report.store_error is None and report.interrupted:
        return "interrupted"
    return "ok" if report.ok else "failed"


class StopRequests:
    """SIGTERM/SIGINT received before Scrapy took the signals over, or after: the crawl
    still runs to a recorded, reported end (interrupted), never dies with 143 halfway."""

    def __init__(self) -> None:
        self.received: int | None = None

    def __call__(self, signum: int, _frame: object) -> None:
        self.received = signum

    @contextmanager
    def installed(self) -> Iterator[StopRequests]:
        signums = (signal.SIGTERM, signal.SIGINT)
        previous = {s: signal.getsignal(s) for s in signums}
        for signum in signums:
            signal.signal(signum, self)
        try:
            yield self
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)


#: Installed by `rasad crawl` as its first step; `run_crawl` looks at it.
STOP = StopRequests()


def run_crawl(
    config: Config,
    store: Store,
    sources: Sequence[Source],
    *,
    progress: TextIO | None = sys.stderr,
    verbose: bool = False,
    log_file: str | None = None,
    due_only: bool = False,
    force: bool = False,
) -> RunReport:
    """Poll `sources` once with Scrapy in this process and return the report.

    Twisted's reactor cannot be restarted, so call this at most once per process
    (`rasad schedule` runs each crawl as a subprocess for that reason).
    """
    started = time.monotonic()
    # scale-out ([queue] url): article pages go to the shared queue, `rasad worker`s fetch them
    run = (QueuedCrawlRun if config.queue.url else CrawlRun)(
        config,
        store,
        [s for s in sources if s.enabled],
        progress=progress,
        due_only=due_only,
        force=force,
    )
    # from here every store call goes through the run's guard (a failure: StoreWriteFailed)
    run.store.load_seeds(load_seeds())
    run_id = run.store.start_run(run.clock(), [s.name for s in run.sources])
    if STOP.received:
        reason: str | None = "shutdown"
    elif isinstance(run, QueuedCrawlRun):  # workers share the store: one commit an article
        reason = _crawl(run, config, verbose, log_file)
    else:  # the one writer: articles committed in groups (store.protocols.Store.grouped)
        with run.unguarded_store.grouped():
            reason = _crawl(run, config, verbose, log_file)
            try:
                run.store.flush()  # a failure is the run's store failure: one line, exit 1
            except StoreWriteFailed:  # (now or earlier): keep what can still be committed
                with suppress(Exception):
                    run.unguarded_store.flush()
    if isinstance(run, QueuedCrawlRun):  # wait for the workers; their counts join the report
        with STOP.installed():  # Scrapy's signal handlers went with its reactor
            reason = run.drain(reason, lambda: STOP.received is not None)
    run.report.seconds = time.monotonic() - started
    # only a crawl Scrapy itself says finished is complete: a second SIGTERM stops the
    # reactor before the spider closes, and leaves no reason at all
    run.report.interrupted = reason != "finished" or STOP.received is not None
    _finish(run, run_id)
    return run.report


def _finish(run: CrawlRun, run_id: int) -> None:
    """Close the run in the store. After a store failure one more try, unless the store is
    locked (that would wait out the busy timeout again); when it fails, the next run
    marks this one interrupted."""
    report = run.report
    try:
        run.finish()
        run.store.finish_run(run_id, run.clock(), _run_state(report), report.as_dict())
        return
    except StoreWriteFailed:
        if report.store_error is None or "locked" in report.store_error:
            return
    try:
        run.unguarded_store.finish_run(run_id, run.clock(), _run_state(report), report.as_dict())
    except Exception:
        return  # the report on the terminal says what happened


def _crawl(run: CrawlRun, config: Config, verbose: bool, log_file: str | None) -> str | None:
    """Run Scrapy once; Scrapy's finish_reason ("finished" when it ran to the end)."""
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    from monitor.settings import scrapy_settings

    process = CrawlerProcess(scrapy_settings(config, verbose=verbose, log_file=log_file))
    crawler = process.create_crawler("feeds")  # by name: crawl/ never imports spiders/

    def started() -> None:  # a signal that came before Scrapy's handlers were installed
        if STOP.received is not None and run.stop is not None:
            run.stop("shutdown")

    crawler.signals.connect(started, signal=signals.engine_started, weak=False)
    process.crawl(crawler, run=run)
    process.start()
    reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
    return str(reason) if reason is not None else None


def run_worker(
    run: Any,
    config: Config,
    *,
    concurrency: int,
    idle_exit: float | None = None,
    verbose: bool = False,
    log_file: str | None = None,
) -> str | None:
    """`rasad worker`: the worker spider over `run` (a `monitor.queue.worker_run.WorkerRun`)
    until it is stopped; Scrapy's finish reason ("shutdown" after SIGTERM or Ctrl-C)."""
    from scrapy.crawler import CrawlerProcess

    from monitor.settings import scrapy_settings

    settings = scrapy_settings(config, verbose=verbose, log_file=log_file)
    settings.set("CONCURRENT_REQUESTS", max(concurrency, 1), priority="cmdline")
    # the per-host delay is kept across all workers by the queue's host slots, claimed just
    # before each request is handed to Scrapy; a local (randomised) delay on top would only
    # send a claimed request late, closer to the next worker's
    settings.set("DOWNLOAD_DELAY", 0, priority="cmdline")
    # Scrapy's retry would re-send a 5xx at once, past the host slot (and past a Retry-After):
    # a worker records the failure instead, and the page is retried after its backoff
    settings.set("RETRY_ENABLED", False, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler("worker")  # by name: crawl/ never imports spiders/
    process.crawl(crawler, run=run, concurrency=concurrency, idle_exit=idle_exit)
    process.start()
    reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
    return str(reason) if reason is not None else None

"""Starting Scrapy for one crawl: `run_crawl()` for `rasad crawl`, `standalone_run()` for
a spider Scrapy started itself (`scrapy crawl feeds`). The spider is loaded by name."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

from monitor.config.loader import Config, Source
from monitor.crawl.report import RunReport
from monitor.crawl.run import CrawlRun
from monitor.judge.seeds import load_seeds
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
    run_id = store.start_run(run.clock(), [s.name for s in run.sources])
    started = time.monotonic()

    def closed(spider: Any, reason: str) -> None:
        run.report.seconds = time.monotonic() - started
        run.report.interrupted = reason != "finished"
        run.finish()
        store.finish_run(run_id, run.clock(), _run_state(run.report), run.report.as_dict())
        stack.close()
        print(run.report.render())

    crawler.signals.connect(closed, signal=signals.spider_closed, weak=False)
    return run


def _run_state(report: RunReport) -> str:
    return "interrupted" if report.interrupted else "ok" if report.ok else "failed"


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
    from scrapy.crawler import CrawlerProcess

    from monitor.settings import scrapy_settings

    started = time.monotonic()
    store.load_seeds(load_seeds())
    run = CrawlRun(
        config,
        store,
        [s for s in sources if s.enabled],
        progress=progress,
        due_only=due_only,
        force=force,
    )
    run_id = store.start_run(run.clock(), [s.name for s in run.sources])
    process = CrawlerProcess(scrapy_settings(config, verbose=verbose, log_file=log_file))
    crawler = process.create_crawler("feeds")  # by name: crawl/ never imports spiders/
    process.crawl(crawler, run=run)
    process.start()
    run.report.seconds = time.monotonic() - started
    reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
    run.report.interrupted = reason not in (None, "finished")
    run.finish()
    store.finish_run(run_id, run.clock(), _run_state(run.report), run.report.as_dict())
    return run.report

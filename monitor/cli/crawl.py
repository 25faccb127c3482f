"""`rasad crawl`: one polling pass, then the run report."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import Any

from monitor import early_signals
from monitor.cli._common import add_command, writable
from monitor.config.loader import Config, Source
from monitor.schedule.locks import crawl_lock
from store import open_store


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    crawl = add_command(
        commands,
        "crawl",
        summary="one polling pass over all sources, then a run report",
        description=(
            "Poll every enabled source once: fetch the feeds and sitemaps, fetch the pages of "
            "new entries, keep what is on topic and new, and print a one-screen report. "
            "Exit 0 ok, 1 some source failed (the report says which), the store failed "
            "part-way, or the crawl was stopped (SIGTERM, Ctrl-C: recorded as interrupted), "
            "2 usage or config, 3 another crawl holds the lock."
        ),
        examples=(
            "rasad crawl",
            "rasad crawl --source aljazeera --force",
            "rasad crawl -q -c /etc/rasad.toml   # for cron: silent unless a source failed",
        ),
    )
    crawl.add_argument(
        "-s",
        "--source",
        action="append",
        metavar="NAME",
        help="poll only this source (repeatable; a disabled source named here is polled)",
    )
    crawl.add_argument(
        "-f",
        "--force",
        action="store_true",
        help="poll now, past error backoff and intervals, without conditional headers "
        "(a server's Retry-After is still honoured)",
    )
    crawl.add_argument(
        "-q", "--quiet", action="store_true", help="print nothing unless a source failed"
    )
    crawl.add_argument(
        "--log-file", metavar="FILE", help="write Scrapy's full log (INFO and above) to FILE"
    )
    crawl.add_argument(
        "--due-only",
        action="store_true",
        help="poll only feeds whose adapted interval has passed (how rasad schedule runs it)",
    )
    crawl.set_defaults(handler=run)


def run(args: argparse.Namespace, config: Config) -> int:
    from monitor.crawl.process import STOP

    # from here on a SIGTERM or Ctrl-C ends the crawl recorded and reported (interrupted,
    # exit 1); Scrapy takes the signals over while it runs
    with STOP.installed():
        early = early_signals.hand_over(deliver=False)  # a signal while rasad was loading
        if early is not None and STOP.received is None:
            STOP.received = early
        return _crawl(args, config)


def _crawl(args: argparse.Namespace, config: Config) -> int:
    from monitor.crawl.process import run_crawl

    sources = _selected(config, args.source)
    if args.log_file:
        writable(args.log_file)
    with crawl_lock(config):
        store = open_store(config.store_url)
        try:
            progress = None if args.quiet or not sys.stderr.isatty() else sys.stderr
            report = run_crawl(
                config,
                store,
                sources,
                progress=progress,
                verbose=getattr(args, "verbose", False),
                log_file=args.log_file,
                due_only=args.due_only,
                force=args.force,
            )
        finally:
            store.close()
    if not args.quiet or not report.ok:
        print(report.render(), flush=True)
    if report.store_error is not None:
        print(f"rasad: store write failed: {report.store_error}", file=sys.stderr)
    return 0 if report.ok else 1


def _selected(config: Config, names: list[str] | None) -> list[Source]:
    if not names:
        return list(config.sources)
    # naming a disabled source explicitly polls it
    return [_enabled(config.source(name)) for name in dict.fromkeys(names)]


def _enabled(source: Source) -> Any:
    return source if source.enabled else replace(source, enabled=True)

"""`rasad schedule`: the long-running daemon."""

from __future__ import annotations

import argparse

from monitor.cli._common import add_command
from monitor.config.loader import Config
from monitor.schedule.plan import DEFAULT_CRAWL_TIMEOUT, DEFAULT_JITTER


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    schedule = add_command(
        commands,
        "schedule",
        summary="long-running: crawl each source on its interval until SIGTERM",
        description=(
            "Run `rasad crawl` for each group of sources on its interval, each crawl in its "
            "own process. One line per run on stderr; SIGTERM or Ctrl-C stops it cleanly "
            "(exit 0)."
        ),
        examples=(
            "rasad schedule",
            "rasad schedule -c /etc/rasad.toml --jitter 60",
        ),
    )
    schedule.add_argument(
        "--jitter",
        type=float,
        default=DEFAULT_JITTER,
        metavar="SECONDS",
        help="start each run up to this much later, at most a tenth of its interval "
        "(default %(default)s)",
    )
    schedule.add_argument(
        "--crawl-timeout",
        type=float,
        default=DEFAULT_CRAWL_TIMEOUT,
        metavar="SECONDS",
        help="stop a crawl that runs longer than this (default %(default)s)",
    )
    schedule.set_defaults(handler=run)


def run(args: argparse.Namespace, config: Config) -> int:
    from monitor.schedule.daemon import ScheduleOptions, run_daemon

    options = ScheduleOptions(
        jitter=args.jitter,
        crawl_timeout=args.crawl_timeout,
        verbose=getattr(args, "verbose", False),
    )
    return run_daemon(config, options)

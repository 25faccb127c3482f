"""`rasad worker`: fetch article pages from the shared queue until stopped (scale-out)."""

from __future__ import annotations

import argparse
import sys

from monitor.cli._common import add_command, writable
from monitor.config.loader import Config
from monitor.errors import UsageError
from store import open_store

DEFAULT_CONCURRENCY = 16


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    worker = add_command(
        commands,
        "worker",
        summary="scale-out: fetch article pages from the shared queue until stopped",
        description=(
            "Take article pages from the queue `[queue] url` names, fetch them, extract, judge "
            "and store them exactly as `rasad crawl` does, until SIGTERM or Ctrl-C. `rasad crawl` "
            "(or `rasad schedule`) with the same [queue] url polls the feeds, queues the pages "
            "and prints the run report with every worker's counts. Run as many workers as you "
            "like, on any machine that reaches the queue and the store; one host still gets "
            "one request per [crawl] download_delay from all of them together. A worker that "
            "is killed loses nothing: its pages return to the queue after [queue] lease "
            "seconds. Quiet unless stderr is a terminal. Exit 0 on a clean stop, 1 when the "
            "store or the queue failed, 2 usage or config (no [queue] url)."
        ),
        examples=(
            "rasad worker -c /etc/rasad.toml",
            "rasad worker -c /etc/rasad.toml --concurrency 32 --log-file /var/log/rasad/w1.log",
            "rasad worker --idle-exit 60   # a batch worker: stops after a minute with no work",
        ),
    )
    worker.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help="pages in hand at once (default %(default)s; [crawl] concurrency_per_host "
        "still limits one host per worker)",
    )
    worker.add_argument(
        "--idle-exit",
        type=float,
        metavar="SECONDS",
        help="stop (exit 0) once the queue has been empty this long (default: never)",
    )
    worker.add_argument(
        "-q", "--quiet", action="store_true", help="print nothing, not even the summary at exit"
    )
    worker.add_argument(
        "--log-file", metavar="FILE", help="write Scrapy's full log (INFO and above) to FILE"
    )
    worker.set_defaults(handler=run)


def run(args: argparse.Namespace, config: Config) -> int:
    from monitor.crawl.process import run_worker
    from monitor.judge.seeds import load_seeds
    from monitor.queue.redis_queue import RedisQueue
    from monitor.queue.worker_run import WorkerRun

    if not config.queue.url:
        where = config.path or "the built-in defaults"
        raise UsageError(
            f"rasad worker needs a shared queue: set [queue] url (e.g. "
            f'"redis://127.0.0.1:6379/0") in {where}'
        )
    if args.concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    if args.log_file:
        writable(args.log_file)
    queue = RedisQueue(config.queue.url)
    queue.ping()
    store = open_store(config.store_url)
    try:
        progress = None if args.quiet or not sys.stderr.isatty() else sys.stderr
        work = WorkerRun(config, store, queue, progress=progress)
        work.store.load_seeds(load_seeds())
        work.say(f"rasad worker {work.worker}: taking pages from {config.queue.url}")
        reason = run_worker(
            work,
            config,
            concurrency=args.concurrency,
            idle_exit=args.idle_exit,
            verbose=getattr(args, "verbose", False),
            log_file=args.log_file,
        )
        work.release_all()
    finally:
        store.close()
        queue.close()
    report = work.report
    if not args.quiet:
        print(
            f"rasad worker {work.worker}: {work.done} pages done, {report.total('fetched')} "
            f"fetched: {report.stored_total('new')} new, {report.stored_total('duplicate')} "
            f"duplicate, {report.stored_total('off_topic')} off-topic; "
            f"{sum(sum(s.failed.values()) for s in report.sources.values())} failed",
            file=sys.stderr,
        )
    if report.store_error is not None:
        print(f"rasad: store write failed: {report.store_error}", file=sys.stderr)
        return 1
    return 0 if reason in ("shutdown", "finished") else 1

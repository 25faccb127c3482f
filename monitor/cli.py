"""The `rasad` command line: crawl, export, sources, rescore, schedule.

Exit codes (the interface contract): 0 ok; 1 finished but something failed (a source,
for crawl); 2 usage or configuration error; 3 another run holds the crawl lock.
Errors are one line on stderr that says what to do next.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from monitor.config import Config, load_config
from monitor.errors import ConfigError, LockHeld, RasadError
from monitor.locks import crawl_lock
from store import open_store
from store.base import STATUSES, StoredArticle

EXPORT_FIELDS = (
    "url",
    "canonical_url",
    "source",
    "title",
    "published",
    "fetched",
    "text",
    "status",
    "relevance",
    "duplicate_of",
    "similarity",
    "language",
    "fetched_url",
    "subtopics",
    "matched",
    "also_reported_by",
)
_RELATIVE = re.compile(r"^(\d+)([hdw])$")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        config = load_config(args.config)
        return int(args.handler(args, config))
    except ConfigError as exc:
        print(f"rasad: config error: {exc}", file=sys.stderr)
        return 2
    except LockHeld as exc:
        print(f"rasad: {exc}", file=sys.stderr)
        return 3
    except RasadError as exc:
        print(f"rasad: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `rasad export | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="TOML config (default: $RASAD_CONFIG, else ./rasad.toml, else built-in defaults)",
    )
    parser = argparse.ArgumentParser(
        prog="rasad",
        parents=[common],
        description="Watch Arabic news media for coverage of the Russia–North Korea relationship.",
    )
    parser.set_defaults(config=None)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    crawl = commands.add_parser("crawl", parents=[common], help="one polling pass over all sources")
    crawl.add_argument(
        "--source", action="append", metavar="NAME", help="poll only this source (repeatable)"
    )
    crawl.add_argument("--quiet", action="store_true", help="print nothing unless a source failed")
    crawl.add_argument("--verbose", action="store_true", help="show Scrapy's log")
    crawl.add_argument(
        "--due-only",
        action="store_true",
        help="poll only feeds whose adapted interval has passed (how rasad schedule runs it)",
    )
    crawl.set_defaults(handler=cmd_crawl)

    export = commands.add_parser("export", parents=[common], help="write stored articles")
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    export.add_argument(
        "--since",
        metavar="WHEN",
        type=_when,
        help="only articles fetched since WHEN (2026-11-01, "
        "2026-11-01T08:00, or 24h / 7d / 2w ago)",
    )
    export.add_argument(
        "--all",
        action="store_true",
        help="every fetched article with its status, not only new ones",
    )
    export.add_argument("--output", metavar="FILE", help="write here instead of stdout")
    export.set_defaults(handler=cmd_export)

    rescore = commands.add_parser(
        "rescore",
        parents=[common],
        help="re-judge stored articles after the lexicon or threshold changed",
    )
    rescore.add_argument(
        "--since", metavar="WHEN", type=_when, help="only articles fetched since WHEN"
    )
    rescore.add_argument(
        "--dry-run", action="store_true", help="report what would change, change nothing"
    )
    rescore.set_defaults(handler=cmd_rescore)

    schedule = commands.add_parser(
        "schedule",
        parents=[common],
        help="long-running: crawl each source on its interval until SIGTERM",
    )
    schedule.add_argument(
        "--jitter",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="start each run up to this much later, at most a tenth of its interval (default 30)",
    )
    schedule.add_argument(
        "--crawl-timeout",
        type=float,
        default=1800.0,
        metavar="SECONDS",
        help="stop a crawl that runs longer than this (default 1800)",
    )
    schedule.add_argument(
        "--verbose", action="store_true", help="log each crawl's report and the scheduler's own"
    )
    schedule.set_defaults(handler=cmd_schedule)

    sources = commands.add_parser("sources", parents=[common], help="feed health per source")
    sources.add_argument("--format", choices=("text", "json"), default="text")
    sources.set_defaults(handler=cmd_sources)
    return parser


def _when(value: str) -> datetime:
    match = _RELATIVE.match(value.strip())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        hours = {"h": 1, "d": 24, "w": 168}[unit] * amount
        return datetime.now(UTC) - timedelta(hours=hours)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date (2026-11-01, 2026-11-01T08:00) or an age (24h, 7d, 2w)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# crawl -----------------------------------------------------------------------------


def cmd_crawl(args: argparse.Namespace, config: Config) -> int:
    from monitor.crawl import run_crawl

    sources = [config.source(name) for name in args.source] if args.source else config.sources
    if args.source:
        sources = [s if s.enabled else _enabled(s) for s in sources]
    with crawl_lock(config):
        store = open_store(config.store_url)
        try:
            progress = None if args.quiet or not sys.stderr.isatty() else sys.stderr
            report = run_crawl(
                config,
                store,
                sources,
                progress=progress,
                verbose=args.verbose,
                due_only=args.due_only,
            )
        finally:
            store.close()
    if not args.quiet or not report.ok:
        print(report.render())
    return 0 if report.ok else 1


def _enabled(source: Any) -> Any:
    from dataclasses import replace

    return replace(source, enabled=True)  # naming a disabled source explicitly polls it


# export ----------------------------------------------------------------------------


def export_record(article: StoredArticle, also_reported_by: list[str]) -> dict[str, Any]:
    verdict = article.verdict or {}
    return {
        "url": article.url,
        "canonical_url": article.canonical_url,
        "source": article.source,
        "title": article.title,
        "published": article.published.isoformat() if article.published else None,
        "fetched": article.fetched.isoformat(),
        "text": article.text,
        "status": article.status,
        "relevance": article.relevance,
        "duplicate_of": article.duplicate_of,
        "similarity": article.similarity,
        "language": article.language,
        "fetched_url": article.fetched_url,
        "subtopics": list(verdict.get("subtopics", ())),
        "matched": list(verdict.get("matched", ())),
        "also_reported_by": also_reported_by,
    }


def cmd_export(args: argparse.Namespace, config: Config) -> int:
    store = open_store(config.store_url)
    try:
        statuses = STATUSES if args.all else ("new",)
        records = (
            export_record(a, store.also_reported_by(a.canonical_url))
            for a in store.articles(since=args.since, statuses=statuses)
        )
        if args.output:
            with open(args.output, "w", encoding="utf-8", newline="") as handle:
                count = _write(records, args.format, handle)
            print(f"wrote {count} articles to {args.output}", file=sys.stderr)
        else:
            _write(records, args.format, sys.stdout)
    finally:
        store.close()
    return 0


def _write(records: Iterator[dict[str, Any]], fmt: str, out: IO[str]) -> int:
    count = 0
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS) if fmt == "csv" else None
    if writer:
        writer.writeheader()
    for record in records:
        if writer:
            writer.writerow(
                {k: "; ".join(v) if isinstance(v, list) else v for k, v in record.items()}
            )
        else:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


# rescore ---------------------------------------------------------------------------


def cmd_rescore(args: argparse.Namespace, config: Config) -> int:
    from monitor.relevance import load_lexicon
    from monitor.rescore import rescore

    lexicon = load_lexicon(config.relevance.lexicon)
    with crawl_lock(config):  # a crawl writing verdicts at the same time would race
        store = open_store(config.store_url)
        try:
            report = rescore(
                store, lexicon, config.relevance.threshold, since=args.since, dry_run=args.dry_run
            )
        finally:
            store.close()
    print(report.render(dry_run=args.dry_run))
    return 0


# schedule --------------------------------------------------------------------------


def cmd_schedule(args: argparse.Namespace, config: Config) -> int:
    from monitor.scheduler import ScheduleOptions, run_daemon

    options = ScheduleOptions(
        jitter=args.jitter, crawl_timeout=args.crawl_timeout, verbose=args.verbose
    )
    return run_daemon(config, options)


# sources ---------------------------------------------------------------------------


def cmd_sources(args: argparse.Namespace, config: Config) -> int:
    store = open_store(config.store_url)
    try:
        health = {(h.source, h.feed_url): h for h in store.feed_health()}
    finally:
        store.close()
    rows: list[dict[str, Any]] = []
    now = datetime.now(UTC)
    for source in config.sources:
        known = [url for (name, url) in health if name == source.name]
        listed = [*source.feeds, *source.sitemaps]
        for feed_url in [*listed, *(u for u in known if u not in listed)] or [
            source.homepage or ""
        ]:
            h = health.get((source.name, feed_url))
            rows.append(
                {
                    "source": source.name,
                    "title": source.title,
                    "enabled": source.enabled,
                    "feed": feed_url,
                    "last_poll": _iso(h.last_poll if h else None),
                    "last_success": _iso(h.last_success if h else None),
                    "last_status": h.last_status if h else None,
                    "error_streak": h.error_streak if h else 0,
                    "items_seen": h.items_seen if h else 0,
                    "last_new_item": _iso(h.last_new_item if h else None),
                    "last_error": h.last_error if h else None,
                    **_policy(h.state if h else None, now),
                }
            )
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    print(
        f"{'source':<20} {'last poll':<20} {'last success':<20} {'st':>3} {'errs':>4} "
        f"{'items':>6}  feed"
    )
    for row in rows:
        name = row["source"] + ("" if row["enabled"] else " (off)")
        print(
            f"{name[:20]:<20} {_short(row['last_poll']):<20} {_short(row['last_success']):<20} "
            f"{row['last_status'] or '-':>3} {row['error_streak']:>4} {row['items_seen']:>6}  "
            f"{row['feed']}"
        )
        print(f"{'':<20} {row['health']}")
        if row["last_error"]:
            print(f"{'':<20} last error: {row['last_error']}")
    return 0


def _policy(state_json: str | None, now: datetime) -> dict[str, Any]:
    """The polling policy's view of a feed: interval, next poll, rate, one-line health."""
    from monitor import polling

    try:
        state = polling.FeedState.from_json(state_json)
    except ValueError:
        state = polling.FeedState()
    return {
        "interval": state.current_interval_s,
        "next_due": _iso(state.next_due),
        "items_per_day": round(polling.items_per_day(state, now), 2),
        "retry_after_until": _iso(state.retry_after_until),
        "health": polling.describe(state, now),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _short(value: str | None) -> str:
    return value[:16].replace("T", " ") if value else "never"


if __name__ == "__main__":
    sys.exit(main())

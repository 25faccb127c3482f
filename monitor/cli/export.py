"""`rasad export`: stored articles as JSON lines or CSV."""

from __future__ import annotations

import argparse
import sys

from monitor.cli._common import add_command, reading_store, when, writable
from monitor.config.loader import Config
from monitor.deliver.export import export_record, write
from store.base import STATUSES


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = add_command(
        commands,
        "export",
        summary="write stored articles as JSON lines or CSV",
        description=(
            "Write the stored articles, one per line (jsonl) or row (csv). Without --all "
            "only new (on-topic, not repeated) articles are written; seeds never are."
        ),
        examples=(
            "rasad export > articles.jsonl",
            "rasad export --since 7d --format csv -o week.csv",
            "rasad export --all | jq -r 'select(.status==\"duplicate\") | .duplicate_of'",
        ),
    )
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    export.add_argument(
        "--since",
        metavar="WHEN",
        type=when,
        help="only articles fetched since WHEN (2026-11-01, 2026-11-01T08:00, or 24h / 7d / 2w)",
    )
    export.add_argument(
        "--all", action="store_true", help="every fetched article with its status, not only new"
    )
    export.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    export.set_defaults(handler=run)


def run(args: argparse.Namespace, config: Config) -> int:
    store = reading_store(config)
    try:
        if args.output:
            writable(args.output)
        statuses = STATUSES if args.all else ("new",)
        records = (
            export_record(a, store.also_reported_by(a.canonical_url))
            for a in store.articles(since=args.since, statuses=statuses)
        )
        if args.output:
            with open(args.output, "w", encoding="utf-8", newline="") as handle:
                count = write(records, args.format, handle)
            print(f"wrote {count} articles to {args.output}", file=sys.stderr)
        else:
            write(records, args.format, sys.stdout)
    finally:
        store.close()
    return 0

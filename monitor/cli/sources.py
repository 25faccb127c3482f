"""`rasad sources`: feed health per source, and resetting a feed's error streak."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from monitor.cli._common import add_command, existing_store
from monitor.config.loader import Config
from monitor.deliver.export import json_text, printable
from monitor.deliver.health import feed_state, health_rows, render
from monitor.errors import StoreMissing, UsageError
from monitor.sources import polling
from store import FeedHealth, Store


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sources = add_command(
        commands,
        "sources",
        summary="feed health per source",
        description=(
            "List every configured source and feed with its last poll, last success, error "
            "streak, items seen and next poll. Before the first crawl it lists the outlets "
            "as never polled. --reset forgets a feed's error streak so the next crawl polls it."
        ),
        examples=(
            "rasad sources",
            "rasad sources --format json | jq '.[] | select(.error_streak > 0) | .feed'",
            "rasad sources --reset aljazeera",
        ),
    )
    sources.add_argument("--format", choices=("text", "json"), default="text")
    sources.add_argument(
        "--reset",
        action="append",
        metavar="NAME|URL",
        help="forget the error streak of this source's feeds, or of one feed URL (repeatable)",
    )
    sources.set_defaults(handler=run)


def run(args: argparse.Namespace, config: Config) -> int:
    try:
        store = existing_store(config, read_only=not args.reset)
    except StoreMissing as exc:
        if args.reset:
            raise
        print(f"rasad: {exc}", file=sys.stderr)  # still list what is configured
        health: list[FeedHealth] = []
    else:
        try:
            if args.reset:
                return _reset(store, config, args.reset)
            health = store.feed_health()
        finally:
            store.close()
    rows = health_rows(config, health, datetime.now(UTC))
    if args.format == "json":
        print(json_text(rows, indent=2))
    else:
        print(printable(render(rows)))  # feed errors quote what servers sent
    return 0


def _reset(store: Store, config: Config, targets: list[str]) -> int:
    now = datetime.now(UTC)
    health = store.feed_health()
    names = {s.name for s in config.sources}
    for target in targets:
        feeds = [h for h in health if target in (h.source, h.feed_url)]
        if not feeds and target not in names:
            raise UsageError(
                f"--reset {target}: no such source or polled feed URL "
                f"(sources: {', '.join(sorted(names))})"
            )
        for h in feeds:
            state = polling.forgive(feed_state(h.state), now)
            store.reset_feed(h.source, h.feed_url, state.to_json())
            was = f"{h.error_streak} failure(s)" if h.error_streak else "no failures"
            print(f"{h.source}: {h.feed_url}: reset ({was}); polled on the next crawl")
        if not feeds:
            print(f"{target}: never polled, nothing to reset")
    return 0

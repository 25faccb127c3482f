"""`rasad sources`: feed health per source, and resetting a feed's error streak."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from monitor.cli._common import add_command, existing_store
from monitor.config.loader import Config
from monitor.errors import StoreMissing, UsageError
from monitor.sources import polling
from store.base import FeedHealth, Store


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
        store = existing_store(config)
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
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        print(render(rows))
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
            state = polling.forgive(_state(h.state), now)
            store.reset_feed(h.source, h.feed_url, state.to_json())
            was = f"{h.error_streak} failure(s)" if h.error_streak else "no failures"
            print(f"{h.source}: {h.feed_url}: reset ({was}); polled on the next crawl")
        if not feeds:
            print(f"{target}: never polled, nothing to reset")
    return 0


def health_rows(config: Config, health: list[FeedHealth], now: datetime) -> list[dict[str, Any]]:
    """One row per configured (or discovered) feed of every source, configured order."""
    by_feed = {(h.source, h.feed_url): h for h in health}
    rows: list[dict[str, Any]] = []
    for source in config.sources:
        known = [url for (name, url) in by_feed if name == source.name]
        listed = [*source.feeds, *source.sitemaps]
        feeds = [*listed, *(u for u in known if u not in listed)] or [source.homepage or ""]
        for feed_url in feeds:
            h = by_feed.get((source.name, feed_url))
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
    return rows


def render(rows: list[dict[str, Any]]) -> str:
    lines = [
        f"{'source':<20} {'last poll':<16} {'last success':<16} {'st':>3} {'errs':>4} "
        f"{'items':>6}  feed"
    ]
    for row in rows:
        name = row["source"] + ("" if row["enabled"] else " (off)")
        lines.append(
            f"{name[:20]:<20} {_short(row['last_poll']):<16} {_short(row['last_success']):<16} "
            f"{row['last_status'] or '-':>3} {row['error_streak']:>4} {row['items_seen']:>6}  "
            f"{row['feed']}"
        )
        lines.append(f"{'':<20} {row['health']}")
        if row["last_error"]:
            lines.append(f"{'':<20} last error: {row['last_error']}")
    return "\n".join(lines)


def _state(state_json: str | None) -> polling.FeedState:
    try:
        return polling.FeedState.from_json(state_json)
    except ValueError:
        return polling.FeedState()


def _policy(state_json: str | None, now: datetime) -> dict[str, Any]:
    """The polling policy's view of a feed: interval, next poll, rate, one-line health."""
    state = _state(state_json)
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

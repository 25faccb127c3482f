"""Feed health as analysts see it (`rasad sources`, and the web archive's sources page):
one row per configured or discovered feed, with the polling policy's view of it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from monitor.config.loader import Config
from monitor.sources import polling
from store.base import FeedHealth


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


def feed_state(state_json: str | None) -> polling.FeedState:
    try:
        return polling.FeedState.from_json(state_json)
    except ValueError:
        return polling.FeedState()


def _policy(state_json: str | None, now: datetime) -> dict[str, Any]:
    """The polling policy's view of a feed: interval, next poll, rate, one-line health."""
    state = feed_state(state_json)
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

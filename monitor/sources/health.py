"""Feed health as people read it: `rasad sources` lines, the run report's failing flag, and
forgiving a feed whose trouble is over (`rasad sources --reset`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from monitor.sources.feedstate import FeedState
from monitor.sources.rate import items_per_day

__all__ = ["FAILING_STREAK", "describe", "duration", "forgive", "is_failing"]

FAILING_STREAK = 3  # failed polls in a row before the run report flags the feed


def forgive(state: FeedState, now: datetime) -> FeedState:
    """A feed's error streak forgotten (`rasad sources --reset`): due now, interval kept.

    A server's Retry-After still holds: it is the server's request, not rasad's guess.
    """
    if not state.error_streak:
        return state
    return replace(state, error_streak=0, last_error=None, next_due=now)


def is_failing(state: FeedState, threshold: int = FAILING_STREAK) -> bool:
    """Whether the run report should flag this feed: `threshold` failed polls in a row."""
    return state.error_streak >= threshold


def describe(state: FeedState, now: datetime | None = None) -> str:
    """One line of feed health for `rasad sources`; relative times when `now` is given."""
    if state.polls == 0:
        return "never polled"

    def when(moment: datetime | None) -> str:
        if moment is None:
            return "never"
        if now is None:
            return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ")
        delta = (now - moment).total_seconds()
        return f"{duration(delta)} ago" if delta >= 0 else f"in {duration(-delta)}"

    status = f"HTTP {state.last_status}" if state.last_status else "no response"
    parts = [
        f"polled {when(state.last_poll)} ({status})",
        f"last success {when(state.last_success)}",
        f"{items_per_day(state, now):.1f} items/day",
        f"last new item {when(state.last_new_item)}",
        f"every {duration(state.current_interval_s or 0)}",
        f"next {when(state.next_due)}",
    ]
    if state.error_streak:
        flag = "FAILING" if is_failing(state) else "failed"
        parts.insert(0, f"{flag} {state.error_streak}× ({state.last_error})")
    if state.retry_after_until is not None:
        parts.append(f"Retry-After until {when(state.retry_after_until)}")
    return "; ".join(parts)


def duration(seconds: float) -> str:
    """A span for people: "45s", "12m", "2.5h", "3d"."""
    seconds = max(seconds, 0)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            value = seconds / size
            return (
                f"{value:.0f}{unit}" if value >= 10 or value.is_integer() else f"{value:.1f}{unit}"
            )
    return f"{seconds:.0f}s"

"""Polling policy for one feed: what to send, what to remember, when to come back.

Pure functions over a frozen `FeedState` (`feedstate`); the clock is always a parameter, so
a test can replay weeks of polls in microseconds and the store keeps the state as one JSON
string. Feed health for people (`describe`, `is_failing`, `forgive`) lives in `health`, the
posting rate in `rate` and the feed's own hints (`feed_hints`) in `hints`; what the crawl and
the CLI use of them is re-exported here, so `polling` stays the one face of the policy.

What a poll does with it (the spider and store do the I/O):

    headers = conditional_headers(state, now)          # {} when a full fetch is due
    ... fetch the feed with those headers ...
    state = after_poll(state, now, status=..., headers=..., new_items=..., ...)
    ... persist state.to_json(); next poll when is_due(state, now) ...

Choices, and why:

* Conditional GET is trusted, but not blindly (Media Cloud turned it off because some
  servers answer 304 while the feed changes). Every `full_fetch_every`-th poll is
  unconditional, and so is any poll once the server has withheld the content for longer
  than the feed's posting history makes plausible: `QUIET_FACTOR` times the mean gap
  between items, never under `QUIET_FLOOR_S` (Arabic outlets go quiet for hours at night)
  nor over `QUIET_CEILING_S`. The clock for that is `verified_at`, the last time content
  was actually received, not `unchanged_since`: an honest quiet feed that re-sends the
  same items after an unconditional fetch must go back to cheap 304s, not be re-fetched
  whole on every poll until its next story.
* The posting rate (`rate`) is a time-decayed average, updated only from full responses:
  a 304 carries no evidence, so a lying server cannot talk the rate down and so lengthen
  its own plausibility window.
* The configured interval (`base_interval_s`) is the latency the user asked for. A quiet
  feed is polled less often, toward its mean gap between items, up to `max_interval_s`.
  A busy feed is polled faster than the base only when it would otherwise scroll items out
  of its window before the next poll (judged from `listed_items`), down to
  `min_interval_s`: polling more often than asked buys nothing else. The interval moves at
  most ×2 or ÷2 per poll, so one odd day does not swing it.
* Publisher hints are floors: RSS `<ttl>`, `sy:updatePeriod`/`sy:updateFrequency`
  (taken together, the larger wins) on the interval; Cache-Control max-age on the next
  poll only (it describes this response). Both are capped at `max_interval_s`, so a
  "ttl of a week" cannot hide a feed for a week. Retry-After on 429/503 is a hard "not
  before", capped at `MAX_RETRY_AFTER_S` against absurd dates.
* Failures back off exponentially from the current interval: the first failure keeps the
  normal interval (Scrapy has already retried within the run), each further one doubles
  it, capped at `max_interval_s`. `FAILING_STREAK` failures in a row flag the feed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from monitor.sources.feedstate import FeedState
from monitor.sources.health import FAILING_STREAK, describe, duration, forgive, is_failing
from monitor.sources.hints import NO_HINTS, FeedHints, feed_hints
from monitor.sources.rate import account_rate, items_per_day, trusted_rate

__all__ = [
    "DEFAULT_FULL_FETCH_EVERY",
    "FAILING_STREAK",
    "NO_HINTS",
    "FeedHints",
    "FeedState",
    "after_poll",
    "conditional_headers",
    "describe",
    "feed_hints",
    "forgive",
    "full_fetch_reason",
    "interval_bounds",
    "is_due",
    "is_failing",
    "items_per_day",
]

DEFAULT_FULL_FETCH_EVERY = 12  # with a 15-minute interval: content verified at least every 3 h
QUIET_FACTOR = 3.0  # "unchanged" for more than 3 mean gaps between items is implausible
QUIET_FLOOR_S = 6 * 3600  # newsrooms sleep: a few hours without news proves nothing
QUIET_CEILING_S = 7 * 86400  # even a near-dead feed is verified weekly
WINDOW_SAFETY = 0.5  # poll before half the feed's listed items can be replaced
MAX_RETRY_AFTER_S = 7 * 86400  # a Retry-After beyond this is a server bug, not a wish
_SUCCESS_STATUSES = frozenset({200, 203, 304})
_RETRY_AFTER_STATUSES = frozenset({429, 503})


# -- before a poll --------------------------------------------------------------------------


def is_due(state: FeedState, now: datetime) -> bool:
    """Whether the feed may be polled now: its interval has passed and no Retry-After holds."""
    if state.retry_after_until is not None and now < state.retry_after_until:
        return False
    return state.next_due is None or now >= state.next_due


def full_fetch_reason(
    state: FeedState, now: datetime, *, full_fetch_every: int = DEFAULT_FULL_FETCH_EVERY
) -> str | None:
    """Why the next poll must be unconditional, or None when a conditional one will do."""
    if not (state.etag or state.last_modified):
        return "no validators"
    if state.verified_at is None:
        return "content never received"
    if state.polls_since_full_fetch >= max(full_fetch_every, 1) - 1:
        return f"every {full_fetch_every} polls"
    quiet = (now - state.verified_at).total_seconds()
    limit = _quiet_limit_s(state)
    if quiet > limit:
        return f"content unchanged for {duration(quiet)}, beyond a plausible {duration(limit)}"
    return None


def conditional_headers(
    state: FeedState, now: datetime, *, full_fetch_every: int = DEFAULT_FULL_FETCH_EVERY
) -> dict[str, str]:
    """If-None-Match / If-Modified-Since for the next poll, or {} for a full fetch.

    Both validators are sent when both are known (RFC 9110 lets the server pick); the
    stored strings are sent back verbatim, since servers compare them byte for byte.
    """
    if full_fetch_reason(state, now, full_fetch_every=full_fetch_every):
        return {}
    headers = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


def _quiet_limit_s(state: FeedState) -> float:
    """How long a feed may plausibly go without a change, from its posting history."""
    rate = trusted_rate(state)
    if rate is None:
        return QUIET_FLOOR_S
    if rate <= 0:
        return QUIET_CEILING_S
    return min(max(QUIET_FACTOR / rate, QUIET_FLOOR_S), QUIET_CEILING_S)


# -- after a poll ---------------------------------------------------------------------------


def interval_bounds(base_interval_s: int) -> tuple[int, int]:
    """Default (min, max) interval for a configured one: a quarter of it (not under a
    minute) up to sixteen times it (not over a day, never under the base)."""
    return max(60, base_interval_s // 4), max(base_interval_s, min(base_interval_s * 16, 86400))


def after_poll(
    state: FeedState,
    now: datetime,
    *,
    status: int,
    headers: Mapping[str, str],
    new_items: int,
    content_changed: bool,
    feed_hints: FeedHints = NO_HINTS,
    base_interval_s: int,
    min_interval_s: int,
    max_interval_s: int,
    listed_items: int = 0,
    item_dates: Sequence[datetime] = (),
    error: str | None = None,
) -> FeedState:
    """The state after one poll answered `status` (0 when no HTTP response came back).

    `new_items`: entries not seen before; `content_changed`: the feed's content differs
    from the last full fetch (new_items > 0 implies it). `listed_items` and `item_dates`
    (publication dates of all entries listed, where known) let the interval respect the
    feed's window and seed its posting rate on the first fetch. `error`: the response
    came but was unusable (not a feed); the poll then counts as a failure whatever the
    status. On a 304 pass new_items=0, content_changed=False and no hints. Bounds that
    do not contain the base are widened to contain it.
    """
    min_interval_s = min(min_interval_s, base_interval_s)
    max_interval_s = max(max_interval_s, base_interval_s)
    lowered = {key.lower(): value for key, value in headers.items()}
    polled = replace(state, polls=state.polls + 1, last_poll=now, last_status=status)
    if error is None and status in _SUCCESS_STATUSES:
        return _after_success(
            polled,
            now,
            full=status != 304,
            headers=lowered,
            new_items=new_items,
            content_changed=content_changed,
            hints=feed_hints,
            bounds=(base_interval_s, min_interval_s, max_interval_s),
            listed_items=listed_items,
            item_dates=item_dates,
        )
    return _after_failure(polled, now, status, lowered, error, base_interval_s, max_interval_s)


def _after_success(
    state: FeedState,
    now: datetime,
    *,
    full: bool,
    headers: Mapping[str, str],
    new_items: int,
    content_changed: bool,
    hints: FeedHints,
    bounds: tuple[int, int, int],
    listed_items: int,
    item_dates: Sequence[datetime],
) -> FeedState:
    new_items = max(new_items, 0) if full else 0
    changed = full and (content_changed or new_items > 0 or state.unchanged_since is None)
    if full:
        state = account_rate(state, now, new_items, item_dates)
        state = replace(
            state,
            etag=headers.get("etag") or None,
            last_modified=headers.get("last-modified") or None,
            polls_since_full_fetch=0,
            verified_at=now,
            listed_items=listed_items or state.listed_items,
            hint_interval_s=hints.interval_s,
        )
    else:  # a 304 may carry fresh validators (RFC 9110 §15.4.5); otherwise keep ours
        state = replace(
            state,
            etag=headers.get("etag") or state.etag,
            last_modified=headers.get("last-modified") or state.last_modified,
            polls_since_full_fetch=state.polls_since_full_fetch + 1,
        )
    interval = _adapted_interval(state, *bounds)
    due = now + timedelta(seconds=max(interval, _max_age_s(headers, bounds[2])))
    return replace(
        state,
        last_success=now,
        last_error=None,
        error_streak=0,
        unchanged_since=now if changed else state.unchanged_since,
        last_new_item=now if new_items else state.last_new_item,
        items_seen=state.items_seen + new_items,
        current_interval_s=interval,
        next_due=due,
        retry_after_until=None,
    )


def _after_failure(
    state: FeedState,
    now: datetime,
    status: int,
    headers: Mapping[str, str],
    error: str | None,
    base_interval_s: int,
    max_interval_s: int,
) -> FeedState:
    streak = state.error_streak + 1
    interval = state.current_interval_s or base_interval_s
    backoff = min(interval * 2 ** min(streak - 1, 30), max(max_interval_s, interval))
    due = now + timedelta(seconds=backoff)
    retry_until = None
    if status in _RETRY_AFTER_STATUSES:
        retry_until = _retry_after(headers.get("retry-after"), now)
        if retry_until is not None:
            due = max(due, retry_until)
    return replace(
        state,
        error_streak=streak,
        last_error=error or (f"HTTP {status}" if status else "no response"),
        current_interval_s=interval,
        next_due=due,
        retry_after_until=retry_until,
    )


def _retry_after(value: str | None, now: datetime) -> datetime | None:
    """Retry-After as delay-seconds or an HTTP-date; None when absent, past or unreadable."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        until = now + timedelta(seconds=int(value[:9]))
    else:
        try:
            until = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if until.tzinfo is None:  # obsolete date forms without a zone mean GMT
            until = until.replace(tzinfo=UTC)
    if until <= now:
        return None
    return min(until, now + timedelta(seconds=MAX_RETRY_AFTER_S))


_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d{1,9})", re.I)
_NO_CACHE = re.compile(r"(?:^|[,\s])(?:no-cache|no-store)\b", re.I)


def _max_age_s(headers: Mapping[str, str], cap: int) -> int:
    """Seconds this response stays fresh (Cache-Control max-age minus Age), capped."""
    control = headers.get("cache-control", "")
    match = _MAX_AGE.search(control)
    if not match or _NO_CACHE.search(control):
        return 0
    age = headers.get("age", "").strip()
    remaining = int(match.group(1)) - (int(age) if age.isdigit() else 0)
    return min(max(remaining, 0), cap)


# -- the interval ---------------------------------------------------------------------------


def _adapted_interval(
    state: FeedState, base_interval_s: int, min_interval_s: int, max_interval_s: int
) -> int:
    current = state.current_interval_s or base_interval_s
    rate = trusted_rate(state)
    target = float(base_interval_s)
    if rate is not None:
        target = max(1 / rate if rate > 0 else math.inf, base_interval_s)
        if rate > 0 and state.listed_items:
            target = min(target, WINDOW_SAFETY * state.listed_items / rate)
    target = min(max(target, min_interval_s), max_interval_s)
    stepped = min(max(target, current / 2), current * 2)
    if state.hint_interval_s:
        stepped = max(stepped, min(state.hint_interval_s, max_interval_s))
    return round(min(max(stepped, min_interval_s), max_interval_s))

"""A feed's posting rate: a time-decayed average of the new items it lists.

Kept in `FeedState` as two numbers, decayed item count and decayed observed time (half-life
`RATE_HALF_LIFE_S`), so it never grows (unlike a seen-list) and forgets a feed's old habits
within days. The polling policy updates it only from full responses: a 304 carries no
evidence, and letting 304s count as "no new items" would let a lying server talk the rate
down and so lengthen its own plausibility window. The first full fetch seeds the rate from
the items' own publication dates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from monitor.sources.feedstate import FeedState

__all__ = [
    "MIN_RATE_ITEMS",
    "MIN_RATE_SECONDS",
    "RATE_HALF_LIFE_S",
    "account_rate",
    "items_per_day",
    "trusted_rate",
]

RATE_HALF_LIFE_S = 3 * 86400  # a feed's posting habits are forgotten within days
MIN_RATE_ITEMS = 5.0  # a rate is trusted after this many (decayed) items ...
MIN_RATE_SECONDS = 86400.0  # ... or after this much (decayed) observed time

_TAU_S = RATE_HALF_LIFE_S / math.log(2)  # the decay time constant


def account_rate(
    state: FeedState, now: datetime, new_items: int, item_dates: Sequence[datetime]
) -> FeedState:
    """Fold the items found since `rate_mark` into the decayed rate; seed it on first fetch.

    New items are spread over the elapsed time (weighted by their average decay), so a
    feed posting at a steady rate r reads r whatever the polling interval.
    """
    if state.rate_mark is None:
        items, seconds = _seed_rate(now, item_dates)
        return replace(state, rate_items=items, rate_seconds=seconds, rate_mark=now)
    elapsed = (now - state.rate_mark).total_seconds()
    if elapsed <= 0:
        return replace(state, rate_items=state.rate_items + new_items)
    decay = math.exp(-elapsed / _TAU_S)
    window = _TAU_S * (1 - decay)
    return replace(
        state,
        rate_items=state.rate_items * decay + new_items * window / elapsed,
        rate_seconds=state.rate_seconds * decay + window,
        rate_mark=now,
    )


def _seed_rate(now: datetime, item_dates: Sequence[datetime]) -> tuple[float, float]:
    """(items, seconds) from the listed items' dates: n items since the oldest of them.

    The first fetch's items are a backlog, not news, so they cannot count as new; their
    dates still say how busy the feed is. The evidence is capped at one half-life.
    """
    dates = sorted(d for d in item_dates if d <= now)
    if len(dates) < 2:
        return 0.0, 0.0
    span = (now - dates[0]).total_seconds()
    if span <= 0:
        return 0.0, 0.0
    seconds = min(span, float(RATE_HALF_LIFE_S))
    return len(dates) * seconds / span, seconds


def trusted_rate(state: FeedState) -> float | None:
    """Items per second, or None while there is too little evidence to act on."""
    if state.rate_seconds <= 0:
        return None
    if state.rate_items < MIN_RATE_ITEMS and state.rate_seconds < MIN_RATE_SECONDS:
        return None
    return state.rate_items / state.rate_seconds


def items_per_day(state: FeedState, now: datetime | None = None) -> float:
    """The feed's posting rate; with `now`, decayed over the quiet time since the last
    full fetch (a feed that stopped posting drifts toward zero)."""
    items, seconds = state.rate_items, state.rate_seconds
    if now is not None and state.rate_mark is not None and now > state.rate_mark:
        decay = math.exp(-(now - state.rate_mark).total_seconds() / _TAU_S)
        items, seconds = items * decay, seconds * decay + _TAU_S * (1 - decay)
    return items / seconds * 86400 if seconds > 0 else 0.0

"""Polling policy for one feed: what to send, what to remember, when to come back.

Pure functions over a frozen `FeedState`; the clock is always a parameter, so a test can
replay weeks of polls in microseconds and the store keeps the state as one JSON string.

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
* The posting rate is a time-decayed average (half-life `RATE_HALF_LIFE_S`) kept as two
  numbers, decayed item count and decayed observed time, so it never grows (unlike a
  seen-list) and forgets a feed's old habits within days. It is updated only from full
  responses: a 304 carries no evidence, and letting 304s count as "no new items" would let
  a lying server talk the rate down and so lengthen its own plausibility window. The
  first full fetch seeds the rate from the items' own publication dates.
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

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

__all__ = [
    "DEFAULT_FULL_FETCH_EVERY",
    "FAILING_STREAK",
    "FeedHints",
    "FeedState",
    "after_poll",
    "conditional_headers",
    "crawl_delay_for",
    "describe",
    "feed_hints",
    "full_fetch_reason",
    "interval_bounds",
    "is_due",
    "is_failing",
    "items_per_day",
    "polite_delay",
]

DEFAULT_FULL_FETCH_EVERY = 12  # with a 15-minute interval: content verified at least every 3 h
QUIET_FACTOR = 3.0  # "unchanged" for more than 3 mean gaps between items is implausible
QUIET_FLOOR_S = 6 * 3600  # newsrooms sleep: a few hours without news proves nothing
QUIET_CEILING_S = 7 * 86400  # even a near-dead feed is verified weekly
RATE_HALF_LIFE_S = 3 * 86400  # a feed's posting habits are forgotten within days
MIN_RATE_ITEMS = 5.0  # a rate is trusted after this many (decayed) items ...
MIN_RATE_SECONDS = 86400.0  # ... or after this much (decayed) observed time
WINDOW_SAFETY = 0.5  # poll before half the feed's listed items can be replaced
MAX_RETRY_AFTER_S = 7 * 86400  # a Retry-After beyond this is a server bug, not a wish
FAILING_STREAK = 3  # failed polls in a row before the run report flags the feed
MAX_CRAWL_DELAY_S = 120.0  # robots.txt Crawl-delay honoured up to this (alquds.co.uk: 120)

_TAU_S = RATE_HALF_LIFE_S / math.log(2)  # the decay time constant
_SUCCESS_STATUSES = frozenset({200, 203, 304})
_RETRY_AFTER_STATUSES = frozenset({429, 503})
_HINT_SCAN_BYTES = 32_768  # channel-level elements come before the first item
_PERIOD_S = {"hourly": 3600, "daily": 86400, "weekly": 7 * 86400, "monthly": 30 * 86400}
_PERIOD_S["yearly"] = 365 * 86400


# -- publisher hints ----------------------------------------------------------------------


@dataclass(frozen=True)
class FeedHints:
    """What a feed says about how often to fetch it (all optional, all advisory)."""

    ttl_minutes: int | None = None  # RSS 2.0 <ttl>: minutes the channel may be cached
    update_period: str | None = None  # sy:updatePeriod: hourly | daily | weekly | ...
    update_frequency: int | None = None  # sy:updateFrequency: updates per period (default 1)

    @property
    def interval_s(self) -> int | None:
        """Seconds the publisher asks readers to wait between fetches, None if it says
        nothing. When both hints are given the longer wins: each is a request to wait."""
        candidates = []
        if self.ttl_minutes:
            candidates.append(self.ttl_minutes * 60)
        if self.update_period in _PERIOD_S:
            candidates.append(_PERIOD_S[self.update_period] // max(self.update_frequency or 1, 1))
        return max(candidates) if candidates else None


NO_HINTS = FeedHints()

_TTL = re.compile(rb"<ttl\s*>\s*(\d{1,7})\s*</ttl\s*>", re.I)
_UPDATE_PERIOD = re.compile(rb"<(?:[\w.-]+:)?updatePeriod\s*>\s*([A-Za-z]+)\s*<", re.I)
_UPDATE_FREQUENCY = re.compile(rb"<(?:[\w.-]+:)?updateFrequency\s*>\s*(\d{1,7})\s*<", re.I)
_FIRST_ITEM = re.compile(rb"<(?:[\w.-]+:)?(?:item|entry)[\s>]", re.I)


def feed_hints(body: bytes) -> FeedHints:
    """Read <ttl> and sy:updatePeriod/updateFrequency from a feed's channel header.

    A regex over the bytes before the first item, not feedparser: the feed has already
    been parsed once by `parse_feed`, the hints sit in the channel header, and scanning
    ≤32 KB costs microseconds against feedparser's milliseconds. Only ASCII markup is
    matched, so the document's encoding does not matter (UTF-16 feeds give no hints).
    """
    head = body[:_HINT_SCAN_BYTES]
    first_item = _FIRST_ITEM.search(head)
    if first_item:
        head = head[: first_item.start()]
    ttl = _TTL.search(head)
    period = _UPDATE_PERIOD.search(head)
    frequency = _UPDATE_FREQUENCY.search(head)
    period_name = period.group(1).decode("ascii").lower() if period else None
    return FeedHints(
        ttl_minutes=_positive(ttl),
        update_period=period_name if period_name in _PERIOD_S else None,
        update_frequency=_positive(frequency),
    )


def _positive(match: re.Match[bytes] | None) -> int | None:
    value = int(match.group(1)) if match else 0
    return value or None


# -- the state that persists per feed -------------------------------------------------------


@dataclass(frozen=True)
class FeedState:
    """Everything rasad remembers about polling one feed; kept as JSON in the store."""

    etag: str | None = None
    last_modified: str | None = None
    polls: int = 0
    polls_since_full_fetch: int = 0  # polls answered 304 since content was last received
    last_poll: datetime | None = None
    last_success: datetime | None = None
    last_status: int | None = None  # 0: no HTTP response at all (DNS, timeout, refused)
    last_error: str | None = None
    error_streak: int = 0
    verified_at: datetime | None = None  # content last received (a 2xx with a body)
    unchanged_since: datetime | None = None  # content last seen to change
    last_new_item: datetime | None = None
    items_seen: int = 0  # new items over the feed's life (the first fetch's backlog too)
    rate_items: float = 0.0  # decayed count of new items ...
    rate_seconds: float = 0.0  # ... over decayed observed time: their ratio is the rate
    rate_mark: datetime | None = None  # the time up to which the rate accounts
    listed_items: int = 0  # items the feed listed at the last full fetch (its window)
    hint_interval_s: int | None = None  # FeedHints.interval_s at the last full fetch
    current_interval_s: int | None = None
    next_due: datetime | None = None
    retry_after_until: datetime | None = None

    def to_json(self) -> str:
        """One compact JSON object; datetimes as ISO 8601 UTC."""
        data = {
            key: value.astimezone(UTC).isoformat() if isinstance(value, datetime) else value
            for key, value in asdict(self).items()
            if value is not None
        }
        return json.dumps({"v": 1, **data}, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | None) -> FeedState:
        """The state `to_json` wrote; a fresh state for None or ''.

        Unknown keys are ignored (a newer rasad wrote them); a value of the wrong type or
        a string that is not a JSON object raises ValueError naming the problem.
        """
        if not text:
            return cls()
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("feed state is not a JSON object")
        values: dict[str, Any] = {}
        for spec in fields(cls):
            if spec.name in data and data[spec.name] is not None:
                values[spec.name] = _from_json_value(spec.name, spec.type, data[spec.name])
        return cls(**values)


def _from_json_value(name: str, kind: object, value: Any) -> Any:
    kind = str(kind)
    if "datetime" in kind:
        if not isinstance(value, str):
            raise ValueError(f"feed state {name}: expected an ISO date, got {value!r}")
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    expected: type | tuple[type, ...]
    if kind.startswith("float"):
        expected = (int, float)
    elif kind.startswith("int"):
        expected = int
    else:
        expected = str
    if not isinstance(value, expected) or isinstance(value, bool):
        raise ValueError(f"feed state {name}: unexpected value {value!r}")
    return float(value) if kind.startswith("float") else value


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
        return f"content unchanged for {_duration(quiet)}, beyond a plausible {_duration(limit)}"
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
    rate = _trusted_rate(state)
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
        state = _account_rate(state, now, new_items, item_dates)
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


# -- the posting rate and the interval ------------------------------------------------------


def _account_rate(
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


def _trusted_rate(state: FeedState) -> float | None:
    """Items per second, or None while there is too little evidence to act on."""
    if state.rate_seconds <= 0:
        return None
    if state.rate_items < MIN_RATE_ITEMS and state.rate_seconds < MIN_RATE_SECONDS:
        return None
    return state.rate_items / state.rate_seconds


def _adapted_interval(
    state: FeedState, base_interval_s: int, min_interval_s: int, max_interval_s: int
) -> int:
    current = state.current_interval_s or base_interval_s
    rate = _trusted_rate(state)
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


def items_per_day(state: FeedState, now: datetime | None = None) -> float:
    """The feed's posting rate; with `now`, decayed over the quiet time since the last
    full fetch (a feed that stopped posting drifts toward zero)."""
    items, seconds = state.rate_items, state.rate_seconds
    if now is not None and state.rate_mark is not None and now > state.rate_mark:
        decay = math.exp(-(now - state.rate_mark).total_seconds() / _TAU_S)
        items, seconds = items * decay, seconds * decay + _TAU_S * (1 - decay)
    return items / seconds * 86400 if seconds > 0 else 0.0


# -- health -----------------------------------------------------------------------------------


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
        return f"{_duration(delta)} ago" if delta >= 0 else f"in {_duration(-delta)}"

    status = f"HTTP {state.last_status}" if state.last_status else "no response"
    parts = [
        f"polled {when(state.last_poll)} ({status})",
        f"last success {when(state.last_success)}",
        f"{items_per_day(state, now):.1f} items/day",
        f"last new item {when(state.last_new_item)}",
        f"every {_duration(state.current_interval_s or 0)}",
        f"next {when(state.next_due)}",
    ]
    if state.error_streak:
        flag = "FAILING" if is_failing(state) else "failed"
        parts.insert(0, f"{flag} {state.error_streak}× ({state.last_error})")
    if state.retry_after_until is not None:
        parts.append(f"Retry-After until {when(state.retry_after_until)}")
    return "; ".join(parts)


def _duration(seconds: float) -> str:
    seconds = max(seconds, 0)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            value = seconds / size
            return (
                f"{value:.0f}{unit}" if value >= 10 or value.is_integer() else f"{value:.1f}{unit}"
            )
    return f"{seconds:.0f}s"


# -- per-host politeness ----------------------------------------------------------------------


def crawl_delay_for(robots_txt: str, user_agent: str) -> float | None:
    """The Crawl-delay robots.txt sets for `user_agent` (its own group, else `*`), or None.

    Scrapy parses Crawl-delay (RobotParser.crawl_delay, Scrapy ≥ 2.18) but never applies
    it to its download slots; this is for code and tests that hold the text rather than
    Scrapy's parser. Protego ships with Scrapy and matches user agents as Google does.
    """
    from protego import Protego

    delay = Protego.parse(robots_txt).crawl_delay(user_agent)
    return float(delay) if delay is not None and delay >= 0 else None


def polite_delay(
    download_delay: float, crawl_delay: float | None, *, cap: float = MAX_CRAWL_DELAY_S
) -> float:
    """Seconds between requests to one host: the configured delay, raised to the host's
    Crawl-delay but not beyond `cap` (a Crawl-delay of a day would stall every crawl)."""
    if crawl_delay is None or crawl_delay <= download_delay:
        return download_delay
    return max(download_delay, min(crawl_delay, cap))

"""Polling policy: conditional GET, lying servers, intervals, hints, backoff, persistence.

Every scenario replays polls against a simulated clock; nothing here sleeps or fetches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone

import feedparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.sources.polling import (
    NO_HINTS,
    FeedHints,
    FeedState,
    after_poll,
    conditional_headers,
    describe,
    feed_hints,
    full_fetch_reason,
    interval_bounds,
    is_due,
    is_failing,
    items_per_day,
)
from monitor.sources.robots import crawl_delay_for, polite_delay

T0 = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
MINUTE, HOUR, DAY = 60, 3600, 86400
VALIDATORS = {"ETag": '"v1"', "Last-Modified": "Sun, 01 Mar 2026 05:55:00 GMT"}


def poll(
    state: FeedState,
    now: datetime,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    *,
    new: int = 0,
    changed: bool | None = None,
    hints: FeedHints = NO_HINTS,
    base: int = 15 * MINUTE,
    lo: int = 4 * MINUTE,
    hi: int = 4 * HOUR,
    listed: int = 0,
    dates: Sequence[datetime] = (),
    error: str | None = None,
) -> FeedState:
    return after_poll(
        state,
        now,
        status=status,
        headers=VALIDATORS if headers is None else headers,
        new_items=new,
        content_changed=bool(new) if changed is None else changed,
        feed_hints=hints,
        base_interval_s=base,
        min_interval_s=lo,
        max_interval_s=hi,
        listed_items=listed,
        item_dates=dates,
        error=error,
    )


def hourly_dates(now: datetime, count: int, every: timedelta) -> list[datetime]:
    return [now - every * i for i in range(count)]


def due_in(state: FeedState, now: datetime) -> float:
    assert state.next_due is not None
    return (state.next_due - now).total_seconds()


# -- conditional GET ------------------------------------------------------------------------


def test_first_poll_is_unconditional_then_both_validators_are_sent_back_verbatim() -> None:
    fresh = FeedState()
    assert conditional_headers(fresh, T0) == {}
    state = poll(fresh, T0, new=20)
    later = T0 + timedelta(minutes=15)
    assert conditional_headers(state, later) == {
        "If-None-Match": '"v1"',
        "If-Modified-Since": "Sun, 01 Mar 2026 05:55:00 GMT",
    }


def test_only_the_validators_the_server_gave_are_sent() -> None:
    state = poll(FeedState(), T0, headers={"etag": 'W/"abc"'})
    assert conditional_headers(state, T0 + timedelta(minutes=15)) == {"If-None-Match": 'W/"abc"'}
    state = poll(FeedState(), T0, headers={"Content-Type": "application/rss+xml"})
    assert conditional_headers(state, T0 + timedelta(minutes=15)) == {}


def test_a_304_keeps_the_validators_and_counts_as_nothing_new() -> None:
    state = poll(FeedState(), T0, new=20, listed=20)
    after = poll(state, T0 + timedelta(minutes=15), 304, {})
    assert (after.etag, after.last_modified) == (state.etag, state.last_modified)
    assert after.polls_since_full_fetch == 1
    assert after.items_seen == 20 and after.last_new_item == T0
    assert after.verified_at == T0 and after.error_streak == 0
    assert after.last_success == T0 + timedelta(minutes=15) and after.last_status == 304


def test_a_304_carrying_a_new_etag_updates_it() -> None:
    state = poll(FeedState(), T0, new=5)
    after = poll(state, T0 + timedelta(minutes=15), 304, {"ETag": '"v2"'})
    assert after.etag == '"v2"' and after.last_modified == state.last_modified


def test_a_200_without_validators_forgets_the_old_ones() -> None:
    state = poll(FeedState(), T0, new=5)
    after = poll(state, T0 + timedelta(minutes=15), 200, {}, new=1)
    assert after.etag is None and after.last_modified is None
    assert conditional_headers(after, T0 + timedelta(minutes=30)) == {}


def test_a_server_answering_304_forever_gets_a_full_fetch_every_n_polls() -> None:
    """The server says "not modified" to every conditional request while the feed changes;
    only unconditional requests see the truth."""
    state = poll(FeedState(), T0, new=20)
    now = T0
    full_polls, found = [], 0
    for number in range(1, 37):
        now += timedelta(minutes=15)
        if conditional_headers(state, now, full_fetch_every=12):
            state = poll(state, now, 304, {})
        else:
            full_polls.append(number)
            state = poll(state, now, 200, new=3)
            found += 3
    assert full_polls == [12, 24, 36]
    assert found == 9 and state.items_seen == 29


def test_full_fetch_every_one_means_never_conditional() -> None:
    state = poll(FeedState(), T0, new=5)
    assert conditional_headers(state, T0 + timedelta(minutes=1), full_fetch_every=1) == {}


def test_an_implausibly_long_unchanged_spell_forces_a_full_fetch() -> None:
    """A feed that posted about once an hour for a day is "unchanged" for 7 hours: beyond
    3 mean gaps and beyond the 6-hour night-time floor, so the 304s are not believed."""
    state = poll(FeedState(), T0, new=24, listed=24, dates=hourly_dates(T0, 24, timedelta(hours=1)))
    assert items_per_day(state) == pytest.approx(24, rel=0.05)
    now = T0
    for _ in range(5):  # hourly conditional polls, all 304
        now += timedelta(hours=1)
        assert conditional_headers(state, now, full_fetch_every=100)
        state = poll(state, now, 304, {})
    assert conditional_headers(state, T0 + timedelta(hours=5, minutes=59), full_fetch_every=100)
    late = T0 + timedelta(hours=6, minutes=1)
    assert conditional_headers(state, late, full_fetch_every=100) == {}
    reason = full_fetch_reason(state, late, full_fetch_every=100)
    assert reason is not None and "unchanged for 6" in reason


def test_a_quiet_feed_may_stay_unchanged_for_days_before_it_is_doubted() -> None:
    dates = hourly_dates(T0, 10, timedelta(days=1))  # one item a day
    state = poll(FeedState(), T0, new=10, dates=dates)
    assert conditional_headers(state, T0 + timedelta(days=2), full_fetch_every=100)
    assert conditional_headers(state, T0 + timedelta(days=3, hours=12), full_fetch_every=100) == {}


def test_a_feed_without_history_is_doubted_after_the_floor() -> None:
    state = poll(FeedState(), T0, new=3)  # no dates, no observations yet
    assert conditional_headers(state, T0 + timedelta(hours=5), full_fetch_every=100)
    assert conditional_headers(state, T0 + timedelta(hours=7), full_fetch_every=100) == {}


def test_an_honest_quiet_feed_goes_back_to_304s_after_its_full_fetch() -> None:
    """The unconditional fetch returns the same items: the next poll is conditional again,
    while unchanged_since still says when the content last changed."""
    state = poll(FeedState(), T0, new=20)
    now = T0 + timedelta(hours=7)
    assert conditional_headers(state, now, full_fetch_every=100) == {}
    state = poll(state, now, 200, new=0, changed=False)
    assert state.unchanged_since == T0 and state.verified_at == now
    assert conditional_headers(state, now + timedelta(minutes=15), full_fetch_every=100)


# -- Retry-After, Cache-Control, backoff ----------------------------------------------------


def test_retry_after_in_seconds_on_429_holds_the_feed() -> None:
    state = poll(FeedState(), T0, new=5)
    now = T0 + timedelta(minutes=15)
    state = poll(state, now, 429, {"Retry-After": "7200"})
    assert state.retry_after_until == now + timedelta(hours=2)
    assert state.next_due == now + timedelta(hours=2)
    assert not is_due(state, now + timedelta(hours=1, minutes=59))
    assert is_due(state, now + timedelta(hours=2))
    assert state.error_streak == 1 and state.last_error == "HTTP 429"


def test_retry_after_as_an_http_date_on_503() -> None:
    state = poll(FeedState(), T0, new=5)
    state = poll(state, T0, 503, {"retry-after": "Sun, 01 Mar 2026 09:30:00 GMT"})
    assert state.retry_after_until == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert not is_due(state, datetime(2026, 3, 1, 9, 29, tzinfo=UTC))


def test_retry_after_shorter_than_the_backoff_does_not_shorten_it() -> None:
    state = poll(FeedState(), T0, 503, {"Retry-After": "5"})
    assert due_in(state, T0) == 15 * MINUTE
    assert state.retry_after_until == T0 + timedelta(seconds=5)


@pytest.mark.parametrize(
    "value", ["Sat, 28 Feb 2026 09:30:00 GMT", "soon", "-5", "", "Mon, 99 Foo 2026 99:99:99 GMT"]
)
def test_retry_after_in_the_past_or_unreadable_is_ignored(value: str) -> None:
    state = poll(FeedState(), T0, 503, {"Retry-After": value})
    assert state.retry_after_until is None and due_in(state, T0) == 15 * MINUTE


def test_retry_after_is_capped_at_a_week() -> None:
    state = poll(FeedState(), T0, 429, {"Retry-After": "Fri, 01 Jan 2100 00:00:00 GMT"})
    assert state.retry_after_until == T0 + timedelta(days=7)


def test_retry_after_only_means_something_on_429_and_503() -> None:
    state = poll(FeedState(), T0, 500, {"Retry-After": "7200"})
    assert state.retry_after_until is None and due_in(state, T0) == 15 * MINUTE


def test_a_success_clears_an_old_retry_after() -> None:
    state = poll(FeedState(), T0, 429, {"Retry-After": "600"})
    state = poll(state, T0 + timedelta(hours=1), 200, new=2)
    assert state.retry_after_until is None and is_due(state, T0 + timedelta(hours=2))


def test_backoff_doubles_with_the_streak_up_to_the_cap_and_resets_on_success() -> None:
    state = poll(FeedState(), T0, new=5)
    now, waits = T0, []
    for _ in range(7):
        now += timedelta(hours=1)
        state = poll(state, now, 0, {}, error="timed out")
        waits.append(due_in(state, now))
    assert waits == [900, 1800, 3600, 7200, 14400, 14400, 14400]
    assert state.error_streak == 7 and state.last_error == "timed out"
    assert state.etag == '"v1"'  # a failure does not forget the validators
    now += timedelta(hours=4)
    state = poll(state, now, 304, {})
    assert state.error_streak == 0 and state.last_error is None and due_in(state, now) == 900


def test_a_200_that_is_not_a_feed_is_a_failure_and_three_in_a_row_flag_the_feed() -> None:
    state = poll(FeedState(), T0, new=5)
    for hour in (1, 2):
        state = poll(state, T0 + timedelta(hours=hour), 200, error="got an HTML page, not a feed")
        assert not is_failing(state)
    state = poll(state, T0 + timedelta(hours=3), 200, error="got an HTML page, not a feed")
    assert is_failing(state) and state.last_status == 200
    assert state.last_success == T0 and state.verified_at == T0 and state.etag == '"v1"'


def test_no_http_response_is_described_as_such() -> None:
    state = poll(FeedState(), T0, 0, {})
    assert state.last_error == "no response" and state.last_status == 0


def test_cache_control_max_age_is_a_floor_for_the_next_poll_only() -> None:
    headers = {**VALIDATORS, "Cache-Control": "public, max-age=3600", "Age": "600"}
    state = poll(FeedState(), T0, 200, headers, new=5)
    assert due_in(state, T0) == 3000 and state.current_interval_s == 900
    state = poll(state, T0 + timedelta(hours=1), 304, {"Cache-Control": "max-age=60"})
    assert due_in(state, T0 + timedelta(hours=1)) == 900


@pytest.mark.parametrize(
    ("control", "expected"),
    [("no-cache, max-age=3600", 900), ("s-maxage=7200", 900), ("max-age=604800", 4 * HOUR)],
)
def test_cache_control_variants(control: str, expected: int) -> None:
    state = poll(FeedState(), T0, 200, {"Cache-Control": control}, new=5)
    assert due_in(state, T0) == expected


# -- the interval ---------------------------------------------------------------------------


def intervals_over(
    state: FeedState, polls: int, new_per_poll: int, **kwargs: object
) -> tuple[list[int], FeedState]:
    """Poll whenever due, finding `new_per_poll` items each time: the intervals chosen."""
    now = T0
    seen = []
    for _ in range(polls):
        assert state.next_due is not None
        now = state.next_due
        state = poll(state, now, 200, new=new_per_poll, **kwargs)  # type: ignore[arg-type]
        assert state.current_interval_s is not None
        seen.append(state.current_interval_s)
    return seen, state


def test_a_quiet_feed_is_polled_less_often_up_to_the_maximum() -> None:
    dates = hourly_dates(T0, 10, timedelta(days=1))  # one story a day
    state = poll(FeedState(), T0, new=10, listed=10, dates=dates)
    assert state.current_interval_s == 1800  # one step (×2) toward the day-long gap
    assert intervals_over(state, 5, 0, listed=10)[0] == [3600, 7200, 14400, 14400, 14400]


def test_a_busy_feed_with_room_in_its_window_stays_at_the_configured_interval() -> None:
    dates = hourly_dates(T0, 50, timedelta(minutes=6))  # 240 a day, 50 listed: 5 h of room
    state = poll(FeedState(), T0, new=50, listed=50, dates=dates)
    assert items_per_day(state) == pytest.approx(240, rel=0.05)
    assert intervals_over(state, 4, 2, listed=50)[0] == [900, 900, 900, 900]


def test_a_busy_feed_that_would_overflow_its_window_is_polled_faster_than_configured() -> None:
    """20 items listed, 480 stories a day: the window turns over in an hour, so an hourly
    base would lose stories; the interval falls toward half the window (30 min)."""
    dates = hourly_dates(T0, 20, timedelta(minutes=3))
    state = poll(FeedState(), T0, new=20, listed=20, dates=dates, base=HOUR, lo=10 * MINUTE)
    assert state.current_interval_s == 1800
    seen, _ = intervals_over(state, 4, 10, listed=20, base=HOUR, lo=10 * MINUTE)
    assert all(1700 <= s <= 1900 for s in seen)


def test_the_overflow_guard_never_goes_below_the_minimum() -> None:
    dates = hourly_dates(T0, 10, timedelta(seconds=30))  # 2,880 a day in a 10-item window
    state = poll(FeedState(), T0, new=10, listed=10, dates=dates, base=HOUR, lo=20 * MINUTE)
    state = poll(state, T0 + timedelta(minutes=30), new=10, listed=10, base=HOUR, lo=20 * MINUTE)
    assert state.current_interval_s == 20 * MINUTE


def test_the_rate_is_learned_from_observation_when_items_carry_no_dates() -> None:
    state = poll(FeedState(), T0, new=30)  # backlog: not evidence of a rate
    assert items_per_day(state) == 0
    seen, state = intervals_over(state, 8, 1)
    assert seen[-1] == 900  # 96 a day: stays at the base
    assert items_per_day(state) == pytest.approx(96, rel=0.05)


def test_a_feed_that_falls_silent_drifts_toward_zero_items_per_day() -> None:
    state = poll(FeedState(), T0, new=24, dates=hourly_dates(T0, 24, timedelta(hours=1)))
    assert items_per_day(state, T0) == pytest.approx(24, rel=0.05)
    assert items_per_day(state, T0 + timedelta(days=9)) < 3


def test_ttl_is_a_floor_on_the_interval() -> None:
    state = poll(FeedState(), T0, new=5, hints=FeedHints(ttl_minutes=60))
    assert state.current_interval_s == 3600 and due_in(state, T0) == 3600
    state = poll(state, T0 + timedelta(hours=1), 304, {})  # a 304 keeps the last hints
    assert state.current_interval_s == 3600


def test_sy_update_period_and_frequency_are_a_floor_and_the_larger_hint_wins() -> None:
    hints = FeedHints(update_period="hourly", update_frequency=2)
    assert poll(FeedState(), T0, new=5, hints=hints).current_interval_s == 1800
    both = FeedHints(ttl_minutes=20, update_period="hourly", update_frequency=1)
    assert both.interval_s == 3600


def test_a_hint_beyond_the_maximum_is_capped_at_the_maximum() -> None:
    state = poll(FeedState(), T0, new=5, hints=FeedHints(update_period="weekly"))
    assert state.current_interval_s == 4 * HOUR


def test_inconsistent_bounds_are_widened_to_include_the_base() -> None:
    state = poll(FeedState(), T0, new=5, base=2 * HOUR, lo=3 * HOUR, hi=HOUR)
    assert state.current_interval_s == 2 * HOUR


def test_interval_bounds_defaults() -> None:
    assert interval_bounds(900) == (225, 14400)
    assert interval_bounds(60) == (60, 960)
    assert interval_bounds(DAY) == (21600, DAY)


# -- hints from the feed --------------------------------------------------------------------

RSS_WITH_HINTS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">
<channel>
  <title>القدس العربي</title>
  <link>https://www.alquds.co.uk</link>
  <ttl>30</ttl>
  <sy:updatePeriod>
	hourly	</sy:updatePeriod>
  <sy:updateFrequency>
	1	</sy:updateFrequency>
  <item><title>بوتين يستقبل كيم</title><link>https://www.alquds.co.uk/a/</link>
    <ttl>999</ttl></item>
</channel>
</rss>""".encode()

ATOM_WITH_SY = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:syn="http://purl.org/rss/1.0/modules/syndication/">
  <title>x</title><syn:updatePeriod>daily</syn:updatePeriod><syn:updateFrequency>4</syn:updateFrequency>
  <entry><title>a</title></entry>
</feed>"""


def test_feed_hints_reads_ttl_and_sy_from_the_channel_header() -> None:
    hints = feed_hints(RSS_WITH_HINTS)
    assert hints == FeedHints(ttl_minutes=30, update_period="hourly", update_frequency=1)
    assert hints.interval_s == 3600
    assert feed_hints(ATOM_WITH_SY) == FeedHints(update_period="daily", update_frequency=4)
    assert feed_hints(ATOM_WITH_SY).interval_s == 6 * HOUR


def test_feed_hints_agree_with_feedparser() -> None:
    for body in (RSS_WITH_HINTS, ATOM_WITH_SY):
        channel = feedparser.parse(body).feed
        hints = feed_hints(body)
        assert str(hints.ttl_minutes or "") == channel.get("ttl", "")
        assert (hints.update_period or "") == channel.get("sy_updateperiod", "").strip()
        assert str(hints.update_frequency or "") == channel.get("sy_updatefrequency", "").strip()


@pytest.mark.parametrize(
    "body",
    [
        b"<rss><channel><title>t</title><item><ttl>60</ttl></item></channel></rss>",
        b"<rss><channel><ttl>0</ttl><sy:updatePeriod>sometimes</sy:updatePeriod></channel></rss>",
        b"<rss><channel><ttl>soon</ttl></channel></rss>",
        b"\x1f\x8b\x08\x00gzip",
        b"",
    ],
)
def test_feed_hints_ignore_what_is_not_a_channel_hint(body: bytes) -> None:
    assert feed_hints(body) == NO_HINTS and feed_hints(body).interval_s is None


# -- persistence and health -----------------------------------------------------------------


def test_state_round_trips_through_json() -> None:
    state = poll(FeedState(), T0, new=24, listed=24, dates=hourly_dates(T0, 24, timedelta(hours=1)))
    state = poll(state, T0 + timedelta(hours=1), 304, {}, hints=FeedHints(ttl_minutes=30))
    state = poll(state, T0 + timedelta(hours=2), 429, {"Retry-After": "600"})
    state = poll(state, T0 + timedelta(hours=3), 0, {}, error="DNS: أسم المضيف غير موجود")
    text = state.to_json()
    assert FeedState.from_json(text) == state
    assert FeedState.from_json(FeedState().to_json()) == FeedState()
    assert "أسم" in FeedState.from_json(text).last_error  # type: ignore[operator]


def test_state_from_json_tolerates_nothing_and_newer_keys_but_not_garbage() -> None:
    assert FeedState.from_json(None) == FeedState() == FeedState.from_json("")
    assert FeedState.from_json('{"v": 2, "etag": "\\"x\\"", "shiny": 1}').etag == '"x"'
    naive = FeedState.from_json('{"next_due": "2026-03-01T06:00:00"}')
    assert naive.next_due == T0
    for bad in ("[1, 2]", '{"polls": "many"}', '{"next_due": 5}', '{"error_streak": true}'):
        with pytest.raises(ValueError):
            FeedState.from_json(bad)


def test_is_due() -> None:
    assert is_due(FeedState(), T0)
    state = poll(FeedState(), T0, new=5)
    assert not is_due(state, T0 + timedelta(minutes=14))
    assert is_due(state, T0 + timedelta(minutes=15))


def test_describe_says_what_an_analyst_needs() -> None:
    assert describe(FeedState()) == "never polled"
    state = poll(FeedState(), T0, new=24, dates=hourly_dates(T0, 24, timedelta(hours=1)))
    for hour in (1, 2, 3):
        state = poll(state, T0 + timedelta(hours=hour), 503, {})
    line = describe(state, T0 + timedelta(hours=3))
    assert line.startswith("FAILING 3× (HTTP 503)")
    assert "last success 3h ago" in line and "last new item 3h ago" in line
    assert "22.1 items/day" in line and "every 30m" in line and "next in 2h" in line
    absolute = describe(state)
    assert "last success 2026-03-01 06:00Z" in absolute


# -- per-host politeness --------------------------------------------------------------------

ROBOTS = """User-agent: *
Crawl-delay: 120
Disallow: /wp-admin/

User-agent: rasad
Crawl-delay: 5
"""


def test_crawl_delay_for_matches_our_group_else_the_wildcard() -> None:
    assert crawl_delay_for(ROBOTS, "rasad (+https://example.org/contact)") == 5.0
    assert crawl_delay_for(ROBOTS, "Mozilla/5.0 (X11; Linux x86_64)") == 120.0
    assert crawl_delay_for("User-agent: *\nDisallow: /x\n", "rasad") is None
    assert crawl_delay_for("User-agent: *\nCrawl-delay: soon\n", "rasad") is None
    assert crawl_delay_for("", "rasad") is None


def test_polite_delay_raises_the_configured_delay_to_crawl_delay_within_a_cap() -> None:
    assert polite_delay(1.0, None) == 1.0
    assert polite_delay(1.0, 0.5) == 1.0
    assert polite_delay(1.0, 10) == 10.0
    assert polite_delay(1.0, 120) == 120.0
    assert polite_delay(1.0, 86400) == 120.0
    assert polite_delay(1.0, 86400, cap=30) == 30.0


def test_times_in_another_zone_are_stored_as_utc() -> None:
    riyadh = T0.astimezone(timezone(timedelta(hours=3)))
    state = poll(FeedState(), riyadh, new=5)
    assert '"last_poll":"2026-03-01T06:00:00+00:00"' in state.to_json()
    assert FeedState.from_json(state.to_json()) == state


_OUTCOMES = st.sampled_from([(200, 0), (200, 3), (200, 40), (304, 0), (429, 0), (503, 0), (0, 0)])


@settings(max_examples=150, deadline=None)
@given(
    outcomes=st.lists(st.tuples(_OUTCOMES, st.integers(1, 6 * HOUR)), min_size=1, max_size=40),
    base=st.sampled_from([5 * MINUTE, 15 * MINUTE, HOUR]),
    ttl=st.sampled_from([None, 10, 60, 10_000]),
)
def test_any_poll_history_keeps_the_state_sane(
    outcomes: list[tuple[tuple[int, int], int]], base: int, ttl: int | None
) -> None:
    """Whatever the server does: the interval stays in bounds, the next poll is in the
    future, conditional GET never runs 12 polls without a full fetch, and JSON round-trips."""
    lo, hi = interval_bounds(base)
    state, now = FeedState(), T0
    for (status, new), wait in outcomes:
        now += timedelta(seconds=wait)
        conditional = bool(conditional_headers(state, now))
        answer = status
        if status in (200, 304):  # a 304 only ever answers a conditional request
            answer = 304 if conditional and (status == 304 or new == 0) else 200
        headers = {**VALIDATORS, "Retry-After": "600"}
        hints = FeedHints(ttl_minutes=ttl)
        state = poll(state, now, answer, headers, new=new, hints=hints, base=base, lo=lo, hi=hi)
        assert state.current_interval_s is not None and lo <= state.current_interval_s <= hi
        assert state.next_due is not None and state.next_due > now
        assert state.polls_since_full_fetch < 12
        assert items_per_day(state) >= 0
    assert FeedState.from_json(state.to_json()) == state

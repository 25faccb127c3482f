"""What a feed says about how often to fetch it: RSS `<ttl>` and `sy:updatePeriod` /
`sy:updateFrequency` in its channel header, read from the bytes (`feed_hints`).

The polling policy takes them as floors on a feed's interval, capped at its maximum, so a
"ttl of a week" cannot hide a feed for a week.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["NO_HINTS", "FeedHints", "feed_hints"]

_HINT_SCAN_BYTES = 32_768  # channel-level elements come before the first item
_PERIOD_S = {"hourly": 3600, "daily": 86400, "weekly": 7 * 86400, "monthly": 30 * 86400}
_PERIOD_S["yearly"] = 365 * 86400


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

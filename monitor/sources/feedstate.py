"""What rasad remembers about polling one feed: the frozen `FeedState` record and its JSON.

The polling policy (`polling`) turns one state into the next; the store keeps it as the one
JSON string `to_json` writes, and `from_json` reads back what any rasad version wrote.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from typing import Any

__all__ = ["FeedState"]


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

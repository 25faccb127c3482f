"""What the web archive asks the store (`store.protocols.Browse`) and gets back: plain records,
here so that the protocol module stays a list of concerns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from store.base import Status

__all__ = ["CoverageCount", "StoryFilter"]


@dataclass(frozen=True)
class StoryFilter:
    """Which stories a list asks for: their articles dated (publication, else fetch date)
    within `since`..`until` (inclusive), with one of `statuses`; a story counts when at least
    one of its "new" articles is in it, and, given `source`, one of its articles is that
    outlet's; given `subtopic`, one of its new articles has that subtopic."""

    since: datetime | None = None
    until: datetime | None = None
    source: str | None = None
    subtopic: str | None = None
    statuses: tuple[Status, ...] = ("new", "duplicate")


@dataclass(frozen=True)
class CoverageCount:
    """One bar of the coverage timeline: the articles ("new" and "duplicate") dated in one
    day or week (`bucket`: its first day, YYYY-MM-DD, UTC), under one `key` (a subtopic or
    an outlet, None when not split), and how many distinct stories they belong to."""

    bucket: str
    key: str | None
    articles: int
    stories: int

"""Query parameters: checked before any store work; a bad value is a `BadRequest` (400)."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from monitor.cli._common import when
from store.base import STATUSES, Status

PAGE_SIZE = 20
MAX_LIMIT = 100
MAX_PAGE = 10_000
MAX_TEXT = 200  # characters of a subtopic or source name
SORTS = ("relevance", "date")
FORMATS = ("html", "json")


class BadRequest(Exception):
    """A query parameter the archive cannot use: one line in Arabic, one in English."""

    def __init__(self, arabic: str, english: str) -> None:
        super().__init__(english)
        self.arabic = arabic
        self.english = english


@dataclass(frozen=True)
class Filters:
    """What every list page accepts."""

    subtopic: str | None = None
    source: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    page: int = 1
    limit: int = PAGE_SIZE
    fmt: str = "html"

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit

    def query(self, **extra: str | None) -> dict[str, str]:
        """The filters as query parameters (for links to other pages), page left out."""
        values: dict[str, str | None] = {
            "subtopic": self.subtopic,
            "source": self.source,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            **extra,
        }
        return {k: v for k, v in values.items() if v}


def _date(params: Mapping[str, str], name: str) -> datetime | None:
    value = params.get(name, "").strip()
    if not value:
        return None
    try:
        return when(value)
    except argparse.ArgumentTypeError:
        raise BadRequest(
            f"التاريخ غير صالح في {name}: استعمل 2026-11-01 أو 2026-11-01T08:00 أو 7d",
            f"{name}={value[:40]!r} is not a date (2026-11-01, 2026-11-01T08:00) or an age (7d)",
        ) from None


def _number(params: Mapping[str, str], name: str, default: int, top: int) -> int:
    value = params.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= top:
        raise BadRequest(
            f"القيمة {name} يجب أن تكون عددا بين 1 و{top}",
            f"{name} must be a whole number between 1 and {top}",
        )
    return number


def _text(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name, "").strip()
    if len(value) > MAX_TEXT:
        raise BadRequest(f"القيمة {name} طويلة جدا", f"{name} is longer than {MAX_TEXT} characters")
    return value or None


def _choice(params: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    value = params.get(name, "").strip() or default
    if value not in choices:
        raise BadRequest(
            f"القيمة {name} غير معروفة؛ المتاح: {'، '.join(choices)}",
            f"{name} must be one of: {', '.join(choices)}",
        )
    return value


def filters(params: Mapping[str, str], fmt: str | None = None) -> Filters:
    """The common filters of a list page (`fmt`: forced by a `.json` path)."""
    since, until = _date(params, "since"), _date(params, "until")
    if since and until and since > until:
        raise BadRequest("تاريخ since بعد تاريخ until", "since is after until: nothing can match")
    return Filters(
        subtopic=_text(params, "subtopic"),
        source=_text(params, "source"),
        since=since,
        until=until,
        page=_number(params, "page", 1, MAX_PAGE),
        limit=_number(params, "limit", PAGE_SIZE, MAX_LIMIT),
        fmt=fmt or _choice(params, "format", FORMATS, "html"),
    )


def statuses(params: Mapping[str, str]) -> tuple[Status, ...]:
    status = _choice(params, "status", (*STATUSES, "all"), "new")
    return STATUSES if status == "all" else tuple(s for s in STATUSES if s == status)


def sort(params: Mapping[str, str]) -> str:
    return _choice(params, "sort", SORTS, "relevance")


def text(params: Mapping[str, str], name: str) -> str | None:
    return _text(params, name)

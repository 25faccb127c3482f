"""Timestamps as the SQLite store keeps them: ISO 8601 text in UTC, to the second."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(value: datetime | None) -> str | None:
    """A timestamp as stored: ISO 8601 in UTC, to the second (so text order is time order)."""
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else None


def from_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None

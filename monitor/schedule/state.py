"""What the daemon remembers across restarts, kept in the store under the state key "schedule".

When each source was last polled and how each job's runs went live in the store, not in a side
file that could drift from it. Unreadable state is forgotten with a warning and a failed save is
retried at the next one: the daemon never stops over its own bookkeeping.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from monitor.errors import RasadError
from monitor.schedule.plan import CrawlGroup, DigestJob
from monitor.schedule.runner import RunResult
from store import open_store

__all__ = [
    "DIGEST_DONE",
    "STATE_KEY",
    "STATE_VERSION",
    "ScheduleState",
    "load_state",
    "record_run",
    "save_state",
]

LOG = logging.getLogger("rasad.schedule")

STATE_KEY = "schedule"
STATE_VERSION = 1
# A digest run with one of these outcomes counts as sent for the due time it served (an SMTP
# failure too, and a skip because another digest was sending): a restart does not resend it.
DIGEST_DONE = ("ok", "failed", "skipped", "timeout")


@dataclass
class ScheduleState:
    """What the daemon remembers across restarts, stored as JSON under STATE_KEY.

    sources: name -> {"last_polled": ISO time a crawl of it last started, "last_outcome": ...}
    jobs:    job id -> {"sources", "interval", "next_due", "last_started", "last_outcome",
                        "last_exit", "last_seconds", "runs", "failures"}
             "digest" -> {"schedule", "next_due", "last_started", ..., "failures",
                          "last_ran": ISO time the last digest run that counts (DIGEST_DONE) began}
    """

    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {"version": STATE_VERSION, "sources": self.sources, "jobs": self.jobs},
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str | None) -> ScheduleState:
        """Tolerant: unreadable state is forgotten with a warning, never fatal."""
        if not text:
            return cls()
        try:
            data = json.loads(text)
            if data.get("version") != STATE_VERSION:
                raise ValueError(f"version {data.get('version')!r}")
            return cls(sources=dict(data["sources"]), jobs=dict(data["jobs"]))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            LOG.warning("ignoring unreadable schedule state in the store (%s)", exc)
            return cls()

    def last_polled(self, source: str) -> datetime | None:
        return _when(self.sources.get(source, {}).get("last_polled"))

    def last_digest(self, job: DigestJob) -> datetime | None:
        """When the daemon last ran the digest (for a digest missed while it was down)."""
        return _when(self.jobs.get(job.job_id, {}).get("last_ran"))


def load_state(store_url: str) -> ScheduleState:
    store = open_store(store_url)
    try:
        return ScheduleState.from_json(store.get_state(STATE_KEY))
    finally:
        store.close()


def save_state(store_url: str, state: ScheduleState) -> bool:
    """Write the state; a failure is logged and retried at the next save, never fatal."""
    try:
        store = open_store(store_url)
        try:
            store.set_state(STATE_KEY, state.to_json())
        finally:
            store.close()
    except (RasadError, OSError) as exc:
        LOG.error("could not save the schedule state: %s", exc)
        return False
    return True


def record_run(state: ScheduleState, group: CrawlGroup | DigestJob, result: RunResult) -> None:
    """Fold one run into the state (in memory; the daemon's main thread saves it)."""
    started = result.started.isoformat(timespec="seconds")
    job = state.jobs.setdefault(group.job_id, {})
    job.update(
        **group.saved_fields(),
        last_started=started,
        last_outcome=result.outcome,
        last_exit=result.exit_code,
        last_seconds=round(result.seconds, 2),
        runs=int(job.get("runs", 0)) + 1,
        failures=int(job.get("failures", 0)) + (result.outcome in ("failed", "timeout", "error")),
    )
    if isinstance(group, DigestJob):
        if result.outcome in DIGEST_DONE:
            job["last_ran"] = started
        return
    for name in group.sources:
        entry = state.sources.setdefault(name, {})
        entry["last_outcome"] = result.outcome
        if result.polled:
            entry["last_polled"] = started


def _when(value: Any) -> datetime | None:
    try:
        return _aware(datetime.fromisoformat(value)) if value else None
    except (TypeError, ValueError):
        return None


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)

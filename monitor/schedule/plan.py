"""What `rasad schedule` runs and when: crawl groups, their command lines, when each is due.

Sources are grouped by interval: one job per group, one `rasad crawl` subprocess per due run.
A group is first due one interval after its sources were last polled (the poll history the
daemon keeps in the store), so a restart neither floods the outlets nor forgets a source that
is overdue. Everything here is a pure function of the config and that history.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from monitor.config.loader import Config
from monitor.errors import ConfigError

DEFAULT_JITTER = 30.0  # seconds; capped per job at a tenth of its interval
DEFAULT_CRAWL_TIMEOUT = 1800.0  # seconds

__all__ = [
    "CrawlGroup",
    "PollHistory",
    "crawl_command",
    "crawl_groups",
    "first_run_time",
    "format_interval",
    "planned_jobs",
]


@dataclass(frozen=True)
class CrawlGroup:
    """The enabled sources that share one polling interval: one job, one subprocess per run."""

    interval: int  # seconds
    sources: tuple[str, ...]

    @property
    def job_id(self) -> str:
        return f"crawl-{format_interval(self.interval)}"

    def describe(self) -> str:
        return f"{self.job_id} [{', '.join(self.sources)}]"


def format_interval(seconds: int) -> str:
    """90 -> '90s', 900 -> '15m', 7200 -> '2h': the largest unit that divides it exactly."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def crawl_groups(config: Config) -> list[CrawlGroup]:
    """Enabled sources grouped by interval, shortest interval first."""
    by_interval: dict[int, list[str]] = {}
    for source in config.sources:
        if source.enabled:
            by_interval.setdefault(source.interval, []).append(source.name)
    return [CrawlGroup(i, tuple(names)) for i, names in sorted(by_interval.items())]


def planned_jobs(config: Config) -> list[CrawlGroup]:
    """Everything the daemon runs on a schedule.

    The digest seam: when `rasad digest` exists, its job (a subprocess on the digest's own
    schedule, e.g. a CronTrigger from a `[digest]` key) is planned here beside the crawls.
    """
    groups = crawl_groups(config)
    if not groups:
        raise ConfigError("no enabled source to schedule", path=config.path, key="sources")
    return groups


def crawl_command(config: Config, group: CrawlGroup) -> list[str]:
    """The `rasad crawl` command line for one group (this interpreter, the same config file)."""
    # --due-only: each feed keeps its own adapted interval (slower for a quiet feed,
    # held back after failures); the group's interval is how often that is checked
    argv = [sys.executable, "-m", "monitor.cli", "crawl", "--due-only"]
    if config.path:
        argv += ["--config", str(Path(config.path).resolve())]
    for name in group.sources:
        argv += ["--source", name]
    return argv


class PollHistory(Protocol):
    """When each source was last polled (the daemon's saved state answers this)."""

    def last_polled(self, source: str) -> datetime | None: ...


def first_run_time(group: CrawlGroup, state: PollHistory, now: datetime) -> datetime:
    """When a group first runs after (re)start: one interval after its sources were last polled.

    A source never polled makes the group due now; an overdue group runs now, once; a last poll
    in the future (the clock went back) waits at most one interval.
    """
    polled = [state.last_polled(name) for name in group.sources]
    if any(p is None for p in polled):
        return now
    due = min(p for p in polled if p is not None) + timedelta(seconds=group.interval)
    return min(max(due, now), now + timedelta(seconds=group.interval))

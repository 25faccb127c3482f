"""What `rasad schedule` runs and when: crawl groups, the digest, their command lines, when
each is due.

Sources are grouped by interval: one job per group, one `rasad crawl` subprocess per due run.
A group is first due one interval after its sources were last polled (the poll history the
daemon keeps in the store), so a restart neither floods the outlets nor forgets a source that
is overdue. The digest (`[digest] schedule`, with recipients) is one more job: one `rasad digest`
subprocess per due run, on a cron trigger ("daily 07:00", local time unless a zone is given) or
an interval trigger ("every 6h"); a digest that fell due while the daemon was down is sent once
when it starts. Everything here is a pure function of the config and that history.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor.config.loader import Config
from monitor.config.rules import DigestSchedule
from monitor.errors import ConfigError

DEFAULT_JITTER = 30.0  # seconds; capped per job at a tenth of its interval
DEFAULT_CRAWL_TIMEOUT = 1800.0  # seconds
DEFAULT_DIGEST_TIMEOUT = 900.0  # seconds; the digest's own SMTP timeout is far shorter

__all__ = [
    "DEFAULT_DIGEST_TIMEOUT",
    "CrawlGroup",
    "DigestJob",
    "Plan",
    "PlannedJob",
    "PollHistory",
    "crawl_command",
    "crawl_groups",
    "digest_command",
    "digest_first_run",
    "digest_job",
    "first_run_time",
    "format_interval",
    "planned_jobs",
]


class PlannedJob(Protocol):
    """What the runner and the state need of a job: its id, kind, one-line name, saved fields."""

    @property
    def job_id(self) -> str: ...

    @property
    def kind(self) -> str: ...

    def describe(self) -> str: ...

    def saved_fields(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class CrawlGroup:
    """The enabled sources that share one polling interval: one job, one subprocess per run."""

    interval: int  # seconds
    sources: tuple[str, ...]

    @property
    def job_id(self) -> str:
        return f"crawl-{format_interval(self.interval)}"

    @property
    def kind(self) -> str:
        return "crawl"

    def describe(self) -> str:
        return f"{self.job_id} [{', '.join(self.sources)}]"

    def saved_fields(self) -> dict[str, Any]:
        return {"sources": list(self.sources), "interval": self.interval}


@dataclass(frozen=True)
class DigestJob:
    """The scheduled digest: one job, one `rasad digest` subprocess per run."""

    schedule: DigestSchedule

    @property
    def job_id(self) -> str:
        return "digest"

    @property
    def kind(self) -> str:
        return "digest"

    def describe(self) -> str:
        return f"digest [{self.schedule.text}]"

    def saved_fields(self) -> dict[str, Any]:
        return {"schedule": self.schedule.text}

    def trigger(self, start: datetime | None = None) -> BaseTrigger:
        """For "every N" an interval trigger from `start` (default: one interval from now); for
        "daily HH:MM" a cron trigger in the schedule's zone, else in the machine's local zone
        (APScheduler's default for a CronTrigger without a zone, read through tzlocal)."""
        if self.schedule.every is not None:
            return IntervalTrigger(seconds=self.schedule.every, start_date=start, timezone=UTC)
        return CronTrigger(
            hour=self.schedule.hour, minute=self.schedule.minute, timezone=self.schedule.zone
        )


@dataclass(frozen=True)
class Plan:
    """Everything the daemon runs on a schedule."""

    crawls: tuple[CrawlGroup, ...]
    digest: DigestJob | None = None

    @property
    def jobs(self) -> tuple[CrawlGroup | DigestJob, ...]:
        return (*self.crawls, *((self.digest,) if self.digest else ()))


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


def digest_job(config: Config) -> DigestJob | None:
    """The digest job, when `[digest] schedule` is set and there is someone to send it to."""
    schedule = config.digest.schedule
    if schedule is None or not config.digest.recipients:
        return None
    return DigestJob(schedule)


def planned_jobs(config: Config) -> Plan:
    """The crawl groups and the digest; a config with neither is a usage error (a scheduled
    digest alone is enough: the crawls may come from cron or from another machine)."""
    plan = Plan(tuple(crawl_groups(config)), digest_job(config))
    if not plan.jobs:
        raise ConfigError("no enabled source to schedule", path=config.path, key="sources")
    return plan


def crawl_command(config: Config, group: CrawlGroup) -> list[str]:
    """The `rasad crawl` command line for one group (this interpreter, the same config file)."""
    # --due-only: each feed keeps its own adapted interval (slower for a quiet feed,
    # held back after failures); the group's interval is how often that is checked
    argv = [sys.executable, "-m", "monitor.launch", "crawl", "--due-only"]
    if config.path:
        argv += ["--config", str(Path(config.path).resolve())]
    for name in group.sources:
        argv += ["--source", name]
    return argv


def digest_command(config: Config) -> list[str]:
    """The `rasad digest` command line (this interpreter, the same config file as the crawls)."""
    argv = [sys.executable, "-m", "monitor.launch", "digest"]
    if config.path:
        argv += ["--config", str(Path(config.path).resolve())]
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


def digest_first_run(job: DigestJob, last_ran: datetime | None, now: datetime) -> datetime:
    """When the digest first runs after (re)start.

    "every N": one interval after the last run, now if that is past, at most one interval away
    (never run: one interval from now). "daily": now if a due time passed since the last run
    (the daemon was down at 07:00), once; else its next due time. A digest never run by the
    daemon waits for its schedule: starting the daemon sends no mail by itself.
    """
    every = job.schedule.every
    if every is not None:
        due = (last_ran or now) + timedelta(seconds=every)
        return min(max(due, now), now + timedelta(seconds=every))
    trigger = job.trigger()
    latest = _latest_fire_time(trigger, now)
    if last_ran is not None and latest is not None and last_ran < latest:
        return now
    fire: datetime = trigger.get_next_fire_time(None, now)
    return fire


def _latest_fire_time(trigger: BaseTrigger, now: datetime) -> datetime | None:
    """The last time at or before `now` a (daily) trigger fired."""
    latest: datetime | None = None
    fire: datetime | None = trigger.get_next_fire_time(None, now - timedelta(days=2))
    while fire is not None and fire <= now:
        latest = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return latest

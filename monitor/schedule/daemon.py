"""`rasad schedule`: the long-running daemon that crawls each source on its interval.

Why it is built this way:

- Every crawl is a separate `rasad crawl` subprocess (:mod:`monitor.schedule.runner`), so the
  daemon itself imports neither Scrapy nor Twisted and stays small.
- Sources are grouped by interval (:mod:`monitor.schedule.plan`): one APScheduler job per group,
  one subprocess per due group.
- Crawls share the store's crawl lock, so the daemon runs one crawl at a time (a single worker
  thread). A group that falls due while another crawls waits its turn; runs it missed meanwhile are
  coalesced into one. A crawl started by cron that holds the lock makes a run "skipped", not an
  error.
- Each run starts up to `jitter` seconds late, so many sources on one interval do not hit their
  outlets in lockstep, and a fleet of daemons does not either.
- What the daemon remembers (:mod:`monitor.schedule.state`) lives in the store, so a restart
  neither floods the outlets nor forgets a source that is overdue: an overdue group runs once,
  soon.
- SIGTERM/SIGINT stop scheduling, ask a running crawl to stop (SIGTERM to its process group, SIGKILL
  after a grace period), save the state and return 0.

One job's run is three named steps: :func:`~monitor.schedule.runner.run_crawl`,
:func:`~monitor.schedule.runner.log_run`, :func:`~monitor.schedule.state.record_run`.
Digests are scheduled here too once `rasad digest` exists: see `planned_jobs`.
"""

from __future__ import annotations

import logging
import random
import signal
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from monitor.config.loader import Config
from monitor.errors import ConfigError
from monitor.schedule.locks import schedule_lock
from monitor.schedule.plan import (
    DEFAULT_CRAWL_TIMEOUT,
    DEFAULT_JITTER,
    CrawlGroup,
    crawl_command,
    first_run_time,
    planned_jobs,
)
from monitor.schedule.runner import log_run, run_crawl
from monitor.schedule.state import ScheduleState, load_state, record_run, save_state

__all__ = ["Daemon", "ScheduleOptions", "configure_logging", "run_daemon"]

LOG = logging.getLogger("rasad.schedule")

_SAVE_EVERY = 0.5  # seconds the main loop sleeps between looking for state to save


@dataclass(frozen=True)
class ScheduleOptions:
    """The `rasad schedule` command-line options."""

    jitter: float = DEFAULT_JITTER
    crawl_timeout: float = DEFAULT_CRAWL_TIMEOUT
    verbose: bool = False

    def __post_init__(self) -> None:
        if self.jitter < 0:
            raise ConfigError("must not be negative", key="--jitter")
        if self.crawl_timeout <= 0:
            raise ConfigError("must be positive", key="--crawl-timeout")


def _new_scheduler() -> BackgroundScheduler:
    """APScheduler with one worker thread: crawls share the store's lock, so they run one at a
    time, and a group that falls due meanwhile waits its turn."""
    return BackgroundScheduler(
        timezone=UTC,
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults={
            "coalesce": True,  # many missed runs (a long crawl, a suspended laptop) -> one
            "max_instances": 1,  # a group running or waiting is not queued again
            # A group waiting behind another's crawl runs however late it gets; only
            # coalescing limits how often.
            "misfire_grace_time": None,
        },
    )


class Daemon:
    """The scheduler, its one crawl worker, the saved state and the stop signals."""

    def __init__(self, config: Config, options: ScheduleOptions) -> None:
        self.config = config
        self.options = options
        self.groups = planned_jobs(config)
        self.stopping = threading.Event()  # set by SIGTERM/SIGINT
        self._dirty = threading.Event()  # a run finished: the state needs saving
        self._state_lock = threading.Lock()
        self._state = ScheduleState()
        self._signal: str | None = None
        self._loaded = False  # never save over state that could not be read
        self._runs = 0
        self.scheduler = _new_scheduler()
        self.scheduler.add_listener(self._coalesced, EVENT_JOB_MAX_INSTANCES)

    def run(self) -> int:
        """Schedule until SIGTERM/SIGINT; 0 on a clean stop."""
        with schedule_lock(self.config):
            previous = self._install_signals()
            try:
                self._state = load_state(self.config.store_url)
                self._loaded = True
                self.schedule_jobs(datetime.now(UTC))
                self.log_plan()
                self._save()
                self.scheduler.start()
                self._wait_for_stop()
            finally:
                self._shutdown()
                self._restore_signals(previous)
        return 0

    def schedule_jobs(self, now: datetime) -> None:
        """One interval job per group, its first run taken from the saved state."""
        for group in self.groups:
            jitter = min(self.options.jitter, group.interval / 10)
            first = first_run_time(group, self._state, now)
            first += timedelta(seconds=random.uniform(0, jitter))
            self.scheduler.add_job(
                self.crawl_job,
                IntervalTrigger(
                    seconds=group.interval, start_date=first, timezone=UTC, jitter=jitter or None
                ),
                args=[group],
                id=group.job_id,
                name=group.describe(),
                next_run_time=first,  # an explicit first run: the trigger alone would skip "now"
            )

    def log_plan(self) -> None:
        now = datetime.now(UTC)
        sources = sum(len(g.sources) for g in self.groups)
        LOG.info(
            "rasad schedule: %d crawl job(s) over %d source(s); store %s; jitter up to %gs; "
            "crawl timeout %gs",
            len(self.groups),
            sources,
            self.config.store_url,
            self.options.jitter,
            self.options.crawl_timeout,
        )
        for job in self.scheduler.get_jobs():
            due = job.next_run_time
            wait = max(0.0, (due - now).total_seconds()) if due else 0.0
            LOG.info("%s: next run %s (in %.0fs)", job.name, _stamp(due), wait)

    def crawl_job(self, group: CrawlGroup) -> None:
        """The APScheduler job: one crawl of one group. Never raises: the daemon outlives it."""
        if self.stopping.is_set():
            return  # queued before the stop: do not start a new crawl now
        try:
            result = run_crawl(
                crawl_command(self.config, group), self.options.crawl_timeout, self.stopping
            )
            log_run(group, result)
            with self._state_lock:
                record_run(self._state, group, result)
                self._runs += 1
            self._dirty.set()
        except Exception:
            LOG.exception("%s: the run failed inside the scheduler", group.describe())

    def _coalesced(self, event: JobSubmissionEvent) -> None:
        LOG.debug("%s: still running or waiting; this run is coalesced into it", event.job_id)

    def _wait_for_stop(self) -> None:
        """The main thread: save the state after each run until a stop signal arrives."""
        while not self.stopping.wait(_SAVE_EVERY):
            if self._dirty.is_set():
                self._dirty.clear()
                self._save()
        LOG.info("received %s: stopping", self._signal or "a stop request")

    def _shutdown(self) -> None:
        """Stop scheduling, let the running crawl stop (or kill it), save the state."""
        self.stopping.set()
        if self.scheduler.running:
            self._refresh_next_due()
            self.scheduler.shutdown(wait=True)  # waits for crawl_job, which stops its crawl
        if self._loaded:
            self._save(refresh=False)
        LOG.info("stopped after %d run(s)", self._runs)

    def _save(self, refresh: bool = True) -> None:
        if refresh:
            self._refresh_next_due()
        with self._state_lock:
            save_state(self.config.store_url, self._state)

    def _refresh_next_due(self) -> None:
        """Copy each job's next run time into the state (informational: restarts go by
        last_polled, so a changed interval takes effect)."""
        jobs = {job.id: job.next_run_time for job in self.scheduler.get_jobs()}
        with self._state_lock:
            for group in self.groups:
                entry = self._state.jobs.setdefault(group.job_id, {})
                entry.update(sources=list(group.sources), interval=group.interval)
                due = jobs.get(group.job_id)
                entry["next_due"] = due.isoformat(timespec="seconds") if due else None

    def _install_signals(self) -> dict[int, Any]:
        previous: dict[int, Any] = {}
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, self._on_signal)
        return previous

    def _restore_signals(self, previous: dict[int, Any]) -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # Only set flags here: the main thread logs and shuts down.
        self._signal = signal.Signals(signum).name
        self.stopping.set()


def _stamp(when: datetime | None) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if when else "never"


def configure_logging(verbose: bool) -> None:
    """Timestamped lines on stderr; APScheduler's own chatter only with --verbose."""
    handler = logging.StreamHandler(sys.stderr)
    formatter = logging.Formatter("%(asctime)sZ %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    rasad = logging.getLogger("rasad")
    rasad.handlers[:] = [handler]
    rasad.setLevel(logging.DEBUG if verbose else logging.INFO)
    rasad.propagate = False
    aps = logging.getLogger("apscheduler")
    aps.handlers[:] = [handler]
    aps.setLevel(logging.INFO if verbose else logging.ERROR)
    aps.propagate = False


def run_daemon(config: Config, options: ScheduleOptions) -> int:
    """`rasad schedule`: run until SIGTERM/SIGINT, then return 0."""
    daemon = Daemon(config, options)  # a config with nothing to schedule fails here, quietly
    configure_logging(options.verbose)
    return daemon.run()

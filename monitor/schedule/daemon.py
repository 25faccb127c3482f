"""`rasad schedule`: the long-running daemon that crawls each source on its interval and sends
the digest on its schedule.

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
- The digest (`[digest] schedule`, when there are recipients) is one more job: a `rasad digest`
  subprocess launched, logged and stopped like a crawl, on a cron trigger ("daily 07:00") or an
  interval ("every 6h"). It has its own worker thread, so a digest and a crawl never wait for
  each other (the digest takes its own lock, not the crawl lock); a digest is never started while
  one is running, and the runs it missed (a suspended laptop, a daemon that was down) are sent
  once, however late.
- SIGTERM/SIGINT stop scheduling, ask a running crawl or digest to stop (SIGTERM to its process
  group, SIGKILL after a grace period), save the state and return 0.

One job's run is three named steps: :func:`~monitor.schedule.runner.run_crawl` (or
:func:`~monitor.schedule.runner.run_digest`), :func:`~monitor.schedule.runner.log_run`,
:func:`~monitor.schedule.state.record_run`.
"""

from __future__ import annotations

import logging
import random
import signal
import sys
import threading
import time
from collections.abc import Callable
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
    DEFAULT_DIGEST_TIMEOUT,
    DEFAULT_JITTER,
    CrawlGroup,
    DigestJob,
    crawl_command,
    digest_command,
    digest_first_run,
    first_run_time,
    planned_jobs,
)
from monitor.schedule.runner import RunResult, log_run, run_crawl, run_digest
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
    digest_timeout: float = DEFAULT_DIGEST_TIMEOUT

    def __post_init__(self) -> None:
        if self.jitter < 0:
            raise ConfigError("must not be negative", key="--jitter")
        if self.crawl_timeout <= 0:
            raise ConfigError("must be positive", key="--crawl-timeout")
        if self.digest_timeout <= 0:
            raise ConfigError("must be positive", key="digest_timeout")


DIGEST_EXECUTOR = "digest"


def _new_scheduler() -> BackgroundScheduler:
    """APScheduler with one worker thread for crawls (they share the store's lock, so they run
    one at a time, and a group that falls due meanwhile waits its turn) and one for the digest,
    so neither waits for the other."""
    return BackgroundScheduler(
        timezone=UTC,
        executors={
            "default": ThreadPoolExecutor(max_workers=1),
            DIGEST_EXECUTOR: ThreadPoolExecutor(max_workers=1),
        },
        job_defaults={
            "coalesce": True,  # many missed runs (a long crawl, a suspended laptop) -> one
            "max_instances": 1,  # a group running or waiting is not queued again
            # A group waiting behind another's crawl runs however late it gets; only
            # coalescing limits how often.
            "misfire_grace_time": None,
        },
    )


class Daemon:
    """The scheduler, its crawl and digest workers, the saved state and the stop signals."""

    def __init__(self, config: Config, options: ScheduleOptions) -> None:
        self.config = config
        self.options = options
        self.plan = planned_jobs(config)
        self.groups = list(self.plan.crawls)
        self.digest = self.plan.digest
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
        """One interval job per group, its first run taken from the saved state; the digest."""
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
        if self.digest is not None:
            self.schedule_digest(self.digest, now)

    def schedule_digest(self, job: DigestJob, now: datetime) -> None:
        """The digest on its own trigger and worker thread. A digest missed while the daemon was
        down runs now, once; one missed while it ran (the machine asleep at 07:00) runs once on
        waking: missed runs are coalesced, and no run is too late to send."""
        first = digest_first_run(job, self._state.last_digest(job), now)
        self.scheduler.add_job(
            self.digest_job,
            job.trigger(first),
            args=[job],
            id=job.job_id,
            name=job.describe(),
            executor=DIGEST_EXECUTOR,
            max_instances=1,  # never a second digest while one runs
            coalesce=True,  # several missed times (a week asleep) -> one digest
            misfire_grace_time=None,  # a late digest is still worth sending
            next_run_time=first,
        )

    def log_plan(self) -> None:
        now = datetime.now(UTC)
        sources = sum(len(g.sources) for g in self.groups)
        LOG.info(
            "rasad schedule: %d crawl job(s) over %d source(s); store %s; jitter up to %gs; "
            "crawl timeout %gs; %s",
            len(self.groups),
            sources,
            self.config.store_url,
            self.options.jitter,
            self.options.crawl_timeout,
            f"digest {self.digest.schedule.text}" if self.digest else "no digest scheduled",
        )
        for job in self.scheduler.get_jobs():
            due = job.next_run_time
            wait = max(0.0, (due - now).total_seconds()) if due else 0.0
            LOG.info("%s: next run %s (in %.0fs)", job.name, _stamp(due), wait)

    def crawl_job(self, group: CrawlGroup) -> None:
        """The APScheduler job: one crawl of one group. Never raises: the daemon outlives it."""
        self._run(
            group,
            lambda: run_crawl(
                crawl_command(self.config, group), self.options.crawl_timeout, self.stopping
            ),
        )

    def digest_job(self, job: DigestJob) -> None:
        """The APScheduler job: one `rasad digest`. Never raises: the daemon outlives it."""
        self._run(
            job,
            lambda: run_digest(
                digest_command(self.config), self.options.digest_timeout, self.stopping
            ),
        )

    def _run(self, job: CrawlGroup | DigestJob, run: Callable[[], RunResult]) -> None:
        """Run, log and record one job's subprocess (the state is saved by the main thread)."""
        if self.stopping.is_set():
            return  # queued before the stop: do not start a new run now
        try:
            result = run()
            log_run(job, result)
            with self._state_lock:
                record_run(self._state, job, result)
                self._runs += 1
            self._dirty.set()
        except Exception:
            LOG.exception("%s: the run failed inside the scheduler", job.describe())

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
        """Stop scheduling, let a running crawl or digest stop (or kill it), save the state."""
        self.stopping.set()
        if self.scheduler.running:
            self._refresh_next_due()
            # waits for crawl_job and digest_job, which stop their subprocesses
            self.scheduler.shutdown(wait=True)
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
            for group in self.plan.jobs:
                entry = self._state.jobs.setdefault(group.job_id, {})
                entry.update(group.saved_fields())
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

"""`rasad schedule`: the long-running daemon that crawls each source on its interval.

Why it is built this way:

- Every crawl is a separate `rasad crawl` subprocess. Twisted's reactor cannot be restarted in one
  process, and a crash, hang or leak inside one crawl must never take the daemon down; the daemon
  itself imports neither Scrapy nor Twisted and stays small.
- Sources are grouped by interval: one APScheduler job per group, one subprocess per due group.
- Crawls share the store's crawl lock, so the daemon runs one crawl at a time (a single worker
  thread). A group that falls due while another crawls waits its turn; runs it missed meanwhile are
  coalesced into one. A crawl started by cron that holds the lock makes a run "skipped", not an
  error.
- Each run starts up to `jitter` seconds late, so many sources on one interval do not hit their
  outlets in lockstep, and a fleet of daemons does not either.
- What the daemon remembers (when each source was last polled, when each job is next due) lives in
  the store under the state key "schedule", not in a side file, so a restart neither floods the
  outlets nor forgets a source that is overdue: an overdue group runs once, soon.
- SIGTERM/SIGINT stop scheduling, ask a running crawl to stop (SIGTERM to its process group, SIGKILL
  after a grace period), save the state and return 0.

Digests are scheduled here too once `rasad digest` exists: see `planned_jobs`.
"""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from monitor.config.loader import Config
from monitor.errors import ConfigError, RasadError
from monitor.schedule.locks import schedule_lock
from store import open_store

LOG = logging.getLogger("rasad.schedule")

STATE_KEY = "schedule"
STATE_VERSION = 1
DEFAULT_JITTER = 30.0  # seconds; capped per job at a tenth of its interval
DEFAULT_CRAWL_TIMEOUT = 1800.0  # seconds
STOP_GRACE = 15.0  # seconds a crawl gets to stop after SIGTERM before it is killed
# Seconds after the first SIGTERM for a second one: Scrapy stops gracefully on the first (waiting
# for requests in flight), at once on the second, and still prints its report either way.
FORCE_AFTER = 5.0
_POLL = 0.2  # seconds between checks on a running crawl (stop requested? timed out?)
_SAVE_EVERY = 0.5  # seconds the main loop sleeps between looking for state to save

# `rasad crawl` exit codes (DESIGN.md command table).
EXIT_OK, EXIT_SOURCE_FAILED, EXIT_USAGE, EXIT_LOCK_HELD = 0, 1, 2, 3


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


# planning ---------------------------------------------------------------------------


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


# state kept in the store ------------------------------------------------------------


@dataclass
class ScheduleState:
    """What the daemon remembers across restarts, stored as JSON under STATE_KEY.

    sources: name -> {"last_polled": ISO time a crawl of it last started, "last_outcome": ...}
    jobs:    job id -> {"sources", "interval", "next_due", "last_started", "last_outcome",
                        "last_exit", "last_seconds", "runs", "failures"}
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
        value = self.sources.get(source, {}).get("last_polled")
        try:
            return _aware(datetime.fromisoformat(value)) if value else None
        except (TypeError, ValueError):
            return None


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


def first_run_time(group: CrawlGroup, state: ScheduleState, now: datetime) -> datetime:
    """When a group first runs after (re)start: one interval after its sources were last polled.

    A source never polled makes the group due now; an overdue group runs now, once; a last poll
    in the future (the clock went back) waits at most one interval.
    """
    polled = [state.last_polled(name) for name in group.sources]
    if any(p is None for p in polled):
        return now
    due = min(p for p in polled if p is not None) + timedelta(seconds=group.interval)
    return min(max(due, now), now + timedelta(seconds=group.interval))


# running one crawl ------------------------------------------------------------------


@dataclass(frozen=True)
class RunResult:
    """What one crawl subprocess did."""

    started: datetime
    seconds: float
    exit_code: int | None  # None when the process could not be started
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False
    stopped: bool = False  # cut short because the daemon is stopping

    @property
    def outcome(self) -> str:
        """ok | failed (a source failed) | skipped (lock held) | timeout | stopped | error."""
        if self.stopped:
            return "stopped"
        if self.timed_out:
            return "timeout"
        return {EXIT_OK: "ok", EXIT_SOURCE_FAILED: "failed", EXIT_LOCK_HELD: "skipped"}.get(
            self.exit_code if self.exit_code is not None else -1, "error"
        )

    @property
    def polled(self) -> bool:
        """Whether the crawl got to poll its sources (so they need not be polled again soon)."""
        return self.outcome in ("ok", "failed", "timeout")

    @property
    def summary(self) -> str:
        """The report's last line ("N sources, N entries, ... in Ns")."""
        lines = [line for line in self.stdout.splitlines() if line.strip()]
        return lines[-1].strip() if lines else ""


def run_crawl(argv: Sequence[str], timeout: float, stopping: threading.Event) -> RunResult:
    """Run one crawl in its own process group, collecting its output.

    A crawl that outlives `timeout`, or is running when the daemon stops, is stopped by
    `_Stopper`. The store is safe however it ends (every write is a transaction).
    """
    started, clock = datetime.now(UTC), time.monotonic()
    try:
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,  # its own process group: signals reach all of it, only it
        )
    except OSError as exc:
        return RunResult(started, 0.0, None, stderr=f"cannot start the crawl: {exc}")
    LOG.debug("crawl started: pid %d: %s", process.pid, " ".join(argv))
    stopper = _Stopper(process)
    while True:
        try:
            stdout, stderr = process.communicate(timeout=_POLL)
            break
        except subprocess.TimeoutExpired:
            if stopping.is_set():
                stopper.escalate("stopped")
            elif time.monotonic() - clock >= timeout:
                stopper.escalate("timeout")
    return RunResult(
        started,
        time.monotonic() - clock,
        process.returncode,
        stdout,
        stderr,
        timed_out=stopper.reason == "timeout",
        stopped=stopper.reason == "stopped",
    )


class _Stopper:
    """Stops a crawl's process group in steps, each only if the one before did not work.

    SIGTERM at once: Scrapy stops gracefully, waiting for requests in flight. SIGTERM again
    FORCE_AFTER seconds later: Scrapy stops at once, still printing its report. SIGKILL
    STOP_GRACE seconds after the first: for a crawl that is stuck.
    """

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.reason: str | None = None  # why it was stopped: "timeout" or "stopped"
        self._since = 0.0
        self._steps: list[tuple[float, int]] = []

    def escalate(self, reason: str) -> None:
        """Send whichever signals are due by now; called again on every poll."""
        now = time.monotonic()
        if self.reason is None:
            self.reason, self._since = reason, now
            self._steps = sorted(
                [(0.0, signal.SIGTERM), (FORCE_AFTER, signal.SIGTERM), (STOP_GRACE, signal.SIGKILL)]
            )
        while self._steps and now - self._since >= self._steps[0][0]:
            _signal_group(self.process, self._steps.pop(0)[1])


def _signal_group(process: subprocess.Popen[str], signum: int) -> None:
    LOG.debug("sending %s to crawl pid %d", signal.Signals(signum).name, process.pid)
    with suppress(ProcessLookupError):  # it has just exited
        os.killpg(process.pid, signum)


def log_run(group: CrawlGroup, result: RunResult) -> None:
    """One line per run; the whole report when a source failed; stderr when the crawl broke."""
    head = f"{group.describe()} {result.outcome} exit={result.exit_code} in {result.seconds:.1f}s"
    outcome = result.outcome
    if outcome == "ok":
        LOG.info("%s: %s", head, result.summary)
        if result.stdout.strip():
            LOG.debug("report:\n%s", result.stdout.rstrip())
    elif outcome == "failed":
        LOG.warning("%s: %s", head, result.summary)
        LOG.warning("report:\n%s", result.stdout.rstrip())
    elif outcome == "skipped":
        LOG.info("%s: skipped: another crawl running", head)
    elif outcome == "stopped":
        LOG.info("%s: stopped because the scheduler is stopping", head)
    else:
        why = f"timed out; stopped after {result.seconds:.0f}s" if result.timed_out else "error"
        LOG.error("%s: %s%s", head, why, _tail(result.stderr))


def _tail(text: str, lines: int = 15) -> str:
    kept = text.rstrip().splitlines()[-lines:]
    return ("\n" + "\n".join(kept)) if kept else ""


def record_run(state: ScheduleState, group: CrawlGroup, result: RunResult) -> None:
    """Fold one run into the state (in memory; the daemon's main thread saves it)."""
    started = result.started.isoformat(timespec="seconds")
    job = state.jobs.setdefault(group.job_id, {})
    job.update(
        sources=list(group.sources),
        interval=group.interval,
        last_started=started,
        last_outcome=result.outcome,
        last_exit=result.exit_code,
        last_seconds=round(result.seconds, 2),
        runs=int(job.get("runs", 0)) + 1,
        failures=int(job.get("failures", 0)) + (result.outcome in ("failed", "timeout", "error")),
    )
    for name in group.sources:
        entry = state.sources.setdefault(name, {})
        entry["last_outcome"] = result.outcome
        if result.polled:
            entry["last_polled"] = started


# the daemon -------------------------------------------------------------------------


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
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            # One worker: crawls share the store's lock, so they run one at a time.
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={
                "coalesce": True,  # many missed runs (a long crawl, a suspended laptop) -> one
                "max_instances": 1,  # a group running or waiting is not queued again
                # A group waiting behind another's crawl runs however late it gets; only
                # coalescing limits how often.
                "misfire_grace_time": None,
            },
        )
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


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


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

"""Running one job: a `rasad crawl` or `rasad digest` subprocess, its timeout, how it is
stopped, its result, its log line. Crawls and digests are launched, stopped and logged alike.

Every crawl is a separate process. Twisted's reactor cannot be restarted in one process, and a
crash, hang or leak inside one crawl must never take the daemon down. Each run gets its own
process group, so stopping it (at its timeout, or when the daemon stops) reaches all of it and
only it: SIGTERM, SIGTERM again, then SIGKILL after a grace period. The store is safe however a
run ends, since every write is a transaction.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime

from monitor.schedule.plan import PlannedJob

__all__ = [
    "EXIT_LOCK_HELD",
    "EXIT_OK",
    "EXIT_SOURCE_FAILED",
    "EXIT_USAGE",
    "FORCE_AFTER",
    "STOP_GRACE",
    "RunResult",
    "log_run",
    "run_command",
    "run_crawl",
    "run_digest",
]

LOG = logging.getLogger("rasad.schedule")

STOP_GRACE = 15.0  # seconds a crawl gets to stop after SIGTERM before it is killed
# Seconds after the first SIGTERM for a second one: Scrapy stops gracefully on the first (waiting
# for requests in flight), at once on the second, and still prints its report either way.
FORCE_AFTER = 5.0
_POLL = 0.2  # seconds between checks on a running crawl (stop requested? timed out?)

# `rasad crawl` exit codes (DESIGN.md command table). `rasad digest` uses the same: 0 sent (or
# nothing to send), 1 SMTP failure, 2 usage/config, 3 another digest holds the digest lock.
EXIT_OK, EXIT_SOURCE_FAILED, EXIT_USAGE, EXIT_LOCK_HELD = 0, 1, 2, 3


@dataclass(frozen=True)
class RunResult:
    """What one crawl (or digest) subprocess did."""

    started: datetime
    seconds: float
    exit_code: int | None  # None when the process could not be started
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False
    stopped: bool = False  # cut short because the daemon is stopping

    @property
    def outcome(self) -> str:
        """ok | failed (a source failed; the digest's SMTP failed) | skipped (lock held) |
        timeout | stopped | error."""
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
    """Run one `rasad crawl` (see `run_command`)."""
    return run_command(argv, timeout, stopping, "crawl")


def run_digest(argv: Sequence[str], timeout: float, stopping: threading.Event) -> RunResult:
    """Run one `rasad digest` (see `run_command`)."""
    return run_command(argv, timeout, stopping, "digest")


def run_command(
    argv: Sequence[str], timeout: float, stopping: threading.Event, kind: str = "crawl"
) -> RunResult:
    """Run one job's command in its own process group, collecting its output.

    A run that outlives `timeout`, or is running when the daemon stops, is stopped by
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
        return RunResult(started, 0.0, None, stderr=f"cannot start the {kind}: {exc}")
    LOG.debug("%s started: pid %d: %s", kind, process.pid, " ".join(argv))
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
    """Stops a run's process group in steps, each only if the one before did not work.

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
    LOG.debug("sending %s to pid %d", signal.Signals(signum).name, process.pid)
    with suppress(ProcessLookupError):  # it has just exited
        os.killpg(process.pid, signum)


def log_run(job: PlannedJob, result: RunResult) -> None:
    """One line per run; the whole report when a source failed; the one-line error when a
    digest could not be sent; stderr when the run broke."""
    head = f"{job.describe()} {result.outcome} exit={result.exit_code} in {result.seconds:.1f}s"
    outcome = result.outcome
    if outcome == "ok":
        LOG.info("%s: %s", head, result.summary)
        if result.stdout.strip():
            LOG.debug("report:\n%s", result.stdout.rstrip())
    elif outcome == "failed" and job.kind == "digest":
        LOG.warning("%s: not sent: %s", head, _last_line(result.stderr) or result.summary)
    elif outcome == "failed":
        LOG.warning("%s: %s", head, result.summary)
        LOG.warning("report:\n%s", result.stdout.rstrip())
    elif outcome == "skipped":
        LOG.info("%s: skipped: another %s running", head, job.kind)
    elif outcome == "stopped":
        LOG.info("%s: stopped because the scheduler is stopping", head)
    else:
        why = f"timed out; stopped after {result.seconds:.0f}s" if result.timed_out else "error"
        LOG.error("%s: %s%s", head, why, _tail(result.stderr))


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _tail(text: str, lines: int = 15) -> str:
    kept = text.rstrip().splitlines()[-lines:]
    return ("\n" + "\n".join(kept)) if kept else ""

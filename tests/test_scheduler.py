"""`rasad schedule`: the planning and state logic in-process, the daemon as a real subprocess.

The daemon tests start `rasad schedule` against the local fixture news site with tiny intervals
("1s"), a real SQLite store and real `rasad crawl` subprocesses, and watch its log file and the
store. Every wait is bounded and polls; nothing sleeps blindly.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fixture_site import NewsSite, Routes, rasad_config, seed_site

from monitor.cli import main
from monitor.config.loader import load_config, parse_config
from monitor.schedule import runner
from monitor.schedule.locks import crawl_lock
from monitor.schedule.plan import (
    CrawlGroup,
    crawl_command,
    crawl_groups,
    first_run_time,
    format_interval,
)
from monitor.schedule.runner import RunResult, run_crawl
from monitor.schedule.state import ScheduleState, record_run
from store.sqlite import SQLiteStore

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
STOP_TIMEOUT = 45.0  # a clean stop takes a second or two; the grace period is 15 s
RUN_LINE = re.compile(r"^\S+ \w+ (crawl-\S+) \[([^\]]*)\] (\w+) exit=(-?\d+|None) ", re.M)


# planning and state, in-process -----------------------------------------------------------


def test_sources_are_grouped_by_interval_enabled_only() -> None:
    config = parse_config(
        {
            "sources": [
                {"name": "a", "feeds": ["http://a/"], "interval": "15m"},
                {"name": "b", "feeds": ["http://b/"], "interval": "90s"},
                {"name": "c", "feeds": ["http://c/"], "interval": "900s"},
                {"name": "off", "feeds": ["http://d/"], "interval": "90s", "enabled": False},
            ]
        }
    )
    groups = crawl_groups(config)
    assert groups == [CrawlGroup(90, ("b",)), CrawlGroup(900, ("a", "c"))]
    assert [g.job_id for g in groups] == ["crawl-90s", "crawl-15m"]


def test_intervals_are_named_by_their_largest_exact_unit() -> None:
    assert [format_interval(s) for s in (1, 90, 120, 900, 3600, 5400, 86400)] == [
        "1s",
        "90s",
        "2m",
        "15m",
        "1h",
        "90m",
        "1d",
    ]


def test_crawl_command_names_the_config_and_each_source(tmp_path: Path) -> None:
    path = tmp_path / "rasad.toml"
    path.write_text('[[sources]]\nname = "a"\nfeeds = ["http://a/"]\n', encoding="utf-8")
    config = load_config(str(path))
    argv = crawl_command(config, CrawlGroup(60, ("a", "b")))
    assert argv[:5] == [sys.executable, "-m", "monitor.launch", "crawl", "--due-only"]
    assert argv[5:] == ["--config", str(path.resolve()), "--source", "a", "--source", "b"]


def _state(**polled: datetime) -> ScheduleState:
    return ScheduleState(
        sources={name: {"last_polled": when.isoformat()} for name, when in polled.items()}
    )


def test_first_run_after_start_follows_the_last_poll() -> None:
    group = CrawlGroup(3600, ("a", "b"))
    hour = timedelta(hours=1)
    # never polled (or one source new to the group): run now
    assert first_run_time(group, ScheduleState(), NOW) == NOW
    assert first_run_time(group, _state(a=NOW - timedelta(minutes=5)), NOW) == NOW
    # polled 10 minutes ago: due 50 minutes from now, by its least recently polled source
    recent = _state(a=NOW - timedelta(minutes=10), b=NOW - timedelta(minutes=5))
    assert first_run_time(group, recent, NOW) == NOW + timedelta(minutes=50)
    # overdue by hours: once, now (coalesced, not one run per missed interval)
    assert first_run_time(group, _state(a=NOW - 5 * hour, b=NOW - 5 * hour), NOW) == NOW
    # a last poll "in the future" (the clock went back) waits one interval at most
    assert first_run_time(group, _state(a=NOW + 5 * hour, b=NOW + 5 * hour), NOW) == NOW + hour


def _result(exit_code: int | None, **kw: object) -> RunResult:
    return RunResult(NOW, 1.5, exit_code, **kw)  # type: ignore[arg-type]


def test_run_outcomes_and_what_counts_as_a_poll() -> None:
    cases = {
        0: ("ok", True),
        1: ("failed", True),
        3: ("skipped", False),
        2: ("error", False),
        -11: ("error", False),
        None: ("error", False),
    }
    for code, (outcome, polled) in cases.items():
        assert (_result(code).outcome, _result(code).polled) == (outcome, polled), code
    assert _result(-15, timed_out=True).outcome == "timeout"
    assert _result(0, stopped=True).outcome == "stopped"
    assert not _result(0, stopped=True).polled
    assert (
        _result(0, stdout="table\n\n3 sources, ... in 1.0s\n").summary == "3 sources, ... in 1.0s"
    )


def test_record_run_keeps_polls_and_counts_and_survives_json() -> None:
    state = ScheduleState()
    group = CrawlGroup(60, ("a", "b"))
    record_run(state, group, _result(0))
    record_run(state, group, _result(3))  # skipped: the sources were not polled again
    record_run(state, group, _result(1))
    again = ScheduleState.from_json(state.to_json())
    assert again == state
    job = again.jobs["crawl-1m"]
    assert (job["runs"], job["failures"], job["last_outcome"]) == (3, 1, "failed")
    assert again.last_polled("a") == NOW and again.sources["b"]["last_outcome"] == "failed"


def test_unreadable_state_is_forgotten_not_fatal() -> None:
    for text in (None, "", "not json", "[]", '{"version": 99}', '{"version": 1}'):
        assert ScheduleState.from_json(text) == ScheduleState(), text


def test_a_crawl_that_outlives_its_timeout_is_stopped() -> None:
    started = time.monotonic()
    result = run_crawl(
        [sys.executable, "-c", "import time; time.sleep(60)"], 0.5, threading.Event()
    )
    assert result.outcome == "timeout" and result.exit_code == -signal.SIGTERM
    assert time.monotonic() - started < 20


def test_a_crawl_that_ignores_sigterm_is_killed_after_the_grace_period(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(runner, "STOP_GRACE", 0.5)
    ready = tmp_path / "ready"
    code = (
        "import pathlib, signal, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('ready', flush=True)\n"
        f"pathlib.Path({str(ready)!r}).touch()\n"
        "time.sleep(60)\n"
    )
    stopping = threading.Event()

    def stop_once_ready() -> None:  # the daemon stopping while this crawl runs
        deadline = time.monotonic() + 30
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        stopping.set()

    threading.Thread(target=stop_once_ready, daemon=True).start()
    started = time.monotonic()
    result = run_crawl([sys.executable, "-c", code], 60, stopping)
    assert result.outcome == "stopped" and result.exit_code == -signal.SIGKILL
    assert result.stdout == "ready\n"
    assert time.monotonic() - started < 30


def test_nothing_to_schedule_and_bad_options_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "rasad.toml"
    path.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path}/rasad.db"\n'
        '[[sources]]\nname = "a"\nfeeds = ["http://a/"]\nenabled = false\n',
        encoding="utf-8",
    )
    assert main(["schedule", "--config", str(path)]) == 2
    assert "no enabled source to schedule" in capsys.readouterr().err
    assert main(["schedule", "--config", str(path), "--jitter", "-1"]) == 2
    assert "--jitter" in capsys.readouterr().err
    assert not (tmp_path / "rasad.db").exists()  # nothing touched the store


# the daemon, as a subprocess ------------------------------------------------------------


class Daemon:
    """A running `rasad schedule`, its stderr in a file the test can read while it runs."""

    def __init__(self, config: Path, log: Path, *extra: str) -> None:
        self.log_path = log
        env = {k: v for k, v in os.environ.items() if k != "RASAD_CONFIG"}
        with log.open("w", encoding="utf-8") as handle:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "monitor.cli", "schedule", "--config", str(config), *extra],
                stdout=handle,
                stderr=subprocess.STDOUT,
                cwd=config.parent,
                env=env,
            )

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def runs(self) -> list[tuple[str, str, str]]:
        """(job, sources, outcome) for each run the daemon logged, in order."""
        return [(m[0], m[1], m[2]) for m in RUN_LINE.findall(self.log())]

    def wait_for(self, what: str, check: Callable[[], bool], timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if self.process.poll() is not None:
                pytest.fail(
                    f"daemon exited {self.process.returncode} waiting for {what}:\n{self.log()}"
                )
            if time.monotonic() > deadline:
                pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}:\n{self.log()}")
            time.sleep(0.1)

    def stop(self, signum: int = signal.SIGTERM) -> int:
        self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"daemon did not stop within {STOP_TIMEOUT:.0f}s:\n{self.log()}")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def daemons() -> Iterator[Callable[..., Daemon]]:
    """Start daemons; any still running at the end are killed."""
    started: list[Daemon] = []

    def start(config: Path, *extra: str, log: str = "daemon.log") -> Daemon:
        daemon = Daemon(config, config.parent / log, *extra)
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.kill()


@pytest.fixture
def site() -> Iterator[NewsSite]:
    with seed_site(slow_seconds=30.0) as running:
        yield running


def write_config(
    tmp_path: Path, site: NewsSite, interval: str, extra: str = "", **kw: object
) -> Path:
    """The fixture site as source "almadar" polled every `interval`, plus `extra` TOML."""
    text = rasad_config(site, f"sqlite:///{tmp_path}/rasad.db", **kw)  # type: ignore[arg-type]
    path = tmp_path / "rasad.toml"
    path.write_text(text + f'interval = "{interval}"\n' + extra, encoding="utf-8")
    return path


def db_rows(tmp_path: Path, sql: str) -> list[tuple[Any, ...]]:
    db = tmp_path / "rasad.db"
    if not db.exists():
        return []
    with sqlite3.connect(db, timeout=30) as connection:
        try:
            return list(connection.execute(sql))
        except sqlite3.OperationalError:  # the schema is not created yet
            return []


def saved_state(tmp_path: Path) -> dict[str, object]:
    rows = db_rows(tmp_path, "SELECT value FROM state WHERE key = 'schedule'")
    assert rows, "no schedule state in the store"
    return json.loads(str(rows[0][0]))  # type: ignore[no-any-return]


def finished_runs(tmp_path: Path) -> list[tuple[Any, ...]]:
    return db_rows(tmp_path, "SELECT id, state, sources FROM runs WHERE finished IS NOT NULL")


@pytest.mark.slow
def test_daemon_crawls_on_schedule_and_stops_on_sigterm(
    site: NewsSite, tmp_path: Path, daemons: Callable[..., Daemon]
) -> None:
    daemon = daemons(write_config(tmp_path, site, "1s"), "--jitter", "0")
    daemon.wait_for("two finished crawls", lambda: len(finished_runs(tmp_path)) >= 2)

    stored = db_rows(tmp_path, "SELECT count(*) FROM articles")
    assert stored[0][0] >= 5  # the five seed articles (stored as copies of the seed corpus)
    assert all(state == "ok" for _, state, _ in finished_runs(tmp_path))

    assert daemon.stop() == 0
    log = daemon.log()
    assert "received SIGTERM: stopping" in log and "stopped after" in log
    assert "Traceback" not in log
    assert ("crawl-1s", "almadar", "ok") in daemon.runs()
    state = saved_state(tmp_path)
    job = state["jobs"]["crawl-1s"]  # type: ignore[index]
    assert job["runs"] >= 2 and job["next_due"]
    assert state["sources"]["almadar"]["last_polled"]  # type: ignore[index]


@pytest.mark.slow
def test_a_failing_source_does_not_stop_the_daemon(
    site: NewsSite, tmp_path: Path, daemons: Callable[..., Daemon]
) -> None:
    broken = '[[sources]]\nname = "broken"\nfeeds = ["http://127.0.0.1:9/feed/"]\ninterval = "1s"\n'
    config = write_config(tmp_path, site, "2s", broken, crawl={"download_timeout": 5})
    daemon = daemons(config, "--jitter", "0")

    def failed_then_more() -> bool:
        outcomes = [(job, outcome) for job, _, outcome in daemon.runs()]
        if ("crawl-1s", "failed") not in outcomes:
            return False
        after = outcomes[outcomes.index(("crawl-1s", "failed")) + 1 :]
        return ("crawl-1s", "failed") in after and ("crawl-2s", "ok") in outcomes

    daemon.wait_for("a failed crawl, then further crawls", failed_then_more)
    log = daemon.log()
    assert "FAILED SOURCES (1): broken" in log and "broken: feed failed" in log  # the full report
    assert daemon.stop() == 0
    job = saved_state(tmp_path)["jobs"]["crawl-1s"]  # type: ignore[index]
    assert job["failures"] >= 2


@pytest.mark.slow
def test_a_crawl_skipped_for_the_lock_is_not_an_error(
    site: NewsSite, tmp_path: Path, daemons: Callable[..., Daemon]
) -> None:
    config = write_config(tmp_path, site, "1s")
    with crawl_lock(load_config(str(config))):  # as a cron `rasad crawl` would hold it
        daemon = daemons(config, "--jitter", "0")
        daemon.wait_for("a skipped run", lambda: "skipped: another crawl running" in daemon.log())
        assert not finished_runs(tmp_path)
    daemon.wait_for("a crawl once the lock is free", lambda: bool(finished_runs(tmp_path)))
    assert daemon.stop() == 0
    assert " ERROR " not in daemon.log()


@pytest.mark.slow
def test_restart_resumes_from_the_saved_state(
    site: NewsSite, tmp_path: Path, daemons: Callable[..., Daemon]
) -> None:
    config = write_config(tmp_path, site, "1h")
    first = daemons(config, "--jitter", "2", log="first.log")
    first.wait_for("the first crawl", lambda: ("crawl-1h", "almadar", "ok") in first.runs())

    second = daemons(config, log="second.log")  # one daemon per store
    assert second.process.wait(timeout=60) == 3
    assert "another `rasad schedule` is running" in second.log()

    assert first.stop() == 0
    polled = saved_state(tmp_path)["sources"]["almadar"]["last_polled"]  # type: ignore[index]

    # Restarted, it does not crawl again at once: the next run is an hour after the last one.
    third = daemons(config, log="third.log")
    third.wait_for("the plan", lambda: "next run" in third.log())
    wait = re.search(r"crawl-1h \[almadar\]: next run .* \(in (\d+)s\)", third.log())
    assert wait and 3000 <= int(wait.group(1)) <= 3600 + 30, third.log()  # + default jitter
    assert third.stop(signal.SIGINT) == 0
    assert len(finished_runs(tmp_path)) == 1
    assert saved_state(tmp_path)["sources"]["almadar"]["last_polled"] == polled  # type: ignore[index]


@pytest.mark.slow
def test_an_overdue_group_runs_once_soon_and_others_wait(
    site: NewsSite, tmp_path: Path, daemons: Callable[..., Daemon]
) -> None:
    later = f'[[sources]]\nname = "later"\nfeeds = ["{site.url("/atom.xml")}"]\ninterval = "2h"\n'
    own = [path for path in site.feeds if path != "/atom.xml"]  # one feed, one source
    config = write_config(tmp_path, site, "1h", later, feeds=own)
    now = datetime.now(UTC)
    store = SQLiteStore(tmp_path / "rasad.db")
    polled = {"almadar": now - timedelta(hours=5), "later": now - timedelta(minutes=10)}
    store.set_state(
        "schedule",
        ScheduleState(
            sources={name: {"last_polled": when.isoformat()} for name, when in polled.items()}
        ).to_json(),
    )
    store.close()

    daemon = daemons(config, "--jitter", "1")
    daemon.wait_for("the overdue crawl", lambda: ("crawl-1h", "almadar", "ok") in daemon.runs())
    plan = re.search(r"crawl-2h \[later\]: next run .* \(in (\d+)s\)", daemon.log())
    assert plan and 6000 <= int(plan.group(1)) <= 6601, daemon.log()
    assert daemon.stop() == 0
    assert daemon.runs() == [("crawl-1h", "almadar", "ok")]  # once, not once per missed hour
    jobs = saved_state(tmp_path)["jobs"]
    due = datetime.fromisoformat(jobs["crawl-1h"]["next_due"])  # type: ignore[index]
    assert due - now > timedelta(minutes=55)


@pytest.mark.slow
def test_sigterm_during_a_crawl_stops_the_crawl_and_the_daemon(
    site: NewsSite, tmp_path: Path, daemons: Callable[..., Daemon]
) -> None:
    config = write_config(tmp_path, site, "1h", feeds=[Routes.SLOW], crawl={"download_timeout": 60})
    daemon = daemons(config, "--verbose", "--jitter", "0")
    daemon.wait_for("the crawl to reach the slow feed", lambda: bool(site.requests(Routes.SLOW)))
    pid = re.search(r"crawl started: pid (\d+)", daemon.log())
    assert pid, daemon.log()

    started = time.monotonic()
    assert daemon.stop() == 0
    assert time.monotonic() - started < runner.STOP_GRACE + 15
    assert ("crawl-1h", "almadar", "stopped") in daemon.runs()
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid.group(1)), 0)  # the crawl is gone too
    # a stopped crawl does not count as a poll: a restart polls the source soon
    assert "last_polled" not in saved_state(tmp_path)["sources"]["almadar"]  # type: ignore[index]

"""`rasad schedule` sends the digest: its trigger, its command line, how its runs end.

The plan is checked in-process; the runs go through the daemon's real launching code with a
tiny stand-in script in place of `rasad digest` (which needs SMTP), so everything is offline.
Every wait is bounded and polls; nothing asserts how long anything took.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import tzlocal
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor.config.loader import Config, load_config, parse_config
from monitor.errors import ConfigError
from monitor.schedule import daemon as daemon_module
from monitor.schedule.daemon import DIGEST_EXECUTOR, Daemon, ScheduleOptions
from monitor.schedule.plan import (
    CrawlGroup,
    DigestJob,
    crawl_command,
    digest_command,
    digest_first_run,
    digest_job,
    planned_jobs,
)
from monitor.schedule.runner import RunResult
from monitor.schedule.state import ScheduleState, record_run

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # 15:00 in Riyadh
SOURCE = {"name": "a", "feeds": ["http://a.invalid/feed"], "interval": "1h"}
WAIT = 60.0  # seconds any one wait may take before the test fails (never an assertion on time)


def config_with(
    schedule: str | None = "daily 07:00",
    recipients: tuple[str, ...] = ("analyst@example.org",),
    sources: list[dict[str, Any]] | None = None,
    store: str | None = None,
) -> Config:
    digest: dict[str, Any] = {"recipients": list(recipients)}
    if schedule is not None:
        digest["schedule"] = schedule
    data: dict[str, Any] = {"sources": sources if sources is not None else [SOURCE]}
    data["digest"] = digest
    if store:
        data["store"] = {"url": store}
    return parse_config(data)


def planned(schedule: str) -> DigestJob:
    job = planned_jobs(config_with(schedule)).digest
    assert job is not None
    return job


# the plan ------------------------------------------------------------------------------


def test_daily_digest_is_a_cron_trigger_in_the_machines_local_zone() -> None:
    job = planned("daily 07:00")
    assert job.job_id == "digest" and job.describe() == "digest [daily 07:00]"
    trigger = job.trigger()
    assert isinstance(trigger, CronTrigger)
    local = tzlocal.get_localzone()
    assert trigger.timezone == local
    fire = trigger.get_next_fire_time(None, NOW)
    assert (fire.hour, fire.minute, fire.second) == (7, 0, 0)
    assert fire.tzinfo == local
    assert NOW < fire <= NOW + timedelta(days=1)


def test_daily_digest_with_a_zone_runs_at_that_zones_time() -> None:
    trigger = planned("daily 07:30 Asia/Riyadh").trigger()
    assert isinstance(trigger, CronTrigger)
    assert trigger.timezone == ZoneInfo("Asia/Riyadh")
    fire = trigger.get_next_fire_time(None, NOW)
    # 15:00 in Riyadh now, so the next 07:30 there is tomorrow's: 04:30 UTC
    assert fire.astimezone(UTC) == datetime(2026, 11, 2, 4, 30, tzinfo=UTC)


def test_every_n_digest_is_an_interval_trigger() -> None:
    job = planned("every 6h")
    trigger = job.trigger(NOW)
    assert isinstance(trigger, IntervalTrigger)
    assert trigger.interval == timedelta(hours=6)
    assert trigger.get_next_fire_time(None, NOW) == NOW
    assert trigger.get_next_fire_time(NOW, NOW) == NOW + timedelta(hours=6)


def test_no_digest_job_without_a_schedule_or_without_recipients() -> None:
    for config in (config_with(schedule=None), config_with(recipients=())):
        assert digest_job(config) is None
        plan = planned_jobs(config)
        assert plan.digest is None and plan.jobs == (CrawlGroup(3600, ("a",)),)
        daemon = Daemon(config, ScheduleOptions(jitter=0))
        daemon.schedule_jobs(NOW)
        assert [job.id for job in daemon.scheduler.get_jobs()] == ["crawl-1h"]


def test_a_digest_alone_is_something_to_schedule_nothing_at_all_is_not() -> None:
    off = [{**SOURCE, "enabled": False}]
    plan = planned_jobs(config_with("every 6h", sources=off))
    assert plan.crawls == () and plan.digest is not None and plan.jobs == (plan.digest,)
    with pytest.raises(ConfigError, match="no enabled source to schedule"):
        planned_jobs(config_with(None, sources=off))


def test_digest_command_is_rasad_digest_with_the_config_path(tmp_path: Path) -> None:
    path = tmp_path / "rasad.toml"
    path.write_text(
        '[[sources]]\nname = "a"\nfeeds = ["http://a.invalid/"]\n'
        '[digest]\nrecipients = ["analyst@example.org"]\nschedule = "daily 07:00"\n',
        encoding="utf-8",
    )
    config = load_config(str(path))
    argv = digest_command(config)
    assert argv == [
        sys.executable,
        "-m",
        "monitor.launch",
        "digest",
        "--config",
        str(path.resolve()),
    ]
    crawl = crawl_command(config, CrawlGroup(3600, ("a",)))
    assert argv[:3] == crawl[:3] and argv[-2:] == crawl[5:7]  # launched just like a crawl
    assert digest_command(config_with()) == [sys.executable, "-m", "monitor.launch", "digest"]


def test_first_digest_after_start_catches_up_once_and_never_sends_for_starting() -> None:
    daily = planned("daily 07:00 Asia/Riyadh")  # 07:00 Riyadh is 04:00 UTC
    today, tomorrow = datetime(2026, 11, 1, 4, tzinfo=UTC), datetime(2026, 11, 2, 4, tzinfo=UTC)
    assert digest_first_run(daily, None, NOW) == tomorrow  # never run: wait for the schedule
    assert digest_first_run(daily, today + timedelta(minutes=1), NOW) == tomorrow  # sent today
    assert digest_first_run(daily, today - timedelta(days=3), NOW) == NOW  # missed: once, now
    every = planned("every 6h")
    six = timedelta(hours=6)
    assert digest_first_run(every, None, NOW) == NOW + six
    assert digest_first_run(every, NOW - timedelta(hours=1), NOW) == NOW + timedelta(hours=5)
    assert digest_first_run(every, NOW - timedelta(days=2), NOW) == NOW
    assert digest_first_run(every, NOW + timedelta(days=2), NOW) == NOW + six  # clock went back


def test_the_daemon_runs_the_digest_on_its_own_worker_once_at_a_time() -> None:
    daemon = Daemon(config_with("daily 07:00 Asia/Riyadh"), ScheduleOptions(jitter=0))
    daemon._state = ScheduleState(jobs={"digest": {"last_ran": "2026-10-01T04:00:00+00:00"}})
    daemon.schedule_jobs(NOW)
    job = daemon.scheduler.get_job("digest")
    assert job.executor == DIGEST_EXECUTOR != daemon.scheduler.get_job("crawl-1h").executor
    assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, None)
    assert isinstance(job.trigger, CronTrigger) and job.next_run_time == NOW  # missed: now
    assert job.name == "digest [daily 07:00 Asia/Riyadh]"


def test_digest_runs_are_recorded_and_survive_json() -> None:
    state = ScheduleState()
    job = planned("every 6h")
    for code in (0, 3, 1, 2):
        record_run(state, job, RunResult(NOW + timedelta(hours=code), 1.0, code))
    again = ScheduleState.from_json(state.to_json())
    saved = again.jobs["digest"]
    assert (saved["runs"], saved["failures"], saved["last_outcome"]) == (4, 2, "error")
    assert saved["schedule"] == "every 6h" and not again.sources
    assert again.last_digest(job) == NOW + timedelta(hours=1)  # the exit-2 run sent nothing


# runs through the real launching code, `rasad digest` replaced by a stand-in ---------------


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def at(self, level: int) -> list[str]:
        return [r.getMessage() for r in self.records if r.levelno >= level]


@pytest.fixture
def lines() -> Iterator[Lines]:
    logger = logging.getLogger("rasad.schedule")
    handler, level = Lines(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


def stand_in(monkeypatch: pytest.MonkeyPatch, name: str, code: str) -> list[Config]:
    """Replace the `rasad <name>` command line with `python -c code`; returns the configs seen."""
    seen: list[Config] = []

    def command(config: Config, *args: object) -> list[str]:
        seen.append(config)
        return [sys.executable, "-c", code]

    monkeypatch.setattr(daemon_module, f"{name}_command", command)
    return seen


def wait_for(what: str, check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("code", "outcome", "level", "said"),
    [
        (0, "ok", logging.INFO, "digest [every 6h] ok exit=0 in "),
        (1, "failed", logging.WARNING, "not sent: SMTP: 550 relay refused"),
        (3, "skipped", logging.INFO, "skipped: another digest running"),
        (2, "error", logging.ERROR, "unknown option"),
    ],
)
def test_a_digest_run_is_one_line_by_its_exit_code(
    monkeypatch: pytest.MonkeyPatch, lines: Lines, code: int, outcome: str, level: int, said: str
) -> None:
    error = "SMTP: 550 relay refused" if code == 1 else "unknown option"
    script = (
        "import sys\n"
        "print('2 stories to 1 recipient')\n"
        f"print({error!r}, file=sys.stderr)\n"
        f"sys.exit({code})\n"
    )
    config = config_with("every 6h")
    seen = stand_in(monkeypatch, "digest", script)
    daemon = Daemon(config, ScheduleOptions(jitter=0))
    assert daemon.digest is not None
    daemon.digest_job(daemon.digest)
    assert seen == [config]
    logged = lines.at(logging.INFO)
    assert len(logged) == 1, logged  # one line per run (an error's stderr tail rides along)
    assert logged[0].startswith(f"digest [every 6h] {outcome} exit={code} in "), logged
    assert said in "\n".join(logged)
    assert [r.levelno for r in lines.records if r.levelno >= logging.INFO] == [level]
    saved = daemon._state.jobs["digest"]
    assert (saved["last_outcome"], saved["last_exit"], saved["runs"]) == (outcome, code, 1)
    assert saved["failures"] == (outcome in ("failed", "error"))
    assert ("last_ran" in saved) == (code != 2)


def test_a_digest_running_when_the_daemon_stops_is_stopped_too(
    monkeypatch: pytest.MonkeyPatch, lines: Lines, tmp_path: Path
) -> None:
    pid_file = tmp_path / "pid"
    stand_in(
        monkeypatch,
        "digest",
        f"import os, pathlib, time\npathlib.Path({str(pid_file)!r}).write_text(str(os.getpid()))\n"
        "time.sleep(120)\n",
    )
    off = [{**SOURCE, "enabled": False}]
    daemon = Daemon(config_with("every 6h", sources=off), ScheduleOptions(jitter=0))
    daemon._state = ScheduleState(jobs={"digest": {"last_ran": "2026-01-01T00:00:00+00:00"}})
    daemon.schedule_jobs(datetime.now(UTC))  # overdue: due now
    daemon.scheduler.start()
    wait_for("the digest to start", lambda: pid_file.exists() and bool(pid_file.read_text()))
    pid = int(pid_file.read_text())
    daemon._shutdown()  # what SIGTERM leads to
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert any("digest [every 6h] stopped exit=-15" in line for line in lines.at(logging.INFO))
    assert daemon._state.jobs["digest"]["last_outcome"] == "stopped"


def test_a_digest_and_a_crawl_do_not_wait_for_each_other(
    monkeypatch: pytest.MonkeyPatch, lines: Lines, tmp_path: Path
) -> None:
    started, release, crawled = tmp_path / "started", tmp_path / "release", tmp_path / "crawled"
    stand_in(
        monkeypatch,
        "digest",
        f"import pathlib, time\npathlib.Path({str(started)!r}).touch()\n"
        f"while not pathlib.Path({str(release)!r}).exists(): time.sleep(0.05)\n",
    )
    stand_in(monkeypatch, "crawl", f"import pathlib\npathlib.Path({str(crawled)!r}).touch()\n")
    daemon = Daemon(config_with("every 6h"), ScheduleOptions(jitter=0))
    daemon._state = ScheduleState(jobs={"digest": {"last_ran": "2026-01-01T00:00:00+00:00"}})
    daemon.schedule_jobs(datetime.now(UTC))  # the digest and the crawl both due now
    daemon.scheduler.start()
    try:
        wait_for("the digest to start", started.exists)
        wait_for("the crawl, while the digest still runs", crawled.exists)
        assert not release.exists()
        release.touch()
        wait_for("the digest to finish", lambda: "digest" in daemon._state.jobs)
    finally:
        release.touch()
        daemon._shutdown()
    logged = "\n".join(lines.at(logging.INFO))
    assert "crawl-1h [a] ok exit=0" in logged and "digest [every 6h] ok exit=0" in logged

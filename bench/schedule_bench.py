"""The scheduler daemon over many runs: does it stay small? Prints figures; asserts nothing.

    .venv/bin/python bench/schedule_bench.py [--runs 100] [--interval 1s] [--failing]

Serves tests/fixture_site.py's seed site on 127.0.0.1, writes a temporary rasad config polling it
every `--interval` (SQLite store in a temporary directory), starts `rasad schedule --jitter 0` as a
subprocess and counts the runs it logs. It prints the daemon's resident memory (VmRSS from
/proc/PID/status), open file descriptors and threads at start and after 10, 50 and `--runs` runs,
its peak memory (VmHWM), runs per minute and failed runs; then stops it with SIGTERM and prints
the exit code and how long the stop took. With `--failing` a second source whose feed is on a
closed port (127.0.0.1:9) joins the group, so every run reports a failed source (the daemon logs
the whole report each time).

The crawls are subprocesses, so their memory is not the daemon's: this measures what the daemon
keeps (or leaks) between runs.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

from _common import load_fixture_site  # bench/ is on sys.path when run as a script

REPO = Path(__file__).resolve().parents[1]
RASAD = [sys.executable, "-m", "monitor.cli"]
RUN_LINE = re.compile(r" (crawl-\S+) \[[^\]]*\] (\w+) exit=")


def proc_status(pid: int) -> dict[str, str]:
    """/proc/PID/status as a dict ("VmRSS" -> "41234 kB")."""
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return dict(line.split(":\t", 1) for line in lines if ":\t" in line)


def snapshot(pid: int) -> str:
    status = proc_status(pid)
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return (
        f"RSS {status['VmRSS'].strip():>10}  peak {status['VmHWM'].strip():>10}  "
        f"fds {fds:>3}  threads {status['Threads'].strip():>2}"
    )


def outcomes(log: Path) -> list[str]:
    return [m.group(2) for m in RUN_LINE.finditer(log.read_text(encoding="utf-8"))]


def write_config(
    fixture: ModuleType, site: object, work: Path, interval: str, failing: bool
) -> Path:
    text = fixture.rasad_config(site, f"sqlite:///{work}/rasad.db") + f'interval = "{interval}"\n'
    if failing:
        text += (
            '[[sources]]\nname = "broken"\nfeeds = ["http://127.0.0.1:9/feed/"]\n'
            f'interval = "{interval}"\n'
        )
    path = work / "rasad.toml"
    path.write_text(text, encoding="utf-8")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--interval", default="1s", help="each source's interval (default 1s)")
    parser.add_argument("--failing", action="store_true", help="add a source that always fails")
    args = parser.parse_args()
    marks = sorted({m for m in (10, 50, args.runs) if m <= args.runs})

    fixture = load_fixture_site()
    with (
        tempfile.TemporaryDirectory(prefix="rasad-schedule-bench-") as tmp,
        fixture.seed_site() as site,
    ):
        work = Path(tmp)
        config = write_config(fixture, site, work, args.interval, args.failing)
        log = work / "daemon.log"
        env = {k: v for k, v in os.environ.items() if k != "RASAD_CONFIG"}
        with log.open("w", encoding="utf-8") as handle:
            daemon = subprocess.Popen(
                [*RASAD, "schedule", "--config", str(config), "--jitter", "0"],
                stderr=handle,
                cwd=work,
                env=env,
            )
        try:
            while "next run" not in log.read_text(encoding="utf-8"):
                if daemon.poll() is not None:
                    print(log.read_text(encoding="utf-8"))
                    return 1
                time.sleep(0.05)
            print(f"daemon pid {daemon.pid}, sources every {args.interval}")
            print(f"{'at start':>16}: {snapshot(daemon.pid)}")
            started = time.monotonic()
            for mark in marks:
                while len(outcomes(log)) < mark:
                    if daemon.poll() is not None:
                        print(f"daemon exited {daemon.returncode}:\n{log.read_text()}")
                        return 1
                    time.sleep(0.05)
                print(f"{f'after {mark} runs':>16}: {snapshot(daemon.pid)}")
            minutes = (time.monotonic() - started) / 60
            done = outcomes(log)[: args.runs]
            by_outcome = {o: done.count(o) for o in sorted(set(done))}
            failures = sum(n for o, n in by_outcome.items() if o not in ("ok", "skipped"))
            print(f"runs/min: {len(done) / minutes:.1f}  ({len(done)} runs in {minutes:.1f} min)")
            print(f"outcomes: {by_outcome}; failures: {failures}")
            stop = time.monotonic()
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(timeout=60)
            print(f"SIGTERM: exit {code} after {time.monotonic() - stop:.1f}s")
        finally:
            if daemon.poll() is None:
                daemon.kill()
                daemon.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A signal while `rasad` is still loading (before the command-line package is imported):
a crawl records the run interrupted and prints its report, exit 1, instead of dying with 143;
any other command ends as it always did (SIGTERM kills it, Ctrl-C is one line, exit 130).

The signal is sent by the process itself right after `monitor.launch` started holding, which is
the moment a scheduler's timeout or a quick Ctrl-C would hit it, without a race."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from fixture_site import rasad_config, seed_site

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow

LAUNCH = """
import os, signal, sys
from monitor import early_signals, launch
early_signals.hold()
os.kill(os.getpid(), signal.{name})
sys.exit(launch.main(sys.argv[1:]))
"""


def rasad_signalled(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "RASAD_CONFIG"}
    return subprocess.run(
        [sys.executable, "-c", LAUNCH.format(name=name), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env=env,
    )


def test_a_crawl_signalled_while_loading_is_recorded_interrupted(tmp_path: Path) -> None:
    with seed_site() as site:
        config = tmp_path / "rasad.toml"
        config.write_text(rasad_config(site, f"sqlite:///{tmp_path}/rasad.db"), encoding="utf-8")
        result = rasad_signalled("SIGTERM", "crawl", "--config", str(config))
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert "INTERRUPTED" in result.stdout
    assert "Traceback" not in result.stderr
    with sqlite3.connect(tmp_path / "rasad.db") as db:
        states = [row[0] for row in db.execute("SELECT state FROM runs")]
    assert states == ["interrupted"]


def test_other_commands_end_as_before(tmp_path: Path) -> None:
    config = tmp_path / "rasad.toml"
    config.write_text(f'[store]\nurl = "sqlite:///{tmp_path}/rasad.db"\n', encoding="utf-8")
    killed = rasad_signalled("SIGTERM", "runs", "--config", str(config))
    assert killed.returncode == -signal.SIGTERM
    interrupted = rasad_signalled("SIGINT", "runs", "--config", str(config))
    assert interrupted.returncode == 130
    assert interrupted.stderr.strip() == "rasad: interrupted"

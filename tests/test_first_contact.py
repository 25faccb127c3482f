"""A newcomer's first runs, end to end: quiet output that ends with the report, --log-file,
--force past backoff (not past Retry-After), and `scrapy crawl feeds` started by Scrapy."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fixture_site import Routes, demo_site, seed_site
from test_crawl_e2e import REPO, rasad, write_config

pytestmark = pytest.mark.slow

SCRAPY_LOG_LINE = re.compile(r"\[(scrapy|twisted)[^]]*\] (ERROR|WARNING|INFO|DEBUG)")
UNRESOLVABLE = "http://rasad-test.invalid/rss.xml"  # .invalid never resolves (RFC 6761)


def _with_unresolvable_source(config: Path) -> None:
    with config.open("a", encoding="utf-8") as handle:
        handle.write(f'\n[[sources]]\nname = "nowhere"\nfeeds = ["{UNRESOLVABLE}"]\n')


def test_a_crawl_with_failures_prints_the_report_alone(tmp_path: Path) -> None:
    with demo_site(special=True) as site:  # 404, 500, 429, a redirect loop, PDF, PNG ...
        config = write_config(tmp_path, site)
        _with_unresolvable_source(config)
        result = rasad("crawl", "--config", str(config))
        quiet = rasad("crawl", "--config", str(config), "--quiet")
    assert result.returncode == 1  # the unresolvable source failed
    output = result.stdout + result.stderr
    assert "Traceback" not in output and not SCRAPY_LOG_LINE.search(output), output[:2000]
    assert result.stderr == ""
    lines = result.stdout.rstrip("\n").splitlines()
    assert lines[0].startswith("source ") and lines[-1] == "FAILED SOURCES (1): nowhere"
    assert f"nowhere: feed failed: {UNRESOLVABLE}: host name not found" in result.stdout
    assert "is this machine offline?" not in result.stdout  # the fixture site answered
    assert "article failures (retried next run)" in result.stdout
    # --quiet: still the report (a source failed), still no library log
    assert "Traceback" not in quiet.stdout + quiet.stderr and quiet.stderr == ""
    assert not SCRAPY_LOG_LINE.search(quiet.stdout)


def test_dns_failures_are_not_retried_and_log_file_has_everything(tmp_path: Path) -> None:
    config = tmp_path / "rasad.toml"
    config.write_text(f'[store]\nurl = "sqlite:///{tmp_path}/rasad.db"\n', encoding="utf-8")
    _with_unresolvable_source_only(config)
    log = tmp_path / "crawl.log"
    result = rasad("crawl", "--config", str(config), "--log-file", str(log))
    assert result.returncode == 1 and result.stderr == ""
    assert "is this machine offline?" in result.stdout
    text = log.read_text(encoding="utf-8")
    assert "[scrapy" in text  # the full log went to the file
    assert "Gave up retrying" not in text and "Retrying" not in text  # DNS: asked once
    # offline says nothing about the feeds: the next run polls them again, not held back
    verbose = rasad("crawl", "--config", str(config), "--verbose")
    assert "[scrapy" in verbose.stderr
    assert "held back" not in verbose.stdout and "is this machine offline?" in verbose.stdout


def _with_unresolvable_source_only(config: Path) -> None:
    with config.open("a", encoding="utf-8") as handle:
        handle.write(f'[[sources]]\nname = "nowhere"\nfeeds = ["{UNRESOLVABLE}"]\n')


def test_force_polls_past_backoff_but_not_past_retry_after(tmp_path: Path) -> None:
    with seed_site() as site:
        site.set_response("/busy.xml", 429, "", headers={"Retry-After": "3600"})
        feeds = ["/feed/", Routes.NOT_A_FEED, "/busy.xml"]
        config = write_config(tmp_path, site, feeds=feeds)
        assert rasad("crawl", "--config", str(config)).returncode == 1

        site.clear_requests()
        held = rasad("crawl", "--config", str(config))
        assert site.requests(Routes.NOT_A_FEED) == []  # backing off
        assert "--force polls it now" in held.stdout

        site.clear_requests()
        forced = rasad("crawl", "--config", str(config), "--force")
        assert forced.returncode == 1
        assert len(site.requests(Routes.NOT_A_FEED)) == 1
        assert site.requests("/busy.xml") == []  # the server asked for an hour
        assert "Retry-After, honoured even with --force" in forced.stdout
        feed = site.requests("/feed/")
        assert len(feed) == 1 and feed[0].status == 200  # unconditional: no 304
        assert "if-none-match" not in feed[0].headers
        assert "if-modified-since" not in feed[0].headers


def test_scrapy_crawl_feeds_runs_a_crawl(tmp_path: Path) -> None:
    with seed_site() as site:
        config = write_config(tmp_path, site, feeds=["/feed/"])
        env = {**os.environ, "RASAD_CONFIG": str(config)}
        result = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "feeds"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.splitlines()[0].startswith("source ")
    assert "5 pages fetched" in result.stdout
    stored = rasad("export", "--config", str(config), "--all").stdout.splitlines()
    assert len(stored) == 5


def test_scrapy_crawl_feeds_with_a_bad_config_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "RASAD_CONFIG": str(tmp_path / "missing.toml")}
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "feeds"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("rasad: ") and "missing.toml" in lines[0] and "not found" in lines[0]

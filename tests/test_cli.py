"""The command line's face: options in either order, help with examples, one-line errors,
read-only commands that never create a store, run history, feed resets."""

from __future__ import annotations

import argparse
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.cli import build_parser, main, version
from monitor.config.loader import load_config
from monitor.sources import polling
from store import open_store
from store.base import FeedPoll

DEFAULT_SOURCES = len(load_config(environ={}).sources)


def _config(tmp_path: Path, db: str = "rasad.db") -> Path:
    path = tmp_path / "rasad.toml"
    path.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path / db}"\n'
        '[[sources]]\nname = "site"\nfeeds = ["http://127.0.0.1:9/feed.xml"]\n',
        encoding="utf-8",
    )
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_config_works_before_and_after_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the defaults would use ./data/rasad.db
    config = str(_config(tmp_path))
    for argv in (["--config", config, "sources"], ["sources", "--config", config]):
        code, out, err = _run(capsys, *argv, "--format", "json")
        assert code == 0, err
        rows = json.loads(out)
        assert [r["source"] for r in rows] == ["site"], argv  # not the default outlets
    code, out, _ = _run(capsys, "-c", config, "sources", "--format", "json")
    assert [r["source"] for r in json.loads(out)] == ["site"]
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("before", [True, False])
def test_a_missing_config_is_exit_2_in_both_orders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], before: bool
) -> None:
    missing = str(tmp_path / "nonexistent.toml")
    argv = ["--config", missing, "sources"] if before else ["sources", "--config", missing]
    code, out, err = _run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and missing in err and "not found" in err


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("no subcommands")


def test_every_command_has_a_description_and_examples() -> None:
    commands = _subcommands()
    assert {"crawl", "sources", "runs", "export", "rescore", "schedule"} <= set(commands)
    for name, parser in commands.items():
        text = parser.format_help()
        assert parser.description and len(parser.description) > 40, name
        examples = text.split("examples:\n", 1)
        assert len(examples) == 2, f"{name} --help has no examples"
        lines = [line for line in examples[1].splitlines() if line.strip()]
        assert 1 <= len(lines) <= 3 and all(f"rasad {name}" in line for line in lines), name
        assert "--config" in text and "-c" in text, name


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--version")
    assert code == 0
    assert out.strip() == f"rasad {version()}" and version()[0].isdigit()


@pytest.mark.parametrize(
    "argv",
    [["export"], ["runs"], ["rescore", "--dry-run"], ["export", "--all", "-o", "out.jsonl"]],
)
def test_read_only_commands_refuse_a_store_that_does_not_exist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    config = _config(tmp_path)
    code, out, err = _run(capsys, *argv, "-c", str(config))
    assert out == ""
    assert code == 2
    assert err.count("\n") == 1
    assert f"no store at {tmp_path / 'rasad.db'}" in err and "rasad crawl" in err
    assert not (tmp_path / "rasad.db").exists()
    assert not (tmp_path / "out.jsonl").exists()


def test_sources_before_the_first_crawl_lists_the_outlets_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RASAD_CONFIG", raising=False)
    code, out, err = _run(capsys, "sources", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert len({r["source"] for r in rows}) == DEFAULT_SOURCES
    assert all(r["health"] == "never polled" for r in rows)
    assert "no store at" in err and err.count("\n") == 1
    assert not (tmp_path / "data").exists()


def test_export_into_a_missing_directory_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    open_store(load_config(str(config)).store_url).close()
    target = tmp_path / "no" / "such" / "dir" / "out.csv"
    code, _, err = _run(capsys, "export", "-c", str(config), "--format", "csv", "-o", str(target))
    assert code == 2
    assert (
        err
        == f"rasad: cannot write {target}: No such file or directory (does the directory exist?)\n"
    )


def test_a_store_directory_that_cannot_be_created_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    config = tmp_path / "c.toml"
    config.write_text(f'[store]\nurl = "sqlite:///{blocker}/sub/rasad.db"\n')
    code, out, err = _run(capsys, "crawl", "-c", str(config))
    assert code == 2
    assert out == "" and err.count("\n") == 1
    assert "a-file" in err and "not a directory" in err


def test_a_lock_file_that_cannot_be_created_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    (tmp_path / "rasad.lock").mkdir()  # where the crawl lock goes (root ignores chmod)
    code, out, err = _run(capsys, "crawl", "-c", str(config))
    assert code == 2
    assert out == "" and err.count("\n") == 1
    assert f"cannot create the lock file {tmp_path / 'rasad.lock'}" in err and "writable" in err
    assert not (tmp_path / "rasad.db").exists()


def test_a_file_that_is_not_a_store_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    (tmp_path / "rasad.db").write_bytes(b"this is not SQLite" * 100)
    code, _, err = _run(capsys, "runs", "-c", str(config))
    assert code == 2
    assert err.count("\n") == 1 and "cannot open the store" in err
    assert (tmp_path / "rasad.db").read_bytes() == b"this is not SQLite" * 100


def test_runs_lists_the_history_newest_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    store = open_store(load_config(str(config)).store_url)
    start = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    first = store.start_run(start, ["site"])
    report = {
        "ok": False,
        "seconds": 12.5,
        "sources": [
            {
                "name": "site",
                "ok": False,
                "fetched": 7,
                "stored": {"new": 3, "off_topic": 2},
                "failed": {"http_500": 1, "timeout": 1},
                "feeds_polled": 2,
                "entries": 9,
            },
        ],
    }
    store.finish_run(first, start + timedelta(seconds=12.5), "failed", report)
    second = store.start_run(start + timedelta(hours=1), ["site"])  # still running
    store.close()

    code, out, _ = _run(capsys, "runs", "-c", str(config), "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert [r["id"] for r in rows] == [second, first]
    assert rows[0]["outcome"] == "running" and rows[0]["finished"] is None
    old = rows[1]
    assert (old["outcome"], old["seconds"], old["fetched"], old["new"], old["off_topic"]) == (
        "failed",
        12.5,
        7,
        3,
        2,
    )
    assert old["failed"] == 2 and old["failed_sources"] == ["site"]

    code, out, _ = _run(capsys, "runs", "-c", str(config), "-n", "1")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 3  # header, rule, one run
    assert max(len(line) for line in lines) <= 80
    code, _, err = _run(capsys, "runs", "-c", str(config), "-n", "0")
    assert code == 2 and "positive" in err


def test_sources_reset_forgets_an_error_streak(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    store = open_store(load_config(str(config)).store_url)
    feed = "http://127.0.0.1:9/feed.xml"
    now = datetime.now(UTC)
    state = polling.FeedState()
    for _ in range(3):
        state = polling.after_poll(
            state,
            now,
            status=0,
            headers={},
            error="connection refused",
            new_items=0,
            content_changed=False,
            base_interval_s=900,
            min_interval_s=300,
            max_interval_s=3600,
        )
        store.record_poll(
            FeedPoll("site", feed, now, ok=False, error="refused", state=state.to_json())
        )
    assert state.error_streak == 3 and not polling.is_due(state, now)
    store.close()

    code, out, _ = _run(capsys, "sources", "-c", str(config), "--reset", "site")
    assert code == 0 and "reset (3 failure(s))" in out
    with sqlite3.connect(tmp_path / "rasad.db") as db:
        streak, saved = db.execute("SELECT error_streak, state FROM feeds").fetchone()
    after = polling.FeedState.from_json(saved)
    assert streak == 0 and after.error_streak == 0
    assert polling.is_due(after, datetime.now(UTC))
    code, _, err = _run(capsys, "sources", "-c", str(config), "--reset", "nosuch")
    assert code == 2 and "no such source" in err


def test_an_unexpected_error_is_one_line_unless_verbose(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import monitor.cli.runs as runs_command

    def broken(raw: object) -> object:
        raise ZeroDivisionError("boom")

    config = _config(tmp_path)
    store = open_store(load_config(str(config)).store_url)
    store.start_run(datetime.now(UTC), ["site"])
    store.close()
    monkeypatch.setattr(runs_command, "run_row", broken)
    code, _, err = _run(capsys, "runs", "-c", str(config))
    assert code == 1
    assert (
        err
        == "rasad: unexpected error: ZeroDivisionError: boom (rerun with --verbose to see where)\n"
    )
    with pytest.raises(ZeroDivisionError):
        main(["runs", "-c", str(config), "--verbose"])

"""Stores that are not perfect: read-only, corrupt, or in a directory nobody may write.

Read-only is proved for real: the tests run as root, whom chmod does not stop, so the command
runs in a subprocess that first gives up the capabilities that let root ignore file modes
(CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH) over a chmod'ed directory and file; that root is then
refused writes like anyone else (a probe test checks it). As a normal user the chmod alone
does it. Corruption is real too: bytes of a
store file overwritten in the middle, where the articles' pages are.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.errors import StoreError
from monitor.schedule.locks import fallback_lock_path, pid_lock
from store import open_store
from store.base import StoredArticle
from store.sqlite import SQLiteStore, migrations
from store.sqlite.connection import StoreCorrupt

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2
REPO = Path(__file__).resolve().parent.parent


def _article(i: int) -> StoredArticle:
    url = f"http://127.0.0.1/a/{i}"
    text = " ".join(f"كلمة{i}x{j} بوتين كيم جونغ أون موسكو بيونغ يانغ" for j in range(60))
    return StoredArticle(
        url=url,
        canonical_url=url,
        source="site",
        title=f"عنوان رقم {i}",
        text=text,
        status="new",
        fetched=NOW,
    )


def _fill(db: Path, n: int = 40) -> None:
    store = SQLiteStore(db)
    for i in range(n):
        store.add(_article(i))
    store.close()
    # a clean close checkpoints the WAL: everything is in the main file, -wal/-shm are gone
    assert not Path(f"{db}-wal").exists()


def _config(directory: Path, db: Path) -> Path:
    config = directory / "rasad.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{db}"\n\n[[sources]]\nname = "site"\n'
        'feeds = ["http://127.0.0.1:9/rss"]\n',
        encoding="utf-8",
    )
    return config


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ── read-only ────────────────────────────────────────────────────────────────────────────────


@pytest.fixture
def read_only_store() -> Iterator[tuple[Path, Path]]:
    """A filled store in a directory (and a file) no one but root may write."""
    top = Path(tempfile.mkdtemp(prefix="rasad-ro-"))
    top.chmod(0o755)  # mkdtemp is 0700: nobody must be able to reach the store
    data = top / "data"
    data.mkdir()
    db = data / "rasad.db"
    _fill(db)
    config = _config(top, db)
    db.chmod(0o444)
    data.chmod(0o555)
    config.chmod(0o444)
    yield config, db
    data.chmod(0o755)
    shutil.rmtree(top)


def _drop_file_mode_override() -> None:
    """In the child, before exec: root without the capabilities that bypass file modes."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _unprivileged(*argv: str, python: str | None = None) -> subprocess.CompletedProcess[str]:
    """`rasad ARGV` (or `python -c PYTHON`) as a user who cannot write the store."""
    command = ["-c", python] if python else ["-m", "monitor.cli", *argv]
    return subprocess.run(
        [sys.executable, *command],
        capture_output=True,
        text=True,
        cwd=REPO,
        preexec_fn=_drop_file_mode_override,
        timeout=120,
        check=False,
    )


def test_the_unprivileged_user_really_cannot_write_there(
    read_only_store: tuple[Path, Path],
) -> None:
    _, db = read_only_store
    for target in (db.parent / "new-file", db):
        probe = _unprivileged(python=f"open({str(target)!r}, 'a')")
        assert probe.returncode != 0 and "PermissionError" in probe.stderr, target


def test_a_read_only_store_can_be_exported_searched_and_listed(
    read_only_store: tuple[Path, Path],
) -> None:
    config, db = read_only_store
    before = db.read_bytes()
    export = _unprivileged("export", "-c", str(config))
    assert export.returncode == 0, export.stderr
    rows = [json.loads(line) for line in export.stdout.splitlines()]
    assert len(rows) == 40 and rows[0]["title"].startswith("عنوان رقم")
    assert export.stderr == ""

    search = _unprivileged("search", "بوتين", "--format", "json", "-c", str(config))
    assert search.returncode == 0, search.stderr
    assert len(json.loads(search.stdout)) == 20  # the default --limit

    for command in ("runs", "sources"):
        done = _unprivileged(command, "-c", str(config))
        assert done.returncode == 0, (command, done.stderr)
        assert "Traceback" not in done.stderr
    assert db.read_bytes() == before
    assert sorted(p.name for p in db.parent.iterdir()) == ["rasad.db"]


def test_a_read_only_store_can_be_served(read_only_store: tuple[Path, Path]) -> None:
    config, db = read_only_store
    served = _unprivileged(
        python=(
            "from starlette.testclient import TestClient\n"
            "from monitor.config.loader import load_config\n"
            "from monitor.web import create_app\n"
            f"client = TestClient(create_app(load_config({str(config)!r})))\n"
            "page = client.get('/?format=json')\n"
            "print(page.status_code, len(page.json()))\n"
        )
    )
    assert served.returncode == 0, served.stderr[-2000:]
    status, count = served.stdout.split()
    assert status == "200" and int(count) > 0
    assert sorted(p.name for p in db.parent.iterdir()) == ["rasad.db"]


def test_without_a_shm_file_a_read_only_directory_is_read_immutable(
    read_only_store: tuple[Path, Path],
) -> None:
    _, db = read_only_store
    probe = _unprivileged(
        python=(
            "from store.sqlite import SQLiteStore\n"
            f"s = SQLiteStore({str(db)!r}, read_only=True)\n"
            "print(s.read_mode, len(list(s.articles())))\n"
        )
    )
    assert probe.stdout.split() == ["immutable", "40"], probe.stderr[-2000:]


def test_crawl_on_a_read_only_store_is_one_line(read_only_store: tuple[Path, Path]) -> None:
    config, db = read_only_store
    done = _unprivileged("crawl", "-c", str(config))
    assert done.returncode == 2
    assert done.stdout == "" and done.stderr.count("\n") == 1, done.stderr
    assert "read-only" in done.stderr and str(db) in done.stderr
    # the lock could not live beside the store: it went to the temporary directory
    fallback = fallback_lock_path(db.with_suffix(".lock"))
    assert fallback.exists()
    fallback.unlink()


def test_mode_ro_never_writes_nor_migrates(tmp_path: Path) -> None:
    db = tmp_path / "rasad.db"
    _fill(db, 3)
    before = db.read_bytes()
    store = open_store(f"sqlite:///{db}", read_only=True)
    assert [a.url for a in store.articles()][:1] == ["http://127.0.0.1/a/0"]
    with pytest.raises(sqlite3.OperationalError, match=r"readonly|read-only"):
        store.add(_article(99))
    store.close()
    assert db.read_bytes() == before


def test_a_read_only_reader_sees_what_a_writer_commits_later(tmp_path: Path) -> None:
    db = tmp_path / "rasad.db"
    _fill(db, 2)
    reader = open_store(f"sqlite:///{db}", read_only=True)
    writer = SQLiteStore(db)
    writer.add(_article(7))
    assert len(list(reader.articles())) == 3  # mode=ro, not immutable: a served archive is live
    writer.close()
    reader.close()


def test_an_older_schema_read_only_says_to_run_a_writing_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "old.db"
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:-1])
    SQLiteStore(db).close()
    monkeypatch.undo()
    # writable: a reading command upgrades it on the way
    open_store(f"sqlite:///{db}", read_only=True).close()
    assert SQLiteStore(db).schema_version == len(migrations.MIGRATIONS)

    older = tmp_path / "older.db"
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:-1])
    SQLiteStore(older).close()
    monkeypatch.undo()
    monkeypatch.setattr(os, "access", lambda *_: False)  # as if the file were not writable
    with pytest.raises(StoreError, match=r"has schema \d+ and this rasad needs \d+.*rasad crawl"):
        open_store(f"sqlite:///{older}", read_only=True)


# ── corrupt ──────────────────────────────────────────────────────────────────────────────────


def _damage(db: Path, kind: str = "leaf") -> None:
    """Overwrite, in the middle of the file, a few `kind` pages (b-tree leaves, or overflow
    pages holding long texts) of the articles table."""
    with sqlite3.connect(db) as reader:
        pages = [
            row[0]
            for row in reader.execute(
                "SELECT pageno FROM dbstat WHERE name = 'articles' AND pagetype = ?"
                " ORDER BY pageno",
                (kind,),
            )
        ]
    reader.close()
    size = 4096
    data = bytearray(db.read_bytes())
    assert len(pages) > 3 and len(data) > 100 * size
    for page in pages[len(pages) // 2 : len(pages) // 2 + 3]:
        start = (page - 1) * size
        data[start : start + size] = b"\xde\xad\xbe\xef" * (size // 4)
    db.write_bytes(bytes(data))


@pytest.fixture(params=["leaf", "overflow"])
def corrupt_store(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Path, Path]:
    db = tmp_path / "rasad.db"
    _fill(db, 150)
    _damage(db, request.param)
    return _config(tmp_path, db), db


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (("crawl",), 2),
        (("rescore",), 2),
        (("export", "--all"), 1),
        (("search", "بوتين", "--status", "all", "--limit", "500"), 1),
    ],
)
def test_a_corrupt_store_is_one_line_for_every_command(
    corrupt_store: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    argv: tuple[str, ...],
    code: int,
) -> None:
    config, db = corrupt_store
    got, _, err = _run(capsys, *argv, "-c", str(config))
    assert got == code, err
    assert err.count("\n") == 1, err
    assert f"{db} is damaged" in err or f"{db}: it is damaged" in err
    assert ".recover" in err and "backup" in err
    assert "Traceback" not in err and "\ufffd" not in err


@pytest.mark.parametrize(
    "argv", [("crawl",), ("rescore",), ("export",), ("search", "كيم"), ("runs",), ("sources",)]
)
def test_a_file_that_is_not_a_database_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    db = tmp_path / "rasad.db"
    db.write_bytes(b"garbage " * 4096)
    code, out, err = _run(capsys, *argv, "-c", str(_config(tmp_path, db)))
    assert code == 2 and out == "", out
    assert err.count("\n") == 1 and "damaged (file is not a database)" in err, err
    assert ".recover" in err
    assert db.read_bytes() == b"garbage " * 4096


def test_corruption_found_by_a_query_is_store_corrupt(tmp_path: Path) -> None:
    db = tmp_path / "rasad.db"
    _fill(db, 150)
    _damage(db)
    store = open_store(f"sqlite:///{db}", read_only=True)  # the cheap check passes
    with pytest.raises(StoreCorrupt) as caught:
        for _ in store.articles(statuses=("new", "duplicate", "off_topic")):
            pass
    assert isinstance(caught.value, sqlite3.DatabaseError)  # still SQLite's kind of error
    assert not caught.value.at_open and "sqlite3" in str(caught.value)
    store.close()


# ── locks ────────────────────────────────────────────────────────────────────────────────────


def test_an_existing_lock_file_in_an_unwritable_place_still_excludes(tmp_path: Path) -> None:
    lock = tmp_path / "rasad.lock"
    lock.write_text("")
    code = (
        "from pathlib import Path; from monitor.schedule.locks import pid_lock\n"
        f"with pid_lock(Path({str(lock)!r}), 'held'):\n    print('got it')\n"
    )
    with pid_lock(lock, "held"):
        taken = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=False
        )
    assert taken.returncode != 0 and "LockHeld" in taken.stderr

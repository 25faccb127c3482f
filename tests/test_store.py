"""What only the SQLite store has: its schema and migrations, WAL, constraints, the write
lock around the atomic add, and what a killed run leaves. What every store must do is in
test_store_contract.py."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.judge.seeds import load_seeds
from monitor.models import FeedEntry
from store.base import FeedPoll, StoredArticle
from store.sqlite import SQLiteStore

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "rasad.db")
    yield s
    s.close()


def article(url: str, status: str = "new", text: str = "نص المقال", **kw: object) -> StoredArticle:
    return StoredArticle(
        url=url,
        canonical_url=url,
        source="sky",
        title="عنوان",
        text=text,
        status=status,  # type: ignore[arg-type]
        fetched=kw.pop("fetched", NOW),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def poll(entries: int = 0, ok: bool = True) -> FeedPoll:
    return FeedPoll(
        source="sky",
        feed_url="http://127.0.0.1/rss",
        polled=NOW,
        ok=ok,
        http_status=200 if ok else 500,
        entries=entries,
        error=None if ok else "HTTP 500",
    )


def test_schema_is_created_once_and_wal(tmp_path: Path) -> None:
    first = SQLiteStore(tmp_path / "a.db")
    version = first.schema_version
    first.close()
    again = SQLiteStore(tmp_path / "a.db")
    assert again.schema_version == version >= 1
    mode = again._db.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    again.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    SQLiteStore(tmp_path / "a.db").close()
    db = sqlite3.connect(tmp_path / "a.db")
    db.execute("INSERT INTO schema_migrations VALUES (99, 'future', 'x')")
    db.commit()
    db.close()
    with pytest.raises(Exception, match="newer rasad"):
        SQLiteStore(tmp_path / "a.db")


def test_a_directory_is_not_a_store(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="cannot open the store"):
        SQLiteStore(tmp_path)


def test_constraints_hold_whatever_the_code_does(store: SQLiteStore) -> None:
    store.add(article("http://127.0.0.1/a/1"))
    with pytest.raises(sqlite3.IntegrityError):  # one row per canonical URL
        store._db.execute(
            "INSERT INTO articles (url, canonical_url, source, title, fetched, text,"
            " text_hash, status) VALUES ('u', 'http://127.0.0.1/a/1', 's', 't', 'f',"
            " 'x', 'h', 'new')"
        )
    with pytest.raises(sqlite3.IntegrityError):  # a status the program does not know
        store._db.execute(
            "INSERT INTO articles (url, canonical_url, source, title, fetched, text,"
            " text_hash, status) VALUES ('u', 'v', 's', 't', 'f', 'x', 'h', 'maybe')"
        )
    with pytest.raises(sqlite3.IntegrityError):
        store._db.execute(
            "INSERT INTO entries (canonical_url, url, source, feed_url, first_seen, state)"
            " VALUES ('w', 'w', 's', '', 'f', 'lost')"
        )


def test_the_duplicate_lookup_and_the_write_are_one_immediate_transaction(
    store: SQLiteStore,
) -> None:
    """The write lock is taken before the lookup and held until the article is committed:
    what keeps two processes from both storing copies of one story as new."""
    seed = load_seeds()[0]
    store.load_seeds([seed])
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)
    outcome = store.add_unless_duplicate(
        article("http://127.0.0.1/a/1", text=seed.text),
        declared_original="http://127.0.0.1/a/0",
    )
    store._db.set_trace_callback(None)
    assert outcome.duplicate_of == seed.ref
    assert statements[0] == "BEGIN IMMEDIATE" and statements[-1] == "COMMIT"
    assert not any(s in ("COMMIT", "ROLLBACK") or s.startswith("BEGIN") for s in statements[1:-1])
    lookups = [i for i, s in enumerate(statements) if "FROM dedup_fingerprints" in s]
    write = next(i for i, s in enumerate(statements) if s.startswith("INSERT INTO articles"))
    declared = next(i for i, s in enumerate(statements) if "'http://127.0.0.1/a/0'" in s)
    assert 0 < declared < lookups[0] < write


def test_a_writer_waits_for_another_process_holding_the_write_lock(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "rasad.db")
    other = sqlite3.connect(tmp_path / "rasad.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    store._db.execute("PRAGMA busy_timeout = 50")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        store.add_unless_duplicate(article("http://127.0.0.1/a/1"))
    other.execute("ROLLBACK")
    assert store.add_unless_duplicate(article("http://127.0.0.1/a/1")).written == "added"
    other.close()
    store.close()


KILLER = """
import os, sys
from datetime import UTC, datetime
from store.base import StoredArticle
from store.sqlite import SQLiteStore
s = SQLiteStore(sys.argv[1])
now = datetime.now(UTC)
for i in range(10**6):
    s.add(StoredArticle(url=f"http://x/{i}", canonical_url=f"http://x/{i}", source="s",
                        title="t", text="نص " * 200, status="new", fetched=now))
    if i == 300:
        print("ready", flush=True)
"""


def _kill_when_ready(script: str, db: Path) -> None:
    """Run `script` on the store file `db` and SIGKILL it once it prints "ready"."""
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(db)],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"ready"
    proc.kill()
    proc.wait()
    proc.stdout.close()


def test_a_run_killed_mid_write_leaves_a_consistent_store(tmp_path: Path) -> None:
    db = tmp_path / "kill.db"
    _kill_when_ready(KILLER, db)
    store = SQLiteStore(db)
    assert store._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    count = store.counts()["new"]
    assert count >= 301
    # every stored row is whole: text never half-written
    lengths = {len(a.text) for a in store.articles()}
    assert lengths == {len("نص " * 200)}
    # and indexed with it
    indexed = store._db.execute("SELECT count(*) FROM dedup_fingerprints").fetchone()[0]
    assert indexed == count
    store.close()


def test_the_skipped_migration_keeps_the_frontier(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from store.sqlite import migrations

    full = list(migrations.MIGRATIONS)
    monkeypatch.setattr(migrations, "MIGRATIONS", full[:4])  # before "skipped"
    before = SQLiteStore(tmp_path / "old.db")
    entry = FeedEntry(url="http://127.0.0.1/news/a", title="عنوان")
    before.record_poll(poll(1), [entry])
    before.record_failure("sky", entry.url, "http_500", NOW, NOW + timedelta(hours=1))
    before.close()
    monkeypatch.setattr(migrations, "MIGRATIONS", full)
    after = SQLiteStore(tmp_path / "old.db")
    assert after.schema_version == len(full)
    assert after.entry_states([entry.url]) == {entry.url: "failed"}
    assert after.attempts(entry.url) == 1
    assert [p.entry.title for p in after.pending("sky", 5, NOW + timedelta(hours=2))] == ["عنوان"]
    after.record_poll(poll(1), skipped=[FeedEntry(url="http://127.0.0.1/news/b")])
    after.close()


def test_the_dedup_migration_indexes_what_was_stored_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from store.sqlite import migrations

    full = list(migrations.MIGRATIONS)
    monkeypatch.setattr(migrations, "MIGRATIONS", full[:3])  # before "dedup"
    before = SQLiteStore(tmp_path / "old.db")
    seed = load_seeds()[0]
    with before._tx() as db:
        db.execute(
            "INSERT INTO articles (url, canonical_url, source, title, fetched, text, text_hash,"
            " status) VALUES ('http://x/1', 'http://x/1', 's', ?, ?, ?, 'h', 'new')",
            (seed.title, NOW.isoformat(), seed.text),
        )
    before.close()
    monkeypatch.setattr(migrations, "MIGRATIONS", full)
    after = SQLiteStore(tmp_path / "old.db")
    outcome = after.add_unless_duplicate(article("http://y/1", text=seed.text))
    assert (outcome.status, outcome.duplicate_of) == ("duplicate", "http://x/1")
    after.close()


# ── articles committed in groups (Store.grouped: a crawl's single writer) ────────────────────

GROUP_KILLED = """
import sys, time
from datetime import UTC, datetime
from monitor.models import FeedEntry
from store.base import FeedPoll, StoredArticle
from store.sqlite import SQLiteStore

now = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
store = SQLiteStore(sys.argv[1])
urls = [f"http://127.0.0.1/news/{k}" for k in range(6)]
store.record_poll(
    FeedPoll("sky", "http://127.0.0.1/rss", now, True, 200, 6, None),
    [FeedEntry(url=u, title="عنوان") for u in urls],
)
def text(k):
    return " ".join(f"كلمة{k}{n}" for n in range(40))
with store.grouped(max_steps=1000, max_seconds=3600):
    for k, url in enumerate(urls[:3]):
        store.add_unless_duplicate(StoredArticle(
            url=url, canonical_url=url, source="sky", title=f"عنوان {k}", text=text(k),
            status="new", fetched=now))
    store.flush()
    time.sleep(0.1)  # past the spell of single transactions after a commit
    for k, url in enumerate(urls[3:], start=3):
        store.add_unless_duplicate(StoredArticle(
            url=url, canonical_url=url, source="sky", title=f"عنوان {k}", text=text(k),
            status="new", fetched=now))
    print("ready", flush=True)
    time.sleep(60)
"""


def test_a_group_killed_before_its_commit_leaves_its_pages_pending(tmp_path: Path) -> None:
    db = tmp_path / "group.db"
    _kill_when_ready(GROUP_KILLED, db)  # the group of three open
    store = SQLiteStore(db)
    assert store._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    urls = [f"http://127.0.0.1/news/{k}" for k in range(6)]
    # the flushed three are stored and done; the three after them are gone whole, their
    # entries still pending (with no attempt counted), so the next run fetches them
    assert {a.url for a in store.articles()} == set(urls[:3])
    states = store.entry_states(urls)
    assert [states[u] for u in urls] == ["done"] * 3 + ["pending"] * 3
    assert store._db.execute("SELECT count(*) FROM dedup_fingerprints").fetchone()[0] == 3
    store.close()


def _reader(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def _visible(reader: sqlite3.Connection) -> int:
    return int(reader.execute("SELECT count(*) FROM articles").fetchone()[0])


def _body(k: int) -> str:
    return " ".join(f"كلمة{k}{n}" for n in range(40))


def test_a_group_commits_at_its_size_its_age_and_any_other_write(
    store: SQLiteStore, tmp_path: Path
) -> None:
    reader = _reader(tmp_path / "rasad.db")
    # timings with room to spare: a slow CI machine must not make a group due early
    with store.grouped(max_steps=3, max_seconds=2.0):
        for k in range(2):
            store.add_unless_duplicate(article(f"http://127.0.0.1/a{k}", text=_body(k)))
        assert _visible(reader) == 0  # two of three: waiting
        store.add_unless_duplicate(article("http://127.0.0.1/a2", text=_body(2)))
        assert _visible(reader) == 3  # the third commits the group
        time.sleep(0.08)  # past the spell of single transactions after a commit (0.05 s)
        store.add_unless_duplicate(article("http://127.0.0.1/a3", text=_body(3)))
        store.flush(due_only=True)
        assert _visible(reader) == 3  # not due yet
        time.sleep(2.05)
        store.flush(due_only=True)
        assert _visible(reader) == 4  # waited max_seconds: committed by the timer's call
        store.add_unless_duplicate(article("http://127.0.0.1/a4", text=_body(4)))
        store.set_state("k", "v")  # any other write commits with the articles before it
        assert _visible(reader) == 5
        assert reader.execute("SELECT value FROM state WHERE key = 'k'").fetchone() == ("v",)
        time.sleep(0.08)
        store.add_unless_duplicate(article("http://127.0.0.1/a5", text=_body(5)))
        assert _visible(reader) == 5
    assert _visible(reader) == 6  # and the end of the group commits the rest
    reader.close()


def test_after_commit_waits_for_the_commit_and_a_rolled_back_group_never_runs_it(
    store: SQLiteStore, tmp_path: Path
) -> None:
    ran: list[str] = []
    store.after_commit(lambda: ran.append("at once"))  # no group: nothing waits
    assert ran == ["at once"]
    with store.grouped(max_steps=10, max_seconds=60):
        store.add_unless_duplicate(article("http://127.0.0.1/a0", text=_body(0)))
        store.after_commit(lambda: ran.append("a0"))
        assert ran == ["at once"]
        store.flush()
        assert ran == ["at once", "a0"]
    with pytest.raises(RuntimeError, match="stop"), store.grouped(max_steps=10, max_seconds=60):
        store.add_unless_duplicate(article("http://127.0.0.1/a1", text=_body(1)))
        store.after_commit(lambda: ran.append("a1"))
        raise RuntimeError("stop")
    assert ran == ["at once", "a0"]
    assert {a.url for a in store.articles()} == {"http://127.0.0.1/a0"}


def test_a_failed_step_undoes_itself_only(
    store: SQLiteStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from store.sqlite import archive

    real = archive.dedup_index.add

    def add(db: sqlite3.Connection, doc: str, fp: object) -> None:
        real(db, doc, fp)  # type: ignore[arg-type]
        if doc.endswith("/bad"):  # after the article row was written: it must go too
            raise sqlite3.IntegrityError("a bad article")

    monkeypatch.setattr(archive.dedup_index, "add", add)
    with store.grouped(max_steps=10, max_seconds=60):
        store.add_unless_duplicate(article("http://127.0.0.1/a0", text=_body(0)))
        with pytest.raises(sqlite3.IntegrityError):
            store.add_unless_duplicate(article("http://127.0.0.1/bad", text=_body(1)))
        store.add_unless_duplicate(article("http://127.0.0.1/a2", text=_body(2)))
    assert {a.url for a in store.articles()} == {"http://127.0.0.1/a0", "http://127.0.0.1/a2"}
    count = store._db.execute("SELECT count(*) FROM dedup_fingerprints").fetchone()[0]
    assert count == 2


def test_after_each_commit_other_writers_get_a_turn(
    store: SQLiteStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Right after a group commits, articles are single transactions for max_seconds / 4
    (at most _TURN_SECONDS), so another process waiting for the write lock gets it between
    two of them."""
    from store.sqlite import groups

    monkeypatch.setattr(groups, "_TURN_SECONDS", 1.0)  # room to spare on a slow machine
    reader = _reader(tmp_path / "rasad.db")
    with store.grouped(max_steps=2, max_seconds=4.0):
        for k in range(2):
            store.add_unless_duplicate(article(f"http://127.0.0.1/a{k}", text=_body(k)))
        store.add_unless_duplicate(article("http://127.0.0.1/a2", text=_body(2)))
        assert _visible(reader) == 3  # committed on its own: no group open
        reader.execute("BEGIN IMMEDIATE")  # another writer takes the lock, and gives it back
        reader.execute("ROLLBACK")
        time.sleep(1.05)
        store.add_unless_duplicate(article("http://127.0.0.1/a3", text=_body(3)))
        assert _visible(reader) == 3  # a group again
    assert _visible(reader) == 4
    reader.close()


def test_a_group_sqlite_rolled_back_is_dropped_not_committed(store: SQLiteStore) -> None:
    ran: list[str] = []
    with store.grouped(max_steps=10, max_seconds=60):
        store.add_unless_duplicate(article("http://127.0.0.1/a0", text=_body(0)))
        store.after_commit(lambda: ran.append("a0"))
        store._db.execute("ROLLBACK")  # as SQLite does on a full disk or an I/O error
        store.flush()  # nothing to commit, and no error
        store.add_unless_duplicate(article("http://127.0.0.1/a1", text=_body(1)))
        store.after_commit(lambda: ran.append("a1"))
    assert ran == ["a1"]  # a0 was never committed, so never counted
    assert {a.url for a in store.articles()} == {"http://127.0.0.1/a1"}

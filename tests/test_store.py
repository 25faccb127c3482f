"""The SQLite store: schema, constraints, the frontier, and what a killed run leaves."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.judge.seeds import load_seeds
from monitor.models import FeedEntry
from store.base import FeedPoll, StoredArticle
from store.sqlite import SQLiteStore

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
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
        status=status,
        fetched=kw.pop("fetched", NOW),
        **kw,
    )  # type: ignore[arg-type]


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


def test_seeds_load_once(store: SQLiteStore) -> None:
    seeds = load_seeds()
    assert len(seeds) == 5
    assert store.load_seeds(seeds) == 5
    assert store.load_seeds(seeds) == 0
    stored = store.seeds()
    assert [s.id for s in stored] == sorted(s.id for s in seeds)
    assert all("كوري" in s.text for s in stored)


def test_frontier_returns_only_unstored_entries(store: SQLiteStore) -> None:
    entries = [FeedEntry(url=f"http://127.0.0.1/a/{i}", title=f"خبر {i}") for i in range(3)]
    outcome = store.record_poll(poll(3), entries)
    assert outcome.to_fetch == entries and outcome.new_entries == 3
    store.add(article("http://127.0.0.1/a/0"))
    assert store.seen("http://127.0.0.1/a/0")
    assert store.seen("HTTP://127.0.0.1/a/0#comments")  # canonical form
    assert not store.seen("http://127.0.0.1/a/1")
    again = store.record_poll(poll(3), entries)
    assert [e.url for e in again.to_fetch] == [e.url for e in entries[1:]]
    assert again.new_entries == 0
    pending = store.pending("sky", max_attempts=5)
    assert [p.entry.url for p in pending] == [e.url for e in entries[1:]]
    health = store.feed_health()[0]
    assert health.items_seen == 3 and health.error_streak == 0


def test_failures_count_attempts_and_stop_at_the_limit(store: SQLiteStore) -> None:
    entry = FeedEntry(url="http://127.0.0.1/a/9")
    store.record_poll(poll(1), [entry])
    for expected in (1, 2, 3):
        assert store.record_failure("sky", entry.url, "http_500", NOW) == expected
    assert store.pending("sky", max_attempts=5)[0].attempts == 3
    assert store.pending("sky", max_attempts=3) == []
    assert store.record_poll(poll(1), [entry], max_attempts=3).to_fetch == []


def test_feed_failures_build_an_error_streak(store: SQLiteStore) -> None:
    store.record_poll(poll(ok=False))
    store.record_poll(poll(ok=False))
    health = store.feed_health()[0]
    assert health.error_streak == 2 and health.last_error == "HTTP 500"
    assert health.last_success is None
    store.record_poll(poll())
    assert store.feed_health()[0].error_streak == 0


def test_unique_canonical_url_and_update_in_place(store: SQLiteStore) -> None:
    assert store.add(article("http://127.0.0.1/a/1", status="off_topic", text="قديم")) == "added"
    assert store.add(article("http://127.0.0.1/a/1", status="new", text="جديد")) == "updated"
    stored = store.get("http://127.0.0.1/a/1")
    assert stored is not None
    assert stored.text == "جديد" and stored.status == "off_topic"  # status kept
    with pytest.raises(sqlite3.IntegrityError):
        store._db.execute(
            "INSERT INTO articles (url, canonical_url, source, title, fetched, text,"
            " text_hash, status) VALUES ('u', 'http://127.0.0.1/a/1', 's', 't', 'f',"
            " 'x', 'h', 'new')"
        )
    with pytest.raises(sqlite3.IntegrityError):
        store._db.execute(
            "INSERT INTO articles (url, canonical_url, source, title, fetched, text,"
            " text_hash, status) VALUES ('u', 'v', 's', 't', 'f', 'x', 'h', 'maybe')"
        )


def test_articles_filter_by_status_and_since(store: SQLiteStore) -> None:
    store.add(article("http://127.0.0.1/1", fetched=NOW - timedelta(days=3)))
    store.add(article("http://127.0.0.1/2", status="off_topic"))
    store.add(article("http://127.0.0.1/3"))
    assert [a.url for a in store.articles()] == ["http://127.0.0.1/1", "http://127.0.0.1/3"]
    assert len(list(store.articles(statuses=("new", "duplicate", "off_topic")))) == 3
    assert [a.url for a in store.articles(since=NOW - timedelta(days=1))] == ["http://127.0.0.1/3"]
    assert store.counts()["new"] == 2


def test_interrupted_runs_are_marked(store: SQLiteStore) -> None:
    first = store.start_run(NOW, ["sky"])
    second = store.start_run(NOW, ["sky"])
    states = {r["id"]: r["state"] for r in store.runs()}
    assert states[first] == "interrupted" and states[second] == "running"
    store.finish_run(second, NOW, "ok", {"ok": True})
    assert store.runs()[0]["state"] == "ok"


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


def test_a_run_killed_mid_write_leaves_a_consistent_store(tmp_path: Path) -> None:
    db = tmp_path / "kill.db"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLER, str(db)],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"ready"
    proc.kill()
    proc.wait()
    proc.stdout.close()
    store = SQLiteStore(db)
    assert store._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    count = store.counts()["new"]
    assert count >= 301
    # every stored row is whole: text never half-written
    lengths = {len(a.text) for a in store.articles()}
    assert lengths == {len("نص " * 200)}
    store.close()


def test_state_values_persist(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    assert store.get_state("schedule") is None
    store.set_state("schedule", '{"bbc": 1}')
    store.set_state("schedule", '{"bbc": 2}')
    store.close()
    again = SQLiteStore(tmp_path / "s.db")
    assert again.get_state("schedule") == '{"bbc": 2}'
    again.close()


def test_skipped_entries_are_remembered_never_fetched_and_admitted_on_request(
    store: SQLiteStore,
) -> None:
    old = FeedEntry(url="http://127.0.0.1/news/old")
    new = FeedEntry(url="http://127.0.0.1/news/new")
    outcome = store.record_poll(poll(2), [new], skipped=[old])
    assert outcome.to_fetch == [new] and outcome.new_entries == 1  # skipped: not new
    assert store.entry_states([old.url, new.url, "http://127.0.0.1/never"]) == {
        old.url: "skipped",
        new.url: "pending",
    }
    assert [p.entry.url for p in store.pending("sky", 5)] == [new.url]
    assert store.counts()["pending"] == 1
    # skipped again: nothing changes; a stored or pending entry is never demoted
    assert store.record_poll(poll(2), skipped=[old, new]).to_fetch == []
    assert store.entry_states([new.url]) == {new.url: "pending"}
    # listed for fetching (a feed has it, or a wider sitemap window): admitted
    assert store.record_poll(poll(1), [old]).to_fetch == [old]
    assert store.entry_states([old.url]) == {old.url: "pending"}


def test_the_skipped_migration_keeps_the_frontier(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import store.sqlite as sqlite_store

    full = list(sqlite_store.MIGRATIONS)
    monkeypatch.setattr(sqlite_store, "MIGRATIONS", full[:4])  # before "skipped"
    before = SQLiteStore(tmp_path / "old.db")
    entry = FeedEntry(url="http://127.0.0.1/news/a", title="عنوان")
    before.record_poll(poll(1), [entry])
    before.record_failure("sky", entry.url, "http_500", NOW, NOW + timedelta(hours=1))
    before.close()
    monkeypatch.setattr(sqlite_store, "MIGRATIONS", full)
    after = SQLiteStore(tmp_path / "old.db")
    assert after.schema_version == len(full)
    assert after.entry_states([entry.url]) == {entry.url: "failed"}
    assert after.attempts(entry.url) == 1
    assert [p.entry.title for p in after.pending("sky", 5, NOW + timedelta(hours=2))] == ["عنوان"]
    after.record_poll(poll(1), skipped=[FeedEntry(url="http://127.0.0.1/news/b")])
    after.close()

"""What only the PostgreSQL store has: its server, its schema check at open, read-only sessions,
and the advisory locks that keep two workers from both storing one story as new.

The Store contract itself runs on PostgreSQL in tests/test_store_contract.py (BACKENDS); these
tests start the same throwaway server (tests/pg_server.py) and skip when it cannot be started.
"""

from __future__ import annotations

import multiprocessing
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pg_server import empty_database, postgresql_url, server

from monitor.errors import StoreError, StoreMissing
from monitor.judge.dedup import fingerprint
from store import open_store
from store.base import StoredArticle
from store.protocols import Store

ROUNDS = 20


@pytest.fixture
def url() -> str:
    return postgresql_url()


@pytest.fixture
def store(url: str) -> Iterator[Store]:
    s = open_store(url)
    yield s
    s.close()


def story(i: int, name: str, words: list[str]) -> StoredArticle:
    link = f"http://{name}.example/{i}"
    return StoredArticle(
        url=link,
        canonical_url=link,
        source=name,
        title=f"الخبر {i}",
        text=" ".join(words),
        status="new",
        fetched=datetime.now(UTC),
    )


def _copies(rounds: int) -> list[tuple[list[str], list[str]]]:
    """Per round, one story in two versions: verbatim, or trimmed and lightly edited."""
    rng = random.Random(15)
    letters = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
    vocabulary = ["".join(rng.choices(letters, k=rng.randint(3, 7))) for _ in range(3000)]
    pairs = []
    for i in range(rounds):
        words = rng.choices(vocabulary, k=150)
        copy = words[:120] if i % 2 else list(words)
        if i % 2:
            copy[10] = copy[60] = "أيضا"
        pairs.append((words, copy))
    return pairs


def _racer(url: str, name: str, side: int, locks: bool, barrier: Any, out: Any) -> None:
    """One worker: each round, wait at the barrier with the copy ready, then store it."""
    from store.postgres import archive

    archive.LOCKS = locks
    store = open_store(url)
    outcomes = []
    for i, pair in enumerate(_copies(ROUNDS)):
        article = story(i, name, pair[side])
        fp = fingerprint(article.title, article.text)
        barrier.wait(timeout=60)  # both have their copy ready: go at the same instant
        outcomes.append(store.add_unless_duplicate(article, fp).status)
    store.close()
    out.put((name, outcomes))


def race(url: str, *, locks: bool) -> list[tuple[str, str]]:
    """ROUNDS rounds of two OS processes storing copies of one story at once: their outcomes."""
    context = multiprocessing.get_context("fork")
    barrier, out = context.Barrier(2), context.Queue()
    workers = [
        context.Process(target=_racer, args=(url, name, side, locks, barrier, out))
        for side, name in enumerate(("one", "two"))
    ]
    for worker in workers:
        worker.start()
    try:
        results = dict(out.get(timeout=120) for _ in workers)
    finally:
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.kill()
    return list(zip(results["one"], results["two"], strict=True))


def test_racing_copies_store_one_new_and_one_duplicate(url: str) -> None:
    rounds = race(url, locks=True)
    assert [sorted(r) for r in rounds] == [["duplicate", "new"]] * ROUNDS
    store = open_store(url)
    try:
        assert store.counts()["new"] == store.counts()["duplicate"] == ROUNDS
    finally:
        store.close()


def test_without_the_advisory_locks_the_race_stores_both_as_new(
    url: str, summary_lines: dict[str, list[str]]
) -> None:
    """The race is real: READ COMMITTED alone lets both lookups miss the other's copy, so the
    test above can fail (the figure is printed at the end of the run)."""
    rounds = race(url, locks=False)
    both_new = sum(r == ("new", "new") for r in rounds)
    summary_lines.setdefault("PostgreSQL race", []).append(
        f"without advisory locks: {both_new} of {ROUNDS} rounds stored both copies as new"
    )
    assert both_new >= ROUNDS // 4, rounds


# -- opening --------------------------------------------------------------------------------


def test_a_database_without_the_schema_is_not_created_for_reading() -> None:
    url = empty_database()
    with pytest.raises(StoreMissing, match="no rasad store in postgresql://") as caught:
        open_store(url, create=False)
    assert "\n" not in str(caught.value)
    with pytest.raises(StoreMissing):
        open_store(url, read_only=True)
    open_store(url).close()  # created
    open_store(url, create=False).close()


def test_a_server_that_is_down_is_one_line_without_the_password() -> None:
    pg = server()
    url = f"postgresql://rasad:s3cret@127.0.0.1:{pg.port + 1}/rasad"  # nobody listens there
    with pytest.raises(StoreError, match="cannot connect to the store at") as caught:
        open_store(url)
    message = str(caught.value)
    assert "\n" not in message and "s3cret" not in message and caught.value.at_open
    with pytest.raises(StoreError, match="cannot connect"):
        open_store(pg.url("no_such_database"))


def test_a_read_only_session_reads_and_refuses_to_write(store: Store, url: str) -> None:
    store.set_state("k", "v")
    reader = open_store(url, read_only=True)
    try:
        assert reader.get_state("k") == "v"
        with pytest.raises(Exception, match="read-only transaction"):
            reader.set_state("k", "w")
    finally:
        reader.close()


def test_migrations_run_once_even_when_two_processes_open_a_new_database() -> None:
    url = empty_database()
    context = multiprocessing.get_context("fork")
    openers = [context.Process(target=_open_and_close, args=(url,)) for _ in range(3)]
    for p in openers:
        p.start()
    for p in openers:
        p.join(timeout=60)
    assert [p.exitcode for p in openers] == [0, 0, 0]
    store = open_store(url)
    try:
        assert store.schema_version == 1  # type: ignore[attr-defined]
    finally:
        store.close()


def _open_and_close(url: str) -> None:
    open_store(url).close()


def test_the_search_index_holds_rasads_terms_not_postgresqls(store: Store) -> None:
    """Words the server's parser would split or drop (a C locale knows no Arabic letters;
    'simple' lower-cases) reach the index as rasad's normaliser left them."""
    from monitor.deliver.search import parse

    store.add(story(1, "one", ["الرئيس", "بوتين", "O'Brien", "a\\b", "x" * 900]))
    for q in ("بوتين", "لبوتين", "O'Brien", "x" * 900):
        assert [h.article.url for h in store.search(parse(q))] == ["http://one.example/1"], q


def _until_released(url: str, run_id: int) -> None:
    """Wait for the server to end a closed session's backend (and so release its locks)."""
    import time

    import psycopg

    from store.postgres.runs import RUN_LOCKS

    with psycopg.connect(url, autocommit=True) as db:
        for _ in range(100):
            held = db.execute(
                "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = %s"
                " AND objid = %s AND objsubid = 2",
                (RUN_LOCKS, run_id),
            ).fetchone()
            if held is None:
                return
            time.sleep(0.05)


def test_a_run_on_another_machine_is_not_taken_for_an_interrupted_one(url: str) -> None:
    """Crawls on several machines share the store: starting a run interrupts only the runs
    whose process is gone (its session's lock released), not one still going elsewhere."""
    start = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    live, killed, fresh = open_store(url), open_store(url), open_store(url)
    try:
        going = live.start_run(start, ["sky"])
        dead = killed.start_run(start, ["bbc"])
        killed.close()  # its process died: the server drops its lock
        _until_released(url, dead)
        fresh.start_run(start, ["cnn"])
        states = {run["id"]: run["state"] for run in fresh.runs()}
        assert states[going] == "running" and states[dead] == "interrupted"
        live.finish_run(going, start, "ok", {})
        assert {run["id"]: run["state"] for run in fresh.runs()}[going] == "ok"
    finally:
        live.close()
        fresh.close()


# -- rasad migrate ----------------------------------------------------------------------------


def _migrate(*argv: str) -> int:
    from monitor.cli import main

    return main(["migrate", *argv])


def test_migrate_copies_a_sqlite_store_whole_and_verifies_it(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from monitor.deliver.search import parse
    from monitor.judge.seeds import load_seeds
    from monitor.models import FeedEntry
    from store.base import FeedPoll

    source = f"sqlite:///{tmp_path / 'rasad.db'}"
    old = open_store(source)
    old.load_seeds(load_seeds())
    poll = FeedPoll("sky", "http://sky.example/rss", datetime.now(UTC), True, 200, entries=2)
    old.record_poll(poll, [FeedEntry(url=f"http://sky.example/{i}", title="t") for i in (0, 1)])
    for i, (words, copy) in enumerate(_copies(6)):
        old.add_unless_duplicate(story(i, "one", words))
        old.add_unless_duplicate(story(i, "two", copy))
    run = old.start_run(datetime.now(UTC), ["sky"])
    old.finish_run(run, datetime.now(UTC), "ok", {"new": 6})
    old.begin_digest("a@example.org", "<m1@x>", b"message", ["http://one.example/0"])
    old.cache_robots("sky.example", 200, b"User-agent: *\n", datetime.now(UTC))
    old.close()
    target = postgresql_url()

    assert _migrate("--from", source, "--to", target, "--sample", "20") == 0
    out = capsys.readouterr()
    assert "counts match, 12 sampled articles identical" in out.out and "articles: 12/12" in out.err
    new = open_store(target)
    try:
        assert new.counts() == {"new": 6, "duplicate": 6, "off_topic": 0, "pending": 2}
        assert len(new.seeds()) == 5 and new.runs()[0]["report"] == '{"new": 6}'
        assert [u for u, *_ in new.unfinished_digests()] == ["a@example.org"]
        assert new.cached_robots("sky.example") is not None
        word = _copies(1)[0][0][5]
        assert "http://one.example/0" in [h.article.url for h in new.search(parse(word))]
        # the id counters moved past the copied ids (else: a duplicate primary key)
        assert new.add(story(99, "one", ["كلمة", "جديدة"])) == "added"
        new.start_run(datetime.now(UTC), ["sky"])
    finally:
        new.close()
    # a second migration into the now full store is refused; a missing source too
    assert _migrate("--from", source, "--to", target) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already holds 13 articles" in err
    assert _migrate("--from", f"sqlite:///{tmp_path / 'none.db'}", "--to", target) == 2
    assert "no store at" in capsys.readouterr().err


def test_nul_characters_from_hostile_input_are_dropped_not_fatal(store: Store) -> None:
    from monitor.models import FeedEntry
    from store.base import FeedPoll

    poll = FeedPoll("sky", "http://sky.example/rss", datetime.now(UTC), True, 200, entries=1)
    listed = [FeedEntry(url="http://sky.example/\x00x", title="عنوان\x00", summary="\x00")]
    assert store.record_poll(poll, listed).new_entries == 1
    store.add(story(1, "one", ["نص\x00", "المقال"]))
    got = store.get("http://one.example/1")
    assert got is not None and got.text == "نص المقال"


def test_the_hot_statements_can_all_use_an_index(store: Store, url: str) -> None:
    """What every article's write step and every search runs has an index to run on, so its
    cost does not grow with the archive. (Checked with sequential scans disabled: on a small
    test database the planner rightly prefers them.)"""
    import psycopg

    from monitor.deliver.search import parse
    from store.postgres import dedup_index, search
    from store.postgres.archive import lock_keys

    for i, (words, _) in enumerate(_copies(4)):
        store.add_unless_duplicate(story(i, "one", words))
    fp = fingerprint("عنوان", " ".join(_copies(1)[0][0]))
    window, params = search.ranking_window(
        parse(_copies(1)[0][0][3]),
        rows=2000,
        since=None,
        until=None,
        sources=("one",),
        statuses=("new",),
        subtopic="visit",
        sort="relevance",
    )
    statements: list[tuple[str, tuple[Any, ...]]] = [
        (dedup_index._CANDIDATES, (list(fp.bands), 50)),
        ("SELECT doc FROM dedup_fingerprints WHERE text_hash = %s ORDER BY id LIMIT 1", (b"x",)),
        ("SELECT * FROM articles WHERE canonical_url = %s", ("http://one.example/1",)),
        ("SELECT * FROM articles WHERE story = ANY(%s)", (["http://one.example/1"],)),
        ("SELECT url FROM articles WHERE duplicate_of = %s", ("http://one.example/1",)),
        (window, tuple(params)),
        (
            "SELECT story FROM articles WHERE status = 'new' AND story IS NOT NULL"
            " AND coalesce(published, fetched) BETWEEN now() - interval '3 days' AND now()",
            (),
        ),
    ]
    assert len(lock_keys(story(0, "one", _copies(1)[0][0]), fp)) == len(fp.bands) + 2
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("SET enable_seqscan = off")
        for sql, args in statements:
            plan = "\n".join(r[0] for r in db.execute("EXPLAIN " + sql, args))  # type: ignore[arg-type]
            assert "Seq Scan" not in plan, (sql[:100], plan)

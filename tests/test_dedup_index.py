"""The near-duplicate index on a real SQLite file (store/sqlite/dedup_index.py), and the same
tests on PostgreSQL (store/postgres/dedup_index.py) where they are not about SQLite itself.

The store's way of working is reproduced: autocommit connection, WAL, explicit
``BEGIN IMMEDIATE`` ... ``COMMIT`` around each step, done by the caller (on PostgreSQL: an
autocommit connection and one transaction per step). `dedup_index` below hands each call to
the module of the connection's backend, so each test reads the same on both.
"""

from __future__ import annotations

import random
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import dedup_pairs
import pytest

from monitor.judge import dedup
from monitor.judge.dedup import Fingerprint
from monitor.judge.seeds import Seed, load_seeds
from monitor.text import arabic
from store.sqlite import dedup_index as sqlite_index

#: What a second index of a document already indexed raises, per backend.
INTEGRITY_ERRORS: tuple[type[Exception], ...] = (sqlite3.IntegrityError,)
try:
    import psycopg

    INTEGRITY_ERRORS += (psycopg.errors.UniqueViolation,)
except ImportError:  # the PostgreSQL tests skip
    pass


class _ByConnection:
    """`dedup_index.f(db, ...)`: store.sqlite's or store.postgres's `f`, by `db`'s kind."""

    def __getattr__(self, name: str) -> Any:
        function = getattr(sqlite_index, name)
        if not callable(function):
            return function  # a constant: the same on both (POSTING_CAP)

        def call(db: Any, *args: Any, **kw: Any) -> Any:
            if isinstance(db, sqlite3.Connection):
                return function(db, *args, **kw)
            from store.postgres import dedup_index as postgres_index

            return getattr(postgres_index, name)(db, *args, **kw)

        return call


dedup_index = _ByConnection()


def connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    return db


@contextmanager
def tx(db: Any) -> Iterator[Any]:
    if not isinstance(db, sqlite3.Connection):
        with db.transaction():
            yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _postgresql() -> Any:
    """A connection to a new database holding the store's (empty) schema."""
    from pg_server import postgresql_url

    return psycopg.connect(postgresql_url(), autocommit=True)


def reconnect(db: Any, tmp_path: Path) -> Any:
    """A second connection to the database of `db`."""
    if isinstance(db, sqlite3.Connection):
        return connect(tmp_path / "rasad.db")
    return psycopg.connect(db.info.dsn, autocommit=True)


def another(db: Any, tmp_path: Path, name: str) -> Any:
    """A connection to a new, empty index of the same backend as `db`."""
    if not isinstance(db, sqlite3.Connection):
        return _postgresql()
    other = connect(tmp_path / f"{name}.db")
    with tx(other):
        sqlite_index.create_schema(other)
    return other


@pytest.fixture(params=["postgresql", "sqlite"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "postgresql":
        conn = _postgresql()
    else:
        conn = connect(tmp_path / "rasad.db")
        with tx(conn):
            sqlite_index.create_schema(conn)
    yield conn
    conn.close()


def sqlite_only(db: Any) -> None:
    if not isinstance(db, sqlite3.Connection):
        pytest.skip("about SQLite itself (its query plans, its VM steps)")


@pytest.fixture(scope="module")
def seeds() -> list[Seed]:
    return load_seeds()


def fp_of(seed: Seed) -> Fingerprint:
    return dedup.fingerprint(seed.title, seed.text)


def filler(n: int, seeds: list[Seed]) -> Iterator[tuple[str, Fingerprint]]:
    """``n`` distinct Arabic news-like texts: the seeds' own vocabulary, reshuffled, so they
    share words and common phrases with the seeds without being copies of anything."""
    vocabulary = sorted({w for s in seeds for w in s.text.split() if len(w) > 1})
    rng = random.Random(7)
    for i in range(n):
        words = rng.choices(vocabulary, k=rng.randint(120, 400))
        yield f"https://example.org/news/{i}", dedup.fingerprint("", " ".join(words))


# --------------------------------------------------------------------------------------------
# Schema
# --------------------------------------------------------------------------------------------


def test_schema_is_created_inside_the_callers_transaction(tmp_path: Path) -> None:
    conn = connect(tmp_path / "rasad.db")
    conn.execute("BEGIN IMMEDIATE")
    dedup_index.create_schema(conn)
    dedup_index.create_schema(conn)  # idempotent, like a migration that may run again
    assert conn.in_transaction  # it neither committed nor began anything itself
    conn.execute("ROLLBACK")
    assert _tables(conn) == set()  # so the caller's rollback undoes it
    with tx(conn):
        dedup_index.create_schema(conn)
    assert _tables(conn) == {"dedup_fingerprints", "dedup_bands"}
    ddl = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'dedup_bands'").fetchone()[0]
    assert "WITHOUT ROWID" in ddl and "PRIMARY KEY (key, fp)" in ddl


def _tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {r[0] for r in rows if r[0].startswith("dedup_")}


# --------------------------------------------------------------------------------------------
# add / exact / candidates / find_duplicate / remove
# --------------------------------------------------------------------------------------------


def test_add_exact_candidates_remove(db: Any, seeds: list[Seed]) -> None:
    with tx(db):
        for seed in seeds:
            dedup_index.add(db, seed.ref, fp_of(seed))
    fp = fp_of(seeds[1])
    assert dedup_index.exact(db, fp.text_hash) == "seed:001_b979987839cf76fb"
    assert dedup_index.candidates(db, fp)[0] == seeds[1].ref
    match = dedup_index.find_duplicate(db, fp)
    assert match is not None and match.exact and match.doc == seeds[1].ref
    with tx(db):
        assert dedup_index.remove(db, seeds[1].ref)
        assert not dedup_index.remove(db, seeds[1].ref)
    assert dedup_index.exact(db, fp.text_hash) is None
    assert seeds[1].ref not in dedup_index.candidates(db, fp)
    assert dedup_index.find_duplicate(db, fp) is None
    assert db.execute("SELECT count(*) FROM dedup_bands").fetchone()[0] == 4 * dedup.BANDS


def test_adding_again_reindexes_the_updated_text(db: Any, seeds: list[Seed]) -> None:
    url = "https://example.org/a"
    with tx(db):
        dedup_index.add(db, url, fp_of(seeds[0]))
        dedup_index.add(db, url, fp_of(seeds[2]))  # the article was updated in place
    assert dedup_index.exact(db, fp_of(seeds[0]).text_hash) is None
    assert dedup_index.exact(db, fp_of(seeds[2]).text_hash) == url
    assert db.execute("SELECT count(*) FROM dedup_fingerprints").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM dedup_bands").fetchone()[0] == dedup.BANDS


def test_exact_copies_share_postings_and_hand_them_on(db: Any, seeds: list[Seed]) -> None:
    fp = fp_of(seeds[3])
    copies = [f"https://outlet{i}.example/story" for i in range(3)]
    with tx(db):
        for url in copies:
            dedup_index.add(db, url, fp)
    assert db.execute("SELECT count(*) FROM dedup_bands").fetchone()[0] == dedup.BANDS
    with tx(db):
        dedup_index.remove(db, copies[0])  # the holder of the postings goes
    assert db.execute("SELECT count(*) FROM dedup_bands").fetchone()[0] == dedup.BANDS
    assert dedup_index.exact(db, fp.text_hash) == copies[1]
    shortened = dedup.fingerprint(seeds[3].title, seeds[3].text[: len(seeds[3].text) * 2 // 3])
    match = dedup_index.find_duplicate(db, shortened)
    assert match is not None and not match.exact and match.doc in copies[1:]


def test_short_and_empty_texts(db: Any) -> None:
    caption = dedup.fingerprint("لقاء بوتين وكيم", "شاهد لحظة المصافحة في فلاديفوستوك")
    empty = dedup.fingerprint("كاريكاتير", "")
    with tx(db):
        dedup_index.add(db, "https://a.example/video", caption)
        dedup_index.add(db, "https://a.example/cartoon-1", empty)
    assert db.execute("SELECT count(*) FROM dedup_bands").fetchone()[0] == 0
    again = dedup_index.find_duplicate(db, caption)
    assert again is not None and again.doc == "https://a.example/video"
    other = dedup.fingerprint("عنوان آخر", "شاهد لحظة المصافحة في فلاديفوستوك")
    assert dedup_index.find_duplicate(db, other) is None
    assert dedup_index.find_duplicate(db, dedup.fingerprint("كاريكاتير", "")) is None
    assert dedup_index.candidates(db, caption) == []


def test_altered_copy_found_among_2000_other_documents(
    tmp_path: Path, db: Any, seeds: list[Seed]
) -> None:
    with tx(db):
        assert dedup_index.add_many(db, ((s.ref, fp_of(s)) for s in seeds)) == 5
        assert dedup_index.add_many(db, filler(2000, seeds)) == 2000
    seed = seeds[4]
    paragraphs = [p for p in seed.text.splitlines() if len(p.split()) > 8]
    kept = paragraphs[: int(len(paragraphs) * 0.7)]
    text = "أفادت مصادر في موسكو اليوم بأن المحادثات مستمرة.\n" + "\n".join(kept)
    text = text.replace("بوتين", "بوتن").replace("كيم أون", "كيم جونج أون")
    copy = dedup.fingerprint("خاص - " + seed.title, text)
    assert dedup_index.exact(db, copy.text_hash) is None
    found = dedup_index.candidates(db, copy, limit=10)
    assert found[0] == seed.ref
    match = dedup_index.find_duplicate(db, copy)
    assert match is not None and match.doc == seed.ref and match.similarity.containment > 0.9
    # Nothing of it lives in this process: a fresh connection to the file finds the same.
    other = reconnect(db, tmp_path)
    assert dedup_index.find_duplicate(other, copy) == match
    other.close()
    # And none of the shuffled texts is taken for a duplicate of a seed. (Asked of an index of
    # the seeds alone: in this one each text finds itself, an exact copy, first.)
    hits = [dedup_index.find_duplicate(db, fp) for _, fp in filler(200, seeds)]
    assert all(hit is not None and hit.exact for hit in hits)
    only_seeds = another(db, tmp_path, "seeds")
    with tx(only_seeds):
        dedup_index.add_many(only_seeds, ((s.ref, fp_of(s)) for s in seeds))
    assert all(dedup_index.find_duplicate(only_seeds, fp) is None for _, fp in filler(200, seeds))
    assert dedup_index.find_duplicate(only_seeds, copy) == match  # the copy is still found
    only_seeds.close()


def test_add_many_refuses_a_document_indexed_before(db: Any, seeds: list[Seed]) -> None:
    with tx(db):
        dedup_index.add(db, seeds[0].ref, fp_of(seeds[0]))
    with pytest.raises(INTEGRITY_ERRORS), tx(db):
        dedup_index.add_many(db, [(seeds[0].ref, fp_of(seeds[0]))])


def test_stale_fingerprints_are_counted(db: Any, seeds: list[Seed]) -> None:
    with tx(db):
        dedup_index.add(db, seeds[0].ref, fp_of(seeds[0]))
        assert dedup_index.stale_count(db) == 0
        db.execute("UPDATE dedup_fingerprints SET version = version - 1")
    assert dedup_index.stale_count(db) == 1


# --------------------------------------------------------------------------------------------
# Bounded work, by behaviour
# --------------------------------------------------------------------------------------------


def test_every_statement_uses_an_index(db: Any, seeds: list[Seed]) -> None:
    """No statement of the index scans a whole table: the work per article does not grow with
    the number of stored articles (query plans, checked on what really ran)."""
    sqlite_only(db)
    with tx(db):
        dedup_index.add_many(db, filler(300, seeds))
    ran: list[str] = []
    db.set_trace_callback(ran.append)
    with tx(db):
        dedup_index.add(db, seeds[0].ref, fp_of(seeds[0]))
        dedup_index.add(db, "https://copy.example/x", fp_of(seeds[0]))
        dedup_index.find_duplicate(db, fp_of(seeds[1]))
        dedup_index.find_duplicate(db, dedup.fingerprint("", seeds[0].text[:3000]))
        dedup_index.remove(db, seeds[0].ref)
        dedup_index.exact(db, fp_of(seeds[2]).text_hash)
    db.set_trace_callback(None)
    statements = [s for s in ran if s.split()[0] in ("SELECT", "DELETE", "UPDATE")]
    assert len(statements) > 10
    for sql in statements:
        plan = [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql)]
        table_scans = [step for step in plan if FULL_SCAN.match(step)]
        assert not table_scans, (sql[:120], plan)
        assert any(step.startswith("SEARCH") for step in plan), (sql[:120], plan)


# A scan of the index tables themselves (by name or by the alias the queries give them); a scan
# of a sub-query's few materialised rows ("SCAN h", "SCAN (subquery-1)") is fine.
FULL_SCAN = re.compile(r"SCAN (dedup_fingerprints|dedup_bands|f)\b")


def _vm_steps(db: Any, call: Callable[[], object]) -> int:
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    db.set_progress_handler(count, 100)
    call()
    db.set_progress_handler(None, 0)
    return steps


def test_a_crowded_band_key_is_read_only_so_deep(db: Any, seeds: list[Seed]) -> None:
    """Templated boilerplate can make thousands of documents share band keys. A query reads at
    most POSTING_CAP postings per key, so its cost stops growing with the crowd (measured in
    SQLite VM steps, not time)."""
    sqlite_only(db)
    base = fp_of(seeds[0])

    def crowd(start: int, n: int) -> Iterator[tuple[str, Fingerprint]]:
        for i in range(start, start + n):  # distinct texts (hashes) with the same band keys
            yield f"https://crowd.example/{i}", replace(base, text_hash=f"{i:064x}")

    with tx(db):
        dedup_index.add_many(db, crowd(0, dedup_index.POSTING_CAP + 200))
    at_cap = _vm_steps(db, lambda: dedup_index.candidates(db, base, limit=5))
    with tx(db):
        dedup_index.add_many(db, crowd(5000, 3 * dedup_index.POSTING_CAP))
    beyond = _vm_steps(db, lambda: dedup_index.candidates(db, base, limit=5))
    assert len(dedup_index.candidates(db, base, limit=5)) == 5
    assert beyond <= at_cap * 1.2, (at_cap, beyond)


def test_documents_are_the_only_identifiers(db: Any, seeds: list[Seed]) -> None:
    """doc is what the caller gave: "seed:<ID>" or a canonical URL, returned as is."""
    url = "https://www.alarabiya.net/ar/arab-and-world/2018/05/31/لافروف-في-بيونغ-يانغ.html"
    # Arabic in URLs is kept verbatim, not normalised: the normaliser would change this one
    # (بيونغ يانغ is folded, punctuation becomes spaces), and its folded form is another document.
    folded = arabic.normalize(url)
    assert folded != url and "بيونغيانغ" in folded
    with tx(db):
        dedup_index.add(db, url, fp_of(seeds[0]))
        dedup_index.add(db, folded, fp_of(seeds[1]))
    match = dedup_index.find_duplicate(db, fp_of(seeds[0]))
    assert match is not None and match.doc == url
    other = dedup_index.find_duplicate(db, fp_of(seeds[1]))
    assert other is not None and other.doc == folded
    assert dedup_index.exact(db, fp_of(seeds[0]).text_hash) == url
    stored = {doc for (doc,) in db.execute("SELECT doc FROM dedup_fingerprints")}
    assert stored == {url, folded}
    with tx(db):
        assert dedup_index.remove(db, url)
    assert dedup_index.find_duplicate(db, fp_of(seeds[0])) is None
    assert dedup_index.exact(db, fp_of(seeds[1]).text_hash) == folded
    assert re.fullmatch(r"seed:\d{3}_[0-9a-f]{16}", seeds[0].ref)


# --------------------------------------------------------------------------------------------
# The thresholds, as the index applies them
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(dedup_pairs.PAIRS))
def test_the_index_decides_the_golden_pairs(db: Any, seeds: list[Seed], name: str) -> None:
    """The copies of seed 001 on either side of each threshold (tests/dedup_pairs.py): the
    index offers seed 001 as a candidate for every one, and finds it a duplicate exactly
    when the copy is on the duplicate side."""
    with tx(db):
        dedup_index.add_many(db, ((s.ref, fp_of(s)) for s in seeds))
    original = seeds[dedup_pairs.ORIGINAL].ref
    copy = dedup_pairs.copy_fingerprint(name)
    assert original in dedup_index.candidates(db, copy)
    match = dedup_index.find_duplicate(db, copy)
    if dedup_pairs.PAIRS[name][1]:
        assert match is not None and match.doc == original and not match.exact
        assert dedup.is_near_duplicate(match.similarity)
    else:
        assert match is None

"""The Store contract: what every backend must do, written against `store.protocols` alone.

Each test takes the `store` fixture (or `store_url`, for what needs the store reopened or
shared between processes), parametrised over BACKENDS. Nothing here knows an implementation;
what only SQLite has (its schema, WAL, migrations) is tested in test_store.py.
"""

from __future__ import annotations

import inspect
import json
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.errors import StoreError
from monitor.judge.seeds import Seed, load_seeds
from monitor.models import FeedEntry
from store import open_store
from store.base import FeedPoll, StoredArticle
from store.protocols import (
    Archive,
    DigestLog,
    FeedLog,
    Frontier,
    KeyValue,
    RunLog,
    SearchIndex,
    SeedCorpus,
    Store,
)

REPO = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
SITE = "http://127.0.0.1:8000"


def _sqlite(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'rasad.db'}"


def _postgresql(tmp_path: Path) -> str:
    """A fresh database on the session's throwaway server (tests/pg_server.py), or a skip."""
    from pg_server import postgresql_url

    return postgresql_url(tmp_path)


# backend name -> the URL of a fresh, empty store of that kind. A PostgreSQL store plugs in
# here as "postgresql": a function that starts (or finds) a server on 127.0.0.1 and returns
# the URL of an empty database, or calls pytest.skip with the reason it cannot.
BACKENDS: dict[str, Callable[[Path], str]] = {"sqlite": _sqlite, "postgresql": _postgresql}


@pytest.fixture(params=sorted(BACKENDS))
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return BACKENDS[request.param](tmp_path)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = open_store(store_url)
    yield s
    s.close()


@pytest.fixture(scope="module")
def seeds() -> list[Seed]:
    return load_seeds()


def article(path: str, status: str = "new", text: str = "نص المقال", **kw: object) -> StoredArticle:
    url = f"{SITE}{path}"
    return StoredArticle(
        url=url,
        canonical_url=url,
        source=str(kw.pop("source", "sky")),
        title=str(kw.pop("title", "عنوان")),
        text=text,
        status=status,  # type: ignore[arg-type]
        fetched=kw.pop("fetched", NOW),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def poll(ok: bool = True, **kw: object) -> FeedPoll:
    return FeedPoll(
        source="sky",
        feed_url=f"{SITE}/rss",
        polled=kw.pop("polled", NOW),  # type: ignore[arg-type]
        ok=ok,
        http_status=200 if ok else 500,
        error=None if ok else "HTTP 500",
        **kw,  # type: ignore[arg-type]
    )


def entry(path: str, title: str = "") -> FeedEntry:
    return FeedEntry(url=f"{SITE}{path}", title=title)


def shortened(text: str, share: float = 0.7) -> str:
    """The first paragraphs of a text, up to `share` of it: an outlet's trimmed copy."""
    paragraphs = [p for p in text.split("\n") if p.strip()]
    kept: list[str] = []
    for paragraph in paragraphs:
        if kept and sum(map(len, kept)) + len(paragraph) > share * len(text):
            break
        kept.append(paragraph)
    return "\n".join(kept)


# -- the interface itself ---------------------------------------------------------------------

CONCERNS = (Frontier, FeedLog, Archive, SeedCorpus, RunLog, DigestLog, SearchIndex, KeyValue, Store)


def _members(concern: type) -> list[str]:
    return [n for n, v in vars(concern).items() if inspect.isfunction(v) and n[0] != "_"]


def _shape(function: Callable[..., object]) -> list[tuple[str, object, object]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize("concern", CONCERNS, ids=lambda c: c.__name__)
def test_every_method_has_the_protocols_parameters(store: Store, concern: type) -> None:
    """Names, kinds and defaults: a caller may pass any parameter by keyword, and mypy
    checks the names of keyword-only parameters only (python/mypy#18680)."""
    for name in _members(concern):
        implementation = getattr(type(store), name, None)
        assert implementation is not None, f"{type(store).__name__} lacks {name}"
        assert _shape(implementation) == _shape(getattr(concern, name)), name


def test_the_store_is_every_concern_and_nothing_is_left_out() -> None:
    assert set(_members(Store)) == {"close"}
    assert sum(len(_members(c)) for c in CONCERNS) == 38


def test_an_unknown_store_url_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="unsupported store URL"):
        open_store(f"mysql://{tmp_path}")


def test_a_store_that_does_not_exist_is_not_created_for_reading(store_url: str) -> None:
    if not store_url.startswith("sqlite:"):
        pytest.skip("only a file store can be absent")
    with pytest.raises(StoreError, match="no store at"):
        open_store(store_url, create=False)
    open_store(store_url).close()
    open_store(store_url, create=False).close()


# -- frontier ---------------------------------------------------------------------------------


def test_the_frontier_returns_only_unstored_entries(store: Store) -> None:
    entries = [entry(f"/a/{i}", f"خبر {i}") for i in range(3)]
    outcome = store.record_poll(poll(entries=3), entries)
    assert outcome.to_fetch == entries and outcome.new_entries == 3
    store.add(article("/a/0"))
    assert store.seen(f"{SITE}/a/0")
    assert store.seen(f"{SITE.upper()}/a/0#comments")  # canonical form
    assert not store.seen(f"{SITE}/a/1")
    again = store.record_poll(poll(entries=3), entries)
    assert [e.url for e in again.to_fetch] == [e.url for e in entries[1:]]
    assert again.new_entries == 0
    pending = store.pending("sky", max_attempts=5)
    assert [p.entry.url for p in pending] == [e.url for e in entries[1:]]
    assert [p.entry.title for p in pending] == ["خبر 1", "خبر 2"]
    assert store.entry_states(e.url for e in entries) == {
        entries[0].url: "done",
        entries[1].url: "pending",
        entries[2].url: "pending",
    }


def test_failures_count_attempts_and_stop_at_the_limit(store: Store) -> None:
    page = entry("/a/9")
    store.record_poll(poll(), [page])
    assert store.attempts(page.url) == 0
    for expected in (1, 2, 3):
        assert store.record_failure("sky", page.url, "http_500", NOW) == expected
    assert store.attempts(page.url) == 3
    assert store.entry_states([page.url]) == {page.url: "failed"}
    assert store.pending("sky", max_attempts=5)[0].attempts == 3
    assert store.pending("sky", max_attempts=3) == []
    assert store.record_poll(poll(), [page], max_attempts=3).to_fetch == []


def test_a_failed_page_waits_out_its_backoff(store: Store) -> None:
    page = entry("/a/slow")
    store.record_poll(poll(), [page])
    store.record_failure("sky", page.url, "http_503", NOW, next_attempt=NOW + timedelta(hours=1))
    assert store.pending("sky", 5, now=NOW + timedelta(minutes=30)) == []
    assert [p.entry.url for p in store.pending("sky", 5, now=NOW + timedelta(hours=2))] == [
        page.url
    ]
    assert [p.entry.url for p in store.pending("sky", 5)] == [page.url]  # no clock: all
    early = store.record_poll(poll(polled=NOW + timedelta(minutes=30)), [page])
    assert early.to_fetch == []
    assert store.record_poll(poll(polled=NOW + timedelta(hours=2)), [page]).to_fetch == [page]


def test_a_page_failing_before_any_feed_listed_it_is_recorded(store: Store) -> None:
    assert store.record_failure("sky", f"{SITE}/orphan", "timeout", NOW) == 1
    assert store.counts()["pending"] == 1


def test_a_stored_story_whose_headline_changed_is_fetched_once_more(store: Store) -> None:
    page = entry("/a/1", "العنوان الأول")
    store.record_poll(poll(), [page])
    store.add(article("/a/1"))
    assert store.record_poll(poll(), [page]).to_fetch == []
    edited = entry("/a/1", "العنوان بعد التعديل")
    assert store.record_poll(poll(), [edited]).to_fetch == [edited]


def test_skipped_entries_are_remembered_never_fetched_and_admitted_on_request(
    store: Store,
) -> None:
    old, new = entry("/news/old"), entry("/news/new")
    outcome = store.record_poll(poll(entries=2), [new], skipped=[old])
    assert outcome.to_fetch == [new] and outcome.new_entries == 1  # skipped: not new
    assert store.entry_states([old.url, new.url, f"{SITE}/never"]) == {
        old.url: "skipped",
        new.url: "pending",
    }
    assert [p.entry.url for p in store.pending("sky", 5)] == [new.url]
    assert store.counts()["pending"] == 1
    # skipped again: nothing changes; a stored or pending entry is never demoted
    assert store.record_poll(poll(entries=2), skipped=[old, new]).to_fetch == []
    assert store.entry_states([new.url]) == {new.url: "pending"}
    # listed for fetching (a feed has it, or a wider sitemap window): admitted
    assert store.record_poll(poll(entries=1), [old]).to_fetch == [old]
    assert store.entry_states([old.url]) == {old.url: "pending"}


# -- feed log ---------------------------------------------------------------------------------


def test_feed_failures_build_an_error_streak_and_a_success_ends_it(store: Store) -> None:
    store.record_poll(poll(ok=False), [entry("/a/lost")])
    store.record_poll(poll(ok=False))
    health = store.feed_health()[0]
    assert health.error_streak == 2 and health.last_error == "HTTP 500"
    assert health.last_status == 500 and health.last_success is None
    assert health.items_seen == 0  # a failed poll records no entries
    store.record_poll(poll(entries=1), [entry("/a/1")])
    health = store.feed_health()[0]
    assert health.error_streak == 0 and health.last_error is None
    assert health.last_success == NOW and health.last_new_item == NOW
    assert health.items_seen == 1


def test_feed_state_validators_and_reset(store: Store) -> None:
    assert store.feed_state("sky", f"{SITE}/rss") is None
    store.record_poll(poll(etag='"v1"', last_modified="Sat, 21 Nov 2026", state='{"n": 1}'))
    assert store.feed_state("sky", f"{SITE}/rss") == '{"n": 1}'
    store.record_poll(poll(ok=False))  # a failure keeps the state it does not replace
    assert store.feed_state("sky", f"{SITE}/rss") == '{"n": 1}'
    store.set_feed_state("sky", f"{SITE}/rss", '{"n": 2}')
    health = store.feed_health()[0]
    assert (health.state, health.error_streak) == ('{"n": 2}', 1)
    store.reset_feed("sky", f"{SITE}/rss", '{"n": 0}')
    health = store.feed_health()[0]
    assert (health.state, health.error_streak, health.last_error) == ('{"n": 0}', 0, None)
    assert [(h.source, h.feed_url) for h in store.feed_health()] == [("sky", f"{SITE}/rss")]


def test_robots_txt_is_cached_per_host(store: Store) -> None:
    assert store.cached_robots("127.0.0.1:8000") is None
    store.cache_robots("127.0.0.1:8000", 200, b"User-agent: *\nDisallow: /x", NOW)
    store.cache_robots("127.0.0.1:8000", 404, b"", NOW + timedelta(days=1))
    assert store.cached_robots("127.0.0.1:8000") == (404, b"", NOW + timedelta(days=1))


# -- archive ----------------------------------------------------------------------------------


def test_an_article_is_stored_whole(store: Store) -> None:
    full = article(
        "/a/1",
        title="بوتين يستقبل كيم",
        published=NOW - timedelta(hours=3),
        fetched_url=f"{SITE}/a/1?amp",
        language="ar",
        relevance=0.75,
        verdict={"score": 0.75, "terms": ["بوتين"]},
    )
    assert store.add(full) == "added"
    stored = store.get(full.canonical_url)
    assert stored is not None and stored.text_hash  # computed when not given
    # a new article without a story starts its own (tests/test_stories.py)
    story = full.canonical_url
    assert stored == StoredArticle(**{**vars(full), "text_hash": stored.text_hash, "story": story})
    assert store.get(f"{SITE}/never") is None


def test_one_row_per_canonical_url_updated_in_place(store: Store) -> None:
    assert store.add(article("/a/1", status="off_topic", text="قديم")) == "added"
    assert store.add(article("/a/1", status="new", text="جديد")) == "updated"
    stored = store.get(f"{SITE}/a/1")
    assert stored is not None
    assert stored.text == "جديد" and stored.status == "off_topic"  # status kept
    assert store.counts()["off_topic"] == 1


def test_an_unknown_status_is_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="unknown status"):
        store.add(article("/a/1", status="maybe"))
    store.add(article("/a/2"))
    with pytest.raises(StoreError, match="unknown status"):
        store.rejudge(f"{SITE}/a/2", "maybe", 0.0, None)  # type: ignore[arg-type]
    assert store.get(f"{SITE}/a/1") is None


def test_articles_filter_by_status_and_since_in_fetch_order(store: Store) -> None:
    store.add(article("/3", fetched=NOW))
    store.add(article("/1", fetched=NOW - timedelta(days=3)))
    store.add(article("/2", status="off_topic"))
    assert [a.url for a in store.articles()] == [f"{SITE}/1", f"{SITE}/3"]
    assert len(list(store.articles(statuses=("new", "duplicate", "off_topic")))) == 3
    assert [a.url for a in store.articles(since=NOW - timedelta(days=1))] == [f"{SITE}/3"]
    assert store.counts() == {"new": 2, "duplicate": 0, "off_topic": 1, "pending": 0}


def test_rejudge_replaces_the_outcome(store: Store) -> None:
    store.add(article("/a/1", status="off_topic", relevance=0.1))
    store.rejudge(f"{SITE}/a/1", "new", 0.8, {"score": 0.8})
    stored = store.get(f"{SITE}/a/1")
    assert stored is not None
    assert (stored.status, stored.relevance, stored.verdict) == ("new", 0.8, {"score": 0.8})


def test_storing_an_article_closes_its_frontier_entry(store: Store) -> None:
    page = entry("/a/1?utm_source=rss")
    store.record_poll(poll(), [page])
    store.record_failure("sky", page.url, "timeout", NOW)
    copy = replace(article("/a/1"), url=page.url)  # stored under its canonical URL
    assert store.add_unless_duplicate(copy).written == "added"
    assert store.entry_states([page.url]) == {page.url: "done"}
    assert store.pending("sky", 5) == [] and store.counts()["pending"] == 0


# -- the atomic add: duplicates ---------------------------------------------------------------


def test_a_new_story_is_stored_new(store: Store, seeds: list[Seed]) -> None:
    outcome = store.add_unless_duplicate(article("/a/1", text=seeds[0].text))
    assert (outcome.written, outcome.status, outcome.duplicate_of) == ("added", "new", None)
    assert store.counts()["new"] == 1


def test_copies_point_at_the_clusters_original(store: Store, seeds: list[Seed]) -> None:
    text = seeds[1].text
    original = store.add_unless_duplicate(article("/a/original", text=text))
    assert original.status == "new"
    exact = store.add_unless_duplicate(article("/b/copy", text=text, source="other"))
    assert (exact.status, exact.duplicate_of, exact.similarity) == (
        "duplicate",
        f"{SITE}/a/original",
        1.0,
    )
    # a trimmed copy of the copy joins the same cluster: it points at the original
    trimmed = store.add_unless_duplicate(article("/c/short", text=shortened(text)))
    assert trimmed.status == "duplicate" and trimmed.duplicate_of == f"{SITE}/a/original"
    stored = store.get(f"{SITE}/c/short")
    assert stored is not None and stored.status == "duplicate"
    assert stored.duplicate_of == f"{SITE}/a/original" and stored.similarity
    assert store.also_reported_by(f"{SITE}/a/original") == [f"{SITE}/b/copy", f"{SITE}/c/short"]
    assert store.counts()["duplicate"] == 2


def test_a_copy_of_a_seed_is_its_duplicate(store: Store, seeds: list[Seed]) -> None:
    assert store.load_seeds(seeds) == len(seeds)
    seed = seeds[2]
    outcome = store.add_unless_duplicate(article("/a/1", title=seed.title, text=seed.text))
    assert (outcome.status, outcome.duplicate_of) == ("duplicate", seed.ref)
    assert store.also_reported_by(seed.ref) == [f"{SITE}/a/1"]


def test_an_off_topic_article_stays_off_topic_and_is_indexed(
    store: Store, seeds: list[Seed]
) -> None:
    store.add_unless_duplicate(article("/a/original", text=seeds[0].text))
    off = store.add_unless_duplicate(article("/b/off", status="off_topic", text=seeds[0].text))
    assert (off.status, off.duplicate_of) == ("off_topic", None)
    first_off = store.add_unless_duplicate(
        article("/c/off", status="off_topic", text=seeds[3].text)
    )
    assert first_off.status == "off_topic"
    # the off-topic text is indexed: an on-topic copy of it is found
    copy = store.add_unless_duplicate(article("/d/copy", text=seeds[3].text))
    assert (copy.status, copy.duplicate_of) == ("duplicate", f"{SITE}/c/off")


def test_a_page_declaring_a_stored_page_its_original_is_its_duplicate(
    store: Store, seeds: list[Seed]
) -> None:
    store.add_unless_duplicate(article("/news/1", text=seeds[0].text))
    store.add_unless_duplicate(article("/news/1-copy", text=seeds[0].text))
    # the re-dated page says it is /news/1: a duplicate whatever its text (here: another story's)
    redated = article("/news/1-re-dated", text=seeds[4].text)
    outcome = store.add_unless_duplicate(redated, declared_original=f"{SITE}/news/1")
    assert (outcome.status, outcome.duplicate_of) == ("duplicate", f"{SITE}/news/1")
    assert outcome.similarity is not None and outcome.similarity < 0.5
    # declaring a copy its original joins the copy's cluster
    mobile = article("/news/1-mobile", text="نص قصير")
    outcome = store.add_unless_duplicate(mobile, declared_original=f"{SITE}/news/1-copy")
    assert (outcome.status, outcome.duplicate_of) == ("duplicate", f"{SITE}/news/1")
    # a declared original not stored declares nothing: the text decides
    other = article("/news/2", text=seeds[1].text)
    outcome = store.add_unless_duplicate(other, declared_original=f"{SITE}/news/never-stored")
    assert outcome.status == "new"


def test_a_declared_original_does_not_make_an_off_topic_page_a_duplicate(
    store: Store, seeds: list[Seed]
) -> None:
    store.add_unless_duplicate(article("/news/1", text=seeds[0].text))
    redated = article("/news/1-re-dated", status="off_topic", text=seeds[0].text)
    outcome = store.add_unless_duplicate(redated, declared_original=f"{SITE}/news/1")
    assert (outcome.status, outcome.duplicate_of) == ("off_topic", None)


def test_a_url_stored_before_is_updated_and_keeps_its_outcome(
    store: Store, seeds: list[Seed]
) -> None:
    store.add_unless_duplicate(article("/a/original", text=seeds[0].text))
    store.add_unless_duplicate(article("/b/copy", text=seeds[0].text))
    edited = article("/b/copy", text=seeds[0].text + "\nتحديث: فقرة أضيفت لاحقا.")
    outcome = store.add_unless_duplicate(edited)
    assert (outcome.written, outcome.status, outcome.duplicate_of) == (
        "updated",
        "duplicate",
        f"{SITE}/a/original",
    )
    stored = store.get(f"{SITE}/b/copy")
    assert stored is not None and stored.text.endswith("أضيفت لاحقا.")
    # the original, edited, is not made a duplicate of its own copy
    again = store.add_unless_duplicate(article("/a/original", text=seeds[0].text + "\nتحديث"))
    assert (again.written, again.status, again.duplicate_of) == ("updated", "new", None)


# -- the atomic add: two processes racing -----------------------------------------------------

RACER = """
import json, sys
from datetime import UTC, datetime
from monitor.judge.dedup import fingerprint
from store import open_store
from store.base import StoredArticle

url, name, stories = sys.argv[1], sys.argv[2], json.loads(open(sys.argv[3]).read())
store = open_store(url)
articles = [
    StoredArticle(url=f"http://{name}.example/{i}", canonical_url=f"http://{name}.example/{i}",
                  source=name, title=s["title"], text=s[name], status="new",
                  fetched=datetime.now(UTC))
    for i, s in enumerate(stories)
]
prints = [fingerprint(a.title, a.text) for a in articles]
print("ready", flush=True)
sys.stdin.readline()  # the barrier: both are ready, go
outcomes = [store.add_unless_duplicate(a, fp) for a, fp in zip(articles, prints)]
store.close()
print(json.dumps([[o.status, o.duplicate_of] for o in outcomes]), flush=True)
"""


def _racing_stories(count: int) -> list[dict[str, str]]:
    """`count` unrelated stories, each in two versions: "one"'s, and "two"'s copy of it
    (verbatim for even stories, trimmed and lightly edited for odd ones)."""
    rng = random.Random(9)
    letters = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
    vocabulary = ["".join(rng.choices(letters, k=rng.randint(3, 7))) for _ in range(3000)]
    stories = []
    for i in range(count):
        words = rng.choices(vocabulary, k=150)
        copy = words[:120] if i % 2 else list(words)
        if i % 2:
            copy[10] = copy[60] = "أيضا"
        stories.append({"title": f"الخبر {i}", "one": " ".join(words), "two": " ".join(copy)})
    return stories


def test_two_processes_storing_copies_of_one_story_store_one_new_one_duplicate(
    store_url: str, tmp_path: Path
) -> None:
    open_store(store_url).close()  # created (and migrated) before the race
    stories = _racing_stories(40)
    (tmp_path / "stories.json").write_text(json.dumps(stories), encoding="utf-8")
    racers = {
        name: subprocess.Popen(
            [sys.executable, "-c", RACER, store_url, name, str(tmp_path / "stories.json")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        for name in ("one", "two")
    }
    try:
        for racer in racers.values():
            assert racer.stdout is not None and racer.stdout.readline().strip() == "ready"
        for racer in racers.values():
            assert racer.stdin is not None
            racer.stdin.write("go\n")
            racer.stdin.flush()
        results = {}
        for name, racer in racers.items():
            out, _ = racer.communicate(timeout=120)
            assert racer.returncode == 0
            results[name] = json.loads(out)
    finally:
        for racer in racers.values():
            if racer.poll() is None:
                racer.kill()
                racer.wait()
    for i in range(len(stories)):
        (one, one_of), (two, two_of) = results["one"][i], results["two"][i]
        assert sorted([one, two]) == ["duplicate", "new"], (i, one, two)
        original = f"http://one.example/{i}" if one == "new" else f"http://two.example/{i}"
        assert (one_of or two_of) == original
    store = open_store(store_url)
    try:
        assert store.counts()["new"] == store.counts()["duplicate"] == len(stories)
    finally:
        store.close()


# -- seeds, runs, key/values ------------------------------------------------------------------


def test_seeds_load_once(store: Store, seeds: list[Seed]) -> None:
    assert len(seeds) == 5
    assert store.load_seeds(seeds) == 5
    assert store.load_seeds(seeds) == 0
    stored = store.seeds()
    assert [s.id for s in stored] == sorted(s.id for s in seeds)
    assert {s.id: s for s in stored} == {s.id: s for s in seeds}
    assert store.counts()["new"] == 0  # seeds are not crawled items
    assert list(store.articles(statuses=("new", "duplicate", "off_topic"))) == []


def test_runs_are_recorded_and_an_unfinished_one_is_marked_interrupted(store: Store) -> None:
    first = store.start_run(NOW, ["sky"])
    second = store.start_run(NOW + timedelta(minutes=5), ["sky", "bbc"])
    states = {r["id"]: r["state"] for r in store.runs()}
    assert states == {first: "interrupted", second: "running"}
    store.finish_run(second, NOW + timedelta(minutes=6), "ok", {"stored": {"new": 2}})
    latest = store.runs(limit=1)
    assert len(latest) == 1 and latest[0]["id"] == second and latest[0]["state"] == "ok"
    assert json.loads(latest[0]["sources"]) == ["sky", "bbc"]
    assert json.loads(latest[0]["report"]) == {"stored": {"new": 2}}
    assert latest[0]["started"] < latest[0]["finished"]


def test_values_persist_across_reopening(store_url: str) -> None:
    store = open_store(store_url)
    assert store.get_state("schedule") is None
    store.set_state("schedule", '{"bbc": 1}')
    store.set_state("schedule", '{"bbc": 2}')
    store.close()
    again = open_store(store_url, create=False)
    assert again.get_state("schedule") == '{"bbc": 2}'
    again.close()


# ---------------------------------------------------------------------- the digest log

TO = "analyst@example.org"


def _urls(articles: object) -> list[str]:
    return [a.canonical_url for a in articles]  # type: ignore[attr-defined]


def test_undelivered_is_new_articles_and_their_copies_never_seeds_copies(store: Store) -> None:
    store.add(article("/a", fetched=NOW - timedelta(hours=2)))
    store.add(article("/b", "duplicate", text="نسخة", duplicate_of=f"{SITE}/a"))
    store.add(article("/c", "duplicate", text="نسخة بذرة", duplicate_of="seed:000"))
    store.add(article("/d", "off_topic", text="خارج الموضوع"))
    assert _urls(store.undelivered(TO)) == [f"{SITE}/a", f"{SITE}/b"]


def test_a_begun_digest_takes_its_articles_and_a_failed_one_gives_them_back(
    store: Store,
) -> None:
    store.add(article("/a"))
    store.add(article("/b", text="آخر"))
    store.begin_digest(TO, "<m1@x>", b"raw", [f"{SITE}/a"], [f"{SITE}/b"], NOW)
    assert _urls(store.undelivered(TO)) == []
    assert _urls(store.undelivered("other@example.org")) == [f"{SITE}/a", f"{SITE}/b"]
    assert store.unfinished_digests() == [(TO, "<m1@x>", b"raw")]
    store.finish_digest("<m1@x>", sent=False)
    assert store.unfinished_digests() == []
    assert _urls(store.undelivered(TO)) == [f"{SITE}/a", f"{SITE}/b"]
    assert store.last_digest(TO) is None


def test_a_sent_digest_is_kept_and_since_resends(store: Store) -> None:
    store.add(article("/a", fetched=NOW - timedelta(days=2)))
    store.add(article("/b", text="آخر", fetched=NOW))
    store.begin_digest(TO, "<m1@x>", b"raw", [f"{SITE}/a", f"{SITE}/b"], (), NOW)
    store.finish_digest("<m1@x>", sent=True, when=NOW)
    assert store.unfinished_digests() == [] and _urls(store.undelivered(TO)) == []
    assert store.last_digest(TO) == NOW
    since = NOW - timedelta(hours=1)
    assert _urls(store.undelivered(TO, since=since)) == [f"{SITE}/b"]
    # a resend takes nothing twice: the first record of each article stays
    store.begin_digest(TO, "<m2@x>", b"raw2", [f"{SITE}/b"], (), NOW)
    store.finish_digest("<m2@x>", sent=False)
    assert _urls(store.undelivered(TO)) == []


def test_passing_over_without_a_message_records_it_sent(store: Store) -> None:
    store.add(article("/a"))
    store.begin_digest(TO, "<p@x>", None, (), [f"{SITE}/a"], NOW)
    assert store.unfinished_digests() == [] and _urls(store.undelivered(TO)) == []


# ---------------------------------------------------------------------- the search index


def test_search_finds_respellings_filters_and_follows_edits(store: Store) -> None:
    from monitor.deliver.search import parse

    store.add(article("/a", title="بوتين في بيونغ يانغ", text="وصل الرئيس الروسي إلى العاصمة"))
    store.add(article("/b", "off_topic", title="الطقس", text="أمطار غزيرة في موسكو"))
    hits = store.search(parse("لبوتن بيونج يانج"))
    assert [h.article.canonical_url for h in hits] == [f"{SITE}/a"] and hits[0].score > 0
    assert store.search(parse("موسكو")) == []
    assert len(store.search(parse("موسكو"), statuses=("off_topic",))) == 1
    store.add(article("/a", title="بوتين في بيونغ يانغ", text="نص آخر عن شويغو"))
    assert store.search(parse("العاصمه")) == [] and len(store.search(parse("شويجو"))) == 1
    assert store.reindex() == 2 and store.index_version()

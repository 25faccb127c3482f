"""The store's `Browse` concern (what the web archive reads), on every backend of the contract
suite (tests/test_store_contract.py's BACKENDS): one page of stories, their count, one story's
articles, coverage counts per day or week, the newest date."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_store_contract import BACKENDS

from store import open_store
from store.base import StoredArticle
from store.protocols import Browse, CoverageCount, Store, StoryFilter

DAY = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)  # a Wednesday
SITE = "http://127.0.0.1:8000"


@pytest.fixture(params=sorted(BACKENDS))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    s = open_store(BACKENDS[request.param](tmp_path))
    yield s
    s.close()


def art(n: int, of: int | None = None, **kw: Any) -> StoredArticle:
    url = f"{SITE}/{n}"
    fields: dict[str, Any] = {
        "url": url,
        "canonical_url": url,
        "source": "alpha",
        "title": f"عنوان {n}",
        "text": f"نص المقال رقم {n} عن بيونغ يانغ وموسكو",
        "status": "new",
        "fetched": DAY + timedelta(hours=n),
        "published": DAY + timedelta(hours=n),
        "story": f"{SITE}/{of if of is not None else n}",
        "verdict": {"subtopics": ["visit"]},
    }
    fields.update(kw)
    return StoredArticle(**fields)


# story 1: articles 1 (lead), 2 (beta's own write-up, 2 days later), 3 (a copy, gamma)
# story 4: one trade+military article, 4 days earlier (published); fetched late
# story 5: off-topic (no story); story 6: a copy of a seed only (no new article)
CORPUS = [
    art(1),
    art(2, 1, source="beta", published=DAY + timedelta(days=2)),
    art(3, 1, status="duplicate", duplicate_of=f"{SITE}/1", source="gamma"),
    art(
        4,
        published=DAY - timedelta(days=4),
        verdict={"subtopics": ["trade", "military"]},
        source="beta",
    ),
    art(5, status="off_topic", story=None),
    art(6, status="duplicate", duplicate_of="seed:001", story=None),
]


def fill(store: Store) -> None:
    for a in CORPUS:
        store.add(a)


def ids(store: Store, **kw: Any) -> list[str]:
    limit, offset = kw.pop("limit", 20), kw.pop("offset", 0)
    return [
        s.rsplit("/", 1)[1] for s in store.story_ids(StoryFilter(**kw), limit=limit, offset=offset)
    ]


def test_browse_methods_have_the_protocols_parameters(store: Store) -> None:
    for name, member in vars(Browse).items():
        if inspect.isfunction(member) and not name.startswith("_"):
            implementation = getattr(type(store), name)
            expected = inspect.signature(member).parameters.values()
            actual = inspect.signature(implementation).parameters.values()
            assert [(p.name, p.kind, p.default) for p in actual] == [
                (p.name, p.kind, p.default) for p in expected
            ], name


def test_stories_latest_first_paged_and_counted(store: Store) -> None:
    fill(store)
    assert ids(store) == ["1", "4"]  # 1's latest article is 2 days after DAY; 4 is before
    assert store.count_stories(StoryFilter()) == 2
    assert ids(store, limit=1) == ["1"] and ids(store, limit=1, offset=1) == ["4"]
    assert ids(store, offset=2) == []
    store.add(art(7, published=DAY + timedelta(days=5)))
    assert ids(store) == ["7", "1", "4"]  # the store changed: nothing stale remembered
    assert store.count_stories(StoryFilter()) == 3


def test_story_filters(store: Store) -> None:
    fill(store)
    assert ids(store, source="gamma") == ["1"]  # a copy's outlet counts too
    assert ids(store, source="beta") == ["1", "4"]
    assert ids(store, source="nobody") == []
    assert ids(store, subtopic="military") == ["4"]
    assert ids(store, subtopic="visit") == ["1"]
    assert ids(store, since=DAY) == ["1"]
    assert ids(store, until=DAY - timedelta(days=1)) == ["4"]
    # in a period holding only story 1's copy: no new article of it there, no story
    assert ids(store, since=DAY + timedelta(hours=3), until=DAY + timedelta(hours=3)) == []
    assert ids(store, statuses=("new",), source="gamma") == []
    assert store.count_stories(StoryFilter(source="beta", since=DAY)) == 1


def test_story_articles_in_time_order_within_the_filter(store: Store) -> None:
    fill(store)
    found = store.story_articles([f"{SITE}/1"])
    assert [a.canonical_url.rsplit("/", 1)[1] for a in found] == ["1", "3", "2"]
    assert found[1].status == "duplicate" and found[1].duplicate_of == f"{SITE}/1"
    only_new = store.story_articles([f"{SITE}/1"], StoryFilter(statuses=("new",)))
    assert [a.canonical_url for a in only_new] == [f"{SITE}/1", f"{SITE}/2"]
    early = store.story_articles([f"{SITE}/1", f"{SITE}/4"], StoryFilter(until=DAY + timedelta(1)))
    assert [a.canonical_url.rsplit("/", 1)[1] for a in early] == ["4", "1", "3"]
    assert store.story_articles([f"{SITE}/nope"]) == []
    assert store.story_articles([]) == []


def test_coverage_per_day_and_week(store: Store) -> None:
    fill(store)
    days = store.coverage(StoryFilter())
    assert days == [
        CoverageCount("2026-11-14", None, 1, 1),
        CoverageCount("2026-11-18", None, 3, 1),  # 1, its copy 3, and 6 (a seed's copy)
        CoverageCount("2026-11-20", None, 1, 1),
    ]
    weeks = store.coverage(StoryFilter(), by="week")
    assert weeks == [
        CoverageCount("2026-11-09", None, 1, 1),  # Saturday 14th: the week of Monday 9th
        CoverageCount("2026-11-16", None, 4, 1),
    ]
    assert store.coverage(StoryFilter(statuses=("new",)), by="week")[1].articles == 2
    assert store.coverage(StoryFilter(since=DAY + timedelta(days=1))) == [days[2]]


def test_coverage_split_and_filtered(store: Store) -> None:
    fill(store)
    by_source = store.coverage(StoryFilter(), split="source")
    assert [(c.bucket, c.key, c.articles) for c in by_source] == [
        ("2026-11-14", "beta", 1),
        ("2026-11-18", "alpha", 2),
        ("2026-11-18", "gamma", 1),
        ("2026-11-20", "beta", 1),
    ]
    by_topic = store.coverage(StoryFilter(), split="subtopic")
    assert [(c.bucket, c.key, c.articles) for c in by_topic] == [
        ("2026-11-14", "military", 1),  # one article, counted under each of its subtopics
        ("2026-11-14", "trade", 1),
        ("2026-11-18", "visit", 3),
        ("2026-11-20", "visit", 1),
    ]
    assert store.coverage(StoryFilter(source="beta")) == [
        CoverageCount("2026-11-14", None, 1, 1),
        CoverageCount("2026-11-20", None, 1, 1),
    ]
    assert [c.bucket for c in store.coverage(StoryFilter(subtopic="trade"))] == ["2026-11-14"]


def test_newest(store: Store) -> None:
    assert store.newest() is None
    fill(store)
    assert store.newest() == DAY + timedelta(days=2)
    assert store.newest(("duplicate",)) == DAY + timedelta(hours=6)


def test_a_page_read_before_another_process_writes_is_not_kept(tmp_path: Path) -> None:
    for backend in sorted(BACKENDS):
        url = BACKENDS[backend](tmp_path / backend)
        reader, writer = open_store(url), open_store(url)
        try:
            fill(writer)
            assert ids(reader) == ["1", "4"] and reader.count_stories(StoryFilter()) == 2
            writer.add(art(8, published=DAY + timedelta(days=9)))
            assert ids(reader) == ["8", "1", "4"] and reader.count_stories(StoryFilter()) == 3
        finally:
            reader.close()
            writer.close()

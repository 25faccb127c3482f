"""`rasad search`: the query language, the Arabic-aware index in the store, snippets, and the
command. Known-item search over real ANT articles respelled the way another outlet would write
them is at the end (skipped without ../shared/data)."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_store_contract import BACKENDS

from monitor.cli import main
from monitor.deliver.search import _densest, parse, snippet
from monitor.errors import UsageError
from monitor.text import search_terms
from store import open_store
from store.base import StoredArticle
from store.protocols import Store

NOW = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)


def art(n: int, title: str, text: str, **kw: object) -> StoredArticle:
    url = f"http://news.example/{n}"
    fields: dict[str, object] = {
        "url": url,
        "canonical_url": url,
        "source": "alpha",
        "title": title,
        "text": text,
        "status": "new",
        "fetched": NOW - timedelta(days=n),
        "published": NOW - timedelta(days=n),
        "verdict": {"subtopics": ["visit"]},
    }
    fields.update(kw)
    return StoredArticle(**fields)  # type: ignore[arg-type]


CORPUS = [
    art(1, "بوتين يصل إلى بيونغ يانغ", "وصل الرئيس الروسي فلاديمير بوتين إلى العاصمة الكورية."),
    art(
        2,
        "لقاء في موسكو",
        "التقى لافروف نظيرته الكورية الشمالية في موسكو لبحث جسر تومين.",
        source="beta",
        verdict={"subtopics": ["diplomacy", "transport"]},
    ),
    art(
        3,
        "كيم جونغ أون يزور مصنعا",
        "تفقد الزعيم الكوري الشمالي كيم جونغ أون مصنعا للذخيرة.",
        verdict={"subtopics": ["military"]},
    ),
    art(
        4,
        "عقوبات أمريكية جديدة",
        "فرضت واشنطن عقوبات على شركات روسية بسبب كوريا الشمالية.",
        status="off_topic",
    ),
    art(
        5,
        "المسؤولون الروس في سيول",
        "قال مسؤولون إن موسكو لن تتراجع عن اتفاقياتها مع بيونج يانج.",
        status="duplicate",
        duplicate_of="http://news.example/1",
    ),
]


@pytest.fixture(params=sorted(BACKENDS))
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return BACKENDS[request.param](tmp_path)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = open_store(store_url)
    for a in CORPUS:
        s.add(a)
    yield s
    s.close()


def found(store: Store, q: str, **kw: object) -> list[int]:
    hits = store.search(parse(q), **kw)  # type: ignore[arg-type]
    return [int(h.article.url.rsplit("/", 1)[1]) for h in hits]


# ---------------------------------------------------------------------- spelling


@pytest.mark.parametrize("q", ["بوتين", "بوتن", "لبوتين", "وبوتين", "البوتين"])
def test_spellings_of_putin_find_the_same_article(store: Store, q: str) -> None:
    assert found(store, q) == [1]


@pytest.mark.parametrize("q", ["كيم جونج أون", "كيم جونغ اون", '"كيم يونغ أون"', "كيم أون"])
def test_spellings_of_kim_jong_un(store: Store, q: str) -> None:
    assert found(store, q) == [3]


def test_hamza_ta_marbuta_alef_maqsura_clitics_and_suffixes(store: Store) -> None:
    assert found(store, "الى العاصمه الكوريه") == [1]  # إلى / العاصمة / الكورية
    assert found(store, "وبموسكو") == [2]
    assert found(store, "نظيرتها") == [2]  # نظيرته: the same stem
    every = ("new", "duplicate", "off_topic")
    assert found(store, "المسئولين", statuses=every) == [5]  # مسؤولون: hamza seat, plural
    assert sorted(found(store, "بيونغ يانغ", statuses=every)) == [1, 5] or sorted(
        found(store, "بيونج يانج", statuses=every)
    ) == [5]


def test_headline_outranks_text(store: Store, tmp_path: Path) -> None:
    store.add(art(6, "جسر تومين يفتتح", "افتتح الجسر الجديد."))
    assert found(store, "تومين")[0] == 6


# ---------------------------------------------------------------------- the query language


def test_phrases_or_prefix_and_exclusion(store: Store) -> None:
    assert found(store, '"جسر تومين"') == [2]
    assert found(store, '"تومين جسر"') == []  # a phrase keeps its order
    assert sorted(found(store, "لافروف OR بوتين")) == [1, 2]
    assert found(store, "موسكو -تومين", statuses=("new", "duplicate", "off_topic")) == [5]
    assert sorted(found(store, "كور*")) == [1, 2, 3]
    assert found(store, '"جسر تومي*"') == [2] or found(store, '"جسر تو*"') == [2]


def test_the_query_parser() -> None:
    q = parse('"كيم جونج أون" OR لبوتين -سيول قمة*')
    assert [[t.words for t in g] for g in q.all_of] == [
        [("كيم", "جونغ", "اون"), ("بوتين",)],
        [("قمه",)],
    ]
    assert q.all_of[1][0].prefix and [t.words for t in q.none_of] == [("سيول",)]
    assert parse('"غير مغلق').all_of[0][0].words == ("غير", "مغلق")  # unclosed quote
    for nothing in ("", "   ", "***", "-بوتين", '""', "OR", "؟!،"):
        with pytest.raises(UsageError):
            parse(nothing)


HOSTILE = [
    '"',
    "*",
    "NEAR(",
    "AND",
    ":",
    "^",
    "(((",
    ")",
    '"بوتين',
    "title:بوتين",
    "بوتين NOT كيم",
    "NEAR(بوتين كيم, 5)",
    "-",
    "OR OR",
    "بوتين OR",
    "{title}: x",
    "x AND OR NOT",
    "'",
    "\\",
    "\x00",
    "%_",
    "بوتين*" * 3,
    "a" * 2000,
]


@pytest.mark.parametrize("q", HOSTILE)
def test_operator_soup_never_reaches_fts(store: Store, q: str) -> None:
    try:
        query = parse(q)
    except UsageError as exc:
        assert "\n" not in str(exc)
        return
    store.search(query, statuses=("new", "duplicate", "off_topic"))


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=80))
def test_any_string_is_a_query_or_a_usage_error(store: Store, q: str) -> None:
    try:
        query = parse(q)
    except UsageError:
        return
    store.search(query, statuses=("new", "duplicate", "off_topic"), sort="date")


# ---------------------------------------------------------------------- filters and index upkeep


def test_filters(store: Store) -> None:
    every = ("new", "duplicate", "off_topic")
    assert found(store, "موسكو", sources=["beta"]) == [2]
    assert sorted(found(store, "كوري*", statuses=every)) == [1, 2, 3, 4]
    assert found(store, "كوري*", statuses=every, since=NOW - timedelta(days=2, hours=1)) == [1, 2]
    assert found(store, "كوري*", statuses=every, until=NOW - timedelta(days=3, hours=1)) == [4]
    assert found(store, "كوري*", subtopic="military") == [3]
    assert found(store, "عقوبات") == [] and found(store, "عقوبات", statuses=["off_topic"]) == [4]
    assert found(store, "كوري*", statuses=every, sort="date") == [1, 2, 3, 4]
    assert found(store, "كوري*", statuses=every, sort="date", limit=2, offset=1) == [2, 3]


def test_an_edit_in_place_and_a_rejudge_keep_the_index_right(store: Store) -> None:
    store.add(replace(CORPUS[0], text="نص جديد عن شويغو في بيونغ يانغ."))
    assert found(store, "شويغو") == [1] and found(store, "فلاديمير") == []
    store.rejudge(CORPUS[2].url, "off_topic", 0.1, None)
    assert found(store, "مصنعا") == [] and found(store, "مصنعا", statuses=["off_topic"]) == [3]


def test_reindex_and_the_version_mark(store: Store) -> None:
    assert store.index_version() == search_terms.version()
    store._db.execute("DELETE FROM article_search")  # type: ignore[attr-defined]  # drifted
    store._db.execute("UPDATE state SET value = 'old' WHERE key = 'search.version'")  # type: ignore[attr-defined]
    assert found(store, "بوتين") == [] and store.index_version() == "old"
    assert store.reindex() == len(CORPUS)
    assert found(store, "بوتين") == [1] and store.index_version() == search_terms.version()


# ---------------------------------------------------------------------- snippets


def test_snippets_cut_at_words_and_mark_whole_words() -> None:
    text = (
        "في مقدمة طويلة " * 30
        + "قال الرئيس الروسي فلاديمير بوتين إن لبوتين رأيا، وأكد أن الزيارة "
        + "مُهِمَّةٌ جدا. "
        + "ختام " * 40
    )
    sn = snippet(text, parse("بوتين مهمة").words, size=12)
    assert sn.text.startswith("… ") and sn.text.endswith(" …")
    marked = [sn.text[s:e] for s, e in sn.marks]
    assert marked == ["بوتين", "لبوتين", "مُهِمَّةٌ"]
    core = sn.text.removeprefix("… ").removesuffix(" …")
    assert core in text.replace("\n", " ")
    start = text.index(core)
    assert start == 0 or not re.match(r"[^\W_]", text[start - 1])  # no word cut at the start
    end = start + len(core)
    assert end == len(text) or not re.match(r"[^\W_]|[\u064b-\u065f]", text[end])


def test_snippets_mark_both_words_of_a_name_the_normaliser_joins() -> None:
    text = "وصل لافروف إلى بيونج يانج أمس، ثم غادر بيونغيانغ. " + "ختام " * 20
    sn = snippet(text, parse("بيونغ يانغ لافروف").words, size=10)
    assert [sn.text[s:e] for s, e in sn.marks] == ["لافروف", "بيونج", "يانج", "بيونغيانغ"]


# ---------------------------------------------------------------------- the command


def write_config(tmp_path: Path, store_url: str) -> Path:
    path = tmp_path / "rasad.toml"
    path.write_text(
        f'[store]\nurl = "{store_url}"\n'
        '[[sources]]\nname = "alpha"\ntitle = "ألفا"\nfeeds = ["http://a.example/f"]\n'
        '[[sources]]\nname = "beta"\ntitle = "بيتا"\nfeeds = ["http://b.example/f"]\n',
        encoding="utf-8",
    )
    return path


def test_the_command_text_and_json(
    store: Store, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(write_config(tmp_path, store_url))
    assert main(["search", "-c", config, "لبوتين"]) == 0
    out = capsys.readouterr()
    assert out.err == "" and "1. " in out.out and "«بوتين»" in out.out and "ألفا" in out.out
    assert main(["search", "-c", config, "موسكو", "--status", "all", "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert {r["url"] for r in records} == {CORPUS[1].url, CORPUS[4].url}
    for r in records:
        assert {"url", "canonical_url", "title", "status", "score", "snippet", "story"} <= set(r)
        for start, end in r["highlights"]:
            assert r["snippet"][start:end]
    assert main(["search", "-c", config, "لا شيء يطابق هذا"]) == 0
    assert capsys.readouterr().out.strip() == "no match"


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["***"], "nothing to search for"),
        (["بوتين", "--source", "nope"], "no such source"),
        (["بوتين", "--limit", "0"], "between 1 and 1000"),
        (["بوتين", "--since", "2026-12-01", "--until", "2026-11-01"], "--since is after"),
        (["بوتين", "--since", "yesterday"], "is not a date"),
    ],
)
def test_usage_errors_are_one_line_exit_2(
    store: Store,
    store_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    said: str,
) -> None:
    assert main(["search", "-c", str(write_config(tmp_path, store_url)), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert said in err[-1], err


@pytest.mark.parametrize("q", HOSTILE[:20])
def test_hostile_queries_at_the_command(
    store: Store, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], q: str
) -> None:
    code = main(["search", "-c", str(write_config(tmp_path, store_url)), "--", q])
    err = capsys.readouterr().err
    assert code in (0, 2) and "Traceback" not in err and len(err.splitlines()) <= 1


def test_a_stale_index_says_so_and_reindex_fixes_it(
    store: Store, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store._db.execute("UPDATE state SET value = 'old' WHERE key = 'search.version'")  # type: ignore[attr-defined]
    config = str(write_config(tmp_path, store_url))
    assert main(["search", "-c", config, "بوتين"]) == 0
    assert "rasad reindex" in capsys.readouterr().err
    assert main(["reindex", "-c", config]) == 0
    assert f"{len(CORPUS)} articles" in capsys.readouterr().out
    assert main(["search", "-c", config, "بوتين"]) == 0
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------------- known-item search

# how outlets differ: hamza on alef, ta marbuta and final ya written bare (or dotted)
RESPELL = [("أ", "ا"), ("إ", "ا"), ("آ", "ا"), ("ة", "ه"), ("ؤ", "ئ")]
FINAL = [("ى", "ي"), ("ي", "ى")]
VARIANTS = [("بيونغ يانغ", "بيونج يانج"), ("بوتين", "بوتن"), ("شويغو", "شويجو")]


def respelled(word: str, rng: random.Random) -> str:
    for a, b in RESPELL:
        if a in word and rng.random() < 0.7:
            word = word.replace(a, b)
    for a, b in FINAL:
        if word.endswith(a) and rng.random() < 0.7:
            word = word[:-1] + b
    if rng.random() < 0.3 and word[0] not in "وفبلك":
        word = rng.choice(("و", "ب", "ل")) + word  # and his..., in..., for...
    elif rng.random() < 0.3 and word.startswith("و") and len(word) > 4:
        word = word[1:]  # the other outlet wrote it without the conjunction
    return word


@pytest.mark.slow
@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_known_item_search_finds_respelled_articles_in_the_top_3(
    tmp_path: Path, summary_lines: dict[str, list[str]], backend: str
) -> None:
    from fixture_site import load_ant_articles

    articles = load_ant_articles(1500, seed=11)
    s = open_store(BACKENDS[backend](tmp_path))
    for n, a in enumerate(articles):
        s.add(art(n, a.title, a.text, fetched=NOW, published=NOW))
    rng = random.Random(5)
    trials, top3 = 0, 0
    misses: list[str] = []
    for n, a in enumerate(articles[:300]):
        words = [w for w in re.findall(r"[\u0621-\u064a]{4,}", a.text) if not w.startswith("ال")]
        if len(words) < 8:
            continue
        picked = rng.sample(words[: min(len(words), 120)], rng.choice((3, 4)))
        text = " ".join(respelled(w, rng) for w in picked)
        for old, new in VARIANTS:
            text = text.replace(old, new)
        trials += 1
        ranks = [int(h.article.url.rsplit("/", 1)[1]) for h in s.search(parse(text), limit=3)]
        if n in ranks:
            top3 += 1
        else:
            misses.append(text)
    s.close()
    share = top3 / trials
    summary_lines.setdefault("known-item search (tests/test_search.py)", []).append(
        f"{top3}/{trials} respelled 3-4 word queries found their article in the top 3"
        f" ({share:.1%}) among {len(articles)} ANT articles ({backend})"
    )
    assert trials >= 200 and share >= 0.95, (share, misses[:10])


@given(
    st.lists(st.frozensets(st.sampled_from("abcde"), max_size=2), max_size=60),
    st.integers(min_value=1, max_value=12),
)
def test_the_sliding_window_finds_the_densest_run(found: list[frozenset[str]], size: int) -> None:
    def shown(first: int) -> int:
        return len(frozenset().union(*found[first : first + size]))

    starts = range(max(1, len(found) - size + 1))
    best = max(starts, key=lambda first: (shown(first), -first))  # most terms, earliest
    assert _densest(found, size) == best

#!/usr/bin/env python3
"""What archive search costs at a million articles: building the index, answering queries,
and the ingest time the index adds to each stored article.

**Documents.** The first 31.5k are the real ANT articles (../shared/data), title and
paragraphs as published. Beyond them, each document is resampled from ANT: a *model* article
drawn at random gives the title, the number of paragraphs and the first half of them (so the
headline, the lead and the topic stay coherent, and lengths keep ANT's distribution); the
other half are real paragraphs drawn from random ANT articles of the same section (world
news with world news, sport with sport). Every word and phrase is therefore a real one at
its real per-paragraph frequency; what scales is document frequency (a word in 0.1% of ANT is
in about 0.1% of the million), which is what a query's cost depends on. The set is about 32
resamplings of the same 31.5k, so a rare word's matches are partly near-copies of each other;
that changes nothing for cost and little for the ranking.

**Metadata** (so that filters have work to do): fetched times run in id order (the order a
crawl stores articles) over three years; published is fetched minus a few hours (an
exponential delay), with 3% late discoveries (published up to a year before fetched) and 4%
without a date. Sources: 15 of seeds/sources.toml, Zipf-weighted (ANT articles keep their
own outlet). Status: 85% new, 10% duplicate (of an earlier article), 5% off_topic. Verdict
JSON for new and duplicate articles with 0 to 3 subtopics of the lexicon, drawn with assumed
weights (military and diplomacy common, space and workers rare; 45% with none).

**Building** is a bulk load of the real schema (a store created by `SQLiteStore`, so every
migration ran): `articles` rows and `article_search` rows inserted with SQL, 5,000 articles a
transaction, in id order; the FTS text of every document is `search_terms.index_terms` of
its title and text, computed in worker processes (``--workers``, default 2) while the main
process inserts. No dedup index or story clustering (that is the dedup bench's subject).

**Queries**: 50 fixed ones (7 classes x plain/date-sorted/each filter), each through the real
path: `parse`, `store.search(limit=20)` and `snippet` for each hit. The first run of each
query in a fresh connection is reported as "first" (SQLite's cache is cold, the OS page
cache is warm from the build: a truly cold disk is not measured); then ``--repeat`` warm
runs, of which p50 / p99 / max per class, per filter and overall. The slowest queries get
their EXPLAIN QUERY PLAN, match counts and rows visited.

**Ingest**: ~2,000 real ANT articles through the real `SQLiteStore.add` into a fresh store,
once as is and once with `store.sqlite.archive.fts.index` patched to a no-op and the covering
index search reads dropped, twice each, alternating; the best round of each is reported. (What
the index costs a whole crawl: `bench/crawl_bench.py` with and without
``--rasad bench/rasad_without_search_index.py``.)

Run: ``.venv/bin/python bench/search_bench.py [--size 1000000] [--workers 2]``
(``--size 20000`` for a quick run). Temporary data goes under a tempfile directory, removed
at the end (1M needs about 12 GB of free disk); ``--db FILE`` keeps the built store there and,
when FILE exists, measures it without building again.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import load_fixture_site  # bench/ is sys.path[0] for a script

from monitor.deliver.search import parse, snippet
from monitor.judge.seeds import text_hash
from monitor.text import search_terms
from store.base import STATUSES, SearchHit
from store.sqlite import SQLiteStore, fts
from store.sqlite import archive as sqlite_archive
from store.sqlite import search as sqlite_search
from store.sqlite.connection import iso

CHUNK = 5000
START = datetime(2023, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=3 * 365)
SOURCES = (  # name, Zipf weight
    ("rt_arabic", 1 / 1),
    ("aljazeera", 1 / 2),
    ("skynews", 1 / 3),
    ("alarabiya", 1 / 4),
    ("bbc_arabic", 1 / 5),
    ("sputnik_ar", 1 / 6),
    ("france24_ar", 1 / 7),
    ("cnn_arabic", 1 / 8),
    ("aawsat", 1 / 9),
    ("anadolu_ar", 1 / 10),
    ("dw_arabic", 1 / 11),
    ("alaraby", 1 / 12),
    ("almayadeen", 1 / 13),
    ("youm7", 1 / 14),
    ("yonhap_ar", 1 / 15),
)
ANT_SOURCES = {"SK": "skynews", "AA": "alarabiya", "BBC": "bbc_arabic"}
ANT_SOURCES.update({"CNN": "cnn_arabic", "FR": "france24_ar", "F24": "france24_ar"})
SUBTOPICS = (  # lexicon subtopic, assumed share of the tags
    ("military", 0.24),
    ("diplomacy", 0.20),
    ("sanctions", 0.12),
    ("visit", 0.10),
    ("summit", 0.08),
    ("relations", 0.08),
    ("trade", 0.05),
    ("treaty", 0.04),
    ("aid", 0.03),
    ("transport", 0.03),
    ("workers", 0.02),
    ("space", 0.01),
)


# --------------------------------------------------------------------------------------------
# Material (shared with the workers by fork)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Doc:
    source: str
    section: str
    title: str
    paragraphs: tuple[str, ...]


_ANT: list[Doc] = []
_BY_SECTION: dict[str, list[int]] = {}
_N = 0


def load_ant() -> list[Doc]:
    site = load_fixture_site()
    docs = []
    for a in site.load_ant_articles(40_000, seed=7):
        prefix = a.origin.removeprefix("ant:").split("-", 1)[0]
        docs.append(Doc(ANT_SOURCES.get(prefix, ""), a.section, a.title, tuple(a.paragraphs)))
    return docs


def _document(i: int) -> Doc:
    """Document i: an ANT article, or resampled from ANT (see the module's docstring)."""
    if i < len(_ANT):
        return _ANT[i]
    rng = random.Random(i)
    model = _ANT[rng.randrange(len(_ANT))]
    keep = (len(model.paragraphs) + 1) // 2
    pool = _BY_SECTION[model.section]
    others = []
    for _ in range(len(model.paragraphs) - keep):
        donor = _ANT[pool[rng.randrange(len(pool))]].paragraphs
        others.append(donor[rng.randrange(len(donor))])
    return Doc("", model.section, model.title, (*model.paragraphs[:keep], *others))


def _metadata(i: int, source: str) -> dict[str, Any]:
    rng = random.Random(-1 - i)
    fetched = START + SPAN * (i / max(1, _N)) + timedelta(seconds=rng.random() * 30)
    late = rng.random()
    if late < 0.04:
        published = None
    elif late < 0.07:
        published = fetched - timedelta(days=rng.random() * 365)
    else:
        published = fetched - timedelta(hours=rng.expovariate(1 / 3))
    if not source:
        source = rng.choices([s for s, _ in SOURCES], [w for _, w in SOURCES])[0]
    roll = rng.random()
    status = "new" if roll < 0.85 else "duplicate" if roll < 0.95 else "off_topic"
    verdict = None
    if status != "off_topic":
        k = rng.choices((0, 1, 2, 3), (0.45, 0.35, 0.15, 0.05))[0]
        tags = sorted({rng.choices(*zip(*SUBTOPICS, strict=True))[0] for _ in range(k)})
        verdict = {"on_topic": True, "score": round(0.5 + rng.random() * 4, 3), "subtopics": tags}
    return {
        "fetched": fetched,
        "published": published,
        "source": source,
        "status": status,
        "verdict": verdict,
        "duplicate_of": f"https://{source}.example/news/{rng.randrange(i)}"
        if status == "duplicate" and i
        else None,
    }


def _rows(chunk: tuple[int, int]) -> list[tuple[tuple[Any, ...], tuple[int, str, str]]]:
    """(articles row, article_search row) of documents start .. start+count-1."""
    start, count = chunk
    out = []
    for i in range(start, start + count):
        doc = _document(i)
        meta = _metadata(i, doc.source)
        text = "\n\n".join(doc.paragraphs)
        url = f"https://{meta['source']}.example/news/{i}"
        row = (
            i + 1,
            url,
            url,
            meta["source"],
            doc.title,
            iso(meta["published"]),
            iso(meta["fetched"]),
            text,
            text_hash(text),
            "ar",
            meta["status"],
            meta["verdict"]["score"] if meta["verdict"] else 0.0,
            json.dumps(meta["verdict"], ensure_ascii=False) if meta["verdict"] else None,
            meta["duplicate_of"],
            0.9 if meta["duplicate_of"] else None,
            url if meta["status"] == "new" else meta["duplicate_of"],
        )
        terms = (
            i + 1,
            " ".join(search_terms.index_terms(doc.title)),
            " ".join(search_terms.index_terms(text)),
        )
        out.append((row, terms))
    return out


# --------------------------------------------------------------------------------------------
# 1. Building
# --------------------------------------------------------------------------------------------

#: The prototype's index: the columns the filters read, beside the id (what a match costs).
_INSERT_ARTICLE = (
    "INSERT INTO articles (id, url, canonical_url, source, title, published, fetched, text,"
    " text_hash, language, status, relevance, verdict, duplicate_of, similarity, story)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def fts_bytes(db: sqlite3.Connection) -> dict[str, int]:
    rows = db.execute(
        "SELECT name, sum(pgsize) FROM dbstat WHERE name LIKE 'article_search%' GROUP BY name"
    )
    return {str(name): int(size) for name, size in rows}


def build(path: Path, n: int, workers: int) -> dict[str, Any]:
    SQLiteStore(path).close()  # the real schema, every migration run
    t0 = time.perf_counter()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=OFF")  # a throwaway file: no journal while loading
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-1048576")  # 1 GB: the articles indexes stay in memory
    chunks = [(i, min(CHUNK, n - i)) for i in range(0, n, CHUNK)]
    insert_s = 0.0
    done = 0
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers) as pool:
        for rows in pool.imap(_rows, chunks):
            t = time.perf_counter()
            db.execute("BEGIN")
            db.executemany(_INSERT_ARTICLE, [r for r, _ in rows])
            db.executemany(
                "INSERT INTO article_search (rowid, title, body) VALUES (?, ?, ?)",
                [s for _, s in rows],
            )
            db.execute("COMMIT")
            insert_s += time.perf_counter() - t
            done += len(rows)
            if done % 100_000 == 0 or done == n:
                print(f"  built {done:,} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    db.execute(
        "INSERT INTO state (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (fts.VERSION_KEY, search_terms.version()),
    )
    t = time.perf_counter()
    db.execute("ANALYZE")
    analyze_s = time.perf_counter() - t
    build_s = time.perf_counter() - t0
    db.execute("PRAGMA journal_mode=WAL")  # as the store runs it
    t = time.perf_counter()
    sizes = fts_bytes(db)
    articles_bytes = db.execute(
        "SELECT sum(pgsize) FROM dbstat WHERE name = 'articles' OR name LIKE 'articles_%'"
        " OR name LIKE 'sqlite_autoindex_articles%'"
    ).fetchone()[0]
    segments = db.execute(
        "SELECT count(*) FROM article_search_data WHERE id >= 10"  # rough: leaf pages
    ).fetchone()[0]
    cover_bytes = db.execute(
        "SELECT sum(pgsize) FROM dbstat WHERE name = ?", (fts.COVER,)
    ).fetchone()[0]
    dbstat_s = time.perf_counter() - t
    count = db.execute("SELECT count(*) FROM articles").fetchone()[0]
    db.close()
    return {
        "n": count,
        "build_s": build_s,
        "insert_s": insert_s,
        "analyze_s": analyze_s,
        "fts": sizes,
        "articles_bytes": int(articles_bytes or 0),
        "cover_bytes": int(cover_bytes or 0),
        "file_bytes": path.stat().st_size,
        "fts_data_pages": segments,
        "dbstat_s": dbstat_s,
    }


# --------------------------------------------------------------------------------------------
# 2. Queries
# --------------------------------------------------------------------------------------------

CLASSES = {
    "rare word": ("شويغو", "فلاديفوستوك", "خاسان", "تومين", "بيلوسوف", "لافروف", "شويغو"),
    "common word": ("روسيا", "قال", "كوريا", "الشمالية", "روسيا", "قال", "كوريا"),
    "two words": (
        "بوتين كيم",
        "لافروف بيونغ يانغ",
        "عقوبات روسيا",
        "قمة فلاديفوستوك",
        "صواريخ كوريا",
        "موسكو بيونغ يانغ",
        "بوتين كيم",
    ),
    "phrase": (
        '"كيم جونغ أون"',
        '"جسر تومين"',
        '"مجلس الأمن"',
        '"الأسلحة النووية"',
        '"كيم جونغ أون"',
        '"كوريا الشمالية"',
        '"جسر تومين"',
    ),
    "prefix": ("صاروخ*", "نووي*", "عقوب*", "روسي*", "صاروخ*", "بالست*", "نووي*"),
    "OR": (
        "شويغو OR بيلوسوف",
        "بيونغ يانغ OR سيول",
        "قمة OR لقاء كيم",
        "موسكو OR الكرملين",
        "شويغو OR بيلوسوف",
        "عقوبات OR حظر كوريا",
        "قمة OR لقاء كيم",
    ),
    "exclusion": (
        "كوريا -الجنوبية",
        "روسيا -أوكرانيا",
        "صواريخ -إيران",
        "كيم -ترامب",
        "كوريا -الجنوبية",
        "بوتين -أوكرانيا",
        "روسيا -أوكرانيا",
    ),
}
FILTERS = ("none", "sort=date", "source", "since", "until", "status all", "subtopic")


@dataclass(frozen=True)
class BenchQuery:
    cls: str
    text: str
    filt: str
    kwargs: dict[str, Any]


def queries() -> list[BenchQuery]:
    end = START + SPAN
    options: dict[str, dict[str, Any]] = {
        "none": {},
        "sort=date": {"sort": "date"},
        "source": {"sources": ("aljazeera",)},  # the second largest: ~15% of articles
        "since": {"since": end - timedelta(days=90)},
        "until": {"until": end - timedelta(days=2 * 365)},  # the oldest year only
        "status all": {"statuses": STATUSES},
        "subtopic": {"subtopic": "visit"},
    }
    out = []
    for cls, texts in CLASSES.items():
        for text, filt in zip(texts, FILTERS, strict=True):
            out.append(BenchQuery(cls, text, filt, options[filt]))
    out.append(  # the 50th: an analyst narrowing down
        BenchQuery(
            "two words",
            "بوتين كيم",
            "source+since+subtopic",
            {"sources": ("rt_arabic",), "since": end - timedelta(days=365), "subtopic": "summit"},
        )
    )
    return out


SearchFn = Callable[..., list[SearchHit]]


def run_query(
    search: SearchFn, q: BenchQuery, snip: Callable[..., Any] = snippet
) -> tuple[float, float, int]:
    """(total ms, of which snippets ms, hits) of one query as `rasad search` runs it."""
    t0 = time.perf_counter()
    query = parse(q.text)
    hits = search(query, limit=20, **q.kwargs)
    t1 = time.perf_counter()
    for hit in hits:
        snip(hit.article.text, query.words)
    t2 = time.perf_counter()
    return (t2 - t0) * 1e3, (t2 - t1) * 1e3, len(hits)


def measure(
    search: SearchFn, qs: list[BenchQuery], repeat: int, snip: Callable[..., Any] = snippet
) -> dict[str, Any]:
    first = [run_query(search, q, snip) for q in qs]
    warm: list[list[tuple[float, float, int]]] = [[] for _ in qs]
    for _ in range(repeat):
        for j, q in enumerate(qs):
            warm[j].append(run_query(search, q, snip))
    return {"first": first, "warm": warm}


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(values: Sequence[float]) -> str:
    return f"{statistics.median(values):7.1f} {pct(values, 0.99):7.1f} {max(values):7.1f}"


def diagnose(path: Path, q: BenchQuery) -> dict[str, Any]:
    """Match count, rows the ranking window visits, and the plan of one query."""
    db = sqlite3.connect(path)
    query = parse(q.text)
    expr = sqlite_search.expression(query)
    matches = db.execute(
        "SELECT count(*) FROM article_search WHERE article_search MATCH ?", (expr,)
    ).fetchone()[0]
    options: dict[str, Any] = {"since": None, "until": None, "sources": (), "subtopic": None}
    options |= {"statuses": ("new",), "sort": "relevance"} | q.kwargs
    window, params = sqlite_search.ranking_window(query, rows=sqlite_search.RANK_WINDOW, **options)
    plan = [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + window, params)]
    # rows the window visits before its LIMIT: every match from the rowid of its last row
    inner_rows = db.execute(f"SELECT count(*), min(id) FROM ({window})", params).fetchone()
    visited = db.execute(
        "SELECT count(*) FROM article_search WHERE article_search MATCH ? AND rowid >= ?",
        (expr, inner_rows[1] or 0),
    ).fetchone()[0]
    if inner_rows[0] < sqlite_search.RANK_WINDOW:
        visited = matches  # the window was not filled: every match was visited
    db.close()
    return {"matches": matches, "window": inner_rows[0], "visited": visited, "plan": plan}


# --------------------------------------------------------------------------------------------
# 3. Ingest
# --------------------------------------------------------------------------------------------


def ingest(tmp: Path, n: int) -> dict[str, Any]:
    from store.base import StoredArticle

    site = load_fixture_site()
    docs = site.load_ant_articles(n, seed=11)
    now = datetime.now(UTC)
    articles = [
        StoredArticle(
            url=f"https://ant.example/{a.slug}",
            canonical_url=f"https://ant.example/{a.slug}",
            source="bbc_arabic",
            title=a.title,
            text="\n\n".join(a.paragraphs),
            status="new",
            fetched=now,
            published=a.published,
            verdict={"on_topic": True, "score": 1.0, "subtopics": ["visit"]},
        )
        for a in docs
    ]
    real_index = sqlite_archive.fts.index
    index_s = [0.0]

    def timed_index(*args: Any) -> None:
        t = time.perf_counter()
        real_index(*args)
        index_s[0] += time.perf_counter() - t

    results: dict[str, list[float]] = {"with index": [], "without index": [], "fts.index": []}
    for rnd in range(2):
        for label in ("with index", "without index"):
            path = tmp / f"ingest-{label.replace(' ', '-')}-{rnd}.db"
            store = SQLiteStore(path)
            if label == "without index":
                store._db.execute(f"DROP INDEX {fts.COVER}")
            index_s[0] = 0.0
            sqlite_archive.fts.index = (  # type: ignore[assignment]
                timed_index if label == "with index" else (lambda *a: None)
            )
            try:
                t = time.perf_counter()
                for article in articles:
                    store.add(article)
                elapsed = time.perf_counter() - t
            finally:
                sqlite_archive.fts.index = real_index  # type: ignore[assignment]
                store.close()
            results[label].append(elapsed * 1e3 / len(articles))
            if label == "with index":
                results["fts.index"].append(index_s[0] * 1e3 / len(articles))
            path.unlink()
            for extra in ("-wal", "-shm"):
                Path(str(path) + extra).unlink(missing_ok=True)
    return {"n": len(articles), **{k: min(v) for k, v in results.items()}, "all": results}


# --------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    global _N
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="articles (default 1M)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5, help="warm runs of each query")
    parser.add_argument("--ingest", type=int, default=2000, help="articles stored via add()")
    parser.add_argument("--tmp", type=Path, help="parent of the temporary directory")
    parser.add_argument("--db", type=Path, help="keep the built store here; reuse it if it exists")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="rasad-search-bench-", dir=args.tmp))
    try:
        free = shutil.disk_usage(tmp).free
        print(f"temporary directory {tmp} ({free / 2**30:.0f} GB free)", file=sys.stderr)
        t = time.perf_counter()
        _ANT.extend(load_ant())
        for j, doc in enumerate(_ANT):
            _BY_SECTION.setdefault(doc.section, []).append(j)
        _N = args.size
        print(f"ANT: {len(_ANT):,} articles in {time.perf_counter() - t:.0f} s", file=sys.stderr)

        path = args.db or tmp / "search.db"
        figures = path.with_name(path.name + ".build.json")
        if path.exists() and figures.exists():
            built = json.loads(figures.read_text())
            print(f"  measuring {path} ({built['n']:,} articles) as built before", file=sys.stderr)
        else:
            built = build(path, args.size, args.workers)
            figures.write_text(json.dumps(built))
            print(f"  built in {built['build_s']:.0f} s", file=sys.stderr)

        qs = queries()
        store = SQLiteStore(path)
        try:
            real = measure(store.search, qs, args.repeat)
        finally:
            store.close()
        worst = sorted(
            range(len(qs)), key=lambda j: -statistics.median(x[0] for x in real["warm"][j])
        )[:8]
        diagnoses = {j: diagnose(path, qs[j]) for j in worst}
        ingested = ingest(tmp, args.ingest)
        report(args, built, qs, real, worst, diagnoses, ingested)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def show(args: argparse.Namespace, qs: list[BenchQuery], title: str, data: dict[str, Any]) -> None:
    print(f"\n{title}: ms per query (parse + search + 20 snippets), warm x{args.repeat}")
    print(f"{'':24s} {'p50':>7s} {'p99':>7s} {'max':>7s}   first-run p50/max  snippets p50")
    groups: dict[str, list[int]] = {}
    for j, q in enumerate(qs):
        groups.setdefault(q.cls, []).append(j)
    for j, q in enumerate(qs):
        groups.setdefault("filter: " + q.filt, []).append(j)
    groups["overall"] = list(range(len(qs)))
    for name, idx in groups.items():
        warm = [x[0] for j in idx for x in data["warm"][j]]
        snip = [x[1] for j in idx for x in data["warm"][j]]
        first = [data["first"][j][0] for j in idx]
        print(
            f"{name:24s} {summary(warm)}   {statistics.median(first):7.1f}/{max(first):7.1f}"
            f"  {statistics.median(snip):7.1f}"
        )


def report(
    args: argparse.Namespace,
    built: dict[str, Any],
    qs: list[BenchQuery],
    real: dict[str, Any],
    worst: list[int],
    diagnoses: dict[int, dict[str, Any]],
    ingested: dict[str, Any],
) -> None:
    n = built["n"]
    mb = 2**20
    fts_total = sum(built["fts"].values())
    print(f"\n== search index of {n:,} articles (workers {args.workers})")
    print(
        f"build {built['build_s']:.0f} s = {built['build_s'] * 1e3 / n:.2f} ms/article"
        f" (main process inserting {built['insert_s']:.0f} s, ANALYZE {built['analyze_s']:.0f} s)"
    )
    print(
        f"file {built['file_bytes'] / mb:,.0f} MB = {built['file_bytes'] / n:,.0f} B/article;"
        f" articles table+indexes {built['articles_bytes'] / mb:,.0f} MB;"
        f" FTS {fts_total / mb:,.0f} MB = {fts_total / n:,.0f} B/article"
    )
    print(
        "  FTS tables: "
        + ", ".join(
            f"{k.removeprefix('article_search')} {v / mb:,.0f} MB ({v / n:,.0f} B/art)"
            for k, v in sorted(built["fts"].items(), key=lambda kv: -kv[1])
        )
    )
    cover = built["cover_bytes"]
    print(f"  covering index {fts.COVER} {cover / mb:,.0f} MB ({cover / n:,.0f} B/article)")
    print(f"  (dbstat took {built['dbstat_s']:.0f} s)")

    def table(title: str, data: dict[str, Any]) -> None:
        show(args, qs, title, data)

    table("real path (store.search)", real)
    print("\nslowest queries (real path): warm p50 ms, hits, snippets ms; matches; plan")
    for j in worst:
        q, d = qs[j], diagnoses[j]
        warm = [x[0] for x in real["warm"][j]]
        snip = [x[1] for x in real["warm"][j]]
        print(
            f"  {statistics.median(warm):7.1f} ms  [{q.cls} / {q.filt}] {q.text!r}:"
            f" {real['warm'][j][0][2]} hits, snippets {statistics.median(snip):.1f} ms;"
            f" {d['matches']:,} matches, window {d['window']:,} rows after visiting"
            f" {d['visited']:,} matches"
        )
        for line in d["plan"]:
            print(f"      {line}")

    print(f"\n== ingest through SQLiteStore.add, {ingested['n']:,} real ANT articles (best of 2)")
    w, wo = ingested["with index"], ingested["without index"]
    print(
        f"with index {w:.2f} ms/article, without {wo:.2f} ms/article:"
        f" +{w - wo:.2f} ms/article (+{(w - wo) / wo:.0%}); fts.index itself"
        f" {ingested['fts.index']:.2f} ms/article"
    )
    print(
        f"  rounds: {json.dumps({k: [round(x, 2) for x in v] for k, v in ingested['all'].items()})}"
    )

    allw = [x[0] for j in range(len(qs)) for x in real["warm"][j]]
    print("\n== summary")
    print(f"articles               {n:,}")
    per = built["build_s"] * 1e3 / n
    print(f"build                  {built['build_s']:.0f} s ({per:.2f} ms/article)")
    print(f"FTS size               {fts_total / n:,.0f} B/article ({fts_total / mb:,.0f} MB)")
    print(f"disk (file)            {built['file_bytes'] / mb:,.0f} MB")
    print(f"query p50 / p99 / max  {summary(allw)} ms (goal 20 / 100)")
    print(f"ingest +index          {w - wo:+.2f} ms/article ({w:.2f} vs {wo:.2f})")


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""What deduplicating one article costs with 10k and with 1M fingerprints in the store.

Why: the index must keep working at a million articles with bounded memory. This bench builds
an index of N fingerprints in a temporary SQLite file (store/sqlite/dedup_index.py), then, in
a fresh process so its memory is the query path's alone, dedups sample articles against it and
reports the per-article cost of fingerprint + candidates + verification, candidate counts,
detection, and that process's peak RSS.

The fingerprints: the ANT corpus (31.5k real Arabic articles, ../shared/data) first; beyond
that, synthetic documents modelled on ANT ones: same length, and where the model has a
*common* shingle (seen in several ANT articles: stock phrases, titles, names, the background
that makes unrelated articles collide) the synthetic one gets a common shingle drawn with its
corpus frequency, where the model has a rare one it gets a fresh random value. Each synthetic
document is a distinct article with a real length and a realistic share and spread of common
phrases, not a near-copy of its model (which would fill the index with duplicate clusters).

Building: up to ``--api-limit`` documents go through ``dedup_index.add_many`` (the real write
path); larger indexes are bulk-loaded the way a re-index would be: fingerprint rows appended,
band postings appended to a staging table and moved into ``dedup_bands`` with one sorted
``INSERT ... SELECT``, so the B-tree is written in key order instead of at random.

Queries (the same for every N): 500 SaudiNewsNet articles (not in the index: new articles) and
500 republications of indexed ANT articles (shortened to 70% with a new lead paragraph: near-
duplicates to find).

Run: ``.venv/bin/python bench/dedup_bench.py [--sizes 10000,1000000] [--workers 2]``
(1M: about 7 minutes on 2 cores and 2.2 GB of temporary disk).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from array import array
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from monitor.judge import dedup
from store.sqlite import dedup_index

REPO = Path(__file__).resolve().parents[1]

DEFAULT_DATA = REPO.parent / "shared" / "data"
ANT_TAR = "corpora/ant-multisource/full_corpus_Alarabia_BBC_CNN_France24_SkyNews.tar.xz"
SNN_JSONL = "corpora/saudinewsnet/_derived/cross_source_same_title_members.jsonl"
SKETCH_BITS = 24  # count-min sketch of shingle document frequency: 16 MB of counters
COMMON_DF = 4  # a shingle seen in at least this many ANT articles is "common"
CHUNK = 5000


# --------------------------------------------------------------------------------------------
# Material
# --------------------------------------------------------------------------------------------


def load_ant(data: Path) -> list[tuple[str, str, str]]:
    """(path, title, text) of every ANT article, in a fixed shuffled order."""
    from dedup_eval import load_ant as load_ant_texts  # bench/ is sys.path[0] for a script

    out = sorted((t.key, t.title, t.text) for t in load_ant_texts(data).values())
    random.Random(1).shuffle(out)
    return out


def load_snn(data: Path, n: int) -> list[tuple[str, str, str]]:
    rows = []
    with (data / SNN_JSONL).open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if len(row["content"].split()) >= 40:
                rows.append((f"snn:{row['zip_file']}#{row['index']}", row["title"], row["content"]))
    random.Random(2).shuffle(rows)
    return rows[:n]


# --------------------------------------------------------------------------------------------
# Fingerprints, real and synthetic (in worker processes)
# --------------------------------------------------------------------------------------------

_REAL: list[tuple[int, ...]] = []  # shingle sequences of the real articles, shared by fork
_SKETCH: array[int] = array("B")
_POOL: array[int] = array("I")  # common shingles, each once per article that has it


def _real_fp(item: tuple[str, str, str]) -> tuple[str, dedup.Fingerprint]:
    key, title, text = item
    return key, dedup.fingerprint(title, text)


def _common(s: int) -> bool:
    mask = (1 << SKETCH_BITS) - 1
    return min(_SKETCH[(s * m >> 7) & mask] for m in _SKETCH_MULTS) >= COMMON_DF


_SKETCH_MULTS = (0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D)


def _synthetic_rows(start: int, count: int) -> list[tuple[tuple[Any, ...], tuple[int, ...]]]:
    """Fingerprint rows (as dedup_index stores them) and band keys of synthetic documents."""
    rows = []
    for i in range(start, start + count):
        model = _REAL[i % len(_REAL)]
        rng = random.Random(i)
        sequence = [
            _POOL[rng.randrange(len(_POOL))] if _common(s) else rng.getrandbits(32) for s in model
        ]
        shingle_set = set(sequence)
        bands = dedup.band_keys(dedup.signature(shingle_set))
        digest = hashlib.sha256(f"synthetic-{i}".encode()).digest()
        row = (
            f"synthetic:{i}",
            digest,
            len(shingle_set),
            len(sequence) + 1,
            1,
            dedup.FINGERPRINT_VERSION,
            dedup.pack_shingles(shingle_set),
        )
        rows.append((row, bands))
    return rows


def _synthetic_chunk(args: tuple[int, int]) -> list[tuple[tuple[Any, ...], tuple[int, ...]]]:
    return _synthetic_rows(*args)


def build_sketch(sequences: Sequence[Sequence[int]]) -> array[int]:
    sketch = array("B", bytes(1 << SKETCH_BITS))
    mask = (1 << SKETCH_BITS) - 1
    for seq in sequences:
        for s in set(seq):
            for m in _SKETCH_MULTS:
                j = (s * m >> 7) & mask
                if sketch[j] < 255:
                    sketch[j] += 1
    return sketch


# --------------------------------------------------------------------------------------------
# Building the index
# --------------------------------------------------------------------------------------------


def connect(path: Path, *, build: bool) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    if build:  # a throwaway file: durability is not the point while loading it
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA cache_size=-262144")  # 256 MB for the sort
    else:  # what the store does
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
    return db


def build_index(
    path: Path, real: list[tuple[str, dedup.Fingerprint]], n: int, workers: int, api_limit: int
) -> dict[str, Any]:
    start = time.perf_counter()
    db = connect(path, build=True)
    db.execute("BEGIN IMMEDIATE")
    dedup_index.create_schema(db)
    db.execute("COMMIT")
    n_real = min(n, len(real))
    if n <= api_limit:
        db.execute("BEGIN IMMEDIATE")
        dedup_index.add_many(db, real[:n_real])
        db.execute("COMMIT")
    else:
        db.execute("CREATE TEMP TABLE stage (key INTEGER NOT NULL, fp INTEGER NOT NULL)")
        db.execute("BEGIN IMMEDIATE")
        next_id = _bulk_real(db, real[:n_real])
        db.execute("COMMIT")
        ctx = multiprocessing.get_context("fork")
        chunks = [(i, min(CHUNK, n - n_real - i)) for i in range(0, n - n_real, CHUNK)]
        with ctx.Pool(workers) as pool:
            for rows in pool.imap(_synthetic_chunk, chunks):
                db.execute("BEGIN IMMEDIATE")
                next_id = _bulk_rows(db, rows, next_id)
                db.execute("COMMIT")
        db.execute("BEGIN IMMEDIATE")
        db.execute(
            "INSERT OR IGNORE INTO dedup_bands (key, fp) SELECT key, fp FROM stage ORDER BY key, fp"
        )
        db.execute("DROP TABLE stage")
        db.execute("COMMIT")
    db.execute("ANALYZE")
    counts = {
        "fingerprints": db.execute("SELECT count(*) FROM dedup_fingerprints").fetchone()[0],
        "postings": db.execute("SELECT count(*) FROM dedup_bands").fetchone()[0],
    }
    db.close()
    return {"build_s": time.perf_counter() - start, **counts}


_INSERT_FP = (
    "INSERT INTO dedup_fingerprints (id, doc, text_hash, shingle_count, token_count, banded,"
    " version, shingles) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def _bulk_real(db: sqlite3.Connection, real: list[tuple[str, dedup.Fingerprint]]) -> int:
    """Real fingerprints through the bulk path (exact copies within ANT keep one posting set)."""
    seen: set[str] = set()
    rows: list[tuple[tuple[Any, ...], tuple[int, ...]]] = []
    for key, fp in real:
        banded = fp.judgeable and fp.shingle_count > 0 and fp.text_hash not in seen
        seen.add(fp.text_hash)
        row = (
            key,
            bytes.fromhex(fp.text_hash) if fp.hashable else None,
            fp.shingle_count,
            fp.token_count,
            int(banded),
            dedup.FINGERPRINT_VERSION,
            dedup.pack_shingles(fp.sequence),
        )
        rows.append((row, fp.bands if banded else ()))
    return _bulk_rows(db, rows, 1)


def _bulk_rows(
    db: sqlite3.Connection, rows: list[tuple[tuple[Any, ...], tuple[int, ...]]], next_id: int
) -> int:
    db.executemany(_INSERT_FP, [(next_id + j, *row) for j, (row, _) in enumerate(rows)])
    db.executemany(
        "INSERT INTO stage (key, fp) VALUES (?, ?)",
        [(k, next_id + j) for j, (_, bands) in enumerate(rows) for k in bands],
    )
    return next_id + len(rows)


# --------------------------------------------------------------------------------------------
# Querying (in a fresh process: its peak RSS is the query path's)
# --------------------------------------------------------------------------------------------


def run_queries(db_path: Path, queries_path: Path) -> dict[str, Any]:
    queries = [json.loads(line) for line in queries_path.open(encoding="utf-8")]
    db = connect(db_path, build=False)
    timings: dict[str, dict[str, list[float]]] = {}
    outcome: dict[str, list[int]] = {}
    for q in queries[:20]:  # warm the normaliser's memo and SQLite's page cache a little
        dedup_index.find_duplicate(db, dedup.fingerprint(q["title"], q["text"]))
    for q in queries:  # what the pipeline runs for one article
        t0 = time.perf_counter()
        fp = dedup.fingerprint(q["title"], q["text"])
        t1 = time.perf_counter()
        match = dedup_index.find_duplicate(db, fp)
        t2 = time.perf_counter()
        stage = timings.setdefault(
            q["kind"],
            {"fingerprint": [], "find_duplicate": [], "total": [], "of which candidates": []},
        )
        stage["fingerprint"].append((t1 - t0) * 1e6)
        stage["find_duplicate"].append((t2 - t1) * 1e6)
        stage["total"].append((t2 - t0) * 1e6)
        found = match is not None and match.doc == q.get("expect")
        outcome.setdefault(q["kind"] + ":found", []).append(int(found))
        outcome.setdefault(q["kind"] + ":flagged", []).append(int(match is not None))
        synthetic = match is not None and match.doc.startswith("synthetic:")
        outcome.setdefault(q["kind"] + ":synthetic", []).append(int(synthetic))
    for q in queries:  # the candidate query alone (a second pass: its pages are warm)
        fp = dedup.fingerprint(q["title"], q["text"])
        t0 = time.perf_counter()
        cands = dedup_index.candidates(db, fp)
        timings[q["kind"]]["of which candidates"].append((time.perf_counter() - t0) * 1e6)
        outcome.setdefault(q["kind"], []).append(len(cands))
    db.close()
    return {
        "timings": timings,
        "outcome": outcome,
        "peak_rss_mb": peak_rss_mb(),
    }


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM: unlike ru_maxrss, not inherited across exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def write_queries(
    path: Path,
    real: list[tuple[str, str, str]],
    snn: list[tuple[str, str, str]],
    n_index: int,
    n: int,
) -> None:
    from dedup_eval import LEADS, truncate, with_new_lead  # bench/ is sys.path[0] for a script

    rng = random.Random(3)
    indexed = real[: min(n_index, len(real))]
    with path.open("w", encoding="utf-8") as fh:
        for key, title, text in snn[:n]:
            fh.write(
                json.dumps(
                    {"kind": "new", "key": key, "title": title, "text": text}, ensure_ascii=False
                )
                + "\n"
            )
        for key, title, text in rng.sample([r for r in indexed if len(r[2].split()) >= 80], n):
            t, x = with_new_lead(title, truncate(text), rng.choice(LEADS), "عاجل | ")
            fh.write(
                json.dumps(
                    {"kind": "republished", "key": key, "title": t, "text": x, "expect": key},
                    ensure_ascii=False,
                )
                + "\n"
            )


def report(n: int, build: dict[str, Any], size_mb: float, result: dict[str, Any]) -> None:
    print(
        f"\n== N = {n:,} fingerprints ({build['fingerprints']:,} rows,"
        f" {build['postings']:,} band postings)"
    )
    print(
        f"build {build['build_s']:.0f} s, database {size_mb:.0f} MB"
        f" ({size_mb * 1024 * 1024 / max(1, build['fingerprints']):.0f} bytes/fingerprint)"
    )
    for kind, stages in result["timings"].items():
        parts = "  ".join(
            f"{name} p50 {statistics.median(v):.0f} / p95 {pct(v, 0.95):.0f}"
            for name, v in stages.items()
        )
        cands = result["outcome"][kind]
        flagged = sum(result["outcome"][kind + ":flagged"])
        found = sum(result["outcome"][kind + ":found"])
        synthetic = sum(result["outcome"][kind + ":synthetic"])
        what = f"flagged as duplicate {flagged}/{len(cands)} (of a synthetic document: {synthetic})"
        if kind == "republished":
            what += f"; of their own source {found}, else of another ANT copy of it"
        print(f"{kind:12s} µs: {parts}")
        print(
            f"{'':12s} candidates/query mean {statistics.mean(cands):.1f}"
            f" p95 {pct(cands, 0.95):.0f}; {what}"
        )
    print(f"query process peak RSS {result['peak_rss_mb']:.0f} MB")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default="10000,1000000",
        help="index sizes, comma-separated (default 10000,1000000)",
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--queries", type=int, default=500, help="queries of each kind")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--api-limit",
        type=int,
        default=50_000,
        help="largest index built through dedup_index.add_many",
    )
    parser.add_argument("--keep", type=Path, help="build the databases here and keep them")
    parser.add_argument(
        "--query-only", nargs=2, metavar=("DB", "QUERIES"), type=Path, help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.query_only:
        print(json.dumps(run_queries(*args.query_only)))
        return 0
    if not (args.data / ANT_TAR).is_file():
        print(f"the shared data is not available: {args.data / ANT_TAR} is absent", file=sys.stderr)
        return 2
    sizes = [int(s) for s in args.sizes.split(",")]
    t = time.perf_counter()
    texts = load_ant(args.data)
    snn = load_snn(args.data, args.queries)
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(args.workers) as pool:
        real = pool.map(_real_fp, texts, chunksize=500)
    _REAL.extend(fp.sequence for _, fp in real if fp.judgeable)
    _SKETCH.extend(build_sketch(_REAL))
    _POOL.extend(s for seq in _REAL for s in set(seq) if _common(s))
    print(
        f"{len(real):,} ANT articles fingerprinted in {time.perf_counter() - t:.0f} s"
        f" ({args.workers} workers); common shingles (seen in >= {COMMON_DF} articles) are"
        f" {len(_POOL) / max(1, sum(len(set(q)) for q in _REAL)):.0%} of an article's"
    )
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="rasad-dedup-bench-", dir=args.keep) as tmp:
            folder = args.keep or Path(tmp)
            db_path = folder / f"dedup-{n}.db"
            db_path.unlink(missing_ok=True)
            build = build_index(db_path, real, n, args.workers, args.api_limit)
            size_mb = db_path.stat().st_size / 1e6
            queries = Path(tmp) / "queries.jsonl"
            write_queries(queries, texts, snn, n, args.queries)
            out = subprocess.run(
                [sys.executable, __file__, "--query-only", str(db_path), str(queries)],
                check=True,
                capture_output=True,
                text=True,
            )
            report(n, build, size_mb, json.loads(out.stdout))
            if args.keep is None:
                db_path.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

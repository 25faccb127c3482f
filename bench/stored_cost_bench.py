"""Cost per article as the store grows: the same fresh pages crawled into stores pre-filled with
0, 10,000 and 100,000 articles. Prints figures; asserts nothing.

    .venv/bin/python bench/stored_cost_bench.py [--sizes 0,10000,100000] [--fresh 1000]
        [--writes 300] [--repeat 1] [--seed 0] [--per-host 2] [--keep DIR] [--rasad PATH]

The pre-filled articles are written through the store API (`Archive.add`, as an import would:
fingerprinted, full-text and near-duplicate indexed, story-clustered), one per URL under
https://archive.example/. Their texts are made from the ANT corpus (../shared/data) without
the fresh articles: each is 8 paragraphs drawn at random from the others' paragraphs, under one
of their titles, so no two of them, and none of them and a fresh page, are near-duplicates; 2%
are stored "new", the rest "off_topic" (about the share a desk's real backlog has). The stores
are filled once, in order of size, each copied when its size is reached; --keep DIR keeps them
there for the next run (100,000 takes a few minutes to write).

Then, for each size, on a copy of its store:

    crawl   (after one small warm-up crawl) `rasad crawl` of the same --fresh ANT pages from
            the fixture site (as bench/crawl_bench.py runs it): wall and CPU ms per article,
            the seconds to the first article request (work at start that grows with the store
            shows there)
    writes  in this process, `Archive.add_unless_duplicate` of --writes further fresh ANT
            articles stored "new" (so the duplicate lookup runs; fingerprints computed
            beforehand, not timed): ms per write, mean, median, p95 and max; and the store
            file's growth per article
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import REPO, load_fixture_site
from crawl_bench import CORES, run_crawl

from monitor.judge.dedup import fingerprint
from monitor.judge.seeds import text_hash
from monitor.text.urls import canonical_url
from store import StoredArticle, open_store

PARAGRAPHS_PER_ARTICLE = 8
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def db_files(path: Path) -> list[Path]:
    return [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]


def copy_db(source: Path, target: Path) -> None:
    for part in db_files(source):
        shutil.copyfile(part, target.parent / part.name.replace(source.name, target.name))


def synthetic(i: int, seed: int, titles: list[str], paragraphs: list[str]) -> Any:
    """Pre-filled article `i`: the same for a seed whatever was written before it."""
    rng = random.Random(seed * 1_000_003 + i)
    text = "\n\n".join(rng.sample(paragraphs, PARAGRAPHS_PER_ARTICLE))
    url = f"https://archive.example/{i}"
    fetched = NOW - timedelta(minutes=i)
    return StoredArticle(
        url=url,
        canonical_url=canonical_url(url),
        source="archive",
        title=f"{rng.choice(titles)} ({i})",
        text=text,
        status="new" if rng.random() < 0.02 else "off_topic",
        fetched=fetched,
        published=fetched - timedelta(hours=1),
        language="ar",
        text_hash=text_hash(text),
    )


def prefill(
    sizes: list[int], folder: Path, seed: int, titles: list[str], paragraphs: list[str]
) -> dict[int, Path]:
    """A store file per size under `folder`; one there from an earlier run is reused, and the
    largest of them is the starting point of the larger ones."""
    paths = {size: folder / f"prefill-{size}-seed{seed}.db" for size in sizes}
    missing = sorted(size for size, path in paths.items() if not path.exists())
    if not missing:
        print(f"pre-filled stores reused from {folder}")
        return paths
    work = folder / "filling.db"
    for part in db_files(work):
        part.unlink()
    done = [size for size in sizes if size < missing[0] and paths[size].exists()]
    written = max(done, default=0)
    if written:
        copy_db(paths[written], work)
        print(f"pre-filling from the stored {written} articles in {paths[written]}")
    store = open_store(f"sqlite:///{work}")
    started, start = time.perf_counter(), written
    try:
        for size in missing:
            while written < size:
                store.add(synthetic(written, seed, titles, paragraphs))
                written += 1
                if written % 10_000 == 0:
                    rate = (written - start) / (time.perf_counter() - started)
                    print(f"  pre-filling: {written} articles, {rate:.0f}/s", flush=True)
            store.close()  # checkpoints the WAL into the file
            copy_db(work, paths[size])
            store = open_store(f"sqlite:///{work}")
    finally:
        store.close()
    for part in db_files(work):
        part.unlink()
    print(f"pre-filled {written - start} articles in {time.perf_counter() - started:.0f} s")
    return paths


def timed_writes(db: Path, articles: list[Any]) -> tuple[list[float], int]:
    """ms per `add_unless_duplicate` of each article (stored "new"), and the file's growth."""
    rows = []
    for n, article in enumerate(articles):
        url = f"https://fresh.example/{n}/{article.slug}"
        rows.append(
            (
                StoredArticle(
                    url=url,
                    canonical_url=canonical_url(url),
                    source="fresh",
                    title=article.title,
                    text=article.text,
                    status="new",
                    fetched=NOW,
                    published=article.published,
                    language="ar",
                    text_hash=text_hash(article.text),
                ),
                fingerprint(article.title, article.text),
            )
        )
    before = sum(p.stat().st_size for p in db_files(db))
    store = open_store(f"sqlite:///{db}")
    times = []
    try:
        for stored, fp in rows:
            started = time.perf_counter()
            store.add_unless_duplicate(stored, fp)
            times.append((time.perf_counter() - started) * 1000)
    finally:
        store.close()
    return times, sum(p.stat().st_size for p in db_files(db)) - before


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="0,10000,100000", help="pre-filled store sizes")
    parser.add_argument("--fresh", type=int, default=1000, help="ANT pages crawled per size")
    parser.add_argument("--writes", type=int, default=300, help="timed in-process writes")
    parser.add_argument("--repeat", type=int, default=1, help="crawls per size (median)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--per-host", type=int, default=2, help="crawl.concurrency_per_host")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the pre-filled stores here")
    parser.add_argument("--rasad", type=Path, default=REPO / ".venv" / "bin" / "rasad")
    parser.add_argument("--timeout", type=float, default=3600.0)
    args = parser.parse_args(argv)
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    fixture_site = load_fixture_site()

    started = time.perf_counter()
    try:
        everything = fixture_site.load_ant_articles(10**6, seed=args.seed)
    except FileNotFoundError as exc:
        print(f"cannot run: {exc}", file=sys.stderr)
        return 2
    fresh = everything[: args.fresh]
    extra = everything[args.fresh : args.fresh + args.writes]
    rest = everything[args.fresh + args.writes :]
    titles = [a.title for a in rest]
    paragraphs = [p for a in rest for p in a.paragraphs if len(p.split()) >= 8]
    print(
        f"ANT: {len(fresh)} fresh pages to crawl, {len(extra)} for timed writes, pre-fill texts "
        f"from {len(paragraphs)} paragraphs of the other {len(rest)}; "
        f"loaded in {time.perf_counter() - started:.1f} s"
    )

    with tempfile.TemporaryDirectory(prefix="rasad-stored-cost-") as tmp_name:
        tmp = Path(tmp_name)
        folder = args.keep or tmp
        folder.mkdir(parents=True, exist_ok=True)
        stores = prefill(sizes, folder, args.seed, titles, paragraphs)
        warm = fixture_site.demo_site(extra[:50], seeds=False)  # page cache, imports, .pyc
        with warm:
            config = tmp / "warm-up.toml"
            config.write_text(
                fixture_site.rasad_config(warm, f"sqlite:///{tmp / 'warm-up.db'}"),
                encoding="utf-8",
            )
            run_crawl(args.rasad, config, args.timeout)
        results = []
        for size in sizes:
            runs = []
            for attempt in range(args.repeat):
                site = fixture_site.demo_site(fresh, seeds=False)
                with site:
                    db = tmp / f"crawl-{size}.db"
                    for part in db_files(db):
                        part.unlink()
                    copy_db(stores[size], db)
                    config = tmp / f"rasad-{size}.toml"
                    config.write_text(
                        fixture_site.rasad_config(
                            site, f"sqlite:///{db}", crawl={"concurrency_per_host": args.per_host}
                        ),
                        encoding="utf-8",
                    )
                    epoch = time.time()
                    run = run_crawl(args.rasad, config, args.timeout, lambda: 0, 10**9)
                    fetched = site.article_requests()
                    left = run.monitor.left_running() if run.monitor else []
                first = fetched[0].time - epoch if fetched else float("nan")
                runs.append((run.wall, run.cpu, first, len(fetched)))
                print(
                    f"\nstore of {size} articles, crawl {attempt + 1}/{args.repeat}: exit "
                    f"{run.returncode}, {len(fetched)} pages in {run.wall:.1f} s, first article "
                    f"request at {first:.1f} s, CPU {run.cpu:.1f} s"
                )
                if left:
                    pids = ", ".join(map(str, left))
                    print(f"  LEFT RUNNING after the crawl exited: pids {pids}")
                if run.returncode not in (0, 1):
                    for line in run.stderr.strip().splitlines()[-10:]:
                        print(f"    ! {line}")
            wall, cpu, first, count = sorted(runs)[len(runs) // 2]  # the median by wall time
            pages = max(1, count)
            writes_db = tmp / f"writes-{size}.db"
            copy_db(stores[size], writes_db)
            times, growth = timed_writes(writes_db, extra)
            for part in db_files(writes_db) + db_files(db):
                part.unlink()
            times.sort()
            row = {
                "size": size,
                "wall_ms": wall * 1000 / pages,
                "cpu_ms": cpu * 1000 / pages,
                "first": first,
                "mean": statistics.fmean(times) if times else 0.0,
                "p50": times[len(times) // 2] if times else 0.0,
                "p95": times[int(len(times) * 0.95)] if times else 0.0,
                "max": times[-1] if times else 0.0,
                "kib": growth / 1024 / max(1, len(times)),
            }
            results.append(row)
            print(
                f"  crawl   {row['wall_ms']:.1f} ms/article wall, {row['cpu_ms']:.1f} ms/article "
                f"CPU (busy {cpu / (wall * CORES) * 100:.0f}% of {CORES} cores; "
                f"median of {len(runs)})"
            )
            print(
                f"  writes  {len(times)}: mean {row['mean']:.2f} ms, median {row['p50']:.2f}, "
                f"p95 {row['p95']:.2f}, max {row['max']:.2f}; file +{row['kib']:.1f} KiB/article"
            )

    base = results[0]
    print(
        "\ncost per article by store size (relative to the smallest; "
        f"{len(fresh)} crawled pages, {len(extra)} timed writes):"
    )
    print("     stored  crawl ms wall  crawl ms CPU  first req s  write ms mean  p95   KiB/art")
    for row in results:
        change = (row["wall_ms"] / base["wall_ms"] - 1) * 100 if base["wall_ms"] else 0.0
        print(
            f"    {row['size']:7d}  {row['wall_ms']:8.1f} {change:+4.0f}%  {row['cpu_ms']:12.1f}"
            f"  {row['first']:11.1f}  {row['mean']:13.2f}  {row['p95']:5.2f}  {row['kib']:7.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

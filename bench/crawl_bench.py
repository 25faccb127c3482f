"""Crawl throughput against the local fixture news site. Prints figures; asserts nothing.

    .venv/bin/python bench/crawl_bench.py [--ant 500] [--seed 0] [--per-host 2] [--rasad PATH]

Starts tests/fixture_site.py's demo site on 127.0.0.1 (the five seed articles plus N articles from
the ANT corpus in ../shared/data, dealt over eight feeds of different forms), writes a temporary
rasad config pointing at it (SQLite store in a temporary directory, download_delay = 0,
obey_robots = true), and runs `rasad crawl --config FILE` twice as a subprocess:

    first crawl   wall seconds, article pages per second, peak RSS of the crawl process,
                  HTTP requests the site saw (by kind), outcomes from `rasad export --all`
    second crawl  article pages requested (should be 0: every URL is already known) and the
                  wall time of a pass that finds nothing new
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from _common import load_fixture_site  # bench/ is on sys.path when run as a script

REPO = Path(__file__).resolve().parents[1]


def command(rasad: Path) -> list[str]:
    """How to run `rasad` (a script such as bench/rasad_without_search_index.py runs under
    this Python)."""
    return [sys.executable, str(rasad)] if rasad.suffix == ".py" else [str(rasad)]


@dataclass(frozen=True)
class CrawlRun:
    wall: float
    returncode: int
    stdout: str
    stderr: str


def run_crawl(rasad: Path, config: Path, timeout: float) -> CrawlRun:
    started = time.perf_counter()
    process = subprocess.run(
        [*command(rasad), "crawl", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return CrawlRun(
        time.perf_counter() - started, process.returncode, process.stdout, process.stderr
    )


def outcomes(rasad: Path, config: Path) -> Counter[str] | None:
    """Stored items by status, from `rasad export --all --format jsonl`; None if unavailable."""
    process = subprocess.run(
        [*command(rasad), "export", "--all", "--format", "jsonl", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if process.returncode != 0:
        return None
    counts: Counter[str] = Counter()
    for line in process.stdout.splitlines():
        if line.strip():
            counts[str(json.loads(line).get("status"))] += 1
    return counts


def request_kinds(site: Any, fixture_site: ModuleType) -> Counter[str]:
    """The site's request log grouped: robots, feed, article, other; 304s counted apart."""
    feeds = set(site.feeds)
    articles = {page.path for page in site.pages}
    kinds: Counter[str] = Counter()
    for record in site.requests():
        key = fixture_site.route_key(record.path)
        kind = (
            "robots"
            if key == "/robots.txt"
            else "feed"
            if key in feeds
            else "article"
            if key in articles
            else "other"
        )
        kinds[kind] += 1
        if record.status == 304:
            kinds["feed 304"] += 1
    return kinds


def show_run(label: str, run: CrawlRun) -> None:
    print(f"{label}: exit {run.returncode}, {run.wall:.2f} s wall")
    report = run.stdout.strip().splitlines()
    for line in report[-12:]:
        print(f"    | {line}")
    if run.returncode not in (0, 1):
        for line in run.stderr.strip().splitlines()[-15:]:
            print(f"    ! {line}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ant", type=int, default=500, help="ANT articles to publish (500)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the ANT sample")
    parser.add_argument("--rasad", type=Path, default=REPO / ".venv" / "bin" / "rasad")
    parser.add_argument("--timeout", type=float, default=1800.0, help="per crawl, seconds")
    parser.add_argument(
        "--per-host",
        type=int,
        default=2,
        help="crawl.concurrency_per_host (2, rasad's polite default; the fixture site is one "
        "host, so this bounds throughput; 8 shows the CPU-bound rate)",
    )
    args = parser.parse_args(argv)
    if not args.rasad.exists():
        print(f"no rasad command at {args.rasad}", file=sys.stderr)
        return 2

    fixture_site = load_fixture_site()
    started = time.perf_counter()
    try:
        ant = fixture_site.load_ant_articles(args.ant, seed=args.seed) if args.ant else []
    except FileNotFoundError as exc:
        print(f"cannot run: {exc}", file=sys.stderr)
        return 2
    site = fixture_site.demo_site(ant)
    public = [p for p in site.pages if not p.path.startswith(fixture_site.Routes.PRIVATE_PREFIX)]
    print(
        f"fixture site: {len(public)} articles ({len(ant)} ANT + seeds) and 1 robots-disallowed, "
        f"{len(site.feeds)} feeds; prepared in {time.perf_counter() - started:.1f} s"
    )

    with site, tempfile.TemporaryDirectory(prefix="rasad-bench-") as tmp:
        config = Path(tmp) / "rasad.toml"
        config.write_text(
            fixture_site.rasad_config(
                site,
                f"sqlite:///{Path(tmp) / 'rasad.db'}",
                crawl={"concurrency_per_host": args.per_host},
            ),
            encoding="utf-8",
        )
        print(f"site {site.base_url}/  config {config}")

        first = run_crawl(args.rasad, config, args.timeout)
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
        kinds = request_kinds(site, fixture_site)
        article_pages = len(site.article_requests())
        print()
        show_run("first crawl", first)
        print(f"  wall seconds          {first.wall:.2f}")
        print(f"  article pages fetched {article_pages} of {len(public)}")
        print(f"  articles/s            {article_pages / first.wall:.1f}")
        print(f"  peak RSS (crawl)      {peak_kib / 1024:.0f} MiB")
        print(
            f"  HTTP requests seen    {sum(v for k, v in kinds.items() if k != 'feed 304')}"
            f"  ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))})"
        )
        disallowed = site.requests(path_prefix=fixture_site.Routes.PRIVATE_PREFIX)
        print(f"  robots-disallowed page requested: {len(disallowed)}")
        stored = outcomes(args.rasad, config)
        if stored is not None:
            print(f"  stored by status      {dict(sorted(stored.items()))}")

        site.clear_requests()
        second = run_crawl(args.rasad, config, args.timeout)
        kinds = request_kinds(site, fixture_site)
        again = site.article_requests()
        print()
        show_run("second crawl", second)
        print(f"  wall seconds          {second.wall:.2f}")
        print(f"  article pages fetched {len(again)} (expected 0, bar retried failures)")
        for record in again[:8]:
            print(f"    {record.status} {record.decoded_path}")
        print(
            f"  HTTP requests seen    {sum(v for k, v in kinds.items() if k != 'feed 304')}"
            f"  ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))})"
        )
        print(f"  feeds answered 304    {kinds['feed 304']} of {kinds['feed']}")
        disallowed = site.requests(path_prefix=fixture_site.Routes.PRIVATE_PREFIX)
        print(f"  robots-disallowed page requested: {len(disallowed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

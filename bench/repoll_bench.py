"""The cost of an unchanged re-poll of many feeds. Prints figures; asserts nothing.

    .venv/bin/python bench/repoll_bench.py [--feeds 100]

Serves the fixture site with N feeds (each lists the five seed articles, in turn in the
site's feed forms), crawls once, then crawls again with nothing changed and reports the
second crawl's requests (all should be conditional, answered 304) and wall time.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from _common import load_fixture_site  # bench/ is on sys.path when run as a script

FORMS = ("rss2", "atom", "rss1", "rss091", "rss2-cp1256")


def crawl(config: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "monitor.cli", "crawl", "--config", str(config)],
        capture_output=True,
        check=False,
    )
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=100)
    args = parser.parse_args()
    site_module = load_fixture_site()
    site = site_module.NewsSite()
    seeds = site_module.load_seed_articles()
    site.add_articles(seeds)
    for n in range(args.feeds):
        site.add_feed(f"/feeds/{n}.xml", seeds, form=FORMS[n % len(FORMS)])
    with site, tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "rasad.toml"
        config.write_text(
            site_module.rasad_config(
                site, f"sqlite:///{tmp}/rasad.db", crawl={"concurrency_per_host": 8}
            ),
            encoding="utf-8",
        )
        first = crawl(config)
        first_requests = len(site.requests())
        site.clear_requests()
        second = crawl(config)
        requests = site.requests()
        statuses = Counter(r.status for r in requests)
        conditional = sum(
            "if-none-match" in r.headers or "if-modified-since" in r.headers for r in requests
        )
    print(f"feeds                       {args.feeds}")
    print(f"first crawl                 {first:.2f} s, {first_requests} requests")
    print(f"unchanged re-poll           {second:.2f} s wall (process start included)")
    print(f"  requests                  {len(requests)}  by status {dict(statuses)}")
    print(f"  conditional               {conditional} of {len(requests)}")
    print(f"  per feed                  {second / args.feeds * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

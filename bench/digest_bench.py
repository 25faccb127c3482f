"""Time to build one digest (select, group into stories, render both parts, compose the MIME
message) over a store holding N new articles that no digest has sent yet.

Articles are real ANT news articles (../shared/data), stored through the crawl's own atomic
add, so stories and copies are assigned as a crawl assigns them; their subtopics come from
the real relevance judgement. Store preparation is not timed.

    .venv/bin/python bench/digest_bench.py [--articles 1000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _common import load_fixture_site

from monitor.cli.digest import plan
from monitor.config.loader import parse_config
from monitor.deliver.mail import compose
from monitor.judge.relevance import judge, load_lexicon
from store import open_store
from store.base import StoredArticle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    site = load_fixture_site()
    ant = site.load_ant_articles(args.articles, seed=3)
    lexicon = load_lexicon()
    now = datetime.now(UTC)
    config = parse_config(
        {"digest": {"recipients": ["analyst@example.org"], "sender": "rasad@example.org"}}
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        for n, a in enumerate(ant):
            verdict = judge(a.title, a.text, lexicon=lexicon)
            url = f"https://news.example/{n}/{a.slug}"
            stored = StoredArticle(
                url=url,
                canonical_url=url,
                source=f"outlet{n % 5}",
                title=a.title,
                text=a.text,
                status="new",
                fetched=now - timedelta(minutes=n),
                published=now - timedelta(hours=n % 72),
                relevance=verdict.score,
                verdict={"subtopics": sorted(verdict.subtopics), "matched": []},
            )
            store.add_unless_duplicate(replace(stored))
        counts = store.counts()
        times, size, entries = [], 0, 0
        for _ in range(args.repeat):
            began = time.perf_counter()
            digest = plan(store, config, "analyst@example.org", None, now)
            raw = bytes(compose(digest, config.digest, secret=b"bench", when=now))
            times.append((time.perf_counter() - began) * 1000)
            size, entries = len(raw), len(digest.entries)
        store.close()
    print(f"stored: {counts['new']} new, {counts['duplicate']} duplicate (of {len(ant)})")
    print(f"digest: {entries} stories, message {size / 1024:.0f} KiB")
    print(
        f"build time: median {statistics.median(times):.0f} ms, "
        f"min {min(times):.0f} ms over {args.repeat} builds"
    )


if __name__ == "__main__":
    main()

"""Cost of storing one on-topic article with its story assigned (`add_unless_duplicate`).

The hardest case for the story step: every article falls in one 4-day window, so each new
one is compared with the full candidate list (200). Articles are the five seeds' words
shuffled, so none is a duplicate and all compete for stories.

    .venv/bin/python bench/story_bench.py [--articles 1000]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.judge.seeds import load_seeds, text_hash
from store import open_store
from store.base import StoredArticle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    args = parser.parse_args()
    seeds = load_seeds()
    rng = random.Random(1)
    start = datetime(2024, 6, 1, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        timings = []
        began = time.perf_counter()
        for n in range(args.articles):
            seed = seeds[n % len(seeds)]
            words = seed.text.split()
            rng.shuffle(words)
            text = " ".join(words[:300]) + f" رقم {n}"
            when = start + timedelta(hours=n % 96)
            article = StoredArticle(
                url=f"https://bench.example/{n}",
                canonical_url=f"https://bench.example/{n}",
                source="bench",
                title=f"{seed.title} {n}",
                text=text,
                status="new",
                fetched=when,
                published=when,
                text_hash=text_hash(text),
            )
            t = time.perf_counter()
            store.add_unless_duplicate(article)
            timings.append(time.perf_counter() - t)
        total = time.perf_counter() - began
        store.close()
    timings.sort()
    print(
        f"{args.articles} on-topic adds in {total:.2f}s: "
        f"p50 {timings[len(timings) // 2] * 1000:.1f} ms, "
        f"p90 {timings[len(timings) * 9 // 10] * 1000:.1f} ms per article"
    )


if __name__ == "__main__":
    main()

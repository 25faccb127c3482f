"""Extraction cost: ms per page of `monitor.extract.article.extract_article` on real pages.

Reads every article page under ../shared/data/pages (plain, .gz and .bz2, with the recorded
response headers where there are some) and extracts each one `--rounds` times, after one
warm-up round. Pages that fail to extract are timed too (a failure costs time as well).

    .venv/bin/python bench/extract_bench.py [--rounds 20] [--pages DIR]
"""

from __future__ import annotations

import argparse
import bz2
import contextlib
import gzip
import json
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from _common import REPO

from monitor.errors import ExtractionError
from monitor.extract.article import extract_article

NOW = datetime(2026, 6, 1, tzinfo=UTC)
HTML = {"Content-Type": "text/html; charset=utf-8"}


def load_pages(root: Path) -> list[tuple[str, bytes, dict[str, str]]]:
    """(name, body, headers) of every page below `root`, in path order."""
    pages = []
    for path in sorted(root.rglob("*")):
        name = str(path.relative_to(root))
        if path.suffix == ".html":
            pages.append((name, path.read_bytes(), HTML))
        elif path.name.endswith(".html.gz"):
            pages.append((name, gzip.decompress(path.read_bytes()), HTML))
        elif path.suffix == ".bz2" and path.parent.name == "html":
            headers_file = path.parent.parent / "headers" / path.stem
            headers = json.loads(headers_file.read_text()) if headers_file.is_file() else {}
            pages.append((name, bz2.decompress(path.read_bytes()), headers))
    return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--pages", type=Path, default=REPO.parent / "shared" / "data" / "pages")
    args = parser.parse_args(argv)
    if not args.pages.is_dir():
        print(f"no pages at {args.pages} (see the shared data README)", file=sys.stderr)
        return 2
    pages = load_pages(args.pages)
    failed = 0
    for _name, body, headers in pages:  # warm-up (imports, regex and XPath compilation)
        try:
            extract_article(body, "https://example.org/a", headers, now=NOW)
        except ExtractionError:
            failed += 1
    per_round = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        for _name, body, headers in pages:
            with contextlib.suppress(ExtractionError):
                extract_article(body, "https://example.org/a", headers, now=NOW)
        per_round.append((time.perf_counter() - start) * 1000 / len(pages))
    print(
        f"{len(pages)} pages ({failed} fail to extract), {args.rounds} rounds: "
        f"median {statistics.median(per_round):.1f} ms/page, best {min(per_round):.1f} ms/page"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""What trafilatura's `fast` option (no fallback extractor) changes in rasad's extraction:
ANT articles rendered in the fixture site's four page templates are extracted once with the
shipped options and once with ``fast`` flipped; prints how many pages give the same title,
date and text (and the relevance verdict on that text), and the time per page of each.

    .venv/bin/python bench/extract_fast_check.py [--ant 1000]
"""

from __future__ import annotations

import argparse
import sys
import time

from _common import load_fixture_site

from monitor.errors import ExtractionError
from monitor.extract import body
from monitor.extract.article import extract_article
from monitor.judge.relevance import judge, load_lexicon


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ant", type=int, default=1000)
    args = parser.parse_args()
    site = load_fixture_site()
    articles = site.load_ant_articles(args.ant, seed=5)
    pages = []
    for n, article in enumerate(articles):
        template = site.TEMPLATES[n % len(site.TEMPLATES)]
        url = f"http://127.0.0.1/news/{120001 + n}/{article.slug}"
        rendered = site.render_article_page(article, template, url=url, page_id=120001 + n)
        pages.append((rendered, url))
    lexicon = load_lexicon()
    shipped = bool(body.TRAFILATURA_OPTIONS.get("fast", False))
    results: dict[bool, list[object]] = {}
    seconds: dict[bool, float] = {}
    for fast in (shipped, not shipped):
        body.TRAFILATURA_OPTIONS["fast"] = fast
        out: list[object] = []
        started = time.perf_counter()
        for rendered, url in pages:
            try:
                a = extract_article(rendered.body, url, {"Content-Type": rendered.content_type})
                verdict = judge(a.title, a.text, lexicon=lexicon)
                out.append((a.title, a.published, a.text, verdict.on_topic))
            except ExtractionError as exc:
                out.append(("failed", exc.reason))
        seconds[fast] = time.perf_counter() - started
        results[fast] = out
    body.TRAFILATURA_OPTIONS["fast"] = shipped
    a, b = results[True], results[False]
    failed = sum(len(x) == 2 for x in a), sum(len(y) == 2 for y in b)  # type: ignore[arg-type]
    same = sum(x == y for x, y in zip(a, b, strict=True))
    same_text = sum(
        len(x) == 4 and len(y) == 4 and x[2] == y[2]  # type: ignore[arg-type,index]
        for x, y in zip(a, b, strict=True)
    )
    flips = sum(
        len(x) == 4 and len(y) == 4 and x[3] != y[3]  # type: ignore[arg-type,index]
        for x, y in zip(a, b, strict=True)
    )
    n = len(pages)
    print(f"{n} pages (4 templates), shipped fast={shipped}")
    print(f"identical title, date, text and verdict: {same}/{n}; identical text {same_text}/{n}")
    print(f"relevance flips: {flips}; failed extractions fast={failed[0]}, not fast={failed[1]}")
    for fast in (True, False):
        print(f"fast={fast!s:5}  {seconds[fast] * 1e3 / n:.2f} ms/page")
    return 0


if __name__ == "__main__":
    sys.exit(main())

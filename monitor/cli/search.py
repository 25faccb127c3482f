"""`rasad search QUERY`: the archive, however it is spelled; `rasad reindex` rebuilds the index."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from monitor.cli._common import add_command, existing_store, reading_store, when
from monitor.config.loader import Config
from monitor.deliver.export import export_record, json_text, printable
from monitor.deliver.search import parse, snippet
from monitor.errors import UsageError
from monitor.schedule.locks import crawl_lock
from monitor.text import search_terms
from store.base import STATUSES, SearchHit, SearchQuery, Status

MAX_LIMIT = 1000
BOLD, PLAIN = "\033[1m", "\033[0m"


def _safe(text: str) -> str:
    """What a scraped string may show on a terminal: no escape sequences, no controls."""
    return printable(text)


def _limit(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not 1 <= number <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_LIMIT}")
    return number


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    search = add_command(
        commands,
        "search",
        summary="search the archive",
        description=(
            'Search the stored articles. Words must all match, in any order; "quoted '
            'phrases"; a trailing * for a prefix; OR between two terms; -word to exclude. '
            "Spelling does not matter: hamza and alef forms, ى/ي, ة/ه, بيونج/بيونغ, clitics "
            "(لبوتين, وبموسكو) and common suffixes are folded as in the stored texts."
        ),
        examples=(
            'rasad search "جسر تومين" --since 2026-03-01',
            "rasad search 'شويغو OR بيلوسوف بيونغ يانغ' --source rt_arabic --limit 5",
            "rasad search 'معاهد* -أوكرانيا' --format json | jq '.[0].url'",
        ),
    )
    search.add_argument("query", metavar="QUERY", help="what to look for (quote it in the shell)")
    search.add_argument("-n", "--limit", type=_limit, default=20, help="results (default 20)")
    search.add_argument("--offset", type=int, default=0, help=argparse.SUPPRESS)
    search.add_argument(
        "--since", metavar="WHEN", type=when, help="published (else fetched) on or after WHEN"
    )
    search.add_argument("--until", metavar="WHEN", type=when, help="... on or before WHEN")
    search.add_argument(
        "-s", "--source", action="append", metavar="NAME", help="only this source (repeatable)"
    )
    search.add_argument(
        "--status",
        choices=(*STATUSES, "all"),
        default="new",
        help="new (default), duplicate, off_topic, or all",
    )
    search.add_argument("--subtopic", metavar="NAME", help="only articles with this subtopic")
    search.add_argument(
        "--sort",
        choices=("relevance", "date"),
        default="relevance",
        help="relevance (default: BM25 among the newest 2000 matches) or date (newest first)",
    )
    search.add_argument("--format", choices=("text", "json"), default="text")
    search.set_defaults(handler=run)

    reindex = add_command(
        commands,
        "reindex",
        summary="rebuild the search index from the stored texts",
        description=(
            "Rebuild the search index, e.g. after an upgrade changed the Arabic normaliser "
            "(`rasad search` says when the index predates it). Runs in one transaction: "
            "searches see the old index until it is done."
        ),
        examples=("rasad reindex",),
    )
    reindex.set_defaults(handler=run_reindex)


def run(args: argparse.Namespace, config: Config) -> int:
    query = parse(args.query)
    if args.since and args.until and args.since > args.until:
        raise UsageError("--since is after --until: nothing can match")
    if args.offset < 0:
        raise UsageError("--offset must be 0 or more")
    statuses: tuple[Status, ...] = STATUSES if args.status == "all" else (args.status,)
    known = {source.name for source in config.sources}
    for name in args.source or ():
        if known and name not in known:
            raise UsageError(f"--source {name}: no such source (known: {', '.join(sorted(known))})")
    store = reading_store(config)
    try:
        if store.index_version() != search_terms.version():
            print(
                "rasad: the search index predates this rasad's normaliser; run "
                "`rasad reindex` (results may miss some spellings until then)",
                file=sys.stderr,
            )
        hits = store.search(
            query,
            limit=args.limit,
            offset=args.offset,
            since=args.since,
            until=args.until,
            sources=tuple(args.source or ()),
            statuses=statuses,
            subtopic=args.subtopic,
            sort=args.sort,
        )
        if args.format == "json":
            sys.stdout.write(json_text([_record(h, query) for h in hits], indent=1) + "\n")
        else:
            _print(hits, query, config, sys.stdout.isatty())
    finally:
        store.close()
    return 0


def _record(hit: SearchHit, query: SearchQuery) -> dict[str, Any]:
    record = export_record(hit.article, [])
    found = snippet(hit.article.text, query.words)
    record.update(score=hit.score, snippet=found.text, highlights=[list(m) for m in found.marks])
    return record


def _print(hits: list[SearchHit], query: SearchQuery, config: Config, tty: bool) -> None:
    if not hits:
        print("no match")
        return
    titles = {source.name: source.title or source.name for source in config.sources}
    for rank, hit in enumerate(hits, 1):
        a = hit.article
        day = (a.published or a.fetched).date().isoformat()
        outlet = titles.get(a.source, a.source)
        status = "" if a.status == "new" else f" · {a.status}"
        print(f"{rank}. {day} · {_safe(outlet)}{status}")
        print(f"   {_safe(a.title)}")
        found = snippet(_safe(a.text), query.words)
        text = found.marked(BOLD, PLAIN) if tty else found.marked("«", "»")
        print(f"   {text}")
        print(f"   {_safe(a.url)}")


def run_reindex(args: argparse.Namespace, config: Config) -> int:
    store = existing_store(config)
    try:
        with crawl_lock(config):  # a crawl writing meanwhile would wait for the whole rebuild

            def progress(done: int, total: int) -> None:
                print(f"\rindexed {done}/{total}", end="", file=sys.stderr, flush=True)

            count = store.reindex(progress if sys.stderr.isatty() else None)
        if sys.stderr.isatty():
            print(file=sys.stderr)
        print(f"search index rebuilt: {count} articles")
    finally:
        store.close()
    return 0

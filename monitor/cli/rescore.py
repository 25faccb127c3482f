"""`rasad rescore`: re-judge stored articles after the lexicon or threshold changed."""

from __future__ import annotations

import argparse

from monitor.cli._common import add_command, existing_store, when
from monitor.config.loader import Config
from monitor.schedule.locks import crawl_lock


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rescore = add_command(
        commands,
        "rescore",
        summary="re-judge stored articles after the lexicon or threshold changed",
        description=(
            "Judge every stored article again with the current topic lexicon and threshold; "
            "articles move between new and off_topic when their verdict changes. No network. "
            "Exit 3 while a crawl holds the lock."
        ),
        examples=(
            "rasad rescore --dry-run",
            "rasad rescore --since 30d",
        ),
    )
    rescore.add_argument(
        "--since", metavar="WHEN", type=when, help="only articles fetched since WHEN"
    )
    rescore.add_argument(
        "--dry-run", action="store_true", help="report what would change, change nothing"
    )
    rescore.set_defaults(handler=run)


def run(args: argparse.Namespace, config: Config) -> int:
    from monitor.judge.relevance import load_lexicon
    from monitor.judge.rescore import rescore

    lexicon = load_lexicon(config.relevance.lexicon)
    store = existing_store(config)
    try:
        with crawl_lock(config):  # a crawl writing verdicts at the same time would race
            report = rescore(
                store,
                lexicon,
                config.relevance.threshold,
                since=args.since,
                dry_run=args.dry_run,
                languages=config.relevance.languages,
            )
    finally:
        store.close()
    print(report.render(dry_run=args.dry_run))
    return 0

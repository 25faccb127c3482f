"""`rasad migrate`: copy a SQLite store into a new PostgreSQL store, then check the copy.

The source is only read. The target must be empty (it is created and migrated if it has no
schema yet); the copy is one transaction, so a failure leaves it empty again. Afterwards the
rows of every table are counted on both sides and a sample of articles is read back through
both stores and compared: exit 0 when all agree, 1 (one line saying what differs) otherwise.
"""

from __future__ import annotations

import argparse
import sys
import time

from monitor.cli._common import add_command
from monitor.config.loader import Config, sqlite_path
from monitor.errors import UsageError
from store import POSTGRES_SCHEMES, open_store


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    migrate = add_command(
        commands,
        "migrate",
        summary="copy a SQLite store into a new PostgreSQL store, and verify the copy",
        description=(
            "Copy every table of a SQLite store (articles, frontier, feed state, runs, digests, "
            "the near-duplicate index) into an empty PostgreSQL store in one transaction, "
            "rebuild its search index, then compare row counts and a sample of articles. "
            "Point store.url at the new store afterwards. The source is only read."
        ),
        examples=(
            "rasad migrate --from sqlite:///data/rasad.db --to postgresql://rasad@db:5432/rasad",
            "rasad migrate --to postgresql://rasad@db/rasad   # from the config's store.url",
            "rasad migrate --from sqlite:///old.db --to postgres://u@127.0.0.1/r --sample 500",
        ),
    )
    migrate.add_argument(
        "--from",
        dest="source",
        metavar="URL",
        help="the SQLite store to copy (default: the config's store.url)",
    )
    migrate.add_argument(
        "--to", dest="target", metavar="URL", required=True, help="the PostgreSQL store to fill"
    )
    migrate.add_argument(
        "--sample",
        type=int,
        default=100,
        metavar="N",
        help="articles compared field by field after the copy (default 100)",
    )
    migrate.set_defaults(handler=run)


def run(args: argparse.Namespace, config: Config) -> int:
    source_url = args.source or config.store_url
    if not source_url.startswith("sqlite:///"):
        raise UsageError(f"--from must be a sqlite:/// store URL, not {source_url!r}")
    if not args.target.startswith(POSTGRES_SCHEMES):
        raise UsageError("--to must be a postgresql:// store URL")
    if args.sample < 0:
        raise UsageError("--sample must be 0 or more")
    open_store(source_url, read_only=True).close()  # exists, and at this rasad's schema
    open_store(args.target).close()  # psycopg is installed; created and migrated when new
    from store.postgres import PostgresStore, importer

    path = sqlite_path(source_url)
    target = PostgresStore(args.target)
    source = importer.source_connection(path)
    started = time.monotonic()
    try:
        copied = importer.copy_into(target, source, _progress)
        checked = importer.verify(path, source, target, args.sample)
    finally:
        source.close()
        target.close()
    took = time.monotonic() - started
    if not checked.ok:
        wrong = [f"{t} {a}≠{b}" for t, (a, b) in checked.counts.items() if a != b]
        if checked.differing:
            wrong.append(f"{len(checked.differing)} articles differ, e.g. {checked.differing[0]}")
        print(f"rasad: the copy does not match its source: {'; '.join(wrong)}", file=sys.stderr)
        return 1
    print(
        f"copied {copied} articles ({sum(a for a, _ in checked.counts.values())} rows in"
        f" {len(checked.counts)} tables) in {took:.1f}s; counts match, {checked.sampled}"
        " sampled articles identical"
    )
    return 0


def _progress(table: str, done: int, total: int) -> None:
    print(f"  {table}: {done}/{total}", file=sys.stderr, flush=True)

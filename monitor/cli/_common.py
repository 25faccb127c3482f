"""What every command shares: the common options, --help's shape, dates, the store."""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from monitor.config.loader import Config
from monitor.errors import UsageError
from store import Store, open_store

_RELATIVE = re.compile(r"^(\d+)([hdw])$")


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """-c/--config and -v/--verbose, accepted before and after the command name.

    Each parser gets its own action objects with SUPPRESS defaults, so a subcommand that
    was not given the option leaves the value parsed before the command in place.
    """
    parser.add_argument(
        "-c",
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="TOML config (default: $RASAD_CONFIG, else ./rasad.toml, else built-in defaults)",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show library logs and tracebacks on stderr",
    )


def add_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    *,
    summary: str,
    description: str,
    examples: Sequence[str],
) -> argparse.ArgumentParser:
    """A subcommand with its one-line summary, a description and examples in --help."""
    lines = "\n".join(f"  {example}" for example in examples)
    sub = commands.add_parser(
        name,
        help=summary,
        description=description,
        epilog=f"examples:\n{lines}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_common_options(sub)
    return sub


def when(value: str) -> datetime:
    """--since/--until: an ISO date or time, or an age such as 24h, 7d, 2w."""
    match = _RELATIVE.match(value.strip())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        hours = {"h": 1, "d": 24, "w": 168}[unit] * amount
        return datetime.now(UTC) - timedelta(hours=hours)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date (2026-11-01, 2026-11-01T08:00) or an age (24h, 7d, 2w)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def existing_store(config: Config, *, read_only: bool = False) -> Store:
    """The configured store, never created here: for a command that writes an existing store
    (rescore, digest), or with `read_only` for one that only reads it."""
    return open_store(config.store_url, create=False, read_only=read_only)


def reading_store(config: Config) -> Store:
    """The configured store opened read-only (no migrations, no writes): export, search,
    sources, runs and serve work on a read-only file or filesystem too."""
    return existing_store(config, read_only=True)


def writable(path: str) -> None:
    """Fail before any work when an output file cannot be written (UsageError, exit 2)."""
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as exc:
        hint = " (does the directory exist?)" if isinstance(exc, FileNotFoundError) else ""
        raise UsageError(f"cannot write {path}: {exc.strerror}{hint}") from None

"""The `rasad` command line: one module per command, this one the front door.

Exit codes (the interface contract, also in the README):
  0  ok (also: nothing to do, no match)
  1  the command ran but something failed: a source (crawl), the store part-way through
  2  usage or configuration: a bad option or config file, a store that does not exist or
     cannot be opened or created, an output file that cannot be written
  3  another run holds the crawl lock
  130 interrupted (Ctrl-C) outside a crawl; a crawl records itself interrupted and exits 1

Every error is one line on stderr that says what is wrong and what to do next. A
traceback reaches the terminal only with --verbose.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib import metadata
from types import ModuleType

from monitor import early_signals
from monitor.cli import (
    crawl,
    digest,
    export,
    migrate,
    rescore,
    runs,
    schedule,
    search,
    serve,
    sources,
    worker,
)
from monitor.cli._common import add_common_options
from monitor.config.loader import Config, load_config
from monitor.errors import ConfigError, LockHeld, RasadError, StoreError, UsageError

COMMANDS: tuple[ModuleType, ...] = (
    crawl,
    sources,
    runs,
    search,
    export,
    rescore,
    digest,
    schedule,
    serve,
    worker,
    migrate,
)


def version() -> str:
    try:
        return metadata.version("rasad")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "0+unknown"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error argparse has printed
        return int(exc.code or 0)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        if args.command != "crawl":  # a crawl reports a signal itself (monitor.early_signals)
            early_signals.hand_over(deliver=True)
        config = load_config(getattr(args, "config", None))
        return int(args.handler(args, config))
    except ConfigError as exc:
        return _fail(f"config error: {exc}", 2)
    except (UsageError, StoreError) as exc:
        return _fail(str(exc), 2 if isinstance(exc, UsageError) or exc.at_open else 1)
    except LockHeld as exc:
        return _fail(str(exc), 3)
    except RasadError as exc:
        return _fail(str(exc), 1)
    except BrokenPipeError:  # `rasad export | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except Exception as exc:
        if getattr(args, "verbose", False):
            raise
        return _fail(
            f"unexpected error: {type(exc).__name__}: {exc} (rerun with --verbose to see where)",
            1,
        )


def _fail(message: str, code: int) -> int:
    print(f"rasad: {message}", file=sys.stderr)
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rasad",
        description="Watch Arabic news media for coverage of the Russia–North Korea relationship.",
        epilog="examples:\n  rasad crawl\n  rasad -c desk.toml sources\n  rasad COMMAND --help",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"rasad {version()}")
    add_common_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.register(commands)
    return parser


__all__ = ["COMMANDS", "Config", "build_parser", "main", "version"]

"""The `rasad` command's entry point: `monitor.early_signals` holds SIGTERM and Ctrl-C before
the command-line package (a few hundred milliseconds of imports) is loaded."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from monitor import early_signals


def main(argv: Sequence[str] | None = None) -> int:
    early_signals.hold()
    from monitor.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())

"""SIGTERM and Ctrl-C held while the `rasad` command loads (`monitor.launch` holds them).

Importing the command-line package takes a few hundred milliseconds; a signal then (a
scheduler's timeout, a quick Ctrl-C) used to kill a crawl with 143 and no report. This module
imports nothing of rasad, so its handler is in place within milliseconds of start; it only
notes a signal. Once the command is known, `hand_over` gives the note to the crawl (which
records the run interrupted and prints its report) or, for any other command, restores the
default handlers and delivers the signal again, so those end exactly as before.
"""

from __future__ import annotations

import os
import signal
from types import FrameType
from typing import Any

_SIGNALS = (signal.SIGTERM, signal.SIGINT)
_pending: list[int] = []
_previous: dict[int, Any] = {}


def _note(signum: int, _frame: FrameType | None) -> None:
    _pending.append(signum)


def hold() -> None:
    """Note SIGTERM/SIGINT from now on instead of dying (the first thing `main` does)."""
    for signum in _SIGNALS:
        _previous.setdefault(signum, signal.signal(signum, _note))


def hand_over(deliver: bool) -> int | None:
    """Stop holding. Returns the first signal noted meanwhile; with `deliver`, the previous
    handlers are put back and that signal is raised again for them instead."""
    first = _pending[0] if _pending else None
    held = signal.getsignal(signal.SIGTERM) is _note
    if deliver or held:
        for signum, handler in _previous.items():
            if signal.getsignal(signum) is _note:
                signal.signal(signum, handler)
    _previous.clear()
    _pending.clear()
    if deliver and first is not None:
        os.kill(os.getpid(), first)
        return None
    return first

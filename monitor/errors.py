"""rasad's exceptions, one tree for the whole program.

    RasadError                 anything rasad itself reports
    ├── ConfigError            a bad config file or option (CLI exit 2)
    ├── StoreError             the store cannot be opened, migrated or written
    │   └── StoreMissing       a command that only reads found no store (CLI exit 2)
    ├── FeedError              a feed response is not a usable feed (the source fails)
    ├── ExtractionError        an article response yields no article (recorded, retried later)
    ├── UsageError             a bad option value the parser cannot see (CLI exit 2)
    └── LockHeld               another run holds the crawl lock (CLI exit 3)

The CLI turns each into one line on stderr and a documented exit code; library code
raises them with messages that say what is wrong and, where possible, what to do next.
"""

from __future__ import annotations


class RasadError(Exception):
    """Base class of every error rasad reports to a person."""


class ConfigError(RasadError):
    """The configuration is invalid: names the file and the key."""

    def __init__(self, message: str, *, path: str | None = None, key: str | None = None) -> None:
        self.path = path
        self.key = key
        where = ": ".join(part for part in (path, key) if part)
        super().__init__(f"{where}: {message}" if where else message)


class StoreError(RasadError):
    """The store cannot be opened, migrated or written.

    `at_open` is true when nothing was done yet (the store could not be opened or
    created): the CLI reports that as a configuration problem, exit 2.
    """

    def __init__(self, message: str, *, at_open: bool = False) -> None:
        self.at_open = at_open
        super().__init__(message)


class StoreMissing(StoreError):
    """A read-only command was pointed at a store that does not exist."""

    def __init__(self, message: str) -> None:
        super().__init__(message, at_open=True)


class UsageError(RasadError):
    """An option's value is unusable (an output file that cannot be written, ...)."""


class FeedError(RasadError):
    """A feed response cannot be used (not XML, not a feed, empty, wrong type)."""


class ExtractionError(RasadError):
    """An article response yields no article; `reason` is short and stable for counting."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


class LockHeld(RasadError):
    """Another rasad run holds the crawl lock."""

"""Failures as the run report counts them: a short stable reason and a readable detail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from monitor.errors import StoreError


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """A Retry-After header (seconds, or an HTTP date) as seconds from `now`."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def describe_failure(failure: object) -> tuple[str, str]:
    """A short stable reason (for counting) and a readable detail for a Twisted failure."""
    from scrapy import exceptions as scrapy_errors
    from scrapy.spidermiddlewares.httperror import HttpError
    from twisted.internet import error as twisted_errors

    value = getattr(failure, "value", failure)
    text = str(value)
    if isinstance(value, HttpError):
        status = value.response.status
        return f"http_{status}", f"HTTP {status}"
    if isinstance(value, scrapy_errors.CannotResolveHostError | twisted_errors.DNSLookupError):
        return "dns", "host name not found"
    if isinstance(
        value,
        scrapy_errors.DownloadTimeoutError
        | twisted_errors.TimeoutError
        | twisted_errors.TCPTimedOutError,
    ):
        return "timeout", "timed out"
    if isinstance(
        value, scrapy_errors.DownloadConnectionRefusedError | twisted_errors.ConnectionRefusedError
    ):
        return "refused", "connection refused"
    if "larger than download max size" in text:
        return "too_large", "response larger than crawl.max_page_bytes"
    from monitor.crawl.destinations import ForbiddenDestination

    if isinstance(value, ForbiddenDestination):
        return ForbiddenDestination.reason, text
    if isinstance(value, scrapy_errors.IgnoreRequest):
        if "robots.txt" in text:
            return "robots", "disallowed by robots.txt"
        if "redirect" in text.lower():
            return "redirects", "too many redirects (a redirect loop?)"
        return "ignored", text or "request ignored"
    return "network", f"{type(value).__name__}: {text}"[:200]


class StoreWriteFailed(StoreError):
    """A store call failed during a crawl (disk full, database locked, corrupt file): the
    run stops, what was committed before stays, the page at hand stays pending."""


def describe_store_error(exc: BaseException) -> str:
    """One line for a failed store call, with what to do next."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    low = text.lower()
    own_hint: str = getattr(exc, "hint", "")  # a store that knows better says what to do
    if "full" in low or "no space" in low or "too large" in low:
        hint = "free some disk space, then run rasad crawl again"
    elif own_hint:
        hint = own_hint
    elif "i/o" in low:
        hint = "check free space and the disk holding the store, then run rasad crawl again"
    elif "locked" in low or "busy" in low:
        hint = "another program holds the database; run rasad crawl again when it is done"
    elif "malformed" in low or "not a database" in low or "corrupt" in low:
        hint = "the store file is damaged: restore a backup or recover it (sqlite3 FILE .recover)"
    else:
        hint = "check the store's disk and file, then run rasad crawl again"
    return f"{type(exc).__name__}: {text[:160]}; {hint}"


class GuardedStore:
    """The store as a crawl sees it: the first call that fails records why (`failure`),
    calls `on_failure` once (the crawl stops) and raises StoreWriteFailed; every later call
    raises at once, touching nothing. Each store step is its own transaction, so what was
    committed before the failure stays and nothing half-written is left."""

    def __init__(self, store: Any, on_failure: Callable[[str], None] | None = None) -> None:
        self._store = store
        self.on_failure = on_failure
        self.failure: str | None = None

    @property
    def unguarded(self) -> Any:
        """The store itself: for the run's last word after a failure (`finish_run`)."""
        return self._store

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._store, name)
        if not callable(target):
            return target

        def guarded(*args: Any, **kwargs: Any) -> Any:
            if self.failure is not None:
                raise StoreWriteFailed(self.failure)
            try:
                return target(*args, **kwargs)
            except Exception as exc:
                self.failure = describe_store_error(exc)
                if self.on_failure is not None:
                    self.on_failure(self.failure)
                raise StoreWriteFailed(self.failure) from exc

        return guarded

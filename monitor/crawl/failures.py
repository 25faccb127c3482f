"""Failures as the run report counts them: a short stable reason and a readable detail."""

from __future__ import annotations

from datetime import UTC, datetime


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
    if isinstance(value, scrapy_errors.IgnoreRequest):
        if "robots.txt" in text:
            return "robots", "disallowed by robots.txt"
        if "redirect" in text.lower():
            return "redirects", "too many redirects (a redirect loop?)"
        return "ignored", text or "request ignored"
    return "network", f"{type(value).__name__}: {text}"[:200]

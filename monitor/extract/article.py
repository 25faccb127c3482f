"""Article pages to clean text and metadata: one pure function, `extract_article`.

    bytes ─> page.read_page: payload checks (empty, too large, not HTML), decoding, lxml tree
          ─> body: (table-laid-out page: its article cell) ─> trafilatura
          ─> metadata: site name, title (feed vs page, capped at MAX_TITLE_CHARS)
          ─> body: paragraph clean-up ─> length check
          ─> metadata: date (feed, else page metadata), language (script-checked), canonical hint

Nothing here touches the network, the clock (unless `now` is left out) or any global state, so
every behaviour is testable from bytes on disk. Failures raise `ExtractionError` whose `reason`
is one of a few stable words the run report counts: empty, too_large, not_html, no_text, and
parse_error (the HTML parser or trafilatura itself failed on the page).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo

from monitor.extract.body import article_scope, body_text, trafilatura_body
from monitor.extract.metadata import (
    OutletNames,
    canonical_hint,
    cap_title,
    choose_date,
    detect_language,
    language_hint,
    page_title,
    reconcile_title,
)
from monitor.extract.page import forget_head_tags, read_page
from monitor.models import Article, FeedEntry

__all__ = ["extract_article"]


def extract_article(
    body: bytes,
    url: str,
    headers: Mapping[str, str] | None = None,
    entry: FeedEntry | None = None,
    *,
    max_bytes: int = 10_000_000,
    now: datetime | None = None,
    default_tz: tzinfo = UTC,
) -> Article:
    """One fetched article response -> Article, or ExtractionError(reason, detail).

    `headers` are the response headers (Content-Type matters); `entry` is the feed item that
    led here, whose title and date are the publisher's own and win when usable; `now` is the
    clock that date plausibility is judged against (default: the current time); `default_tz`
    is the outlet's local time, for page dates printed without an offset.
    """
    tree, encoding = read_page(body, headers, max_bytes=max_bytes)
    try:
        scope = article_scope(tree)
        raw_text = trafilatura_body(scope, url)
        names = OutletNames(tree, scope, url)
        title_on_page = page_title(tree, names)
        title = reconcile_title(entry.title if entry else "", title_on_page, names)
        text = body_text(raw_text, headlines=(title, title_on_page))
        canonical = canonical_hint(tree, url)
        urls = [u for u in (canonical, url) if u]
        clock = now or datetime.now(UTC)
        published, date_source = choose_date(entry, tree, urls, clock, default_tz)
        return Article(
            url=url,
            title=cap_title(title),
            text=text,
            published=published,
            language=detect_language(text, language_hint(tree)),
            encoding=encoding,
            date_source=date_source,
            canonical_hint=canonical,
        )
    finally:
        forget_head_tags()  # the page's tree is not kept past its extraction

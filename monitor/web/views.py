"""What each page shows, read from the store: plain data for the templates and the JSON."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup, escape

from monitor.config.loader import Config
from monitor.deliver.digest import Entry, build_digest
from monitor.deliver.export import export_record
from monitor.deliver.health import health_rows
from monitor.deliver.search import Snippet, parse, snippet
from monitor.errors import UsageError
from monitor.web.params import BadRequest, Filters
from store import Store
from store.base import SearchHit, Status, StoredArticle
from store.protocols import StoryFilter

#: How many articles of a search are looked at for the Atom feed of a query.
FEED_SEARCH = 200


def outlets(config: Config) -> dict[str, str]:
    return {source.name: source.title or source.name for source in config.sources}


def when(article: StoredArticle) -> datetime:
    return article.published or article.fetched


def story_filter(f: Filters, statuses: tuple[Status, ...] = ("new", "duplicate")) -> StoryFilter:
    return StoryFilter(
        since=f.since, until=f.until, source=f.source, subtopic=f.subtopic, statuses=statuses
    )


def entries(
    config: Config, f: Filters, articles: Iterable[StoredArticle], order: list[str] | None = None
) -> list[Entry]:
    """`articles` as stories (one entry each), newest first or in `order` (story ids)."""
    digest = build_digest(
        articles,
        recipient="web",
        until=datetime.now(UTC),
        outlets=outlets(config),
        topics=(f.subtopic,) if f.subtopic else (),
    )
    found = list(digest.entries)
    if f.source:
        found = [e for e in found if any(i.article.source == f.source for i in e.items)]
    if order is not None:
        rank = {story: n for n, story in enumerate(order)}
        found.sort(key=lambda e: rank.get(e.story, len(rank)))
    return found


def stories(
    store: Store,
    config: Config,
    f: Filters,
    statuses: tuple[Status, ...] = ("new", "duplicate"),
    limit: int | None = None,
) -> tuple[list[Entry], int]:
    """One page of the stories matching the filters, newest first, and how many there are:
    the store pages and counts them, and reads only the page's articles."""
    where = story_filter(f, statuses)
    size = f.limit if limit is None else limit
    ids = store.story_ids(where, limit=size, offset=0 if limit is not None else f.offset)
    total = store.count_stories(where)
    return entries(config, f, store.story_articles(ids, where), ids), total


def entry_record(entry: Entry) -> dict[str, Any]:
    """A story as JSON: its lead's export record, the others as `also_reported_by`."""
    record = export_record(entry.lead.article, [i.article.canonical_url for i in entry.others])
    record["outlet"] = entry.lead.outlet
    record["excerpt"] = entry.excerpt
    return record


def search_query(text: str | None) -> Any:
    """`parse()`, its UsageError turned into a 400."""
    try:
        return parse(text or "")
    except UsageError as exc:
        raise BadRequest("لا يوجد ما يُبحث عنه في هذا الاستعلام", str(exc)) from None


@dataclass(frozen=True)
class Found:
    hit: SearchHit
    snippet: Snippet

    @property
    def highlighted(self) -> Markup:
        return highlight(self.snippet)


def search(
    store: Store,
    f: Filters,
    q: str | None,
    statuses: tuple[Status, ...],
    sort: str,
) -> tuple[list[Found], bool]:
    """One page of a search, and whether there is a next page."""
    query = search_query(q)
    hits = store.search(
        query,
        limit=f.limit + 1,
        offset=f.offset,
        since=f.since,
        until=f.until,
        sources=(f.source,) if f.source else (),
        statuses=statuses,
        subtopic=f.subtopic,
        sort=sort,
    )
    found = [Found(h, snippet(h.article.text, query.words)) for h in hits[: f.limit]]
    return found, len(hits) > f.limit


def found_record(found: Found) -> dict[str, Any]:
    record = export_record(found.hit.article, [])
    record.update(
        score=found.hit.score,
        snippet=found.snippet.text,
        highlights=[list(m) for m in found.snippet.marks],
    )
    return record


def highlight(found: Snippet) -> Markup:
    """The snippet as HTML: each text piece escaped, then the matches wrapped in <mark>."""
    out, at = [], 0
    for start, end in found.marks:
        out.append(escape(found.text[at:start]))
        out.append(Markup("<mark>%s</mark>") % found.text[start:end])
        at = end
    out.append(escape(found.text[at:]))
    return Markup("").join(out)


def search_articles(store: Store, q: str, f: Filters) -> list[StoredArticle]:
    """The new articles (and their copies) a query finds, for the Atom feed of a search."""
    query = search_query(q)
    hits = store.search(
        query,
        limit=FEED_SEARCH,
        since=f.since,
        until=f.until,
        sources=(f.source,) if f.source else (),
        statuses=("new",),
        subtopic=f.subtopic,
        sort="date",
    )
    return sorted((h.article for h in hits), key=lambda a: a.fetched)


def story(store: Store, story_id: str) -> list[StoredArticle]:
    """Every article of one story, in time order (empty: no such story)."""
    return store.story_articles([story_id])


def sources(store: Store, config: Config) -> list[dict[str, Any]]:
    """Feed health as `rasad sources` shows it, the failing feeds first."""
    rows = health_rows(config, store.feed_health(), datetime.now(UTC))
    return sorted(rows, key=lambda r: (not r["error_streak"], not r["last_error"]))


def safe_href(url: str) -> str | None:
    """A link to the original page: only http(s) URLs are ever made clickable."""
    return url if url.lower().startswith(("http://", "https://")) else None

"""Item pipelines: one step each, in order extract (100) → relevance (300) → dedup (500) →
store (900).

Each component reaches the run (store, report, clock) through the crawler's spider;
the work itself is done by plain functions in monitor/ that know nothing of Scrapy.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any
from urllib.parse import urlsplit

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from monitor.crawl.items import ArticleItem, FetchedPage
from monitor.crawl.run import CrawlRun
from monitor.errors import ExtractionError
from monitor.extract.article import extract_article
from monitor.judge.dedup import fingerprint, similarity
from monitor.judge.relevance import judge
from monitor.judge.seeds import text_hash
from monitor.text.urls import canonical_url, same_site
from store.base import DuplicateMatch, StoredArticle


class _RunPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> _RunPipeline:
        return cls(crawler)

    @property
    def run(self) -> CrawlRun:
        return self.crawler.spider.run  # type: ignore[union-attr]


class ExtractPipeline(_RunPipeline):
    """Page bytes → clean article; a page without an article is a recorded failure."""

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, FetchedPage):
            return item
        try:
            article = extract_article(
                item.body,
                item.url,
                item.headers,
                item.entry,
                max_bytes=self.run.config.crawl.max_page_bytes,
                default_tz=self.run.timezone(item.source),
            )
        except ExtractionError as exc:
            self.run.article_failed(item.source, item.entry.url, exc.reason)
            raise DropItem(f"{item.entry.url}: {exc}") from None
        return ArticleItem(source=item.source, entry=item.entry, article=article)


class RelevancePipeline(_RunPipeline):
    """Judge the extracted title and text; off-topic articles are stored as such, with why."""

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        relevance = self.run.config.relevance
        verdict = judge(
            item.article.title,
            item.article.text,
            lexicon=self.run.lexicon,
            threshold=relevance.threshold,
        )
        return replace(item, verdict=verdict, status="new" if verdict.on_topic else "off_topic")


class DedupPipeline(_RunPipeline):
    """An on-topic article that repeats a seed or a stored story becomes its duplicate.

    Pipelines here are synchronous, and Scrapy runs a synchronous chain without yielding
    to the event loop, so an item is deduped *and* stored before the next one is deduped:
    two copies of one story in the same run cannot both pass as new.
    """

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        fp = fingerprint(item.article.title, item.article.text)
        item = replace(item, fingerprint=fp)
        if item.status != "new":
            return item  # off-topic stays off-topic; it is indexed all the same
        match = self._declared_original(item) or self.run.store.find_duplicate(fp)
        if match is None:
            return item
        return replace(
            item, status="duplicate", duplicate_of=match.doc, similarity=match.similarity
        )

    def _declared_original(self, item: ArticleItem) -> DuplicateMatch | None:
        """A page whose rel=canonical / og:url names another stored page of the same site
        is that page under another URL (AMP, mobile, a re-slugged or re-dated copy)."""
        hint = item.article.canonical_hint
        if not hint or not same_site(hint, item.entry.url):
            return None
        original = canonical_url(hint)
        if original == canonical_url(item.entry.url) or urlsplit(original).path in ("", "/"):
            return None  # itself, or a site that points every page at its homepage
        stored = self.run.store.get(original)
        if stored is None:
            return None
        sim = similarity(item.article.text, stored.text)
        return DuplicateMatch(stored.duplicate_of or original, round(sim.containment, 4), False)


class StorePipeline(_RunPipeline):
    """Append the article with its outcome; closes its frontier entry in the same transaction."""

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        article = item.article
        verdict = item.verdict
        stored = StoredArticle(
            url=item.entry.url,
            canonical_url=canonical_url(item.entry.url),
            fetched_url=article.url if article.url != item.entry.url else None,
            source=item.source,
            title=article.title,
            text=article.text,
            status=item.status,
            fetched=self.run.clock(),
            published=article.published,
            language=article.language,
            relevance=verdict.score if verdict else 0.0,
            verdict=asdict(verdict) if verdict else None,
            duplicate_of=item.duplicate_of,
            similarity=item.similarity,
            text_hash=text_hash(article.text),
        )
        self.run.article_done(stored, item.fingerprint)
        return item

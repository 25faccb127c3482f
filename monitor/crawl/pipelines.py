"""Item pipelines: one step each, in order extract (100) → relevance (300) → dedup (500) →
store (900).

Each component reaches the run (store, report, clock) through the crawler's spider;
the work itself is done by plain functions in monitor/ that know nothing of Scrapy.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from monitor.crawl.failures import StoreWriteFailed
from monitor.crawl.items import ArticleItem, FetchedPage
from monitor.crawl.run import CrawlRun
from monitor.errors import ExtractionError
from monitor.extract.article import extract_article
from monitor.judge.dedup import declared_original, fingerprint
from monitor.judge.relevance import judge
from monitor.judge.seeds import text_hash
from monitor.text.urls import canonical_url
from store.base import Status, StoredArticle


class _RunPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> _RunPipeline:
        return cls(crawler)

    @property
    def run(self) -> CrawlRun:
        run: CrawlRun = self.crawler.spider.run  # type: ignore[union-attr]
        return run


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
            _record(self.run.article_failed, item.source, item.entry.url, exc.reason)
            raise DropItem(f"{item.entry.url}: {exc}") from None
        except Exception as exc:  # a bug in extraction must not lose the page silently
            _record(self.run.article_failed, item.source, item.entry.url, "extract_error")
            raise DropItem(f"{item.entry.url}: {type(exc).__name__}: {exc}") from None
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
            language=item.article.language,
            languages=relevance.languages,
        )
        return replace(item, verdict=verdict, status="new" if verdict.on_topic else "off_topic")


class DedupPipeline(_RunPipeline):
    """Fingerprint the article's text: the costly part of dedup, done before the store's
    write transaction so that transaction (and the write lock it holds) stays short.

    Whether the article repeats a seed or a stored story is decided when it is stored, in
    one step with the write (`StorePipeline`), so two workers storing copies of one story
    at once cannot both store it as new.
    """

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        return replace(item, fingerprint=fingerprint(item.article.title, item.article.text))


class StorePipeline(_RunPipeline):
    """Append the article, as a duplicate when it repeats a stored story, in one transaction
    that also indexes it and closes its frontier entry (`Archive.add_unless_duplicate`).

    An off-topic article stays off-topic (and is indexed all the same). The item leaves with
    the outcome stored.
    """

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        article = item.article
        verdict = item.verdict
        # relevance decided "new" or "off_topic"; "duplicate" is the store's to decide
        judged: Status = "new" if item.status == "new" else "off_topic"
        stored = StoredArticle(
            url=item.entry.url,
            canonical_url=canonical_url(item.entry.url),
            fetched_url=article.url if article.url != item.entry.url else None,
            source=item.source,
            title=article.title,
            text=article.text,
            status=judged,
            fetched=self.run.clock(),
            published=article.published,
            language=article.language,
            relevance=verdict.score if verdict else 0.0,
            verdict=asdict(verdict) if verdict else None,
            text_hash=text_hash(article.text),
        )
        try:
            outcome = self.run.article_done(
                stored,
                item.fingerprint,
                declared_original=declared_original(article.canonical_hint, item.entry.url),
            )
        except StoreWriteFailed as exc:  # the run stops; the page stays pending
            raise DropItem(f"{item.entry.url}: not stored: {exc}") from None
        return replace(
            item,
            status=outcome.status,
            duplicate_of=outcome.duplicate_of,
            similarity=outcome.similarity,
        )


def _record(failed: Any, source: str, url: str, reason: str) -> None:
    """Record a page failure; a store that cannot take it has stopped the run already."""
    try:
        failed(source, url, reason)
    except StoreWriteFailed:
        raise DropItem(f"{url}: {reason}; not recorded: the store failed") from None

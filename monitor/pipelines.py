"""Item pipelines: one step each, in order extract (100) → relevance (300) → [dedup] → store (900).

Each component reaches the run (store, report, clock) through the crawler's spider;
the work itself is done by plain functions in monitor/ that know nothing of Scrapy.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from monitor.crawl import CrawlRun
from monitor.errors import ExtractionError
from monitor.extract import extract_article
from monitor.items import ArticleItem, FetchedPage
from monitor.relevance import judge
from monitor.seeds import text_hash
from monitor.urls import canonical_url
from store.base import StoredArticle


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
        self.run.article_done(stored)
        return item

"""Stored articles as analysts receive them: the export record (the contract's fields) and
the JSON-lines / CSV writers. The digest and the web archive build on the same record."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import IO, Any

from store.base import StoredArticle

EXPORT_FIELDS = (
    "url",
    "canonical_url",
    "source",
    "title",
    "published",
    "fetched",
    "text",
    "status",
    "relevance",
    "duplicate_of",
    "story",
    "similarity",
    "language",
    "fetched_url",
    "subtopics",
    "matched",
    "also_reported_by",
)


def export_record(article: StoredArticle, also_reported_by: list[str]) -> dict[str, Any]:
    verdict = article.verdict or {}
    return {
        "url": article.url,
        "canonical_url": article.canonical_url,
        "source": article.source,
        "title": article.title,
        "published": article.published.isoformat() if article.published else None,
        "fetched": article.fetched.isoformat(),
        "text": article.text,
        "status": article.status,
        "relevance": article.relevance,
        "duplicate_of": article.duplicate_of,
        "story": article.story,
        "similarity": article.similarity,
        "language": article.language,
        "fetched_url": article.fetched_url,
        "subtopics": list(verdict.get("subtopics", ())),
        "matched": list(verdict.get("matched", ())),
        "also_reported_by": also_reported_by,
    }


def write(records: Iterator[dict[str, Any]], fmt: str, out: IO[str]) -> int:
    count = 0
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS) if fmt == "csv" else None
    if writer:
        writer.writeheader()
    for record in records:
        if writer:
            writer.writerow(
                {k: "; ".join(v) if isinstance(v, list) else v for k, v in record.items()}
            )
        else:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count

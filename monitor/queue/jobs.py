"""What travels through the shared queue: one article page to fetch, and a worker's hold on it.

A job is the feed entry the coordinator would have fetched itself, with its source's name and
the coordinator run that queued it. It is keyed by the entry's canonical URL, so one page is
queued at most once however many feeds (or runs) list it. Pure data: no Redis, no Scrapy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from monitor.models import FeedEntry
from monitor.text.urls import canonical_url

# counter names a worker adds to its coordinator run's report, per source; "stored." and
# "failed." take the outcome or the reason after the dot
COUNTERS = ("fetched", "already_stored", "gave_up", "listed_twice")
SEP = "\t"  # between the source name and the counter name in a counter field


@dataclass(frozen=True)
class Job:
    source: str
    entry: FeedEntry
    run: str  # the coordinator run whose report the outcome is counted in

    @property
    def key(self) -> str:
        """The job's identity in the queue: the entry's canonical URL."""
        return canonical_url(self.entry.url)

    def to_json(self) -> str:
        entry = self.entry
        return json.dumps(
            {
                "source": self.source,
                "run": self.run,
                "url": entry.url,
                "title": entry.title,
                "guid": entry.guid,
                "published": entry.published.isoformat() if entry.published else None,
                "summary": entry.summary,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Job:
        """A job as `to_json` wrote it; ValueError for anything else."""
        try:
            data: dict[str, Any] = json.loads(text)
            published = data.get("published")
            entry = FeedEntry(
                url=str(data["url"]),
                title=str(data.get("title") or ""),
                guid=data.get("guid"),
                published=datetime.fromisoformat(published) if published else None,
                summary=str(data.get("summary") or ""),
            )
            return cls(source=str(data["source"]), entry=entry, run=str(data.get("run") or ""))
        except (KeyError, TypeError, json.JSONDecodeError) as exc:
            raise ValueError(f"not a queued job: {exc}") from None


@dataclass(frozen=True)
class Lease:
    """A job a worker took: `token` proves the hold when it renews, acks or releases it."""

    job: Job
    token: str

    @property
    def key(self) -> str:
        return self.job.key


def counter_field(source: str, name: str) -> str:
    return f"{source}{SEP}{name}"


def split_field(field: str) -> tuple[str, str]:
    source, _, name = field.partition(SEP)
    return source, name


def record_lost(store: Any, jobs: list[Job], now: datetime, retry_delay: float) -> None:
    """Pages given up because every worker holding them died: recorded failed
    (`worker_lost`) in the store, so the next crawls retry them after a backoff and stop at
    `[crawl] max_attempts`, as for any page that keeps failing."""
    for job in jobs:
        failures = store.attempts(job.entry.url) + 1
        delay = min(retry_delay * 2 ** (failures - 1), 86400.0)
        store.record_failure(
            job.source, job.entry.url, "worker_lost", now, now + timedelta(seconds=delay)
        )

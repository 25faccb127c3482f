"""The run report: counts per source and per outcome, rendered on one screen."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SourceReport:
    name: str
    feeds_polled: int = 0
    not_modified: int = 0  # feeds answered 304 Not Modified
    not_due: int = 0  # feeds skipped: their adapted interval has not passed (--due-only)
    deferred: list[str] = field(default_factory=list)  # feeds not polled (Retry-After, backoff)
    feed_errors: list[str] = field(default_factory=list)  # "URL: what went wrong"
    feed_warnings: list[str] = field(default_factory=list)
    entries: int = 0  # items listed by the feeds (after in-feed duplicates)
    already_stored: int = 0  # listed but stored by an earlier run: not fetched
    retried: int = 0  # left pending or failed by an earlier run, fetched again
    fetched: int = 0  # article pages downloaded
    stored: Counter[str] = field(default_factory=Counter)  # new / duplicate / off_topic / updated
    failed: Counter[str] = field(default_factory=Counter)  # reason -> count
    gave_up: int = 0  # failed for the last allowed time

    @property
    def ok(self) -> bool:
        """A source is failing while any feed failed, or is held back after failures."""
        return not self.feed_errors and not self.deferred

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ok": self.ok,
            "feeds_polled": self.feeds_polled,
            "not_modified": self.not_modified,
            "not_due": self.not_due,
            "deferred": self.deferred,
            "feed_errors": self.feed_errors,
            "feed_warnings": self.feed_warnings,
            "entries": self.entries,
            "already_stored": self.already_stored,
            "retried": self.retried,
            "fetched": self.fetched,
            "stored": dict(self.stored),
            "failed": dict(self.failed),
            "gave_up": self.gave_up,
        }


@dataclass
class RunReport:
    sources: dict[str, SourceReport] = field(default_factory=dict)
    seconds: float = 0.0
    interrupted: bool = False  # stopped (SIGTERM/SIGINT) before every request was done

    def source(self, name: str) -> SourceReport:
        if name not in self.sources:
            self.sources[name] = SourceReport(name)
        return self.sources[name]

    @property
    def failed_sources(self) -> list[str]:
        return [s.name for s in self.sources.values() if not s.ok]

    @property
    def ok(self) -> bool:
        return not self.failed_sources and not self.interrupted

    def total(self, attribute: str) -> int:
        return sum(getattr(s, attribute) for s in self.sources.values())

    def stored_total(self, status: str) -> int:
        return sum(s.stored[status] for s in self.sources.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "seconds": round(self.seconds, 2),
            "interrupted": self.interrupted,
            "sources": [s.as_dict() for s in self.sources.values()],
        }

    def render(self) -> str:
        """A table per source, then the failures spelled out, then one summary line."""
        header = (
            f"{'source':<20} {'feeds':>5} {'304':>4} {'entries':>7} {'known':>6} {'fetched':>7} "
            f"{'new':>5} {'dup':>5} {'off':>5} {'upd':>5} {'failed':>6}"
        )
        lines = [header, "-" * len(header)]
        for s in self.sources.values():
            feeds = f"{s.feeds_polled - len(s.feed_errors)}/{s.feeds_polled}"
            lines.append(
                f"{s.name[:20]:<20} {feeds:>5} {s.not_modified:>4} {s.entries:>7} "
                f"{s.already_stored:>6} "
                f"{s.fetched:>7} {s.stored['new']:>5} {s.stored['duplicate']:>5} "
                f"{s.stored['off_topic']:>5} {s.stored['updated']:>5} {sum(s.failed.values()):>6}"
            )
        lines.extend(self._problems())
        failed = self.failed_sources
        lines.append("")
        lines.append(
            f"{len(self.sources)} sources, {self.total('entries')} entries, "
            f"{self.total('fetched')} pages fetched, {self.stored_total('new')} new, "
            f"{self.stored_total('duplicate')} duplicate, {self.stored_total('off_topic')} "
            f"off-topic, {sum(sum(s.failed.values()) for s in self.sources.values())} failed "
            f"in {self.seconds:.1f}s"
            + (f"; FAILED SOURCES: {', '.join(failed)}" if failed else "")
            + ("; INTERRUPTED: the rest is fetched next run" if self.interrupted else "")
        )
        return "\n".join(lines)

    def _problems(self) -> list[str]:
        lines: list[str] = []
        for s in self.sources.values():
            for error in s.feed_errors:
                lines.append(f"  {s.name}: feed failed: {error}")
            for held in s.deferred:
                lines.append(f"  {s.name}: feed held back: {held}")
            for warning in s.feed_warnings:
                lines.append(f"  {s.name}: feed warning: {warning}")
            if s.failed:
                reasons = ", ".join(f"{reason} ×{n}" for reason, n in s.failed.most_common())
                lines.append(f"  {s.name}: article failures (retried next run): {reasons}")
            if s.gave_up:
                lines.append(
                    f"  {s.name}: {s.gave_up} article(s) failed too often; no more retries"
                )
        return ["", *lines] if lines else []

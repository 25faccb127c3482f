"""The run report: counts per source and per outcome, rendered on one screen."""

from __future__ import annotations

import textwrap
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

WIDTH = 80


def _wrap(line: str, indent: str) -> str:
    """A long line folded at spaces within WIDTH (a long URL stays whole)."""
    if len(line) <= WIDTH:
        return line
    return textwrap.fill(
        line,
        WIDTH,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


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
    unresolved: int = 0  # feeds whose host name did not resolve (DNS)
    listed_twice: int = 0  # entries another feed of this run had already asked for
    sitemap_skipped: int = 0  # sitemap URLs older than crawl.sitemap_window or over the cap
    # entries a feed listed that cannot be recorded (a link with a bad port, ...): reason -> n
    skipped_entries: Counter[str] = field(default_factory=Counter)

    @property
    def held(self) -> int:
        """Feeds not polled this run: not due yet, or held back after failures."""
        return self.not_due + len(self.deferred)

    @property
    def stored_total(self) -> int:
        return sum(self.stored.values())

    @property
    def unaccounted(self) -> int:
        """Pages to fetch with no outcome: listed − known + retried, less everything
        stored, failed or listed twice. Non-zero only when the run stopped early."""
        to_fetch = self.entries - self.already_stored + self.retried
        done = self.stored_total + sum(self.failed.values()) + self.listed_twice
        return to_fetch - done

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
            "unresolved": self.unresolved,
            "listed_twice": self.listed_twice,
            "sitemap_skipped": self.sitemap_skipped,
            "skipped_entries": dict(self.skipped_entries),
        }


@dataclass
class RunReport:
    sources: dict[str, SourceReport] = field(default_factory=dict)
    seconds: float = 0.0
    interrupted: bool = False  # stopped (SIGTERM/SIGINT) before every request was done
    store_error: str | None = None  # a store call failed: the run stopped there

    def source(self, name: str) -> SourceReport:
        if name not in self.sources:
            self.sources[name] = SourceReport(name)
        return self.sources[name]

    @property
    def failed_sources(self) -> list[str]:
        return [s.name for s in self.sources.values() if not s.ok]

    @property
    def ok(self) -> bool:
        return not self.failed_sources and not self.interrupted and self.store_error is None

    def total(self, attribute: str) -> int:
        return sum(getattr(s, attribute) for s in self.sources.values())

    def stored_total(self, status: str) -> int:
        return sum(s.stored[status] for s in self.sources.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "seconds": round(self.seconds, 2),
            "interrupted": self.interrupted,
            "store_error": self.store_error,
            "sources": [s.as_dict() for s in self.sources.values()],
        }

    def render(self) -> str:
        """A table per source (within 80 columns), the problems spelled out, a summary.

        Per source the columns add up: listed − known + retry is what there was to
        fetch, and new + dup + off + upd + fail is what became of it; a line explains any
        difference (entries listed by two feeds, a run stopped early)."""
        header = (
            f"{'source':<18} {'feeds':>5} {'304':>4} {'held':>4} {'listed':>6} {'known':>5} "
            f"{'retry':>5} {'new':>4} {'dup':>4} {'off':>4} {'upd':>4} {'fail':>4}"
        )
        lines = [header, "-" * len(header)]
        for s in self.sources.values():
            feeds = f"{s.feeds_polled - len(s.feed_errors)}/{s.feeds_polled}"
            lines.append(
                f"{s.name[:18]:<18} {feeds:>5} {s.not_modified:>4} {s.held:>4} {s.entries:>6} "
                f"{s.already_stored:>5} {s.retried:>5} {s.stored['new']:>4} "
                f"{s.stored['duplicate']:>4} {s.stored['off_topic']:>4} {s.stored['updated']:>4} "
                f"{sum(s.failed.values()):>4}"
            )
        lines.extend(self._problems())  # not folded: each stays one line to grep
        lines.append("")
        lines.extend(_wrap(line, "  ") for line in self._summary())
        return "\n".join(lines)

    @property
    def offline(self) -> bool:
        """Every feed polled failed because its host name did not resolve."""
        polled = self.total("feeds_polled")
        return polled > 0 and self.total("unresolved") == polled

    def _summary(self) -> list[str]:
        failed = self.failed_sources
        polled = self.total("feeds_polled")
        feed_errors = sum(len(s.feed_errors) for s in self.sources.values())
        ok = polled - feed_errors - self.total("not_modified")
        lines = [
            f"{len(self.sources)} sources, {polled} feeds in {self.seconds:.1f}s: "
            f"{ok} ok, {self.total('not_modified')} not modified, {feed_errors} failed; "
            f"{self.total('held')} held",
            f"{self.total('fetched')} pages fetched: {self.stored_total('new')} new, "
            f"{self.stored_total('duplicate')} duplicate, {self.stored_total('off_topic')} "
            f"off-topic, {self.stored_total('updated')} updated; {self._failed_pages()}",
        ]
        if failed:
            lines.append(f"FAILED SOURCES ({len(failed)}): {', '.join(failed)}")
        if self.store_error is not None:
            lines.append(
                f"STORE FAILED: {self.store_error}; the run stopped there: what was stored "
                "is kept, the rest is fetched by the next run"
            )
        elif self.interrupted:
            lines.append("INTERRUPTED: what is left is fetched by the next run")
        return lines

    def _failed_pages(self) -> str:
        failed = sum(sum(s.failed.values()) for s in self.sources.values())
        if self.store_error is None:
            return f"{failed} pages failed"
        # fetched, but neither stored nor recorded as failed: the store refused them
        lost = self.total("fetched") - sum(s.stored_total for s in self.sources.values()) - failed
        lost = max(lost, 0)
        return f"{failed + lost} pages failed ({lost} fetched but not stored: the store failed)"

    def _problems(self) -> list[str]:
        lines: list[str] = []
        if self.offline:
            polled = self.total("feeds_polled")
            lines.append(
                f"  no outlet's host name resolved ({polled} feeds): is this machine offline?"
            )
        for s in self.sources.values():
            if not self.offline:
                lines.extend(f"  {s.name}: feed failed: {error}" for error in s.feed_errors)
            lines.extend(f"  {s.name}: feed held back: {held}" for held in s.deferred)
            if s.not_due:
                lines.append(f"  {s.name}: {s.not_due} feed(s) not due yet (--due-only)")
            lines.extend(f"  {s.name}: feed warning: {warning}" for warning in s.feed_warnings)
            if s.failed:
                reasons = ", ".join(f"{reason} ×{n}" for reason, n in s.failed.most_common())
                lines.append(f"  {s.name}: article failures (retried next run): {reasons}")
            if s.gave_up:
                lines.append(
                    f"  {s.name}: {s.gave_up} article(s) failed too often; no more retries"
                )
            if s.skipped_entries:
                reasons = ", ".join(
                    f"{reason} ×{n}" for reason, n in s.skipped_entries.most_common()
                )
                lines.append(
                    f"  {s.name}: {s.skipped_entries.total()} feed entries skipped "
                    f"(cannot be recorded): {reasons}"
                )
            if s.sitemap_skipped:
                lines.append(
                    f"  {s.name}: {s.sitemap_skipped} sitemap URL(s) older than "
                    "crawl.sitemap_window or over crawl.sitemap_max_urls: not fetched"
                )
            if s.listed_twice:
                lines.append(f"  {s.name}: {s.listed_twice} entries listed twice: fetched once")
            if s.unaccounted > 0:
                what = "not fetched or not stored" if self.store_error else "not fetched"
                lines.append(f"  {s.name}: {s.unaccounted} page(s) {what} yet (next run)")
        return ["", *lines] if lines else []

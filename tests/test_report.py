"""The run report: columns that add up, held-back feeds shown, gaps explained, 80 columns."""

from __future__ import annotations

from monitor.crawl.report import RunReport


def _report() -> RunReport:
    report = RunReport(seconds=3.2)
    busy = report.source("a_very_long_source_name_indeed")
    busy.feeds_polled = 3
    busy.not_modified = 1
    busy.entries = 20
    busy.already_stored = 8
    busy.retried = 2
    busy.listed_twice = 1
    busy.fetched = 12
    busy.stored.update(new=5, duplicate=2, off_topic=3, updated=1)
    busy.failed.update(http_500=1)
    busy.feed_warnings.append("http://x/feed: 2 entries without a link")
    held = report.source("held")
    held.deferred.append("http://h/feed: not polled until 2026-12-02 05:00 UTC (backoff)")
    held.not_due = 1
    return report


def _row(text: str, name: str) -> list[str]:
    return next(line for line in text.splitlines() if line.startswith(name[:18])).split()


def test_columns_add_up_and_fit_in_80_columns() -> None:
    report = _report()
    text = report.render()
    assert max(len(line) for line in text.splitlines()[:4]) <= 80
    header = text.splitlines()[0].split()
    assert header == [
        "source", "feeds", "304", "held", "listed", "known", "retry",
        "new", "dup", "off", "upd", "fail",
    ]  # fmt: skip
    row = dict(zip(header[1:], _row(text, "a_very_long_source_name_indeed")[1:], strict=True))
    to_fetch = int(row["listed"]) - int(row["known"]) + int(row["retry"])
    outcomes = sum(int(row[k]) for k in ("new", "dup", "off", "upd", "fail"))
    assert (row["feeds"], row["304"], to_fetch, outcomes) == ("3/3", "1", 14, 12)
    assert report.source("a_very_long_source_name_indeed").unaccounted == 1
    # ... and the two it does not show are explained
    assert "1 entries listed twice: fetched once" in text
    assert "1 page(s) not fetched yet" in text


def test_held_back_feeds_are_shown_not_zero_over_zero() -> None:
    text = _report().render()
    row = _row(text, "held")
    assert row[1:4] == ["0/0", "0", "2"]  # nothing polled, two feeds held back
    assert "held: feed held back: http://h/feed" in text
    assert "held: 1 feed(s) not due yet" in text
    assert "FAILED SOURCES (1): held" in text


def test_an_offline_machine_gets_one_line_not_one_per_feed() -> None:
    report = RunReport()
    for name in ("a", "b"):
        source = report.source(name)
        source.feeds_polled = source.unresolved = 2
        source.feed_errors += [f"https://{name}.example/1: host name not found"] * 2
    text = report.render()
    assert "is this machine offline?" in text
    assert "host name not found" not in text
    assert report.offline
    report.source("b").unresolved = 1  # one feed answered something else: not offline
    assert not report.offline
    assert report.render().count("host name not found") == 4

"""The fault matrix: hostile feeds and pages, a full disk, signals, kill -9.

Every case runs the real `rasad crawl` in a subprocess against the fixture site on
127.0.0.1 (a hostile one: `NewsSite.set_response` serves any bytes at any path) with a
temporary config and store, and asserts three things: the report line that says what
happened, the exit code (DESIGN.md's contract), and the rows the store holds. No case may
end with exit 0 while an article or a feed was silently not stored.

Full disk is simulated with RLIMIT_FSIZE in the crawl's process (`preexec_fn`): a write
past the limit fails with EFBIG, which SQLite reports as "database or disk is full" (or a
disk I/O error), the same path a full filesystem takes. SIGXFSZ is ignored in the child so
the write fails instead of killing the process.
"""

from __future__ import annotations

import os
import random
import re
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fixture_site import (
    FeedLink,
    NewsSite,
    Routes,
    SiteArticle,
    fresh_stories,
    rasad_config,
)

from monitor.text.urls import canonical_url

REPO = Path(__file__).resolve().parents[1]
FEED = "/hostile.xml"
RSS = "application/rss+xml; charset=utf-8"

pytestmark = pytest.mark.slow


def rasad(
    config: Path, *args: str, timeout: float = 120, fsize: int | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "RASAD_CONFIG"}
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", "crawl", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env=env,
        preexec_fn=(lambda: _limit_file_size(fsize)) if fsize else None,
    )


def _limit_file_size(size: int | None) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size or 0, size or 0))


def write_config(tmp_path: Path, site: NewsSite, feeds: list[str], **crawl: Any) -> Path:
    text = rasad_config(site, f"sqlite:///{tmp_path}/rasad.db", feeds=feeds, crawl=crawl)
    path = tmp_path / "rasad.toml"
    path.write_text(text, encoding="utf-8")
    return path


def rows(tmp_path: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(tmp_path / "rasad.db") as db:
        return list(db.execute(sql, params))


def entry(tmp_path: Path, url: str) -> tuple[str, int, str | None] | None:
    """(state, attempts, last_error) of a frontier entry, or None."""
    found = rows(
        tmp_path,
        "SELECT state, attempts, last_error FROM entries WHERE canonical_url = ?",
        canonical_url(url),
    )
    return found[0] if found else None


def stored_urls(tmp_path: Path) -> set[str]:
    return {u for (u,) in rows(tmp_path, "SELECT canonical_url FROM articles WHERE source != ''")}


def raw_rss(*items: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>عدائي</title><link>http://127.0.0.1/</link><description>d</description>"
        + "".join(f"<item>{item}</item>" for item in items)
        + "</channel></rss>"
    )


def item(title: str, link: str | None = None, guid: str | None = None) -> str:
    parts = [f"<title>{title}</title>"]
    if link is not None:
        parts.append(f"<link>{link}</link>")
    if guid is not None:
        parts.append(f"<guid>{guid}</guid>")
    return "".join(parts)


# -- the matrix --------------------------------------------------------------------------------

STORIES = fresh_stories()[:2]


@dataclass(frozen=True)
class Case:
    name: str
    # builds the hostile part on the site; returns the URL whose fate the case checks
    build: Callable[[NewsSite], str | None]
    exit_code: int
    report: tuple[str, ...]  # lines (substrings) the report must show
    # the store after the run: given the tmp dir, the site and the URL from build()
    check: Callable[[Path, NewsSite, str | None], None]
    crawl: dict[str, Any] = field(default_factory=dict)
    site: dict[str, Any] = field(default_factory=dict)


def _url_of(site: NewsSite, story: SiteArticle) -> str:
    return site.url(site.path_for(story))


def _good_items(site: NewsSite) -> list[str]:
    return [item(f"خبر {n}", _url_of(site, story)) for n, story in enumerate(STORIES)]


def _both_stories_stored(tmp: Path, site: NewsSite, _url: str | None) -> None:
    assert {canonical_url(_url_of(site, s)) for s in STORIES} <= stored_urls(tmp)


def _bad_link(link: str) -> Callable[[NewsSite], str | None]:
    def build(site: NewsSite) -> str | None:
        body = raw_rss(_good_items(site)[0], item("رابط معطوب", link), _good_items(site)[1])
        site.set_response(FEED, 200, body, content_type=RSS)
        return link

    return build


def _bad_guid(guid: str) -> Callable[[NewsSite], str | None]:
    def build(site: NewsSite) -> str | None:
        body = raw_rss(_good_items(site)[0], item("معرّف معطوب", guid=guid), _good_items(site)[1])
        site.set_response(FEED, 200, body, content_type=RSS)
        return guid

    return build


def _listing(path: str) -> Callable[[NewsSite], str | None]:
    """The two stories plus one item linking to `path` (a special route, or a long URL)."""

    def build(site: NewsSite) -> str | None:
        when = datetime(2026, 1, 2, tzinfo=UTC)
        site.add_to_feed(FEED, FeedLink(path, "خبر عدائي", when))
        return site.url(path)

    return build


def _failed_with(reason: str) -> Callable[[Path, NewsSite, str | None], None]:
    def check(tmp: Path, site: NewsSite, url: str | None) -> None:
        _both_stories_stored(tmp, site, url)
        assert url is not None
        found = entry(tmp, url)
        assert found is not None and found[0] == "failed", found
        assert found[1] == 1 and found[2] == reason, found

    return check


def _raw_feed(body: bytes | str, content_type: str = RSS) -> Callable[[NewsSite], str | None]:
    def build(site: NewsSite) -> str | None:
        site.set_response(FEED, 200, body, content_type=content_type)
        return None

    return build


def _feed_failed(tmp: Path, site: NewsSite, _url: str | None) -> None:
    ((streak, error, success),) = rows(
        tmp,
        "SELECT error_streak, last_error, last_success FROM feeds WHERE url = ?",
        site.url(FEED),
    )
    assert streak == 1 and error and success is None
    assert stored_urls(tmp) == set()


def _cp1256_stored(tmp: Path, site: NewsSite, _url: str | None) -> None:
    titles = {t for (t,) in rows(tmp, "SELECT title FROM entries")}
    assert "روسيا وكوريا الشمالية" in titles, titles
    _both_stories_stored(tmp, site, _url)


def _cp1256_feed(site: NewsSite) -> str | None:
    body = raw_rss(
        item("روسيا وكوريا الشمالية", _url_of(site, STORIES[0])), _good_items(site)[1]
    ).encode("cp1256")
    site.set_response(FEED, 200, body, content_type=RSS)  # labelled UTF-8, bytes cp1256
    return None


def _retry_after_honoured(tmp: Path, site: NewsSite, url: str | None) -> None:
    _failed_with("http_429")(tmp, site, url)
    ((last, next_attempt),) = rows(
        tmp,
        "SELECT last_attempt, next_attempt FROM entries WHERE canonical_url = ?",
        canonical_url(url or ""),
    )
    waited = datetime.fromisoformat(next_attempt) - datetime.fromisoformat(last)
    assert waited.total_seconds() >= 3600


LONG_PATH = "/news/2026/01/02/" + "long-" * 430 + ".html"  # > 2,083 characters with the host

CASES = [
    Case(
        "item link with a bad port",
        _bad_link("http://127.0.0.1:99999/x"),
        0,
        ("1 feed entries skipped (cannot be recorded): bad_url ×1",),
        lambda tmp, site, url: (
            _both_stories_stored(tmp, site, url),
            _assert_no_entry(tmp, "99999"),
        ),
    ),
    Case(
        "GUID that is not a URL a store can key",
        _bad_guid("http://[zz]/x"),
        0,
        ("skipped 1 entries without an http(s) link or GUID URL",),
        lambda tmp, site, url: (
            _both_stories_stored(tmp, site, url),
            _assert_no_entry(tmp, "[zz]"),
        ),
    ),
    Case(
        "malformed feed",
        _raw_feed("<!-- خبر --> this is no XML at all {"),
        1,
        ("feed failed: ", "FAILED SOURCES (1): almadar"),
        _feed_failed,
    ),
    Case(
        "feed in a wrong encoding (cp1256 labelled UTF-8)",
        _cp1256_feed,
        0,
        ("2 pages fetched",),
        _cp1256_stored,
    ),
    Case(
        "binary feed",
        _raw_feed(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "image/png"),
        1,
        ("feed failed: ", "FAILED SOURCES (1): almadar"),
        _feed_failed,
    ),
    Case(
        "huge article page",
        _listing(Routes.HUGE),
        0,
        ("article failures (retried next run): too_large ×1",),
        _failed_with("too_large"),
        crawl={"max_page_bytes": 300_000},
        site={"huge_bytes": 2_000_000},
    ),
    Case(
        "binary article page",
        _listing(Routes.PNG),
        0,
        ("article failures (retried next run): not_html ×1",),
        _failed_with("not_html"),
    ),
    Case(
        "article page that times out",
        _listing(Routes.SLOW),
        0,
        ("article failures (retried next run): timeout ×1",),
        _failed_with("timeout"),
        crawl={"download_timeout": 1},
        site={"slow_seconds": 8},
    ),
    Case(
        "429 with Retry-After",
        _listing(Routes.RATE_LIMITED),
        0,
        ("article failures (retried next run): http_429 ×1",),
        _retry_after_honoured,
        site={"retry_after": "7200"},
    ),
    Case(
        "redirect loop",
        _listing(Routes.REDIRECT_LOOP),
        0,
        ("article failures (retried next run): redirects ×1",),
        _failed_with("redirects"),
    ),
    Case(
        "URL over 2,083 characters",
        _listing(LONG_PATH),
        0,
        ("article failures (retried next run): url_too_long ×1",),
        _failed_with("url_too_long"),
    ),
]


def _assert_no_entry(tmp: Path, fragment: str) -> None:
    urls = [u for (u,) in rows(tmp, "SELECT url FROM entries")]
    assert not [u for u in urls if fragment in u], urls
    assert len(urls) == len(STORIES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fault_matrix(case: Case, tmp_path: Path) -> None:
    with NewsSite(**case.site) as site:
        site.add_feed(FEED, STORIES, form="rss2")
        url = case.build(site)
        config = write_config(tmp_path, site, [FEED], **case.crawl)
        result = rasad(config)
        out = result.stdout
        assert result.returncode == case.exit_code, out + result.stderr
        assert result.stderr == "", result.stderr  # quiet: no library log, no traceback
        for line in case.report:
            assert line in out, out
        case.check(tmp_path, site, url)
    ((state,),) = rows(tmp_path, "SELECT state FROM runs")
    assert state == ("ok" if case.exit_code == 0 else "failed")


# -- dropped requests stop being re-queued after max_attempts ----------------------------------


def test_a_dropped_request_is_given_up_after_max_attempts(tmp_path: Path) -> None:
    with NewsSite() as site:
        site.add_feed(FEED, STORIES, form="rss2")
        url = _listing(LONG_PATH)(site)
        assert url is not None and len(url) > 2083
        config = write_config(tmp_path, site, [FEED], max_attempts=2, retry_delay=0)
        first = rasad(config)
        assert first.returncode == 0 and "url_too_long ×1" in first.stdout, first.stdout
        second = rasad(config)
        assert "url_too_long ×1" in second.stdout, second.stdout
        assert "1 article(s) failed too often; no more retries" in second.stdout
        third = rasad(config)
    assert third.returncode == 0
    assert "url_too_long" not in third.stdout, third.stdout
    assert entry(tmp_path, url) == ("failed", 2, "url_too_long")


# -- the store fails part-way: a full disk -----------------------------------------------------


def test_a_full_disk_stops_the_run_with_one_line_and_exit_1(tmp_path: Path) -> None:
    stories = _many_stories(12)
    with NewsSite() as site:
        site.add_feed(FEED, stories[:2], form="rss2")
        config = write_config(tmp_path, site, [FEED])
        assert rasad(config).returncode == 0
        before = stored_urls(tmp_path)
        assert len(before) == 2
        with sqlite3.connect(tmp_path / "rasad.db") as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        site.add_to_feed(FEED, *stories[2:])
        # no file may grow past 96 kB: the WAL (empty after the checkpoint) takes a few
        # steps, not ten articles' worth (the database file is only read)
        full = rasad(config, fsize=96 * 1024)
        assert full.returncode == 1, full.stdout + full.stderr
        assert not re.search(r"\b0 pages failed", full.stdout), full.stdout
        assert "fetched but not stored: the store failed" in full.stdout
        assert "STORE FAILED" in full.stdout, full.stdout
        errors = full.stderr.strip().splitlines()
        assert len(errors) == 1 and errors[0].startswith("rasad: store write failed"), errors
        assert "Traceback" not in full.stderr
        with sqlite3.connect(tmp_path / "rasad.db") as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        middle = stored_urls(tmp_path)
        assert before <= middle and len(middle) < len(stories)
        # every listed page not stored is still to fetch: pending, no attempt counted
        left = rows(tmp_path, "SELECT state, attempts FROM entries WHERE state != 'done'")
        assert set(left) <= {("pending", 0)}, left
        again = rasad(config)
        assert again.returncode == 0, again.stdout + again.stderr
        assert stored_urls(tmp_path) == {canonical_url(_url_of(site, s)) for s in stories}


def test_a_store_locked_mid_crawl_stops_the_run_and_loses_nothing(tmp_path: Path) -> None:
    with NewsSite(slow_seconds=3) as site:
        _slow_site(site)
        slow_url = site.url(Routes.SLOW)
        config = write_config(tmp_path, site, [FEED])
        proc = _start(config)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not site.requests(Routes.SLOW):
            time.sleep(0.05)
        # another program takes the write lock while the slow page is on its way, and
        # keeps it longer than the store's busy timeout (30 s)
        locker = sqlite3.connect(tmp_path / "rasad.db", isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")
        try:
            out, err = proc.communicate(timeout=90)
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        assert proc.returncode == 1, out + err
        assert "STORE FAILED" in out and "locked" in out, out
        assert err.startswith("rasad: store write failed") and err.count("\n") == 1, err
        assert entry(tmp_path, slow_url) == ("pending", 0, None)
        again = rasad(config)
        assert again.returncode == 0, again.stdout + again.stderr
        assert {canonical_url(_url_of(site, s)) for s in STORIES} <= stored_urls(tmp_path)
    # the locked run could not close itself; the next run marked it interrupted
    states = [s for (s,) in rows(tmp_path, "SELECT state FROM runs ORDER BY id")]
    assert states == ["interrupted", "ok"]


# -- signals: any stop before the end is "interrupted", exit 1, with the report ----------------


def _slow_site(site: NewsSite) -> None:
    site.add_feed(FEED, [*STORIES, FeedLink(Routes.SLOW, "خبر بطيء")], form="rss2")


def _start(config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "crawl", "--config", str(config)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "RASAD_CONFIG"},
    )


@pytest.mark.parametrize(
    ("signals", "slow_page"),
    [
        (1, ("failed", 1, "no_text")),  # a graceful stop: the request in flight is finished
        (2, ("pending", 0, None)),  # at once: the page in flight is left for the next run
    ],
    ids=["one SIGTERM", "two SIGTERMs"],
)
def test_a_stopped_crawl_is_interrupted_with_its_report(
    signals: int, slow_page: tuple[str, int, str | None], tmp_path: Path
) -> None:
    with NewsSite(slow_seconds=6) as site:
        _slow_site(site)
        slow_url = site.url(Routes.SLOW)
        config = write_config(tmp_path, site, [FEED], download_timeout=30)
        proc = _start(config)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not site.requests(Routes.SLOW):
            time.sleep(0.05)
        for _ in range(signals):
            proc.send_signal(signal.SIGTERM)
            time.sleep(0.3)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1, out + err
    assert "INTERRUPTED" in out and "pages fetched" in out, out
    assert "Traceback" not in err
    assert rows(tmp_path, "SELECT state FROM runs") == [("interrupted",)]
    assert entry(tmp_path, slow_url) == slow_page


def test_a_sigterm_in_the_first_moments_is_recorded_too(tmp_path: Path) -> None:
    with NewsSite() as site:
        _slow_site(site)
        config = write_config(tmp_path, site, [FEED])
        proc = _start(config)
        deadline = time.monotonic() + 30
        # the store is being opened: migrations, seeds, then Scrapy's imports, all before
        # Scrapy installs its own signal handlers
        while not (tmp_path / "rasad.db").exists() and time.monotonic() < deadline:
            time.sleep(0.005)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        assert not site.article_requests()  # stopped before any page was asked for
    assert proc.returncode == 1, (proc.returncode, out, err)
    assert "INTERRUPTED" in out and "0 pages fetched" in out, out
    assert rows(tmp_path, "SELECT state FROM runs") == [("interrupted",)]
    assert {state for (state,) in rows(tmp_path, "SELECT state FROM entries")} <= {"pending"}


# -- kill -9 at random points: integrity and exactly-once after a re-run -----------------------


def _many_stories(n: int) -> list[SiteArticle]:
    base = fresh_stories()
    out: list[SiteArticle] = []
    for i in range(n):
        story = base[i % len(base)]
        out.append(
            SiteArticle(
                slug=f"{story.slug}-{i}",
                title=f"{story.title} ({i})",
                paragraphs=(*story.paragraphs, f"وهذا هو التقرير رقم {i} من سلسلة التقارير."),
                published=story.published,
            )
        )
    return out


def _stored_so_far(tmp_path: Path) -> int:
    """Articles stored (read while a crawl may be writing: WAL lets it); 0 before the schema."""
    if not (tmp_path / "rasad.db").exists():
        return 0
    try:
        return len(stored_urls(tmp_path))
    except sqlite3.OperationalError:
        return 0


@pytest.fixture
def big_site() -> Iterator[tuple[NewsSite, list[SiteArticle]]]:
    stories = _many_stories(240)
    with NewsSite() as site:
        for n in range(4):
            site.add_feed(f"/feed-{n}.xml", stories[n::4], form="rss2")
        yield site, stories


def test_kill_9_at_random_points_loses_and_duplicates_nothing(
    big_site: tuple[NewsSite, list[SiteArticle]], tmp_path: Path
) -> None:
    site, stories = big_site
    config = write_config(tmp_path, site, [f"/feed-{n}.xml" for n in range(4)])
    rng = random.Random(13)
    started = time.monotonic()
    progress: list[int] = []  # articles stored after each kill
    while time.monotonic() - started < 40 and len(progress) < 6:
        before = _stored_so_far(tmp_path)
        proc = _start(config)
        # once this run is storing pages, kill it at a random instant
        while proc.poll() is None and time.monotonic() - started < 50:
            if _stored_so_far(tmp_path) > before:
                break
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 1.0))
        if proc.poll() is not None:
            proc.communicate()
            break  # finished before the kill: everything is stored
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        with sqlite3.connect(tmp_path / "rasad.db") as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        progress.append(len(stored_urls(tmp_path)))
    final = rasad(config, timeout=180)
    assert final.returncode == 0, final.stdout + final.stderr
    # killed at least three times while pages were being stored
    assert len([n for n in progress if 0 < n < len(stories)]) >= 3, progress
    urls = [u for (u,) in rows(tmp_path, "SELECT canonical_url FROM articles WHERE source != ''")]
    assert len(urls) == len(set(urls))  # once
    assert set(urls) == {canonical_url(_url_of(site, s)) for s in stories}  # all
    with sqlite3.connect(tmp_path / "rasad.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# -- the pieces, without a crawl ---------------------------------------------------------------


def test_the_guard_stops_at_the_first_failing_store_call() -> None:
    from monitor.crawl.failures import GuardedStore, StoreWriteFailed

    calls: list[str] = []

    class Store:
        def add(self, name: str) -> str:
            calls.append(name)
            if name == "full":
                raise sqlite3.OperationalError("database or disk is full")
            return name

    stops: list[str] = []
    guard = GuardedStore(Store(), stops.append)
    assert guard.add("a") == "a"
    with pytest.raises(StoreWriteFailed, match="disk is full; free some disk space"):
        guard.add("full")
    with pytest.raises(StoreWriteFailed):
        guard.add("b")  # refused without touching the store
    assert calls == ["a", "full"] and len(stops) == 1


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:99999/x", "bad_url"),
        ("http://[zz]/x", "bad_url"),
        ("ftp://example.org/x", "bad_url"),
        ("http:///x", "bad_url"),
        ("https://example.org:8443/أخبار?id=1", None),
    ],
)
def test_unrecordable_urls(url: str, reason: str | None) -> None:
    from monitor.text.urls import unrecordable

    assert unrecordable(url) == reason

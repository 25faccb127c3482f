"""Pages prepared in worker processes: the same results as in the crawl process, stored in
the order the pages arrived, and no worker outliving its crawl.

The crawl-level checks run `rasad crawl` on the fixture site twice, with `[crawl] extract_processes`
2 and 0, and compare the exports; the rest drives `monitor.crawl.prepare` directly.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import pytest
from fixture_site import (
    NewsSite,
    demo_site,
    load_ant_articles,
    mentions_russia_and_north_korea,
    rasad_config,
    shared_data_dir,
)

from monitor.crawl.pipelines import InOrder
from monitor.crawl.prepare import Judging, Prepared, Preparer, prepare
from monitor.deliver.search import parse
from monitor.judge.relevance import load_lexicon
from monitor.models import FeedEntry
from store import open_store

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden"
ALL = ("new", "duplicate", "off_topic")


def judging() -> Judging:
    return Judging(load_lexicon(None), threshold=0.5, languages=("ar",), max_bytes=10_000_000)


def golden_pages() -> list[tuple[bytes, str]]:
    pages = sorted(GOLDEN.glob("*/*/page.html"))
    assert len(pages) >= 3, "the golden pages are part of the repository"
    return [
        (p.read_bytes(), f"https://example.org/{p.parent.parent.name}/{i}")
        for i, p in enumerate(pages)
    ]


def entry(url: str) -> FeedEntry:
    return FeedEntry(url=url, title="")


def wait_for_pool(preparer: Preparer, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not preparer.pool_pids:
        assert preparer.broken is None, preparer.broken
        assert time.monotonic() < deadline, "the worker pool did not start"
        time.sleep(0.05)


# --- InOrder: the store step's turns --------------------------------------------------


def test_turns_come_in_ticket_order_whatever_order_work_finishes() -> None:
    async def scenario() -> list[int]:
        gate = InOrder()
        stored: list[int] = []

        async def page(ticket: int, work: float) -> None:
            await asyncio.sleep(work)  # later tickets finish their work first
            await gate.turn(ticket)
            stored.append(ticket)
            gate.done(ticket)

        tickets = [gate.ticket() for _ in range(6)]
        await asyncio.gather(*(page(t, 0.06 - 0.01 * t) for t in tickets))
        return stored

    assert asyncio.run(scenario()) == [0, 1, 2, 3, 4, 5]


def test_a_ticket_given_up_out_of_turn_never_stalls_the_rest() -> None:
    async def scenario() -> list[int]:
        gate = InOrder()
        stored: list[int] = []
        first, second, third = gate.ticket(), gate.ticket(), gate.ticket()
        gate.done(second)  # failed before its turn (e.g. cancelled)

        async def page(ticket: int) -> None:
            await gate.turn(ticket)
            stored.append(ticket)
            gate.done(ticket)

        await asyncio.wait_for(asyncio.gather(page(third), page(first)), timeout=5)
        return stored

    assert asyncio.run(scenario()) == [0, 2]


# --- Preparer ---------------------------------------------------------------------------


def test_workers_prepare_exactly_what_the_crawl_process_prepares() -> None:
    settings = judging()
    pages = golden_pages()
    here = [prepare(body, url, {}, entry(url), UTC, settings) for body, url in pages]
    assert any(p.article is not None for p in here)

    preparer = Preparer(settings, workers=2, pool_after=1)
    try:
        first = preparer.submit(pages[0][0], pages[0][1], {}, entry(pages[0][1]), UTC)
        assert first.done() and preparer.prepared_here == 1  # before the pool: at once, here
        wait_for_pool(preparer)
        futures = [preparer.submit(b, u, {}, entry(u), UTC) for b, u in pages]
        there = [f.result(timeout=60) for f in futures]
    finally:
        preparer.close()
    assert preparer.prepared_by_workers == len(pages)
    assert there == here


def test_a_page_that_breaks_extraction_is_a_failure_not_an_exception() -> None:
    result = prepare(
        b"\x00\x01" * 50,
        "https://example.org/x",
        {},
        entry("https://example.org/x"),
        UTC,
        judging(),
    )
    assert isinstance(result, Prepared) and result.article is None and result.failure


def test_a_dead_worker_sends_its_page_back_to_the_crawl_process() -> None:
    settings = judging()
    body, url = golden_pages()[0]
    expected = prepare(body, url, {}, entry(url), UTC, settings)
    preparer = Preparer(settings, workers=1, pool_after=0)
    try:
        preparer.submit(body, url, {}, entry(url), UTC).result()
        wait_for_pool(preparer)
        os.kill(preparer.pool_pids[0], signal.SIGKILL)
        time.sleep(0.5)
        future = preparer.submit(body, url, {}, entry(url), UTC)
        try:
            result = future.result(timeout=30)
        except Exception as exc:  # the pool noticed the death while the page was queued
            result = preparer.retry_here(body, url, {}, entry(url), UTC, exc)
        assert result == expected
        assert preparer.broken is not None
        # from now on pages are prepared here, at once
        later = preparer.submit(body, url, {}, entry(url), UTC)
        assert later.done() and later.result() == expected
    finally:
        preparer.close()


def test_workers_end_with_a_crawl_process_killed_with_sigkill(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path[:0] = [{str(REPO)!r}, {str(REPO / "tests")!r}]
        from datetime import UTC
        from test_prepare_pool import judging, golden_pages, entry, wait_for_pool
        from monitor.crawl.prepare import Preparer
        p = Preparer(judging(), workers=2, pool_after=0)
        body, url = golden_pages()[0]
        p.submit(body, url, {{}}, entry(url), UTC)
        wait_for_pool(p)
        print(*p.pool_pids, flush=True)
        time.sleep(120)
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    pids = [int(p) for p in process.stdout.readline().split()]
    assert len(pids) == 2 and all(Path(f"/proc/{p}").exists() for p in pids)
    process.kill()
    process.wait()
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in pids if _alive(p)], "workers outlived their crawl"
    # and nothing holds the crawl's output open any more, nor writes to it
    _out, err = process.communicate(timeout=10)
    assert err == ""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


# --- the crawl ----------------------------------------------------------------------------


@pytest.fixture
def big_site() -> Iterator[NewsSite]:
    if not shared_data_dir():
        pytest.skip("../shared/data (the ANT corpus) is absent")
    on_topic = load_ant_articles(12, seed=5, filter=mentions_russia_and_north_korea)
    with demo_site([*load_ant_articles(110, seed=11), *on_topic]) as running:
        yield running


def crawl(site: NewsSite, tmp_path: Path, workers: int) -> tuple[list[dict[str, object]], str]:
    home = tmp_path / f"workers-{workers}"
    home.mkdir()
    config = home / "rasad.toml"
    config.write_text(
        rasad_config(
            site,
            f"sqlite:///{home}/rasad.db",
            crawl={"extract_processes": workers, "concurrency_per_host": 8},
        ),
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k != "RASAD_CONFIG"}
    log = home / "crawl.log"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "monitor.cli",
            "crawl",
            "--config",
            str(config),
            "--log-file",
            str(log),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    exported = subprocess.run(
        [sys.executable, "-m", "monitor.cli", "export", "--all", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env=env,
        check=True,
    )
    records = [json.loads(line) for line in exported.stdout.splitlines()]
    return records, log.read_text(encoding="utf-8")


def comparable(records: list[dict[str, object]]) -> dict[object, tuple[object, ...]]:
    fields = ("status", "duplicate_of", "story", "title", "text", "published", "relevance")
    return {r["canonical_url"]: tuple(r[f] for f in fields) for r in records}


@pytest.mark.slow
def test_a_crawl_with_workers_stores_what_a_crawl_without_them_stores(
    big_site: NewsSite, tmp_path: Path
) -> None:
    with_pool, log = crawl(big_site, tmp_path, workers=2)
    alone, log_alone = crawl(big_site, tmp_path, workers=0)
    by_workers = [line for line in log.splitlines() if "pages prepared:" in line]
    assert by_workers and " 0 by workers" not in by_workers[-1], by_workers
    assert "0 by workers" in log_alone
    assert len(with_pool) >= 120
    assert {r["status"] for r in with_pool} >= {"new", "duplicate", "off_topic"}
    assert comparable(with_pool) == comparable(alone)
    # the search index's terms, computed in the workers, are the ones the store computes
    store = open_store(f"sqlite:///{tmp_path / 'workers-2' / 'rasad.db'}")
    try:
        query = parse("روسيا OR كوريا OR بيونغ")
        before = [hit.article.canonical_url for hit in store.search(query, limit=50, statuses=ALL)]
        store.reindex()
        after = [hit.article.canonical_url for hit in store.search(query, limit=50, statuses=ALL)]
    finally:
        store.close()
    assert before and before == after


def test_a_fresh_pool_takes_over_and_the_old_one_finishes_its_pages() -> None:
    settings = judging()
    pages = golden_pages()
    expected = [prepare(b, u, {}, entry(u), UTC, settings) for b, u in pages]
    preparer = Preparer(settings, workers=1, pool_after=0, recycle_after=3)
    try:
        preparer.submit(pages[0][0], pages[0][1], {}, entry(pages[0][1]), UTC).result()
        wait_for_pool(preparer)
        first_pids = preparer.pool_pids
        results = []
        deadline = time.monotonic() + 60
        while preparer.pools_started < 2:  # pages keep flowing while the next pool starts
            assert time.monotonic() < deadline, "no fresh pool took over"
            futures = [preparer.submit(b, u, {}, entry(u), UTC) for b, u in pages]
            results.append([f.result(timeout=60) for f in futures])
        assert preparer.broken is None
        assert all(batch == expected for batch in results)
        assert preparer.pool_pids and preparer.pool_pids != first_pids
    finally:
        preparer.close()
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in first_pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in first_pids if _alive(p)], "the retired pool's workers did not end"

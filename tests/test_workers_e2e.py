"""End to end, scaled out: `rasad crawl` as coordinator with `[queue] url` and several
`rasad worker` processes over one real redis-server, crawling the fixture news site into one
SQLite store; one worker killed with SIGKILL mid-crawl.

Every process is a real subprocess; the site, Redis and the store are real, on 127.0.0.1.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fixture_site import NewsSite, SiteArticle, load_seed_articles, rasad_config
from redis_server import redis_server

from monitor.queue.redis_queue import RedisQueue
from monitor.text.urls import canonical_url

REPO = Path(__file__).resolve().parents[1]
FEEDS = ("/feed/", "/rss/world.xml", "/rss/politics.xml", "/rss/latest.xml")
TOPIC = (
    "وبحث الرئيس الروسي فلاديمير بوتين مع الزعيم الكوري الشمالي كيم جونغ أون في موسكو "
    "التعاون العسكري بين روسيا وكوريا الشمالية ومعاهدة الشراكة الاستراتيجية بين البلدين."
)

pytestmark = pytest.mark.slow


def _vocabulary() -> list[str]:
    words = {w for a in load_seed_articles() for p in a.paragraphs for w in p.split()}
    return sorted(w for w in words if len(w) > 3 and w.isalpha())


def site_articles(n: int, seed: int = 15) -> list[SiteArticle]:
    """`n` distinct stories (random prose, so none is a near-duplicate of another or of a
    seed); every third is about Russia and North Korea, the rest off topic."""
    rng = random.Random(seed)
    vocabulary = _vocabulary()
    start = datetime(2026, 11, 20, 6, tzinfo=UTC)
    stories = []
    for i in range(n):
        paragraphs = [" ".join(rng.choices(vocabulary, k=45)) + "." for _ in range(4)]
        if i % 3 == 0:
            paragraphs.insert(1, TOPIC)
        title = " ".join(rng.choices(vocabulary, k=6))
        stories.append(
            SiteArticle(
                slug=f"story-{i}",
                title=title,
                paragraphs=paragraphs,
                published=start + timedelta(minutes=7 * i),
            )
        )
    return stories


def rasad(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env=_env(),
    )


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "RASAD_CONFIG"}


def start(*args: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "monitor.cli", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            env=_env(),
        )


def write_config(
    directory: Path, site: NewsSite, queue: str | None = None, download_delay: float = 0.0
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    store = f"sqlite:///{directory}/rasad.db"
    text = rasad_config(site, store, feeds=FEEDS, download_delay=download_delay)
    if queue:
        text = text.replace("[[sources]]", f'[queue]\nurl = "{queue}"\nlease = 2\n\n[[sources]]')
    path = directory / "rasad.toml"
    path.write_text(text, encoding="utf-8")
    return path


def exported(config: Path) -> list[dict[str, object]]:
    result = rasad("export", "--all", "--config", str(config))
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def counts_of(report: str) -> list[str]:
    """The report without its timings: the table, the problems, the pages line."""
    return [line for line in report.splitlines() if " feeds in " not in line]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


def build_site(n: int, page_delay: float) -> NewsSite:
    site = NewsSite(page_delay=page_delay)
    for path in FEEDS:
        site.add_feed(path, (), "rss2")
    for i, article in enumerate(site_articles(n)):
        site.add_article(article, feeds=[FEEDS[i % len(FEEDS)]])
    return site


def crawl_with_workers(
    config: Path,
    tmp_path: Path,
    workers: int,
    *,
    site: NewsSite,
    kill_after: int | None = None,
    stop_after: int | None = None,
) -> tuple[subprocess.CompletedProcess[str], list[int | None], float]:
    """The coordinator and `workers` workers. Once the site has answered `kill_after`
    article pages, worker 0 is killed -9; after `stop_after`, worker 1 gets SIGTERM. Returns
    the coordinator's result, the workers' exit codes (None: killed) and the wall time."""
    started = time.monotonic()
    procs = [
        start("worker", "--config", str(config), log=tmp_path / f"worker{i}.log")
        for i in range(workers)
    ]
    coordinator = start("crawl", "--config", str(config), log=tmp_path / "coordinator.log")
    signals_due = {0: (kill_after, signal.SIGKILL), 1: (stop_after, signal.SIGTERM)}
    sent: dict[int, signal.Signals] = {}
    try:
        while coordinator.poll() is None:
            pages = sum(r.path not in (*FEEDS, "/robots.txt") for r in site.requests())
            for i, (after, signum) in signals_due.items():
                if after is not None and i not in sent and pages >= after:
                    procs[i].send_signal(signum)
                    sent[i] = signum
            time.sleep(0.05)
            assert time.monotonic() - started < 400, "the coordinator never finished"
        wall = time.monotonic() - started
        codes: list[int | None] = []
        for i, proc in enumerate(procs):
            if i not in sent:
                proc.send_signal(signal.SIGTERM)
            code = proc.wait(60)
            codes.append(None if sent.get(i) == signal.SIGKILL else code)
    finally:
        for proc in [coordinator, *procs]:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    output = (tmp_path / "coordinator.log").read_text(encoding="utf-8")
    result = subprocess.CompletedProcess(coordinator.args, coordinator.returncode, output, "")
    wanted = {i for i, (after, _) in signals_due.items() if after is not None}
    assert set(sent) == wanted, "the crawl ended before the workers could be stopped"
    return result, codes, wall


def test_workers_store_every_article_once_though_one_is_killed_one_stopped(
    redis_url: str, tmp_path: Path, summary_lines: dict[str, list[str]]
) -> None:
    n = 300
    with build_site(n, page_delay=0.02) as site:
        single = write_config(tmp_path / "single", site)
        began = time.monotonic()
        reference = rasad("crawl", "--config", str(single))
        single_wall = time.monotonic() - began
        assert reference.returncode == 0, reference.stdout + reference.stderr
        article_urls = {canonical_url(site.url_for(a)) for a in site_articles(n)}
        site.clear_requests()

        scaled = write_config(tmp_path / "scaled", site, queue=redis_url)
        # worker 0 is killed -9 a third of the way, worker 1 stopped (SIGTERM) half-way
        result, codes, wall = crawl_with_workers(
            scaled, tmp_path, 3, kill_after=n // 3, stop_after=n // 2, site=site
        )
        assert result.returncode == 0, result.stdout
        logs = [(tmp_path / f"worker{i}.log").read_text() for i in (1, 2)]
        assert codes == [None, 0, 0], logs
        fetches = Counter(r.path for r in site.requests() if r.path not in (*FEEDS, "/robots.txt"))

    rows = exported(scaled)
    urls = [str(row["canonical_url"]) for row in rows]
    assert len(urls) == len(set(urls)), "an article was stored twice"
    assert set(urls) == article_urls, "an article was lost"
    # the same outcome for every page as the single-process crawl gave it
    assert {str(r["canonical_url"]): r["status"] for r in exported(single)} == {
        str(r["canonical_url"]): r["status"] for r in rows
    }
    # the report accounts for every page: those the killed worker stored without telling
    # the queue are found stored by the worker that took them again ("known")
    report = result.stdout
    assert "INTERRUPTED" not in report and "not fetched" not in report, report
    row = next(line.split() for line in report.splitlines() if line.startswith("almadar"))
    listed, known, new, dup, off, fail = (int(row[i]) for i in (4, 5, 7, 8, 9, 11))
    assert listed == n and known + new + dup + off + fail == n, report
    statuses = Counter(str(r["status"]) for r in rows)
    twice = sum(times > 1 for times in fetches.values())
    summary_lines.setdefault("scale-out", []).append(
        f"{n} pages: single process {single_wall:.1f}s; coordinator + 3 workers (one "
        f"killed -9, one stopped) {wall:.1f}s, {twice} pages fetched twice; "
        f"{dict(statuses)}"
    )


def test_a_worker_needs_a_queue(tmp_path: Path) -> None:
    with NewsSite() as site:
        result = rasad("worker", "--config", str(write_config(tmp_path, site)), timeout=60)
    assert result.returncode == 2
    assert "needs a shared queue: set [queue] url" in result.stderr


def test_a_worker_sends_a_failing_page_once_per_claim_not_retried_past_the_host_slot(
    redis_url: str, tmp_path: Path
) -> None:
    from fixture_site import FeedLink, Routes

    with build_site(6, page_delay=0.0) as site:
        when = datetime(2026, 11, 20, 6, tzinfo=UTC)
        site.add_to_feed(FEEDS[0], FeedLink(Routes.SERVER_ERROR, "خبر يتعطل خادمه", when))
        config = write_config(tmp_path, site, queue=redis_url)
        result, codes, _wall = crawl_with_workers(config, tmp_path, 1, site=site)
        failing = site.requests(Routes.SERVER_ERROR)
    assert result.returncode == 0, result.stdout
    assert codes == [0]
    assert len(failing) == 1, [r.status for r in failing]  # Scrapy's retry would make it 2
    assert "http_500" in result.stdout


def test_a_queue_that_cannot_be_reached_is_one_line_for_crawl_and_worker(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on once it is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with NewsSite() as site:
        config = write_config(tmp_path, site, queue=f"redis://127.0.0.1:{port}/0")
        for command in ("crawl", "worker"):
            result = rasad(command, "--config", str(config), timeout=60)
            assert result.returncode == 1, (command, result.stdout + result.stderr)
            assert result.stderr.count("\n") == 1, (command, result.stderr)
            assert f"127.0.0.1:{port}" in result.stderr and "redis-server" in result.stderr
            assert "Traceback" not in result.stdout + result.stderr
        assert site.article_requests() == [], "nothing is fetched without the queue"


def test_the_report_summed_over_workers_is_the_single_process_report(
    redis_url: str, tmp_path: Path
) -> None:
    with build_site(90, page_delay=0.0) as site:
        single = rasad("crawl", "--config", str(write_config(tmp_path / "single", site)))
        assert single.returncode == 0, single.stdout + single.stderr
        scaled = write_config(tmp_path / "scaled", site, queue=redis_url)
        result, codes, _wall = crawl_with_workers(scaled, tmp_path, 3, site=site)
    assert result.returncode == 0, result.stdout
    assert codes == [0, 0, 0]
    assert counts_of(result.stdout) == counts_of(single.stdout)
    assert "90 pages fetched" in result.stdout


def test_one_host_gets_one_request_per_delay_from_all_workers(
    redis_url: str, tmp_path: Path
) -> None:
    delay = 0.4
    with build_site(12, page_delay=0.0) as site:
        config = write_config(tmp_path, site, queue=redis_url, download_delay=delay)
        result, codes, _wall = crawl_with_workers(config, tmp_path, 3, site=site)
        pages = [r for r in site.requests() if r.path not in (*FEEDS, "/robots.txt")]
    assert result.returncode == 0, result.stdout
    assert codes == [0, 0, 0]
    assert len(pages) == 12
    times = sorted(r.time for r in pages)
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    # three workers, each alone keeping `delay` between its own requests only, would send
    # three at once; the queue's host slot spaces them (up to the moments between a
    # worker's claim of the slot and Scrapy sending the request)
    assert min(gaps) >= delay * 0.75, gaps
    assert sum(gaps) / len(gaps) < delay * 2, gaps  # and it does not wait much longer


def test_a_stopped_coordinator_leaves_its_pages_to_the_workers(
    redis_url: str, tmp_path: Path
) -> None:
    queue = RedisQueue(redis_url)
    with build_site(30, page_delay=0.0) as site:
        config = write_config(tmp_path, site, queue=redis_url)
        coordinator = start("crawl", "--config", str(config), log=tmp_path / "coordinator.log")
        deadline = time.monotonic() + 60
        while queue.outstanding() != (30, 0):  # polled and queued; no worker yet
            assert coordinator.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        coordinator.send_signal(signal.SIGTERM)
        assert coordinator.wait(30) == 1
        report = (tmp_path / "coordinator.log").read_text(encoding="utf-8")
        assert "INTERRUPTED" in report and "30 page(s) not fetched yet" in report, report
        # a batch worker takes them all, and stops once the queue has been empty a second
        worker = rasad("worker", "--config", str(config), "--idle-exit", "1", timeout=120)
    assert worker.returncode == 0, worker.stderr
    assert "30 pages done" in worker.stderr
    assert len(exported(config)) == 30
    assert queue.outstanding() == (0, 0)
    queue.close()

"""PostgreSQL end to end: the same crawl into PostgreSQL and into SQLite gives the same archive,
and a connection the server drops mid-run is reconnected or ends the run with one clear line.

One fixture site (seeds, so there are copies; ANT articles, some of them on topic) is crawled
twice, once into each store; `rasad export --all`, `rasad search` and `rasad digest --dry-run`
must then agree field by field (the fetch times aside). The robustness tests terminate the
store's server session with `pg_terminate_backend`, as a server restart or failover would.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import fresh_store_url
from fixture_site import (
    NewsSite,
    Routes,
    demo_site,
    fresh_stories,
    load_ant_articles,
    mentions_russia_and_north_korea,
    seed_site,
)
from test_crawl_e2e import export, rasad, write_config

from monitor.errors import StoreError
from monitor.models import FeedEntry
from store import open_store
from store.base import FeedPoll, StoredArticle

pytestmark = pytest.mark.slow

#: What differs between two crawls of one site whatever the store: when each page was fetched.
_CLOCK_FIELDS = ("fetched",)
QUERIES = ("بوتين", "كوريا الشمالية", '"بيونغ يانغ"', "موسكو -لافروف", "روسي*")


def _psycopg() -> Any:
    return pytest.importorskip("psycopg")


def _without_clock(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in _CLOCK_FIELDS}


def _digest_settings() -> str:
    return '\n[digest]\nrecipients = ["analyst@example.org"]\nsender = "rasad@example.org"\n'


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """backend name -> the config of a store holding two crawls of the same site."""
    ant = [
        *load_ant_articles(8, seed=3, filter=mentions_russia_and_north_korea),
        *load_ant_articles(16, seed=5),
    ]
    configs: dict[str, Path] = {}
    site = demo_site(ant, seeds=True)
    # three write-ups of one event make one story, named by the first stored: the first is
    # crawled alone, so both stores name it alike (pages of one crawl are stored in any order)
    first, *later = fresh_stories()
    site.add_article(first, feeds=["/feed/"])
    with site:
        for backend in ("sqlite", "postgresql"):
            tmp_path = tmp_path_factory.mktemp(f"crawl-{backend}")
            url = fresh_store_url(backend, tmp_path)
            config = write_config(tmp_path, site, timezone="+03:00", store_url=url)
            config.write_text(config.read_text() + _digest_settings(), encoding="utf-8")
            configs[backend] = config
        for crawl in (1, 2):
            if crawl == 2:  # the later write-ups, and a second crawl of the same store
                for story in later:
                    site.add_article(story, feeds=["/feed/"])
            for config in configs.values():
                done = rasad("crawl", "--config", str(config))
                assert done.returncode == 0, done.stdout + done.stderr
    yield configs


def test_a_crawl_into_postgresql_exports_what_the_same_crawl_into_sqlite_does(
    crawled: dict[str, Path],
) -> None:
    sqlite = {r["canonical_url"]: r for r in export(crawled["sqlite"], "--all")}
    postgres = {r["canonical_url"]: r for r in export(crawled["postgresql"], "--all")}
    assert sorted(postgres) == sorted(sqlite)
    statuses = [r["status"] for r in sqlite.values()]
    # the crawl is worth comparing: new, duplicate (seed copies) and off-topic articles
    assert {"new", "duplicate", "off_topic"} <= set(statuses), statuses
    differing = {
        url: {
            k: (sqlite[url][k], postgres[url][k])
            for k in sqlite[url]
            if k not in _CLOCK_FIELDS and sqlite[url][k] != postgres[url][k]
        }
        for url in sqlite
        if _without_clock(sqlite[url]) != _without_clock(postgres[url])
    }
    assert not differing, differing
    # (not compared: the order, fetch time then id, which is the crawl's, whose eight feeds
    # answer in any order)
    assert sorted(r["url"] for r in export(crawled["postgresql"])) == sorted(
        r["url"] for r in export(crawled["sqlite"])
    )


def _search(config: Path, query: str, *extra: str) -> list[dict[str, Any]]:
    """`rasad search --format json` (in this process: some forty searches)."""
    import contextlib
    import io

    from monitor.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["search", "--config", str(config), "--format", "json", *extra, "--", query])
    assert code == 0, out.getvalue()
    return list(json.loads(out.getvalue()))


def test_search_finds_the_same_articles_on_both_stores(crawled: dict[str, Path]) -> None:
    found = 0
    for query in QUERIES:
        for status in ("new", "all"):
            by_date = {
                backend: [
                    (h["url"], h["snippet"], h["highlights"])
                    for h in _search(
                        config, query, "--status", status, "--sort", "date", "-n", "50"
                    )
                ]
                for backend, config in crawled.items()
            }
            assert by_date["postgresql"] == by_date["sqlite"], (query, status)
            found += len(by_date["sqlite"])
            # ranked: the same hits (scores are on each backend's own scale)
            ranked = {
                backend: {h["url"] for h in _search(config, query, "--status", status, "-n", "50")}
                for backend, config in crawled.items()
            }
            assert ranked["postgresql"] == ranked["sqlite"], (query, status)
    assert found >= 10


def test_a_digest_dry_run_plans_the_same_message_on_both_stores(crawled: dict[str, Path]) -> None:
    planned = {}
    for backend, config in crawled.items():
        done = rasad("digest", "--config", str(config), "--dry-run")
        assert done.returncode == 0, done.stderr
        planned[backend] = done.stdout
    assert "nothing new" not in planned["sqlite"]
    assert planned["postgresql"] == planned["sqlite"]


# the app keeps one read-only store per server thread for the process's life (monitor/web/app.py);
# under TestClient those sessions are dropped unclosed when the threads go: not what is tested
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_the_web_archive_serves_a_crawled_postgresql_store(crawled: dict[str, Path]) -> None:
    import warnings
    from urllib.parse import quote

    from monitor.config.loader import load_config
    from monitor.web import create_app

    with warnings.catch_warnings():  # Starlette 1.x would rather have httpx2; httpx works
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    import gc
    import re

    records = export(crawled["postgresql"], "--all")
    copy = next(r for r in records if r["status"] == "duplicate")
    title = fresh_stories()[0].title
    pages = {
        backend: TestClient(create_app(load_config(str(config))))
        for backend, config in crawled.items()
    }
    home = {backend: client.get("/") for backend, client in pages.items()}
    stories = {b: re.findall(r'href="(/story/[^"]+)"', r.text) for b, r in home.items()}
    assert stories["postgresql"] and stories["postgresql"] == stories["sqlite"]
    for path, shows in [
        ("/", title),
        ("/search?q=" + quote("لافروف"), title),
        ("/article?url=" + quote(str(copy["canonical_url"])), copy["title"]),
        ("/sources", "/feed/"),
    ]:
        served = {backend: client.get(path) for backend, client in pages.items()}
        for backend, response in served.items():
            assert response.status_code == 200, (backend, path, response.text[:300])
            assert shows in response.text, (backend, path)
    for backend, client in pages.items():
        for path in stories[backend][:3]:
            response = client.get(path.replace("&amp;", "&"))
            assert response.status_code == 200, (backend, path)
            assert title in response.text or "<article" in response.text, (backend, path)
    feed = pages["postgresql"].get("/feed.atom")
    assert feed.status_code == 200 and feed.text.count("<entry>") >= 1
    del pages, served, response, client
    gc.collect()  # the app's per-thread sessions go here, where their warnings are ignored


# ── a connection lost mid-run ─────────────────────────────────────────────────────────────


def _terminate(url: str, pid: int) -> None:
    with _psycopg().connect(url, autocommit=True) as db:
        assert db.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]


def _article(n: int) -> StoredArticle:
    story = fresh_stories()[n]
    when = datetime(2026, 11, 21, 12, n, tzinfo=UTC)
    url = f"http://127.0.0.1:8000/{story.slug}.html"
    return StoredArticle(
        url=url,
        canonical_url=url,
        source="almadar",
        title=story.title,
        published=when,
        fetched=when,
        text="\n\n".join(story.paragraphs),
        status="new",
        relevance=0.9,
    )


def _backend_pid(store: object) -> int:
    return int(store._db.info.backend_pid)  # type: ignore[attr-defined]


def test_a_lost_connection_is_reconnected_for_the_next_call(tmp_path: Path) -> None:
    url = fresh_store_url("postgresql", tmp_path)
    store = open_store(url)
    try:
        store.set_state("k", "v")
        _terminate(url, _backend_pid(store))
        assert store.get_state("k") == "v"  # a read: reconnected and run again
        _terminate(url, _backend_pid(store))
        store.set_state("k", "w")  # a write step: its BEGIN found the loss, nothing was sent
        assert store.get_state("k") == "w"
        _terminate(url, _backend_pid(store))
        assert store.counts()["new"] == 0
        # a stream that has not handed out anything yet starts again too
        store.add_unless_duplicate(_article(0))
        _terminate(url, _backend_pid(store))
        assert [a.url for a in store.articles()] == [_article(0).url]

        # a run keeps its lock over a reconnect: another machine's crawl must not take it
        # for a killed one
        run = store.start_run(datetime.now(UTC), ["almadar"])
        _terminate(url, _backend_pid(store))
        assert store.get_state("k") == "w"
        other = open_store(url)
        try:
            other.finish_run(other.start_run(datetime.now(UTC), ["b"]), datetime.now(UTC), "ok", {})
            assert {r["id"]: r["state"] for r in other.runs()}[run] == "running"
        finally:
            other.close()
        store.finish_run(run, datetime.now(UTC), "ok", {})
        assert {r["id"]: r["state"] for r in store.runs()}[run] == "ok"
    finally:
        store.close()


def _wait_for_lock_wait(url: str, pid: int) -> None:
    deadline = time.monotonic() + 20
    with _psycopg().connect(url, autocommit=True) as db:
        while time.monotonic() < deadline:
            row = db.execute(
                "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,)
            ).fetchone()
            if row and row[0] == "Lock":
                return
            time.sleep(0.02)
    raise AssertionError(f"backend {pid} never waited for the lock")


def test_a_connection_lost_inside_a_write_is_one_store_error_and_nothing_half_written(
    tmp_path: Path,
) -> None:
    from store.postgres.connection import lock_key

    url = fresh_store_url("postgresql", tmp_path)
    store = open_store(url)
    article = _article(1)
    psycopg = _psycopg()
    failed: list[BaseException] = []
    try:
        with psycopg.connect(url) as holder:  # holds the article's URL lock: the write waits
            holder.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key("url:" + article.url),))
            pid = _backend_pid(store)

            def write() -> None:
                try:
                    store.add_unless_duplicate(article)
                except BaseException as exc:
                    failed.append(exc)

            writer = threading.Thread(target=write)
            writer.start()
            _wait_for_lock_wait(url, pid)
            _terminate(url, pid)  # mid-transaction: the step must not be retried
            writer.join(20)
            holder.rollback()
        (error,) = failed
        assert isinstance(error, StoreError) and not error.at_open
        message = str(error)
        assert "\n" not in message and message.startswith("connection to postgresql://"), message
        assert "lost during a write: terminating connection" in message
        # the next call reconnects; the step left nothing behind and can be done again
        assert store.get(article.canonical_url) is None
        assert store.entry_states([article.url]) == {}
        assert store.add_unless_duplicate(article).status == "new"
    finally:
        store.close()


def test_a_server_that_cannot_be_reached_again_is_one_store_error(tmp_path: Path) -> None:
    url = fresh_store_url("postgresql", tmp_path)
    database = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    store = open_store(url)
    psycopg = _psycopg()
    try:
        with psycopg.connect(admin, autocommit=True) as db:
            db.execute(f"ALTER DATABASE {database} ALLOW_CONNECTIONS false")
        _terminate(admin, _backend_pid(store))
        with pytest.raises(StoreError) as caught:
            store.get_state("k")
        message = str(caught.value)
        assert "\n" not in message and not caught.value.at_open
        assert message.startswith("cannot connect again to the store at postgresql://"), message
        with psycopg.connect(admin, autocommit=True) as db:
            db.execute(f"ALTER DATABASE {database} ALLOW_CONNECTIONS true")
        assert store.get_state("k") is None  # and once it is back, the store carries on
        feed = "http://127.0.0.1:8000/feed/"
        poll = FeedPoll(source="almadar", feed_url=feed, polled=datetime.now(UTC), ok=True)
        entry = FeedEntry(url="http://127.0.0.1:8000/a.html", title="أ")
        assert store.record_poll(poll, [entry]).new_entries == 1
    finally:
        store.close()


def _stored(url: str) -> int:
    with _psycopg().connect(url, autocommit=True) as db:
        return int(db.execute("SELECT count(*) FROM articles").fetchone()[0])


def _crawl_backends(url: str) -> list[int]:
    database = url.rsplit("/", 1)[1]
    with _psycopg().connect(url, autocommit=True) as db:
        rows = db.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
            " AND backend_type = 'client backend' AND state = 'idle'",
            (database,),
        ).fetchall()
    return [int(pid) for (pid,) in rows]


def test_a_crawl_whose_session_is_terminated_between_writes_carries_on(tmp_path: Path) -> None:
    from fixture_site import FeedLink

    url = fresh_store_url("postgresql", tmp_path)
    with seed_site(slow_seconds=6) as site:
        site.add_to_feed("/feed/", FeedLink(Routes.SLOW, "خبر بطيء التحميل"))
        config = write_config(tmp_path, site, crawl={"download_timeout": 3}, store_url=url)
        import subprocess
        import sys

        crawl = subprocess.Popen(
            [sys.executable, "-m", "monitor.cli", "crawl", "--config", str(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[1],
        )
        deadline = time.monotonic() + 60
        while not site.requests(Routes.SLOW) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert site.requests(Routes.SLOW), "the crawl never reached the slow page"
        # the seeds stored, the crawl waits for the slow page: its session sits idle
        while _stored(url) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # (the robots-disallowed entry's failure is recorded by then too)
        killed = _crawl_backends(url)
        assert killed and _stored(url) == 5
        for pid in killed:
            _terminate(url, pid)
        out, err = crawl.communicate(timeout=90)
    assert crawl.returncode == 0, out + err
    assert "unexpected error" not in err and "STORE FAILED" not in out, out + err
    assert "timeout ×1" in out  # the slow page's failure, recorded on the new session
    assert len(export(config, "--all")) == 5


def test_a_crawl_losing_its_session_inside_a_write_stops_with_one_line(tmp_path: Path) -> None:
    from store.postgres.connection import lock_key

    url = fresh_store_url("postgresql", tmp_path)
    stories = fresh_stories()
    site = NewsSite()
    site.add_feed("/feed/", stories, form="rss2")
    site.add_articles(stories)
    psycopg = _psycopg()
    import subprocess
    import sys

    with site, psycopg.connect(url) as holder:
        config = write_config(tmp_path, site, store_url=url)
        blocked = site.url_for(stories[1])
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key("url:" + blocked),))
        crawl = subprocess.Popen(
            [sys.executable, "-m", "monitor.cli", "crawl", "--config", str(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[1],
        )
        deadline = time.monotonic() + 60
        waiting: list[int] = []
        while not waiting and time.monotonic() < deadline:
            with psycopg.connect(url, autocommit=True) as db:
                waiting = [
                    int(pid)
                    for (pid,) in db.execute(
                        "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                        " AND datname = current_database()"
                    )
                ]
            time.sleep(0.05)
        assert waiting, "the crawl never waited for the held lock"
        for pid in waiting:
            _terminate(url, pid)
        holder.rollback()
        out, err = crawl.communicate(timeout=90)
        assert crawl.returncode != 0, out + err
        assert "unexpected error" not in err and "Traceback" not in err, err
        lines = [line for line in (out + err).splitlines() if "lost during a write" in line]
        assert lines, out + err
        assert err.count("\n") == 1 and err.startswith("rasad: store write failed: "), err
        assert "PostgreSQL server is up and reachable" in err and "disk" not in err, err
        assert all(blocked not in r["url"] for r in export(config, "--all"))
        # the next run stores what the stopped one left pending
        again = rasad("crawl", "--config", str(config))
        assert again.returncode == 0, again.stdout + again.stderr
        assert blocked in {r["url"] for r in export(config, "--all")}


def test_a_server_error_after_opening_is_one_line_not_an_unexpected_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import store.postgres.archive as archive
    from monitor.cli import main

    url = fresh_store_url("postgresql", tmp_path)
    store = open_store(url)
    store.add_unless_duplicate(_article(0))
    store.close()
    config = tmp_path / "rasad.toml"
    config.write_text(f'[store]\nurl = "{url}"\n', encoding="utf-8")
    psycopg = _psycopg()

    def fails(row: dict[str, Any]) -> StoredArticle:
        raise psycopg.OperationalError("could not receive data from server: Connection reset")

    monkeypatch.setattr(archive, "article_from_row", fails)
    assert main(["export", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unexpected error" not in err, err
    assert "the store at postgresql://postgres@127.0.0.1:" in err and "Connection reset" in err

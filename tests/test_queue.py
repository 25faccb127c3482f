"""The shared crawl queue (monitor.queue) against a real redis-server on 127.0.0.1:
leases, renewal, acks, expiry back to the queue, and no job held by two workers at once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from redis_server import redis_server

from monitor.config.loader import parse_config
from monitor.errors import ConfigError
from monitor.models import FeedEntry
from monitor.queue.jobs import Job
from monitor.queue.redis_queue import RedisQueue


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def queue(redis_url: str, request: pytest.FixtureRequest) -> Iterator[RedisQueue]:
    q = RedisQueue(redis_url, prefix=f"t:{request.node.name}:")
    yield q
    q.close()


def job(n: int, run: str = "r1", source: str = "almadar") -> Job:
    entry = FeedEntry(
        url=f"http://127.0.0.1:9/news/{n}.html",
        title=f"خبر {n}",
        guid=f"g{n}",
        published=datetime(2026, 12, 1, 8, n % 60, tzinfo=UTC),
        summary="ملخص",
    )
    return Job(source, entry, run)


def test_job_round_trips_through_json() -> None:
    original = job(7)
    assert Job.from_json(original.to_json()) == original
    with pytest.raises(ValueError):
        Job.from_json("{}")


def test_a_page_is_queued_once(queue: RedisQueue) -> None:
    assert queue.enqueue([job(1), job(2), job(1)]) == 2
    assert queue.enqueue([job(2, run="r2")]) == 0  # queued already: counted in r2 now
    assert queue.outstanding() == (2, 0)
    first, second = queue.take("w", 30, count=5)
    assert [first.job.entry.url, second.job.entry.url] == [job(1).entry.url, job(2).entry.url]
    assert queue.ack(second, {"fetched": 1})
    assert queue.run_counts("r2") == {"almadar": Counter(fetched=1)}


def test_lease_renew_ack(queue: RedisQueue) -> None:
    queue.enqueue([job(1)])
    [lease] = queue.take("w1", 0.3)
    assert queue.outstanding() == (0, 1)
    assert queue.take("w2", 30) == []  # held: nobody else gets it
    for _ in range(4):  # renewed, it outlives its first deadline
        time.sleep(0.15)
        assert queue.renew("w1", [lease], 0.3) == []
        assert queue.reap() == (0, [])
    assert queue.ack(lease, {"fetched": 1, "stored.new": 1})
    assert queue.outstanding() == (0, 0)
    assert queue.run_counts("r1")["almadar"] == Counter({"fetched": 1, "stored.new": 1})
    assert queue.live_workers() == 1


def test_an_expired_lease_goes_back_to_the_queue(queue: RedisQueue) -> None:
    queue.enqueue([job(1), job(2)])
    dead = sorted(queue.take("killed", 0.1, count=2), key=lambda lease: lease.key)
    time.sleep(0.2)
    assert queue.reap() == (2, [])
    assert queue.outstanding() == (2, 0)
    assert queue.renew("killed", dead, 30) == [dead[0].key, dead[1].key]
    again = sorted(queue.take("alive", 30, count=2), key=lambda lease: lease.key)
    assert [lease.key for lease in again] == [lease.key for lease in dead]
    # the killed worker's late ack counts, but does not take the job from the new holder
    assert not queue.ack(dead[0], {"stored.new": 1})
    assert queue.ack(again[0], {"already_stored": 1}, skipped=True)  # counted once in all
    assert queue.ack(again[1], {"stored.new": 1})
    counts = queue.run_counts("r1")["almadar"]
    assert counts == Counter({"stored.new": 2})
    assert queue.outstanding() == (0, 0)


def test_a_late_ack_of_a_requeued_job_completes_it(queue: RedisQueue) -> None:
    queue.enqueue([job(1)])
    [lease] = queue.take("slow", 0.1)
    time.sleep(0.2)
    queue.reap()
    assert queue.outstanding() == (1, 0)
    queue.ack(lease, {"stored.new": 1})  # stored after all: nobody needs to take it again
    assert queue.outstanding() == (0, 0)
    assert queue.take("other", 30) == []


def test_a_page_that_keeps_killing_workers_is_given_up(queue: RedisQueue) -> None:
    queue.enqueue([job(1)])
    for _ in range(3):
        assert queue.take("w", 0.05)
        time.sleep(0.1)
        assert queue.reap(max_expiries=3) == (1, [])
    assert queue.take("w", 0.05)
    time.sleep(0.1)
    assert queue.reap(max_expiries=3) == (1, [job(1)])
    assert queue.outstanding() == (0, 0)
    assert queue.run_counts("r1")["almadar"] == Counter({"failed.worker_lost": 1})


def test_release_puts_the_job_first_in_line(queue: RedisQueue) -> None:
    queue.enqueue([job(1), job(2)])
    [lease] = queue.take("w", 30)
    assert queue.release(lease)
    assert not queue.release(lease)
    assert queue.take("w", 30)[0].key == lease.key


def test_no_job_is_held_by_two_workers_at_once(queue: RedisQueue, redis_url: str) -> None:
    queue.enqueue(job(n) for n in range(400))
    taken: dict[str, list[str]] = {}

    def work(name: str) -> None:
        own = RedisQueue(redis_url, prefix=queue.prefix)
        got = taken.setdefault(name, [])
        while leases := own.take(name, 30, count=3):
            for lease in leases:
                got.append(lease.key)
                assert own.ack(lease, {"fetched": 1})
        own.close()

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    keys = [key for got in taken.values() for key in got]
    assert len(keys) == len(set(keys)) == 400
    assert queue.run_counts("r1")["almadar"]["fetched"] == 400


def test_one_host_slot_for_all_workers(queue: RedisQueue) -> None:
    assert queue.host_slot("example.org", 0.5) == 0.0
    wait = queue.host_slot("example.org", 0.5)
    assert 0.3 < wait <= 0.5
    assert queue.host_slot("other.org", 0.5) == 0.0
    queue.hold_host("other.org", 5)
    assert queue.host_slot("other.org", 0.5) > 4


def test_queue_url_is_checked(tmp_path: Path) -> None:
    config = parse_config({"queue": {"url": "redis://127.0.0.1:6379/0"}})
    assert config.queue.url == "redis://127.0.0.1:6379/0"
    assert parse_config({}).queue.url is None
    with pytest.raises(ConfigError, match=r"queue\.url.*not a Redis URL"):
        parse_config({"queue": {"url": "amqp://127.0.0.1/"}}, where="rasad.toml")
    with pytest.raises(ConfigError, match=r"queue\.lease"):
        parse_config({"queue": {"lease": 0}}, where="rasad.toml")


def test_a_retry_after_the_queue_cannot_share_still_ends_the_job(
    queue: RedisQueue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Redis error while sharing a page's Retry-After must not leave its lease held (and
    renewed) for ever: the coordinator would wait on it without end."""
    import io

    from monitor.queue.redis_queue import QueueError
    from monitor.queue.worker_run import WorkerRun
    from store import open_store

    config = parse_config({"store": {"url": f"sqlite:///{tmp_path / 'rasad.db'}"}})
    store = open_store(config.store_url)
    said = io.StringIO()
    run = WorkerRun(config, store, queue, worker="w1", progress=said)
    queue.enqueue([job(1)])
    [lease] = run.take(1)

    def blip(*_args: object) -> None:
        raise QueueError("connection reset by peer")

    monkeypatch.setattr(queue, "hold_host", blip)
    run.article_failed("almadar", lease.job.entry.url, "http_503", retry_after=30.0)
    store.close()
    assert run.held == {}
    assert queue.outstanding() == (0, 0)
    assert queue.run_counts("r1")["almadar"]["failed.http_503"] == 1
    assert "could not share 127.0.0.1:9's Retry-After" in said.getvalue()
    assert said.getvalue().count("Retry-After") == 1, said.getvalue()


def test_a_hosts_crawl_delay_holds_as_soon_as_its_robots_txt_is_stored(
    queue: RedisQueue, tmp_path: Path
) -> None:
    """Before robots.txt is fetched the delay is download_delay; it is not remembered, so the
    host's Crawl-delay holds from the next claim on, not a minute later."""
    from monitor.queue.worker_run import WorkerRun
    from store import open_store

    db = f"sqlite:///{tmp_path / 'rasad.db'}"
    config = parse_config({"store": {"url": db}, "crawl": {"download_delay": 0.5}})
    store = open_store(config.store_url)
    run = WorkerRun(config, store, queue, worker="w1")
    host = "127.0.0.1:9"
    assert run._host_delay(host) == 0.5
    robots = b"User-agent: *\nCrawl-delay: 4\n"
    store.cache_robots(host, 200, robots, datetime.now(UTC))
    assert run._host_delay(host) == 4.0
    store.close()

"""Scale-out: article pages shared by many `rasad worker` processes through one queue on
Redis (`[queue] url`). Nothing here imports Scrapy; redis-py is imported lazily.

    jobs         what is queued (a page to fetch) and a worker's lease on it
    redis_queue  the queue: enqueue, take, renew, ack, release, reap; per-host slots
    coordinator  `rasad crawl` with a queue: hands pages off, waits, merges the counts
    worker_run   `rasad worker`'s run: leases in hand, acks once the store has the outcome
"""

from monitor.queue.jobs import Job, Lease
from monitor.queue.redis_queue import QueueError, RedisQueue

__all__ = ["Job", "Lease", "QueueError", "RedisQueue"]

"""The shared crawl queue on Redis: a reliable work queue with leases, in a few Lua scripts.

Keys (all under one prefix, `rasad:` by default):

    pending        LIST   job keys waiting for a worker, oldest first
    leases         ZSET   job key -> lease deadline (ms, Redis server time)
    holder         HASH   job key -> token of the worker holding it
    jobs           HASH   job key -> job JSON (`monitor.queue.jobs.Job`)
    runs           HASH   job key -> coordinator run id (the report it is counted in)
    expired        HASH   job key -> leases that ran out on it (a page that kills workers)
    done           HASH   job key -> 1: a worker whose lease had run out stored it anyway
    run:<id>       HASH   "<source>\\t<counter>" -> n, what workers did for that run
    run:<id>:notes LIST   "<source>\\t<line>", warnings for that run's report
    host:<netloc>  STRING the earliest time (ms) any worker may send the host a request
    workers        ZSET   worker id -> last time it renewed (ms)

Every step that moves a job is one script, so it is atomic: a job is in `pending` or in
`leases`, never both, and a taken job has exactly one holder. Times come from the Redis
server's clock (`TIME`), so workers on machines whose clocks differ agree on deadlines.
A job whose lease runs out (its worker was killed) goes back to the front of `pending`;
after `max_expiries` it is dropped from the queue and counted `failed: worker_lost`, and the
store's frontier, which still has it pending, hands it to the next crawl.
"""

from __future__ import annotations

import os
import socket
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from monitor.errors import RasadError
from monitor.queue.jobs import Job, Lease, counter_field, split_field

RUN_TTL = 7 * 86400  # a run's counters outlive a coordinator that never came back for them
MAX_EXPIRIES = 3  # leases a job may lose (worker killed) before it is given up for this run
_NOW = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000)\n"

_ENQUEUE = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('RPUSH', KEYS[3], ARGV[1])
return 1
"""

# KEYS pending leases holder jobs seq; ARGV worker lease_ms count
_TAKE = (
    _NOW
    + """
local out = {}
for i = 1, tonumber(ARGV[3]) do
  local key = redis.call('LPOP', KEYS[1])
  if not key then break end
  local body = redis.call('HGET', KEYS[4], key)
  if body then
    local token = ARGV[1] .. ':' .. redis.call('INCR', KEYS[5])
    redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), key)
    redis.call('HSET', KEYS[3], key, token)
    table.insert(out, token)
    table.insert(out, body)
  end
end
return out
"""
)

# KEYS leases holder workers; ARGV worker lease_ms (key token)*; returns the keys not held
_RENEW = (
    _NOW
    + """
redis.call('ZADD', KEYS[3], now, ARGV[1])
local lost = {}
for i = 3, #ARGV, 2 do
  if redis.call('HGET', KEYS[2], ARGV[i]) == ARGV[i + 1] then
    redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[i])
  else
    table.insert(lost, ARGV[i])
  end
end
return lost
"""
)

# KEYS leases holder jobs runs expired done pending; ARGV key token prefix skip (field n)*
_ACK = (
    f"local RUN_TTL = {RUN_TTL}\n"
    + """
local key = ARGV[1]
local held = redis.call('HGET', KEYS[2], key)
local rid = redis.call('HGET', KEYS[4], key)
local skip = ARGV[4] == '1'
local count = rid and not (skip and redis.call('HEXISTS', KEYS[6], key) == 1)
if count then
  for i = 5, #ARGV, 2 do
    redis.call('HINCRBY', ARGV[3] .. 'run:' .. rid, ARGV[i], ARGV[i + 1])
  end
  redis.call('EXPIRE', ARGV[3] .. 'run:' .. rid, RUN_TTL)
end
if held and held ~= ARGV[2] then
  -- our lease ran out and another worker took the page: it finds the page stored
  redis.call('HSET', KEYS[6], key, 1)
  return 0
end
redis.call('ZREM', KEYS[1], key)
redis.call('LREM', KEYS[7], 0, key)
redis.call('HDEL', KEYS[2], key)
redis.call('HDEL', KEYS[3], key)
redis.call('HDEL', KEYS[4], key)
redis.call('HDEL', KEYS[5], key)
redis.call('HDEL', KEYS[6], key)
return 1
"""
)

# KEYS leases holder pending; ARGV key token
_RELEASE = """
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('LPUSH', KEYS[3], ARGV[1])
return 1
"""

# KEYS leases holder pending expired jobs runs done; ARGV max_expiries prefix sep
_REAP = (
    f"local RUN_TTL = {RUN_TTL}\n"
    + _NOW
    + """
local keys = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 500)
local out = {#keys}
for _, key in ipairs(keys) do
  redis.call('ZREM', KEYS[1], key)
  redis.call('HDEL', KEYS[2], key)
  local n = redis.call('HINCRBY', KEYS[4], key, 1)
  if n > tonumber(ARGV[1]) then
    local body = redis.call('HGET', KEYS[5], key)
    local rid = redis.call('HGET', KEYS[6], key)
    if body and rid then
      local source = cjson.decode(body)['source']
      local counts = ARGV[2] .. 'run:' .. rid
      redis.call('HINCRBY', counts, source .. ARGV[3] .. 'failed.worker_lost', 1)
      redis.call('EXPIRE', counts, RUN_TTL)
    end
    if body then table.insert(out, body) end
    redis.call('HDEL', KEYS[4], key)
    redis.call('HDEL', KEYS[5], key)
    redis.call('HDEL', KEYS[6], key)
    redis.call('HDEL', KEYS[7], key)
  else
    redis.call('LPUSH', KEYS[3], key)
  end
end
return out
"""
)

# KEYS host; ARGV delay_ms: 0 and the host is ours now, else ms to wait
_HOST_SLOT = (
    _NOW
    + """
local next = tonumber(redis.call('GET', KEYS[1]) or '0')
if next > now then return next - now end
local delay = tonumber(ARGV[1])
if delay > 0 then redis.call('SET', KEYS[1], now + delay, 'PX', delay + 60000) end
return 0
"""
)

# KEYS host; ARGV ms: nobody sends the host anything for this long (Retry-After)
_HOST_HOLD = (
    _NOW
    + """
local until_ = now + tonumber(ARGV[1])
local next = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ > next then redis.call('SET', KEYS[1], until_, 'PX', tonumber(ARGV[1]) + 60000) end
return 0
"""
)


class QueueError(RasadError):
    """The queue server cannot be reached or answered an error."""


def worker_id() -> str:
    """A worker's name in the queue: host and process id (unique while it runs)."""
    return f"{socket.gethostname()}:{os.getpid()}"


class RedisQueue:
    """The shared queue on one Redis database; `redis.Redis` is imported lazily."""

    def __init__(self, url: str, *, prefix: str = "rasad:", client: Any = None) -> None:
        if client is None:
            import redis

            client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)
        self.url = url
        self.prefix = prefix
        self.redis = client
        keys = ("pending", "leases", "holder", "jobs", "runs", "expired", "done", "workers")
        self.k = {name: prefix + name for name in keys}
        self._enqueue = client.register_script(_ENQUEUE)
        self._take = client.register_script(_TAKE)
        self._renew = client.register_script(_RENEW)
        self._ack = client.register_script(_ACK)
        self._release = client.register_script(_RELEASE)
        self._reap = client.register_script(_REAP)
        self._host_slot = client.register_script(_HOST_SLOT)
        self._host_hold = client.register_script(_HOST_HOLD)

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        import redis

        try:
            return fn(*args, **kwargs)
        except redis.RedisError as exc:
            raise QueueError(f"queue {self.url}: {what} failed: {exc}") from None

    def ping(self) -> None:
        """QueueError (one line) unless the server answers."""
        try:
            self._call("connecting", self.redis.ping)
        except QueueError as exc:
            raise QueueError(f"{exc} (is redis-server running there? see [queue] url)") from None

    # the coordinator

    def enqueue(self, jobs: Iterable[Job]) -> int:
        """Queue jobs (one pipeline); returns how many were new to the queue. A job whose
        page is queued already is not queued again: its outcome moves to the new run."""
        pipe = self.redis.pipeline(transaction=False)
        count = 0
        for job in jobs:
            keys = [self.k["jobs"], self.k["runs"], self.k["pending"]]
            self._enqueue(keys=keys, args=[job.key, job.to_json(), job.run], client=pipe)
            count += 1
        if not count:
            return 0
        return sum(int(n) for n in self._call("enqueue", pipe.execute))

    def outstanding(self) -> tuple[int, int]:
        """(pending, leased) jobs right now."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.llen(self.k["pending"])
        pipe.zcard(self.k["leases"])
        pending, leased = self._call("counting", pipe.execute)
        return int(pending), int(leased)

    def reap(self, max_expiries: int = MAX_EXPIRIES) -> tuple[int, list[Job]]:
        """Expired leases back to pending: how many had expired, and the jobs given up
        (their lease ran out `max_expiries` times), which the caller records as failed in
        the store, so the page's backoff and attempt limit apply to it from now on."""
        keys = [self.k[n] for n in ("leases", "holder", "pending", "expired", "jobs", "runs")]
        keys.append(self.k["done"])
        args = [max_expiries, self.prefix, "\t"]
        raw = self._call("reaping", self._reap, keys=keys, args=args)
        return int(raw[0]), [Job.from_json(body) for body in raw[1:]]

    def live_workers(self, within_s: float = 30.0) -> int:
        now_ms = self._server_ms()
        return int(
            self._call(
                "counting workers",
                self.redis.zcount,
                self.k["workers"],
                now_ms - within_s * 1000,
                "+inf",
            )
        )

    def run_counts(self, run: str) -> dict[str, Counter[str]]:
        """What the workers counted for `run`: source -> counter -> n."""
        raw = self._call("reading counts", self.redis.hgetall, self.prefix + f"run:{run}")
        counts: dict[str, Counter[str]] = {}
        for field, value in cast(Mapping[bytes, bytes], raw).items():
            source, name = split_field(field.decode())
            counts.setdefault(source, Counter())[name] += int(value)
        return counts

    def run_notes(self, run: str) -> list[tuple[str, str]]:
        raw = self._call(
            "reading notes", self.redis.lrange, self.prefix + f"run:{run}:notes", 0, -1
        )
        return [split_field(line.decode()) for line in raw]

    def forget_run(self, run: str) -> None:
        self._call(
            "cleaning up",
            self.redis.delete,
            *(self.prefix + f"run:{run}{s}" for s in ("", ":notes")),
        )

    # a worker

    def take(self, worker: str, lease_s: float, count: int = 1) -> list[Lease]:
        """Up to `count` jobs, each leased to `worker` for `lease_s` seconds."""
        keys = [self.k[n] for n in ("pending", "leases", "holder", "jobs")]
        keys.append(self.prefix + "seq")
        raw = self._call("taking", self._take, keys=keys, args=[worker, int(lease_s * 1000), count])
        leases = []
        for token, body in zip(raw[::2], raw[1::2], strict=True):
            leases.append(Lease(Job.from_json(body), token.decode()))
        return leases

    def renew(self, worker: str, leases: Sequence[Lease], lease_s: float) -> list[str]:
        """Extend `leases`; returns the keys of those no longer held (their lease ran out
        and the job went back to the queue, or to another worker)."""
        args: list[Any] = [worker, int(lease_s * 1000)]
        for lease in leases:
            args.extend((lease.key, lease.token))
        keys = [self.k["leases"], self.k["holder"], self.k["workers"]]
        lost = self._call("renewing", self._renew, keys=keys, args=args)
        return [key.decode() for key in lost]

    def ack(self, lease: Lease, counts: Mapping[str, int] = {}, *, skipped: bool = False) -> bool:
        """The job is done (its outcome is in the store): gone from the queue, `counts`
        (counter -> n) added to its run's report. False: the lease had run out and another
        worker holds the job now (it finds the page stored and skips it).

        `skipped`: the page was found stored already; its count is dropped when a worker
        whose lease ran out stored and counted it."""
        keys = [self.k[n] for n in ("leases", "holder", "jobs", "runs", "expired", "done")]
        keys.append(self.k["pending"])
        args: list[Any] = [lease.key, lease.token, self.prefix, "1" if skipped else "0"]
        for name, n in counts.items():
            args.extend((counter_field(lease.job.source, name), n))
        return bool(self._call("acknowledging", self._ack, keys=keys, args=args))

    def release(self, lease: Lease) -> bool:
        """Give a job back untouched (a stopping worker): first in line for the next one."""
        keys = [self.k["leases"], self.k["holder"], self.k["pending"]]
        return bool(
            self._call("releasing", self._release, keys=keys, args=[lease.key, lease.token])
        )

    def note(self, run: str, source: str, line: str) -> None:
        key = self.prefix + f"run:{run}:notes"
        pipe = self.redis.pipeline(transaction=False)
        pipe.rpush(key, counter_field(source, line))
        pipe.expire(key, RUN_TTL)
        self._call("noting", pipe.execute)

    def host_slot(self, host: str, delay_s: float) -> float:
        """0.0: a request to `host` may go now (and the next one waits `delay_s`); else the
        seconds to wait. Shared by every worker: one host sees one polite crawler."""
        wait = self._call(
            "host slot",
            self._host_slot,
            keys=[self.prefix + f"host:{host}"],
            args=[int(delay_s * 1000)],
        )
        return int(wait) / 1000

    def hold_host(self, host: str, seconds: float) -> None:
        """No worker sends `host` a request for `seconds` (its Retry-After)."""
        ms = int(seconds * 1000)
        self._call("host hold", self._host_hold, keys=[self.prefix + f"host:{host}"], args=[ms])

    def _server_ms(self) -> int:
        seconds, micros = self._call("reading the clock", self.redis.time)
        return int(seconds) * 1000 + int(micros) // 1000

    def close(self) -> None:
        self.redis.close()

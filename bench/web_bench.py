#!/usr/bin/env python3
"""Page latency of `rasad serve` over a large store, under concurrent clients. Asserts nothing.

**Store.** ``--size`` articles (default 100,000), bulk-loaded by bench/search_bench.py's
`build` (imported, not copied): the real ANT articles first, then articles resampled from
them; real schema and search index; fetched times over three years; 15 outlets,
Zipf-weighted; 85% new, 10% duplicate, 5% off_topic; 0 to 3 subtopics. Stories are then
made realistic (search_bench gives every article its own): 35% of new articles join the
story of one of the 300 new articles stored just before them (another outlet's write-up of
the same event), and every duplicate points at a real earlier article and joins its story.

**Server.** The real `rasad serve` process (uvicorn, one process) on 127.0.0.1 with a config
naming the 15 outlets. Its peak resident set (VmHWM) is read from /proc before it stops.

**Load.** ``--clients`` (default 20) concurrent httpx async clients, each with its own
connection, in this process. Per page: ``--warmup`` requests (default 100: the server opens
one SQLite connection per worker thread, each with a cold cache), then ``--requests`` (default
400), stopped early when ``--budget`` seconds (default 120) have passed. Pages: home (`/`),
search (`/search?q=...`, five Arabic queries in turn) and coverage (`/coverage`; "n/a"
while it answers 404). Client and server share the machine's cores: on 2 cores, the
figures include the client's own CPU. First, ``--serial`` requests per page from one client
alone: what a page costs without queueing.

Run: ``.venv/bin/python bench/web_bench.py [--size 100000] [--clients 20]``
(``--size 5000`` for a quick run). Temporary data goes under a tempfile directory, removed
at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx
import search_bench  # bench/ is sys.path[0] for a script

REPO = Path(__file__).resolve().parents[1]
SEARCHES = ("بوتين كيم", '"كيم جونغ أون"', "عقوبات روسيا", "شويغو", "صواريخ كوريا -الجنوبية")
JOIN_STORY = 0.35  # share of new articles that are another outlet's write-up of a recent story
RECENT = 300  # how far back (in new articles) such a story can be
READY_TIMEOUT = 60.0


@dataclass
class PageResult:
    name: str
    latencies: list[float] = field(default_factory=list)  # seconds, measured requests only
    errors: dict[int | str, int] = field(default_factory=dict)
    wall: float = 0.0
    absent: bool = False  # answered 404: not there yet
    first_kb: float = 0.0  # size of the first answer


def build_store(path: Path, size: int, workers: int) -> dict[str, float]:
    """search_bench's bulk load, then story and duplicate links made realistic."""
    t = time.perf_counter()
    try:
        search_bench._ANT.extend(search_bench.load_ant())
    finally:  # the corpus unpacked into a temporary directory: ~130 MB, not needed any more
        corpus = sys.modules["fixture_site"].default_ant_corpus()
        if corpus is not None:
            corpus.close()
            shutil.rmtree(corpus.cache_dir, ignore_errors=True)
    for j, doc in enumerate(search_bench._ANT):
        search_bench._BY_SECTION.setdefault(doc.section, []).append(j)
    search_bench._N = size
    ant_s = time.perf_counter() - t
    built = search_bench.build(path, size, workers)
    t = time.perf_counter()
    link_stories(path)
    return {"ant_s": ant_s, "build_s": built["build_s"], "stories_s": time.perf_counter() - t}


def link_stories(path: Path) -> None:
    rng = random.Random(12)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        rows = db.execute("SELECT id, url, status FROM articles ORDER BY id").fetchall()
        recent: list[tuple[str, str]] = []  # (url, story) of the latest new articles
        story_of: dict[str, str] = {}
        updates: list[tuple[str | None, str | None, int]] = []
        for article_id, url, status in rows:
            if status == "new":
                story = url
                if recent and rng.random() < JOIN_STORY:
                    story = recent[rng.randrange(len(recent))][1]
                recent.append((url, story))
                del recent[:-RECENT]
                story_of[url] = story
                updates.append((story, None, article_id))
            elif status == "duplicate" and recent:
                original = recent[rng.randrange(len(recent))][0]
                updates.append((story_of[original], original, article_id))
            else:
                updates.append((None, None, article_id))
        db.execute("BEGIN")
        db.executemany(
            "UPDATE articles SET story = ?, duplicate_of = ?,"
            " similarity = CASE WHEN ? IS NULL THEN NULL ELSE 0.9 END WHERE id = ?",
            [(s, d, d, i) for s, d, i in updates],
        )
        db.execute("COMMIT")
        db.execute("ANALYZE")
    finally:
        db.close()


def write_config(tmp: Path, db: Path) -> Path:
    text = f'[store]\nurl = "sqlite:///{db}"\n'
    for name, _ in search_bench.SOURCES:
        text += (
            f'\n[[sources]]\nname = "{name}"\ntitle = "{name}"\n'
            f'feeds = ["http://127.0.0.1:9/{name}/feed"]\n'
        )
    path = tmp / "rasad.toml"
    path.write_text(text, encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(config: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "RASAD_CONFIG"}
    cmd = [sys.executable, "-m", "monitor.cli", "serve", "--config", str(config)]
    server = subprocess.Popen([*cmd, "--port", str(port)], cwd=REPO, env=env)
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/static/style.css", timeout=2).status_code:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit(f"rasad serve did not start on port {port}")


def memory(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak) of a process, in MB."""
    out: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


async def drive(base: str, name: str, paths: Sequence[str], args: argparse.Namespace) -> PageResult:
    """`args.warmup` then `args.requests` requests over `paths` (in turn) from `args.clients`."""
    result = PageResult(name)
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    timeout = httpx.Timeout(args.timeout)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:
        first = await client.get(paths[0])
        if first.status_code == 404:
            result.absent = True
            return result
        if first.status_code != 200:
            raise SystemExit(f"{name}: {paths[0]} answered {first.status_code}")
        result.first_kb = len(first.content) / 1024

        async def run(count: int, record: bool, deadline: float) -> None:
            queue = iter(range(count))

            async def worker() -> None:
                for n in queue:
                    if time.monotonic() > deadline:
                        return
                    t = time.perf_counter()
                    try:
                        response = await client.get(paths[n % len(paths)])
                        await response.aread()
                        code: int | str = response.status_code
                    except httpx.HTTPError as exc:
                        code = type(exc).__name__
                    took = time.perf_counter() - t
                    if not record:
                        continue
                    if code == 200:
                        result.latencies.append(took)
                    else:
                        result.errors[code] = result.errors.get(code, 0) + 1

            await asyncio.gather(*(worker() for _ in range(args.clients)))

        await run(args.warmup, False, time.monotonic() + args.budget)
        t = time.perf_counter()
        await run(args.requests, True, time.monotonic() + args.budget)
        result.wall = time.perf_counter() - t
    return result


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest rank: the smallest value with at least q of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def report(results: list[PageResult], args: argparse.Namespace, mem: dict[str, float]) -> None:
    print(f"\n== rasad serve over {args.size:,} articles, {args.clients} concurrent clients")
    print(f"{'page':10s} {'requests':>8s} {'errors':>7s} {'p50 ms':>9s} {'p99 ms':>9s}", end="")
    print(f" {'max ms':>9s} {'req/s':>7s} {'page KB':>8s}")
    for r in results:
        if r.absent:
            print(f"{r.name:10s} {'n/a (404: not there yet)':>44s}")
            continue
        errors = sum(r.errors.values())
        if not r.latencies:
            print(f"{r.name:10s} {0:8d} {errors:7d}   no successful request {r.errors}")
            continue
        ms = [x * 1e3 for x in r.latencies]
        rate = len(ms) / r.wall if r.wall else 0.0
        print(
            f"{r.name:10s} {len(ms):8d} {errors:7d} {percentile(ms, 0.5):9.1f}"
            f" {percentile(ms, 0.99):9.1f} {max(ms):9.1f} {rate:7.1f} {r.first_kb:8.0f}"
            + (f"  errors: {r.errors}" if errors else "")
        )
    if mem:
        peak, end = mem.get("VmHWM", 0), mem.get("VmRSS", 0)
        print(f"server RSS: peak {peak:,.0f} MB, at the end {end:,.0f} MB")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="articles (default 100k)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients")
    parser.add_argument("--requests", type=int, default=400, help="measured requests per page")
    parser.add_argument("--warmup", type=int, default=100, help="unmeasured requests per page")
    parser.add_argument(
        "--serial", type=int, default=50, help="requests per page from one client first (0: none)"
    )
    parser.add_argument("--budget", type=float, default=120.0, help="seconds at most per phase")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per request")
    parser.add_argument("--workers", type=int, default=2, help="processes building the index")
    parser.add_argument("--tmp", type=Path, help="parent of the temporary directory")
    parser.add_argument(
        "--db", type=Path, help="keep the built store here, or reuse it when it exists"
    )
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="rasad-web-bench-", dir=args.tmp))
    server: subprocess.Popen[bytes] | None = None
    try:
        db = args.db.resolve() if args.db else tmp / "web.db"
        if db.exists():
            with contextlib.closing(sqlite3.connect(db)) as conn:
                args.size = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
            print(f"store: reusing {db} ({args.size:,} articles)", file=sys.stderr)
        else:
            built = build_store(db, args.size, args.workers)
            print(
                f"store: {args.size:,} articles built in {built['build_s']:.0f} s (ANT loaded"
                f" in {built['ant_s']:.0f} s, stories linked in {built['stories_s']:.1f} s)",
                file=sys.stderr,
            )
        port = free_port()
        server = start_server(write_config(tmp, db), port)
        base = f"http://127.0.0.1:{port}"
        pages = {
            "home": ["/"],
            "search": [f"/search?q={quote(q)}" for q in SEARCHES],
            "coverage": ["/coverage"],
        }
        load = os.getloadavg()[0]
        serial = argparse.Namespace(**{**vars(args), "clients": 1, "warmup": 5})
        serial.requests = args.serial
        alone = []
        if args.serial:
            for name, paths in pages.items():
                print(f"  one client on {name} ...", file=sys.stderr)
                alone.append(asyncio.run(drive(base, name, paths, serial)))
        results = []
        for name, paths in pages.items():
            print(f"  {args.clients} clients on {name} ...", file=sys.stderr)
            results.append(asyncio.run(drive(base, name, paths, args)))
        mem = memory(server.pid)
        if alone:
            report(alone, serial, {})
        report(results, args, mem)
        print(
            f"machine: {os.cpu_count()} cores, load average {load:.1f} before the load,"
            f" {os.getloadavg()[0]:.1f} after (other processes share the cores)"
        )
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

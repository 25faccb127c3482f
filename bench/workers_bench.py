"""Scale-out throughput: `rasad crawl` alone (SQLite, then PostgreSQL), and as coordinator of 1,
2 and 4 `rasad worker` processes over one Redis queue into PostgreSQL, on a local fixture site
of real ANT articles. Prints figures and checks that every article is stored exactly once.

    .venv/bin/python bench/workers_bench.py [--ant 2000] [--seed 0] [--workers 1,2,4]
        [--per-host 8] [--latency 0] [--extract-processes default[,0,1]] [--no-sqlite]
        [--timeout 1800]

The site is tests/fixture_site.py's demo site (the five seed articles plus --ant articles of
the ANT corpus in ../shared/data, over eight feeds; one robots-disallowed page), served from
this process on 127.0.0.1, each page answered after --latency seconds (0: at once). Every rasad
process gets `[crawl] concurrency_per_host = --per-host`, `download_delay = 0`, and, unless
--extract-processes says `default`, `[crawl] extract_processes = N` (unset, every rasad process
starts one extraction process per core: several workers on one machine oversubscribe it).
A comma list runs the whole series once per value.

PostgreSQL: a throwaway cluster from Debian's package (tests/pg_server.py: temporary directory,
127.0.0.1, fsync off; as root it runs as the postgres user), a fresh empty database per
configuration (rasad creates the schema; with workers, all processes open it at once). Redis:
tests/redis_server.py, one server, its keys flushed between configurations.

Per configuration: wall seconds (from starting the first process to the coordinator's exit,
process start-up included; how much of it came before the first article request and after the
last), article pages/s over that wall time and over the fetch window (first to last article
request the site saw), CPU seconds of all rasad processes (coordinator, workers and their
extraction processes, sampled from /proc and from the reaped children's rusage) and, apart, of
the PostgreSQL server, Redis, the site (this process) and the rest of the machine (other loads:
the figures are only comparable when that column is small). Correctness, from `rasad export
--all`: distinct canonical URLs against the site's published pages, rows stored twice, pages
lost, pages stored that the site does not publish (MISMATCH is printed loudly, and the exit
status is 1), and the outcomes (new / duplicate / off-topic ...) against the first
configuration's. The first configuration (one process, no
queue) is the reference: the few published pages rasad cannot store (no text extracted) must be
the same in every configuration; any other page missing is a loss.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from _common import REPO, cpu_seconds, load_fixture_site, machine_cpu, process_tree, start_time

sys.path.insert(0, str(REPO / "tests"))
fixture_site = load_fixture_site()

import pg_server  # noqa: E402  (tests/ is on sys.path now)
from redis_server import redis_server  # noqa: E402

from monitor.text.urls import canonical_url  # noqa: E402

CORES = os.cpu_count() or 1
MAX_PAGE_BYTES = 10_000_000  # rasad's default crawl.max_page_bytes


def rasad(*args: str) -> list[str]:
    return [sys.executable, "-m", "monitor.cli", *args]


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "RASAD_CONFIG"}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ── CPU of process trees ───────────────────────────────────────────────────────────────────────


@dataclass
class CpuSampler:
    """Samples the trees under `roots` from a thread: the most CPU each process (told apart by
    its start time) was seen to have used on its own. Processes no one reaps are counted too."""

    roots: list[int]
    tick: float = 0.25
    seen: dict[tuple[int, int | None], float] = field(default_factory=dict)
    most: int = 0  # the most processes alive at once
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> CpuSampler:
        self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> float:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        return sum(self.seen.values())

    def _run(self) -> None:
        while True:
            alive = 0
            for root in self.roots:
                for pid in process_tree(root):
                    cpu = cpu_seconds(pid, own=True)
                    if cpu or start_time(pid) is not None:
                        alive += 1
                        key = (pid, start_time(pid))
                        self.seen[key] = max(self.seen.get(key, 0.0), cpu)
            self.most = max(self.most, alive)
            if self._stop.wait(self.tick):
                return


def server_cpu(pid: int | None) -> float:
    """CPU of a server process, its reaped children and its live ones (PostgreSQL backends)."""
    if pid is None:
        return 0.0
    tree = process_tree(pid)
    return cpu_seconds(pid) + sum(cpu_seconds(child) for child in tree[1:])


def postmaster_pid(pg: Any) -> int | None:
    try:
        return int((Path(pg.data) / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def child_named(name: str) -> int | None:
    for pid in process_tree(os.getpid())[1:]:
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == name:
                return pid
        except OSError:
            continue
    return None


# ── one configuration ──────────────────────────────────────────────────────────────────────────


@dataclass
class Result:
    label: str
    wall: float
    window: float  # first to last article request
    lead: float  # start to the first article request
    trail: float  # the last article request to the coordinator's exit
    articles: int  # article requests the site answered
    cpu: float  # all rasad processes
    pg_cpu: float
    redis_cpu: float
    site_cpu: float
    others: float  # CPU seconds the rest of the machine used meanwhile (a shared machine)
    processes: int  # the most rasad processes alive at once (extraction processes included)
    rows: int
    distinct: int
    missing: frozenset[str]  # published pages not stored
    extra: int
    report: list[str]  # the coordinator's "N pages fetched ..." and "article failures" lines
    statuses: Counter[str]
    problems: list[str]
    workers: int = 0
    store: str = ""  # sqlite, pg
    series: str = ""  # the extract_processes setting


def run_config(
    label: str,
    config: Path,
    workers: int,
    site: Any,
    expected: set[str],
    logs: Path,
    timeout: float,
    pg_pid: int | None,
    redis_pid: int | None,
) -> Result:
    site.clear_requests()
    logs.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    before = children_cpu(), own_cpu(), server_cpu(pg_pid), server_cpu(redis_pid)
    machine_before = machine_cpu()[0]
    started, epoch = time.perf_counter(), time.time()
    procs: list[subprocess.Popen[bytes]] = []
    for i in range(workers):
        with (logs / f"worker{i}.log").open("wb") as out:
            procs.append(
                subprocess.Popen(
                    rasad("worker", "--config", str(config)),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=REPO,
                    env=env(),
                )
            )
    with (logs / "crawl.log").open("wb") as out:
        coordinator = subprocess.Popen(
            rasad("crawl", "--config", str(config)),
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            env=env(),
        )
    sampler = CpuSampler([p.pid for p in [coordinator, *procs]]).start()
    try:
        try:
            coordinator.wait(timeout)
        except subprocess.TimeoutExpired:
            problems.append(f"the coordinator did not finish in {timeout:.0f} s: killed")
            coordinator.kill()
            coordinator.wait()
        wall = time.perf_counter() - started
        ended = time.time()
        for proc in procs:
            proc.terminate()  # SIGTERM: a worker gives back what it holds and exits 0
        for i, proc in enumerate(procs):
            try:
                code = proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
                problems.append(f"worker {i} ignored SIGTERM for 60 s: killed")
            if code != 0:
                problems.append(f"worker {i} exited {code}: {tail(logs / f'worker{i}.log')}")
    finally:
        for proc in [coordinator, *procs]:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    sampled = sampler.stop()
    cpu = max(children_cpu() - before[0], sampled)
    site_cpu = own_cpu() - before[1]
    pg_cpu = server_cpu(pg_pid) - before[2]
    redis_cpu = server_cpu(redis_pid) - before[3]
    machine = (machine_cpu()[0] - machine_before) / os.sysconf("SC_CLK_TCK")
    others = max(0.0, machine - cpu - site_cpu - pg_cpu - redis_cpu)
    if coordinator.returncode not in (0,):
        problems.append(f"rasad crawl exited {coordinator.returncode}: {tail(logs / 'crawl.log')}")

    pages = {p.path for p in site.pages}
    times = [
        r.time for r in site.requests() if fixture_site.route_key(r.path) in pages and r.status
    ]
    window = max(times) - min(times) if len(times) > 1 else 0.0
    lead = min(times) - epoch if times else 0.0
    trail = ended - max(times) if times else 0.0

    done = subprocess.run(
        rasad("export", "--all", "--format", "jsonl", "--config", str(config)),
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env(),
        timeout=600,
        check=False,
    )
    rows: list[dict[str, Any]] = []
    if done.returncode != 0:
        problems.append(f"rasad export exited {done.returncode}: {done.stderr.strip()[-300:]}")
    else:
        rows = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    urls = Counter(str(row.get("canonical_url")) for row in rows)
    return Result(
        label,
        wall,
        window,
        lead,
        trail,
        len(times),
        cpu,
        pg_cpu,
        redis_cpu,
        site_cpu,
        others,
        sampler.most,
        len(rows),
        len(urls),
        frozenset(expected - set(urls)),
        len(set(urls) - expected),
        report_lines(logs / "crawl.log", " pages fetched", "article failures"),
        Counter(str(row.get("status")) for row in rows),
        problems,
    )


def report_lines(log: Path, *starts: str) -> list[str]:
    """Lines of the coordinator's report that contain one of `starts` (the report wraps long
    lines at 80 columns: continuation lines are joined back)."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    found = []
    for i, line in enumerate(lines):
        if any(start in line for start in starts):
            whole = line.strip()
            for more in lines[i + 1 :]:
                if not more.startswith("    "):  # wrapped lines are indented further
                    break
                whole += " " + more.strip()
            found.append(whole)
    return found


def tail(path: Path, lines: int = 6) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return " | ".join(text[-lines:])


def write_config(
    path: Path, site: Any, store: str, crawl: dict[str, int], queue: str | None
) -> Path:
    text = fixture_site.rasad_config(site, store, crawl=crawl)
    if queue:
        text = text.replace("[[sources]]", f'[queue]\nurl = "{queue}"\n\n[[sources]]', 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def flush_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


# ── printing ───────────────────────────────────────────────────────────────────────────────────

HEADER = (
    f"{'configuration':<34} {'wall s':>7} {'lead s':>6} {'tail s':>6} {'pages/s':>8}"
    f" {'window/s':>9} {'rasad CPU s':>12}"
    f" {'CPU/page ms':>11} {'procs':>5} {'pg CPU s':>9} {'redis s':>8} {'site s':>7}"
    f" {'others s':>8}  check"
)


def wrong(result: Result, unstored: frozenset[str] | None) -> bool:
    """Not every article stored exactly once: a row twice, a page stored that the site does
    not publish, or published pages missing beyond those the reference never stored."""
    lost = result.missing - (unstored or frozenset())
    return bool(result.problems or result.extra or result.rows != result.distinct or lost)


LEGEND = """columns:
  wall s      from starting the first rasad process to the coordinator's exit
  lead s      from the start to the first article request the site saw (start-up, feeds)
  tail s      from the last article request to the coordinator's exit (drain, report)
  pages/s     published articles / wall s
  window/s    article requests / (last - first article request): the steady rate
  rasad CPU s coordinator + workers + their extraction processes (user + system)
  procs       the most rasad processes alive at once
  pg, redis   the PostgreSQL server (all backends) and redis-server
  site s      this process (the fixture site, threads)
  others s    the rest of the machine meanwhile (other loads on a shared machine)"""


def show(
    result: Result, n: int, reference: Counter[str] | None, unstored: frozenset[str] | None
) -> None:
    rate = n / result.wall if result.wall else 0.0
    window = (result.articles - 1) / result.window if result.window else 0.0
    bad = wrong(result, unstored)
    lost = len(result.missing - (unstored or frozenset()))
    check = (
        f"MISMATCH: {result.distinct} distinct of {n}, {result.rows - result.distinct} stored "
        f"twice, {lost} lost, {result.extra} not on the site"
        if bad
        else f"ok: {result.distinct} stored once each"
    )
    print(
        f"{result.label:<34} {result.wall:7.1f} {result.lead:6.1f} {result.trail:6.1f} {rate:8.1f}"
        f" {window:9.1f} {result.cpu:12.1f}"
        f" {1000 * result.cpu / max(1, n):11.1f} {result.processes:5d} {result.pg_cpu:9.1f}"
        f" {result.redis_cpu:8.1f} {result.site_cpu:7.1f} {result.others:8.1f}  {check}",
        flush=True,
    )
    if bad:
        print(f"{'':<34} !!! MISMATCH: not every article stored exactly once !!!", flush=True)
    if reference is not None and result.statuses != reference:
        print(f"{'':<34} note: outcomes {dict(result.statuses)} differ from the first's")
    if unstored is not None and result.missing != unstored:
        print(f"{'':<34} note: unstored pages differ from the first's: {sorted(result.missing)}")
    if result.articles != n:
        print(f"{'':<34} note: the site answered {result.articles} article requests for {n} pages")
    for problem in result.problems:
        print(f"{'':<34} ! {problem}", flush=True)


def busy(result: Result) -> float:
    """The share of the machine's cores busy during the run, whoever used them."""
    used = result.cpu + result.pg_cpu + result.redis_cpu + result.site_cpu + result.others
    return used / max(1e-9, result.wall * CORES)


def reading(results: list[Result], n: int, latency: float, per_host: int) -> str:
    """One paragraph on the figures."""
    if not results:
        return "no configuration ran"
    reference = results[0].missing
    lost = sum(len(r.missing - reference) + r.rows - r.distinct + r.extra for r in results)
    series: dict[str, list[Result]] = {}
    for result in results:
        series.setdefault(result.series, []).append(result)
    single = next((r for r in results if r.store == "pg" and not r.workers), results[0])
    if latency == 0:
        text = [
            f"With the site answering at once the crawl is bound by CPU, not by waiting: one "
            f"`rasad crawl` without a queue used {single.cpu / single.wall:.1f} cores on "
            "average (its extraction processes run trafilatura beside the downloader) and the "
            f"machine's {CORES} cores were {busy(single):.0%} busy (rasad, PostgreSQL, the "
            "site and other loads). Workers on the same cores cannot beat that; they add "
            "processes (each with its start-up and its own extraction pool), store "
            "connections and queue round trips to the same CPU."
        ]
    else:
        text = [
            f"With {latency:g} s per page a process keeps at most {per_host} pages in flight "
            f"to the host ({per_host / latency:.0f} pages/s at best) and each worker adds "
            f"{per_host} more, so throughput grows with workers until the {CORES} cores are "
            "busy (compare the fetch-window rates; the wall rates include start-up)."
        ]
    for name, rows in series.items():
        base = next((r for r in rows if r.store == "pg" and not r.workers), None)
        lite = next((r for r in rows if r.store == "sqlite"), None)
        if base is None:
            continue
        rate = n / base.wall
        scaled = ", ".join(
            f"{r.workers}: {n / r.wall:.1f} ({n / r.wall / rate:.2f}x)" for r in rows if r.workers
        )
        text.append(
            f"{name}: one process {rate:.1f} pages/s on PostgreSQL"
            + (f" ({n / lite.wall:.1f} on SQLite)" if lite is not None else "")
            + (f", coordinator + workers {scaled}." if scaled else ".")
        )
    noisy = max(results, key=lambda r: r.others / max(1e-9, r.wall * CORES))
    share = noisy.others / max(1e-9, noisy.wall * CORES)
    if share > 0.15:
        text.append(
            f"Other loads took up to {share:.0%} of the machine during a configuration "
            f"({noisy.label}, {noisy.series}; column others): compare rows whose others "
            "column is small, and rerun before reading much into differences of 20 % or less."
        )
    text.append(
        "What matters on one machine is that throughput holds and nothing is lost: "
        + (
            "every configuration stored every published article exactly once."
            if not lost
            else f"{lost} article(s) lost, doubled or foreign: see MISMATCH above."
        )
        + (
            " Workers pay off on more machines, or when outlets are slow (try --latency 0.5)."
            if latency == 0
            else " On more machines the cores stop being the limit as well."
        )
    )
    return " ".join(text)


# ── main ───────────────────────────────────────────────────────────────────────────────────────


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--ant", type=int, default=2000, metavar="N", help="ANT articles")
    parser.add_argument("--seed", type=int, default=0, help="seed of the ANT sample")
    parser.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated")
    parser.add_argument(
        "--per-host", type=int, default=8, help="[crawl] concurrency_per_host (rasad: 2)"
    )
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per page at the site")
    parser.add_argument(
        "--extract-processes",
        default="default",
        help="[crawl] extract_processes of every rasad process: `default` (unset: one per "
        "core) or N; a comma list runs the series once per value, e.g. default,1",
    )
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite crawl")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per crawl")
    args = parser.parse_args(argv)
    counts = [int(v) for v in args.workers.split(",") if v.strip()]
    extracts: list[int | None] = [
        None if v.strip() == "default" else int(v)
        for v in args.extract_processes.split(",")
        if v.strip()
    ]

    began = time.perf_counter()
    try:
        ant = fixture_site.load_ant_articles(args.ant, seed=args.seed) if args.ant else []
    except FileNotFoundError as exc:
        print(f"cannot run: {exc}", file=sys.stderr)
        return 2
    site = fixture_site.demo_site(ant, page_delay=args.latency)
    bindir = pg_server._binaries()
    if bindir is None:
        print("cannot run: PostgreSQL is not installed (apt-get install postgresql)")
        return 2
    public = [p for p in site.pages if not p.path.startswith(fixture_site.Routes.PRIVATE_PREFIX)]
    n = len(public)
    print(f"machine: {CORES} cores (os.cpu_count), load average {os.getloadavg()[0]:.2f} at start")
    print(
        f"site: {n} articles ({len(ant)} ANT, seed {args.seed}, + seeds) and 1 disallowed by "
        f"robots.txt, {len(site.feeds)} feeds, {args.latency:g} s per page; "
        f"prepared in {time.perf_counter() - began:.1f} s"
    )

    crawl: dict[str, int] = {"concurrency_per_host": args.per_host}
    largest = max(len(site.render_feed(path)[0]) for path in site.feeds)
    if largest > MAX_PAGE_BYTES * 0.9:  # /feed/ carries full texts (from ~21,000 articles)
        crawl["max_page_bytes"] = (int(largest * 1.2) // 1_000_000 + 1) * 1_000_000

    results: list[Result] = []
    failed = False
    with (
        site,
        tempfile.TemporaryDirectory(prefix="rasad-workers-bench-") as tmp,
        redis_server(Path(tmp)) as redis_url,
    ):
        expected = {canonical_url(site.url(p.path)) for p in public}
        pg = pg_server.Server(bindir)
        try:
            pg_pid, redis_pid = postmaster_pid(pg), child_named("redis-server")
            print(
                f"stores: SQLite in {tmp}; PostgreSQL {pg.url()} (a fresh database each); "
                f"queue {redis_url}; [crawl] concurrency_per_host = {args.per_host}, "
                "download_delay = 0"
            )
            print(LEGEND)
            reference: Counter[str] | None = None
            unstored: frozenset[str] | None = None  # what the first configuration did not store
            first: Result | None = None
            for extract in extracts:
                options = dict(crawl)
                if extract is not None:
                    options["extract_processes"] = extract
                print()
                print(
                    "[crawl] extract_processes = "
                    + (f"{extract}" if extract is not None else f"unset (one per core: {CORES})")
                )
                print(HEADER)
                plan: list[tuple[str, str, int]] = []
                if not args.no_sqlite:
                    plan.append(("crawl alone, SQLite", "sqlite", 0))
                plan.append(("crawl alone, PostgreSQL", "pg", 0))
                plan += [(f"crawl + {w} worker(s), PostgreSQL", "pg", w) for w in counts]
                for label, kind, workers in plan:
                    name = f"x{extract}-{kind}-w{workers}"
                    directory = Path(tmp) / name
                    store = (
                        f"sqlite:///{directory / 'rasad.db'}"
                        if kind == "sqlite"
                        else pg.url(pg.create_database())
                    )
                    if workers:
                        flush_redis(redis_url)
                    config = write_config(
                        directory / "rasad.toml",
                        site,
                        store,
                        options,
                        redis_url if workers else None,
                    )
                    result = run_config(
                        label,
                        config,
                        workers,
                        site,
                        expected,
                        directory / "logs",
                        args.timeout,
                        pg_pid,
                        redis_pid,
                    )
                    result.workers, result.store = workers, kind
                    result.series = (
                        f"extract_processes {extract if extract is not None else 'unset'}"
                    )
                    if first is None:  # the reference: the single process, no queue
                        first, reference, unstored = result, result.statuses, result.missing
                    show(result, n, reference, unstored)
                    results.append(result)
                    failed = failed or wrong(result, unstored)
        finally:
            pg.stop()
    if first is not None:
        print(f"\nthe first configuration ({first.label}), the reference:")
        for line in first.report:
            print(f"  report: {line}")
        print(f"  stored, by outcome: {dict(sorted(first.statuses.items()))}")
        if first.missing:
            print(
                f"  {len(first.missing)} published page(s) it did not store (failed, see the "
                "report; every other configuration must leave the same ones):"
            )
            for url in sorted(first.missing):
                path = unquote(urlsplit(url)._replace(scheme="", netloc="").geturl())
                print(f"    {path if len(path) <= 90 else path[:87] + '...'}")
    print()
    print(reading(results, n, args.latency, args.per_host))
    print(f"\nbench took {time.perf_counter() - began:.0f} s")
    if failed:
        print("!!! MISMATCH or failure above: not every configuration stored every article once")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

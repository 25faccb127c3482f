"""`rasad runs`: the run history the store keeps."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import Any

from monitor.cli._common import add_command, reading_store
from monitor.config.loader import Config
from monitor.deliver.export import json_text, printable


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    runs = add_command(
        commands,
        "runs",
        summary="run history: when, how long, outcome, counts",
        description=(
            "List the latest crawls, newest first: when each started, how long it took, its "
            "outcome (ok, failed: a source failed, interrupted, running) and what it counted."
        ),
        examples=(
            "rasad runs",
            "rasad runs --limit 100 --format json",
        ),
    )
    runs.add_argument(
        "-n", "--limit", type=_positive, default=20, metavar="N", help="at most N runs (default 20)"
    )
    runs.add_argument("--format", choices=("text", "json"), default="text")
    runs.set_defaults(handler=run)


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive whole number")
    return number


def run(args: argparse.Namespace, config: Config) -> int:
    store = reading_store(config)
    try:
        rows = [run_row(r) for r in store.runs(limit=args.limit)]
    finally:
        store.close()
    if args.format == "json":
        print(json_text(rows, indent=2))
    else:
        print(printable(render(rows)))  # feed errors quote what servers sent
    return 0


def run_row(raw: dict[str, Any]) -> dict[str, Any]:
    """A stored run as the command shows it: times, outcome, and totals over its sources."""
    report = json.loads(raw.get("report") or "{}")
    sources = report.get("sources", [])
    started = datetime.fromisoformat(raw["started"])
    finished = datetime.fromisoformat(raw["finished"]) if raw.get("finished") else None

    def total(key: str) -> int:
        return sum(int(s.get(key, 0)) for s in sources)

    def stored(status: str) -> int:
        return sum(int(s.get("stored", {}).get(status, 0)) for s in sources)

    return {
        "id": raw["id"],
        "started": started.isoformat(),
        "finished": finished.isoformat() if finished else None,
        "seconds": report.get("seconds")
        if report
        else (round((finished - started).total_seconds(), 2) if finished else None),
        "outcome": raw["state"],
        "sources": json.loads(raw.get("sources") or "[]"),
        "failed_sources": [s["name"] for s in sources if not s.get("ok", True)],
        "feeds_polled": total("feeds_polled"),
        "entries": total("entries"),
        "fetched": total("fetched"),
        "new": stored("new"),
        "duplicate": stored("duplicate"),
        "off_topic": stored("off_topic"),
        "updated": stored("updated"),
        "failed": sum(sum(s.get("failed", {}).values()) for s in sources),
    }


def render(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "no runs yet; `rasad crawl` makes the first"
    header = (
        f"{'run':>5}  {'started (UTC)':<16} {'took':>7}  {'outcome':<11} {'srcs':>4} "
        f"{'fetched':>7} {'new':>4} {'dup':>4} {'off':>4} {'fail':>4}"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        took = f"{row['seconds']:.1f}s" if row["seconds"] is not None else "-"
        lines.append(
            f"{row['id']:>5}  {row['started'][:16].replace('T', ' '):<16} {took:>7}  "
            f"{row['outcome']:<11} {len(row['sources']):>4} {row['fetched']:>7} "
            f"{row['new']:>4} {row['duplicate']:>4} {row['off_topic']:>4} {row['failed']:>4}"
        )
        if row["failed_sources"]:
            names = ", ".join(row["failed_sources"])
            lines.append(f"{'':>7}failed: {names[:70] + ('…' if len(names) > 70 else '')}")
    return "\n".join(lines)

"""What the benchmark scripts share."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]


def load_fixture_site() -> ModuleType:
    """tests/fixture_site.py as a module (the tests folder is not a package)."""
    if "fixture_site" in sys.modules:
        return sys.modules["fixture_site"]
    spec = importlib.util.spec_from_file_location(
        "fixture_site", REPO / "tests" / "fixture_site.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fixture_site"] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


# ── processes, from /proc (Linux) ──────────────────────────────────────────────────────────────


def process_tree(root: int) -> list[int]:
    """`root` and its live descendants (via /proc/PID/task/TID/children, else a /proc scan)."""
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        try:
            children = [
                int(child)
                for task in Path(f"/proc/{pid}/task").iterdir()
                for child in (task / "children").read_text().split()
            ]
        except OSError:
            children = _children_by_scan(pid)
        todo.extend(children)
    return tree


def _children_by_scan(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                found.append(int(entry.name))
    return found


def status_kib(pid: int, field: str = "VmRSS") -> int:
    """A `/proc/PID/status` figure in KiB (VmRSS, VmHWM, ...); 0 when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kib(pid: int) -> int:
    """Proportional set size (shared pages split among their users); 0 when unavailable."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int, *, own: bool = False) -> float:
    """User + system CPU of a live process and of its reaped children (`own`: of the process
    alone); 0.0 when gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(v) for v in fields[11 : 13 if own else 15]) / ticks  # utime stime cu.. cs..


def machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of all cores since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    total = sum(values[:8])
    return float(total - idle), float(total)


def start_time(pid: int) -> int | None:
    """When the process started (clock ticks after boot), telling it from a later one with the
    same pid; None when there is none."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None

"""A wheel built from the checkout works on its own (issue 8).

The wheel is installed, not editable, into a fresh virtual environment and run from a directory
that is not the checkout: the outlet list, the topic lexicon and the seed corpus must come from
the installed `seeds` package, never from files next to the sources. The third-party
dependencies are borrowed from the dev environment through a `.pth` line (no network); a plain
path line does not run the editable-install hook inside it, and the test checks that the rasad
it runs is the wheel's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("monitor", "seeds", "spiders", "store")  # the user's fixed top level
# Left out of the copy the wheel is built from: caches, local data, earlier build output.
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "data", "*.egg-info", "__pycache__", ".*_cache",
    ".hypothesis", "rasad.toml",
)  # fmt: skip


def run(argv: list[str | Path], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, timeout=300, **kwargs
    )


def clean_env() -> dict[str, str]:
    """The environment without anything that points Python or rasad somewhere else."""
    drop = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")
    return {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("RASAD_")}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """rasad's wheel, built from a copy of the checkout (the checkout gets no build/ folder)."""
    setuptools_version = metadata.version("setuptools")
    assert int(setuptools_version.split(".")[0]) >= 77, (
        f"setuptools {setuptools_version} in the dev environment: building without isolation "
        "needs setuptools>=77 (pip install -e '.[dev]')"
    )
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "src"
    shutil.copytree(REPO, source, ignore=NOT_SOURCES)
    built = run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "-w", tmp / "dist", source]
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    assert "deprecat" not in (built.stdout + built.stderr).lower(), built.stderr
    (path,) = (tmp / "dist").glob("rasad-*.whl")
    return path


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel installed and the dev venv's dependencies."""
    root = tmp_path_factory.mktemp("venv") / "env"
    base = getattr(sys, "_base_executable", None) or sys.executable
    created = run([base, "-m", "venv", "--without-pip", root])
    python = root / "bin" / "python"
    if created.returncode != 0 or not python.exists():
        pytest.skip(f"cannot create a virtual environment with {base}: {created.stderr.strip()}")
    installed = run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
         "--disable-pip-version-check", wheel]
    )  # fmt: skip
    assert installed.returncode == 0, installed.stdout + installed.stderr
    purelib = run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"])
    dev_purelib = sysconfig.get_path("purelib")
    (Path(purelib.stdout.strip()) / "rasad-dev-deps.pth").write_text(dev_purelib + "\n")
    return root


def test_wheel_holds_every_package_and_the_seed_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    top = {n.split("/")[0] for n in names if not n.startswith("rasad-")}
    assert top == set(PACKAGES)
    for package in PACKAGES:  # subpackages too (an explicit package list forgets them)
        for init in (REPO / package).rglob("__init__.py"):
            assert init.relative_to(REPO).as_posix() in names
    data = [p for p in (REPO / "seeds").iterdir() if p.suffix in (".toml", ".txt")]
    assert {"sources.toml", "lexicon.toml", "seeds.toml"} <= {p.name for p in data}
    for path in data:
        assert f"seeds/{path.name}" in names


def test_installed_rasad_is_the_wheel_and_reads_its_own_seeds(venv: Path, tmp_path: Path) -> None:
    probe = (
        "import json, monitor, seeds, spiders, store\n"
        "from monitor.config.loader import DEFAULT_SOURCES_FILE\n"
        "from monitor.judge.relevance import DEFAULT_LEXICON_PATH, load_lexicon\n"
        "from monitor.judge.seeds import load_seeds\n"
        "load_lexicon()\n"
        "print(json.dumps({'files': [m.__file__ for m in (monitor, seeds, spiders, store)]\n"
        "    + [str(DEFAULT_SOURCES_FILE), str(DEFAULT_LEXICON_PATH)],\n"
        "    'seeds': len(load_seeds())}))\n"
    )
    result = run([venv / "bin" / "python", "-c", probe], cwd=tmp_path, env=clean_env())
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    for path in found["files"]:
        assert Path(path).resolve().is_relative_to(venv.resolve()), path
    manifest = tomllib.loads((REPO / "seeds" / "seeds.toml").read_text(encoding="utf-8"))
    assert found["seeds"] == len(manifest["seeds"]) == 5


def test_installed_rasad_lists_the_default_outlets(venv: Path, tmp_path: Path) -> None:
    # from / as the issue asks: nothing there is rasad's, and a read-only command creates
    # nothing (no ./data/ store), so this is safe to run from the root
    assert not Path("/rasad.toml").exists() and not Path("/data/rasad.db").exists()
    result = run([venv / "bin" / "rasad", "sources"], cwd=Path("/"), env=clean_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "cannot read" not in result.stderr
    assert not Path("/data/rasad.db").exists()
    sources = tomllib.loads((REPO / "seeds" / "sources.toml").read_text(encoding="utf-8"))
    names = [s["name"] for s in sources["sources"] if s.get("enabled", True)]
    assert len(names) >= 20
    assert {"bbc_arabic", "aljazeera"} <= set(names)
    missing = [name for name in names if name not in result.stdout]
    assert not missing, f"not listed: {missing}\n{result.stdout}"

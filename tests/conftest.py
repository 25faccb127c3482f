"""Shared fixtures: paths, the real-world material in ../shared/data, the local news site.

repo_root      the repository checkout (session)
shared_data    ../shared/data, or the test skips with the reason (session)
ant_cache      the ANT corpus decompressed once into a temporary directory (session; skips
               when absent); also makes it the default of fixture_site.load_ant_articles
news_site      a started seed-only NewsSite (fixture_site.seed_site), stopped afterwards
summary_lines  a place for tests to leave figures printed at the end of the run
backend_url    the URL of a fresh, empty store, once per backend: a SQLite file in tmp_path,
               and a new database on the session's PostgreSQL server (tests/pg_server.py; the
               "postgresql" case skips with the reason where PostgreSQL is not installed)
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixture_site import (
    ANT_DIR_NAME,
    REPO_ROOT,
    AntCorpus,
    NewsSite,
    seed_site,
    set_default_ant_corpus,
    shared_data_dir,
)

_SUMMARY: dict[str, list[str]] = {}

#: The store backends an end-to-end test runs on when it takes `backend_url`.
BACKEND_NAMES = ("sqlite", "postgresql")


def fresh_store_url(backend: str, tmp_path: Path) -> str:
    """The URL of a new, empty store of `backend` (SQLite: tmp_path/rasad.db)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/rasad.db"
    from pg_server import postgresql_url

    return postgresql_url(tmp_path)


@pytest.fixture(params=BACKEND_NAMES)
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return fresh_store_url(str(request.param), tmp_path)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_data(repo_root: Path) -> Path:
    path = shared_data_dir(repo_root)
    if path is None:
        pytest.skip(
            f"real-world material not available: {repo_root.parent / 'shared' / 'data'} is absent"
        )
    return path


@pytest.fixture(scope="session")
def ant_cache(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AntCorpus]:
    root = shared_data / ANT_DIR_NAME
    if not root.is_dir():
        pytest.skip(f"the ANT corpus is not available: {root} is absent")
    cache = tmp_path_factory.mktemp("ant-cache")
    corpus = AntCorpus(root, cache)
    set_default_ant_corpus(corpus)
    yield corpus
    set_default_ant_corpus(None)
    corpus.close()
    shutil.rmtree(cache, ignore_errors=True)  # ~170 MB: not worth keeping in pytest's basetemp


@pytest.fixture
def news_site() -> Iterator[NewsSite]:
    """The seed articles in four templates, /feed/ (RSS 2.0, with a robots-disallowed story) and
    /atom.xml, on 127.0.0.1. The slow route answers after 10 s (or when the site stops)."""
    with seed_site(slow_seconds=10.0) as site:
        yield site


@pytest.fixture(scope="session")
def summary_lines() -> dict[str, list[str]]:
    """section title -> lines, printed in the terminal summary."""
    return _SUMMARY


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for title, lines in _SUMMARY.items():
        if lines:
            terminalreporter.write_sep("-", title)
            for line in lines:
                terminalreporter.write_line(line)

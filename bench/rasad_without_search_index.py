#!/usr/bin/env python3
"""`rasad` with the archive search index switched off, for measuring what the index costs a
crawl: ``bench/crawl_bench.py --rasad bench/rasad_without_search_index.py`` beside a plain
``bench/crawl_bench.py``. Each stored article skips its FTS row, and a store this creates drops
the covering index search uses (so every write the index adds is gone). Never for real use:
search on such a store finds nothing."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.cli import main
from store.sqlite import fts, migrations


def _no_index(*_args: Any) -> None:
    return None


def _drop_cover(db: Any) -> None:
    db.execute(f"DROP INDEX IF EXISTS {fts.COVER}")


fts.index = _no_index  # type: ignore[assignment]
migrations.MIGRATIONS[:] = [
    (name, _drop_cover if name == "search_cover" else step) for name, step in migrations.MIGRATIONS
]

if __name__ == "__main__":
    sys.exit(main())

"""rasad's shipped data: the seed corpus, the outlet list and the topic lexicon.

    sources.toml   the default outlets (used when a config has no [[sources]])
    lexicon.toml   the topic lexicon (unless [relevance] lexicon names another)
    seeds.toml     the seed manifest; the texts it names are the NNN_*.txt files next to it

The files are package data: a checkout, an editable install and a wheel all have them here,
next to this module, so every reader asks this package for them and never builds a path from
the checkout. Nothing else lives here (no imports of monitor: everything may import this).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["SEEDS_DIR", "seed_file"]

#: The directory holding the shipped data files (a real directory: setuptools installs
#: package data as files).
SEEDS_DIR: Path = Path(__file__).resolve().parent


def seed_file(name: str) -> Path:
    """The path of one shipped data file: ``seed_file("sources.toml")``."""
    return SEEDS_DIR / name

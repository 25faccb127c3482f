"""The seed corpus: the five articles the user supplied, with what is known about them."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from monitor.errors import ConfigError
from seeds import SEEDS_DIR


@dataclass(frozen=True)
class Seed:
    id: str
    title: str
    text: str
    outlet: str = ""
    published: str | None = None
    event: str = ""

    @property
    def ref(self) -> str:
        """How a duplicate points at this seed (`duplicate_of`)."""
        return f"seed:{self.id}"


def load_seeds(folder: Path = SEEDS_DIR) -> list[Seed]:
    """Read seeds/seeds.toml and the text files it names."""
    manifest = folder / "seeds.toml"
    try:
        entries = tomllib.loads(manifest.read_text(encoding="utf-8"))["seeds"]
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read the seed manifest ({exc})", path=str(manifest)) from None
    seeds = []
    for entry in entries:
        text = (folder / entry["file"]).read_text(encoding="utf-8")
        seeds.append(
            Seed(
                id=entry["id"],
                title=entry["title"],
                text=text,
                outlet=entry.get("outlet", ""),
                published=entry.get("published") or entry.get("page_date"),
                event=entry.get("event", ""),
            )
        )
    return seeds


def text_hash(text: str) -> str:
    """A stable fingerprint of a text (whitespace-insensitive)."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()

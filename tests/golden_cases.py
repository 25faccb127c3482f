"""The golden cases, ``tests/golden/<source>/<case>/expected.json``, and the measures they use.

Read by tests/test_golden.py (which checks every case) and tests/test_extract.py (which
reuses the pages). The fields of expected.json are described in tests/golden/README.md.
"""

from __future__ import annotations

import bz2
import gzip
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from monitor.models import FeedEntry

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden"
NOW = datetime(2026, 6, 1, tzinfo=UTC)  # "today" for every case: date plausibility is fixed
HTML = {"Content-Type": "text/html; charset=utf-8"}

# Every field a case may have; a misspelt one is an error, not a check silently skipped.
FIELDS = frozenset(
    {
        "about", "page", "headers", "headers_file", "url", "feed_entry", "error",
        "title", "page_title", "published", "published_day", "date_source", "language",
        "encoding", "canonical_hint", "canonical_hint_prefix", "gold_text", "min_retention",
        "min_precision", "must_contain", "boilerplate", "never_in_text", "on_page",
        "min_arabic_letters", "no_mojibake",
    }
)  # fmt: skip


def norm(text: str) -> str:
    """Whitespace runs to one space; zero-width and bidi marks (invisible) dropped."""
    return re.sub(
        r"\s+", " ", re.sub("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]", "", text)
    ).strip()


def visible_text(body: bytes) -> str:
    """Everything a reader sees on the page, scripts and styles left out."""
    tree = lxml.html.document_fromstring(body)
    for element in tree.xpath("//script | //style"):
        element.drop_tree()
    return norm(tree.text_content())


def retention(gold: list[str], text: str) -> float:
    """Share of gold paragraphs found (whitespace-normalised) in the extracted text."""
    flat = norm(text)
    return sum(norm(p) in flat for p in gold) / len(gold)


def precision(gold: list[str], text: str) -> float:
    """Share of extracted paragraphs that belong to the gold body."""
    flat = norm(" ".join(gold))
    paragraphs = text.split("\n\n")
    return sum(norm(p) in flat for p in paragraphs) / len(paragraphs)


def on_day(published: datetime, day: str) -> bool:
    """Whether an instant falls on a calendar day in some time zone (UTC-12..UTC+14): gold
    dates are the publisher's local day, extracted times are UTC."""
    start = datetime.fromisoformat(day).replace(tzinfo=UTC)
    return start - timedelta(hours=14) <= published < start + timedelta(hours=36)


# ── reading cases ─────────────────────────────────────────────────────────────────────────────


def read_bytes(path: Path) -> bytes:
    """A file's bytes, decompressed when it is .gz or .bz2."""
    data = path.read_bytes()
    if path.suffix == ".gz":
        return gzip.decompress(data)
    if path.suffix == ".bz2":
        return bz2.decompress(data)
    return data


def gold_paragraphs(path: Path, form: str) -> list[str]:
    """A gold body: "paragraphs" (blank-line separated text), "ant" (the <TEXT> of an ANT
    document, one paragraph a line) or "fundus" (fundus' JSON, V1 body sections)."""
    raw = path.read_text(encoding="utf-8")
    if form == "paragraphs":
        return [p for p in raw.split("\n\n") if p.strip()]
    if form == "ant":
        match = re.search(r"<TEXT>(.*?)</TEXT>", raw, re.S)
        assert match, f"{path}: no <TEXT> field"
        return [p for p in match[1].strip().splitlines() if p.strip()]
    if form == "fundus":
        body = json.loads(raw)["V1"]["body"]
        return [p for section in body["sections"] for p in section["paragraphs"]]
    raise ValueError(f"unknown gold_text format {form!r}")


@dataclass(frozen=True)
class Case:
    name: str  # "<source>/<case>"
    expected: Mapping[str, Any]

    def path(self, key: str) -> Path:
        """A path the case names, relative to the repository root; skips when it is in an
        absent ../shared/data, fails when a path inside the repository is missing."""
        value = self.expected[key] if key != "gold_text" else self.expected[key]["path"]
        path = (REPO / value).resolve()
        if not path.exists():
            if not path.is_relative_to(REPO):
                pytest.skip(f"real-world material not available: {path} is absent")
            pytest.fail(f"{self.name}: {key} {value!r} does not exist")
        return path

    def body(self) -> bytes:
        return read_bytes(self.path("page"))

    def headers(self) -> dict[str, str]:
        if "headers_file" in self.expected:
            return dict(json.loads(self.path("headers_file").read_text(encoding="utf-8")))
        return dict(self.expected.get("headers", HTML))

    def entry(self) -> FeedEntry | None:
        found = self.expected.get("feed_entry")
        if found is None:
            return None
        published = found.get("published")
        return FeedEntry(
            url=self.expected["url"],
            title=found.get("title", ""),
            published=datetime.fromisoformat(published) if published else None,
        )


def load_cases(root: Path = GOLDEN) -> list[Case]:
    cases = []
    for path in sorted(root.glob("*/*/expected.json")):
        expected = json.loads(path.read_text(encoding="utf-8"))
        cases.append(Case(f"{path.parent.parent.name}/{path.parent.name}", expected))
    return cases


CASES = load_cases()

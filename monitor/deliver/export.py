"""Stored articles as analysts receive them: the export record (the contract's fields) and
the JSON-lines / CSV writers. The digest and the web archive build on the same record.

Scraped strings are hostile until shown otherwise. What people read (CSV, the text output
of search) passes `printable`: terminal escape sequences (CSI, OSC, other ESC sequences),
C0 and C1 control characters and bidi embedding/override controls are removed, newlines
and tabs kept. CSV cells that a spreadsheet would run as a formula (starting with = + - @,
or a tab or carriage return) get a leading apostrophe (`csv_cell`). JSON keeps the data as
stored, with every control character escaped (json escapes C0; C1 and DEL are escaped here
too), so no raw control byte reaches a terminal that prints it.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from typing import IO, Any

from store.base import StoredArticle

_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"  # CSI: colours, cursor moves, screen clears
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window titles, hyperlinks
    r"|\x1b[P^_X][^\x1b]*(?:\x1b\\)?"  # DCS, PM, APC, SOS strings
    r"|\x1b[ -/]*[0-~]?"  # any other ESC sequence, or a lone ESC
    r"|\x9b[0-?]*[ -/]*[@-~]?"  # the 8-bit CSI
)
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u2028\u2029]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def printable(text: str) -> str:
    """`text` without escape sequences and control characters (newline and tab kept)."""
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell: strings printable, and never a spreadsheet formula."""
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    if not isinstance(value, str):
        return value
    value = printable(value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def json_text(document: Any, indent: int | None = None) -> str:
    """A JSON document, Arabic as is, every control character escaped (C1 and DEL too)."""
    text = json.dumps(document, ensure_ascii=False, indent=indent)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


EXPORT_FIELDS = (
    "url",
    "canonical_url",
    "source",
    "title",
    "published",
    "fetched",
    "text",
    "status",
    "relevance",
    "duplicate_of",
    "story",
    "similarity",
    "language",
    "fetched_url",
    "subtopics",
    "matched",
    "also_reported_by",
)


def export_record(article: StoredArticle, also_reported_by: list[str]) -> dict[str, Any]:
    verdict = article.verdict or {}
    return {
        "url": article.url,
        "canonical_url": article.canonical_url,
        "source": article.source,
        "title": article.title,
        "published": article.published.isoformat() if article.published else None,
        "fetched": article.fetched.isoformat(),
        "text": article.text,
        "status": article.status,
        "relevance": article.relevance,
        "duplicate_of": article.duplicate_of,
        "story": article.story,
        "similarity": article.similarity,
        "language": article.language,
        "fetched_url": article.fetched_url,
        "subtopics": list(verdict.get("subtopics", ())),
        "matched": list(verdict.get("matched", ())),
        "also_reported_by": also_reported_by,
    }


def write(records: Iterator[dict[str, Any]], fmt: str, out: IO[str]) -> int:
    count = 0
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS) if fmt == "csv" else None
    if writer:
        writer.writeheader()
    for record in records:
        if writer:
            writer.writerow({k: csv_cell(v) for k, v in record.items()})
        else:
            out.write(json_text(record) + "\n")
        count += 1
    return count

"""Golden pages: one folder per case, ``tests/golden/<source>/<case>/expected.json``.

Each case names a page and what monitor.extract.article must make of it; one parametrised test
walks them all, so adding a page needs no code (tests/golden/README.md lists the fields).
Real pages are referenced by their path in ../shared/data (``"../shared/data/pages/..."``,
relative to the repository root) and never copied into the repository: those cases skip, with
the path they miss, when it is absent. Small generated pages (the fixture site's templates)
live in their case folder and always run.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from golden_cases import (
    CASES,
    FIELDS,
    NOW,
    REPO,
    Case,
    gold_paragraphs,
    on_day,
    precision,
    retention,
    visible_text,
)

from monitor.errors import ExtractionError
from monitor.extract.article import extract_article
from monitor.models import Article

# ── the test ──────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_page(case: Case) -> None:
    expected = case.expected
    unknown = set(expected) - FIELDS
    assert not unknown, f"unknown fields {sorted(unknown)} (known: see tests/golden/README.md)"
    body, headers, url = case.body(), case.headers(), expected["url"]
    if "error" in expected:
        with pytest.raises(ExtractionError) as caught:
            extract_article(body, url, headers, case.entry(), now=NOW)
        assert caught.value.reason == expected["error"]
        return
    article = extract_article(body, url, headers, case.entry(), now=NOW)
    assert article.url == url
    check_article(case, article, body)
    if case.entry() is not None:
        # found through a feed: the entry may decide the title and the date, never the text
        alone = extract_article(body, url, headers, now=NOW)
        assert alone.text == article.text
        if "page_title" in expected:
            assert alone.title == expected["page_title"]
        check_text(case, alone, body)


def check_article(case: Case, article: Article, body: bytes) -> None:
    expected = case.expected
    if "title" in expected:
        assert article.title == expected["title"]
    if "published" in expected:
        value = expected["published"]
        assert article.published == (datetime.fromisoformat(value) if value else None)
    if "published_day" in expected:
        assert article.published is not None, "a publication date was expected"
        assert on_day(article.published, expected["published_day"]), article.published
    if "date_source" in expected:
        assert article.date_source == expected["date_source"]
    if "language" in expected:
        assert article.language == expected["language"]
    if "encoding" in expected:
        assert article.encoding == expected["encoding"]
    if "canonical_hint" in expected:
        assert article.canonical_hint == expected["canonical_hint"]
    if "canonical_hint_prefix" in expected:
        assert article.canonical_hint is not None
        assert article.canonical_hint.startswith(expected["canonical_hint_prefix"])
    if "gold_text" in expected:
        gold = gold_paragraphs(case.path("gold_text"), expected["gold_text"]["format"])
        assert retention(gold, article.text) >= expected.get("min_retention", 0.97)
        assert precision(gold, article.text) >= expected.get("min_precision", 0.97)
    check_text(case, article, body)


def check_text(case: Case, article: Article, body: bytes) -> None:
    expected = case.expected
    shown = visible_text(body) if "boilerplate" in expected or "on_page" in expected else ""
    for snippet in expected.get("must_contain", ()):
        assert snippet in article.text
    for snippet in expected.get("boilerplate", ()):
        assert snippet in shown, f"the page really shows {snippet!r}"
        assert snippet not in article.text
    for snippet in expected.get("on_page", ()):
        assert snippet in shown
    for snippet in expected.get("never_in_text", ()):
        assert snippet not in article.text and snippet not in article.title
    if expected.get("no_mojibake"):
        assert "\ufffd" not in article.text
        assert not re.search("[ÃØÙÚÛ]", article.text + article.title), "mojibake"
    if "min_arabic_letters" in expected:
        letters = [ch for ch in article.text if ch.isalpha()]
        arabic = sum("\u0600" <= ch <= "\u06ff" for ch in letters)
        assert arabic > expected["min_arabic_letters"] * len(letters)


# ── the cases themselves ──────────────────────────────────────────────────────────────────────


def test_every_case_is_found_and_well_formed() -> None:
    """The walk finds the cases (a moved folder would otherwise test nothing), and each one
    says at least what page it is, where it came from, and one thing to check."""
    assert len(CASES) >= 30
    sources = {c.name.split("/")[0] for c in CASES}
    assert {"cnn-arabic", "lbcgroup", "assabah", "jawharafm", "almadar"} <= sources
    for case in CASES:
        assert {"page", "url"} <= set(case.expected), case.name
        assert set(case.expected) - {"about", "page", "url", "headers", "headers_file"}, case.name
        local = (REPO / case.expected["page"]).resolve()
        if local.is_relative_to(REPO):  # generated pages stay small
            assert local.stat().st_size < 64_000, case.name

"""monitor.extract.article on the fixture site's four page templates, five seed articles each.

The body must survive (>= 97% of its paragraphs, subheadings reported separately) and none of the
page furniture (login box, most-read sidebar, "اقرأ أيضا" links, comments, newsletter, cookie
banner, copyright) may reach the text. Retention per template is printed in the terminal summary.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fixture_site import (
    BOILERPLATE_MARKERS,
    TEMPLATES,
    TEMPLATES_WITH_DATE_METADATA,
    SiteArticle,
    article_path,
    load_seed_articles,
    quote_path,
    render_article_page,
)

extract = pytest.importorskip("monitor.extract.article", reason="extraction is not importable")

SEEDS = load_seed_articles()
PAGE_ID = 120042
REPORT_TITLE = "extraction retention per page template (5 seed articles each)"


@dataclass(frozen=True)
class Measure:
    paragraphs: int
    kept: int
    headings: int
    headings_kept: int
    chars: int
    chars_kept: int
    leaked: tuple[str, ...]


_MEASURES: dict[str, dict[str, Measure]] = {}


def norm(text: str) -> str:
    return " ".join(text.split())


def extract_page(article: SiteArticle, template: str):  # -> monitor.models.Article
    url = "http://127.0.0.1:8765" + quote_path(article_path(article, template, PAGE_ID))
    page = render_article_page(article, template, url=url, page_id=PAGE_ID)
    return extract.extract_article(page.body, url, headers={"Content-Type": page.content_type})


def measure(article: SiteArticle, text: str) -> Measure:
    text = norm(text)
    body = article.body_paragraphs
    headings = [article.paragraphs[i] for i in sorted(article.headings)]
    kept = [p for p in body if norm(p) in text]
    return Measure(
        paragraphs=len(body),
        kept=len(kept),
        headings=len(headings),
        headings_kept=sum(norm(h) in text for h in headings),
        chars=sum(len(p) for p in body),
        chars_kept=sum(len(p) for p in kept),
        leaked=tuple(m for m in BOILERPLATE_MARKERS if m in text),
    )


def report(summary_lines: dict[str, list[str]]) -> None:
    lines = [
        f"{'template':<10} {'paragraphs':>11} {'chars':>7} {'min/page':>9} "
        f"{'subheads':>9} {'furniture leaked':>17}"
    ]
    for template in TEMPLATES:
        pages = _MEASURES.get(template, {})
        if not pages:
            continue
        ms = list(pages.values())
        kept, total = sum(m.kept for m in ms), sum(m.paragraphs for m in ms)
        chars = sum(m.chars_kept for m in ms) / sum(m.chars for m in ms)
        worst = min(m.kept / m.paragraphs for m in ms)
        heads = f"{sum(m.headings_kept for m in ms)}/{sum(m.headings for m in ms)}"
        leaked = sorted({marker for m in ms for marker in m.leaked})
        lines.append(
            f"{template:<10} {kept:>4}/{total:<4} {kept / total:>3.0%} {chars:>6.1%} {worst:>8.0%} "
            f"{heads:>9} {len(leaked):>3} {'; '.join(x[:30] for x in leaked)[:120]}"
        )
    summary_lines[REPORT_TITLE] = lines


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("article", SEEDS, ids=lambda a: a.slug[:24])
def test_extraction_keeps_the_body_and_drops_the_furniture(
    template: str, article: SiteArticle, summary_lines: dict[str, list[str]]
):
    result = extract_page(article, template)
    m = measure(article, result.text)
    _MEASURES.setdefault(template, {})[article.slug] = m
    report(summary_lines)
    missing = [p[:60] for p in article.body_paragraphs if norm(p) not in norm(result.text)]
    assert m.kept / m.paragraphs >= 0.97, f"kept {m.kept}/{m.paragraphs}; lost: {missing}"
    assert not m.leaked, f"furniture in the extracted text: {m.leaked}"


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("article", SEEDS[3:4], ids=lambda a: a.slug[:24])
def test_extraction_finds_the_headline_and_the_metadata_date(template: str, article: SiteArticle):
    result = extract_page(article, template)
    assert result.title == article.title
    assert result.language == "ar"
    if template in TEMPLATES_WITH_DATE_METADATA:
        assert result.published == article.published

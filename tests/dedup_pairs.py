"""Golden pairs for the near-duplicate thresholds, built from the seeds and the fixture site.

Seed 001 is the stored original; each copy of it is a `SiteArticle` rendered by the fixture
site (tests/fixture_site.py) in its "modern" template and extracted by monitor.extract, as a
crawl would see it. Each copy sits just on one side of one threshold of
monitor.judge.dedup.is_near_duplicate (containment >= 0.60, or >= 0.45 with no new passage
longer than 15 shingles), so moving any threshold flips one of them. The similarity values
are pinned in the tests: a change to tokens, shingles or extraction shows there first.

Everything here is offline and needs nothing from ../shared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import cache

import fixture_site as site

from monitor.extract.article import extract_article
from monitor.judge import dedup
from monitor.judge.seeds import Seed, load_seeds

ORIGINAL = 1  # seed 001, "what after the North Korea–Russia treaty": the stored story
OTHER = 3  # seed 003, the New York Times on Putin's visit: where new passages come from
TEMPLATE = "modern"
EDIT_WORD = "بدوره"  # a word seed 001 never uses: each edit makes the bigrams around it new
# A sentence on the weather, far from the story: one new passage inside an edited copy.
WEATHER = (
    "وتشير توقعات الأرصاد الجوية إلى أمطار غزيرة ورياح قوية تضرب السواحل الغربية خلال عطلة"
    " نهاية الأسبوع مع انخفاض ملموس في درجات الحرارة ليلا"
)


@cache
def seeds() -> tuple[Seed, ...]:
    return tuple(load_seeds())


@cache
def seed_articles() -> tuple[site.SiteArticle, ...]:
    return tuple(site.load_seed_articles())


def original() -> dedup.Fingerprint:
    """The stored original, fingerprinted as the store fingerprints a seed."""
    seed = seeds()[ORIGINAL]
    return dedup.fingerprint(seed.title, seed.text)


def new_passage(words: int) -> list[str]:
    """The first `words` words of seed 003's body, in its own paragraphs."""
    out: list[str] = []
    left = words
    for paragraph in seed_articles()[OTHER].body_paragraphs:
        if left <= 0:
            break
        taken = paragraph.split()[:left]
        out.append(" ".join(taken))
        left -= len(taken)
    return out


def edited(period: int, offsets: frozenset[int]) -> list[str]:
    """Seed 001's paragraphs with word n replaced by EDIT_WORD wherever n % period is in
    `offsets` (n counts the words of the whole text): an agency copy edited throughout."""
    out, n = [], 0
    for paragraph in seed_articles()[ORIGINAL].paragraphs:
        words = paragraph.split()
        for j in range(len(words)):
            if (n + j) % period in offsets:
                words[j] = EDIT_WORD
        n += len(words)
        out.append(" ".join(words))
    return out


def with_passage_inserted(paragraphs: list[str], words: int, at: int = 10) -> list[str]:
    """`paragraphs` with the first `words` words of WEATHER as paragraph `at`."""
    return [*paragraphs[:at], " ".join(WEATHER.split()[:words]), *paragraphs[at:]]


def copy_of_original(slug: str, paragraphs: list[str]) -> site.SiteArticle:
    return replace(seed_articles()[ORIGINAL], slug=slug, paragraphs=paragraphs, headings=())


def extracted(article: site.SiteArticle) -> tuple[str, str]:
    """(title, text) of the article's page on the fixture site, as extraction gives them."""
    url = "http://127.0.0.1:8765" + site.quote_path(site.article_path(article, TEMPLATE, 120001))
    page = site.render_article_page(article, TEMPLATE, url=url, page_id=120001)
    found = extract_article(page.body, url, {"Content-Type": page.content_type})
    return found.title, found.text


def body() -> list[str]:
    """Seed 001's paragraphs as the fixture site prints them."""
    return list(seed_articles()[ORIGINAL].paragraphs)


_EVERY_17TH = frozenset({0, 3, 7, 10, 14})  # five edits in 17 words
_EVERY_13TH = frozenset({0, 3, 6, 10})  # four edits in 13 words

#: name -> (how the copy's paragraphs are made, is it a duplicate of seed 001?)
PAIRS: dict[str, tuple[Callable[[], list[str]], bool]] = {
    # a new story of 550 / 650 words put on top of all of seed 001 (one long new passage):
    # only the containment threshold (0.60) decides
    "new-passage-0.62": (lambda: [*new_passage(550), *body()], True),
    "new-passage-0.58": (lambda: [*new_passage(650), *body()], False),
    # edited word by word throughout (no new passage over 5 shingles): the edited-copy
    # threshold (0.45) decides
    "edited-0.47": (lambda: edited(17, _EVERY_17TH), True),
    "edited-0.44": (lambda: edited(13, _EVERY_13TH), False),
    # the 0.47 copy with a 13 / 14-word new passage inside: a new run of 15 / 16 shingles
    # (the passage and its two edges); the longest new passage an edited copy may carry (15)
    # decides
    "edited-run-15": (lambda: with_passage_inserted(edited(17, _EVERY_17TH), 13), True),
    "edited-run-16": (lambda: with_passage_inserted(edited(17, _EVERY_17TH), 14), False),
}


@cache
def copy_fingerprint(name: str) -> dedup.Fingerprint:
    make, _ = PAIRS[name]
    title, text = extracted(copy_of_original(f"copy-{name}", make()))
    return dedup.fingerprint(title, text)

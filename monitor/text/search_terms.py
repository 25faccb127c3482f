"""Search terms: the one normaliser (`monitor.text.arabic`) plus light stemming.

What the search index holds of a text and what a query is turned into, so that a query and a
text spelled differently meet: `index_terms` is `arabic.tokens` with hamza seats folded and
each token light-stemmed (`light_stem`). `version` fingerprints the whole chain, so an index
built by an older rasad is known to need `rasad reindex`.
"""

from __future__ import annotations

import hashlib
import re

from monitor.text.arabic import NAME_STEMS, bare_hamza_tokens
from monitor.text.arabic_variants import KEEP_WHOLE
from monitor.text.memo import Memo

__all__ = ["index_terms", "light_stem", "version"]


# Suffixes as they read after fold() (ة -> ه, ى -> ي), longest first: plurals and duals
# (ات ون ين ان), attached pronouns (ها هم هن هما كم نا), the nisba (يه: ية) and ه ي. Light
# stemming, which beat root stemming in the TREC 2001-2002 Arabic track (Larkey et al.).
_LIGHT_SUFFIXES = tuple(
    sorted(
        ("ات", "ون", "ين", "ان", "ها", "هم", "هن", "هما", "كم", "نا", "يه", "ه", "ي"),
        key=len,
        reverse=True,
    )
)
_MIN_LIGHT_STEM = 3
_LIGHT_PREFIXES = (("وف", 3), ("بل", 4))
_ARABIC_LETTER = re.compile("[\u0621-\u064a]")


def light_stem(token: str) -> str:
    """One of :func:`tokens` with a bare proclitic and its suffixes stripped, suffixes until
    none is left that would leave fewer than three letters (so الروسية, روسي and روسيه meet
    at روس). Known names (بوتين, not بوت) and non-Arabic tokens are left whole. Over-stemming
    conflates a few words (وزير and زير); both sides of a search are stemmed alike."""
    if token in NAME_STEMS or token in KEEP_WHOLE or not _ARABIC_LETTER.match(token):
        return token
    # a bare proclitic the normaliser leaves on words it does not know (وتسجيل, بحكومة):
    # و ف with three letters left, ب ل with four (بلاد, لبنان stay whole)
    for clitics, rest in _LIGHT_PREFIXES:  # و or ف, then ب or ل (وبحكومة)
        if token[0] in clitics and len(token) - 1 >= rest:
            token = token[1:]
            if token in NAME_STEMS or token in KEEP_WHOLE:
                return token
    while True:
        for suffix in _LIGHT_SUFFIXES:
            if token.endswith(suffix) and len(token) - len(suffix) >= _MIN_LIGHT_STEM:
                token = token[: -len(suffix)]
                break
        else:
            return token


# Hamza on a seat: مسؤول and مسئول are one word spelled two ways (the seat varies by region).
# fold() keeps the seat's letter (ؤ -> و, ئ -> ي) for relevance and dedup; search, where a
# reader types either, folds both to the bare hamza first.
# `arabic.bare_hamza_tokens` reads a text so; for an article just judged and fingerprinted it
# re-reads only the paragraphs that hold a seat (index_text of an article 0.15 -> 0.06 ms).


# light_stem is a pure function of one token and news vocabulary is Zipfian: remembered, almost
# every token of an article costs one dict lookup (index_text of an article: 0.69 -> 0.3 ms;
# monitor.text.memo).
_STEMS: Memo[str, str] = Memo(light_stem)
_stem = _STEMS.__getitem__


def index_terms(text: str) -> list[str]:
    """What the search index holds of ``text``, and what a query is turned into: the light
    stem of each of its :func:`tokens` (hamza seats folded too), in order (phrases keep
    their positions)."""
    return list(map(_stem, bare_hamza_tokens(text)))


_PROBE = (
    "وبموسكو لبوتين بيونج يانج كيم جونج أون الرُّوسيّة إلى مستشفى ٢٠٢٤ والكوريتين "
    "شويجو وللعلاقات فبكين مسؤولون تعاونها Kim Jong-un"
)


def index_text(text: str) -> str:
    """What a search index holds for `text`: its `index_terms`, space-joined (the SQLite
    index's column; a crawl computes it in its worker processes: `StoredArticle.index_terms`)."""
    return " ".join(index_terms(text))


def version() -> str:
    """A fingerprint of what the normaliser and the stemmer make of a probe text: it changes
    whenever they change, so an index built by an older rasad is known to need a rebuild."""
    return hashlib.sha256(" ".join(index_terms(_PROBE)).encode("utf-8")).hexdigest()[:16]

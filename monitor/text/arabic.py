"""The one Arabic normaliser: relevance, dedup, search and date parsing all use it.

Why one module: if relevance, near-duplicate detection and full-text search each folded Arabic
their own way, an article could be judged on-topic under one spelling and be unsearchable under
another. Every consumer therefore calls the same functions here:

* :func:`fold` -- character-level folding only (diacritics, tatweel, alef/hamza forms, ى/ي, ة/ه,
  Persian letter forms, Arabic-Indic digits, invisible format characters). Punctuation and
  line structure are kept, so the result can still be split into paragraphs and sentences.
* :func:`tokens` -- the matching form: folded, split on anything that is not a letter or digit
  (Arabic ، ؛ ؟ « » and ASCII punctuation alike), clitic prefixes removed, and known
  transliteration variants of names folded to one spelling (بيونغ يانغ = بيونج يانج = بيونغيانغ,
  كيم جونغ أون = كيم جونج أون = كيم يونغ أون, بوتن = بوتين, شويجو = شويغو ...).
* :func:`normalize` -- ``" ".join(tokens(text))``: a single string of normalised tokens separated
  by single spaces. It is idempotent (``normalize(normalize(t)) == normalize(t)``), which is what
  lets search normalise a query and a stored document the same way.

Clitic policy (a deliberate trade-off, documented because dedup and search depend on it):

* The definite article and its proclitic combinations (ال وال فال بال كال لل وبال ...) are
  stripped from any word, repeatedly, as long as at least two letters remain and the word is not
  a function word such as التي or الله. Repeating the rule makes it a fixed point, so
  ``الإلغاء`` and ``إلغاء`` both become ``غاء``: over-stripped, but consistently, which is all that
  matching and search need.
* Bare one-letter proclitics (و ف ب ل, and و/ف + ب/ل) are stripped only when what remains is a
  known name stem (:data:`NAME_STEMS`): ``وروسيا`` -> ``روسيا``, ``لبوتين`` -> ``بوتين``,
  ``للبنان`` -> ``لبنان``, but ``وزير`` stays ``وزير`` and ``بوتين`` never loses its ب. Stripping
  them from arbitrary words (as light stemmers do) merges real words (وحدة/حدة) and mangles
  names; ك is never stripped bare (كسول is "lazy", not ك + سول). Consumers that know their own
  vocabulary (the relevance lexicon) peel these proclitics themselves.
* Suffixes are never removed; the topic lexicon lists the inflected forms it cares about.
* Known limits: ``للغة`` (ل + اللغة) becomes ``غه`` while ``اللغة`` becomes ``لغه``; a lone
  conjunction separated by punctuation (``و«روسيا»``) stays a token ``و``.

Distinctions that must survive (tested with hypothesis): الشمالية/الجنوبية, سول/سوريا,
موسكو/موسيقى, بوتين/بوتان (Bhutan), كوريا/كورية (country/adjective), كيم جونغ أون/كيم يونغ تشول,
بيونغيانغ/بيونغ تشانغ (Pyeongchang).

:func:`paragraphs` and :func:`sentences` split extracted text for consumers that weigh position
(the relevance scorer weighs headline and lead).

The word lists the rules consult (name spellings, name stems, function words kept whole) are
data, in :mod:`monitor.text.arabic_variants`; every function that applies them is here.

Speed: one ``str.translate`` with a precompiled table, one precompiled ``findall``, and a memo
for per-word clitic stripping; no regex is compiled per call. About 150 µs for a typical
1,400-character news article (ANT average).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from monitor.text.arabic_variants import (
    CHOL,
    IL,
    JONG,
    KEEP_WHOLE,
    NAM,
    NAME_STEMS,
    PYONG,
    SUNG,
    UN,
    VARIANT_TRIGGERS,
    WORD_VARIANTS,
    YANG,
    YO,
    YONG,
)
from monitor.text.fold_table import DIGITS, SEATS, replace_folds
from monitor.text.memo import Memo

__all__ = [
    "BARE_PROCLITICS",
    "NAME_STEMS",
    "Reading",
    "fold",
    "fold_digits",
    "normalize",
    "paragraphs",
    "reading",
    "sentences",
    "strip_clitics",
    "tokens",
    "tokens_from_folded",
]

# --------------------------------------------------------------------------------------------
# Character tables
# --------------------------------------------------------------------------------------------


def fold_digits(text: str) -> str:
    """Map Arabic-Indic and Persian digits to ASCII digits."""
    return text.translate(DIGITS)


# Presentation forms (ligatures, isolated/final glyph code points) need NFKC first; most text
# has none, so only pay for NFKC when one is present.
_PRESENTATION = re.compile("[\ufb50-\ufdff\ufe70-\ufefe]")
# A word is a run of letters/digits; underscore (allowed by \w) separates hashtag words.
_WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Character-level folding; keeps punctuation, spacing and line structure.

    Removes diacritics, tatweel and invisible format characters; folds alef/hamza forms to ا,
    ؤ to و, ئ and ى to ي, ة to ه, Persian letter forms to their Arabic counterparts; maps
    Arabic-Indic digits to ASCII and Arabic punctuation to ASCII punctuation; lowercases Latin.
    """
    if _PRESENTATION.search(text):
        text = unicodedata.normalize("NFKC", text)
    return replace_folds(text, keep=frozenset()).lower()


# --------------------------------------------------------------------------------------------
# Clitics
# --------------------------------------------------------------------------------------------

# Article-bearing prefixes, longest first. "لل" is ل + ال with the alef dropped (للروس).
_ARTICLE_PREFIXES: tuple[str, ...] = tuple(
    sorted(
        {c + p + a for c in ("", "و", "ف") for p in ("", "ب", "ك") for a in ("ال",)}
        | {c + "لل" for c in ("", "و", "ف")},
        key=len,
        reverse=True,
    )
)
# Bare proclitics, stripped only in front of a known name stem. Not ك: كسول is "lazy".
#: One-letter proclitics and their pairs (و ف, then ب ل), stripped only before known names;
#: consumers with a closed vocabulary peel them themselves.
BARE_PROCLITICS: tuple[str, ...] = tuple(
    sorted(
        {c + p for c in ("", "و", "ف") for p in ("", "ب", "ل")} - {""},
        key=len,
        reverse=True,
    )
)
_MIN_STEM = 2


def strip_clitics(word: str) -> str:
    """Remove proclitics from one folded word (see the module docstring for the policy).

    The result is a fixed point: ``strip_clitics(strip_clitics(w)) == strip_clitics(w)``.
    Memoised (`monitor.text.memo`): almost every call is one dict lookup.
    """
    return _STRIPPED[word]


def _strip(word: str) -> str:
    w = word
    while True:
        if w in KEEP_WHOLE or w in NAME_STEMS:
            return w
        for pre in BARE_PROCLITICS:
            if w.startswith(pre):
                rest = w[len(pre) :]
                if rest in NAME_STEMS or rest in KEEP_WHOLE:
                    return rest
        for pre in _ARTICLE_PREFIXES:
            if w.startswith(pre) and len(w) - len(pre) >= _MIN_STEM:
                w = w[len(pre) :]
                break
        else:
            return w


_STRIPPED: Memo[str, str] = Memo(_strip)
_stripped = _STRIPPED.__getitem__


def _fold_variants(words: list[str]) -> list[str]:
    """Fold single-word and multi-word transliteration variants to one canonical spelling."""
    if VARIANT_TRIGGERS.isdisjoint(words):
        return words
    out: list[str] = []
    i = 0
    n = len(words)
    while i < n:
        w = words[i]
        nxt = words[i + 1] if i + 1 < n else ""
        if w in PYONG and nxt in YANG:
            out.append("بيونغيانغ")
            i += 2
            continue
        if w == "كيم" and nxt:
            third = words[i + 2] if i + 2 < n else ""
            if nxt in JONG and third in UN:
                out += ("كيم", "جونغ", "اون")
                i += 3
                continue
            if nxt == "اون":  # "كيم أون" (seed 004) is Kim Jong Un
                out += ("كيم", "جونغ", "اون")
                i += 2
                continue
            if nxt in JONG and third in IL:
                out += ("كيم", "جونغ", "ايل")
                i += 3
                continue
            if nxt in YONG and third in CHOL:
                out += ("كيم", "يونغ", "تشول")
                i += 3
                continue
            if nxt in YONG and third in NAM:
                out += ("كيم", "يونغ", "نام")
                i += 3
                continue
            if nxt in ("ايل", "ال") and third in SUNG:
                out += ("كيم", "ايل", "سونغ")
                i += 3
                continue
            if nxt in YO and third in JONG:
                out += ("كيم", "يو", "جونغ")
                i += 3
                continue
        out.append(WORD_VARIANTS.get(w, w))
        i += 1
    return out


def tokens(text: str) -> list[str]:
    """Normalised, clitic-stripped, variant-folded tokens of ``text``.

    Suitable for lexicon matching, shingling (dedup) and full-text indexing. Punctuation of any
    script separates tokens and is dropped.
    """
    return tokens_from_folded(fold(text))


def tokens_from_folded(folded: str) -> list[str]:
    """:func:`tokens` for text that has already been through :func:`fold` (saves a pass)."""
    return _fold_variants(list(map(_stripped, _WORD.findall(folded))))


def normalize(text: str) -> str:
    """The fully normalised form of ``text``: its :func:`tokens` joined by single spaces.

    Idempotent, so a search query and a stored document normalise alike.
    """
    return " ".join(tokens(text))


# --------------------------------------------------------------------------------------------
# Structure
# --------------------------------------------------------------------------------------------

# Sentence ends: . ! ? ; (fold turns Arabic ؟ and ؛ into ? and ;) and line breaks. A mark
# between two digits (99.97) is not a sentence end; one after a number (عام 2018.) is.
_SENT_SPLIT = re.compile(r"[.!?;]+(?!\d)|(?<!\d)[.!?;]+|\n+")


def paragraphs(text: str) -> list[str]:
    """Paragraphs of extracted text: every non-blank line is one paragraph.

    Extractors differ (trafilatura joins paragraphs with a newline, others with a blank line);
    a line is a paragraph in both conventions.
    """
    # each line stripped, the blank ones dropped: what splitting at runs of whitespace that
    # hold a newline gives (`\s*\n\s*`), in C string methods rather than a regex scan
    return [line for line in map(str.strip, text.split("\n")) if line]


def sentences(text: str) -> list[str]:
    """Sentences of ``text`` (after :func:`fold`), split on . ! ? ؟ ؛ and line breaks."""
    return [s.strip() for s in _SENT_SPLIT.split(fold(text)) if s.strip()]


# --------------------------------------------------------------------------------------------
# One reading of a text for relevance and dedup
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reading:
    """A text folded and tokenised once: relevance reads it by paragraph, dedup whole, search
    through :func:`bare_hamza_tokens`.

    ``tokens`` equals :func:`tokens` of the text: a word never spans a line, so the whole
    text's words are its paragraphs' words in turn, and variant folding (which may join words
    across a line break, as :func:`tokens` does) runs once more over all of them. The lists are
    shared by every reader of the same text: read them, never change them.
    """

    folded: str
    paragraphs: list[str]  # folded, as :func:`paragraphs` splits them
    paragraph_tokens: list[list[str]]  # :func:`tokens_from_folded` of each paragraph
    tokens: list[str]
    # each paragraph's clitic-stripped words before variant folding, and the paragraph folded
    # but for its hamza seats (ؤ ئ; None when the text needed NFKC, which can make seats)
    paragraph_words: list[list[str]]
    seated_paragraphs: list[str] | None


_READINGS: dict[str, Reading] = {}
_READINGS_MAX = 8  # a page's title and text, read by relevance, then dedup, then search


def reading(text: str) -> Reading:
    """The :class:`Reading` of ``text``; the last few texts are remembered, so relevance,
    dedup and search of one article fold and tokenise it once (0.15-0.2 ms a page)."""
    found = _READINGS.get(text)
    if found is None:
        seated_parts: list[str] | None = None
        if _PRESENTATION.search(text):
            folded = fold(text)
            parts = paragraphs(folded)
        else:
            # fold() but for the seats, split, then the seats folded: the same paragraphs as
            # fold() and paragraphs() give (a seat is one letter for another), and search's
            # bare-hamza reading of the text can start from the seated ones
            seated = replace_folds(text, keep=SEATS).lower()
            folded = _fold_seats(seated)
            seated_parts = paragraphs(seated)
            parts = [_fold_seats(part) for part in seated_parts]
        words = [list(map(_stripped, _WORD.findall(part))) for part in parts]
        whole = _fold_variants([word for part in words for word in part])
        found = Reading(
            folded, parts, [_fold_variants(part) for part in words], whole, words, seated_parts
        )
        if len(_READINGS) >= _READINGS_MAX:
            _READINGS.clear()
        _READINGS[text] = found
    return found


def _fold_seats(text: str) -> str:
    if "ؤ" in text or "ئ" in text:
        return text.replace("ؤ", "و").replace("ئ", "ي")
    return text


def bare_hamza_tokens(text: str) -> list[str]:
    """:func:`tokens` of ``text`` with its hamza seats written bare (ؤ ئ -> ء), as search
    reads a text (``monitor.text.search_terms``).

    When the text's :class:`Reading` is at hand (relevance and dedup read it just before),
    only its paragraphs that hold a seat are tokenised again; the rest are the words it has.
    """
    found = _READINGS.get(text)
    if found is None or found.seated_paragraphs is None:
        return tokens(text.replace("ؤ", "ء").replace("ئ", "ء"))
    words: list[str] = []
    for seated, plain in zip(found.seated_paragraphs, found.paragraph_words, strict=True):
        if "ؤ" in seated or "ئ" in seated:
            bare = seated.replace("ؤ", "ء").replace("ئ", "ء")
            words += map(_stripped, _WORD.findall(bare))
        else:
            words += plain
    return _fold_variants(words)

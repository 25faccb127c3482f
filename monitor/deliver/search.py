"""Archive search as people type it, and the snippets they read.

**Queries** (`parse`): plain words must all match, in any order; ``"quoted phrases"`` match as
phrases (an unclosed quote runs to the end); a trailing ``*`` makes a word a prefix; ``OR``
(in capitals, between two terms) offers a choice; ``-word`` or ``-"a phrase"`` excludes.
Every other character is literal: it goes through the one normaliser
(`monitor.text.search_terms.index_terms`) like the stored texts, so punctuation separates words and
nothing a person types reaches the index as syntax. بوتن، بوتين and لبوتين are one word;
كيم جونج أون is كيم جونغ أون; a word the normaliser splits (``Kim-Jong``) is a phrase.

**Snippets** (`snippet`): the window of the original text (never the normalised one) with the
most query words, cut at word boundaries, the matching words marked by character offsets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from monitor.errors import UsageError
from monitor.text import arabic, search_terms
from monitor.text.arabic_variants import VARIANT_TRIGGERS
from store.base import SearchQuery, SearchTerm

__all__ = ["MAX_QUERY_CHARS", "Snippet", "parse", "snippet"]

MAX_QUERY_CHARS = 1000
MAX_TERMS = 32

# A quoted phrase (closed or not), or a run of non-space characters; each maybe led by "-".
_ITEM = re.compile(r'(-?)"([^"]*)"?|(\S+)')


def _term(text: str, prefix: bool) -> SearchTerm | None:
    words = tuple(w for w in search_terms.index_terms(text) if w)
    if not words:
        return None
    if prefix:
        # the prefix is matched against stems: stem it too (روسي* -> روس*, finds روسيا, الروسية)
        last = arabic.tokens(text)[-1:] or [words[-1]]
        words = (*words[:-1], search_terms.light_stem(last[0]))
    return SearchTerm(words, prefix)


def parse(text: str) -> SearchQuery:
    """The query a person typed; UsageError (one line) when it has nothing to look for."""
    if len(text) > MAX_QUERY_CHARS:
        raise UsageError(f"the query is {len(text)} characters long; at most {MAX_QUERY_CHARS}")
    groups: list[list[SearchTerm]] = []
    excluded: list[SearchTerm] = []
    join_next = False
    run: list[str] = []  # plain words in a row: normalised together (كيم جونج أون)

    def add(term: SearchTerm) -> None:
        nonlocal join_next
        if join_next:
            groups[-1].append(term)
        else:
            groups.append([term])
        join_next = False

    def flush() -> None:
        for word in search_terms.index_terms(" ".join(run)):
            add(SearchTerm((word,)))
        run.clear()

    for match in _ITEM.finditer(text):
        negative, phrase, word = match.group(1) == "-", match.group(2), match.group(3)
        if word == "OR":
            flush()
            join_next = bool(groups)
            continue
        if word is not None and word.startswith("-") and len(word) > 1:
            negative, word = True, word[1:]
        prefix = word is not None and word.endswith("*")
        if word is not None and not negative and not prefix:
            if join_next:  # "a OR b": b alone is the alternative
                flush()
                run.append(word)
                flush()
            else:
                run.append(word)
            continue
        flush()
        body = phrase if phrase is not None else word or ""
        term = _term(body.rstrip("*") if prefix else body, prefix)
        if term is None:
            continue
        if negative:
            excluded.append(term)
        else:
            add(term)
    flush()
    if sum(len(g) for g in groups) + len(excluded) > MAX_TERMS:
        raise UsageError(f"the query has more than {MAX_TERMS} words and phrases")
    if not groups:
        what = "only excluded words" if excluded else "no words (letters or digits)"
        raise UsageError(f"nothing to search for: the query has {what}")
    return SearchQuery(tuple(tuple(g) for g in groups), tuple(excluded))


@dataclass(frozen=True)
class Snippet:
    text: str
    marks: tuple[tuple[int, int], ...]  # (start, end) offsets of the matched words in text

    def marked(self, before: str, after: str) -> str:
        out, at = [], 0
        for start, end in self.marks:
            out.append(self.text[at:start] + before + self.text[start:end] + after)
            at = end
        return "".join(out) + self.text[at:]


# A word of the original text: letters, digits and the marks that belong to them; the
# spaces and punctuation between words are kept as they are.
_WORD = re.compile(r"[^\W_]+(?:[\u064b-\u065f\u0670\u0640\u200c\u200d]+[^\W_]*)*")


_BREAKS = re.compile(r"\s*\n\s*")


@lru_cache(maxsize=1 << 17)
def _word_terms(word: str) -> frozenset[str]:
    """A word's index terms, cached: news vocabulary repeats across every result."""
    return frozenset(search_terms.index_terms(word))


@lru_cache(maxsize=1 << 17)
def _may_join(word: str) -> bool:
    """Whether the normaliser may join `word` with the next one (بيونغ يانغ): only then is the
    pair worth normalising, which, pairs being as many as words and rarely repeated, cost
    more than the rest of a snippet."""
    return not VARIANT_TRIGGERS.isdisjoint(arabic.tokens(word))


def _densest(found: list[frozenset[str]], size: int) -> int:
    """The first word of the `size`-word window showing the most distinct query terms (the
    earliest of equals): a count of each term in the window, updated as it slides one word,
    rather than a union of `size` sets at every position."""
    in_window: dict[str, int] = {}

    def count(terms: frozenset[str], step: int) -> None:
        for term in terms:
            left = in_window.get(term, 0) + step
            if left:
                in_window[term] = left
            else:
                del in_window[term]

    for terms in found[:size]:
        count(terms, 1)
    best, best_score = 0, len(in_window)
    for first in range(1, len(found) - size + 1):
        count(found[first - 1], -1)
        count(found[first + size - 1], 1)
        if len(in_window) > best_score:
            best, best_score = first, len(in_window)
    return best


def snippet(text: str, words: frozenset[str], size: int = 30) -> Snippet:
    """About `size` words of `text` around the densest run of query `words` (index terms)."""
    spans = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    if not spans:
        return Snippet("", ())
    found = [words & _word_terms(text[s:e]) for s, e in spans]  # the query terms each word is
    for i in range(len(spans) - 1):  # two words the normaliser joins (بيونغ يانغ -> بيونغيانغ)
        if not found[i] and not found[i + 1] and _may_join(text[spans[i][0] : spans[i][1]]):
            pair = _word_terms(text[spans[i][0] : spans[i + 1][1]])
            if len(pair) == 1 and pair <= words:
                found[i] = found[i + 1] = pair
    hits = [bool(f) for f in found]
    best = _densest(found, size)
    chosen = spans[best : best + size]
    out = ["… "] if chosen[0][0] > 0 else []
    at = len(out[0]) if out else 0
    marks: list[tuple[int, int]] = []
    for n, ((s, e), hit) in enumerate(zip(chosen, hits[best : best + size], strict=False)):
        if n:  # the gap before this word: line breaks become one space
            gap = _BREAKS.sub(" ", text[chosen[n - 1][1] : s])
            out.append(gap)
            at += len(gap)
        if hit:
            marks.append((at, at + e - s))
        out.append(text[s:e])
        at += e - s
    if chosen[-1][1] < len(text.rstrip()):
        out.append(" …")
    return Snippet("".join(out), tuple(marks))

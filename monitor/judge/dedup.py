"""Duplicates: the whole decision whether an article repeats a seed or a stored story.

Outlets republish agency copy (RT, Sputnik, KCNA, Anadolu, SPA ...) under new URLs and headlines,
in other page templates, shortened, with a new lead paragraph, with names spelled their own way.
A republished story must be recognised as the same story; two articles about the same event
written by different people, or a follow-up that reuses an old article as background under a
new development, must not. This module is the pure-function core of that decision: it decides
among the candidates the store finds. ``monitor.judge.fingerprints`` computes what is compared;
``store/sqlite/dedup_index.py`` keeps fingerprints in the store and finds candidates.

One article, step by step, and why each step is there:

1. **Normalise** with :func:`monitor.text.arabic.tokens`, the one Arabic normaliser: diacritics,
   alef/hamza, ى/ي, ة/ه, clitics and transliteration variants (بيونج يانج = بيونغ يانغ, بوتن =
   بوتين, شويجو = شويغو, كيم يونغ أون = كيم جونغ أون) fold away, so a re-spelled copy has the same
   tokens as the original.
2. **Exact duplicate**: ``text_hash`` is the SHA-256 of the normalised body, so a verbatim copy
   in another template, an AMP or mobile variant, or a URL with tracking parameters costs one
   index lookup.
3. **Shingles**: every run of :data:`SHINGLE_SIZE` consecutive tokens, hashed to 32 bits.
   Word shingles keep word order, so two articles that merely share vocabulary (the same
   event, the same names) share few of them.
4. **MinHash signature** of the shingle set, cut into :data:`BANDS` bands of :data:`ROWS`
   values, each band hashed to one signed 64-bit *band key*. Two texts whose shingle sets have
   Jaccard similarity J share a band key with probability ``1 - (1 - J**ROWS)**BANDS``; the
   store's index returns such documents as candidates.
5. **Verification** of each candidate by the exact measure (:func:`compare`), directional
   because republication is: ``containment`` is the share of the *new* text's shingles already
   in the stored one. A copy shortened to 70% has containment 1.0 (Jaccard 0.7); a copy with a
   new lead paragraph keeps most of its text (containment ~0.9). A follow-up that appends the
   old article under a new development brings a long stretch of new text: ``novel_run``, the
   longest run of the new text found nowhere in the stored one, tells an edited copy (many
   short edits) from a new story (one long new passage). :func:`is_near_duplicate` applies:

   * containment >= :data:`CONTAINMENT_THRESHOLD`, or
   * containment >= :data:`EDITED_CONTAINMENT_THRESHOLD` and novel_run <= :data:`MAX_NOVEL_RUN`.

The headline takes no part: republishers rewrite headlines ("عاجل: ...", "بالفيديو ..."), so a
headline prefix must not prevent a match, and different articles share headlines (recurring
columns, daily market reports). When the text repeats the headline as its first line (the seed
texts do), that line is dropped so the body alone is fingerprinted either way.

A text of fewer than :data:`MIN_TOKENS` tokens (a video page's caption, a photo caption) is too
short to tell stories apart by shingles: its fingerprint is not ``judgeable`` and it is never
a *near*-duplicate. It can still be an exact one, but only with the headline included in its
``text_hash`` (the same caption under the same headline: a video page republished under
another URL), because short generic bodies ("شاهد الفيديو") recur under different stories. An
empty body (a cartoon under its section name) is never a duplicate by text; the canonical URL
still applies to all of these.

Beyond the text, two rules:

* **The declared original** (:func:`declared_original`): a page whose rel=canonical / og:url
  names another page of the same site, already stored, is that page under another URL (AMP,
  mobile, a re-slugged or re-dated copy): its duplicate, whatever the texts say.
* **One original per story** (:class:`Candidate`): a match that is itself stored as a copy
  points on to the story it repeats, so every copy of a story links to the cluster's root.

Only an on-topic article is judged (:func:`can_be_duplicate`): an off-topic one stays
off-topic, and is indexed all the same, so that a later on-topic copy of it is found.

Where it runs: inside the store's one write step (``Archive.add_unless_duplicate``), which
finds the candidates, calls :func:`decide` and writes the article in one transaction, so
that two workers storing copies of one story at once store one ``new`` and one
``duplicate``. Nothing here reads or writes the store.

The thresholds 0.60 / 0.45 / 15 were chosen by measurement (``bench/dedup_eval.py``; the
labelled pairs are described in ``bench/devset/dedup_README.md``): the best tune-set macro-F1;
containment alone (0.60) loses 10 points of recall on the same-day agency copies at equal
precision.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from monitor.judge.fingerprints import (
    BANDS,
    FINGERPRINT_VERSION,
    MIN_TOKENS,
    NUM_PERM,
    ROWS,
    SHINGLE_SIZE,
    Fingerprint,
    band_keys,
    body_tokens,
    fingerprint,
    pack_shingles,
    shingle_sequence,
    shingles,
    signature,
    unpack_shingles,
)
from monitor.text import arabic
from monitor.text.urls import canonical_url, same_site

__all__ = [
    "BANDS",
    "CONTAINMENT_THRESHOLD",
    "EDITED_CONTAINMENT_THRESHOLD",
    "FINGERPRINT_VERSION",
    "MAX_NOVEL_RUN",
    "MIN_TOKENS",
    "NUM_PERM",
    "ROWS",
    "SHINGLE_SIZE",
    "Candidate",
    "DuplicateMatch",
    "Fingerprint",
    "Similarity",
    "band_keys",
    "body_tokens",
    "can_be_duplicate",
    "closest",
    "compare",
    "decide",
    "declared_original",
    "fingerprint",
    "is_near_duplicate",
    "pack_shingles",
    "shingle_sequence",
    "shingles",
    "signature",
    "similarity",
    "unpack_shingles",
]

#: Containment of the new text in a stored one that makes it a duplicate on its own.
CONTAINMENT_THRESHOLD: Final = 0.60
#: Lower containment that still makes a duplicate when the new text has no long new passage:
#: an agency copy edited word by word throughout rather than a new story.
EDITED_CONTAINMENT_THRESHOLD: Final = 0.45
#: Longest run of new shingles (about words) an edited copy may carry.
MAX_NOVEL_RUN: Final = 15


# --------------------------------------------------------------------------------------------
# The exact measure
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Similarity:
    """How a new text relates to a stored one, computed exactly from their shingles."""

    jaccard: float  # |N ∩ S| / |N ∪ S|
    containment: float  # |N ∩ S| / |N|: share of the new text already in the stored one
    coverage: float  # |N ∩ S| / |S|: share of the stored text the new one repeats
    novel_run: int  # longest run of consecutive new-text shingles absent from the stored one


_NOTHING: Final = Similarity(0.0, 0.0, 0.0, 0)


def compare(new: Fingerprint | Sequence[int], stored: Set[int]) -> Similarity:
    """Exact similarity of a new text (its fingerprint or shingle sequence) to a stored set."""
    sequence = new.sequence if isinstance(new, Fingerprint) else new
    if not sequence or not stored:
        return _NOTHING
    new_set = set(sequence)
    common = len(new_set & stored) if len(new_set) < len(stored) else len(stored & new_set)
    run = longest = 0
    for s in sequence:
        if s in stored:
            run = 0
        else:
            run += 1
            if run > longest:
                longest = run
    return Similarity(
        jaccard=common / (len(new_set) + len(stored) - common),
        containment=common / len(new_set),
        coverage=common / len(stored),
        novel_run=longest,
    )


def similarity(a: str, b: str) -> Similarity:
    """The similarity of text ``a`` (the newcomer) to text ``b`` (the one already stored)."""
    return compare(shingle_sequence(arabic.tokens(a)), shingles(b))


def is_near_duplicate(sim: Similarity) -> bool:
    """Does the new text republish the stored one? (Thresholds: see the module docstring.)"""
    if sim.containment >= CONTAINMENT_THRESHOLD:
        return True
    return sim.containment >= EDITED_CONTAINMENT_THRESHOLD and sim.novel_run <= MAX_NOVEL_RUN


# --------------------------------------------------------------------------------------------
# The decision among the candidates the store found
# --------------------------------------------------------------------------------------------


def can_be_duplicate(status: str) -> bool:
    """Whether an article judged ``status`` by relevance is checked for duplicates at all:
    only an on-topic one ("new"). An off-topic article stays off-topic (and is indexed)."""
    return status == "new"


def closest(
    fp: Fingerprint, stored: Iterable[tuple[str, Set[int]]]
) -> tuple[str, Similarity] | None:
    """Of the index's candidates (document, its shingle set), the one ``fp``'s text republishes.

    Each is verified by the exact measure; of several near-duplicates the one containing most
    of the new text wins (ties: the higher Jaccard, then the first given). None when no
    candidate is a near-duplicate.
    """
    best: tuple[str, Similarity] | None = None
    for doc, shingle_set in stored:
        sim = compare(fp, shingle_set)
        if not is_near_duplicate(sim):
            continue
        if best is None or (sim.containment, sim.jaccard) > (
            best[1].containment,
            best[1].jaccard,
        ):
            best = (doc, sim)
    return best


def declared_original(canonical_hint: str | None, page_url: str) -> str | None:
    """The canonical URL of the page this one declares itself a copy of, or None.

    ``canonical_hint`` is the page's rel=canonical / og:url. A hint naming the page itself,
    another site, or the site's homepage (some sites point every page there) declares nothing.
    Whether the page named is stored is the store's to find, in its write transaction.
    """
    if not canonical_hint or not same_site(canonical_hint, page_url):
        return None
    original = canonical_url(canonical_hint)
    if original == canonical_url(page_url) or urlsplit(original).path in ("", "/"):
        return None
    return original


@dataclass(frozen=True)
class Candidate:
    """A stored document a new article may repeat, as the store found it."""

    doc: str  # the document matched: a stored article's canonical URL, or "seed:<ID>"
    root: str  # its cluster's original: ``doc`` itself unless ``doc`` is stored as a copy
    similarity: Similarity  # of the new text to ``doc``'s
    exact: bool = False  # same normalised text


@dataclass(frozen=True)
class DuplicateMatch:
    """The story a new article repeats: a stored article's canonical URL or "seed:ID"."""

    doc: str  # the cluster's original
    similarity: float  # share of the new text found in the document matched (1.0: exact copy)
    exact: bool


def decide(declared: Candidate | None, indexed: Candidate | None) -> DuplicateMatch | None:
    """The story an on-topic article repeats, or None: it is new.

    ``declared``: the stored page it names as its original (see :func:`declared_original`),
    which wins whatever the texts say: the page says so itself. ``indexed``: the index's exact
    match or best near-duplicate (:func:`closest`). Either way the article joins the root of
    the matched document's cluster, so a store that has found ``declared`` need not ask the
    index.
    """
    found = declared or indexed
    if found is None:
        return None
    return DuplicateMatch(found.root, round(found.similarity.containment, 4), found.exact)

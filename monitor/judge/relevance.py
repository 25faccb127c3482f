"""Is an article about the Russia–North Korea relationship, or does it merely name both?

Arabic news names Russia and North Korea together all the time without being about their
relationship: "China, Russia, Iran and North Korea" in a list of cyber threats, G7 communiqués,
round-ups that put unrelated items side by side, Putin commenting on a Trump–Kim summit.
Co-occurrence alone keeps far too much, so this module looks for a *link* between the two sides:

1. **Matching.** The title and text (already extracted: never raw HTML, whose sidebars mention
   everything) are normalised by :mod:`monitor.text.arabic` and matched against the topic lexicon
   (``seeds/lexicon.toml``, compiled by :mod:`monitor.judge.lexicon`): terms for each side
   (countries, capitals, leaders, officials, adjectives), relation cues grouped by subtopic
   (visit, summit, treaty, military, workers, sanctions, space, transport, trade, aid ...),
   third parties (other states), counter-cues (sport, rankings) and exclusions (روسيا البيضاء
   is Belarus, بيونغ تشانغ is Pyeongchang).
2. **Linking, sentence by sentence.** A sentence naming both sides is evidence of a link; more
   so when a relation cue sits with them and when the two are joined directly (موسكو وبيونغيانغ,
   مبعوث روسيا إلى بيونغ يانغ); much less when other states crowd the sentence (that is how
   lists look) or when a side is paired with a third state instead (قمة ترامب وكيم, on which
   Russia merely comments). A paragraph naming the two in different sentences is weaker evidence.
3. **Weighing.** Each unit (headline, lead, body paragraph) keeps its best link; the headline
   and the lead weigh more, because that is where an editor says what the story is about. The
   units combine as independent evidence (noisy-OR), so one strong paragraph inside another story
   is kept (the labelling rule: a headline or a full paragraph about the interaction), while a
   single weak co-mention is not. A side named only once in the whole article lowers the score:
   a passing clause ("a broker based in Russia") is how such articles look.

:func:`judge` returns a :class:`monitor.models.Verdict`: the score, the matched terms, the
subtopics and a ``details`` dict of the components, so a person can see why an article was kept
or dropped. It is pure and deterministic; the lexicon is compiled once and cached until its file
changes. :data:`DEFAULT_THRESHOLD` comes from the threshold sweep of ``bench/relevance_eval.py``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace

from monitor.extract.metadata import detect_language
from monitor.judge.lexicon import (
    COUNTER,
    CUE,
    DEFAULT_LEXICON_PATH,
    DPRK,
    RUSSIA,
    THIRD,
    Hit,
    Lexicon,
    LexiconError,
    Term,
    compile_lexicon,
    load_lexicon,
)
from monitor.models import Verdict
from monitor.text import arabic

# The lexicon's names are re-exported: callers have always imported them from here.
__all__ = [
    "DEFAULT_LANGUAGES",
    "DEFAULT_LEXICON_PATH",
    "DEFAULT_THRESHOLD",
    "Hit",
    "Lexicon",
    "LexiconError",
    "Term",
    "compile_lexicon",
    "judge",
    "load_lexicon",
]


#: Articles scoring at or above this are on topic. It is the middle of the widest range of
#: thresholds that give the best F1 on the tune split of the dev set (0.40–0.60 all reach
#: P = R = 1.0 there); ``bench/relevance_eval.py`` prints the sweep.
DEFAULT_THRESHOLD: float = 0.5

#: The languages whose articles can be on topic (``[relevance] languages``).
DEFAULT_LANGUAGES: tuple[str, ...] = ("ar",)

# ── scoring constants (set on the tune split; see bench/relevance_eval.py) ──────────────────
# Sentence evidence = sides * crowding * min(1, BASE + CUE * cue * (1 + DIRECT * direct))
#                     * claimed * counter.
_BASE = 0.35  # both sides named, nothing else
_CUE = 0.5  # a relation cue (visit, treaty, workers ...) in the same sentence
_DIRECT = 0.4  # the two sides stand next to each other ("روسيا وكوريا الشمالية")
_EXTRA_CUE = 0.15  # each further cue subtopic adds this fraction of its weight
_DIRECT_GAP = 2  # at most this many words between the sides of a direct pair
_CROWDING = 0.6  # evidence / (1 + CROWDING * weight of the third parties in the sentence)
_CLAIM_GAP = 5  # a side this close to a third party is that party's partner (قمة ترامب وكيم)
_CLAIMED = (1.0, 0.45, 0.3)  # multiplier when none, one or both sides are claimed
# "that" after a verb of saying: what precedes it is the speaker, not a partner of what follows.
_CLAUSE_BREAK = frozenset({"ان", "انه", "انها"})
_CROSS_SENTENCE = 0.6  # both sides in one paragraph, never in one sentence
_ROLE_WEIGHT = {"title": 1.3, "lead": 1.15, "body": 1.0}
_UNIT_CAP = 0.95  # no single unit makes an article certain
_SUBTOPIC_MIN = 0.2  # units weaker than this do not contribute subtopic tags
_SINGLE_MENTION = 0.8  # a side named once in the whole article is rarely what it is about


# ── analysis ──────────────────────────────────────────────────────────────────────────────────


@dataclass
class _Unit:
    role: str  # title | lead | body
    tokens: list[str]  # the unit's normalised tokens
    hits: list[Hit]  # every hit of the unit
    # (tokens, hits) per sentence, filled only when the unit names both sides
    sentences: list[tuple[list[str], list[Hit]]]

    def has(self, kind: str) -> bool:
        return any(h.term.kind == kind for h in self.hits)


def _analyse(title: str, text: str, lex: Lexicon) -> list[_Unit]:
    """Match every unit once; split into sentences only where both sides occur.

    Most paragraphs, and most articles, name one side or none, so the sentence pass (the
    costlier part) runs on a small fraction of the text.
    """
    blocks: list[tuple[str, str, list[str]]] = []
    if title.strip():
        head = arabic.reading(title)
        blocks.append(("title", head.folded, head.tokens))
    body = arabic.reading(text)
    paras = zip(body.paragraphs, body.paragraph_tokens, strict=True)
    for k, (para, para_tokens) in enumerate(paras):
        blocks.append(("lead" if k == 0 else "body", para, para_tokens))
    units: list[_Unit] = []
    for role, folded, toks in blocks:
        unit = _Unit(role, toks, lex.match(toks), [])
        if unit.has(RUSSIA) and unit.has(DPRK):
            for sentence in arabic.sentences(folded):
                sent_toks = arabic.tokens_from_folded(sentence)
                if sent_toks:
                    unit.sentences.append((sent_toks, lex.match(sent_toks)))
        units.append(unit)
    return units


# ── scoring ───────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class _Link:
    """The link evidence of one sentence (or of one paragraph, across its sentences)."""

    strength: float
    subtopics: frozenset[str]
    terms: tuple[str, ...]


def _cue_strength(hits: Iterable[Hit], lex: Lexicon) -> tuple[float, frozenset[str]]:
    weights: dict[str, float] = {}
    for h in hits:
        if h.term.kind == CUE:
            sub, w = h.term.subtopic, h.term.weight
        elif h.term.kind in (RUSSIA, DPRK) and h.term.subtopic:
            sub, w = h.term.subtopic, lex.subtopics.get(h.term.subtopic, 1.0)
        else:
            continue
        weights[sub] = max(w, weights.get(sub, 0.0))
    if not weights:
        return 0.0, frozenset()
    ordered = sorted(weights.values(), reverse=True)
    return min(1.0, ordered[0] + _EXTRA_CUE * sum(ordered[1:])), frozenset(weights)


def _third_weight(hits: Iterable[Hit]) -> float:
    seen: dict[str, float] = {}
    for h in hits:
        if h.term.kind == THIRD:
            seen[h.term.label] = max(h.term.weight, seen.get(h.term.label, 0.0))
    return sum(seen.values())


def _is_direct(hits: Sequence[Hit]) -> bool:
    """Do a Russia term and a DPRK term stand side by side with no third party at the pair?"""
    for k in range(len(hits) - 1):
        a, b = hits[k], hits[k + 1]
        if {a.term.kind, b.term.kind} != {RUSSIA, DPRK} or b.start - a.end > _DIRECT_GAP:
            continue
        neighbours = (hits[k - 1] if k > 0 else None, hits[k + 2] if k + 2 < len(hits) else None)
        crowded = any(
            h is not None
            and h.term.kind == THIRD
            and min(abs(h.start - b.end), abs(a.start - h.end)) <= _DIRECT_GAP + 1
            for h in neighbours
        )
        if not crowded:
            return True
    return False


def _claimed(hits: Sequence[Hit], kind: str, toks: Sequence[str]) -> bool:
    """Is every mention of side ``kind`` paired with another state instead (قمة ترامب وكيم)?

    A side standing right next to another state is usually that state's partner in the
    sentence ("the summit between the US president and North Korea's leader"); the other side
    only comments on it. Consecutive hits of one side form one mention (apposition: الزعيم
    الكوري الشمالي، كيم جونغ أون); cue words between a mention and its neighbour are looked
    through and do not count towards the distance. A state separated from the side by "that"
    (قال مسؤول أمريكي إن روسيا ...) is the speaker, not a partner; international bodies (the
    minor third parties) are never partners.
    """
    groups: list[tuple[int, int]] = []  # (first, last) indices into hits
    for k, h in enumerate(hits):
        if h.term.kind != kind:
            continue
        if (
            groups
            and all(hits[j].term.kind in (kind, CUE) for j in range(groups[-1][1], k))
            and h.start - hits[groups[-1][1]].end <= _DIRECT_GAP
        ):
            groups[-1] = (groups[-1][0], k)
        else:
            groups.append((k, k))
    if not groups:
        return False
    for first, last in groups:
        near = False
        for step, edge in ((-1, first), (1, last)):
            j, looked_through = edge + step, 0
            while 0 <= j < len(hits) and hits[j].term.kind == CUE:
                looked_through += hits[j].end - hits[j].start
                j += step
            if not 0 <= j < len(hits) or hits[j].term.kind != THIRD or hits[j].term.weight < 1:
                continue
            a, b = sorted((hits[j], hits[edge]), key=lambda h: h.start)
            if _CLAUSE_BREAK.isdisjoint(toks[a.end : b.start]):
                near = near or b.start - a.end - looked_through <= _CLAIM_GAP
        if not near:
            return False
    return True


def _side_weight(hit: Hit, full_names: set[str]) -> float:
    term = hit.term
    if term.context_weight and term.kind in full_names:
        return max(term.weight, term.context_weight)
    return term.weight


def _link(
    hits: Sequence[Hit],
    toks: Sequence[str],
    lex: Lexicon,
    full_names: set[str],
    *,
    cross: bool,
) -> _Link | None:
    r = [_side_weight(h, full_names) for h in hits if h.term.kind == RUSSIA]
    n = [_side_weight(h, full_names) for h in hits if h.term.kind == DPRK]
    if not r or not n:
        return None
    cue, subtopics = _cue_strength(hits, lex)
    joint = any(h.term.joint for h in hits)
    third = 0.0 if joint else _third_weight(hits)
    direct = not cross and _is_direct(hits)
    strength = min(max(r), max(n)) / (1.0 + _CROWDING * third)
    strength *= min(1.0, _BASE + _CUE * cue * (1.0 + _DIRECT * direct))
    if not joint:
        claimed = _claimed(hits, RUSSIA, toks) + _claimed(hits, DPRK, toks)
        strength *= _CLAIMED[claimed]
    strength *= min((h.term.weight for h in hits if h.term.kind == COUNTER), default=1.0)
    if cross:
        strength *= _CROSS_SENTENCE
    terms = tuple(
        h.surface if h.term.prefix else h.term.label
        for h in hits
        if h.term.kind in (RUSSIA, DPRK, CUE)
    )
    return _Link(strength, subtopics, terms)


def _unit_link(unit: _Unit, lex: Lexicon, full_names: set[str]) -> _Link | None:
    best: _Link | None = None
    for toks, hits in unit.sentences:
        link = _link(hits, toks, lex, full_names, cross=False)
        if link is not None and (best is None or link.strength > best.strength):
            best = link
    if best is None and unit.sentences:  # both sides in the paragraph, never in one sentence
        best = _link(unit.hits, unit.tokens, lex, full_names, cross=True)
    return best


def judge(
    title: str,
    text: str,
    *,
    lexicon: Lexicon | None = None,
    threshold: float | None = None,
    language: str | None = None,
    languages: Collection[str] = DEFAULT_LANGUAGES,
) -> Verdict:
    """Judge an article's extracted ``title`` and ``text`` (never raw HTML).

    ``lexicon`` defaults to :func:`load_lexicon` (``seeds/lexicon.toml``), ``threshold`` to
    :data:`DEFAULT_THRESHOLD`. The verdict's ``matched`` lists the side labels found anywhere and
    the cue words of the linked units; ``details`` holds the mention counts, the number of linked
    units, the best unit's value, the headline's and the lead's values, and the threshold used.

    ``language`` is the article's (extraction's ``Article.language``; when None, the script of
    the text decides, see `monitor.extract.metadata.detect_language`). An article in a
    language outside ``languages`` (``[relevance] languages``; empty: any) is scored all the
    same but never on topic: Persian and Urdu share the Arabic script and the names, so a
    Persian page about Putin and Kim would otherwise count as Arabic coverage. Its verdict
    says why: ``details["wrong_language"] = 1.0`` and the language in ``matched`` as
    ``"language:fa"``.
    """
    verdict = _judge(title, text, lexicon, threshold)
    if not languages:
        return verdict
    lang = language or detect_language(f"{title}\n{text}", None)
    if lang is None or lang in languages:
        return verdict
    return replace(
        verdict,
        on_topic=False,
        matched=(f"language:{lang}", *verdict.matched),
        details={**verdict.details, "wrong_language": 1.0},
    )


def _judge(title: str, text: str, lexicon: Lexicon | None, threshold: float | None) -> Verdict:
    lex = lexicon if lexicon is not None else load_lexicon()
    cut = DEFAULT_THRESHOLD if threshold is None else threshold
    units = _analyse(title, text, lex)

    counts = {RUSSIA: 0, DPRK: 0}
    full_names: set[str] = set()  # sides whose leader is named unambiguously somewhere
    matched: list[str] = []
    for unit in units:
        for h in unit.hits:
            if h.term.kind in counts:
                counts[h.term.kind] += 1
                if h.term.group == "leader" and not h.term.context_weight:
                    full_names.add(h.term.kind)
                if h.term.label not in matched:
                    matched.append(h.term.label)

    values: list[tuple[float, str, _Link]] = []
    for unit in units:
        link = _unit_link(unit, lex, full_names)
        if link is not None:
            values.append(
                (min(_UNIT_CAP, link.strength * _ROLE_WEIGHT[unit.role]), unit.role, link)
            )
    values.sort(key=lambda v: v[0], reverse=True)
    miss = 1.0
    subtopics: set[str] = set()
    for value, _role, link in values:
        miss *= 1.0 - value
        if value >= _SUBTOPIC_MIN:
            subtopics |= link.subtopics
            matched.extend(t for t in link.terms if t not in matched)
    score = 1.0 - miss
    if min(counts.values()) == 1:
        score *= _SINGLE_MENTION
    score = round(score, 4)

    def best(role: str) -> float:
        return round(max((v for v, r, _ in values if r == role), default=0.0), 4)

    details = {
        "russia_mentions": float(counts[RUSSIA]),
        "dprk_mentions": float(counts[DPRK]),
        "linked_units": float(len(values)),
        "best_unit": round(values[0][0], 4) if values else 0.0,
        "title_link": best("title"),
        "lead_link": best("lead"),
        "threshold": float(cut),
    }
    return Verdict(
        score=score,
        on_topic=score >= cut,
        matched=tuple(matched),
        subtopics=tuple(sorted(subtopics)),
        details=details,
    )

"""Is an article about the Russia–North Korea relationship, or does it merely name both?

Arabic news names Russia and North Korea together all the time without being about their
relationship: "China, Russia, Iran and North Korea" in a list of cyber threats, G7 communiqués,
round-ups that put unrelated items side by side, Putin commenting on a Trump–Kim summit.
Co-occurrence alone keeps far too much, so this module looks for a *link* between the two sides:

1. **Matching.** The title and text (already extracted: never raw HTML, whose sidebars mention
   everything) are normalised by :mod:`monitor.text.arabic` and matched against the topic lexicon
   (``seeds/lexicon.toml``): terms for each side (countries, capitals, leaders, officials,
   adjectives), relation cues grouped by subtopic (visit, summit, treaty, military, workers,
   sanctions, space, transport, trade, aid ...), third parties (other states), counter-cues
   (sport, rankings) and exclusions (روسيا البيضاء is Belarus, بيونغ تشانغ is Pyeongchang).
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

import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from monitor.models import Verdict
from monitor.text import arabic
from seeds import seed_file

__all__ = [
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

#: The lexicon shipped with rasad, next to the seed corpus (package data of ``seeds``).
DEFAULT_LEXICON_PATH: Path = seed_file("lexicon.toml")

#: Articles scoring at or above this are on topic. It is the middle of the widest range of
#: thresholds that give the best F1 on the tune split of the dev set (0.40–0.60 all reach
#: P = R = 1.0 there); ``bench/relevance_eval.py`` prints the sweep.
DEFAULT_THRESHOLD: float = 0.5

RUSSIA = "russia"
DPRK = "dprk"
THIRD = "third"
CUE = "cue"
COUNTER = "counter"
EXCLUDE = "exclude"

# Proclitics the matcher may peel off a word the normaliser left whole (it strips them only
# from known names), longest first. Never ك for a side term: كروس, كسول are words of their own.
_PROCLITICS: tuple[str, ...] = ("وب", "ول", "فب", "فل", "وك", "فك", "و", "ف", "ب", "ل", "ك")
_MIN_REST = 3
_MEMO_MAX = 500_000

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


class LexiconError(ValueError):
    """The topic lexicon file is missing or malformed."""


@dataclass(frozen=True)
class Term:
    """One lexicon entry after normalisation."""

    kind: str  # russia | dprk | third | cue | counter | exclude
    label: str  # what Verdict.matched shows (side terms: the group label)
    weight: float = 1.0  # strength (sides, cues, third parties) or factor (counter-cues)
    subtopic: str = ""  # cue subtopic; for side terms, the subtopic they imply ("his counterpart")
    group: str = ""  # the side group's kind: country, capital, leader, official, adjective ...
    context_weight: float = 0.0  # ambiguous names (كيم): weight once the leader is named in full
    joint: bool = False  # a cue naming a meeting of several states ("ثلاثي"): no crowding
    prefix: bool = False  # matched as a word prefix (زيار*): show the word found, not the stem


@dataclass(frozen=True)
class Hit:
    """A lexicon term found in a token sequence (token offsets, end exclusive)."""

    start: int
    end: int
    term: Term
    surface: str = ""  # the normalised words matched


# (remaining tokens of the phrase, term, matched without peeling a proclitic)
_Entry = tuple[tuple[str, ...], Term, bool]


@dataclass
class Lexicon:
    """A compiled topic lexicon: phrase tables keyed by first token, plus prefix stems."""

    path: str = ""
    version: int = 0
    phrases: dict[str, list[tuple[tuple[str, ...], Term]]] = field(default_factory=dict)
    stems: dict[int, dict[str, Term]] = field(default_factory=dict)  # length -> stem -> term
    subtopics: dict[str, float] = field(default_factory=dict)  # cue subtopic -> weight
    _memo: dict[str, tuple[_Entry, ...]] = field(default_factory=dict, repr=False)

    def add(self, surface: str, term: Term) -> None:
        """Register one spelling (any Arabic form: it is normalised here)."""
        is_prefix = surface.endswith("*")
        toks = arabic.tokens(surface.rstrip("*"))
        if not toks:
            raise LexiconError(f"term {surface!r} normalises to nothing")
        if is_prefix:
            if len(toks) != 1 or len(toks[0]) < 3:
                raise LexiconError(f"prefix term {surface!r} must be one word of 3+ letters")
            self.stems.setdefault(len(toks[0]), {}).setdefault(toks[0], term)
            return
        entries = self.phrases.setdefault(toks[0], [])
        if all(rest != tuple(toks[1:]) for rest, _ in entries):  # first spelling wins
            entries.append((tuple(toks[1:]), term))
            entries.sort(key=lambda e: len(e[0]), reverse=True)
        self._memo.clear()

    def _lookup(self, token: str) -> tuple[_Entry, ...]:
        """Phrases that may start at ``token``, longest first, exact before peeled forms."""
        out: list[_Entry] = []
        forms = [(token, "")]
        for pre in _PROCLITICS:
            if token.startswith(pre) and len(token) - len(pre) >= _MIN_REST:
                forms.append((token[len(pre) :], pre))
        for form, peeled in forms:
            for rest, term in self.phrases.get(form, ()):
                if "ك" in peeled and term.kind in (RUSSIA, DPRK):
                    continue
                out.append((rest, term, not peeled))
            for length, table in self.stems.items():
                term_ = table.get(form[:length]) if len(form) >= length else None
                if term_ is not None:
                    out.append(((), term_, not peeled))
        out.sort(key=lambda e: (len(e[0]), e[2]), reverse=True)
        if len(self._memo) >= _MEMO_MAX:  # bound memory over very long backfills
            self._memo.clear()
        result = self._memo[token] = tuple(out)
        return result

    def match(self, toks: Sequence[str]) -> list[Hit]:
        """Greedy longest-match scan of normalised tokens; exclusions mask their words."""
        hits: list[Hit] = []
        memo = self._memo.get
        i, n = 0, len(toks)
        while i < n:
            entries = memo(toks[i])
            if entries is None:
                entries = self._lookup(toks[i])
            length = 0
            for rest, term, _exact in entries:
                k = len(rest)
                if k and tuple(toks[i + 1 : i + 1 + k]) != rest:
                    continue
                length = k + 1
                if term.kind != EXCLUDE:
                    hits.append(Hit(i, i + length, term, " ".join(toks[i : i + length])))
                break
            i += length or 1
        return hits


# ── loading ───────────────────────────────────────────────────────────────────────────────────


def _table(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise LexiconError(f"{where}: expected a table")
    return value


def _groups(value: object, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise LexiconError(f"{where}: expected one or more [[{where}]] groups")
    return [_table(g, f"{where}[{k}]") for k, g in enumerate(value)]


def _terms(group: dict[str, Any], where: str) -> list[str]:
    terms = group.get("terms")
    if not isinstance(terms, list) or not terms:
        raise LexiconError(f"{where}: expected a non-empty 'terms' list")
    if not all(isinstance(t, str) and t.strip() for t in terms):
        raise LexiconError(f"{where}: every term must be a non-empty string")
    return terms


def _number(group: dict[str, Any], key: str, where: str, default: float, top: float) -> float:
    value = group.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= top:
        raise LexiconError(f"{where}: {key} must be a number in (0, {top}]")
    return float(value)


def _text(group: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = group.get(key, default)
    if not isinstance(value, str):
        raise LexiconError(f"{where}: {key} must be a string")
    return value


def compile_lexicon(data: dict[str, Any], path: str = "") -> Lexicon:
    """Build a :class:`Lexicon` from the parsed TOML structure (see seeds/lexicon.toml)."""
    version = data.get("version", 0)
    if not isinstance(version, int):
        raise LexiconError("version must be an integer")
    lex = Lexicon(path=path, version=version)
    for k, group in enumerate(_groups(data.get("cue"), "cue")):
        where = f"cue[{k}]"
        subtopic = _text(group, "subtopic", where)
        weight = _number(group, "weight", where, 1.0, 2.0)
        joint = group.get("joint", False)
        if not isinstance(joint, bool):
            raise LexiconError(f"{where}: joint must be true or false")
        lex.subtopics[subtopic] = max(weight, lex.subtopics.get(subtopic, 0.0))
        for surface in _terms(group, where):
            is_prefix = surface.endswith("*")
            term = Term(CUE, surface.rstrip("*"), weight, subtopic, joint=joint, prefix=is_prefix)
            lex.add(surface, term)
    sides = _table(data.get("side"), "side")
    for side in (RUSSIA, DPRK):
        for k, group in enumerate(_groups(sides.get(side), f"side.{side}")):
            where = f"side.{side}[{k}]"
            implies = _text(group, "implies", where, "")
            if implies and implies not in lex.subtopics:
                raise LexiconError(f"{where}: implies unknown subtopic {implies!r}")
            context = group.get("context_weight", 0.0)
            if context:
                context = _number(group, "context_weight", where, 0.0, 2.0)
            term = Term(
                side,
                _text(group, "label", where),
                _number(group, "weight", where, 1.0, 2.0),
                implies,
                group=_text(group, "kind", where, ""),
                context_weight=float(context),
            )
            for surface in _terms(group, where):
                lex.add(surface, term)
    if "exclude" in data:
        for surface in _terms(_table(data["exclude"], "exclude"), "exclude"):
            lex.add(surface, Term(EXCLUDE, surface))
    for section in ("third", "third_minor"):
        if section not in data and section == "third_minor":
            continue
        table = _table(data.get(section), section)
        weight = _number(table, "weight", section, 1.0, 2.0)
        for surface in _terms(table, section):
            lex.add(surface, Term(THIRD, " ".join(arabic.tokens(surface)), weight))
    counters = _groups(data["counter"], "counter") if "counter" in data else []
    for k, group in enumerate(counters):
        where = f"counter[{k}]"
        context_name = _text(group, "context", where)
        factor = _number(group, "factor", where, 1.0, 1.0)
        for surface in _terms(group, where):
            lex.add(surface, Term(COUNTER, context_name, factor, prefix=surface.endswith("*")))
    return lex


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime_ns: int) -> Lexicon:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise LexiconError(f"cannot read lexicon {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise LexiconError(f"lexicon {path} is not valid TOML: {exc}") from None
    return compile_lexicon(data, path)


def load_lexicon(path: str | Path | None = None) -> Lexicon:
    """Load and compile a lexicon (default ``seeds/lexicon.toml``), cached until it changes."""
    p = Path(path) if path is not None else DEFAULT_LEXICON_PATH
    try:
        mtime = p.stat().st_mtime_ns
    except OSError as exc:
        raise LexiconError(f"cannot read lexicon {p}: {exc}") from None
    return _load_cached(str(p.resolve()), mtime)


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
    blocks: list[tuple[str, str]] = []
    if title.strip():
        blocks.append(("title", arabic.fold(title)))
    for k, para in enumerate(arabic.paragraphs(arabic.fold(text))):
        blocks.append(("lead" if k == 0 else "body", para))
    units: list[_Unit] = []
    for role, folded in blocks:
        toks = arabic.tokens_from_folded(folded)
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
) -> Verdict:
    """Judge an article's extracted ``title`` and ``text`` (never raw HTML).

    ``lexicon`` defaults to :func:`load_lexicon` (``seeds/lexicon.toml``), ``threshold`` to
    :data:`DEFAULT_THRESHOLD`. The verdict's ``matched`` lists the side labels found anywhere and
    the cue words of the linked units; ``details`` holds the mention counts, the number of linked
    units, the best unit's value, the headline's and the lead's values, and the threshold used.
    """
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

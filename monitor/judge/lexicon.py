"""The topic lexicon: what the relevance scorer looks for, loaded from TOML and checked.

``seeds/lexicon.toml`` lists, in any Arabic spelling, the terms for each side of the
relationship (countries, capitals, leaders, officials, adjectives), the relation cues grouped
by subtopic (visit, summit, treaty, military, workers, sanctions ...), third parties (other
states), counter-cues (sport, rankings) and exclusions (روسيا البيضاء is Belarus, بيونغ تشانغ is
Pyeongchang). :func:`load_lexicon` normalises every term with :mod:`monitor.text.arabic` (the
same normaliser the articles go through, so a term matches however an outlet spells it) and
compiles them into a :class:`Lexicon`: phrase tables keyed by first token plus prefix stems,
matched greedily longest first. A malformed file is a :class:`LexiconError` naming the group
at fault. The compiled lexicon is cached until its file changes.

The scoring that weighs what the lexicon finds lives in :mod:`monitor.judge.relevance`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import compress
from pathlib import Path
from typing import Any

from monitor.text import arabic
from seeds import seed_file

__all__ = [
    "COUNTER",
    "CUE",
    "DEFAULT_LEXICON_PATH",
    "DPRK",
    "EXCLUDE",
    "RUSSIA",
    "THIRD",
    "Hit",
    "Lexicon",
    "LexiconError",
    "Term",
    "compile_lexicon",
    "load_lexicon",
]

#: The lexicon shipped with rasad, next to the seed corpus (package data of ``seeds``).
DEFAULT_LEXICON_PATH: Path = seed_file("lexicon.toml")

# The kinds of term (Term.kind).
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
        # Each token's candidate phrases looked up in one C pass; most tokens start none, so
        # the scan visits only those that do (positions a match covered are skipped)
        seen = list(map(self._memo.get, toks))
        at: list[tuple[_Entry, ...]] = (
            [e if e is not None else self._lookup(t) for e, t in zip(seen, toks, strict=True)]
            if None in seen  # tokens not seen before
            else seen  # type: ignore[assignment]  # no None left
        )
        hits: list[Hit] = []
        free = 0  # the first position no earlier match covers
        for i in compress(range(len(toks)), at):
            if i < free:
                continue
            for rest, term, _exact in at[i]:
                k = len(rest)
                if k and tuple(toks[i + 1 : i + 1 + k]) != rest:
                    continue
                free = i + k + 1
                if term.kind != EXCLUDE:
                    hits.append(Hit(i, free, term, " ".join(toks[i:free])))
                break
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

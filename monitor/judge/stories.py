"""Stories: different write-ups of one event, by different outlets, grouped one level above dedup.

Dedup (``monitor.judge.dedup``) links *copies* of one text. A story is looser: the same visit,
summit, statement or vote reported by several outlets in their own words within a few days.
Each story has a *lead* (the first article stored of it; its canonical URL is the story's id)
and is "also reported by" the others. Two different events with the same people must stay
apart: a Lavrov visit and a Shoigu visit in one week, a treaty signing and its ratification
months later. This module is the pure decision; ``store/sqlite/stories.py`` finds the
candidates inside the store's write transaction.

What is compared, and why:

* **The headline and the lead** (the first :data:`LEAD_TOKENS` body tokens), not the whole
  text: outlets state the event up front and then diverge into background that every article
  of the topic shares (the war, the sanctions, the history of the relationship).
* **Distinctive tokens** of them: :func:`monitor.text.arabic.tokens` (the one normaliser),
  minus function words, reporting verbs and the topic's own names (روسيا, كوريا, بيونغ يانغ:
  present in every article, so they tell nothing apart) — :data:`STOP_WORDS`.
* **People and event kinds** weigh :data:`NAME_WEIGHT` times a plain word, and they veto:
  when both articles name an official other than the heads of state (لافروف, شويغو, ...) and
  no official in common, or both name a kind of event (a meeting, a signing, a ratification,
  a vote) and no kind in common, they are different events whatever else they share.
* **Who did it, and where** (who-did-what): the officials of the headline and the *lead
  sentence* (the first body sentence of :data:`SENTENCE_MIN` tokens or more) are the event's
  actors; the countries named where something happens (after في / إلى, or just after an event
  word: "زيارة بوتين لكوريا الشمالية") are its places (:data:`PLACES`). Both name actors and
  none in common, or both name places and none in common: different events. This keeps the
  Kremlin's comment apart from the visit it follows (بيسكوف against لافروف in the lead
  sentence, though both name لافروف), and Putin's 2024 visit to Pyongyang apart from Kim's
  2023 visit to Russia (seeds 003 and 000/001/004), which share every name.
* **Time**: both publication dates (the fetch date when none is known) within
  :data:`WINDOW_DAYS`. An unknown date (the seeds' dates are page headers, not publication
  dates) leaves the decision to the content.

:func:`similarity` is a weighted Jaccard of the two term sets; :func:`same_story` applies the
window, the vetoes and :data:`THRESHOLD`. The threshold was chosen by measurement
(``bench/story_eval.py`` over ``bench/devset/story_pairs.tsv``): the best F1 on the tune split.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Final

from monitor.text import arabic

__all__ = [
    "LEAD_TOKENS",
    "NAME_WEIGHT",
    "THRESHOLD",
    "WINDOW_DAYS",
    "StoryTerms",
    "best_story",
    "cluster",
    "same_story",
    "similarity",
    "story_terms",
]

#: Days between two write-ups of one event, at most.
WINDOW_DAYS: Final = 4
#: Weighted Jaccard of headline-and-lead terms at or above which two articles are one story.
THRESHOLD: Final = 0.06
#: Body tokens read after the headline.
LEAD_TOKENS: Final = 80
#: Weight of a person's name or an event word, relative to another distinctive word.
NAME_WEIGHT: Final = 3.0
#: Only the start of a text is tokenised (the lead lies well inside it).
HEAD_CHARS: Final = 2500


def _forms(words: str) -> frozenset[str]:
    """Every normalised form of the space-separated ``words``, with and without a clitic."""
    out: set[str] = set()
    for word in words.split():
        # the normaliser leaves a bare proclitic on words it does not know: so do the texts
        for pre in ("", *arabic.BARE_PROCLITICS):
            out.update(arabic.tokens(pre + word))
    return frozenset(out)


#: Kinds of event, by the words that name them.
EVENT_KINDS: Final[dict[str, frozenset[str]]] = {
    "meeting": _forms(
        "زيارة زيارات زيارته زيارتها يزور زار تزور يصل وصل وصول توجه يتوجه قمة القمة لقاء "
        "يلتقي التقى تلتقي اجتماع محادثات مباحثات استقبل يستقبل"
    ),
    "signing": _forms("توقيع وقع يوقع توقع وقعت"),
    "ratification": _forms("تصديق صادق يصادق مصادقة صدق"),
    "vote": _forms("تصويت صوت يصوت صوتت"),
}
_EVENT_WORDS: Final = frozenset().union(*EVENT_KINDS.values())

#: Heads of state and government: in nearly every article of the topic, so they never veto.
HEADS: Final = _forms("بوتين كيم ترامب ترمب شي مون")
#: Other officials whose presence names *whose* event it is.
OFFICIALS: Final = _forms(
    "لافروف شويغو بيسكوف ميدفيديف مدفيديف بيلاوسوف ماتسيغورا زاخاروفا نيبينزيا بومبيو هيلي "
    "ماتيس بولتون الأسد روحاني ماكرون ميركل آبي تشوي ري يونغ ناغ تشول"
)
_NAMES: Final = HEADS | OFFICIALS

#: Words that tell no event from another: function words, reporting verbs, the topic's names.
STOP_WORDS: Final = _forms(
    """في من على إلى عن مع أن إن أنه أنها التي الذي الذين هذا هذه ذلك تلك كان كانت يكون
    قد لقد لم لن لا ما ماذا كما بين بعد قبل خلال حول عند منذ حتى أو أم ثم كل بعض غير
    أي هو هي هم نحن أيضا وقال قال قالت يقول تقول أضاف وأضاف أكد أوضح ذكر وذكرت أفاد
    أفادت أعلن أعلنت وكالة وكالات الأنباء رويترز فرانس برس اليوم أمس الخميس الجمعة السبت
    الأحد الاثنين الثلاثاء الأربعاء روسيا الروسي الروسية روسية روسي موسكو الكرملين كوريا
    الكوري الكورية كوري كورية الشمالية الشمالي شمالية شمالي بيونغ يانغ بيونغيانغ الجنوبية
    الجنوبي الرئيس الزعيم رئيس زعيم وزير الخارجية البلدين الجانبين العلاقات مصادر وفق
    وفقا حسب سكاي نيوز عربية عاجل شاهد بالفيديو فيديو"""
)


#: Where an event takes place, by country: a place named just after في / إلى or a few words
#: after a word of an event ("زيارة بوتين لكوريا الشمالية", "التقى ... في بيونغ يانغ").
PLACES: Final[dict[str, frozenset[str]]] = {
    "ru": _forms("روسيا موسكو فلاديفوستوك فوستوشني سوتشي الأقصى"),
    "kp": _forms("بيونغيانغ بيونغ كوريا"),
    "kr": _forms("سيول"),
    "cn": _forms("الصين بكين تشينغداو"),
    "us": _forms("واشنطن نيويورك أمريكا أميركا"),
    "sg": _forms("سنغافورة"),
    "ca": _forms("كندا كيبيك"),
    "jp": _forms("اليابان طوكيو"),
    "sy": _forms("سوريا دمشق"),
    "vn": _forms("فيتنام هانوي"),
}
_PLACE_OF: Final = {form: code for code, forms in PLACES.items() for form in forms}
_AT: Final = _forms("في إلى")
_SITE: Final = _forms("قاعدة العاصمة مدينة الشرق")
_SOUTH: Final = _forms("الجنوبية الجنوبي")
#: A place this many tokens after an event word is where the event is.
PLACE_REACH: Final = 5
#: The lead sentence: the first body sentence of at least this many tokens (page furniture
#: such as a date line or "تسجيل الدخول" comes before it in pasted texts).
SENTENCE_MIN: Final = 6


@dataclass(frozen=True)
class StoryTerms:
    """What the story decision keeps of one article."""

    terms: frozenset[str]  # distinctive normalised tokens of headline and lead
    events: frozenset[str]  # kinds of event named there (EVENT_KINDS keys)
    officials: frozenset[str]  # officials named there (OFFICIALS), heads of state aside
    when: datetime | None = None  # publication date (or fetch date); None: unknown
    actors: frozenset[str] = frozenset()  # officials of the headline and lead sentence
    places: frozenset[str] = frozenset()  # where the event is (PLACES keys)


def story_terms(title: str, text: str, when: datetime | None = None) -> StoryTerms:
    """The terms of an article's headline and lead."""
    terms, events, officials, actors, places = _lead_terms(title, text[:HEAD_CHARS])
    return StoryTerms(terms, events, officials, when, actors, places)


def _places(words: Sequence[str]) -> set[str]:
    """Countries named as where something happens: after في / إلى (or في قاعدة, إلى الشرق),
    or within :data:`PLACE_REACH` tokens after an event word (زيارة بوتين لكوريا الشمالية:
    the normaliser has dropped the ل)."""
    out: set[str] = set()
    last_event = -PLACE_REACH - 1
    for i, w in enumerate(words):
        if w in _EVENT_WORDS:
            last_event = i
            continue
        code = _PLACE_OF.get(w)
        if code is None:
            continue
        if code == "kp" and i + 1 < len(words) and words[i + 1] in _SOUTH:
            code = "kr"
        before = words[i - 1] if i else ""
        if before in _SITE and i > 1:
            before = words[i - 2]
        if before in _AT or i - last_event <= PLACE_REACH:
            out.add(code)
    return out


_Lead = tuple[frozenset[str], frozenset[str], frozenset[str], frozenset[str], frozenset[str]]


@lru_cache(maxsize=4096)
def _lead_terms(title: str, lead: str) -> _Lead:
    """Terms, event kinds, officials, actors and places of a headline and lead.

    Cached: each stored article is a candidate for many later ones (up to 200 each), and
    tokenising its lead every time cost ~45 ms per stored article in a busy week."""
    head = arabic.tokens(title)
    body = arabic.tokens(lead)
    if head and body[: len(head)] == head:
        del body[: len(head)]
    body = body[:LEAD_TOKENS]
    words = [*head, *body]
    terms = frozenset(w for w in words if len(w) > 2 and not w.isdigit() and w not in STOP_WORDS)
    events = frozenset(kind for kind, forms in EVENT_KINDS.items() if forms & set(words))
    officials = frozenset(w for w in words if w in OFFICIALS)
    first: list[str] = []  # the lead sentence: who did it
    for sentence in arabic.sentences(lead):
        first = arabic.tokens_from_folded(sentence)
        if len(first) >= SENTENCE_MIN and first != head:
            break
    actors = frozenset(w for w in (*head, *first) if w in OFFICIALS)
    places = frozenset(_places(head) | _places(body))
    return terms | officials, events, officials, actors, places


def _weight(term: str) -> float:
    return NAME_WEIGHT if term in _NAMES or term in _EVENT_WORDS else 1.0


def similarity(a: StoryTerms, b: StoryTerms) -> float:
    """Weighted Jaccard of two articles' terms (0: nothing shared, 1: the same terms)."""
    union = a.terms | b.terms
    if not union:
        return 0.0
    common = sum(_weight(t) for t in a.terms & b.terms)
    return common / sum(_weight(t) for t in union)


def _apart(a: StoryTerms, b: StoryTerms) -> bool:
    """Different events whatever the words say: too far apart in time, other officials, or
    another kind of event."""
    far = WINDOW_DAYS * 86400
    if a.when is not None and b.when is not None and abs((a.when - b.when).total_seconds()) > far:
        return True
    if a.officials and b.officials and not a.officials & b.officials:
        return True
    if a.actors and b.actors and not a.actors & b.actors:
        return True
    if a.places and b.places and not a.places & b.places:
        return True
    return bool(a.events and b.events and not a.events & b.events)


def same_story(a: StoryTerms, b: StoryTerms, threshold: float = THRESHOLD) -> bool:
    """Are ``a`` and ``b`` write-ups of one event?"""
    return not _apart(a, b) and similarity(a, b) >= threshold


def best_story(new: StoryTerms, stored: Iterable[tuple[str, StoryTerms]]) -> str | None:
    """Of stored articles (their story id, their terms), the story ``new`` belongs to: the
    most similar one's, among those it is one story with. None: it starts its own."""
    best: tuple[float, str] | None = None
    for story, terms in stored:
        if _apart(new, terms):
            continue
        score = similarity(new, terms)
        if score >= THRESHOLD and (best is None or score > best[0]):
            best = (score, story)
    return best[1] if best else None


def cluster(docs: Sequence[tuple[str, StoryTerms]]) -> dict[str, str]:
    """Stories of articles taken in the order given (oldest first): each doc's story id, the
    id of the first doc of its story. What the store does one article at a time."""
    story: dict[str, str] = {}
    seen: list[tuple[str, StoryTerms]] = []
    for doc, terms in docs:
        story[doc] = best_story(terms, seen) or doc
        seen.append((story[doc], terms))
    return story

"""What one digest holds: the stored articles no digest has given a recipient yet, as stories.

One entry per story (``StoredArticle.story``, see ``monitor.judge.stories``), newest story
first: a digest is read top-down, and the latest developments matter most; each entry carries
its subtopic tags, so a reader looking for one subject scans the tags rather than jumping
between sections (and a recipient who only wants some subjects says so in ``[digest] topics``).

* **The lead** of an entry is the story's own lead when it is in this digest, else the
  earliest of the story's new articles here (the story was in an earlier digest: the entry
  is marked as a follow-up).
* **Also reported by**: the story's other new articles (other outlets' own write-ups) in time
  order, then the copies (``duplicate``) of any article of the entry. A copy appears only
  under an original that this digest shows; a copy of an article some earlier digest gave
  this recipient is passed over (taken, never shown), and a copy of a seed never reaches
  here (``DigestLog.undelivered`` leaves it out).
* **Topics**: a recipient with subtopics gets the stories with at least one of them; the
  others are passed over.

Pure: the store is read by the caller (``monitor.cli.digest``); the rendering is
``monitor.deliver.digest_render``'s.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from store.base import StoredArticle

__all__ = ["Digest", "Entry", "Item", "build_digest", "excerpt"]

#: An excerpt is at most this many characters (cut at a word boundary).
EXCERPT_CHARS = 360
#: ... and two sentences, three when the first two are short.
EXCERPT_SENTENCES = 3
_SHORT = 160


@dataclass(frozen=True)
class Item:
    """One article in an entry, with its outlet's display name."""

    article: StoredArticle
    outlet: str

    @property
    def copy(self) -> bool:
        """A copy of another article's text (dedup's ``duplicate``), not a write-up of its own."""
        return self.article.status == "duplicate"

    @property
    def when(self) -> datetime:
        return self.article.published or self.article.fetched


@dataclass(frozen=True)
class Entry:
    """One story: its lead and who else reported it."""

    story: str
    lead: Item
    others: tuple[Item, ...]
    subtopics: tuple[str, ...]
    excerpt: str
    follow_up: bool  # the story's lead was in an earlier digest

    @property
    def items(self) -> tuple[Item, ...]:
        return (self.lead, *self.others)

    @property
    def latest(self) -> datetime:
        return max(item.when for item in self.items)


@dataclass(frozen=True)
class Digest:
    """The stories for one recipient, and the articles taken without being shown."""

    recipient: str
    entries: tuple[Entry, ...]
    passed: tuple[str, ...]  # canonical URLs taken but not shown (topics, late copies)
    until: datetime
    since: datetime | None = None  # the previous digest to this recipient, if any
    topics: tuple[str, ...] = field(default=())

    @property
    def shown(self) -> tuple[str, ...]:
        return tuple(i.article.canonical_url for e in self.entries for i in e.items)

    @property
    def articles(self) -> int:
        return sum(len(e.items) for e in self.entries)

    @property
    def outlets(self) -> int:
        return len({i.article.source for e in self.entries for i in e.items})

    @property
    def first(self) -> datetime | None:
        """The earliest date among the articles shown."""
        return min((i.when for e in self.entries for i in e.items), default=None)

    def __bool__(self) -> bool:
        return bool(self.entries)


def build_digest(
    articles: Iterable[StoredArticle],
    *,
    recipient: str,
    until: datetime,
    since: datetime | None = None,
    outlets: Mapping[str, str] | None = None,
    topics: Iterable[str] = (),
) -> Digest:
    """Group `articles` (what `DigestLog.undelivered` gave) into one digest's entries."""
    names = outlets or {}
    wanted = frozenset(topics)
    originals: dict[str, list[StoredArticle]] = {}  # story -> its new articles, in time order
    copies: list[StoredArticle] = []
    for article in articles:
        if article.status == "new":
            originals.setdefault(article.story or article.canonical_url, []).append(article)
        elif article.status == "duplicate":
            copies.append(article)
    shown_new = {a.canonical_url: story for story, arts in originals.items() for a in arts}
    copies_of: dict[str, list[StoredArticle]] = {}
    passed: list[str] = []
    for article in copies:
        story = shown_new.get(article.duplicate_of or "")
        if story is None:
            passed.append(article.canonical_url)  # its original reached the reader earlier
        else:
            copies_of.setdefault(story, []).append(article)

    def item(article: StoredArticle) -> Item:
        return Item(article, names.get(article.source, article.source))

    entries: list[Entry] = []
    for story, arts in originals.items():
        arts.sort(key=lambda a: (a.published or a.fetched, a.fetched))
        lead = next((a for a in arts if a.canonical_url == story), arts[0])
        members = [a for a in arts if a is not lead] + copies_of.get(story, [])
        subtopics = sorted({s for a in arts for s in (a.verdict or {}).get("subtopics", ())})
        if wanted and not wanted.intersection(subtopics):
            passed.extend(a.canonical_url for a in [lead, *members])
            continue
        entries.append(
            Entry(
                story=story,
                lead=item(lead),
                others=tuple(item(a) for a in members),
                subtopics=tuple(subtopics),
                excerpt=excerpt(lead.text),
                follow_up=lead.canonical_url != story,
            )
        )
    entries.sort(key=lambda e: (e.latest, e.lead.article.fetched), reverse=True)
    return Digest(
        recipient=recipient,
        entries=tuple(entries),
        passed=tuple(passed),
        until=until,
        since=since,
        topics=tuple(sorted(wanted)),
    )


# A sentence ends at . ! ? ؟ or … followed by a space or the end, or at a line break; a
# full stop between digits (99.5) is not an end. Display only: nothing here is normalised.
_SENTENCE_END = re.compile(r"(?<=[.!?؟…])(?<!\d\.)\s+|\s*\n\s*")


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The first two sentences of `text` (three when they are short), cut at a word
    boundary within `limit` characters; never in the middle of a word."""
    sentences = [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]
    chosen: list[str] = []
    for sentence in sentences:
        chosen.append(sentence)
        size = sum(len(s) + 1 for s in chosen)
        if len(chosen) >= EXCERPT_SENTENCES or (len(chosen) >= 2 and size >= _SHORT):
            break
    out = " ".join(chosen)
    if len(out) <= limit:
        return out
    space = out.rfind(" ", 0, limit + 1)
    end = space if space > limit // 2 else limit
    # one enormous word: cut it, but not between a letter and its marks (tashkeel, ZWJ)
    while end > 1 and (unicodedata.combining(out[end]) or out[end] in "\u200c\u200d"):
        end -= 1
    return out[:end].rstrip(" ،,؛;:-—") + "…"

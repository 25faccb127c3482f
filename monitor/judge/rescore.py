"""Re-judge stored articles after the topic lexicon or the threshold changed.

Off-topic articles were stored with their text precisely so this needs no network: each
one is judged again and its outcome moves between `new` and `off_topic` when the verdict
changes. A `duplicate` stays a duplicate (it repeats something already judged); only its
score is refreshed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from datetime import datetime

from monitor.judge.lexicon import Lexicon
from monitor.judge.relevance import DEFAULT_LANGUAGES, judge
from store import STATUSES, Store


@dataclass(frozen=True)
class Change:
    url: str
    title: str
    before: str
    after: str
    old_score: float
    new_score: float


@dataclass
class RescoreReport:
    judged: int = 0
    changes: list[Change] = field(default_factory=list)
    rescored: int = 0  # score changed, status did not

    def count(self, before: str, after: str) -> int:
        return sum(1 for c in self.changes if c.before == before and c.after == after)

    def render(self, *, dry_run: bool) -> str:
        verb = "would move" if dry_run else "moved"
        lines = [
            f"judged {self.judged} stored articles: {verb} {self.count('off_topic', 'new')} "
            f"off_topic → new, {self.count('new', 'off_topic')} new → off_topic; "
            f"{self.rescored} other scores changed"
        ]
        for change in self.changes:
            lines.append(
                f"  {change.before:>9} → {change.after:<9} {change.old_score:.2f} → "
                f"{change.new_score:.2f}  {change.title[:70]}  {change.url}"
            )
        return "\n".join(lines)


def rescore(
    store: Store,
    lexicon: Lexicon,
    threshold: float,
    *,
    since: datetime | None = None,
    dry_run: bool = False,
    languages: Collection[str] = DEFAULT_LANGUAGES,
) -> RescoreReport:
    report = RescoreReport()
    # Only the keys are held while the store is written to: verdicts change `status`, which
    # an open read cursor may be walking, and a 1M-article archive's texts do not fit.
    keys = [a.canonical_url for a in store.articles(since=since, statuses=STATUSES)]
    for key in keys:
        article = store.get(key)
        if article is None:
            continue
        report.judged += 1
        verdict = judge(
            article.title,
            article.text,
            lexicon=lexicon,
            threshold=threshold,
            language=article.language,
            languages=languages,
        )
        status = article.status
        if status != "duplicate":
            status = "new" if verdict.on_topic else "off_topic"
        if status != article.status:
            report.changes.append(
                Change(
                    article.url,
                    article.title,
                    article.status,
                    status,
                    article.relevance,
                    verdict.score,
                )
            )
        elif round(verdict.score, 6) != round(article.relevance, 6):
            report.rescored += 1
        else:
            continue
        if not dry_run:
            store.rejudge(article.canonical_url, status, verdict.score, asdict(verdict))
    return report

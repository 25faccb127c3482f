#!/usr/bin/env python3
"""Measure duplicate detection (judge/dedup.py + store/sqlite/dedup_index.py) on the dev sets.

Why a script and not only a test: choosing the shingle size and the thresholds, and seeing
which pairs are misjudged, are questions a person asks while changing the normaliser or the
dedup parameters; the test suite only guards the figures reached here.

What it reads (``../shared/data`` relative to the repository root, or ``--data``):

* the ANT corpus tarball (streamed, never unpacked), its ``index.tsv.xz`` and
  ``dedup_groups.json``; ``bench/devset/dedup_ant_pairs.tsv`` labels the pairs;
* SaudiNewsNet's same-title groups (``_derived/``) and ``bench/devset/dedup_saudinewsnet.tsv``;
* the seed corpus (``seeds/``) and ``bench/devset/relevance_labels.tsv`` (on-topic ANT articles).

Pair sets (earlier article -> later article; the later one is judged against the earlier):

tune (the parameters were chosen looking at these)
  ``ant_updated``     same URL, text changed (ANT ``same_url_different_text``): duplicates
  ``ant_same_title``  same headline, different URL (wire copies, URL variants; and, read as such,
                      different articles under a recurring headline)
  ``ant_same_day_nk`` same-day (+-1) pairs of North-Korea-mentioning ANT articles: re-headlined
                      agency copies, and distinct articles on the same story (the Lavrov visit to
                      Pyongyang, the Singapore summit ...); unlisted pairs are distinct (unread)
  ``snn``             SaudiNewsNet cross-paper same-title groups: agency copies, and recurring
                      headlines with different text
  ``ant_altered``     synthetic alterations of 150 random ANT articles (see ``altered_copies``)
  ``ant_random``      random ANT pairs (distinct)
held-out (never looked at while tuning)
  ``seed_altered``    altered copies of the five seeds: other templates (rendered by the
                      fixture site, extracted by monitor.extract.article), shortened to 70%,
                      new lead + headline prefix, re-spelled, and combinations
  ``seed_pairs``      the five seeds against each other (000 and 004 cover 001's event)
  ``ontopic_republished`` on-topic ANT articles (relevance ``relation``) republished by another
                      outlet: another template, a new URL and headline, some shortened
  ``ontopic_distinct`` distinct on-topic articles (ANT ``relation`` articles and the seeds)

What it prints: the sets' sizes; precision, recall and F1 per set and split (LSH included: a
pair is detected when the texts hash alike, or share a band key and pass verification); what
LSH alone loses; a threshold sweep; the misjudged pairs; and, unless ``--quick``, a corpus
pass through the real index (a SQLite file, every ANT and SaudiNewsNet article and the seeds,
in publication order) with what it flagged outside the labelled pairs.

Run: ``.venv/bin/python bench/dedup_eval.py [--data DIR] [--quick] [--show N]``
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import itertools
import json
import lzma
import random
import re
import sqlite3
import sys
import tarfile
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import ModuleType

from monitor.judge import dedup
from monitor.judge.dedup import Fingerprint, Similarity
from monitor.judge.metrics import Scores
from monitor.judge.seeds import load_seeds
from store.sqlite import dedup_index

REPO = Path(__file__).resolve().parents[1]

DEFAULT_DATA = REPO.parent / "shared" / "data"
DEVSET = REPO / "bench" / "devset"
ANT_DIR = "corpora/ant-multisource"
ANT_TAR = f"{ANT_DIR}/full_corpus_Alarabia_BBC_CNN_France24_SkyNews.tar.xz"
SNN_DIR = "corpora/saudinewsnet/_derived"
TUNE_SETS = (
    "ant_updated",
    "ant_same_title",
    "ant_same_day_nk",
    "snn",
    "ant_altered",
    "ant_random",
)
HELD_OUT_SETS = ("seed_altered", "seed_pairs", "ontopic_republished", "ontopic_distinct")
SCORED_LABELS = ("dup", "not")

# --------------------------------------------------------------------------------------------
# Alterations (also used by tests/test_dedup.py)
# --------------------------------------------------------------------------------------------

#: New lead paragraphs a republishing outlet might put on top (written for this bench).
LEADS = (
    "أفادت مصادر دبلوماسية في موسكو، اليوم، بأن المشاورات بين الجانبين ستتواصل خلال الأسابيع"
    " المقبلة، وسط اهتمام دولي واسع بمسار العلاقات بين البلدين وانعكاساتها على أمن المنطقة.",
    "في تطور لافت، تتابع العواصم الغربية عن كثب ما يجري بين البلدين، إذ يرى مراقبون أن الخطوات"
    " الأخيرة تحمل رسائل سياسية تتجاوز حدود الملف المطروح.",
    "نقلت وكالات الأنباء صباح اليوم تفاصيل جديدة عن الملف، فيما لم يصدر تعليق رسمي فوري من"
    " الجهات المعنية حتى ساعة إعداد هذا التقرير.",
)
#: Headline prefixes republishers add.
PREFIXES = ("عاجل | ", "بالفيديو: ", "تقرير: ", "خاص - ")
# Spellings one outlet uses for another's (each folds back in monitor.text.arabic).
_VARIANTS = {
    "بيونغ يانغ": "بيونج يانج",
    "بيونغيانغ": "بيونج يانج",
    "كيم جونغ أون": "كيم يونغ أون",
    "كيم جونج أون": "كيم يونغ أون",
    "بوتين": "بوتن",
    "شويغو": "شويجو",
    "شويجو": "شويغو",
}
_VARIANT_RE = re.compile("|".join(sorted(map(re.escape, _VARIANTS), key=len, reverse=True)))
_FOLDS = {"أ": "ا", "إ": "ا", "آ": "ا", "ة": "ه"}
_FINAL_YA = re.compile(r"[يى](?=\W|$)")
_HARAKAT = "\u064e\u064f\u0650\u0652"  # fatha, damma, kasra, sukun
_ARABIC_LETTER = re.compile(r"[\u0621-\u064a]")


def truncate(text: str, share: float = 0.7) -> str:
    """The first ``share`` of a text's words, paragraph breaks kept (a shortened republication)."""
    paragraphs = [p.split() for p in text.split("\n") if p.strip()]
    budget = max(1, round(share * sum(len(p) for p in paragraphs)))
    kept: list[str] = []
    for words in paragraphs:
        if budget <= 0:
            break
        kept.append(" ".join(words[:budget]))
        budget -= len(words)
    return "\n\n".join(kept)


def with_new_lead(title: str, text: str, lead: str, prefix: str) -> tuple[str, str]:
    """A headline prefix and a new lead paragraph on top of the same body."""
    return prefix + title, lead + "\n\n" + text


def respell(text: str, rng: random.Random) -> str:
    """Another outlet's spelling: variant transliterations, folded letters, added diacritics."""
    text = _VARIANT_RE.sub(lambda m: _VARIANTS[m.group(0)], text)
    text = "".join(_FOLDS.get(ch, ch) for ch in text)
    text = _FINAL_YA.sub(lambda m: "ى" if m.group(0) == "ي" else "ي", text)
    return _ARABIC_LETTER.sub(
        lambda m: m.group(0) + (rng.choice(_HARAKAT) if rng.random() < 0.15 else ""), text
    )


def load_fixture_site() -> ModuleType:
    """tests/fixture_site.py as a module (the tests folder is not a package)."""
    if "fixture_site" in sys.modules:
        return sys.modules["fixture_site"]
    spec = importlib.util.spec_from_file_location(
        "fixture_site", REPO / "tests" / "fixture_site.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fixture_site"] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def in_template(title: str, text: str, template: str, slug: str) -> tuple[str, str]:
    """Render the article in one of the fixture site's page templates, extract it back with
    monitor.extract.article: the same article as another outlet's page (furniture, scripts, related
    links), as rasad would see it. Lines of under five words (the page furniture left in the
    seed texts: login box, "أعلى", dates) are not part of what a republisher copies."""
    from monitor.extract.article import extract_article

    fixture_site = load_fixture_site()
    paragraphs = [" ".join(line.split()) for line in text.split("\n") if len(line.split()) >= 5]
    article = fixture_site.SiteArticle(
        slug=slug,
        title=title,
        paragraphs=paragraphs,
        published=datetime(2024, 6, 18, 9, 30, tzinfo=UTC),
        section="عرب وعالم",
        origin="dedup-eval",
    )
    url = f"https://outlet.example/{template}/{slug}.html?utm_source=rss&amp=1"
    page = fixture_site.render_article_page(article, template, url=url)
    extracted = extract_article(page.body, url, {"Content-Type": page.content_type})
    return extracted.title, extracted.text


def altered_copies(
    title: str, text: str, *, seed: int = 0, templates: Sequence[str] | None = None
) -> list[tuple[str, str, str]]:
    """(kind, title, text) republications of one article, as the issue lists them."""
    rng = random.Random(f"{seed}:{title}")
    fixture_site = load_fixture_site()
    lead, prefix = rng.choice(LEADS), rng.choice(PREFIXES)
    slug = f"story-{seed}"
    copies = [
        (f"template:{t}", *in_template(title, text, t, slug))
        for t in (templates if templates is not None else fixture_site.TEMPLATES)
    ]
    copies.append(("shortened-70", title, truncate(text)))
    copies.append(("new-lead+prefix", *with_new_lead(title, text, lead, prefix)))
    copies.append(("respelled", respell(title, rng), respell(text, rng)))
    t2, x2 = in_template(title, truncate(text), "outlet", slug)
    copies.append(("template+shortened+respelled", respell(t2, rng), respell(x2, rng)))
    t3, x3 = with_new_lead(title, truncate(text), lead, prefix)
    copies.append(("shortened+new-lead+respelled", respell(t3, rng), respell(x3, rng)))
    copies.append(
        (
            "template+new-lead+prefix",
            *in_template(*with_new_lead(title, text, lead, prefix), "modern", slug),
        )
    )
    return copies


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    key: str  # ANT path, snn:<zip>#<index>, seed:<ID>, or <key>~<alteration>
    title: str
    text: str
    when: datetime | None = None


@dataclass(frozen=True)
class Pair:
    set: str
    earlier: Text
    later: Text
    label: str  # dup | not | update | artifact | extended
    note: str = ""
    tie: bool = False  # same timestamp: judged found if either arrival order is flagged

    @property
    def split(self) -> str:
        return "held-out" if self.set in HELD_OUT_SETS else "tune"


_TAG = {t: re.compile(f"<{t}>(.*?)</{t}>", re.S) for t in ("TITLE", "TEXT", "TIME", "URL")}


def _when(raw: str) -> datetime | None:
    try:
        return parsedate_to_datetime(raw).astimezone(UTC)
    except (TypeError, ValueError, IndexError):
        return None


def load_ant(data: Path) -> dict[str, Text]:
    """Every ANT article by its path, streamed out of the tarball."""
    out: dict[str, Text] = {}
    with tarfile.open(data / ANT_TAR, mode="r|xz") as tar:
        for member in tar:
            if not member.isfile() or not member.name.endswith(".txt"):
                continue
            fh = tar.extractfile(member)
            if fh is None:
                continue
            raw = fh.read().decode("utf-8", errors="replace")
            fields = {
                t: (m.group(1).strip() if (m := r.search(raw)) else "") for t, r in _TAG.items()
            }
            name = member.name.removeprefix("./")
            out[name] = Text(name, fields["TITLE"], fields["TEXT"], _when(fields["TIME"]))
    return out


def load_ant_index(data: Path) -> list[dict[str, str]]:
    with lzma.open(data / ANT_DIR / "index.tsv.xz", "rt", encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=False)) for line in lines[1:]]


def load_snn(data: Path) -> dict[str, Text]:
    out: dict[str, Text] = {}
    with (data / SNN_DIR / "cross_source_same_title_members.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            key = f"snn:{row['zip_file']}#{row['index']}"
            when = datetime.fromisoformat(row["date_extracted"]).replace(tzinfo=UTC)
            out[key] = Text(key, row["title"], row["content"], when)
    return out


def read_tsv(path: Path) -> list[list[str]]:
    """Rows of a dev-set TSV ('#' comment lines, then a header row)."""
    with path.open(encoding="utf-8") as fh:
        lines = [ln for ln in fh if ln.strip() and not ln.startswith("#")]
    return list(csv.reader(lines[1:], delimiter="\t", quoting=csv.QUOTE_NONE))


def ordered(a: Text, b: Text) -> tuple[Text, Text, bool]:
    if a.when is None or b.when is None or a.when == b.when:
        return a, b, True
    return (a, b, False) if a.when < b.when else (b, a, False)


# --------------------------------------------------------------------------------------------
# Pair sets
# --------------------------------------------------------------------------------------------


def ant_labelled_pairs(ant: dict[str, Text]) -> list[Pair]:
    pairs = []
    for set_name, earlier, later, label, note in read_tsv(DEVSET / "dedup_ant_pairs.tsv"):
        pairs.append(
            Pair(f"ant_{set_name}", ant[earlier], ant[later], label, note, "either order" in note)
        )
    return pairs


def ant_same_day_unlisted(
    ant: dict[str, Text],
    index: list[dict[str, str]],
    listed: set[frozenset[str]],
    grouped: set[frozenset[str]],
) -> list[Pair]:
    """Same-day (+-1) pairs of North-Korea-mentioning articles that neither the label file nor
    the mechanical groups list: distinct articles (read only down to containment 0.3, see the
    README)."""
    nk = [
        ant[r["path"]]
        for r in index
        if r.get("mentions_north_korea") == "1" and r.get("path") in ant
    ]
    pairs = []
    for a, b in itertools.combinations(nk, 2):
        if a.when is None or b.when is None or abs((a.when - b.when).days) > 1:
            continue
        key = frozenset((a.key, b.key))
        if key in listed or key in grouped:
            continue
        earlier, later, tie = ordered(a, b)
        pairs.append(Pair("ant_same_day_nk", earlier, later, "not", "unread", tie))
    return pairs


def snn_pairs(snn: dict[str, Text]) -> list[Pair]:
    """Ordered pairs within each same-title group; a later copy 1.5x the earlier's length is
    an *extended* agency copy (the later one adds material): excluded from P/R, reported."""
    groups: dict[str, list[tuple[Text, str, str]]] = defaultdict(list)
    for zip_file, index, _source, _date, title, story, note in read_tsv(
        DEVSET / "dedup_saudinewsnet.tsv"
    ):
        groups[title].append((snn[f"snn:{zip_file}#{index}"], story, note))
    pairs = []
    for members in groups.values():
        for (a, sa, note), (b, sb, _) in itertools.combinations(members, 2):
            if "-" in (sa, sb):
                continue
            earlier, later, tie = ordered(a, b)
            label = "dup" if sa == sb else "not"
            if label == "dup" and len(later.text.split()) >= 1.5 * len(earlier.text.split()):
                label = "extended"
            pairs.append(Pair("snn", earlier, later, label, note, tie))
    return pairs


def altered_pairs(
    set_name: str, originals: Sequence[Text], seed: int, templates: Sequence[str] | None = None
) -> list[Pair]:
    pairs = []
    for original in originals:
        for kind, title, text in altered_copies(
            original.title, original.text, seed=seed, templates=templates
        ):
            copy = Text(f"{original.key}~{kind}", title, text)
            pairs.append(Pair(set_name, original, copy, "dup", kind))
    return pairs


def republished_pairs(originals: Sequence[Text], seed: int) -> list[Pair]:
    """On-topic articles republished later by another outlet: another template and URL, a new
    headline, every third one shortened to 70%."""
    rng = random.Random(seed)
    fixture_site = load_fixture_site()
    pairs = []
    for n, original in enumerate(originals):
        template = fixture_site.TEMPLATES[n % len(fixture_site.TEMPLATES)]
        body = truncate(original.text) if n % 3 == 2 else original.text
        title, text = in_template(
            rng.choice(PREFIXES) + original.title, body, template, f"republished-{n}"
        )
        kind = f"{template}{'+shortened' if n % 3 == 2 else ''}"
        pairs.append(
            Pair(
                "ontopic_republished",
                original,
                Text(f"{original.key}~{kind}", title, text),
                "dup",
                kind,
            )
        )
    return pairs


def distinct_pairs(set_name: str, texts: Sequence[Text], copies: set[frozenset[str]]) -> list[Pair]:
    pairs = []
    for a, b in itertools.combinations(texts, 2):
        if frozenset((a.key, b.key)) in copies:
            continue
        earlier, later, tie = ordered(a, b)
        pairs.append(Pair(set_name, earlier, later, "not", "distinct articles", tie))
    return pairs


def random_pairs(
    ant: dict[str, Text], n: int, seed: int, grouped: set[frozenset[str]]
) -> list[Pair]:
    rng = random.Random(seed)
    keys = sorted(ant)
    pairs: list[Pair] = []
    while len(pairs) < n:
        a, b = rng.sample(keys, 2)
        if frozenset((a, b)) in grouped:
            continue
        earlier, later, tie = ordered(ant[a], ant[b])
        pairs.append(Pair("ant_random", earlier, later, "not", "random pair", tie))
    return pairs


# --------------------------------------------------------------------------------------------
# Judging
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    containment: float = dedup.CONTAINMENT_THRESHOLD
    edited: float = dedup.EDITED_CONTAINMENT_THRESHOLD
    novel_run: int = dedup.MAX_NOVEL_RUN

    def near(self, sim: Similarity) -> bool:
        return sim.containment >= self.containment or (
            sim.containment >= self.edited and sim.novel_run <= self.novel_run
        )

    def row(self) -> str:
        return f"C>={self.containment:.2f} | C>={self.edited:.2f} & run<={self.novel_run:<3d}"


@dataclass
class Evidence:
    """What the index would see for one arrival order: same hash? shared band? similarity."""

    exact: bool
    band: bool
    sim: Similarity
    judgeable: bool

    def detected(self, t: Thresholds, lsh: bool = True) -> bool:
        if self.exact:
            return True
        return self.judgeable and (self.band or not lsh) and t.near(self.sim)


class Judge:
    """Fingerprints each text once and judges pairs as store/sqlite/dedup_index.find_duplicate would
    with only the earlier text indexed: same text hash, or a shared band key and a verified
    near-duplicate."""

    def __init__(self) -> None:
        self._fps: dict[str, Fingerprint] = {}

    def fp(self, t: Text) -> Fingerprint:
        found = self._fps.get(t.key)
        if found is None:
            found = self._fps[t.key] = dedup.fingerprint(t.title, t.text)
        return found

    def evidence(self, stored: Text, new: Text) -> Evidence:
        a, b = self.fp(stored), self.fp(new)
        return Evidence(
            exact=a.hashable and b.hashable and a.text_hash == b.text_hash,
            band=not set(a.bands).isdisjoint(b.bands),
            sim=dedup.compare(b, a.shingle_set),
            judgeable=a.judgeable and b.judgeable,
        )

    def pair(self, p: Pair) -> list[Evidence]:
        out = [self.evidence(p.earlier, p.later)]
        if p.tie:
            out.append(self.evidence(p.later, p.earlier))
        return out


def score(
    judged: list[tuple[Pair, list[Evidence]]], t: Thresholds, *, lsh: bool = True
) -> dict[str, Scores]:
    """Scores per set, per split and overall; only dup/not pairs are scored."""
    out: dict[str, Scores] = defaultdict(Scores)
    for pair, evidence in judged:
        if pair.label not in SCORED_LABELS:
            continue
        found = any(e.detected(t, lsh) for e in evidence)
        for name in (pair.set, pair.split, "all"):
            out[name].add(pair.label == "dup", found)
    return out


# --------------------------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------------------------


def describe(p: Pair, ev: list[Evidence]) -> str:
    e = ev[0]
    rev = (
        f" (other order C={ev[1].sim.containment:.2f} run={ev[1].sim.novel_run})"
        if len(ev) > 1
        else ""
    )
    return (
        f"  [{p.set}] {p.label:3s} C={e.sim.containment:.2f} J={e.sim.jaccard:.2f}"
        f" run={e.sim.novel_run} band={'y' if e.band else 'n'}{rev}\n"
        f"      {p.earlier.key}  «{p.earlier.title[:60]}»\n"
        f"   -> {p.later.key}  «{p.later.title[:60]}»  {p.note}"
    )


def report_scores(judged: list[tuple[Pair, list[Evidence]]], t: Thresholds) -> None:
    print(f"\n== Duplicate detection at the chosen thresholds: {t.row()}")
    with_lsh, without = score(judged, t), score(judged, t, lsh=False)
    for name in (*TUNE_SETS, "tune", *HELD_OUT_SETS, "held-out", "all"):
        if name in with_lsh:
            lost = with_lsh[name].fn - without[name].fn
            extra = f"   LSH lost {lost}" if lost else ""
            print(f"{name:22s} {with_lsh[name].row()}{extra}")
    macro = sum(with_lsh[s].f1 for s in TUNE_SETS if s in with_lsh) / len(TUNE_SETS)
    print(f"{'tune macro-F1':22s} {macro:.3f}")
    excluded = Counter((p.set, p.label) for p, _ in judged if p.label not in SCORED_LABELS)
    for (set_name, label), n in sorted(excluded.items()):
        hits = sum(
            any(e.detected(t) for e in ev)
            for p, ev in judged
            if p.set == set_name and p.label == label
        )
        print(f"  not scored: {set_name} {label}: {n} pairs, flagged as duplicate {hits}")


def report_sweep(judged: list[tuple[Pair, list[Evidence]]]) -> None:
    print("\n== Threshold sweep (LSH included); tune = parameters chosen here, held-out = not")
    grid = [Thresholds(c, c, 0) for c in (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 0.9)]
    grid += [
        Thresholds(c, lo, r)
        for c in (0.55, 0.6, 0.65, 0.7)
        for lo in (0.4, 0.45, 0.5)
        for r in (10, 15, 25)
        if lo < c
    ]
    print(
        f"{'rule':38s} {'tune P/R/F1':22s} {'nk P/R':12s} {'snn P/R':12s} {'held-out P/R':14s}"
        " macro"
    )
    for t in grid:
        s = score(judged, t)
        macro = sum(s[x].f1 for x in TUNE_SETS if x in s) / len(TUNE_SETS)
        mark = "  <- chosen" if t == Thresholds() else ""
        print(
            f"{t.row():38s} {s['tune'].precision:.3f}/{s['tune'].recall:.3f}/{s['tune'].f1:.3f}"
            f"      {s['ant_same_day_nk'].precision:.2f}/{s['ant_same_day_nk'].recall:.2f}"
            f"    {s['snn'].precision:.2f}/{s['snn'].recall:.2f}"
            f"    {s['held-out'].precision:.2f}/{s['held-out'].recall:.2f}"
            f"      {macro:.3f}{mark}"
        )


def report_errors(judged: list[tuple[Pair, list[Evidence]]], t: Thresholds, show: int) -> None:
    errors = [
        (p, ev)
        for p, ev in judged
        if p.label in SCORED_LABELS and any(e.detected(t) for e in ev) != (p.label == "dup")
    ]
    print(f"\n== Misjudged pairs ({len(errors)}; showing up to {show} per set)")
    shown: Counter[str] = Counter()
    for p, ev in sorted(errors, key=lambda x: (x[0].set, x[0].label)):
        if shown[p.set] < show:
            kind = "missed" if p.label == "dup" else "false duplicate"
            print(f"{kind}:\n{describe(p, ev)}")
        shown[p.set] += 1


# --------------------------------------------------------------------------------------------
# Corpus pass through the real index
# --------------------------------------------------------------------------------------------


def corpus_pass(texts: Sequence[Text], labels: dict[frozenset[str], str], show: int) -> None:
    """Every text in publication order through find_duplicate + add on a real SQLite file."""
    print(f"\n== Corpus pass: {len(texts)} texts through store/sqlite/dedup_index on a SQLite file")
    with tempfile.TemporaryDirectory(prefix="rasad-dedup-eval-") as tmp:
        db = sqlite3.connect(Path(tmp) / "index.db", isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("BEGIN IMMEDIATE")
        dedup_index.create_schema(db)
        db.execute("COMMIT")
        found: list[tuple[Text, str, dedup_index.Match]] = []
        start = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        for n, t in enumerate(texts, 1):
            fp = dedup.fingerprint(t.title, t.text)
            match = dedup_index.find_duplicate(db, fp)
            if match is not None:
                found.append((t, match.doc, match))
            dedup_index.add(db, t.key, fp)
            if n % 2000 == 0:
                db.execute("COMMIT")
                db.execute("BEGIN IMMEDIATE")
        db.execute("COMMIT")
        elapsed = time.perf_counter() - start
        db.close()
    print(
        f"{len(texts)} texts in {elapsed:.1f} s ({elapsed / len(texts) * 1e6:.0f} µs each:"
        " fingerprint + find_duplicate + add)"
    )
    verdicts: Counter[tuple[str, str]] = Counter()
    unlabelled = []
    for t, doc, match in found:
        label = labels.get(frozenset((t.key, doc)), "unlabelled")
        verdicts[(label, "exact" if match.exact else "near")] += 1
        if label == "unlabelled" and not match.exact:
            unlabelled.append((t, doc, match))
    print(
        f"flagged {len(found)}: "
        + ", ".join(f"{k[0]}/{k[1]} {v}" for k, v in sorted(verdicts.items()))
    )
    print(f"unlabelled near-duplicates (a sample of {min(show, len(unlabelled))} to read):")
    rng = random.Random(7)
    for t, doc, match in rng.sample(unlabelled, min(show, len(unlabelled))):
        s = match.similarity
        print(
            f"  C={s.containment:.2f} J={s.jaccard:.2f} run={s.novel_run}  {doc}\n"
            f"     -> {t.key}  «{t.title[:70]}»"
        )


# --------------------------------------------------------------------------------------------


def build_pairs(
    data: Path, quick: bool
) -> tuple[list[Pair], dict[str, Text], dict[str, Text], list[Text]]:
    ant, index, snn = load_ant(data), load_ant_index(data), load_snn(data)
    seeds = [Text(s.ref, s.title, s.text) for s in load_seeds()]
    groups = json.loads((data / ANT_DIR / "dedup_groups.json").read_text(encoding="utf-8"))
    grouped = {
        frozenset(p)
        for kind in groups
        if kind != "note"
        for g in groups[kind]
        for p in itertools.combinations(g, 2)
    }
    pairs = ant_labelled_pairs(ant)
    listed = {frozenset((p.earlier.key, p.later.key)) for p in pairs}
    pairs += ant_same_day_unlisted(ant, index, listed, grouped)
    pairs += snn_pairs(snn)
    pairs += random_pairs(ant, 2000, seed=11, grouped=grouped)
    rng = random.Random(5)
    sample = rng.sample([t for t in ant.values() if len(t.text.split()) >= 60], 150)
    pairs += altered_pairs("ant_altered", sample, seed=1, templates=("modern",))
    pairs += altered_pairs("seed_altered", seeds, seed=2)
    ontopic_keys = [
        row[0] for row in read_tsv(DEVSET / "relevance_labels.tsv") if row[1] == "relation"
    ]
    ontopic = [ant[k] for k in ontopic_keys if k in ant]
    pairs += republished_pairs(ontopic, seed=3)
    copies = {frozenset((p.earlier.key, p.later.key)) for p in pairs if p.label == "dup"}
    pairs += distinct_pairs("ontopic_distinct", ontopic + seeds, copies)
    pairs += distinct_pairs("seed_pairs", seeds, set())
    return pairs, ant, snn, seeds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help="the shared data folder (default: ../shared/data)",
    )
    parser.add_argument("--quick", action="store_true", help="skip the corpus pass")
    parser.add_argument(
        "--show", type=int, default=12, help="misjudged pairs shown per set (default 12)"
    )
    args = parser.parse_args(argv)
    if not (args.data / ANT_TAR).is_file() or not (args.data / SNN_DIR).is_dir():
        print(
            f"the shared data is not available: expected {args.data / ANT_TAR} and"
            f" {args.data / SNN_DIR} (pass --data DIR)",
            file=sys.stderr,
        )
        return 2
    start = time.perf_counter()
    pairs, ant, snn, seeds = build_pairs(args.data, args.quick)
    counts = Counter((p.set, p.label) for p in pairs)
    print(f"pairs built in {time.perf_counter() - start:.0f} s:")
    for (set_name, label), n in sorted(counts.items()):
        print(f"  {set_name:22s} {label:9s} {n}")
    judge = Judge()
    judged = [(p, judge.pair(p)) for p in pairs]
    chosen = Thresholds()
    report_scores(judged, chosen)
    report_sweep(judged)
    report_errors(judged, chosen, args.show)
    if not args.quick:
        labels = {frozenset((p.earlier.key, p.later.key)): p.label for p in pairs}
        texts = sorted(
            [*ant.values(), *snn.values()],
            key=lambda t: (t.when or datetime.min.replace(tzinfo=UTC), t.key),
        )
        corpus_pass([*seeds, *texts], labels, args.show)
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = [
    "LEADS",
    "PREFIXES",
    "Thresholds",
    "altered_copies",
    "in_template",
    "main",
    "respell",
    "truncate",
    "with_new_lead",
]

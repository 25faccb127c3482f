#!/usr/bin/env python3
"""Measure the relevance scorer against the labelled dev set; rerun after any lexicon change.

Why a script and not only a test: choosing the threshold, seeing which articles are misjudged and
knowing what judging costs per article are questions a person asks while editing
``seeds/lexicon.toml``; the test suite only guards the figures reached here.

What it reads (from ``../shared/data`` relative to the repository root, or ``--data``):

* the ANT corpus tarball (31,525 Arabic articles, 2018, five outlets), streamed, never unpacked;
* ``bench/devset/relevance_labels.tsv``: the hand labels of every ANT article naming both sides;
* SaudiNewsNet's North-Korea-mentioning articles and ``bench/devset/saudinewsnet_labels.tsv``;
* the jawharafm pages (North Korea only in a sidebar, absent from the extracted text);
* the five seed articles in ``seeds/`` (positives that must pass).

What it prints: counts; precision, recall and F1 on the tune split, the held-out split and both;
a threshold sweep; the misjudged examples (path, title, score, matched terms); the false positives
among the ~31k unlabelled ANT articles; the judging cost in microseconds per article, measured over
every ANT text. The labelling rule and the split are described in ``bench/devset/README.md``.

Run: ``.venv/bin/python bench/relevance_eval.py [--data DIR] [--threshold X] [--quick]``
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import statistics
import sys
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from monitor.judge.metrics import Scores
from monitor.judge.relevance import DEFAULT_THRESHOLD, judge, load_lexicon
from monitor.text import arabic
from seeds import SEEDS_DIR

REPO = Path(__file__).resolve().parents[1]

DEFAULT_DATA = REPO.parent / "shared" / "data"
DEVSET = REPO / "bench" / "devset"
ANT_TAR = "corpora/ant-multisource/full_corpus_Alarabia_BBC_CNN_France24_SkyNews.tar.xz"
SNN_JSONL = "corpora/saudinewsnet/_derived/articles_mentioning_north_korea.jsonl"
JAWHARA = "pages/jawharafm-pairs"

_TAG = {t: re.compile(f"<{t}>(.*?)</{t}>", re.S) for t in ("TITLE", "TEXT", "URL")}
SWEEP = [round(0.30 + 0.05 * k, 2) for k in range(12)]  # 0.30 .. 0.85


@dataclass(frozen=True)
class Doc:
    """One evaluation item: where it comes from, its text and its gold label."""

    key: str  # ANT relative path, seeds/<file>, snn:<zip>#<index>, jawharafm/<file>
    source: str  # ant | seed | snn | jawharafm
    title: str
    text: str
    label: str  # relation | mention | none (names at most one side)
    reason: str = ""
    split: str = "tune"  # tune | held-out (ANT only; other sources are always reported whole)


def split_of(title: str) -> str:
    """Deterministic split by normalised title, so same-title copies land together."""
    digest = hashlib.sha1(arabic.normalize(title).encode("utf-8")).hexdigest()
    return "held-out" if int(digest, 16) % 10 < 4 else "tune"


def read_labels(path: Path) -> dict[str, tuple[str, str]]:
    """Read a label TSV (comment lines start with '#'; first data row is the header)."""
    rows: dict[str, tuple[str, str]] = {}
    with path.open(encoding="utf-8") as fh:
        lines = [ln for ln in fh if ln.strip() and not ln.startswith("#")]
    for row in csv.reader(lines[1:], delimiter="\t", quoting=csv.QUOTE_NONE):
        key, label, reason = row[0], row[1], row[2] if len(row) > 2 else ""
        if label not in ("relation", "mention"):
            raise SystemExit(f"{path}: bad label {label!r} for {key}")
        rows[key] = (label, reason)
    return rows


def parse_ant(raw: str) -> tuple[str, str]:
    """Title and text of one ANT (TREC-like) document."""
    title = _TAG["TITLE"].search(raw)
    text = _TAG["TEXT"].search(raw)
    return (title.group(1).strip() if title else "", text.group(1).strip() if text else "")


def iter_ant(data: Path, only: set[str] | None = None) -> Iterator[tuple[str, str, str]]:
    """Stream (relative path, title, text) out of the ANT tarball without unpacking it."""
    with tarfile.open(data / ANT_TAR, mode="r|xz") as tar:
        for member in tar:
            if not member.isfile() or not member.name.endswith(".txt"):
                continue
            if only is not None and member.name not in only:
                continue
            fh = tar.extractfile(member)
            if fh is None:
                continue
            title, text = parse_ant(fh.read().decode("utf-8", errors="replace"))
            yield member.name, title, text


def labelled_docs(data: Path) -> list[Doc]:
    """Every labelled or by-construction item except the unlabelled bulk of ANT."""
    docs: list[Doc] = []
    ant_labels = read_labels(DEVSET / "relevance_labels.tsv")
    found = set()
    for path, title, text in iter_ant(data, only=set(ant_labels)):
        label, reason = ant_labels[path]
        docs.append(Doc(path, "ant", title, text, label, reason, split_of(title)))
        found.add(path)
    missing = set(ant_labels) - found
    if missing:
        raise SystemExit(
            f"{len(missing)} labelled ANT articles are not in the tarball, e.g. {min(missing)}"
        )
    docs.extend(seed_docs())
    snn_labels = read_labels(DEVSET / "saudinewsnet_labels.tsv")
    with (data / SNN_JSONL).open(encoding="utf-8") as fh:
        for line in fh:
            item = json.loads(line)
            key = f"{item['zip_file']}#{item['index']}"
            label, reason = snn_labels.get(key, ("none", "names one side only"))
            docs.append(Doc(f"snn:{key}", "snn", item["title"], item["content"], label, reason))
    for page in sorted((data / JAWHARA).rglob("*.txt")):
        title, text = parse_ant(page.read_text(encoding="utf-8"))
        rel = page.relative_to(data / JAWHARA)
        docs.append(Doc(f"jawharafm/{rel}", "jawharafm", title, text, "none", "sidebar only"))
    return docs


def seed_docs() -> list[Doc]:
    """The five seed articles (titles from seeds/seeds.toml when present)."""
    import tomllib

    titles: dict[str, str] = {}
    manifest = SEEDS_DIR / "seeds.toml"
    if manifest.exists():
        for entry in tomllib.loads(manifest.read_text(encoding="utf-8")).get("seeds", []):
            titles[entry.get("file", "")] = entry.get("title", "")
    docs = []
    for path in sorted(SEEDS_DIR.glob("[0-9][0-9][0-9]_*.txt")):
        text = path.read_text(encoding="utf-8")
        docs.append(Doc(f"seeds/{path.name}", "seed", titles.get(path.name, ""), text, "relation"))
    return docs


def score_set(results: list[tuple[Doc, float]], threshold: float, split: str | None) -> Scores:
    """Confusion counts for ANT items of ``split`` (None: all) plus seeds, SNN and jawharafm."""
    s = Scores()
    for doc, score in results:
        if doc.source == "ant" and split is not None and doc.split != split:
            continue
        s.add(doc.label == "relation", score >= threshold)
    return s


def best_threshold(results: list[tuple[Doc, float]], split: str) -> float:
    """Middle of the widest run of sweep thresholds that reach the best F1 on ``split``."""
    f1s = [round(score_set(results, t, split).f1, 6) for t in SWEEP]
    top = max(f1s)
    runs: list[list[float]] = []
    for t, f in zip(SWEEP, f1s, strict=True):
        if f == top:
            if runs and abs(runs[-1][-1] + 0.05 - t) < 1e-9:
                runs[-1].append(t)
            else:
                runs.append([t])
    widest = max(runs, key=len)
    return round(widest[len(widest) // 2], 2)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    ap.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    ap.add_argument("--quick", action="store_true", help="skip the 31k-article pass (cost, FPs)")
    args = ap.parse_args(argv)
    data: Path = args.data
    if not (data / ANT_TAR).exists():
        print(
            f"relevance_eval: the shared test data is absent ({data / ANT_TAR} not found);"
            " pass --data DIR pointing at the shared data folder.",
            file=sys.stderr,
        )
        return 2
    lex = load_lexicon()
    docs = labelled_docs(data)
    results = [
        (d, judge(d.title, d.text, lexicon=lex, threshold=args.threshold).score) for d in docs
    ]
    t = args.threshold

    by = {
        src: sum(1 for d in docs if d.source == src) for src in ("ant", "seed", "snn", "jawharafm")
    }
    ant = [d for d in docs if d.source == "ant"]
    print("== Dev set")
    relation = sum(d.label == "relation" for d in ant)
    tune = sum(d.split == "tune" for d in ant)
    print(
        f"ANT labelled: {len(ant)} (relation {relation}, mention {len(ant) - relation}); "
        f"tune {tune}, held-out {len(ant) - tune}"
    )
    print(
        f"seeds (positive): {by['seed']}; SaudiNewsNet NK articles (negative): {by['snn']}; "
        f"jawharafm pages (negative): {by['jawharafm']}"
    )

    print(f"\n== At threshold {t}")
    for name, split in (("tune", "tune"), ("held-out", "held-out"), ("all", None)):
        print(f"{name:9} {score_set(results, t, split).row()}")
    ant_only = Scores()
    for doc, score in results:
        if doc.source == "ant" and doc.split == "held-out":
            ant_only.add(doc.label == "relation", score >= t)
    print(f"held-out, ANT articles only: {ant_only.row()}")
    seeds_ok = [score >= t for d, score in results if d.source == "seed"]
    print(
        f"seeds on topic: {sum(seeds_ok)}/{len(seeds_ok)}; min seed score "
        f"{min(score for d, score in results if d.source == 'seed'):.3f}"
    )

    print("\n== Threshold sweep (tune | held-out | all)")
    print("thr    tune P/R/F1          held-out P/R/F1      all P/R/F1")
    for thr in SWEEP:
        cells = []
        for split in ("tune", "held-out", None):
            s = score_set(results, thr, split)
            cells.append(f"{s.precision:.2f}/{s.recall:.2f}/{s.f1:.2f}")
        print(f"{thr:.2f}   " + "     ".join(f"{c:16}" for c in cells))
    print(
        f"threshold with the best tune F1 (middle of the widest plateau): "
        f"{best_threshold(results, 'tune')}"
    )

    print("\n== Misjudged")
    for doc, score in sorted(results, key=lambda x: -x[1]):
        gold = doc.label == "relation"
        if gold == (score >= t):
            continue
        v = judge(doc.title, doc.text, lexicon=lex, threshold=t)
        kind = "FN" if gold else "FP"
        print(f"{kind} {score:.3f} [{doc.split if doc.source == 'ant' else doc.source}] {doc.key}")
        print(f"   title: {doc.title[:110]}")
        print(f"   matched: {', '.join(v.matched[:12])}")
        if doc.reason:
            print(f"   label: {doc.label}: {doc.reason}")

    print("\n== Closest calls (within 0.1 of the threshold)")
    for doc, score in sorted(results, key=lambda x: abs(x[1] - t)):
        if abs(score - t) >= 0.1:
            break
        side = "kept   " if score >= t else "dropped"
        print(f"{side} {score:.3f} {doc.label:8} {doc.key}  {doc.title[:70]}")

    if args.quick:
        return 0
    print("\n== All ANT articles (cost, false positives outside the labelled set)")
    labelled = {d.key for d in ant}
    times: list[float] = []
    extra_fp: list[tuple[str, str, float]] = []
    n = 0
    for path, title, text in iter_ant(data):
        t0 = time.perf_counter()
        v = judge(title, text, lexicon=lex, threshold=t)
        times.append(time.perf_counter() - t0)
        n += 1
        if v.on_topic and path not in labelled:
            extra_fp.append((path, title, v.score))
    times_us = sorted(x * 1e6 for x in times)
    print(f"articles judged: {n}; on topic outside the labelled set: {len(extra_fp)}")
    for path, title, score in extra_fp[:20]:
        print(f"   FP {score:.3f} {path}  {title[:90]}")
    print(
        f"cost per article: mean {statistics.fmean(times_us):.0f} µs, median "
        f"{times_us[len(times_us) // 2]:.0f} µs, p95 {times_us[int(len(times_us) * 0.95)]:.0f} µs, "
        f"max {times_us[-1]:.0f} µs; total {sum(times):.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

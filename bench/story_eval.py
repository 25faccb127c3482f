"""Story clustering, measured: pair precision, recall and F1 of ``monitor.judge.stories``.

Reads ``bench/devset/story_pairs.tsv`` (pairs labelled same / different, see
``bench/devset/story_README.md``), the seed corpus (``seeds/``) and the ANT corpus tarball in
``../shared/data`` (streamed, never unpacked). Seeds are compared without dates (theirs are
page headers, not publication dates); ANT articles with their RSS pubDate.

Pairs are split by a hash of the pair: ``sha1(a + b) % 10 < 4`` is held out, the rest tune.
The threshold was chosen on the tune split (the sweep below); held-out is reported apart.

    .venv/bin/python bench/story_eval.py [--data ../shared/data] [--errors]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
import sys
import tarfile
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from monitor.judge import stories  # noqa: E402
from monitor.judge.seeds import load_seeds  # noqa: E402

PAIRS = REPO / "bench" / "devset" / "story_pairs.tsv"
ANT_TAR = "corpora/ant-multisource/full_corpus_Alarabia_BBC_CNN_France24_SkyNews.tar.xz"
_TAG = {t: re.compile(f"<{t}>(.*?)</{t}>", re.S) for t in ("TITLE", "TEXT", "TIME")}


def read_pairs(path: Path = PAIRS) -> list[tuple[str, str, str, str]]:
    with path.open(encoding="utf-8") as fh:
        lines = [ln for ln in fh if ln.strip() and not ln.startswith("#")]
    rows = csv.reader(lines[1:], delimiter="\t", quoting=csv.QUOTE_NONE)
    return [(a, b, label, reason) for a, b, label, reason in rows]


def _when(raw: str) -> datetime | None:
    try:
        return parsedate_to_datetime(raw).astimezone(UTC)
    except (TypeError, ValueError, IndexError):
        return None


def load_terms(data: Path, keys: set[str]) -> dict[str, stories.StoryTerms]:
    """The story terms of every article named in the pairs."""
    out = {s.ref: stories.story_terms(s.title, s.text) for s in load_seeds() if s.ref in keys}
    with tarfile.open(data / ANT_TAR, mode="r|xz") as tar:
        for member in tar:
            name = member.name.removeprefix("./")
            if name not in keys or not member.isfile():
                continue
            fh = tar.extractfile(member)
            if fh is None:
                continue
            raw = fh.read().decode("utf-8", errors="replace")
            f = {t: (m.group(1).strip() if (m := r.search(raw)) else "") for t, r in _TAG.items()}
            out[name] = stories.story_terms(f["TITLE"], f["TEXT"], _when(f["TIME"]))
    missing = keys - out.keys()
    if missing:
        raise SystemExit(f"articles not found: {sorted(missing)[:5]}")
    return out


def split(a: str, b: str) -> str:
    return "held-out" if int(hashlib.sha1((a + b).encode()).hexdigest(), 16) % 10 < 4 else "tune"


def scores(judged: Sequence[tuple[bool, bool]]) -> tuple[float, float, float, int, int, int]:
    tp = sum(1 for gold, got in judged if gold and got)
    fp = sum(1 for gold, got in judged if not gold and got)
    fn = sum(1 for gold, got in judged if gold and not got)
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f1, tp, fp, fn


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--errors", action="store_true", help="list the misjudged pairs")
    parser.add_argument(
        "--split",
        choices=("tune", "held-out", "all"),
        default="tune",
        help="whose misjudged pairs --errors lists (tune: look at held-out errors only to report)",
    )
    args = parser.parse_args(argv)
    pairs = read_pairs()
    terms = load_terms(args.data, {k for a, b, _, _ in pairs for k in (a, b)})
    by_split: dict[str, list[tuple[str, str, str, str]]] = {"tune": [], "held-out": []}
    for p in pairs:
        by_split[split(p[0], p[1])].append(p)

    print(
        f"{len(pairs)} pairs ({sum(p[2] == 'same' for p in pairs)} same), "
        f"window {stories.WINDOW_DAYS} d, threshold {stories.THRESHOLD}"
    )
    print("threshold  tune P / R / F1        held-out P / R / F1")
    for t in (0.04, 0.05, 0.06, 0.08, 0.10, 0.12, 0.14, 0.16, 0.20, 0.25):
        cells = []
        for name in ("tune", "held-out"):
            j = [
                (lab == "same", stories.same_story(terms[a], terms[b], t))
                for a, b, lab, _ in by_split[name]
            ]
            p, r, f1, *_ = scores(j)
            cells.append(f"{p:.3f} / {r:.3f} / {f1:.3f}")
        mark = " <-" if t == stories.THRESHOLD else ""
        print(f"  {t:.2f}     {cells[0]}    {cells[1]}{mark}")
    for name in ("tune", "held-out", "all"):
        chosen = pairs if name == "all" else by_split[name]
        j = [(lab == "same", stories.same_story(terms[a], terms[b])) for a, b, lab, _ in chosen]
        p, r, f1, tp, fp, fn = scores(j)
        print(
            f"{name:9} pairs {len(chosen):4}: P {p:.3f}  R {r:.3f}  F1 {f1:.3f}"
            f"  (tp {tp}, fp {fp}, fn {fn})"
        )
    seeds = [s.ref for s in load_seeds()]
    grouped = stories.cluster([(ref, terms[ref]) for ref in seeds if ref in terms])
    print("seed stories:", {k.split(":")[1][:3]: v.split(":")[1][:3] for k, v in grouped.items()})
    if args.errors:
        for a, b, lab, reason in pairs:
            if args.split != "all" and split(a, b) != args.split:
                continue
            got = stories.same_story(terms[a], terms[b])
            if got != (lab == "same"):
                sim = stories.similarity(terms[a], terms[b])
                print(f"  {split(a, b):8} {lab:9} sim {sim:.3f}  {a}  {b}  {reason}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

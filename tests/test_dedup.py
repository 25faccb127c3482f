"""Near-duplicate detection (monitor/judge/dedup.py): the decisions asked for, on real text.

The alterations (other templates, shortened to 70%, new lead + headline prefix, re-spelled,
combinations) come from bench/dedup_eval.py, so the test and the measurement judge the same
copies; the thresholds were chosen on other material (ANT and SaudiNewsNet), which makes the
seed checks held-out. The thresholds themselves are guarded offline by golden pairs (copies of
a seed on either side of each threshold, tests/dedup_pairs.py) and by exact boundary cases, so
a fresh clone without ../shared notices when one moves.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import random
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import dedup_pairs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.judge import dedup, fingerprints
from monitor.judge.dedup import Candidate, Fingerprint, Similarity
from monitor.judge.seeds import Seed, load_seeds

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def dedup_eval() -> ModuleType:
    """bench/dedup_eval.py as a module (the bench folder is not a package)."""
    spec = importlib.util.spec_from_file_location("dedup_eval", REPO / "bench" / "dedup_eval.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["dedup_eval"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def seeds() -> list[Seed]:
    return load_seeds()


def found_by_index(copy: Fingerprint, original: Fingerprint) -> bool:
    """What store.sqlite.dedup_index.find_duplicate decides with only ``original`` indexed."""
    if copy.hashable and copy.text_hash == original.text_hash:
        return True
    if not (copy.judgeable and original.judgeable) or set(copy.bands).isdisjoint(original.bands):
        return False
    return dedup.is_near_duplicate(dedup.compare(copy, original.shingle_set))


# --------------------------------------------------------------------------------------------
# The seed corpus
# --------------------------------------------------------------------------------------------


def test_every_altered_copy_of_every_seed_is_found(
    seeds: list[Seed], dedup_eval: ModuleType
) -> None:
    kinds_seen = set()
    for n, seed in enumerate(seeds):
        original = dedup.fingerprint(seed.title, seed.text)
        for kind, title, text in dedup_eval.altered_copies(seed.title, seed.text, seed=n):
            kinds_seen.add(kind.split(":")[0])
            copy = dedup.fingerprint(title, text)
            sim = dedup.compare(copy, original.shingle_set)
            assert found_by_index(copy, original), (seed.id, kind, sim)
    assert kinds_seen == {
        "template",
        "shortened-70",
        "new-lead+prefix",
        "respelled",
        "template+shortened+respelled",
        "shortened+new-lead+respelled",
        "template+new-lead+prefix",
    }


def test_the_five_seeds_stay_apart(seeds: list[Seed]) -> None:
    """000 and 004 report 001's event (the Vostochny summit) yet are different articles."""
    prints = {s.id: dedup.fingerprint(s.title, s.text) for s in seeds}
    for a, b in itertools.permutations(prints, 2):
        sim = dedup.compare(prints[a], prints[b].shingle_set)
        assert prints[a].text_hash != prints[b].text_hash
        assert not dedup.is_near_duplicate(sim), (a, b, sim)
        assert sim.containment < 0.15, (a, b, sim)  # far from the 0.45 floor, not just under it


def test_respelling_folds_to_the_same_text(seeds: list[Seed], dedup_eval: ModuleType) -> None:
    names = dedup_eval.respell("بيونغ يانغ وكيم جونغ أون وبوتين وشويغو", random.Random(0))
    for variant in ("بيونج يانج", "كيم يونغ", "بوتن", "شويجو"):
        assert variant in names
    seed = seeds[2]  # names Pyongyang, Kim, Putin and Shoigu
    respelled = dedup_eval.respell(seed.text, random.Random(1))
    assert "شويجو" in respelled and "\u064e" in respelled and respelled != seed.text
    assert dedup.fingerprint(seed.title, respelled).text_hash == (
        dedup.fingerprint(seed.title, seed.text).text_hash
    )


# --------------------------------------------------------------------------------------------
# The measure
# --------------------------------------------------------------------------------------------


def body(seed: Seed) -> str:
    """The seed's paragraphs: no page furniture, no headline line."""
    return "\n".join(
        line
        for line in seed.text.splitlines()
        if len(line.split()) > 8 and line.strip() != seed.title
    )


def test_containment_catches_a_70_percent_truncation(
    seeds: list[Seed], dedup_eval: ModuleType
) -> None:
    text = body(seeds[3])
    sim = dedup.similarity(dedup_eval.truncate(text, 0.7), text)
    assert sim.containment > 0.99  # everything the short copy says is in the original
    assert 0.6 < sim.jaccard < 0.75  # what Jaccard alone would have to be lowered to
    assert dedup.is_near_duplicate(sim)


def test_containment_catches_an_extension(seeds: list[Seed], dedup_eval: ModuleType) -> None:
    """A republication with a new lead and a closing paragraph: most of it is the original."""
    original = body(seeds[1])
    lead, closing = dedup_eval.LEADS[0], dedup_eval.LEADS[2]
    extended = f"{lead}\n\n{original}\n\n{closing}"
    sim = dedup.similarity(extended, original)
    assert sim.coverage > 0.99 and 0.85 < sim.containment < 1.0
    assert dedup.is_near_duplicate(sim)


def test_a_new_story_around_an_old_one_is_not_its_duplicate(seeds: list[Seed]) -> None:
    """A follow-up that quotes an old article as background brings a long new passage: it is
    new, although all of the old article is inside it (containment is directional)."""
    old = "\n".join(body(seeds[1]).splitlines()[:3])
    follow_up = body(seeds[2]) + "\n\n" + old
    assert dedup.similarity(old, follow_up).containment > 0.95  # old inside new ...
    sim = dedup.similarity(follow_up, old)  # ... but judged as the newcomer, it is news
    assert sim.containment < 0.45 and sim.novel_run > 100
    assert not dedup.is_near_duplicate(sim)


def test_scattered_edits_pass_at_lower_containment() -> None:
    """An agency copy edited word by word keeps no long new passage: the edited-copy tier."""
    words = [f"كلمة{i}" for i in range(200)]
    edited = list(words)
    for i in range(0, 200, 4):  # every fourth word replaced: half the bigrams change
        edited[i] = f"بديل{i}"
    sim = dedup.similarity(" ".join(edited), " ".join(words))
    assert dedup.EDITED_CONTAINMENT_THRESHOLD <= sim.containment < dedup.CONTAINMENT_THRESHOLD
    assert sim.novel_run <= 2
    assert dedup.is_near_duplicate(sim)
    block = words[:100] + [f"جديد{i}" for i in range(100)]  # the same share of new text, in
    sim = dedup.similarity(" ".join(block), " ".join(words))  # one block: a new passage
    assert sim.containment < dedup.CONTAINMENT_THRESHOLD and sim.novel_run > 50
    assert not dedup.is_near_duplicate(sim)


def test_similarity_of_nothing_is_nothing() -> None:
    assert dedup.similarity("", "نص ما") == Similarity(0.0, 0.0, 0.0, 0)
    assert not dedup.is_near_duplicate(dedup.similarity("نص ما", ""))


# --------------------------------------------------------------------------------------------
# The thresholds: golden pairs and exact boundaries (offline)
# --------------------------------------------------------------------------------------------

# name -> (containment, jaccard, novel run) of the copy (tests/dedup_pairs.py) against seed 001.
# Pinned: a change to tokens, shingles or extraction moves them (re-pin only if intended, and
# check that each copy still sits on the side of its threshold its name says).
GOLDEN_PAIRS = {
    "new-passage-0.62": (0.6213, 0.6177, 46),
    "new-passage-0.58": (0.5833, 0.5801, 46),
    "edited-0.47": (0.4730, 0.2890, 3),
    "edited-0.44": (0.4415, 0.2621, 5),
    "edited-run-15": (0.4635, 0.2855, 15),
    "edited-run-16": (0.4629, 0.2852, 16),
}


def test_golden_pairs_straddle_every_threshold() -> None:
    """The thresholds the pairs were built around (monitor/judge/dedup.py's docstring): moving
    one of them must be a decision, taken with the dev sets, not an accident."""
    assert dedup.CONTAINMENT_THRESHOLD == 0.60
    assert dedup.EDITED_CONTAINMENT_THRESHOLD == 0.45
    assert dedup.MAX_NOVEL_RUN == 15
    assert set(GOLDEN_PAIRS) == set(dedup_pairs.PAIRS)


@pytest.mark.parametrize("name", sorted(GOLDEN_PAIRS))
def test_golden_pair(name: str) -> None:
    """A copy of seed 001, served by the fixture site and extracted, just on one side of one
    threshold: is_near_duplicate, and the index's decision, say what its name says."""
    original = dedup_pairs.original()
    copy = dedup_pairs.copy_fingerprint(name)
    sim = dedup.compare(copy, original.shingle_set)
    measured = (round(sim.containment, 4), round(sim.jaccard, 4), sim.novel_run)
    assert measured == GOLDEN_PAIRS[name], sim
    duplicate = dedup_pairs.PAIRS[name][1]
    assert dedup.is_near_duplicate(sim) is duplicate, sim
    assert found_by_index(copy, original) is duplicate
    if not duplicate:  # not for want of a candidate: the index offers it, the measure refuses
        assert not set(copy.bands).isdisjoint(original.bands)


def sequence(common: int, runs: list[int]) -> list[int]:
    """A new text's shingle sequence: `common` shingles of the stored set (0..999), spread
    between runs of new shingles (10000 and up) of the lengths given."""
    chunks = [list(range(i, common, len(runs))) for i in range(len(runs))]
    out: list[int] = []
    fresh = 10_000
    for chunk, run in zip(chunks, runs, strict=True):
        out += chunk + list(range(fresh, fresh + run))
        fresh += run
    return out


@pytest.mark.parametrize(
    ("common", "runs", "duplicate"),
    [
        (60, [40], True),  # containment exactly 0.60, one long new passage
        (59, [41], False),  # 0.59
        (45, [11] * 5, True),  # exactly 0.45, new shingles in runs of 11
        (44, [11, 11, 11, 11, 12], False),  # 0.44
        (50, [15, 15, 15, 5], True),  # 0.50, longest new run exactly 15
        (50, [16, 16, 16, 2], False),  # 0.50, longest new run 16
    ],
    ids=["c0.60", "c0.59", "c0.45-short-runs", "c0.44-short-runs", "run15", "run16"],
)
def test_threshold_boundaries_are_inclusive(common: int, runs: list[int], duplicate: bool) -> None:
    sim = dedup.compare(sequence(common, runs), frozenset(range(1000)))
    assert sim.containment == common / 100 and sim.novel_run == max(runs)
    assert dedup.is_near_duplicate(sim) is duplicate, sim


# --------------------------------------------------------------------------------------------
# The declared original (rel=canonical / og:url)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hint", "page", "declared"),
    [
        ("https://e.org/news/1", "https://e.org/news/1-updated", "https://e.org/news/1"),
        ("https://e.org/news/1?utm_source=x", "https://m.e.org/n/1", "https://e.org/news/1"),
        ("https://e.org/news/1", "https://e.org/news/1#top", None),  # the page itself
        ("https://e.org/news/1", "https://e.org/amp/news/1", None),  # its canonical URL too
        ("https://other.org/news/1", "https://e.org/news/1", None),  # another site
        ("https://e.org/", "https://e.org/news/2", None),  # every page points home
        ("https://e.org", "https://e.org/news/2", None),
        (None, "https://e.org/news/2", None),
        ("", "https://e.org/news/2", None),
    ],
    ids=[
        "re-slugged",
        "mobile-tracking",
        "itself",
        "amp",
        "other-site",
        "homepage",
        "bare-host",
        "none",
        "empty",
    ],
)
def test_declared_original(hint: str | None, page: str, declared: str | None) -> None:
    assert dedup.declared_original(hint, page) == declared


def test_the_declared_original_wins_over_what_the_texts_say() -> None:
    far = Similarity(0.1, 0.2, 0.1, 80)  # the texts alone: a new story
    declared = Candidate("https://e.org/news/1", "https://e.org/news/0", far)
    indexed = Candidate("seed:001", "seed:001", Similarity(0.9, 1.0, 0.9, 0), exact=True)
    match = dedup.decide(declared, indexed)
    assert match is not None
    assert (match.doc, match.similarity, match.exact) == ("https://e.org/news/0", 0.2, False)
    assert dedup.decide(None, indexed) == dedup.DuplicateMatch("seed:001", 1.0, True)
    assert dedup.decide(None, None) is None


# --------------------------------------------------------------------------------------------
# Fingerprints
# --------------------------------------------------------------------------------------------


def test_headline_prefix_and_repeated_headline_do_not_change_the_fingerprint(
    seeds: list[Seed],
) -> None:
    seed = seeds[3]
    plain = dedup.fingerprint(seed.title, body(seed))
    assert dedup.fingerprint("عاجل | " + seed.title, body(seed)) == plain
    assert dedup.fingerprint(seed.title, seed.title + "\n" + body(seed)) == plain


def test_transliteration_variants_fold() -> None:
    one = (
        "وصل الرئيس الروسي فلاديمير بوتين إلى بيونغ يانغ حيث استقبله الزعيم الكوري الشمالي كيم جونغ"
        " أون، وشارك وزير الدفاع السابق سيرغي شويغو في المحادثات التي تناولت التعاون العسكري."
    )
    other = (
        "وصل الرئيس الروسى فلاديمير بوتن إلى بيونج يانج حيث استقبله الزعيم الكورى الشمالى كيم يونغ"
        " أون، وشارك وزير الدفاع السابق سيرغى شويجو فى المحادثات التى تناولت التعاون العسكرى."
    )
    assert dedup.fingerprint("", one) == dedup.fingerprint("", other)


def test_short_texts_match_only_exactly_and_only_under_the_same_headline() -> None:
    caption = "شاهد لحظة وصول الوفد الروسي إلى المطار"
    a = dedup.fingerprint("وفد روسي يصل بيونغ يانغ", caption)
    assert a.hashable and not a.judgeable and 0 < a.token_count < dedup.MIN_TOKENS
    assert dedup.fingerprint("وفد روسي يصل بيونغ يانغ", caption).text_hash == a.text_hash
    assert dedup.fingerprint("عنوان آخر تماما", caption).text_hash != a.text_hash
    empty = dedup.fingerprint("كاريكاتير", " ")
    assert not empty.hashable and not empty.judgeable and empty.shingle_count == 0


def test_fingerprint_is_stable_across_processes(seeds: list[Seed]) -> None:
    """No Python hash() anywhere: another process with another hash seed agrees bit for bit."""
    seed = seeds[2]
    here = dedup.fingerprint(seed.title, seed.text)
    code = (
        "from monitor.judge import dedup; from monitor.judge.seeds import load_seeds;"
        "s = load_seeds()[2]; f = dedup.fingerprint(s.title, s.text);"
        "print(f.text_hash, *f.bands, *f.signature, sum(f.sequence))"
    )
    expected = " ".join(
        map(str, (here.text_hash, *here.bands, *here.signature, sum(here.sequence)))
    )
    for hash_seed in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-c", code],
            cwd=REPO,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            check=True,
            capture_output=True,
            text=True,
        )
        assert out.stdout.strip() == expected


def test_fingerprint_golden_values() -> None:
    """Pinned: changing tokenisation, shingling, MinHash or banding changes these. If that was
    intended, bump dedup.FINGERPRINT_VERSION (stored fingerprints must be rebuilt) and re-pin."""
    fp = dedup.fingerprint("", GOLDEN_TEXT)
    assert fp.judgeable
    assert fp.text_hash[:16] == "128888c3233165e6"
    assert fp.bands[:3] == (4767602320178769330, 1166641243473385567, 6021459299029501856)
    assert dedup.FINGERPRINT_VERSION == 1


GOLDEN_TEXT = (
    "زار وزير الخارجية الروسي سيرغي لافروف العاصمة الكورية الشمالية بيونغ يانغ في أول زيارة من"
    " نوعها منذ سنوات، والتقى الزعيم كيم جونغ أون وبحث معه العلاقات الثنائية والوضع في شبه الجزيرة"
)


def test_fingerprint_shape(seeds: list[Seed]) -> None:
    fp = dedup.fingerprint(seeds[0].title, seeds[0].text)
    assert len(fp.signature) == dedup.NUM_PERM and len(fp.bands) == dedup.BANDS
    assert all(-(2**63) <= k < 2**63 for k in fp.bands)  # SQLite INTEGER
    assert fp.shingle_count == len(fp.shingle_set) <= len(fp.sequence) == fp.token_count - 1
    assert dedup.unpack_shingles(dedup.pack_shingles(fp.sequence)) == fp.shingle_set
    assert all(0 <= s < 2**32 for s in fp.shingle_set)


def test_minhash_agreement_tracks_jaccard() -> None:
    """Signature positions agree about as often as the sets' Jaccard similarity says."""
    rng = random.Random(42)
    for jaccard in (0.2, 0.5, 0.8):
        common = [rng.getrandbits(32) for _ in range(int(400 * jaccard))]
        a = set(common + [rng.getrandbits(32) for _ in range(200 - len(common) // 2)])
        b = set(common + [rng.getrandbits(32) for _ in range(200 - len(common) // 2)])
        true = len(a & b) / len(a | b)
        agree = sum(x == y for x, y in zip(dedup.signature(a), dedup.signature(b), strict=True))
        assert abs(agree / dedup.NUM_PERM - true) < 0.12, (jaccard, true, agree)


def test_signature_needs_a_power_of_two() -> None:
    with pytest.raises(ValueError, match="power of two"):
        dedup.signature({1, 2, 3}, num_perm=100)


# The hashing works on many values at once, packed in one int (fingerprints._lanes): these
# hold it to the definition, one value at a time, as the fingerprints in stored indexes were
# made. Written out here rather than imported, so that a change to the module cannot move
# both sides.
_M64 = (1 << 64) - 1


def _mix64_by_definition(x: int) -> int:
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


def _shingles_by_definition(words: list[str], size: int) -> list[int]:
    hashes = [fingerprints._hash_token(w) for w in words]
    if not hashes:
        return []
    size = min(size, len(hashes))
    out = []
    for i in range(len(hashes) - size + 1):
        h = 0
        for value in hashes[i : i + size]:
            h = (h * 0x9E3779B97F4A7C15 + value) & _M64
        out.append(_mix64_by_definition(h) >> 32)
    return out


def _band_keys_by_definition(sig: tuple[int, ...], bands: int, rows: int) -> tuple[int, ...]:
    keys = []
    for band in range(bands):
        h = (0x6C73682D62616E64 * (band + 1)) & _M64
        for v in sig[band * rows : (band + 1) * rows]:
            h = (h * 0x9E3779B97F4A7C15 + v) & _M64
        h = _mix64_by_definition(h)
        keys.append(h - (1 << 64) if h >= 1 << 63 else h)
    return tuple(keys)


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(st.sampled_from(["روسيا", "كوريا", "الشماليه", "x", "٢٠٢٤", "ال", "بوتين"])),
    size=st.integers(1, 4),
)
def test_shingles_are_their_definition(words: list[str], size: int) -> None:
    assert fingerprints.shingle_sequence(words, size) == _shingles_by_definition(words, size)


_EDGE_64 = st.one_of(st.sampled_from([0, 1, (1 << 63) - 1, 1 << 63, _M64]), st.integers(0, _M64))


@settings(max_examples=300, deadline=None)
@given(data=st.data(), bands=st.integers(1, 50), rows=st.integers(1, 4))
def test_band_keys_are_their_definition(data: st.DataObject, bands: int, rows: int) -> None:
    # mostly long enough for every band (the packed path), sometimes short (the last bands
    # have fewer rows or none)
    need = bands * rows
    length = data.draw(st.one_of(st.integers(need, need + 8), st.integers(0, need)))
    sig = tuple(data.draw(st.lists(_EDGE_64, min_size=length, max_size=length)))
    expected = _band_keys_by_definition(sig, bands, rows)
    assert fingerprints.band_keys(sig, bands, rows) == expected


def test_band_keys_of_real_signatures_are_their_definition() -> None:
    """The shipped shape (42 bands of 3 rows of a 128-value signature), over real texts."""
    for seed in load_seeds():
        sig = dedup.fingerprint(seed.title, seed.text).signature
        assert len(sig) == dedup.NUM_PERM
        assert fingerprints.band_keys(sig) == _band_keys_by_definition(sig, dedup.BANDS, dedup.ROWS)


# --------------------------------------------------------------------------------------------
# The dev sets (../shared/data)
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_dev_set_precision_and_recall(
    shared_data: Path, dedup_eval: ModuleType, summary_lines: dict[str, list[str]]
) -> None:
    """The figures bench/dedup_eval.py reports, as floors (see bench/devset/dedup_README.md)."""
    pairs, *_ = dedup_eval.build_pairs(shared_data, quick=True)
    judge = dedup_eval.Judge()
    scores = dedup_eval.score([(p, judge.pair(p)) for p in pairs], dedup_eval.Thresholds())
    lines = summary_lines.setdefault("dedup dev sets (bench/dedup_eval.py)", [])
    for name in (*dedup_eval.TUNE_SETS, "tune", *dedup_eval.HELD_OUT_SETS, "held-out"):
        lines.append(f"{name:22s} {scores[name].row()}")
    held_out = scores["held-out"]
    assert held_out.tp > 0 and held_out.tn > 0, held_out.row()
    assert held_out.fp == 0 and held_out.fn == 0, held_out.row()
    # set: (precision floor, recall floor). A set without negatives cannot show a false
    # positive (its precision is 1.0 whatever dedup does), one without positives cannot
    # miss one (recall 1.0): such a set has no floor on that side, and its make-up is checked
    # so that a floor never stands over nothing.
    floors: dict[str, tuple[float | None, float | None]] = {
        "tune": (0.98, 0.97),
        "ant_updated": (None, 0.98),  # same URL, changed text: all duplicates
        "ant_same_title": (0.99, 0.99),
        "ant_same_day_nk": (0.78, 0.80),
        "snn": (0.98, 0.95),
        "ant_altered": (None, 1.0),  # altered copies: all duplicates
        "ant_random": (1.0, None),  # random pairs: no duplicate, so no false positive
    }
    for name, (precision, recall) in floors.items():
        s = scores[name]
        assert (s.fp + s.tn > 0) is (precision is not None), (name, "negatives", s.row())
        assert (s.tp + s.fn > 0) is (recall is not None), (name, "positives", s.row())
        if precision is not None:
            assert s.precision >= precision, (name, s.row())
        if recall is not None:
            assert s.recall >= recall, (name, s.row())


def _signature_by_definition(shingle_set: set[int], num_perm: int = 128) -> tuple[int, ...]:
    shift = 64 - (num_perm.bit_length() - 1)
    least: dict[int, int] = {}
    for s in shingle_set:
        h = (s * 0xBF58476D1CE4E5B9 + 0x7261736164) & _M64
        b, rest = h >> shift, h & ((1 << shift) - 1)
        least[b] = min(rest, least.get(b, rest))
    if not least:
        return (0,) * num_perm
    probes = fingerprints._probe_table(num_perm)
    return tuple(
        least[i] if i in least else least[next(j for j in probes[i] if j in least)]
        for i in range(num_perm)
    )


@settings(max_examples=200, deadline=None)
@given(st.sets(st.integers(0, 2**32 - 1), max_size=400), st.sampled_from([2, 16, 128]))
def test_signature_is_its_definition(shingle_set: set[int], num_perm: int) -> None:
    # few shingles leave most bins empty: each borrows along its probe sequence
    expected = _signature_by_definition(shingle_set, num_perm)
    assert fingerprints.signature(shingle_set, num_perm) == expected

"""Fingerprints of article texts: what dedup keeps of a text to find its copies and verify them.

The steps (why each is there: ``monitor.judge.dedup``): normalised body tokens, word shingles
hashed to 32 bits, a MinHash signature of the shingle set cut into LSH band keys, and the text's
SHA-256 for exact copies. The store indexes band keys and shingle sets
(``store/sqlite/dedup_index.py``); the decision on a candidate is ``monitor.judge.dedup``'s.

MinHash flavour: one-permutation hashing with optimal densification (Li, Owen & Zhang 2012;
Shrivastava 2017). Each shingle is hashed once into one of :data:`NUM_PERM` bins, a bin keeps
its minimum, an empty bin borrows from the first non-empty bin along a fixed pseudo-random
probe sequence. Two signatures still agree at a position with probability J, but the cost is
one hash per shingle instead of one per shingle and permutation: ~50 µs instead of ~5 ms in
pure Python, which makes a 30k-article backfill and a million-fingerprint bench practical
without numpy.

Deterministic across processes and machines: hashes come from BLAKE2b and fixed arithmetic,
never from Python's randomised ``hash()``. Changing any parameter below changes fingerprints:
bump :data:`FINGERPRINT_VERSION` and rebuild the index.

The parameters were chosen by measurement (``bench/dedup_eval.py``; the labelled pairs are
described in ``bench/devset/dedup_README.md``):

* ``SHINGLE_SIZE = 2``: word bigrams survive the word-level edits outlets make to agency copy
  better than trigrams: tune-set macro-F1 0.964 vs 0.961 for trigrams at their best thresholds,
  recall on same-day re-headlined agency copies 0.84 vs 0.74 (precision 0.81 vs 0.85). The five
  seeds stay far apart either way (largest pairwise containment 0.08).
* ``BANDS x ROWS = 42 x 3`` of 128: a pair at J = 0.5 is found with probability 0.996, at
  J = 0.4 0.94, at J = 0.3 0.68. Unrelated articles (J ~ 0.01-0.05) collide rarely: 0.24 false
  candidates per query among the 31k ANT articles. Two rows per band would find 99.9% at
  J = 0.3 but at ~300 false candidates per query at a million; four rows lose 4% of the
  labelled duplicates. What LSH cannot see are short copies of much longer articles (J < 0.2).
"""

from __future__ import annotations

import hashlib
import random
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from monitor.text import arabic
from monitor.text.memo import Memo

__all__ = [
    "BANDS",
    "FINGERPRINT_VERSION",
    "MIN_TOKENS",
    "NUM_PERM",
    "ROWS",
    "SHINGLE_SIZE",
    "Fingerprint",
    "band_keys",
    "body_tokens",
    "fingerprint",
    "pack_shingles",
    "shingle_sequence",
    "shingles",
    "signature",
    "unpack_shingles",
]

#: Words per shingle.
SHINGLE_SIZE: Final = 2
#: MinHash signature length (one-permutation bins; a power of two).
NUM_PERM: Final = 128
#: LSH banding of the signature: BANDS bands of ROWS values each (BANDS * ROWS <= NUM_PERM).
BANDS: Final = 42
ROWS: Final = 3
#: Shorter texts are never near-duplicates, only exact copies under the same headline.
MIN_TOKENS: Final = 20
#: Version of everything that shapes a fingerprint (normaliser aside): bump on any change.
FINGERPRINT_VERSION: Final = 1

_MASK64: Final = (1 << 64) - 1
# Odd 64-bit constants: the golden ratio and SplitMix64's multipliers.
_GOLDEN: Final = 0x9E3779B97F4A7C15
_MIX1: Final = 0xBF58476D1CE4E5B9
_MIX2: Final = 0x94D049BB133111EB
_SEED: Final = 0x7261736164  # "rasad": salts the MinHash permutation


def _mix64(x: int) -> int:
    """SplitMix64's finaliser: a bijection on 64-bit ints that spreads every input bit."""
    x = ((x ^ (x >> 30)) * _MIX1) & _MASK64
    x = ((x ^ (x >> 27)) * _MIX2) & _MASK64
    return x ^ (x >> 31)


# --------------------------------------------------------------------------------------------
# Many 64-bit values in one int
# --------------------------------------------------------------------------------------------

# The hashing below is a few 64-bit multiplies, shifts and XORs a value, and Python pays for
# each as an int object: most of shingling's time went on it. Laid out 128 bits apart in one big
# int (a "lane" each: the value and 64 bits of headroom), hundreds of values take each step as
# one C-level operation on the whole int: a product with a 64-bit constant fits its lane, a
# shift's spill into the next lane is masked off. The same arithmetic, so the same values
# (tests/test_dedup.py holds them equal to the one-value-at-a-time definition); shingling
# 0.15 -> 0.06 ms and band keys 0.03 -> 0.015 ms for an article (of ~300 tokens). Below a few
# steps a value (the signature's one multiply-add) packing costs more than it saves.
_LANE: Final = 128
_LANE_BYTES: Final = _LANE // 8
_LOW64: Final = b"\xff" * 8 + b"\x00" * 8  # one lane's mask, little-endian


def _lanes(values: Iterable[int], count: int) -> int:
    """`count` values (each below 2**64) as one int, value k in bits 128k .. 128k+63."""
    packed = array("Q", bytes(_LANE_BYTES * count))
    packed[::2] = array("Q", values)
    if _BIG_ENDIAN:  # pragma: no cover - no big-endian platform in sight
        packed.byteswap()
    return int.from_bytes(packed.tobytes(), "little")


def _unlanes(lanes: int, count: int) -> array[int]:
    """The low 64 bits of each of the first `count` lanes (whose high bits must be clear)."""
    packed = array("Q")
    packed.frombytes(lanes.to_bytes(_LANE_BYTES * count, "little"))
    if _BIG_ENDIAN:  # pragma: no cover
        packed.byteswap()
    return packed[::2]


def _every_lane(lane: bytes, count: int) -> int:
    """A 16-byte lane pattern (a mask or a constant) repeated over `count` lanes."""
    return int.from_bytes(lane * count, "little")


def _mix64_lanes(x: int, low: int) -> int:
    """`_mix64` of every lane of `x` (lanes below 2**64; `low` masks `count` lanes to 64 bits)."""
    x = (((x ^ (x >> 30)) & low) * _MIX1) & low
    x = (((x ^ (x >> 27)) & low) * _MIX2) & low
    return (x ^ (x >> 31)) & low


# --------------------------------------------------------------------------------------------
# Tokens and shingles
# --------------------------------------------------------------------------------------------


def _hash_token(token: str) -> int:
    """A 64-bit hash of one normalised token (BLAKE2b: stable across processes)."""
    digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8, person=b"rasad-tk")
    return int.from_bytes(digest.digest(), "little")


# Memoised (monitor.text.memo): news vocabulary is Zipfian, almost every token is one lookup.
_TOKEN_HASH: Memo[str, int] = Memo(_hash_token)
_token_hash = _TOKEN_HASH.__getitem__


def body_tokens(title: str, text: str) -> list[str]:
    """The normalised tokens that are fingerprinted: the body, without a repeated headline."""
    words = list(arabic.reading(text).tokens)  # a copy: the reading is shared
    if title:
        head = arabic.reading(title).tokens
        if head and words[: len(head)] == head:
            del words[: len(head)]
    return words


def shingle_sequence(words: Sequence[str], size: int = SHINGLE_SIZE) -> list[int]:
    """32-bit hashes of every run of ``size`` consecutive tokens, in text order.

    A text shorter than ``size`` tokens has one shingle, the whole text, so it is not empty.
    Token hashes are already uniform 64-bit values: combining them takes one multiply-add, and
    one SplitMix64 finaliser per shingle (over every shingle at once: see `_lanes`).
    """
    hashes = list(map(_token_hash, words))
    if not hashes:
        return []
    size = min(size, len(hashes))
    count = len(hashes) - size + 1
    low = _every_lane(_LOW64, count)
    if size <= 2:  # one lane a token; a pair is its lane times _GOLDEN plus the next lane
        packed = _lanes(hashes, len(hashes))
        combined = packed if size == 1 else packed * _GOLDEN + (packed >> _LANE)
    else:
        chained = []
        for i in range(count):
            h = 0
            for value in hashes[i : i + size]:
                h = (h * _GOLDEN + value) & _MASK64
            chained.append(h)
        combined = _lanes(chained, count)
    # the SplitMix64 finaliser, then its top 32 bits (the lanes' high halves are clear, so
    # the 64-bit mask also drops what the shift brings down from the next lane)
    return list(_unlanes((_mix64_lanes(combined & low, low) >> 32) & low, count))


def shingles(text: str, size: int = SHINGLE_SIZE) -> set[int]:
    """The shingle set of a text."""
    return set(shingle_sequence(arabic.tokens(text), size))


# --------------------------------------------------------------------------------------------
# MinHash (one permutation, densified) and LSH band keys
# --------------------------------------------------------------------------------------------


def _probe_table(bins: int) -> list[list[int]]:
    """For each bin, a fixed pseudo-random order of the other bins (the densification probes)."""
    rng = random.Random(f"rasad-densify-{bins}")
    table = []
    for i in range(bins):
        others = [j for j in range(bins) if j != i]
        rng.shuffle(others)
        table.append(others)
    return table


_PROBES: dict[int, list[list[int]]] = {}
_EMPTY: Final = 1 << 64


def signature(shingle_set: Iterable[int], num_perm: int = NUM_PERM) -> tuple[int, ...]:
    """One-permutation MinHash of a shingle set, densified; ``num_perm`` must be a power of 2.

    Position i of two signatures agrees with probability equal to the sets' Jaccard
    similarity. The empty set has an all-zero signature (it is never indexed). Shingles are
    already uniform hashes, so an affine bijection modulo 2**64 serves as the permutation: its
    top bits choose the bin, the rest orders shingles within the bin.
    """
    if num_perm < 2 or num_perm & (num_perm - 1):
        raise ValueError(f"num_perm must be a power of two, not {num_perm}")
    shift = 64 - (num_perm.bit_length() - 1)
    low = (1 << shift) - 1
    # A bin is the top bits of the permuted value and the rest orders within it, so in
    # descending order the last value written to a bin is its least (a dict comprehension in
    # place of a Python loop with a comparison a shingle)
    permuted = sorted([(s * _MIX1 + _SEED) & _MASK64 for s in shingle_set], reverse=True)
    least = {h >> shift: h & low for h in permuted}
    bins = [least.get(b, _EMPTY) for b in range(num_perm)]
    if _EMPTY in bins:
        if min(bins) == _EMPTY:
            return (0,) * num_perm
        probes = _PROBES.get(num_perm)
        if probes is None:
            probes = _PROBES[num_perm] = _probe_table(num_perm)
        # an empty bin borrows from the first bin along its probes that was filled by a
        # shingle (never from one that borrowed); a plain loop a bin, not a generator
        filled = list(bins)
        for i, v in enumerate(bins):
            if v == _EMPTY:
                for j in probes[i]:
                    if bins[j] != _EMPTY:
                        filled[i] = bins[j]
                        break
        bins = filled
    return tuple(bins)


def band_keys(sig: Sequence[int], bands: int = BANDS, rows: int = ROWS) -> tuple[int, ...]:
    """One signed 64-bit key per band; the band number is mixed in, so one column holds all.

    A band's key is `_mix64` of its rows chained as ``h = h * _GOLDEN + v`` (mod 2**64) from
    the band's salt, which unrolls to ``salt * G**rows + v0 * G**(rows-1) + ... + v_last``:
    every band at once, one lane a band (see `_lanes`)."""
    if len(sig) < bands * rows:  # a short signature: its last bands have fewer rows
        return _band_keys_one_by_one(sig, bands, rows)
    mask = _every_lane(_LOW64, bands)
    chained = _band_salts(bands, rows)
    for row in range(rows):
        column = _lanes(sig[row : bands * rows : rows], bands)
        power = pow(_GOLDEN, rows - 1 - row, 1 << 64)
        chained += (column * power) & mask if power != 1 else column
    keys = _unlanes(_mix64_lanes(chained & mask, mask), bands)
    return tuple(array("q", keys.tobytes()))  # the same 64 bits, read as signed


def _band_salts(bands: int, rows: int) -> int:
    """Each band's salt times G**rows (mod 2**64), one lane a band."""
    found = _SALTS.get((bands, rows))
    if found is None:
        power = pow(_GOLDEN, rows, 1 << 64)
        salts = [(((_BAND_SALT * (band + 1)) & _MASK64) * power) & _MASK64 for band in range(bands)]
        found = _SALTS[bands, rows] = _lanes(salts, bands)
    return found


def _band_keys_one_by_one(sig: Sequence[int], bands: int, rows: int) -> tuple[int, ...]:
    keys = []
    for band in range(bands):
        h = (_BAND_SALT * (band + 1)) & _MASK64
        for v in sig[band * rows : (band + 1) * rows]:
            h = (h * _GOLDEN + v) & _MASK64
        h = _mix64(h)
        keys.append(h - (1 << 64) if h >= 1 << 63 else h)
    return tuple(keys)


_SALTS: dict[tuple[int, int], int] = {}
_BAND_SALT: Final = 0x6C73682D62616E64  # "lsh-band"


# --------------------------------------------------------------------------------------------
# Fingerprints
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fingerprint:
    """What dedup keeps of one text: enough to find it and to verify a match without the text.

    ``sequence`` (shingles in text order) serves when this text is the newcomer (its novel
    run is measured along it); the index stores only the shingle set, 4 bytes a shingle.
    """

    text_hash: str  # SHA-256 hex of the normalised body
    signature: tuple[int, ...] = field(repr=False)
    bands: tuple[int, ...] = field(repr=False)  # LSH band keys, signed 64-bit
    shingle_count: int
    token_count: int
    sequence: tuple[int, ...] = field(repr=False)

    @property
    def judgeable(self) -> bool:
        """Long enough for a near-duplicate judgement (see :data:`MIN_TOKENS`)."""
        return self.token_count >= MIN_TOKENS

    @property
    def hashable(self) -> bool:
        """Has any text, so an exact copy can be recognised (with its headline when short)."""
        return self.token_count > 0

    @property
    def shingle_set(self) -> frozenset[int]:
        return frozenset(self.sequence)


def fingerprint(title: str, text: str) -> Fingerprint:
    """The fingerprint of an article's body.

    ``title`` serves to drop a repeated headline from the body and, for a text too short to
    judge (see :data:`MIN_TOKENS`), is part of its ``text_hash``.
    """
    words = body_tokens(title, text)
    sequence = shingle_sequence(words)
    shingle_set = set(sequence)
    sig = signature(shingle_set)
    hashed = " ".join(words)
    if 0 < len(words) < MIN_TOKENS:
        hashed = " ".join(arabic.reading(title).tokens) + " | " + hashed
    return Fingerprint(
        text_hash=hashlib.sha256(hashed.encode("utf-8")).hexdigest(),
        signature=sig,
        bands=band_keys(sig),
        shingle_count=len(shingle_set),
        token_count=len(words),
        sequence=tuple(sequence),
    )


_BIG_ENDIAN: Final = array("I", [1]).tobytes()[0] == 0


def pack_shingles(values: Iterable[int]) -> bytes:
    """A shingle set as a compact blob: sorted unsigned 32-bit little-endian ints."""
    packed = array("I", sorted(set(values)))
    if _BIG_ENDIAN:  # pragma: no cover - no big-endian platform in sight
        packed.byteswap()
    return packed.tobytes()


def unpack_shingles(blob: bytes) -> frozenset[int]:
    """Inverse of :func:`pack_shingles`."""
    values = array("I")
    values.frombytes(blob)
    if _BIG_ENDIAN:  # pragma: no cover
        values.byteswap()
    return frozenset(values)

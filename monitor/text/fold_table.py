"""The character folding table behind `monitor.text.arabic.fold`, and how it is applied.

`build_fold_table()` is the definition (code point -> replacement, None deletes);
`replace_folds` applies it as fold() does, one str.replace per folded character a text holds
(a translate pass for texts far longer than an article).
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["DIGITS", "REPLACE_UP_TO", "SEATS", "build_fold_table", "replace_folds"]

# Arabic-Indic (U+0660..) and Extended/Persian (U+06F0..) digits to ASCII.
DIGITS = {ord(c): str(i) for i, c in enumerate("٠١٢٣٤٥٦٧٨٩")}
DIGITS.update({ord(c): str(i) for i, c in enumerate("۰۱۲۳۴۵۶۷۸۹")})


def build_fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = dict(DIGITS)
    # Harakat, tanween, shadda, sukun, Quranic annotation marks, superscript alef, tatweel.
    deleted = [*range(0x064B, 0x0660), 0x0670, *range(0x06D6, 0x06DD), *range(0x06DF, 0x06E9)]
    deleted += [*range(0x06EA, 0x06EE), 0x0640]
    # Invisible format characters that break words apart in copy-pasted text.
    deleted += [0x00AD, *range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
    deleted += [0xFEFF]
    for cp in deleted:
        table[cp] = None
    letters = {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ٲ": "ا",
        "ٳ": "ا",
        "ٵ": "ا",
        "ؤ": "و",
        "ٶ": "و",
        "ئ": "ي",
        "ى": "ي",
        "ی": "ي",  # Farsi yeh
        "ې": "ي",
        "ة": "ه",
        "ۀ": "ه",
        "ە": "ه",
        "ھ": "ه",  # heh doachashmee
        "ہ": "ه",
        "ک": "ك",  # keheh
        "گ": "غ",  # gaf: Arabic writes a foreign "g" as غ (بيونگ -> بيونغ)
        "ڤ": "ف",
        "پ": "ب",
        "چ": "ج",
        "ڨ": "ق",
    }
    # Arabic punctuation becomes its ASCII counterpart, so sentence splitting sees it.
    punct = {
        "،": ",",
        "؛": ";",
        "؟": "?",
        "٪": "%",
        "٫": ".",
        "٬": ",",
        "۔": ".",
        "«": '"',
        "»": '"',
    }
    table.update({ord(src): dst for src, dst in (*letters.items(), *punct.items())})
    return table


# What fold() replaces, character by character ("" deletes), and a pattern that finds them.
FOLDS: Final = {chr(cp): value or "" for cp, value in build_fold_table().items()}
FOLDED = re.compile("[" + "".join(map(re.escape, sorted(FOLDS))) + "]")
# No replacement holds a character that is itself replaced, so the order of replacement does
# not matter and one str.replace a character gives what one str.translate pass does.
assert not any(FOLDS.keys() & set(value) for value in FOLDS.values())


def replace_folds(text: str, keep: frozenset[str]) -> str:
    """`text` with each character fold() replaces replaced, but those in `keep`."""
    # str.translate looks every character up in Python's table (35 ns each: 65 µs for an
    # article); only a few distinct characters of a text are ever folded, and one str.replace
    # a character, a C scan each, costs less than half of that. Finding them lists every
    # match, so a text far longer than an article (a 10 MB page of diacritics) is translated.
    if len(text) > REPLACE_UP_TO:
        return text.translate(FOLD_TABLES[keep])
    for char in set(FOLDED.findall(text)) - keep:
        text = text.replace(char, FOLDS[char])
    return text


REPLACE_UP_TO: Final = 100_000  # characters


def _as_sequence(table: dict[str, str]) -> list[str]:
    # str.translate looks a code point up ~3x faster in a list than in a dict; code points past
    # the end of the list (IndexError) are left unchanged.
    seq = [chr(cp) for cp in range(max(map(ord, table)) + 1)]
    for char, value in table.items():
        seq[ord(char)] = value
    return seq


SEATS: Final = frozenset("ؤئ")  # hamza seats, which search folds otherwise (see `arabic.reading`)
FOLD_TABLES: Final = {  # by what is kept
    keep: _as_sequence({c: v for c, v in FOLDS.items() if c not in keep})
    for keep in (frozenset(), SEATS)
}

"""The data of the Arabic normaliser: name spellings and the words clitic stripping leaves alone.

Outlets transliterate the same names differently (بيونغ يانغ, بيونج يانج, بيونغيانغ; كيم جونغ أون,
كيم يونغ أون; بوتين, بوتن). These tables say which spellings are one name and which words are
names at all; :mod:`monitor.text.arabic`, the one normaliser, applies them. Keeping them apart
lets a reader add a spelling without reading the algorithm, and the algorithm be read without
scrolling through word lists. Every entry is in folded form (:func:`monitor.text.arabic.fold`:
ى is already ي, ة is ه, hamza forms are bare alef), because that is what the normaliser compares.
"""

from __future__ import annotations

__all__ = [
    "CHOL",
    "IL",
    "JONG",
    "KEEP_WHOLE",
    "NAM",
    "NAME_STEMS",
    "PYONG",
    "SUNG",
    "UN",
    "VARIANT_TRIGGERS",
    "WORD_VARIANTS",
    "YANG",
    "YO",
    "YONG",
]

# --------------------------------------------------------------------------------------------
# Transliteration variants (names written many ways by different outlets)
# --------------------------------------------------------------------------------------------

# Single folded words -> canonical spelling (keys in folded form: ى is already ي, ة is ه).
WORD_VARIANTS: dict[str, str] = {
    # Putin (Sky News writes بوتن).  بوتان (Bhutan) must NOT be here.
    "بوتن": "بوتين",
    # Shoigu
    "شويجو": "شويغو",
    "شويقو": "شويغو",
    "شويكو": "شويغو",
    # Pyongyang written as one word
    "بيونجيانج": "بيونغيانغ",
    "بيونغيانج": "بيونغيانغ",
    "بيونجيانغ": "بيونغيانغ",
    "بيونكيانك": "بيونغيانغ",
    # Kremlin
    "كريملين": "كرملين",
    # Medvedev, Peskov, Lavrov, Mishustin, Zakharova, Nebenzia
    "مدفيديف": "ميدفيديف",
    "ميدفيدف": "ميدفيديف",
    "مدفيدف": "ميدفيديف",
    "بسكوف": "بيسكوف",
    "لافاروف": "لافروف",
    "ميشوستن": "ميشوستين",
    "زخاروفا": "زاخاروفا",
    "نيبنزيا": "نيبينزيا",
    "نيبيزيا": "نيبينزيا",
    # Vladivostok, Vostochny (cosmodrome, 2023 summit), Khasan-Rajin
    "فلاديفستوك": "فلاديفوستوك",
    "فوستوتشني": "فوستوشني",
    "فوستوشيني": "فوستوشني",
    "راجين": "راسون",  # the port is written Rajin or Rason; one name for matching
    "راسين": "راسون",
    # Soviet
    "سوفييتي": "سوفيتي",
    "سوفياتي": "سوفيتي",
    "سوفييتيه": "سوفيتيه",
    "سوفياتيه": "سوفيتيه",
    "سوفييت": "سوفيت",
    "سوفيات": "سوفيت",
}

# Pyongyang written as two words: first word variants x second word variants.
PYONG = frozenset({"بيونغ", "بيونج", "بيونك", "بيونق"})
YANG = frozenset({"يانغ", "يانج", "يانك", "يانق"})
# Kim's middle names: "Jong" is written جونغ/جونج/جونك/يونغ/يونج (Al Arabiya: كيم يونغ أون).
JONG = frozenset({"جونغ", "جونج", "جونك", "يونغ", "يونج", "جون", "جونق"})
# Final syllables that disambiguate which Kim is meant.
UN = frozenset({"اون", "ان"})
IL = frozenset({"ايل"})
CHOL = frozenset({"تشول", "شول", "جول", "تشل"})
NAM = frozenset({"نام"})
YONG = frozenset({"يونغ", "يونج"})
SUNG = frozenset({"سونغ", "سونج", "سونك"})
YO = frozenset({"يو"})

#: Stems that lose a bare one-letter proclitic (وروسيا -> روسيا). Canonical names plus the
#: spellings that variant folding maps from, so the proclitic is removed before folding.
NAME_STEMS: frozenset[str] = frozenset(
    {
        "روسيا",
        "موسكو",
        "كرملين",
        "بوتين",
        "لافروف",
        "شويغو",
        "بيسكوف",
        "ميدفيديف",
        "ميشوستين",
        "زاخاروفا",
        "نيبينزيا",
        "بيلوسوف",
        "سوفيتي",
        "سوفيت",
        "فلاديفوستوك",
        "فوستوشني",
        "كوريا",
        "كوريتين",
        "بيونغيانغ",
        "كيم",
        "سول",
        "سيول",
        "واشنطن",
        "بكين",
        "طوكيو",
        "ترامب",
        "بايدن",
        "اوكرانيا",
        "كييف",
        "ايران",
        "طهران",
        "سوريا",
        "دمشق",
        # ل-initial names: للبنان is ل + لبنان, not لل + بنان
        "لبنان",
        "ليبيا",
        "لندن",
        "لاوس",
    }
    | set(WORD_VARIANTS)
    | set(WORD_VARIANTS.values())
    | PYONG
)

# Words that can start a variant rewrite; most sentences contain none and skip the scan.
VARIANT_TRIGGERS: frozenset[str] = frozenset(WORD_VARIANTS) | PYONG | {"كيم"}

# --------------------------------------------------------------------------------------------
# Clitics
# --------------------------------------------------------------------------------------------

# Words that start with ال but are not article + noun, or that must not be cut further.
KEEP_WHOLE: frozenset[str] = frozenset(
    {
        "الله",
        "اللهم",
        "التي",
        "الذي",
        "الذين",
        "اللذين",
        "اللتين",
        "اللذان",
        "اللتان",
        "اللاتي",
        "اللواتي",
        "اللايي",
        "الا",
        "الى",
        "الي",
        "اليه",
        "اليها",
        "اليهم",
        "اليهما",
        "اليك",
        "اليكم",
        "الينا",
        "الان",
        "الف",
        "الفا",
        "الفي",
        "الفين",
        "الاف",
    }
)

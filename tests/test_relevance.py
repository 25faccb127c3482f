"""The relevance scorer: keeps coverage of the Russia–DPRK relationship, drops mere co-mentions.

The examples below are written for these tests (short, in the style of the wires); the real
measurement is the labelled dev set, checked at the end against ../shared/data (skipped when that
is absent). Figures and misjudged articles are printed by bench/relevance_eval.py.
"""

from __future__ import annotations

import importlib.util
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from monitor.judge.relevance import (
    DEFAULT_LEXICON_PATH,
    DEFAULT_THRESHOLD,
    LexiconError,
    judge,
    load_lexicon,
)
from monitor.models import Verdict

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"

# What the dev set reaches at DEFAULT_THRESHOLD (bench/relevance_eval.py prints the details);
# a lexicon or scorer change that falls below these has made things worse.
DEV_MIN_PRECISION = 0.95
DEV_MIN_RECALL = 0.95
HELD_OUT_MIN_PRECISION = 0.90
HELD_OUT_MIN_RECALL = 0.90

LAVROV_VISIT = (
    "لافروف يصل إلى بيونغ يانغ في زيارة نادرة",
    "وصل وزير الخارجية الروسي سيرغي لافروف إلى بيونغ يانغ اليوم الخميس في زيارة رسمية "
    "بدعوة من نظيره الكوري الشمالي ري يونغ هو.\n"
    "وقالت الخارجية الروسية إن الوزيرين سيبحثان العلاقات الثنائية والتعاون الاقتصادي.",
)


def seed_titles() -> dict[str, str]:
    manifest = SEEDS / "seeds.toml"
    if not manifest.exists():
        return {}
    entries = tomllib.loads(manifest.read_text(encoding="utf-8")).get("seeds", [])
    return {e["file"]: e.get("title", "") for e in entries}


SEED_FILES = sorted(SEEDS.glob("[0-9][0-9][0-9]_*.txt"))


# ── the five seeds ────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.name[:3])
def test_every_seed_is_on_topic(path: Path) -> None:
    text = path.read_text(encoding="utf-8")  # page furniture included, as supplied
    title = seed_titles().get(path.name, "")
    verdict = judge(title, text)
    assert verdict.on_topic, verdict
    assert verdict.score >= 0.9
    assert judge("", text).on_topic  # the text alone carries it too
    assert {"بوتين", "كيم جونغ أون"} & set(verdict.matched) or "روسيا" in verdict.matched


def test_seed_subtopics_name_what_the_articles_cover() -> None:
    by_name = {p.name[:3]: p.read_text(encoding="utf-8") for p in SEED_FILES}
    assert "military" in judge("", by_name["002"]).subtopics  # troops and deminers for Kursk
    assert "space" in judge("", by_name["000"]).subtopics  # satellites
    assert "visit" in judge("", by_name["003"]).subtopics  # Putin's visit to Pyongyang


def test_seeds_count_as_expected() -> None:
    assert len(SEED_FILES) == 5


# ── incidental mentions are dropped ───────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "إيران وروسيا وكوريا الشمالية على قائمة العقوبات الأمريكية",
            "فرضت الولايات المتحدة عقوبات جديدة على إيران وروسيا وكوريا الشمالية، في إطار قانون "
            "مكافحة خصوم أمريكا.",
        ),
        (
            "مجموعة السبع تدعو روسيا إلى الكف عن زعزعة الاستقرار",
            "دعا قادة مجموعة السبع في بيانهم الختامي روسيا إلى الكف عن دعم النظام السوري.\n"
            "ورحب البيان بالقمة المرتقبة بين الولايات المتحدة وكوريا الشمالية، ودعا بيونغ يانغ "
            "إلى نزع سلاحها النووي.\n"
            "كما أدان القادة الهجوم بغاز الأعصاب في سالزبري.",
        ),
        (
            "تقرير: أغلب الهجمات الإلكترونية مصدرها أربع دول",
            "قال التقرير إن أغلب الهجمات الإلكترونية على الشركات الأمريكية مصدرها روسيا والصين "
            "وكوريا الشمالية وإيران.",
        ),
        (
            "منتخب روسيا يفوز على كوريا الشمالية في بطولة الهوكي",
            "فاز منتخب روسيا على نظيره الكوري الشمالي بخمسة أهداف دون رد في بطولة العالم للهوكي.",
        ),
        (
            "بوتين يرحب بقمة ترامب وكيم",
            "رحب الرئيس الروسي فلاديمير بوتين بالقمة بين الرئيس الأمريكي دونالد ترامب والزعيم "
            "الكوري الشمالي كيم جونغ أون، ووصفها بأنها خطوة إيجابية.",
        ),
        (
            "أسعار النفط تتراجع",
            "تراجعت أسعار النفط مع زيادة الإنتاج الروسي.\n"
            "وترقب المستثمرون القمة بين ترامب والزعيم الكوري الشمالي في سنغافورة.",
        ),
    ],
    ids=[
        "iran-russia-nk-list",
        "g7-communique",
        "cyber-list",
        "hockey",
        "putin-on-trump-kim",
        "oil",
    ],
)
def test_incidental_mentions_are_off_topic(title: str, text: str) -> None:
    verdict = judge(title, text)
    assert not verdict.on_topic, verdict
    assert verdict.score < DEFAULT_THRESHOLD


def test_one_side_only_scores_zero() -> None:
    verdict = judge("لافروف يزور الصين", "التقى وزير الخارجية الروسي سيرغي لافروف نظيره الصيني.")
    assert verdict.score == 0.0 and not verdict.on_topic
    assert verdict.details["russia_mentions"] > 0 and verdict.details["dprk_mentions"] == 0


def test_belarus_and_pyeongchang_are_not_the_sides() -> None:
    verdict = judge(
        "روسيا البيضاء تشارك في أولمبياد بيونغ تشانغ",
        "أرسلت روسيا البيضاء وفدا رياضيا إلى بيونغ تشانغ في كوريا الجنوبية.",
    )
    assert verdict.details["russia_mentions"] == 0 and verdict.details["dprk_mentions"] == 0


# ── coverage of the relationship is kept ──────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("title", "text"),
    [
        LAVROV_VISIT,
        (
            "روسيا تفتح أبوابها لعمال كوريا الشمالية",
            "سمحت السلطات الروسية لآلاف العمال من كوريا الشمالية بدخول أراضيها، في انتهاك محتمل "
            "للعقوبات الدولية.",
        ),
        (
            "اجتماع ثلاثي في موسكو يضم روسيا والصين وكوريا الشمالية",
            "استضافت موسكو اجتماعا ثلاثيا لنواب وزراء خارجية روسيا والصين وكوريا الشمالية لبحث "
            "الوضع في شبه الجزيرة الكورية.",
        ),
        (
            "",
            "أعلنت وزارة الخارجية الروسية أن وفدا من كوريا الشمالية سيزور موسكو الأسبوع المقبل "
            "لبحث التعاون الاقتصادي.\nوقال المتحدث إن الزيارة تأتي في إطار تعزيز العلاقات بين "
            "موسكو وبيونغيانغ.",
        ),
        (
            "روسيا تخطط لبناء جسر يربطها بالجار المشاغب",
            "اجتمع مسؤولون روس مع نظرائهم من كوريا الشمالية لدراسة بناء جسر للسيارات فوق نهر "
            "تومين يربط بين روسيا وكوريا الشمالية.",
        ),
        (
            "",
            "قال مسؤول أمريكي إن ناقلات روسية نقلت شحنات من الوقود إلى سفن كورية شمالية في عرض "
            "البحر.\nونفت وزارة الخارجية الروسية الاتهامات، مؤكدة التزام موسكو بقرارات مجلس "
            "الأمن بشأن بيونغ يانغ.",
        ),
        (
            "الكرملين: لا موعد بعد لقمة بوتين وكيم",
            "قال المتحدث باسم الكرملين ديمتري بيسكوف إنه لم يتم تحديد موعد بعد للقمة المحتملة "
            "بين الرئيس فلاديمير بوتين والزعيم الكوري الشمالي كيم جونغ أون.",
        ),
    ],
    ids=["lavrov-visit", "workers", "trilateral", "no-title", "bridge", "us-source", "kremlin"],
)
def test_relationship_coverage_is_on_topic(title: str, text: str) -> None:
    verdict = judge(title, text)
    assert verdict.on_topic, verdict


def test_one_paragraph_about_the_link_inside_another_story_is_kept() -> None:
    filler = [
        "قال البيت الأبيض إن الرئيس الأمريكي مستعد للقاء زعيم كوريا الشمالية في سنغافورة.",
        "وأضاف المتحدث أن العقوبات على بيونغ يانغ ستبقى حتى نزع السلاح النووي.",
        "وأكد مسؤولون في سول أن المحادثات التحضيرية تسير بشكل جيد.",
    ]
    link = "وأعلنت روسيا عن زيارة وزير خارجيتها سيرغي لافروف إلى بيونغ يانغ يوم الخميس."
    without = judge("ترامب: القمة مع كيم في موعدها", "\n".join(filler))
    with_link = judge("ترامب: القمة مع كيم في موعدها", "\n".join([*filler, link]))
    assert not without.on_topic
    assert with_link.on_topic and with_link.score > without.score


def test_headline_weighs_more_than_the_body() -> None:
    sentence = "موسكو تبحث العلاقات مع بيونغ يانغ"
    body = "وتناول اللقاء الأوضاع في المنطقة.\nولم يصدر بيان مشترك."
    in_title = judge(sentence, body)
    in_body = judge("أخبار اليوم", body + "\n" + sentence + ".")
    assert in_title.score > in_body.score
    assert in_title.details["title_link"] > 0 and in_body.details["title_link"] == 0


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "بوتين يستقبل كيم جونغ أون",
            "استقبل الرئيس الروسي كيم جونغ أون في موسكو بعد وصوله من بيونغ يانغ.",
        ),
        (
            "بوتن يستقبل كيم جونج أون",
            "استقبل الرئيس الروسي كيم جونج أون في موسكو بعد وصوله من بيونج يانج.",
        ),
        (
            "بوتين يستقبل كيم يونغ أون",
            "استقبل الرئيس الروسي كيم يونغ أون في موسكو بعد وصوله من بيونغيانغ.",
        ),
        (
            "بوتِين يستقبل كيم جونغ-أون",
            "استقبل الرئيسُ الروسيُّ كيمَ جونغ-أون في موسكو بعد وصوله من بيونغ يانغ.",
        ),
    ],
    ids=["standard", "egyptian-j", "al-arabiya", "diacritics"],
)
def test_spelling_variants_score_alike(title: str, text: str) -> None:
    reference = judge(
        "بوتين يستقبل كيم جونغ أون",
        "استقبل الرئيس الروسي كيم جونغ أون في موسكو بعد وصوله من بيونغ يانغ.",
    )
    verdict = judge(title, text)
    assert verdict.on_topic
    assert verdict.score == pytest.approx(reference.score)
    assert set(verdict.matched) == set(reference.matched)


def test_adjectives_count_for_their_country() -> None:
    verdict = judge(
        "",
        "وقعت الحكومة الروسية والحكومة الكورية الشمالية اتفاقية للتعاون في مجال الطاقة خلال "
        "زيارة وفد كوري شمالي.",
    )
    assert verdict.on_topic
    assert "مسؤول روسي" in verdict.matched and "مسؤول كوري شمالي" in verdict.matched


# ── the verdict ───────────────────────────────────────────────────────────────────────────────


def test_verdict_explains_itself() -> None:
    verdict = judge(*LAVROV_VISIT)
    assert isinstance(verdict, Verdict)
    assert 0.0 <= verdict.score <= 1.0
    assert {"مسؤول روسي", "بيونغيانغ", "مسؤول كوري شمالي"} <= set(verdict.matched)
    assert {"visit", "diplomacy"} <= set(verdict.subtopics)
    assert "زيارة" in verdict.matched or "زياره" in verdict.matched
    for key in ("russia_mentions", "dprk_mentions", "linked_units", "best_unit", "title_link"):
        assert key in verdict.details
    assert verdict.details["threshold"] == DEFAULT_THRESHOLD


# Two short articles scoring just either side of DEFAULT_THRESHOLD: a clause that puts the
# sides together once, then a meeting of many parties (0.4995, off); a US claim about Russian
# tankers and North Korean ships, and Moscow's denial (0.5187, on).
JUST_BELOW = (
    "",
    "قالت روسيا إن كوريا الشمالية دولة ذات سيادة.\n"
    "حضر ممثلون عن روسيا وكوريا الشمالية والصين الاجتماع.",
)
JUST_ABOVE = (
    "",
    "قال مسؤول أمريكي إن ناقلات روسية نقلت شحنات من الوقود إلى سفن كورية شمالية في عرض "
    "البحر.\nونفت وزارة الخارجية الروسية الاتهامات، مؤكدة التزام موسكو بقرارات مجلس "
    "الأمن بشأن بيونغ يانغ.",
)


def test_default_threshold_falls_between_two_pinned_scores() -> None:
    """Moving DEFAULT_THRESHOLD (chosen on the dev set) outside (0.4995, 0.5187], or changing
    the scorer so that these move, fails here even without ../shared."""
    below, above = judge(*JUST_BELOW), judge(*JUST_ABOVE)
    assert (below.score, above.score) == (0.4995, 0.5187)
    assert not below.on_topic and above.on_topic
    assert below.details["threshold"] == above.details["threshold"] == 0.5


@pytest.mark.parametrize(
    "article", [LAVROV_VISIT, JUST_ABOVE, JUST_BELOW], ids=["high", "0.52", "0.50"]
)
def test_a_score_at_the_threshold_is_on_topic_and_just_below_it_is_off(
    article: tuple[str, str],
) -> None:
    score = judge(*article).score  # scores are rounded to 4 decimals
    assert judge(*article, threshold=score).on_topic
    assert judge(*article, threshold=score - 0.0001).on_topic
    assert not judge(*article, threshold=score + 0.0001).on_topic


def test_threshold_moves_the_cut_not_the_score() -> None:
    low = judge(*LAVROV_VISIT, threshold=0.1)
    high = judge(*LAVROV_VISIT, threshold=0.9999)
    assert low.score == high.score
    assert low.on_topic and not high.on_topic


def test_judging_is_deterministic() -> None:
    first = judge(*LAVROV_VISIT)
    assert all(judge(*LAVROV_VISIT) == first for _ in range(3))


def test_empty_input() -> None:
    assert judge("", "").score == 0.0
    assert not judge("", "").on_topic


# ── the lexicon ───────────────────────────────────────────────────────────────────────────────


def test_default_lexicon_lives_in_seeds() -> None:
    assert DEFAULT_LEXICON_PATH == REPO / "seeds" / "lexicon.toml"
    lex = load_lexicon()
    assert lex is load_lexicon()  # compiled once, cached while the file is unchanged
    assert lex.version >= 1


def test_lexicon_is_data(tmp_path: Path) -> None:
    text = DEFAULT_LEXICON_PATH.read_text(encoding="utf-8")
    # Removing the word for "workers" from the cues changes what the scorer sees.
    edited = text.replace(
        'terms = ["عمال", "العمالة", "العاملين", "تصاريح عمل", "عمل جديدة"]',
        'terms = ["تصاريح عمل"]',
    )
    assert edited != text
    path = tmp_path / "lexicon.toml"
    path.write_text(edited, encoding="utf-8")
    sentence = ("", "يعمل آلاف العمال من كوريا الشمالية في روسيا.")
    assert "workers" in judge(*sentence).subtopics
    assert "workers" not in judge(*sentence, lexicon=load_lexicon(path)).subtopics


def _edit_lexicon(old: str, new: str, count: int = 1) -> str:
    text = DEFAULT_LEXICON_PATH.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, count)


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ("not toml [", "not valid TOML"),
        ("version = 1\n", "cue"),
        (lambda: _edit_lexicon("[[side.dprk]]", "[[side.other]]", -1), "side.dprk"),
        (lambda: _edit_lexicon('terms = ["كيم"]', "terms = [1]"), "non-empty string"),
        (lambda: _edit_lexicon("weight = 0.9", 'weight = "high"'), "weight"),
        (lambda: _edit_lexicon('implies = "diplomacy"', 'implies = "gossip"'), "gossip"),
        (lambda: _edit_lexicon("factor = 0.25", "factor = 3"), "factor"),
    ],
    ids=["toml", "empty", "no-dprk", "term-type", "weight", "implies", "factor"],
)
def test_malformed_lexicon_is_a_clear_error(
    tmp_path: Path, content: str | Callable[[], str], complaint: str
) -> None:
    path = tmp_path / "lexicon.toml"
    path.write_text(content() if callable(content) else content, encoding="utf-8")
    with pytest.raises(LexiconError, match=complaint):
        load_lexicon(path)


def test_missing_lexicon_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LexiconError, match="cannot read lexicon"):
        load_lexicon(tmp_path / "absent.toml")


# ── real articles (../shared/data) ────────────────────────────────────────────────────────────


def _bench() -> ModuleType:
    """bench/relevance_eval.py, which knows how to read and split the dev set."""
    name = "relevance_eval"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / "relevance_eval.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def test_jawharafm_pages_judged_on_extracted_text_are_off_topic(shared_data: Path) -> None:
    pages = sorted((shared_data / "pages" / "jawharafm-pairs").rglob("*.txt"))
    assert len(pages) == 9
    bench = _bench()
    for page in pages:
        title, text = bench.parse_ant(page.read_text(encoding="utf-8"))
        verdict = judge(title, text)
        assert not verdict.on_topic and verdict.details["dprk_mentions"] == 0, page.name


@pytest.mark.slow
def test_dev_set_precision_and_recall(shared_data: Path) -> None:
    bench = _bench()
    docs = bench.labelled_docs(shared_data)
    lex = load_lexicon()
    results = [(d, judge(d.title, d.text, lexicon=lex).score) for d in docs]
    everything = bench.score_set(results, DEFAULT_THRESHOLD, None)
    held_out = bench.score_set(results, DEFAULT_THRESHOLD, "held-out")
    assert sum(d.source == "ant" for d in docs) == 186
    for scores in (everything, held_out):  # each floor stands over something
        assert scores.tp + scores.fn > 0 and scores.fp + scores.tn > 0, scores.row()
    assert everything.precision >= DEV_MIN_PRECISION, everything.row()
    assert everything.recall >= DEV_MIN_RECALL, everything.row()
    assert held_out.precision >= HELD_OUT_MIN_PRECISION, held_out.row()
    assert held_out.recall >= HELD_OUT_MIN_RECALL, held_out.row()
    assert all(score >= DEFAULT_THRESHOLD for d, score in results if d.source == "seed")


def test_a_matched_phrase_and_an_exclusion_cover_their_words() -> None:
    """The greedy scan: the longest phrase at a position wins and the words it covers start no
    match of their own; an excluded phrase hides its words the same way."""
    from monitor.judge.lexicon import DPRK, EXCLUDE, RUSSIA, Lexicon, Term
    from monitor.text.arabic import tokens

    lex = Lexicon()
    lex.add("كوريا الشمالية", Term(DPRK, "North Korea"))
    lex.add("الشمالية", Term(RUSSIA, "a word inside the phrase"))
    lex.add("كوريا", Term(DPRK, "Korea"))
    lex.add("موسكو للسيارات", Term(EXCLUDE, "a company"))
    lex.add("للسيارات", Term(RUSSIA, "a word inside the exclusion"))
    hits = lex.match(tokens("زار كوريا الشمالية وفد من شركة موسكو للسيارات ثم كوريا"))
    assert [(h.start, h.end, h.term.label) for h in hits] == [
        (1, 3, "North Korea"),
        (9, 10, "Korea"),
    ]

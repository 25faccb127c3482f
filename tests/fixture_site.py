"""A local Arabic news site served over real HTTP on 127.0.0.1, for end-to-end tests and benchmarks.

The site ("المدار الإخباري") publishes `SiteArticle`s built from the seed corpus (seeds/*.txt) and
from the ANT corpus (../shared/data/corpora/ant-multisource), renders each one in one of four
realistic page templates full of Arabic page furniture, and publishes feeds in the forms real Arabic
outlets use, including the broken ones (windows-1256 bytes mislabelled as UTF-8, a stray "&",
Arabic-language dates, relative links, duplicate GUIDs).

    site = NewsSite()
    site.add_feed("/feed/", load_seed_articles(), form="rss2")
    with site:                                  # start() ... stop()
        crawl(site.url("/feed/"))
        assert not site.requests(path_prefix="/private/")

Server behaviour: robots.txt (configurable; it announces the site's sitemaps), ETag/Last-Modified
with 304 on feeds and sitemaps, special routes (`Routes`: 404, 500, 429 + Retry-After, redirect
loop, PDF and PNG at article URLs, a 30 MB body, a slow response, an empty 200, HTML at a feed URL,
a truncated feed), gzip when asked, HTTP/1.1 keep-alive, and a thread-safe request log
(`site.requests(...)`). Articles and feed items can be added while the server runs.

Standalone: ``python tests/fixture_site.py --port 8765 --ant 300`` serves the seed articles plus 300
ANT articles in eight feeds until Ctrl-C.

Everything here is test material written for rasad; nothing touches the internet.
"""

# The page templates below are real-looking HTML, whose lines run long as real pages' do.
# ruff: noqa: E501

from __future__ import annotations

import argparse
import atexit
import contextlib
import email.utils
import functools
import gzip
import hashlib
import html
import json
import lzma
import random
import re
import shutil
import signal
import socket
import struct
import sys
import tarfile
import tempfile
import threading
import time
import tomllib
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar, Final
from urllib.parse import quote, unquote, urlsplit

REPO_ROOT: Final = Path(__file__).resolve().parents[1]
SEEDS_DIR: Final = REPO_ROOT / "seeds"
SHARED_DATA: Final = REPO_ROOT.parent / "shared" / "data"
ANT_DIR_NAME: Final = "corpora/ant-multisource"

SITE_NAME: Final = "المدار الإخباري"
SITE_TAGLINE: Final = "أخبار العالم العربي والدولي على مدار الساعة"
SITE_TZ: Final = timezone(timedelta(hours=3))  # Mecca/Riyadh time, what the site displays
COPYRIGHT_YEAR: Final = 2026


def shared_data_dir(repo_root: Path = REPO_ROOT) -> Path | None:
    """../shared/data beside the repository, or None when it is absent."""
    path = repo_root.parent / "shared" / "data"
    return path if path.is_dir() else None


# ── Arabic dates ──────────────────────────────────────────────────────────────────────────────

MONTHS_EG: Final = (
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "مايو",
    "يونيو",
    "يوليو",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
)
MONTHS_LEVANT: Final = (
    "كانون الثاني",
    "شباط",
    "آذار",
    "نيسان",
    "أيار",
    "حزيران",
    "تموز",
    "آب",
    "أيلول",
    "تشرين الأول",
    "تشرين الثاني",
    "كانون الأول",
)
WEEKDAYS: Final = ("الإثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد")
HIJRI_MONTHS: Final = (
    "محرم",
    "صفر",
    "ربيع الأول",
    "ربيع الآخر",
    "جمادى الأولى",
    "جمادى الآخرة",
    "رجب",
    "شعبان",
    "رمضان",
    "شوال",
    "ذو القعدة",
    "ذو الحجة",
)
_EASTERN_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def eastern_digits(text: str) -> str:
    """Western digits as Arabic-Indic digits (٠١٢٣٤٥٦٧٨٩)."""
    return text.translate(_EASTERN_DIGITS)


def hijri_date(day: date) -> tuple[int, int, int]:
    """(year, month, day) in the tabular Islamic calendar; within a day of Umm al-Qura."""
    julian_day = day.toordinal() + 1721425
    rest = julian_day - 1948440 + 10632
    cycle = (rest - 1) // 10631
    rest = rest - 10631 * cycle + 354
    years = ((10985 - rest) // 5316) * ((50 * rest) // 17719) + (rest // 5670) * (
        (43 * rest) // 15238
    )
    rest = (
        rest
        - ((30 - years) // 15) * ((17719 * years) // 50)
        - (years // 16) * ((15238 * years) // 43)
        + 29
    )
    month = (24 * rest) // 709
    return 30 * cycle + years - 30, month, rest - (709 * month) // 24


def arabic_date(
    moment: datetime,
    *,
    months: str = "eg",
    weekday: bool = True,
    clock: str | None = "24h",
    digits: str = "western",
    comma: bool = True,
) -> str:
    """A date as Arabic outlets print it: "الإثنين، 17 يونيو 2024 19:01".

    months: "eg" (يونيو), "levant" (حزيران) or "both" (يونيو/حزيران); clock: "24h", "12h"
    (07:01 م) or None; digits: "western" or "eastern" (١٧).
    """
    local = moment.astimezone(SITE_TZ)
    month_name = {
        "eg": MONTHS_EG[local.month - 1],
        "levant": MONTHS_LEVANT[local.month - 1],
        "both": f"{MONTHS_EG[local.month - 1]}/{MONTHS_LEVANT[local.month - 1]}",
    }[months]
    text = f"{local.day} {month_name} {local.year}"
    if weekday:
        text = f"{WEEKDAYS[local.weekday()]}{'،' if comma else ''} {text}"
    if clock == "24h":
        text += f" {local:%H:%M}"
    elif clock == "12h":
        text += f" {local.hour % 12 or 12:02d}:{local:%M} {'ص' if local.hour < 12 else 'م'}"
    return eastern_digits(text) if digits == "eastern" else text


def hijri_arabic(day: date) -> str:
    """'11 ذو الحجة 1445 هـ'."""
    year, month, mday = hijri_date(day)
    return f"{mday} {HIJRI_MONTHS[month - 1]} {year} هـ"


# ── articles ──────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class SiteArticle:
    """One story the site publishes. `paragraphs` is the body, subheadings included."""

    slug: str
    title: str
    paragraphs: Sequence[str]
    published: datetime
    section: str = "أخبار"
    author: str = "هيئة التحرير"
    summary: str = ""  # the standfirst; feeds use it as the description when present
    headings: frozenset[int] = frozenset()  # indexes of paragraphs printed as subheadings
    caption: str = ""  # caption of the lead photo
    tags: tuple[str, ...] = ()
    origin: str = ""  # "seed:<file stem>", "ant:<DOCNO>", "fixture"

    def __post_init__(self) -> None:
        object.__setattr__(self, "paragraphs", tuple(self.paragraphs))
        object.__setattr__(self, "headings", frozenset(self.headings))
        if self.published.tzinfo is None:
            object.__setattr__(self, "published", self.published.replace(tzinfo=SITE_TZ))
        if not self.slug or "/" in self.slug or "?" in self.slug:
            raise ValueError(f"bad slug {self.slug!r}")

    @property
    def body_paragraphs(self) -> tuple[str, ...]:
        """The paragraphs that are not subheadings."""
        return tuple(p for i, p in enumerate(self.paragraphs) if i not in self.headings)

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def description(self) -> str:
        """The summary, else the first ~35 words of the body, as feeds and meta tags carry it."""
        if self.summary:
            return self.summary
        words = " ".join(self.body_paragraphs[:1]).split()
        return " ".join(words[:35]) + (" …" if len(words) > 35 else "")


@dataclass(frozen=True)
class FeedLink:
    """A feed item that is not a site article (e.g. a special route, an external link)."""

    path: str  # site path, or an absolute URL
    title: str
    published: datetime | None = None
    summary: str = ""


# ── the seed corpus ───────────────────────────────────────────────────────────────────────────

_GULF_TZ = timezone(timedelta(hours=4))
# What the fixture site says about each seed: its URL slug, section, the byline it prints and a
# publication time. Dates the texts show are used; 001 shows none, so the fixture dates it to the
# week of the summit it reports ("خلال الأسبوع الماضي" after 13 Sept 2023).
_SEED_SITE_META: Final[dict[str, dict[str, Any]]] = {
    "000": {
        "slug": "juche-to-nuclear-russia-north-korea",
        "section": "تقارير وتحليلات",
        "published": datetime(2024, 4, 28, 10, 15, tzinfo=SITE_TZ),
        "tags": ("روسيا", "كوريا الشمالية", "جوتشي", "كيم جونج أون"),
    },
    "001": {
        "slug": "what-after-north-korea-russia-rapprochement",
        "section": "آراء ومقالات",
        "published": datetime(2023, 9, 20, 8, 30, tzinfo=_GULF_TZ),
        "tags": ("قمة فوستوشني", "بوتين", "كيم جونغ أون"),
    },
    "002": {
        "slug": "a-year-of-russia-north-korea-partnership",
        "section": "سياسة",
        "published": datetime(2025, 6, 19, 11, 40, tzinfo=SITE_TZ),
        "tags": ("روسيا", "كوريا الشمالية", "شويغو", "كورسك"),
    },
    "003": {
        "slug": "nyt-putin-visit-north-korea-military-ties",
        "section": "عرب وعالم",
        "published": datetime(2024, 6, 17, 19, 1, tzinfo=SITE_TZ),
        "author": "أ ش أ",
        "caption": "الرئيس الروسي فلاديمير بوتين",
        "tags": ("بوتين", "كوريا الشمالية", "نيويورك تايمز"),
    },
    "004": {
        "slug": "putin-kim-challenge-meeting",
        "section": "آراء ومقالات",
        "published": datetime(2024, 11, 5, 8, 50, tzinfo=SITE_TZ),
        "tags": ("بوتين", "كيم جونغ أون", "فوستوشني"),
    },
}

# Page furniture left in the seed texts by whoever copied them out of web pages.
_SEED_FURNITURE: Final = frozenset(
    {
        "أعلى",
        "إقرأ المزيد",
        "اقرأ المزيد",
        "الاكثر قراءة",
        "الأكثر قراءة",
        "أحدث المقالات",
        "استمع إلى الملخص",
        "طباعة",
        "Search",
        "Close this search box.",
        "Captcha",
        "تواصل معنا",
    }
)
_LOGIN_WORDS = ("تسجيل الدخول", "اسم المستخدم", "كلمة المرور")
_BYLINE = re.compile(r"^كتب\s*[-–ـ]\s*(?P<name>[^:]+?)\s*:?$")
_SENTENCE_END = tuple(".!…»\"”'")


def _is_date_line(line: str) -> bool:
    return len(line.split()) <= 6 and re.search(r"(?:19|20)\d\d", line) is not None


def parse_seed_text(text: str, stem: str, manifest: Mapping[str, Any] | None = None) -> SiteArticle:
    """A seed file as a SiteArticle: furniture lines dropped, headline, byline, subheadings found.

    `manifest` is the seed's entry in seeds/seeds.toml when there is one (title, author, dates).
    """
    manifest = manifest or {}
    meta = _SEED_SITE_META.get(stem[:3], {})
    known_title = manifest.get("title")
    author = manifest.get("author") or meta.get("author") or "هيئة التحرير"
    skip_exact = {meta.get("section"), meta.get("caption")} - {None}
    title = known_title or ""
    summary: list[str] = []
    paragraphs: list[str] = []
    for raw in text.splitlines():
        line = " ".join(raw.replace("\xa0", " ").split())
        if (
            not line
            or line.startswith("•")
            or line in _SEED_FURNITURE
            or line in skip_exact
            or any(word in line for word in _LOGIN_WORDS)
            or _is_date_line(line)
            or (len(line.split()) <= 4 and line.endswith("-"))  # "صحيفة الخليج -"
        ):
            continue
        if byline := _BYLINE.match(line):
            author = manifest.get("author") or byline["name"]
            continue
        if not title:
            title = line
            continue
        if line == title:
            continue
        if line.startswith("- ") and not paragraphs:  # "استمع إلى الملخص" bullet points
            summary.append(line[2:])
            continue
        paragraphs.append(line)
    headings = frozenset(
        i
        for i, p in enumerate(paragraphs)
        if len(p.split()) <= 16 and not p.endswith(_SENTENCE_END)
    )
    published = meta.get("published") or datetime(2024, 1, 1, 12, 0, tzinfo=SITE_TZ)
    return SiteArticle(
        slug=meta.get("slug") or f"seed-{stem[:3]}",
        title=title,
        paragraphs=paragraphs,
        published=published,
        section=meta.get("section", "تقارير"),
        author=author,
        summary=" ".join(summary),
        headings=headings,
        caption=meta.get("caption", ""),
        tags=meta.get("tags", ()),
        origin=f"seed:{stem}",
    )


def load_seed_articles(seeds_dir: Path = SEEDS_DIR) -> list[SiteArticle]:
    """The five seed articles (seeds/*.txt), in file order."""
    manifest: dict[str, Mapping[str, Any]] = {}
    toml_path = seeds_dir / "seeds.toml"
    if toml_path.is_file():
        for entry in tomllib.loads(toml_path.read_text(encoding="utf-8")).get("seeds", []):
            manifest[Path(entry.get("file", "")).stem] = entry
    articles = [
        parse_seed_text(path.read_text(encoding="utf-8"), path.stem, manifest.get(path.stem))
        for path in sorted(seeds_dir.glob("*.txt"))
    ]
    if not articles:
        raise FileNotFoundError(f"no seed texts in {seeds_dir}")
    return articles


# A story the seed site publishes under /private/ (robots.txt disallows it). It is on topic, so a
# crawler that ignored robots.txt would store it: tests assert it is never requested.
PRIVATE_ARTICLE: Final = SiteArticle(
    slug="russian-parliament-delegation-pyongyang-draft",
    title="مسودة: وفد برلماني روسي يزور بيونغ يانغ لبحث التعاون الزراعي",
    paragraphs=(
        "وصل وفد من مجلس الدوما الروسي إلى العاصمة الكورية الشمالية بيونغ يانغ صباح اليوم، في"
        " زيارة تستمر ثلاثة أيام يبحث خلالها مع المسؤولين هناك توسيع التعاون في مجالي الزراعة"
        " والأسمدة، بحسب ما أعلنته وكالة الأنباء المركزية الكورية.",
        "وقال رئيس الوفد للصحفيين في المطار إن البلدين يعملان على تنفيذ بنود معاهدة الشراكة"
        " الاستراتيجية الشاملة، وإن موسكو مستعدة لتزويد بيونغ يانغ بالقمح والبذور المحسنة خلال"
        " الموسم المقبل.",
        "ويأتي هذا التحرك بعد أسابيع من لقاء جمع الرئيس الروسي فلاديمير بوتين بالزعيم الكوري"
        " الشمالي كيم جونغ أون، اتفق خلاله الجانبان على تشكيل لجنة حكومية مشتركة للتعاون"
        " الاقتصادي.",
        "هذه المادة مسودة لم تُنشر بعد، وما زالت قيد المراجعة من قسم التحرير.",
    ),
    published=datetime(2025, 3, 2, 9, 45, tzinfo=SITE_TZ),
    section="عرب وعالم",
    author="مراسل المدار في موسكو",
    tags=("روسيا", "كوريا الشمالية"),
    origin="fixture",
)


# ── the ANT corpus ────────────────────────────────────────────────────────────────────────────

_ANT_SECTIONS: Final = {
    "culture": "ثقافة وفنون",
    "economy": "اقتصاد",
    "internationalNews": "العالم",
    "middleEast": "الشرق الأوسط",
    "sport": "رياضة",
    "technology": "تكنولوجيا",
}


@dataclass(frozen=True)
class AntRecord:
    """One row of the ANT corpus index (index.tsv.xz)."""

    path: str
    source: str  # Alarabia, BBC, CNN, France24, SkyNews
    category: str  # culture, economy, internationalNews, middleEast, sport, technology
    url: str
    title: str
    time: str  # the raw RSS pubDate
    mentions_russia: bool
    mentions_north_korea: bool
    dup_url_group: str
    same_title_group: str


class AntCorpus:
    """The ANT corpus, decompressed once into `cache_dir` (a temporary directory), read from there.

    Thread-safe; `unpack()` is idempotent. Raises FileNotFoundError when the corpus is absent.
    """

    def __init__(self, root: Path, cache_dir: Path) -> None:
        self.root = root
        self.cache_dir = cache_dir
        self.tarball = next(iter(sorted(root.glob("full_corpus_*.tar.xz"))), None)
        if self.tarball is None or not (root / "index.tsv.xz").is_file():
            raise FileNotFoundError(f"the ANT corpus is not in {root}")
        self._lock = threading.Lock()
        self._records: list[AntRecord] | None = None
        self._tar: tarfile.TarFile | None = None
        self._members: dict[str, tarfile.TarInfo] = {}

    @classmethod
    def locate(cls, cache_dir: Path, shared: Path | None = None) -> AntCorpus | None:
        """The corpus under ../shared/data, or None when that is absent."""
        shared = shared or shared_data_dir()
        if shared is None or not (shared / ANT_DIR_NAME).is_dir():
            return None
        return cls(shared / ANT_DIR_NAME, cache_dir)

    def records(self) -> list[AntRecord]:
        """Every index row, in index order."""
        with self._lock:
            if self._records is None:
                with lzma.open(self.root / "index.tsv.xz", "rt", encoding="utf-8") as index:
                    lines = index.read().splitlines()
                header = lines[0].split("\t")
                rows = [dict(zip(header, line.split("\t"), strict=False)) for line in lines[1:]]
                self._records = [
                    AntRecord(
                        path=row["path"],
                        source=row["source"],
                        category=row["category"],
                        url=row["url"],
                        title=row["title"],
                        time=row["time"],
                        mentions_russia=row.get("mentions_russia") == "1",
                        mentions_north_korea=row.get("mentions_north_korea") == "1",
                        dup_url_group=row.get("dup_url_group", ""),
                        same_title_group=row.get("same_title_diff_url_group", ""),
                    )
                    for row in rows
                    if row.get("path")
                ]
            return self._records

    def unpack(self) -> Path:
        """Decompress the tarball into the cache (once): one plain tar file, read by offset.

        Writing one file instead of 31,525 small ones makes this a second instead of several.
        """
        target = self.cache_dir / "ant-corpus.tar"
        with self._lock:
            if self._tar is None:
                if not target.exists():
                    partial = target.with_suffix(".partial")
                    assert self.tarball is not None
                    with lzma.open(self.tarball) as source, partial.open("wb") as sink:
                        shutil.copyfileobj(source, sink, 1 << 20)
                    partial.rename(target)
                self._tar = tarfile.open(target, "r:")  # noqa: SIM115 - held open; see close()
                self._members = {m.name.removeprefix("./"): m for m in self._tar if m.isfile()}
        return target

    def read(self, path: str) -> str:
        """The text of one corpus file, by its index path."""
        self.unpack()
        with self._lock:
            assert self._tar is not None
            member = self._tar.extractfile(self._members[path])
            assert member is not None
            return member.read().decode("utf-8")

    def close(self) -> None:
        with self._lock:
            if self._tar is not None:
                self._tar.close()
                self._tar = None

    def article(self, record: AntRecord) -> SiteArticle | None:
        """The article a record points at, or None when its TEXT is empty."""
        doc = self.read(record.path)
        fields = {
            tag: (match.group(1).strip() if match else "")
            for tag in ("DOCNO", "URL", "TITLE", "TIME", "AUTHOR", "ABSTRACT", "TEXT")
            for match in [re.search(rf"<{tag}>(.*?)</{tag}>", doc, re.S)]
        }
        paragraphs = [" ".join(line.split()) for line in fields["TEXT"].splitlines()]
        paragraphs = [p for p in paragraphs if p]
        if not paragraphs:
            return None
        try:
            published = email.utils.parsedate_to_datetime(fields["TIME"] or record.time)
        except (TypeError, ValueError):
            published = datetime(2018, 6, 1, tzinfo=UTC)
        return SiteArticle(
            slug=_ant_slug(fields["URL"] or record.url, fields["DOCNO"]),
            title=" ".join((fields["TITLE"] or record.title).split()),
            paragraphs=paragraphs,
            published=published,
            section=_ANT_SECTIONS.get(record.category, "أخبار"),
            author=" ".join(fields["AUTHOR"].split()) or "وكالات",
            summary=" ".join(fields["ABSTRACT"].split()),
            origin=f"ant:{fields['DOCNO'] or record.path}",
        )

    def articles(
        self,
        limit: int,
        *,
        seed: int = 0,
        filter: Callable[[AntRecord], bool] | None = None,
    ) -> list[SiteArticle]:
        """`limit` articles drawn at random (reproducibly, by `seed`) from the matching records.

        Slugs are made unique across the returned list (the corpus repeats some URLs).
        """
        candidates = [r for r in self.records() if filter is None or filter(r)]
        rng = random.Random(seed)
        rng.shuffle(candidates)
        chosen: list[SiteArticle] = []
        slugs: set[str] = set()
        for record in candidates:
            if len(chosen) >= limit:
                break
            article = self.article(record)
            if article is None:
                continue
            slug, n = article.slug, 2
            while slug in slugs:
                slug, n = f"{article.slug}-{n}", n + 1
            slugs.add(slug)
            chosen.append(article if slug == article.slug else replace(article, slug=slug))
        return chosen


def _ant_slug(url: str, docno: str) -> str:
    """The last path segment of the publisher's URL (Arabic slugs kept), else the DOCNO."""
    segment = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    segment = re.sub(r"\.(?:html?|aspx?|php)$", "", segment)
    segment = re.sub(r"[^\w-]+", "-", segment).strip("-_")[:90].strip("-_")
    if not segment:
        segment = docno.lower() or "article"
    return segment


_default_corpus: AntCorpus | None = None
_default_lock = threading.Lock()


def set_default_ant_corpus(corpus: AntCorpus | None) -> None:
    """Make `load_ant_articles` use `corpus` (the test session's cache) by default."""
    global _default_corpus
    with _default_lock:
        if _default_corpus is not None and _default_corpus is not corpus:
            _default_corpus.close()  # one unpacked earlier on demand: release its tar file
        _default_corpus = corpus


def default_ant_corpus() -> AntCorpus | None:
    """The process-wide corpus, unpacked into a temporary directory removed at exit."""
    global _default_corpus
    with _default_lock:
        if _default_corpus is None:
            shared = shared_data_dir()
            if shared is None or not (shared / ANT_DIR_NAME).is_dir():
                return None
            cache = Path(tempfile.mkdtemp(prefix="rasad-ant-"))
            atexit.register(shutil.rmtree, cache, True)
            _default_corpus = AntCorpus(shared / ANT_DIR_NAME, cache)
            atexit.register(_default_corpus.close)
        return _default_corpus


def load_ant_articles(
    limit: int,
    *,
    seed: int = 0,
    filter: Callable[[AntRecord], bool] | None = None,
    corpus: AntCorpus | None = None,
) -> list[SiteArticle]:
    """`limit` ANT articles as SiteArticles. Under pytest, skips when ../shared/data is absent.

    filter: a predicate on index rows, e.g. ``lambda r: r.mentions_north_korea``.
    """
    corpus = corpus or default_ant_corpus()
    if corpus is None:
        reason = f"the ANT corpus is not available ({SHARED_DATA / ANT_DIR_NAME} is absent)"
        if "pytest" in sys.modules:
            import pytest

            pytest.skip(reason)
        raise FileNotFoundError(reason)
    return corpus.articles(limit, seed=seed, filter=filter)


def mentions_russia_and_north_korea(record: AntRecord) -> bool:
    """ANT filter: index rows that mention both countries."""
    return record.mentions_russia and record.mentions_north_korea


# ── fresh on-topic stories (not seeds) ───────────────────────────────────────────────────


def fresh_story(n: int, angle: str) -> SiteArticle:
    """One of three distinct on-topic stories on Lavrov's visit to Pyongyang (31 May 2018),
    written for the tests: not in the seed corpus, so a crawl stores them as new."""
    return SiteArticle(
        slug=f"lavrov-{n}",
        title=f"لافروف في بيونغ يانغ: {angle}",
        paragraphs=(
            f"وصل وزير الخارجية الروسي سيرغي لافروف إلى بيونغ يانغ في زيارة رسمية، {angle}.",
            *_LAVROV_ANGLES[n],
        ),
        published=datetime(2018, 5, 31, 8 + n, tzinfo=UTC),
    )


_LAVROV_ANGLES = {
    0: (
        "وقال لافروف خلال لقائه نظيره الكوري الشمالي ري يونغ هو إن موسكو تدعم الحوار بين "
        "الكوريتين وترى أن نزع السلاح النووي لا يمكن أن يتم دفعة واحدة بل على مراحل متتالية.",
        "وأضاف أن روسيا مستعدة للمساهمة في مشاريع البنية التحتية التي تربط شبه الجزيرة الكورية "
        "بالشبكة الروسية، ومنها خط السكك الحديدية وخطوط الكهرباء وأنابيب الغاز.",
        "من جهته أكد ري يونغ هو أن بلاده تقدر موقف موسكو المعارض للضغوط والعقوبات الأحادية.",
    ),
    1: (
        "وسلّم لافروف الزعيم الكوري الشمالي كيم جونغ أون رسالة من الرئيس فلاديمير بوتين تضمنت "
        "دعوة لزيارة روسيا، بحسب ما أعلنت وكالة الأنباء المركزية الكورية.",
        "وقال كيم إن بلاده تثمن الصداقة مع روسيا وتريد تعزيز التعاون الاستراتيجي معها في مواجهة "
        "الهيمنة الأميركية، مضيفا أن لقاء قمة مع بوتين بات ضروريا.",
        "وهذه أول زيارة لوزير خارجية روسي إلى كوريا الشمالية منذ عام 2009.",
    ),
    2: (
        "ويرى محللون في موسكو أن الكرملين يسعى من خلال الزيارة إلى ضمان دور له في أي تسوية "
        "للأزمة الكورية بعد التقارب بين واشنطن وبيونغ يانغ قبيل قمة سنغافورة المرتقبة.",
        "ويشير هؤلاء إلى أن روسيا تملك حدودا برية قصيرة مع كوريا الشمالية وتخشى أن تُستبعد من "
        "ترتيبات الأمن الإقليمي إذا انفردت الولايات المتحدة والصين بالملف.",
        "كما تأمل الشركات الروسية في الاستفادة من أي تخفيف للعقوبات على بيونغ يانغ.",
    ),
}


def fresh_stories() -> list[SiteArticle]:
    return [
        fresh_story(0, "محادثات حول نزع السلاح"),
        fresh_story(1, "رسالة من بوتين إلى كيم"),
        fresh_story(2, "قراءة في أهداف الكرملين"),
    ]


# ── page furniture ────────────────────────────────────────────────────────────────────────────

NAV_MENU: Final = (
    ("الرئيسية", "/"),
    ("عاجل", "/breaking/"),
    ("سياسة", "/politics/"),
    ("عرب وعالم", "/world/"),
    ("اقتصاد", "/economy/"),
    ("رياضة", "/sport/"),
    ("تكنولوجيا", "/tech/"),
    ("ثقافة وفنون", "/culture/"),
    ("منوعات", "/variety/"),
    ("مقالات الرأي", "/opinion/"),
    ("فيديو", "/video/"),
    ("انفوجراف", "/infographics/"),
)
FOOTER_LINKS: Final = (
    ("من نحن", "/about/"),
    ("اتصل بنا", "/contact/"),
    ("أعلن معنا", "/advertise/"),
    ("سياسة الخصوصية", "/privacy/"),
    ("شروط الاستخدام", "/terms/"),
    ("خريطة الموقع", "/sitemap/"),
)
SHARE_NETWORKS: Final = ("فيسبوك", "إكس", "واتساب", "تيليجرام", "لينكدإن")
SHARE_LABEL: Final = "شارك هذا الخبر"
LOGIN_TITLE: Final = "تسجيل الدخول"
LOGIN_USER: Final = "اسم المستخدم"
LOGIN_PASSWORD: Final = "كلمة المرور"
LOGIN_FORGOT: Final = "نسيت كلمة المرور؟"
LOGIN_REGISTER: Final = "ليس لديك حساب؟ سجّل الآن"
MOST_READ_LABEL: Final = "الأكثر قراءة"
READ_ALSO_LABEL: Final = "اقرأ أيضا"
# Sidebar headlines that name Russia and North Korea on every page, whatever the story is about:
# relevance judged on raw HTML instead of extracted text is fooled by them.
MOST_READ: Final = (
    "بوتين يستقبل وزيرة خارجية كوريا الشمالية في الكرملين ويشيد بمتانة الشراكة بين البلدين",
    "كيم جونغ أون يتفقد مصنعاً للقذائف قبيل زيارة مرتقبة إلى موسكو",
    "سيول: بيونغ يانغ نقلت ملايين القذائف المدفعية إلى روسيا عبر السكك الحديدية",
    "أسعار الذهب تسجل مستوى قياسياً جديداً مع تراجع الدولار",
    "الأرصاد تحذر من موجة حر شديدة تضرب المنطقة نهاية الأسبوع",
)
RELATED_AFTER: Final = (
    "موسكو وبيونغ يانغ توقعان اتفاقاً جديداً للتعاون في مجال الطاقة والنقل البري",
    "خبراء: التقارب الروسي الكوري الشمالي يعيد رسم خريطة التحالفات في شرق آسيا",
    "واشنطن تفرض عقوبات على شركات شحن روسية بتهمة نقل أسلحة من كوريا الشمالية",
    "مجلس الأمن يعقد جلسة طارئة لبحث التجارب الصاروخية الأخيرة في شبه الجزيرة الكورية",
)
RELATED_INLINE: Final = (
    "لافروف يصل إلى بيونغ يانغ في زيارة رسمية تستغرق يومين",
    "الكرملين: لا قيود على تطوير العلاقات مع جمهورية كوريا الديمقراطية الشعبية",
    "صور الأقمار الصناعية تكشف نشاطاً متزايداً في ميناء راجين الكوري الشمالي",
)
BREAKING_TICKER: Final = "عاجل: كوريا الشمالية تطلق صاروخاً باليستياً والكرملين يرفض التعليق"
COMMENTS: Final = (
    ("أبو خالد", "تحليل عميق ومفيد، نتمنى من الموقع المزيد من هذه التقارير المتوازنة."),
    ("سارة م.", "روسيا لا تتحرك إلا وفق مصالحها، والأيام القادمة ستثبت ذلك للجميع."),
    ("محمد العلي", "شكراً للكاتب على هذا الطرح، لكن المقال أغفل الموقف الصيني تماماً."),
)
COMMENTS_POLICY: Final = "التعليقات المنشورة تعبر عن آراء أصحابها ولا تعبر بالضرورة عن رأي الموقع"
NEWSLETTER_TITLE: Final = "اشترك في النشرة البريدية"
NEWSLETTER_TEXT: Final = "احصل على أهم الأخبار والتحليلات مباشرة في بريدك الإلكتروني كل صباح"
COOKIE_TEXT: Final = (
    "يستخدم هذا الموقع ملفات تعريف الارتباط (الكوكيز) لتحسين تجربة التصفح وتحليل الزيارات."
    " باستمرارك في استخدام الموقع فإنك توافق على سياسة الخصوصية."
)
POPULAR_TAGS: Final = (
    "روسيا",
    "كوريا الشمالية",
    "أوكرانيا",
    "الصين",
    "أسعار النفط",
    "كأس العالم",
    "الذكاء الاصطناعي",
)
AD_LABEL: Final = "إعلان"


def copyright_line(site_name: str = SITE_NAME) -> str:
    return f"جميع الحقوق محفوظة © {COPYRIGHT_YEAR} {site_name}"


# Strings that every page template prints outside the article and that no article body contains:
# extracted text must contain none of them.
BOILERPLATE_MARKERS: Final = (
    LOGIN_TITLE,
    LOGIN_USER,
    LOGIN_PASSWORD,
    "نسيت كلمة المرور",
    MOST_READ_LABEL,
    *MOST_READ,
    *RELATED_AFTER,
    *RELATED_INLINE,
    BREAKING_TICKER,
    *(text for _, text in COMMENTS),
    COMMENTS_POLICY,
    NEWSLETTER_TITLE,
    NEWSLETTER_TEXT,
    COOKIE_TEXT,
    "جميع الحقوق محفوظة",
    SHARE_LABEL,
)


# ── page templates ────────────────────────────────────────────────────────────────────────────

TEMPLATES: Final = ("wordpress", "modern", "legacy", "outlet")
# Which templates put the publication date in machine-readable metadata. The others print it
# only as Arabic text.
TEMPLATES_WITH_DATE_METADATA: Final = frozenset({"wordpress", "modern"})

_SECTION_SLUGS: Final = {
    "عرب وعالم": "arab-world",
    "العالم": "world",
    "الشرق الأوسط": "middle-east",
    "سياسة": "politics",
    "اقتصاد": "economy",
    "رياضة": "sport",
    "تكنولوجيا": "tech",
    "ثقافة وفنون": "culture",
    "آراء ومقالات": "opinion",
    "تقارير وتحليلات": "reports",
}


def section_slug(section: str) -> str:
    return _SECTION_SLUGS.get(section, "news")


def article_path(article: SiteArticle, template: str, page_id: int) -> str:
    """The (unquoted) path the site serves an article at; each template has its CMS's URL style."""
    day = article.published.astimezone(SITE_TZ)
    if template == "wordpress":
        return f"/{day:%Y/%m/%d}/{article.slug}/"
    if template == "modern":
        return f"/news/{page_id}/{article.slug}"
    if template == "legacy":
        return f"/News/NewsDetails.aspx?NewsID={page_id}"
    if template == "outlet":
        return f"/ar/{section_slug(article.section)}/{day:%Y/%m/%d}/{article.slug}.html"
    raise ValueError(f"unknown template {template!r}; choose from {', '.join(TEMPLATES)}")


def quote_path(path: str) -> str:
    """A path as it appears in links: non-ASCII percent-encoded as UTF-8."""
    return quote(path, safe="/?=&;:@!$'()*+,-._~%")


@dataclass(frozen=True)
class RenderedPage:
    body: bytes
    content_type: str


@dataclass(frozen=True)
class PageContext:
    article: SiteArticle
    url: str  # absolute URL of the page
    page_id: int
    site_name: str = SITE_NAME
    today: date = field(default_factory=lambda: datetime.now(SITE_TZ).date())

    @property
    def inline_related(self) -> str:
        digest = hashlib.sha1(self.article.slug.encode("utf-8")).digest()
        return RELATED_INLINE[digest[0] % len(RELATED_INLINE)]

    @property
    def image(self) -> str:
        day = self.article.published.astimezone(SITE_TZ)
        return f"/uploads/{day:%Y/%m}/{self.page_id}-main.jpg"

    def body_blocks(self) -> Iterator[tuple[str, str]]:
        """("p"|"h", text), plus ("read_also", headline) after the second paragraph and ("ad", "")
        after the fourth: the two things CMSs inject into article bodies."""
        paragraphs = self.article.paragraphs
        read_also_at = min(1, len(paragraphs) - 1)
        for i, text in enumerate(paragraphs):
            yield ("h" if i in self.article.headings else "p", text)
            if i == read_also_at:
                yield ("read_also", self.inline_related)
            if i == 3 and len(paragraphs) > 5:
                yield ("ad", "")


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _json_script(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")


def _render_wordpress(ctx: PageContext) -> str:
    a = ctx.article
    iso = a.published.isoformat()
    shown = arabic_date(a.published, weekday=False, clock=None)
    clock = arabic_date(a.published, weekday=False, clock="12h").rsplit(" ", 2)[-2:]
    menu = "\n".join(
        f'<li id="menu-item-{100 + i}" class="menu-item menu-item-type-taxonomy">'
        f'<a href="{href}">{_e(label)}</a></li>'
        for i, (label, href) in enumerate(NAV_MENU)
    )
    body = []
    for kind, text in ctx.body_blocks():
        if kind == "p":
            body.append(f"<p>{_e(text)}</p>")
        elif kind == "h":
            body.append(f'<h2 class="wp-block-heading">{_e(text)}</h2>')
        elif kind == "read_also":
            body.append(
                f'<p class="read-also"><strong>{READ_ALSO_LABEL}: </strong>'
                f'<a href="/2024/05/02/related-{ctx.page_id + 7}/">{_e(text)}</a></p>'
            )
        else:
            body.append(
                f'<div class="code-block code-block-2"><span class="ad-label">{AD_LABEL}'
                '</span><ins class="adsbygoogle" style="display:block" data-ad-client='
                '"ca-pub-0000000000000000" data-ad-slot="1234567890"></ins><script>'
                "(adsbygoogle = window.adsbygoogle || []).push({});</script></div>"
            )
    share = "".join(
        f'<li class="share-{i}"><a rel="nofollow noopener noreferrer" class="share-icon" '
        f'href="{ctx.url}?share={i}" target="_blank"><span>{_e(n)}</span></a></li>'
        for i, n in enumerate(SHARE_NETWORKS)
    )
    tags = "، ".join(
        f'<a href="/tag/{quote(t)}/" rel="tag">{_e(t)}</a>' for t in a.tags or (a.section,)
    )
    related = "\n".join(
        f'<div class="jp-relatedposts-post jp-relatedposts-post{i}"><h4 class="jp-relatedposts-'
        f'post-title"><a class="jp-relatedposts-post-a" href="/2024/0{i + 3}/1{i}/rel-{i}/">'
        f'{_e(h)}</a></h4><p class="jp-relatedposts-post-date">{i + 2} مايو، 2024</p></div>'
        for i, h in enumerate(RELATED_AFTER)
    )
    comments = "\n".join(
        f'<li id="comment-{ctx.page_id * 10 + i}" class="comment even thread-even depth-1">'
        f'<article class="comment-body"><footer class="comment-meta"><div class="comment-author '
        f'vcard"><b class="fn">{_e(name)}</b> <span class="says">قال:</span></div><div class='
        f'"comment-metadata"><time datetime="{iso}">{shown} في {i + 9}:1{i} م</time></div>'
        f'</footer><div class="comment-content"><p>{_e(text)}</p></div><div class="reply">'
        f'<a rel="nofollow" class="comment-reply-link" href="#respond">رد</a></div></article></li>'
        for i, (name, text) in enumerate(COMMENTS)
    )
    most_read = "\n".join(
        f'<li><a href="/2025/0{i + 1}/0{i + 2}/top-{i}/">{_e(h)}</a></li>'
        for i, h in enumerate(MOST_READ)
    )
    tag_cloud = " ".join(
        f'<a href="/tag/{quote(t)}/" class="tag-cloud-link">{_e(t)}</a>' for t in POPULAR_TAGS
    )
    thumb = (
        f'<figure class="post-thumbnail"><img width="1024" height="576" src="{ctx.image}" '
        f'class="attachment-post-thumbnail wp-post-image" alt="{_e(a.caption or a.title)}" '
        'decoding="async" fetchpriority="high">'
        + (f'<figcaption class="wp-caption-text">{_e(a.caption)}</figcaption>' if a.caption else "")
        + "</figure>"
    )
    footer_links = " | ".join(f'<a href="{h}">{_e(t)}</a>' for t, h in FOOTER_LINKS)
    return f"""<!DOCTYPE html>
<html dir="rtl" lang="ar">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(a.title)} &#8211; {_e(ctx.site_name)}</title>
<meta name="description" content="{_e(a.description)}">
<meta name="robots" content="index, follow, max-image-preview:large">
<link rel="canonical" href="{ctx.url}">
<meta property="og:locale" content="ar_AR">
<meta property="og:type" content="article">
<meta property="og:title" content="{_e(a.title)}">
<meta property="og:description" content="{_e(a.description)}">
<meta property="og:url" content="{ctx.url}">
<meta property="og:site_name" content="{_e(ctx.site_name)}">
<meta property="article:section" content="{_e(a.section)}">
<meta property="article:published_time" content="{iso}">
<meta property="og:image" content="{ctx.image}">
<meta name="author" content="{_e(a.author)}">
<meta name="generator" content="WordPress 6.5.3">
<link rel="alternate" type="application/rss+xml" title="{_e(ctx.site_name)} &raquo; الخلاصة"
 href="/feed/">
<link rel="stylesheet" id="wp-block-library-rtl-css"
 href="/wp-includes/css/dist/block-library/style-rtl.min.css?ver=6.5.3" media="all">
<link rel="stylesheet" id="newsup-style-css" href="/wp-content/themes/newsup/style.css?ver=6.5.3">
<script>window._wpemojiSettings = {{"baseUrl":"https:\\/\\/s.w.org\\/images\\/core\\/emoji\\/15.0.3\\/72x72\\/","ext":".png","source":{{"concatemoji":"\\/wp-includes\\/js\\/wp-emoji-release.min.js?ver=6.5.3"}}}};</script>
<style id="wp-custom-css">.read-also{{border-right:4px solid #c00;padding-right:8px}}</style>
</head>
<body class="post-template-default single single-post postid-{ctx.page_id} single-format-standard rtl wp-embed-responsive">
<div id="cookie-notice" role="dialog" class="cookie-notice-hidden cookie-revoke-hidden cn-position-bottom" aria-label="Cookie Notice"><div class="cookie-notice-container"><span id="cn-notice-text" class="cn-text-container">{_e(COOKIE_TEXT)}</span><span id="cn-notice-buttons" class="cn-buttons-container"><a href="#" id="cn-accept-cookie" class="cn-set-cookie cn-button">موافق</a><a href="/privacy/" class="cn-more-info cn-button">إدارة التفضيلات</a></span></div></div>
<div id="page" class="site">
<a class="skip-link screen-reader-text" href="#content">تخطي إلى المحتوى</a>
<div class="mg-head-detail hidden-xs"><div class="container-fluid"><ul class="info-left"><li>{_e(arabic_date(datetime.combine(ctx.today, datetime.min.time(), SITE_TZ), clock=None))}</li></ul>
<div class="breaking-bar"><span class="bn-label">عاجل</span><a href="/breaking/">{_e(BREAKING_TICKER)}</a></div></div></div>
<header id="masthead" class="site-header">
<div class="site-branding"><p class="site-title"><a href="/" rel="home">{_e(ctx.site_name)}</a></p><p class="site-description">{_e(SITE_TAGLINE)}</p></div>
<nav id="site-navigation" class="main-navigation" aria-label="القائمة الرئيسية"><button class="menu-toggle" aria-controls="primary-menu" aria-expanded="false">القائمة</button>
<ul id="primary-menu" class="menu nav-menu">
{menu}
</ul></nav>
<div class="header-login widget_login"><h3 class="widget-title">{LOGIN_TITLE}</h3>
<form name="loginform" id="loginform" action="/wp-login.php" method="post">
<p class="login-username"><label for="user_login">{LOGIN_USER}</label><input type="text" name="log" id="user_login" class="input" size="20"></p>
<p class="login-password"><label for="user_pass">{LOGIN_PASSWORD}</label><input type="password" name="pwd" id="user_pass" class="input" size="20"></p>
<p class="login-remember"><label><input name="rememberme" type="checkbox" id="rememberme" value="forever"> تذكرني</label></p>
<p class="login-submit"><input type="submit" name="wp-submit" id="wp-submit" class="button button-primary" value="دخول"></p>
</form><a href="/wp-login.php?action=lostpassword">{LOGIN_FORGOT}</a> · <a href="/wp-login.php?action=register">{LOGIN_REGISTER}</a></div>
</header>
<div id="content" class="site-content">
<nav class="rank-math-breadcrumb" aria-label="مسار التنقل"><p><a href="/">الرئيسية</a><span class="separator"> &raquo; </span><a href="/category/{section_slug(a.section)}/">{_e(a.section)}</a><span class="separator"> &raquo; </span><span class="last">{_e(a.title)}</span></p></nav>
<div id="primary" class="content-area"><main id="main" class="site-main">
<article id="post-{ctx.page_id}" class="post-{ctx.page_id} post type-post status-publish format-standard has-post-thumbnail hentry category-{section_slug(a.section)}">
<header class="entry-header">
<div class="bs-blog-category"><a href="/category/{section_slug(a.section)}/" rel="category tag">{_e(a.section)}</a></div>
<h1 class="entry-title">{_e(a.title)}</h1>
<div class="entry-meta"><span class="posted-on">نُشر في <a href="{ctx.url}" rel="bookmark"><time class="entry-date published" datetime="{iso}">{shown}</time></a> الساعة {" ".join(clock)}</span><span class="byline"> بواسطة <span class="author vcard"><a class="url fn n" href="/author/{ctx.page_id % 17}/">{_e(a.author)}</a></span></span> <span class="comments-link"><a href="#comments">3 تعليقات</a></span></div>
</header>
{thumb}
<div class="sharedaddy sd-sharing-enabled"><div class="robots-nocontent sd-block sd-social"><h3 class="sd-title">{SHARE_LABEL}:</h3><div class="sd-content"><ul>{share}</ul></div></div></div>
<div class="entry-content">
{chr(10).join(body)}
</div>
<footer class="entry-footer"><span class="tags-links">الوسوم: {tags}</span></footer>
</article>
<div id="jp-relatedposts" class="jp-relatedposts"><h3 class="jp-relatedposts-headline"><em>{READ_ALSO_LABEL}</em></h3>
<div class="jp-relatedposts-items jp-relatedposts-items-visual">
{related}
</div></div>
<nav class="navigation post-navigation" aria-label="المقالات"><div class="nav-links"><div class="nav-previous"><a href="/?p={ctx.page_id - 1}" rel="prev"><span class="meta-nav">المقال السابق</span></a></div><div class="nav-next"><a href="/?p={ctx.page_id + 1}" rel="next"><span class="meta-nav">المقال التالي</span></a></div></div></nav>
<div id="comments" class="comments-area">
<h2 class="comments-title">3 تعليقات على &#8220;{_e(a.title)}&#8221;</h2>
<ol class="comment-list">
{comments}
</ol>
<p class="comments-policy">{COMMENTS_POLICY}</p>
<div id="respond" class="comment-respond"><h3 id="reply-title" class="comment-reply-title">أضف تعليقاً</h3>
<form action="/wp-comments-post.php" method="post" id="commentform" class="comment-form"><p class="comment-notes">لن يتم نشر عنوان بريدك الإلكتروني. الحقول الإلزامية مشار إليها بـ *</p>
<p class="comment-form-comment"><label for="comment">التعليق *</label><textarea id="comment" name="comment" cols="45" rows="8" required></textarea></p>
<p class="comment-form-author"><label for="author">الاسم *</label><input id="author" name="author" type="text"></p>
<p class="comment-form-email"><label for="email">البريد الإلكتروني *</label><input id="email" name="email" type="email"></p>
<p class="form-submit"><input name="submit" type="submit" id="submit" class="submit" value="إرسال التعليق"></p></form></div>
</div>
</main></div>
<aside id="secondary" class="widget-area" aria-label="الشريط الجانبي">
<section id="search-2" class="widget widget_search"><form role="search" method="get" class="search-form" action="/"><label><span class="screen-reader-text">بحث عن:</span><input type="search" class="search-field" placeholder="بحث &hellip;" name="s"></label><input type="submit" class="search-submit" value="بحث"></form></section>
<section id="popular-posts-3" class="widget popular-posts"><h2 class="widget-title">{MOST_READ_LABEL}</h2><ul class="wpp-list">
{most_read}
</ul></section>
<section id="mc4wp-2" class="widget widget_mc4wp_form_widget"><h2 class="widget-title">{NEWSLETTER_TITLE}</h2><form id="mc4wp-form-1" class="mc4wp-form" method="post"><p>{NEWSLETTER_TEXT}</p><p><input type="email" name="EMAIL" placeholder="بريدك الإلكتروني" required></p><p><input type="submit" value="اشترك الآن"></p></form></section>
<section id="tag_cloud-2" class="widget widget_tag_cloud"><h2 class="widget-title">وسوم شائعة</h2><div class="tagcloud">{tag_cloud}</div></section>
</aside>
</div>
<footer id="colophon" class="site-footer"><div class="footer-menu">{footer_links}</div>
<div class="site-info">{_e(copyright_line(ctx.site_name))} | يعمل بواسطة ووردبريس</div></footer>
</div>
<script src="/wp-includes/js/comment-reply.min.js?ver=6.5.3" id="comment-reply-js" async data-wp-strategy="async"></script>
<script src="/wp-content/plugins/jetpack/_inc/build/sharedaddy/sharing.min.js?ver=13.4" id="sharing-js-js"></script>
</body>
</html>
"""


def _render_modern(ctx: PageContext) -> str:
    """A Next.js-style site: hashed class names, nested divs, JSON-LD, og: meta, __NEXT_DATA__."""
    a = ctx.article
    iso = a.published.isoformat()
    shown = arabic_date(a.published, clock="12h")
    json_ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": ctx.url},
        "headline": a.title,
        "description": a.description,
        "image": [ctx.image],
        "datePublished": iso,
        "dateModified": iso,
        "articleSection": a.section,
        "inLanguage": "ar",
        "author": [{"@type": "Person", "name": a.author}],
        "publisher": {
            "@type": "NewsMediaOrganization",
            "name": ctx.site_name,
            "logo": {"@type": "ImageObject", "url": "/static/logo-600x60.png"},
        },
        "keywords": list(a.tags),
    }
    crumbs = {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": 1, "name": "الرئيسية", "item": "/"},
            {
                "@type": "ListItem",
                "position": 2,
                "name": a.section,
                "item": f"/{section_slug(a.section)}",
            },
        ],
    }
    next_data = {
        "props": {
            "pageProps": {
                "article": {
                    "id": ctx.page_id,
                    "title": a.title,
                    "section": a.section,
                    "slug": a.slug,
                },
                "ads": {"mpu": "/2345/madar/article_mpu"},
            }
        },
        "page": "/news/[id]/[slug]",
        "query": {"id": str(ctx.page_id), "slug": a.slug},
        "buildId": "x7Yq2bLm9RkT",
        "isFallback": False,
    }
    nav = "".join(
        f'<div class="Nav_item__t2Kx"><a class="Nav_link__3fQz" href="{h}">{_e(t)}</a></div>'
        for t, h in NAV_MENU
    )
    body = []
    for kind, text in ctx.body_blocks():
        if kind == "p":
            body.append(
                f'<div data-component="text-block" class="TextBlock_root__q8Hx">'
                f'<p dir="rtl" class="TextBlock_p__1Lw0">{_e(text)}</p></div>'
            )
        elif kind == "h":
            body.append(
                f'<div data-component="subheadline-block" class="Sub_root__9ZcA">'
                f'<h2 class="Sub_h2__Kx71">{_e(text)}</h2></div>'
            )
        elif kind == "read_also":
            body.append(
                f'<div data-component="links-block" class="RelatedCard_root__V1lb">'
                f'<span class="RelatedCard_label__4mQp">{READ_ALSO_LABEL}</span><a class='
                f'"RelatedCard_link__2zE8" href="/news/{ctx.page_id - 3}/related-story">'
                f'<div class="RelatedCard_title__hB3s">{_e(text)}</div></a></div>'
            )
        else:
            body.append(
                f'<div class="AdSlot_root__Qm2n" data-slot="mpu-1"><div class='
                f'"AdSlot_label__8Wbn">{AD_LABEL}</div><div id="div-gpt-ad-mpu-1" '
                'style="min-height:250px"></div></div>'
            )
    share = "".join(
        f'<button type="button" class="ShareBar_btn__Xy3a" aria-label="{_e(n)}">'
        f'<svg viewBox="0 0 24 24" width="20" height="20"><use href="#icon-{i}"/></svg>'
        "</button>"
        for i, n in enumerate(SHARE_NETWORKS)
    )
    standfirst = (
        f'<p class="ArticleHeader_standfirst__Zp4e">{_e(a.summary)}</p>' if a.summary else ""
    )
    caption = (
        f'<figcaption class="ArticleImage_caption__1aRk">{_e(a.caption)}</figcaption>'
        if a.caption
        else ""
    )
    tags = "".join(
        f'<a class="Tags_tag__7hTn" href="/tags/{quote(t)}">{_e(t)}</a>'
        for t in a.tags or (a.section,)
    )
    related = "".join(
        f'<li class="RelatedList_item__d4Rt"><a href="/news/{ctx.page_id - 10 - i}/'
        f'story-{i}"><img alt="" src="/_next/image?url=%2Fimg%2F{i}.jpg&amp;w=384&amp;'
        f'q=75" loading="lazy"><h3 class="RelatedList_title__u1Fs">{_e(h)}</h3></a>'
        "</li>"
        for i, h in enumerate(RELATED_AFTER)
    )
    comments = "".join(
        f'<div class="Comment_root__R3tz"><div class="Comment_author__8pQw">'
        f'{_e(name)}</div><div class="Comment_time__Zx0e">منذ {i + 2} ساعات</div>'
        f'<div class="Comment_text__Lk2v">{_e(text)}</div><button class='
        '"Comment_like__t0Pq">أعجبني</button></div>'
        for i, (name, text) in enumerate(COMMENTS)
    )
    most_read = "".join(
        f'<li class="MostRead_item__2nQx"><span class="MostRead_rank__h7Fs">'
        f'{i + 1}</span><a href="/news/{ctx.page_id + 100 + i}/popular-{i}">'
        f"{_e(h)}</a></li>"
        for i, h in enumerate(MOST_READ)
    )
    footer = "".join(
        f'<a class="Footer_link__p2Ls" href="{h}">{_e(t)}</a>' for t, h in FOOTER_LINKS
    )
    return f"""<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charSet="utf-8"/><meta name="viewport" content="width=device-width, initial-scale=1"/><title>{_e(a.title)} | {_e(ctx.site_name)}</title><meta name="description" content="{_e(a.description)}"/><meta property="og:type" content="article"/><meta property="og:title" content="{_e(a.title)}"/><meta property="og:description" content="{_e(a.description)}"/><meta property="og:url" content="{ctx.url}"/><meta property="og:image" content="{ctx.image}"/><meta property="og:site_name" content="{_e(ctx.site_name)}"/><meta property="og:locale" content="ar_AR"/><meta property="article:published_time" content="{iso}"/><meta property="article:modified_time" content="{iso}"/><meta property="article:section" content="{_e(a.section)}"/><meta name="twitter:card" content="summary_large_image"/><meta name="twitter:site" content="@almadar_news"/><link rel="canonical" href="{ctx.url}"/><link rel="alternate" type="application/atom+xml" href="/atom.xml"/>
<script type="application/ld+json">{_json_script(json_ld)}</script>
<script type="application/ld+json">{_json_script(crumbs)}</script>
<link rel="preload" href="/_next/static/css/8c1a4e2f0b7d.css" as="style"/><link rel="stylesheet" href="/_next/static/css/8c1a4e2f0b7d.css" data-n-g=""/><script defer="" nomodule="" src="/_next/static/chunks/polyfills-c67a75d1b6f99dc8.js"></script><script src="/_next/static/chunks/webpack-59c5c889f52620d6.js" defer=""></script><script src="/_next/static/chunks/framework-2c79e2a64abdb08b.js" defer=""></script><script src="/_next/static/chunks/pages/news/%5Bid%5D/%5Bslug%5D-1e0f7c3a9b.js" defer=""></script></head><body><div id="__next"><div class="Layout_root__Tq8b">
<div class="Ticker_root__7Ujh" role="marquee"><span class="Ticker_label__3hGx">عاجل</span><div class="Ticker_items__Wc5p"><a href="/breaking">{_e(BREAKING_TICKER)}</a></div></div>
<header class="Header_root__R2dY"><div class="Header_inner__v3Nm"><a class="Header_logo__f1Ks" href="/" aria-label="{_e(ctx.site_name)}"><img src="/static/logo.svg" alt="{_e(ctx.site_name)}" width="180" height="40"/></a><nav class="Nav_root__Bq4x" aria-label="الأقسام">{nav}</nav><div class="Header_account__Jw9e"><button type="button" class="Header_login__u8Pd">{LOGIN_TITLE}</button><div class="LoginModal_root__a0Xc" role="dialog" aria-hidden="true"><form class="LoginModal_form__Hk3q" method="post" action="/api/auth/login"><h2 class="LoginModal_title__Y2mx">{LOGIN_TITLE}</h2><label class="Field_label__C1vz" for="u">{LOGIN_USER}</label><input class="Field_input__N3rs" id="u" name="username"/><label class="Field_label__C1vz" for="p">{LOGIN_PASSWORD}</label><input class="Field_input__N3rs" id="p" type="password" name="password"/><button type="submit" class="Button_primary__Lq0s">دخول</button><a class="LoginModal_forgot__7Gtt" href="/account/reset">{LOGIN_FORGOT}</a><a class="LoginModal_register__Vv1d" href="/account/register">{LOGIN_REGISTER}</a></form></div></div></div></header>
<main class="Layout_main__Kp2r"><div class="Breadcrumb_root__Zs4k"><a href="/">الرئيسية</a><span class="Breadcrumb_sep__Gh1w">/</span><a href="/{section_slug(a.section)}">{_e(a.section)}</a></div>
<div class="ArticlePage_grid__Lw5t"><div class="ArticlePage_content__Jd2o"><div class="ArticleHeader_root__Mx1f"><div class="ArticleHeader_section__q0Rn"><a href="/{section_slug(a.section)}">{_e(a.section)}</a></div><h1 class="ArticleHeader_title__Wv8z">{_e(a.title)}</h1>{standfirst}<div class="ArticleHeader_meta__E4hs"><div class="Byline_author__Fz7y">{_e(a.author)}</div><div class="Byline_date__Ry2k"><span>نُشر في</span> <span>{_e(shown)}</span></div></div></div>
<div class="ShareBar_root__Kc5w"><span class="ShareBar_label__Pz3o">{SHARE_LABEL}</span>{share}<button type="button" class="ShareBar_btn__Xy3a">نسخ الرابط</button></div>
<figure class="ArticleImage_root__a2Lp"><picture><img alt="{_e(a.caption or a.title)}" src="/_next/image?url=%2Fuploads%2F{ctx.page_id}.jpg&amp;w=1200&amp;q=75" width="1200" height="675"/></picture>{caption}</figure>
<div class="ArticleBody_root__Tz3c" data-testid="article-body"><div class="ArticleBody_inner__p9Ax">{"".join(body)}</div></div>
<div class="Tags_root__Gk1m"><span class="Tags_label__Qs5b">مواضيع ذات صلة:</span>{tags}</div>
<section class="RelatedList_root__Hm6y"><h2 class="SectionTitle_root__B8un">{READ_ALSO_LABEL}</h2><ul class="RelatedList_list__Ke3d">{related}</ul></section>
<section class="Comments_root__Xp2t"><h2 class="SectionTitle_root__B8un">التعليقات ({len(COMMENTS)})</h2><div class="Comments_policy__m1Qe">{COMMENTS_POLICY}</div>{comments}<form class="Comments_form__Rt5y"><textarea placeholder="اكتب تعليقك هنا..."></textarea><button type="submit">نشر التعليق</button></form></section>
</div><aside class="ArticlePage_sidebar__Vb7n"><div class="MostRead_root__Ln4e"><h2 class="SectionTitle_root__B8un">{MOST_READ_LABEL}</h2><ol class="MostRead_list__Sa1x">{most_read}</ol></div>
<div class="Newsletter_root__Cw2q"><h3 class="Newsletter_title__Ht6p">{NEWSLETTER_TITLE}</h3><p class="Newsletter_text__Zq1j">{NEWSLETTER_TEXT}</p><form class="Newsletter_form__Dk8s"><input type="email" placeholder="بريدك الإلكتروني"/><button type="submit">اشترك الآن</button></form></div><div class="AdSlot_root__Qm2n" data-slot="sidebar"><div class="AdSlot_label__8Wbn">{AD_LABEL}</div></div></aside></div></main>
<footer class="Footer_root__Wn5d"><div class="Footer_links__Ur2c">{footer}</div><div class="Footer_social__Fy1b"><span>تابعونا على</span> <a href="#">فيسبوك</a> <a href="#">إكس</a> <a href="#">يوتيوب</a></div><div class="Footer_copy__Pm8k">{_e(copyright_line(ctx.site_name))}</div></footer>
<div class="CookieBanner_root__Ga6h" role="dialog" aria-live="polite"><p class="CookieBanner_text__Vy0c">{_e(COOKIE_TEXT)}</p><button type="button" class="Button_primary__Lq0s">موافق</button><button type="button" class="Button_ghost__Ze3r">إدارة التفضيلات</button></div>
</div></div><script id="__NEXT_DATA__" type="application/json">{_json_script(next_data)}</script></body></html>
"""


def _render_legacy(ctx: PageContext) -> str:
    """An ASP.NET-era portal: nested tables, <font>, <br><br> between paragraphs, windows-1256,
    the date printed in Hijri and Gregorian with Arabic-Indic digits and no date metadata."""
    a = ctx.article
    local = a.published.astimezone(SITE_TZ)
    shown = eastern_digits(
        f"{WEEKDAYS[local.weekday()]} {hijri_arabic(local.date())} - "
        f"{arabic_date(local, weekday=False, clock=None)} م - {local:%H:%M}"
    )
    today = ctx.today
    today_text = eastern_digits(
        f"{WEEKDAYS[today.weekday()]} {hijri_arabic(today)} الموافق "
        f"{today.day} {MONTHS_EG[today.month - 1]} {today.year} م"
    )
    menu = ' <font color="#999999">|</font> '.join(
        f'<a href="{h}" class="menu"><font color="#003366"><b>{_e(t)}</b></font></a>'
        for t, h in NAV_MENU
    )
    body = []
    for kind, text in ctx.body_blocks():
        if kind == "p":
            body.append(_e(text) + "<br><br>")
        elif kind == "h":
            body.append(f'<b><font color="#990000">{_e(text)}</font></b><br><br>')
        elif kind == "read_also":
            body.append(
                f'<font color="#003366" size="3"><b>{READ_ALSO_LABEL}:</b> <a href="/News/'
                f'NewsDetails.aspx?NewsID={ctx.page_id - 5}">{_e(text)}</a></font><br><br>'
            )
        else:
            body.append(
                f'<center><font size="1" color="#999999">{AD_LABEL}</font><br><a href="/ads/'
                'click.aspx?id=77"><img src="/banners/468x60.gif" width="468" height="60" '
                'border="0"></a></center><br>'
            )
    share = " | ".join(
        f'<a href="/share.aspx?to={i}&amp;id={ctx.page_id}">{_e(n)}</a>'
        for i, n in enumerate(SHARE_NETWORKS)
    )
    tags = "، ".join(
        f'<a href="/Search.aspx?tag={quote(t)}">{_e(t)}</a>' for t in a.tags or (a.section,)
    )
    related = "".join(
        f'<tr><td><font size="2">&bull; <a href="/News/NewsDetails.aspx?NewsID='
        f'{ctx.page_id - 20 - i}">{_e(h)}</a></font></td></tr>'
        for i, h in enumerate(RELATED_AFTER)
    )
    comments = "".join(
        f'<tr><td bgcolor="{"#F5F5F5" if i % 2 else "#FFFFFF"}"><font size="2"><b>'
        f'{_e(name)}</b> <font size="1" color="#999999">'
        f"{eastern_digits(f'{today.day}/{today.month}/{today.year}')}</font><br>"
        f"{_e(text)}</font></td></tr>"
        for i, (name, text) in enumerate(COMMENTS)
    )
    most_read = "".join(
        f'<tr><td><font size="2"><b>{eastern_digits(str(i + 1))}.</b> <a href="/News/'
        f'NewsDetails.aspx?NewsID={ctx.page_id + 50 + i}">{_e(h)}</a></font></td></tr>'
        for i, h in enumerate(MOST_READ)
    )
    footer = " | ".join(
        f'<a href="{h}"><font color="#FFFFFF">{_e(t)}</font></a>' for t, h in FOOTER_LINKS
    )
    caption = f'<br><font size="1" color="#666666">{_e(a.caption)}</font>' if a.caption else ""
    return f"""<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<html dir="rtl">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=windows-1256">
<title>{_e(a.title)} - {_e(ctx.site_name)}</title>
<meta name="keywords" content="{_e("، ".join(a.tags or (a.section,)))}">
<meta name="description" content="{_e(a.description)}">
<link href="/css/style.css" rel="stylesheet" type="text/css">
<script language="JavaScript" src="/js/menu.js"></script>
<script language="JavaScript">
function MM_openBrWindow(theURL,winName,features) {{ window.open(theURL,winName,features); }}
</script>
</head>
<body bgcolor="#FFFFFF" leftmargin="0" topmargin="0" marginwidth="0" marginheight="0">
<form name="Form1" method="post" action="NewsDetails.aspx?NewsID={ctx.page_id}" id="Form1">
<input type="hidden" name="__VIEWSTATE" value="dDwtMTI3OTMzNDM4NDs7PnKx4f2tQ0cJ6Y1kQ9A6vC7mQe1M">
<table width="980" border="0" cellspacing="0" cellpadding="0" align="center">
<tr><td colspan="3" bgcolor="#003366" height="90"><table width="100%"><tr>
<td><a href="/"><img src="/images/logo.gif" alt="{_e(ctx.site_name)}" border="0"></a><font color="#FFFFFF" size="5" face="Arabic Transparent"><b>{_e(ctx.site_name)}</b></font></td>
<td align="left"><font color="#FFFFFF" size="2">{today_text}</font></td></tr></table></td></tr>
<tr><td colspan="3" bgcolor="#E0E0E0" height="28" align="center"><font size="2">{menu}</font></td></tr>
<tr><td colspan="3" bgcolor="#990000"><marquee direction="right" scrollamount="3"><font color="#FFFFFF" size="2"><b>{_e(BREAKING_TICKER)}</b></font></marquee></td></tr>
<tr>
<td width="190" valign="top" bgcolor="#F0F0F0">
<table width="100%" border="0" cellpadding="3" cellspacing="0">
<tr><td colspan="2" bgcolor="#003366"><font color="#FFFFFF" size="2"><b>{LOGIN_TITLE}</b></font></td></tr>
<tr><td><font size="2">{LOGIN_USER}:</font></td><td><input name="txtUser" type="text" size="12"></td></tr>
<tr><td><font size="2">{LOGIN_PASSWORD}:</font></td><td><input name="txtPass" type="password" size="12"></td></tr>
<tr><td colspan="2" align="center"><input type="submit" name="btnLogin" value="دخول"><br><font size="1"><a href="/Members/Forgot.aspx">{LOGIN_FORGOT}</a><br><a href="/Members/Register.aspx">{LOGIN_REGISTER}</a></font></td></tr>
</table><br>
<table width="100%" border="0" cellpadding="3" cellspacing="0">
<tr><td bgcolor="#003366"><font color="#FFFFFF" size="2"><b>{NEWSLETTER_TITLE}</b></font></td></tr>
<tr><td><font size="2">{NEWSLETTER_TEXT}</font><br><input name="txtMail" type="text" size="18" value="بريدك الإلكتروني"><input type="submit" name="btnMail" value="اشترك"></td></tr>
</table><br>
<center><font size="1" color="#999999">{AD_LABEL}</font><br><img src="/banners/160x600.gif" width="160" height="600" border="0"></center>
</td>
<td width="600" valign="top">
<table width="100%" border="0" cellpadding="6" cellspacing="0">
<tr><td><font size="2"><a href="/">الرئيسية</a> &gt;&gt; <a href="/News/Section.aspx?s={section_slug(a.section)}">{_e(a.section)}</a></font></td></tr>
<tr><td><h1><font face="Simplified Arabic" color="#990000" size="5">{_e(a.title)}</font></h1></td></tr>
<tr><td><font size="2" color="#666666">{_e(a.author)} - {shown}</font></td></tr>
<tr><td align="center"><img src="{ctx.image}" width="400" border="0" alt="{_e(a.caption or a.title)}">{caption}</td></tr>
<tr><td class="text" align="justify"><font face="Simplified Arabic" size="4">
{chr(10).join(body)}
</font></td></tr>
<tr><td bgcolor="#F0F0F0"><font size="2"><b>{SHARE_LABEL}:</b> {share} | <a href="javascript:window.print()">طباعة</a> | <a href="javascript:MM_openBrWindow('/SendToFriend.aspx?id={ctx.page_id}','','width=400,height=300')">أرسل لصديق</a></font></td></tr>
<tr><td><font size="2"><b>الكلمات الدالة:</b> {tags}</font></td></tr>
<tr><td><table width="100%" border="0" cellpadding="3" cellspacing="0">
<tr><td bgcolor="#EEEEEE"><font size="3"><b>{READ_ALSO_LABEL}</b></font></td></tr>
{related}
</table></td></tr>
<tr><td><table width="100%" border="0" cellpadding="4" cellspacing="1" bgcolor="#DDDDDD">
<tr><td bgcolor="#003366"><font color="#FFFFFF" size="2"><b>تعليقات القراء ({eastern_digits(str(len(COMMENTS)))})</b></font></td></tr>
{comments}
<tr><td bgcolor="#FFFFFF"><font size="1" color="#999999">{COMMENTS_POLICY}</font></td></tr>
</table></td></tr>
</table>
</td>
<td width="190" valign="top">
<table width="100%" border="0" cellpadding="3" cellspacing="0">
<tr><td bgcolor="#990000"><font color="#FFFFFF" size="2"><b>{MOST_READ_LABEL}</b></font></td></tr>
{most_read}
</table>
</td>
</tr>
<tr><td colspan="3" bgcolor="#003366" align="center" height="50"><font size="2">{footer}</font><br><font color="#FFFFFF" size="2">{_e(copyright_line(ctx.site_name))}</font><br><font color="#AAAAAA" size="1">أفضل مشاهدة بدقة 1024×768</font></td></tr>
</table>
</form>
<div id="cookieConsent" style="position:fixed;bottom:0;width:100%;background:#333;color:#fff;padding:8px;text-align:center">{_e(COOKIE_TEXT)} <a href="#" onclick="document.getElementById('cookieConsent').style.display='none';return false;"><font color="#FFCC00">موافق</font></a></div>
<script type="text/javascript">
var _gaq = _gaq || []; _gaq.push(['_setAccount', 'UA-1234567-1']); _gaq.push(['_trackPageview']);
</script>
</body>
</html>
"""


def _render_outlet(ctx: PageContext) -> str:
    """A pan-Arab broadcaster's site: semantic <article>, no date metadata, the date printed with
    both month names ("17 يونيو/حزيران 2024")."""
    a = ctx.article
    local = a.published.astimezone(SITE_TZ)
    shown = arabic_date(local, months="both", weekday=False, clock=None)
    stamp = f"{shown} - {local:%H:%M} بتوقيت مكة المكرمة"
    menu = "".join(
        f'<li class="main-menu__item"><a href="/ar{h}">{_e(t)}</a></li>' for t, h in NAV_MENU
    )
    body = []
    for kind, text in ctx.body_blocks():
        if kind == "p":
            body.append(f"<p>{_e(text)}</p>")
        elif kind == "h":
            body.append(f"<h2>{_e(text)}</h2>")
        elif kind == "read_also":
            body.append(
                f'<div class="related-inline"><span class="related-inline__label">'
                f'{READ_ALSO_LABEL}</span><ul><li><a href="/ar/world/2024/05/01/'
                f'story-{ctx.page_id - 2}.html">{_e(text)}</a></li></ul></div>'
            )
        else:
            body.append(
                f'<div class="inline-ad"><span class="inline-ad__label">{AD_LABEL}</span>'
                f'<div id="div-gpt-ad-inarticle-{ctx.page_id}"></div></div>'
            )
    share = "".join(
        f'<li><a class="share-tools__link share-tools__link--{i}" href="#" '
        f'title="{_e(n)}">{_e(n)}</a></li>'
        for i, n in enumerate(SHARE_NETWORKS)
    )
    tags = "".join(
        f'<li><a href="/ar/tags/{quote(t)}">{_e(t)}</a></li>' for t in a.tags or (a.section,)
    )
    related = "".join(
        f'<div class="card card--related"><a href="/ar/world/2024/04/2{i}/related-{i}'
        f'.html"><img src="/images/related-{i}.jpg" alt="" loading="lazy"><h3 class='
        f'"card__title">{_e(h)}</h3></a><span class="card__date">{i + 1} ساعة</span>'
        "</div>"
        for i, h in enumerate(RELATED_AFTER)
    )
    comments = "".join(
        f'<li class="comment"><span class="comment__name">{_e(name)}</span>'
        f'<p class="comment__text">{_e(text)}</p></li>'
        for name, text in COMMENTS
    )
    most_read = "".join(
        f'<li><span class="num">{eastern_digits(str(i + 1))}</span><a href="/ar/'
        f'world/2025/01/1{i}/popular-{i}.html">{_e(h)}</a></li>'
        for i, h in enumerate(MOST_READ)
    )
    footer = "".join(f'<li><a href="/ar{h}">{_e(t)}</a></li>' for t, h in FOOTER_LINKS)
    figure = (
        f'<figure class="main-image"><img src="{ctx.image}" alt="{_e(a.caption or a.title)}">'
        + (f"<figcaption>{_e(a.caption)}</figcaption>" if a.caption else "")
        + "</figure>"
    )
    lead = f'<p class="article-lead">{_e(a.summary)}</p>' if a.summary else ""
    data_layer = _json_script(
        [
            {
                "pageType": "article",
                "section": section_slug(a.section),
                "articleId": str(ctx.page_id),
                "language": "ar",
            }
        ]
    )
    return f"""<!DOCTYPE html>
<html lang="ar" dir="rtl" class="no-js">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(a.title)} | {_e(ctx.site_name)}</title>
<meta name="description" content="{_e(a.description)}">
<meta name="keywords" content="{_e(",".join(a.tags or (a.section,)))}">
<link rel="canonical" href="{ctx.url}">
<link rel="amphtml" href="{ctx.url}?amp=1">
<meta property="og:title" content="{_e(a.title)}">
<meta property="og:description" content="{_e(a.description)}">
<meta property="og:url" content="{ctx.url}">
<meta property="og:image" content="{ctx.image}">
<meta name="twitter:site" content="@almadar_news">
<link rel="stylesheet" href="/static/css/main.4f2a91.css">
<script>window.dataLayer = {data_layer};</script>
</head>
<body class="article-page rtl">
<div class="cookies-bar" id="cookies-bar"><p>{_e(COOKIE_TEXT)}</p><button class="cookies-bar__accept">موافق</button><a class="cookies-bar__settings" href="/ar/privacy/">إدارة التفضيلات</a></div>
<header class="site-header">
<div class="header-top"><span class="today-date">{_e(arabic_date(datetime.combine(ctx.today, datetime.min.time(), SITE_TZ), months="both", clock=None))}</span><a class="login-btn" href="#login-popup">{LOGIN_TITLE}</a></div>
<div class="logo"><a href="/ar/"><img src="/static/img/logo.svg" alt="{_e(ctx.site_name)}"></a></div>
<nav class="main-menu" role="navigation"><ul class="main-menu__list">{menu}</ul></nav>
<div class="breaking-news"><span class="breaking-news__label">عاجل</span><a href="/ar/breaking/">{_e(BREAKING_TICKER)}</a></div>
<div id="login-popup" class="popup" aria-hidden="true"><form class="login-form" action="/ar/account/login" method="post"><h3>{LOGIN_TITLE}</h3><label>{LOGIN_USER}<input name="user" type="text"></label><label>{LOGIN_PASSWORD}<input name="pass" type="password"></label><label><input type="checkbox" name="remember"> تذكرني</label><button type="submit">دخول</button><a href="/ar/account/forgot">{LOGIN_FORGOT}</a> <a href="/ar/account/register">{LOGIN_REGISTER}</a></form></div>
</header>
<main class="container">
<ol class="breadcrumb"><li><a href="/ar/">الرئيسية</a></li><li><a href="/ar/{section_slug(a.section)}/">{_e(a.section)}</a></li></ol>
<div class="row">
<div class="col-main">
<article class="article-full">
<header class="article-header">
<a class="article-section" href="/ar/{section_slug(a.section)}/">{_e(a.section)}</a>
<h1 class="article-title">{_e(a.title)}</h1>
{lead}
<div class="article-info"><span class="article-source">{_e(a.author)}</span> <span class="article-date">نُشر في: {_e(stamp)}</span></div>
</header>
<div class="share-tools share-tools--top"><span class="share-tools__label">{SHARE_LABEL}</span><ul>{share}</ul></div>
{figure}
<div class="article-body" id="body-text">
{chr(10).join(body)}
</div>
<div class="article-tags"><span>مواضيع:</span><ul>{tags}</ul></div>
<div class="share-tools share-tools--bottom"><span class="share-tools__label">{SHARE_LABEL}</span><ul>{share}</ul></div>
</article>
<section class="related-articles"><h2 class="section-title">{READ_ALSO_LABEL}</h2><div class="cards">{related}</div></section>
<section class="comments" id="comments"><h2 class="section-title">التعليقات</h2><p class="comments__policy">{COMMENTS_POLICY}</p><ul class="comments__list">{comments}</ul></section>
</div>
<aside class="col-side">
<div class="most-read"><h2 class="section-title">{MOST_READ_LABEL}</h2><ul>{most_read}</ul></div>
<div class="newsletter-box"><h3>{NEWSLETTER_TITLE}</h3><p>{NEWSLETTER_TEXT}</p><form action="/ar/newsletter" method="post"><input type="email" placeholder="بريدك الإلكتروني"><button type="submit">اشترك</button></form></div>
<div class="ad-box"><span>{AD_LABEL}</span><div id="div-gpt-ad-side"></div></div>
</aside>
</div>
</main>
<footer class="site-footer"><ul class="footer-links">{footer}</ul><p class="follow">تابعونا على: فيسبوك - إكس - يوتيوب - إنستغرام</p><p class="copyright">{_e(copyright_line(ctx.site_name))}</p></footer>
<script src="/static/js/app.min.4f2a91.js" defer></script>
</body>
</html>
"""


_RENDERERS: Final[dict[str, Callable[[PageContext], str]]] = {
    "wordpress": _render_wordpress,
    "modern": _render_modern,
    "legacy": _render_legacy,
    "outlet": _render_outlet,
}


def render_article_page(
    article: SiteArticle,
    template: str,
    *,
    url: str,
    page_id: int = 120001,
    site_name: str = SITE_NAME,
    today: date | None = None,
) -> RenderedPage:
    """An article page as bytes with its Content-Type. The legacy template is windows-1256."""
    if template not in _RENDERERS:
        raise ValueError(f"unknown template {template!r}; choose from {', '.join(TEMPLATES)}")
    ctx = PageContext(article, url, page_id, site_name, today or datetime.now(SITE_TZ).date())
    text = _RENDERERS[template](ctx)
    if template == "legacy":
        return RenderedPage(
            text.encode("cp1256", errors="xmlcharrefreplace"), "text/html; charset=windows-1256"
        )
    return RenderedPage(text.encode("utf-8"), "text/html; charset=utf-8")


# ── feeds ─────────────────────────────────────────────────────────────────────────────────────

# form -> (Content-Type header, byte encoding, encoding named in the XML declaration or None)
FEED_FORMS: Final[dict[str, tuple[str, str, str | None]]] = {
    "rss2": ("application/rss+xml; charset=UTF-8", "utf-8", "UTF-8"),
    "atom": ("application/atom+xml; charset=UTF-8", "utf-8", "utf-8"),
    "rss1": ("application/rdf+xml; charset=UTF-8", "utf-8", "UTF-8"),
    "rss091": ("text/xml; charset=UTF-8", "utf-8", "UTF-8"),
    # windows-1256 bytes, declared correctly in the header and in the XML declaration
    "rss2-cp1256": ("application/rss+xml; charset=windows-1256", "cp1256", "windows-1256"),
    # windows-1256 bytes; the server's default header says UTF-8 (it wins over the declaration)
    "rss2-cp1256-mislabelled": ("text/xml; charset=utf-8", "cp1256", "windows-1256"),
    # windows-1256 bytes; header says UTF-8 and the XML declaration names no encoding
    "rss2-cp1256-undeclared": ("text/xml; charset=utf-8", "cp1256", None),
    # RSS 2.0 with a raw "&" in the channel title and in the first item's title (not well-formed)
    "broken-amp": ("application/rss+xml; charset=UTF-8", "utf-8", "UTF-8"),
    # a Google News sitemap (urlset with news:news), for sitemap-driven crawls
    "sitemap-news": ("application/xml; charset=UTF-8", "utf-8", "UTF-8"),
    # a plain sitemap (urlset, <lastmod> only), as outlets list their whole archive; items
    # without a date (FeedLinks without one, or dates="none") have no <lastmod>
    "sitemap": ("application/xml; charset=UTF-8", "utf-8", "UTF-8"),
}
DATE_STYLES: Final = ("rfc822", "arabic", "none", "mixed")


@dataclass(frozen=True)
class FeedOptions:
    """How a feed presents its items. See `NewsSite.add_feed`."""

    dates: str = "rfc822"  # rfc822 | arabic | none | mixed (rfc822, arabic, none in turn)
    relative_links: bool = False  # item links as "/2024/06/17/slug/"
    iri_links: bool = False  # Arabic paths left unencoded in links (as some CMSs emit them)
    duplicate_guids: bool = False  # the newest item appears twice: same GUID and link, new title
    shared_guid: bool = False  # every item carries the same GUID (the homepage), a CMS bug
    full_content: bool = False  # content:encoded / Atom <content> with the whole article
    limit: int | None = None  # only the newest N items, as real feeds do

    def __post_init__(self) -> None:
        if self.dates not in DATE_STYLES:
            raise ValueError(f"dates must be one of {', '.join(DATE_STYLES)}")


@dataclass
class Feed:
    path: str
    form: str
    title: str
    items: list[SiteArticle | FeedLink]
    options: FeedOptions
    modified: datetime  # Last-Modified; bumped on every change


@dataclass(frozen=True)
class _Item:
    title: str
    link: str
    guid: str
    guid_is_permalink: bool
    published: datetime | None
    author: str
    section: str
    summary_html: str
    content_html: str


def _arabic_pubdate(moment: datetime, n: int) -> str:
    """Arabic-language pubDate strings, in the variety real Arabic feeds carry."""
    styles = (
        lambda: arabic_date(moment),  # الإثنين، 17 يونيو 2024 19:01
        lambda: (
            arabic_date(moment, months="levant", comma=False, clock=None)
            + f" - {moment.astimezone(SITE_TZ):%H:%M}"
        ),  # الإثنين 17 حزيران 2024 - 19:01
        lambda: arabic_date(moment, digits="eastern"),  # الإثنين، ١٧ يونيو ٢٠٢٤ ١٩:٠١
        lambda: arabic_date(moment, weekday=False, clock="12h"),  # 17 يونيو 2024 07:01 م
    )
    return styles[n % len(styles)]()


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _x(text: str) -> str:
    return html.escape(text, quote=False)


class _FeedWriter:
    """Renders one Feed to bytes."""

    def __init__(
        self,
        feed: Feed,
        base_url: str,
        site_name: str,
        links: Callable[[SiteArticle], tuple[str, int]],
    ) -> None:
        self.feed = feed
        self.base = base_url
        self.site_name = site_name
        self.links = links  # article -> (unquoted path, page id)

    def items(self) -> list[_Item]:
        opts = self.feed.options
        entries = sorted(
            self.feed.items,
            key=lambda e: e.published or datetime.min.replace(tzinfo=UTC),
            reverse=True,
        )
        if opts.limit is not None:
            entries = entries[: opts.limit]
        items = [self._item(entry) for entry in entries]
        if opts.shared_guid:
            items = [replace(i, guid=self.base + "/", guid_is_permalink=True) for i in items]
        if opts.duplicate_guids and items:
            items.insert(1, replace(items[0], title=items[0].title + " (محدث)"))
        return items

    def _href(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        shown = path if self.feed.options.iri_links else quote_path(path)
        return shown if self.feed.options.relative_links else self.base + shown

    def _item(self, entry: SiteArticle | FeedLink) -> _Item:
        if isinstance(entry, FeedLink):
            link = self._href(entry.path)
            summary = f"<p>{_x(entry.summary)}</p>" if entry.summary else ""
            return _Item(
                entry.title,
                link,
                link if link.startswith("http") else self.base + quote_path(entry.path),
                True,
                entry.published,
                "هيئة التحرير",
                "أخبار",
                summary,
                summary,
            )
        path, page_id = self.links(entry)
        image = f'<img src="{self.base}/uploads/{page_id}-thumb.jpg" width="300" alt="" /><br />'
        summary = f"{image}<p>{_x(entry.description)}</p>"
        content = "".join(
            f"<h2>{_x(p)}</h2>" if i in entry.headings else f"<p>{_x(p)}</p>"
            for i, p in enumerate(entry.paragraphs)
        )
        return _Item(
            entry.title,
            self._href(path),
            f"{self.base}/?p={page_id}",
            False,
            entry.published,
            entry.author,
            entry.section,
            summary,
            content,
        )

    def date_text(self, moment: datetime | None, n: int, *, iso: bool = False) -> str | None:
        style = self.feed.options.dates
        if style == "mixed":
            style = ("rfc822", "arabic", "none")[n % 3]
        if moment is None or style == "none":
            return None
        if style == "arabic":
            return _arabic_pubdate(moment, n)
        local = moment.astimezone(SITE_TZ)
        return local.isoformat() if iso else email.utils.format_datetime(local)

    def render(self) -> bytes:
        form = self.feed.form
        _, encoding, declared = FEED_FORMS[form]
        text = {
            "atom": self._atom,
            "rss1": self._rss1,
            "rss091": self._rss091,
            "sitemap-news": self._sitemap,
            "sitemap": self._plain_sitemap,
        }.get(form, self._rss2)()
        declaration = (
            f'<?xml version="1.0" encoding="{declared}"?>' if declared else '<?xml version="1.0"?>'
        )
        return (declaration + "\n" + text).encode(encoding, errors="xmlcharrefreplace")

    def _channel_title(self) -> str:
        if self.feed.form == "broken-amp":
            return f"{self.feed.title} - أخبار & تقارير"  # the raw "&" is the point
        return _x(self.feed.title)

    def _rss2(self) -> str:
        broken = self.feed.form == "broken-amp"
        modified = email.utils.format_datetime(self.feed.modified.astimezone(SITE_TZ))
        out = [
            '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom" '
            'xmlns:media="http://search.yahoo.com/mrss/">',
            "<channel>",
            f"<title>{self._channel_title()}</title>",
            f'<atom:link href="{self.base}{quote_path(self.feed.path)}" rel="self" '
            'type="application/rss+xml" />',
            f"<link>{self.base}/</link>",
            f"<description>{_x(SITE_TAGLINE)}</description>",
            "<language>ar</language>",
            f"<copyright>{_x(copyright_line(self.site_name))}</copyright>",
            f"<lastBuildDate>{modified}</lastBuildDate>",
            "<generator>https://wordpress.org/?v=6.5.3</generator>",
            "<ttl>15</ttl>",
            f"<image><url>{self.base}/static/logo-144.png</url><title>{_x(self.site_name)}</title>"
            f"<link>{self.base}/</link></image>",
        ]
        for n, item in enumerate(self.items()):
            title = item.title + (" - صور & فيديو" if broken and n == 0 else "")
            out.append("<item>")
            out.append(f"<title>{title if broken and n == 0 else _x(title)}</title>")
            out.append(f"<link>{_x(item.link)}</link>")
            out.append(
                f'<guid isPermaLink="{str(item.guid_is_permalink).lower()}">{_x(item.guid)}</guid>'
            )
            if (pub := self.date_text(item.published, n)) is not None:
                out.append(f"<pubDate>{_x(pub)}</pubDate>")
            out.append(f"<dc:creator>{_cdata(item.author)}</dc:creator>")
            out.append(f"<category>{_cdata(item.section)}</category>")
            out.append(f"<description>{_cdata(item.summary_html)}</description>")
            if self.feed.options.full_content:
                out.append(f"<content:encoded>{_cdata(item.content_html)}</content:encoded>")
            out.append("</item>")
        out += ["</channel>", "</rss>"]
        return "\n".join(out)

    def _atom(self) -> str:
        host = urlsplit(self.base).hostname or "localhost"
        out = [
            '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ar">',
            f"<title>{_x(self.feed.title)}</title>",
            f"<subtitle>{_x(SITE_TAGLINE)}</subtitle>",
            f'<link rel="self" type="application/atom+xml" href="{self.base}'
            f'{quote_path(self.feed.path)}"/>',
            f'<link rel="alternate" type="text/html" href="{self.base}/"/>',
            f"<id>tag:{host},2010:{_x(self.feed.path)}</id>",
            f"<updated>{self.feed.modified.astimezone(SITE_TZ).isoformat()}</updated>",
            f"<rights>{_x(copyright_line(self.site_name))}</rights>",
            '<generator uri="https://www.drupal.org/">Drupal</generator>',
        ]
        for n, item in enumerate(self.items()):
            out.append("<entry>")
            out.append(f'<title type="text">{_x(item.title)}</title>')
            out.append(f'<link rel="alternate" type="text/html" href="{_x(item.link)}"/>')
            out.append(f"<id>{_x(item.guid)}</id>")
            if (pub := self.date_text(item.published, n, iso=True)) is not None:
                out.append(f"<published>{_x(pub)}</published>")
                out.append(f"<updated>{_x(pub)}</updated>")
            out.append(f"<author><name>{_x(item.author)}</name></author>")
            out.append(f'<category term="{_x(item.section)}"/>')
            out.append(f'<summary type="html">{_x(item.summary_html)}</summary>')
            if self.feed.options.full_content:
                out.append(f'<content type="html">{_x(item.content_html)}</content>')
            out.append("</entry>")
        out.append("</feed>")
        return "\n".join(out)

    def _rss1(self) -> str:
        about = f"{self.base}{quote_path(self.feed.path)}"
        items = self.items()
        out = [
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/">',
            f'<channel rdf:about="{_x(about)}">',
            f"<title>{_x(self.feed.title)}</title>",
            f"<link>{self.base}/</link>",
            f"<description>{_x(SITE_TAGLINE)}</description>",
            "<dc:language>ar</dc:language>",
            f"<dc:date>{self.feed.modified.astimezone(SITE_TZ).isoformat()}</dc:date>",
            "<items><rdf:Seq>",
            *(f'<rdf:li rdf:resource="{_x(item.link)}"/>' for item in items),
            "</rdf:Seq></items>",
            "</channel>",
        ]
        for n, item in enumerate(items):
            out.append(f'<item rdf:about="{_x(item.link)}">')
            out.append(f"<title>{_x(item.title)}</title>")
            out.append(f"<link>{_x(item.link)}</link>")
            out.append(f"<description>{_x(item.summary_html)}</description>")
            if (pub := self.date_text(item.published, n, iso=True)) is not None:
                out.append(f"<dc:date>{_x(pub)}</dc:date>")
            out.append(f"<dc:creator>{_x(item.author)}</dc:creator>")
            out.append(f"<dc:subject>{_x(item.section)}</dc:subject>")
            out.append("</item>")
        out.append("</rdf:RDF>")
        return "\n".join(out)

    def _rss091(self) -> str:
        """RSS 0.91: no GUIDs and no item dates, by definition of the format."""
        modified = email.utils.format_datetime(self.feed.modified.astimezone(SITE_TZ))
        out = [
            '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
            '"http://my.netscape.com/publish/formats/rss-0.91.dtd">',
            '<rss version="0.91">',
            "<channel>",
            f"<title>{_x(self.feed.title)}</title>",
            f"<link>{self.base}/</link>",
            f"<description>{_x(SITE_TAGLINE)}</description>",
            "<language>ar</language>",
            f"<pubDate>{modified}</pubDate>",
            f"<copyright>{_x(copyright_line(self.site_name))}</copyright>",
        ]
        for item in self.items():
            out.append("<item>")
            out.append(f"<title>{_x(item.title)}</title>")
            out.append(f"<link>{_x(item.link)}</link>")
            out.append(
                f"<description>{_x(re.sub(r'<[^>]+>', '', item.summary_html))}</description>"
            )
            out.append("</item>")
        out += ["</channel>", "</rss>"]
        return "\n".join(out)

    def _sitemap(self) -> str:
        out = [
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">',
        ]
        for item in self.items():
            out.append(
                f"<url><loc>{_x(item.link)}</loc><news:news><news:publication>"
                f"<news:name>{_x(self.site_name)}</news:name><news:language>ar"
                "</news:language></news:publication>"
            )
            if item.published is not None:
                out.append(
                    "<news:publication_date>"
                    f"{item.published.astimezone(SITE_TZ).isoformat()}"
                    "</news:publication_date>"
                )
            out.append(f"<news:title>{_x(item.title)}</news:title></news:news></url>")
        out.append("</urlset>")
        return "\n".join(out)

    def _plain_sitemap(self) -> str:
        out = ['<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
        for item in self.items():
            lastmod = ""
            if item.published is not None and self.feed.options.dates != "none":
                lastmod = f"<lastmod>{item.published.astimezone(SITE_TZ).isoformat()}</lastmod>"
            out.append(f"<url><loc>{_x(item.link)}</loc>{lastmod}</url>")
        out.append("</urlset>")
        return "\n".join(out)


# ── special routes ────────────────────────────────────────────────────────────────────────────


class Routes:
    """Fixed paths with special behaviour, served by every NewsSite."""

    NOT_FOUND: Final = "/news/2024/06/18/deleted-story.html"  # 404 with an Arabic error page
    SERVER_ERROR: Final = "/news/2024/06/18/server-error.html"  # 500
    RATE_LIMITED: Final = "/news/2024/06/18/rate-limited.html"  # 429 + Retry-After
    REDIRECT_LOOP: Final = "/news/2024/06/18/loop-a.html"  # 302 -> loop-b -> loop-a ...
    REDIRECT_LOOP_OTHER: Final = "/news/2024/06/18/loop-b.html"
    PDF: Final = "/news/2024/06/18/weekly-report.html"  # a PDF, Content-Type application/pdf
    PDF_AS_HTML: Final = "/news/2024/06/18/print-edition.html"  # PDF bytes labelled text/html
    PNG: Final = "/news/2024/06/18/infographic.html"  # a PNG image, image/png
    HUGE: Final = "/news/2024/06/18/live-blog.html"  # huge_bytes of HTML, Content-Length set
    HUGE_CHUNKED: Final = "/news/2024/06/18/live-blog-stream.html"  # the same, chunked
    SLOW: Final = "/news/2024/06/18/slow.html"  # answers after slow_seconds
    EMPTY: Final = "/news/2024/06/18/empty.html"  # 200, text/html, no body
    NOT_A_FEED: Final = "/feeds/not-a-feed.xml"  # the HTML homepage at a feed URL
    TRUNCATED_FEED: Final = "/feeds/truncated.xml"  # RSS cut off mid-item
    EMPTY_FEED: Final = "/feeds/empty.xml"  # 200, application/rss+xml, no body
    PRIVATE_PREFIX: Final = "/private/"  # disallowed by the default robots.txt
    HOME: Final = "/"

    ALL: ClassVar[tuple[str, ...]] = (
        NOT_FOUND,
        SERVER_ERROR,
        RATE_LIMITED,
        REDIRECT_LOOP,
        REDIRECT_LOOP_OTHER,
        PDF,
        PDF_AS_HTML,
        PNG,
        HUGE,
        HUGE_CHUNKED,
        SLOW,
        EMPTY,
        NOT_A_FEED,
        TRUNCATED_FEED,
        EMPTY_FEED,
    )


def special_feed_links(*, slow: bool = True, huge: bool = True) -> list[FeedLink]:
    """Feed items pointing at the special article routes, so a feed can lead a crawler to them."""
    when = datetime(2024, 6, 18, 12, 0, tzinfo=SITE_TZ)
    links = [
        FeedLink(Routes.NOT_FOUND, "خبر حُذف من الموقع", when),
        FeedLink(Routes.SERVER_ERROR, "خبر يتعطل خادمه", when),
        FeedLink(Routes.RATE_LIMITED, "خبر خلف حد الطلبات", when),
        FeedLink(Routes.REDIRECT_LOOP, "خبر يعيد التوجيه إلى ما لا نهاية", when),
        FeedLink(Routes.PDF, "التقرير الأسبوعي بصيغة PDF", when),
        FeedLink(Routes.PDF_AS_HTML, "النسخة المطبوعة", when),
        FeedLink(Routes.PNG, "انفوجراف: الأرقام في سطور", when),
        FeedLink(Routes.EMPTY, "خبر بلا محتوى", when),
    ]
    if huge:
        links.append(FeedLink(Routes.HUGE, "تغطية مباشرة", when))
    if slow:
        links.append(FeedLink(Routes.SLOW, "خبر بطيء التحميل", when))
    return links


def _pdf_bytes() -> bytes:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length 44 >>\nstream\nBT /F1 24 Tf 72 760 Td (Weekly report) Tj ET\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _png_bytes(width: int = 32, height: int = 32) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    rows = b"".join(b"\x00" + bytes((200, 30, 30)) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PDF_BYTES: Final = _pdf_bytes()
PNG_BYTES: Final = _png_bytes()
_HUGE_HEAD: Final = (
    '<!DOCTYPE html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>تغطية مباشرة'
    f" | {SITE_NAME}</title></head><body><h1>تغطية مباشرة: آخر التطورات لحظة بلحظة</h1>\n"
).encode()
_HUGE_BLOCK: Final = (
    "<p>تحديث: تتواصل التغطية المباشرة للأحداث، ويتابع مراسلونا التطورات الميدانية والسياسية"
    " لحظة بلحظة، وننقل إليكم البيانات الرسمية فور صدورها.</p>\n" * 256
).encode()

DEFAULT_ROBOTS: Final = """\
User-agent: *
Disallow: /private/
Disallow: /search
Disallow: /wp-admin/
Allow: /wp-admin/admin-ajax.php

User-agent: GPTBot
Disallow: /
"""


# ── the server ────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class RequestRecord:
    """One request the site received, as logged when it was answered (status 0: unanswered)."""

    method: str
    path: str  # the request target as sent (percent-encoded)
    headers: Mapping[str, str]  # header names lower-cased
    status: int
    time: float

    @property
    def decoded_path(self) -> str:
        return unquote(self.path)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class _LogEntry:
    method: str
    path: str
    headers: dict[str, str]
    time: float
    status: int = 0


@dataclass(frozen=True)
class SitePage:
    """An article as the site publishes it."""

    article: SiteArticle
    template: str
    path: str  # unquoted; includes the query for the legacy template
    page_id: int


def route_key(target: str) -> str:
    """The lookup key of a request target or link: unquoted path plus the query, if any."""
    parts = urlsplit(target)
    return unquote(parts.path or "/") + (f"?{parts.query}" if parts.query else "")


class NewsSite:
    """The fixture news site. Thread-safe; articles and feeds may be added while it runs."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        site_name: str = SITE_NAME,
        robots: str | None = DEFAULT_ROBOTS,
        slow_seconds: float = 30.0,
        huge_bytes: int = 30 * 1024 * 1024,
        retry_after: str = "120",
        gzip: bool = True,
        today: date | None = None,
        page_delay: float = 0.0,
    ) -> None:
        self.host = host
        self.requested_port = port
        self.site_name = site_name
        self.robots_txt = robots  # None: /robots.txt is a 404
        self.slow_seconds = slow_seconds
        self.huge_bytes = huge_bytes
        self.retry_after = retry_after
        self.gzip = gzip
        self.page_delay = page_delay  # seconds every request waits before it is answered
        self.today = today or datetime.now(SITE_TZ).date()
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests handled at once (politeness tests)
        self._lock = threading.RLock()
        self._pages: dict[str, SitePage] = {}  # route key -> page
        self._by_slug: dict[str, SitePage] = {}
        self._feeds: dict[str, Feed] = {}
        self._redirects: dict[str, tuple[int, str]] = {}
        self._overrides: dict[str, tuple[int, bytes, str, dict[str, str]]] = {}
        self._rendered: dict[str, RenderedPage] = {}
        self._log: list[_LogEntry] = []
        self._next_id = 120001
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._handler_threads: set[threading.Thread] = set()

    # lifecycle

    def start(self) -> NewsSite:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server((self.host, self.requested_port), _Handler)
        self._server.site = self
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"news-site:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving: interrupts slow and streaming responses, closes open connections."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        with self._lock:
            connections = list(self._connections)
            handlers = list(self._handler_threads)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        server.server_close()
        deadline = time.monotonic() + timeout
        for thread in [self._thread, *handlers]:
            if thread is not None and thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> NewsSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the site is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        """Absolute URL of a site path (Arabic paths percent-encoded)."""
        return self.base_url + quote_path(path)

    # content

    def add_article(
        self,
        article: SiteArticle,
        *,
        template: str | None = None,
        feeds: Iterable[str] = (),
        disallowed: bool = False,
        path: str | None = None,
    ) -> str:
        """Publish an article; returns its URL if running, else its path.

        template: one of TEMPLATES (default: the next in turn); disallowed: serve it under
        /private/ (robots.txt forbids it); feeds: paths of existing feeds to list it in.
        """
        with self._lock:
            page = self._by_slug.get(article.slug)
            if page is not None and page.article != article:
                raise ValueError(f"another article already has the slug {article.slug!r}")
            if page is None:
                template = template or TEMPLATES[len(self._by_slug) % len(TEMPLATES)]
                page_id, self._next_id = self._next_id, self._next_id + 1
                path = path or article_path(article, template, page_id)
                if disallowed:
                    path = Routes.PRIVATE_PREFIX.rstrip("/") + path
                key = route_key(path)
                if key in self._pages or key in Routes.ALL:
                    raise ValueError(f"the path {path!r} is taken")
                page = SitePage(article, template, key, page_id)
                self._pages[key] = page
                self._by_slug[article.slug] = page
            for feed_path in feeds:
                self.add_to_feed(feed_path, article)
        return self.url_for(article)

    def edit_article(self, slug: str, edited: SiteArticle) -> None:
        """The publisher edits a story in place: same URL, new headline and text. Feeds that
        list it list the edited version (their Last-Modified and ETag change)."""
        with self._lock:
            page = self._by_slug.pop(slug)
            updated = SitePage(replace(edited, slug=slug), page.template, page.path, page.page_id)
            self._by_slug[slug] = updated
            self._pages[page.path] = updated
            self._rendered.pop(page.path, None)
            for feed in self._feeds.values():
                if page.article in feed.items:
                    feed.items[feed.items.index(page.article)] = updated.article
                    feed.modified = self._next_modified(feed.modified)

    def add_articles(self, articles: Iterable[SiteArticle], **kwargs: Any) -> list[str]:
        return [self.add_article(article, **kwargs) for article in articles]

    def page_for(self, article: SiteArticle | str) -> SitePage:
        with self._lock:
            return self._by_slug[article if isinstance(article, str) else article.slug]

    def path_for(self, article: SiteArticle | str) -> str:
        """The article's unquoted path."""
        return self.page_for(article).path

    def url_for(self, article: SiteArticle | str) -> str:
        path = self.path_for(article)
        return self.url(path) if self.running else quote_path(path)

    @property
    def pages(self) -> list[SitePage]:
        with self._lock:
            return list(self._pages.values())

    @property
    def articles(self) -> list[SiteArticle]:
        return [page.article for page in self.pages]

    def add_feed(
        self,
        path: str,
        articles: Iterable[SiteArticle | FeedLink] = (),
        form: str = "rss2",
        *,
        title: str | None = None,
        options: FeedOptions | None = None,
        **option_fields: Any,
    ) -> str:
        """Publish a feed at `path` listing `articles` (published on the site if they are not yet).

        form: one of FEED_FORMS. Item options (FeedOptions fields) may be given as keywords:
        dates="arabic", relative_links=True, duplicate_guids=True, limit=20, ...
        """
        if form not in FEED_FORMS:
            raise ValueError(f"unknown feed form {form!r}; choose from {', '.join(FEED_FORMS)}")
        options = replace(options or FeedOptions(), **option_fields)
        key = route_key(path)
        with self._lock:
            if key in self._feeds or key in self._pages or key in Routes.ALL:
                raise ValueError(f"the path {path!r} is taken")
            self._feeds[key] = Feed(
                key,
                form,
                title or f"{self.site_name} - آخر الأخبار",
                [],
                options,
                self._next_modified(None),
            )
            self.add_to_feed(key, *articles)
        return self.url(key) if self.running else quote_path(key)

    def add_to_feed(self, path: str, *entries: SiteArticle | FeedLink) -> None:
        """List more items in a feed (publishing articles not yet on the site); bumps its
        Last-Modified and ETag."""
        with self._lock:
            feed = self._feeds[route_key(path)]
            for entry in entries:
                if isinstance(entry, SiteArticle) and entry.slug not in self._by_slug:
                    self.add_article(entry)
                if entry not in feed.items:
                    feed.items.append(entry)
            feed.modified = self._next_modified(feed.modified)

    def feed(self, path: str) -> Feed:
        with self._lock:
            return self._feeds[route_key(path)]

    @property
    def feeds(self) -> dict[str, Feed]:
        with self._lock:
            return dict(self._feeds)

    def feed_urls(self) -> dict[str, str]:
        """path -> absolute URL of every feed (the site must be running)."""
        return {path: self.url(path) for path in self.feeds}

    def render_feed(self, path: str) -> tuple[bytes, str]:
        """A feed's bytes and Content-Type, exactly as served."""
        with self._lock:
            feed = self._feeds[route_key(path)]
            writer = _FeedWriter(
                feed,
                self.base_url if self.running else "http://127.0.0.1",
                self.site_name,
                lambda a: (self._by_slug[a.slug].path, self._by_slug[a.slug].page_id),
            )
            return writer.render(), FEED_FORMS[feed.form][0]

    def render_page(self, article: SiteArticle | str) -> RenderedPage:
        """An article page's bytes and Content-Type, exactly as served."""
        page = self.page_for(article)
        with self._lock:
            cached = self._rendered.get(page.path)
        if cached is None:
            base = self.base_url if self.running else "http://127.0.0.1"
            cached = render_article_page(
                page.article,
                page.template,
                url=base + quote_path(page.path),
                page_id=page.page_id,
                site_name=self.site_name,
                today=self.today,
            )
            with self._lock:
                self._rendered[page.path] = cached
        return cached

    def add_redirect(self, path: str, target: str, status: int = 301) -> None:
        with self._lock:
            self._redirects[route_key(path)] = (status, target)

    def set_response(
        self,
        path: str,
        status: int,
        body: bytes | str = b"",
        *,
        content_type: str = "text/html; charset=utf-8",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer `path` with a fixed response from now on (overrides articles, feeds, robots)."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self._lock:
            self._overrides[route_key(path)] = (status, data, content_type, dict(headers or {}))

    def clear_response(self, path: str) -> None:
        with self._lock:
            self._overrides.pop(route_key(path), None)

    def set_robots(self, text: str | None) -> None:
        """robots.txt content ("{base_url}" is filled in), or None to answer 404."""
        self.robots_txt = text

    def _next_modified(self, previous: datetime | None) -> datetime:
        now = datetime.now(UTC).replace(microsecond=0)
        return now if previous is None or now > previous else previous + timedelta(seconds=1)

    # the request log

    def requests(
        self, path_prefix: str | None = None, *, method: str | None = None
    ) -> list[RequestRecord]:
        """Requests received so far, oldest first; `path_prefix` matches raw or decoded paths."""
        with self._lock:
            entries = list(self._log)
        return [
            RequestRecord(e.method, e.path, dict(e.headers), e.status, e.time)
            for e in entries
            if (
                path_prefix is None
                or e.path.startswith(path_prefix)
                or unquote(e.path).startswith(path_prefix)
            )
            and (method is None or e.method == method)
        ]

    def article_requests(self) -> list[RequestRecord]:
        """Requests for article pages (not feeds, robots.txt or special routes)."""
        with self._lock:
            keys = set(self._pages)
        return [r for r in self.requests() if route_key(r.path) in keys]

    def feed_requests(self, path: str | None = None) -> list[RequestRecord]:
        with self._lock:
            keys = {route_key(path)} if path is not None else set(self._feeds)
        return [r for r in self.requests() if route_key(r.path) in keys]

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    # called by the handler

    def _track(self, handler: BaseHTTPRequestHandler, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(handler.connection)
                self._handler_threads.add(threading.current_thread())
            else:
                self._connections.discard(handler.connection)
                self._handler_threads.discard(threading.current_thread())

    def _log_arrival(self, handler: BaseHTTPRequestHandler) -> _LogEntry:
        entry = _LogEntry(
            handler.command or "",
            handler.path,
            {k.lower(): v for k, v in handler.headers.items()},
            time.time(),
        )
        with self._lock:
            self._log.append(entry)
        return entry

    def _robots_body(self) -> bytes | None:
        if self.robots_txt is None:
            return None
        text = self.robots_txt.replace("{base_url}", self.base_url)
        sitemaps = [p for p, f in self.feeds.items() if f.form.startswith("sitemap")]
        if sitemaps and "Sitemap:" not in text:
            text += "\n" + "".join(f"Sitemap: {self.url(p)}\n" for p in sitemaps)
        return text.encode("utf-8")

    def _homepage(self) -> bytes:
        pages = sorted(self.pages, key=lambda p: p.article.published, reverse=True)
        items = "\n".join(
            f'<li><a href="{quote_path(p.path)}">{_e(p.article.title)}</a> '
            f'<span class="date">{_e(arabic_date(p.article.published, clock=None))}</span></li>'
            for p in pages[:30]
            if not p.path.startswith(Routes.PRIVATE_PREFIX)
        )
        alternates = "\n".join(
            f'<link rel="alternate" type="{FEED_FORMS[f.form][0].split(";")[0]}" '
            f'title="{_e(f.title)}" href="{quote_path(path)}">'
            for path, f in self.feeds.items()
            if not f.form.startswith("sitemap")
        )
        return f"""<!DOCTYPE html>
<html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>{_e(self.site_name)} | الرئيسية</title>
{alternates}
</head><body><header><h1>{_e(self.site_name)}</h1><p>{_e(SITE_TAGLINE)}</p></header>
<main><h2>آخر الأخبار</h2><ul>
{items}
</ul></main><footer>{_e(copyright_line(self.site_name))}</footer></body></html>
""".encode()

    def _truncated_feed(self) -> bytes:
        links = [
            FeedLink(p.path, p.article.title, p.article.published, p.article.description)
            for p in self.pages[:5]
        ] or special_feed_links()[:3]
        feed = Feed(
            Routes.TRUNCATED_FEED,
            "rss2",
            f"{self.site_name} - عاجل",
            list(links),
            FeedOptions(),
            datetime(2024, 6, 18, tzinfo=UTC),
        )
        body = _FeedWriter(feed, self.base_url, self.site_name, lambda a: ("/", 0)).render()
        cut = body.find(b"<description>", len(body) * 2 // 3)
        return body[: cut + 40 if cut > 0 else len(body) * 2 // 3]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # socketserver's 5 dropped connections under a crawl's burst
    site: NewsSite


_ERROR_PAGE: Final = """<!DOCTYPE html>
<html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>{title} | {site}</title></head>
<body><h1>{title}</h1><p>{text}</p><p><a href="/">العودة إلى الصفحة الرئيسية</a></p></body></html>
"""


def _error_page(status: int, site_name: str) -> bytes:
    title, text = {
        404: ("الصفحة غير موجودة", "عذراً، الصفحة التي تبحث عنها غير موجودة أو ربما تم نقلها."),
        429: ("طلبات كثيرة", "تجاوزت الحد المسموح به من الطلبات، يرجى المحاولة لاحقاً."),
        500: ("خطأ في الخادم", "حدث خطأ غير متوقع، يعمل فريقنا التقني على إصلاحه."),
    }.get(status, ("خطأ", "تعذر إتمام الطلب."))
    return _ERROR_PAGE.format(title=title, text=text, site=_e(site_name)).encode()


@functools.lru_cache(maxsize=4096)
def _gzipped(body: bytes) -> bytes:
    """Each page is compressed once, not on every request (benches measure rasad, not this)."""
    return gzip.compress(body, mtime=0)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx/1.24.0"
    timeout = 20  # idle keep-alive connections are closed after this
    server: _Server
    _entry: _LogEntry | None = None

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        super().setup()
        # headers and body go out as separate writes: without this, Nagle's algorithm and the
        # client's delayed ACK hold each keep-alive response back by ~40 ms
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.site._track(self, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.site._track(self, add=False)

    def handle_one_request(self) -> None:
        self._entry = None  # one handler serves every request of a keep-alive connection
        super().handle_one_request()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if self._entry is None and self.command:
            self._entry = self.server.site._log_arrival(self)
        if self._entry is not None:
            self._entry.status = int(code) if isinstance(code, int) else 0

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._entry = self.server.site._log_arrival(self)
        try:
            self._answer(head=False)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True

    def do_HEAD(self) -> None:
        self._entry = self.server.site._log_arrival(self)
        try:
            self._answer(head=True)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True

    def do_POST(self) -> None:
        self._entry = self.server.site._log_arrival(self)
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(min(length, 1 << 20))
        self._send(405, b"", "text/plain", {"Allow": "GET, HEAD"}, head=False)

    # responses

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str | None,
        headers: Mapping[str, str] | None = None,
        *,
        head: bool,
    ) -> None:
        site = self.server.site
        extra = dict(headers or {})
        accepts_gzip = "gzip" in (self.headers.get("Accept-Encoding") or "").lower()
        compressible = content_type is not None and (
            content_type.startswith("text/") or "xml" in content_type
        )
        if site.gzip and compressible and accepts_gzip and len(body) > 512:
            body = _gzipped(body)
            extra["Content-Encoding"] = "gzip"
            extra["Vary"] = "Accept-Encoding"
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        for name, value in extra.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head and body:
            self.wfile.write(body)

    def _answer(self, *, head: bool) -> None:
        site = self.server.site
        with site._lock:
            site.in_flight += 1
            site.max_in_flight = max(site.max_in_flight, site.in_flight)
        try:
            if site.page_delay:
                site._stopping.wait(site.page_delay)
            self._route(head=head)
        finally:
            with site._lock:
                site.in_flight -= 1

    def _route(self, *, head: bool) -> None:
        site = self.server.site
        key = route_key(self.path)
        with site._lock:
            override = site._overrides.get(key)
            feed = site._feeds.get(key)
            page = site._pages.get(key)
            redirect = site._redirects.get(key)
        if override is not None:
            status, body, content_type, headers = override
            self._send(status, body, content_type, headers, head=head)
        elif key == "/robots.txt":
            robots = site._robots_body()
            if robots is None:
                self._send(
                    404, _error_page(404, site.site_name), "text/html; charset=utf-8", head=head
                )
            else:
                self._send(200, robots, "text/plain; charset=utf-8", head=head)
        elif key in _SPECIAL_HANDLERS:
            _SPECIAL_HANDLERS[key](self, head)
        elif feed is not None:
            self._serve_feed(key, head)
        elif page is not None:
            rendered = site.render_page(page.article)
            headers = {"Cache-Control": "max-age=60"}
            if page.template == "wordpress":
                headers["Link"] = f"<{site.base_url}/?p={page.page_id}>; rel=shortlink"
            elif page.template == "legacy":
                headers["X-Powered-By"] = "ASP.NET"
                headers["X-AspNet-Version"] = "2.0.50727"
            self._send(200, rendered.body, rendered.content_type, headers, head=head)
        elif redirect is not None:
            status, target = redirect
            location = target if "://" in target else site.url(target)
            self._send(status, b"", "text/html; charset=utf-8", {"Location": location}, head=head)
        elif key in ("/", "/index.html"):
            self._send(200, site._homepage(), "text/html; charset=utf-8", head=head)
        else:
            self._send(404, _error_page(404, site.site_name), "text/html; charset=utf-8", head=head)

    def _serve_feed(self, key: str, head: bool) -> None:
        site = self.server.site
        body, content_type = site.render_feed(key)
        modified = site.feed(key).modified
        etag = '"' + hashlib.sha1(body).hexdigest()[:24] + '"'
        headers = {
            "ETag": etag,
            "Last-Modified": email.utils.format_datetime(modified.astimezone(UTC), usegmt=True),
            "Cache-Control": "max-age=300, must-revalidate",
        }
        if self._not_modified(etag, modified):
            self.send_response(304)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            return
        self._send(200, body, content_type, headers, head=head)

    def _not_modified(self, etag: str, modified: datetime) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
            return "*" in tags or etag in tags
        if_modified_since = self.headers.get("If-Modified-Since")
        if if_modified_since:
            try:
                since = email.utils.parsedate_to_datetime(if_modified_since)
            except (TypeError, ValueError):
                return False
            if since.tzinfo is None:
                since = since.replace(tzinfo=UTC)
            return modified <= since
        return False

    # special routes

    def _status_page(
        self, status: int, head: bool, headers: Mapping[str, str] | None = None
    ) -> None:
        site = self.server.site
        self._send(
            status,
            _error_page(status, site.site_name),
            "text/html; charset=utf-8",
            headers,
            head=head,
        )

    def _redirect_loop(self, head: bool) -> None:
        other = (
            Routes.REDIRECT_LOOP_OTHER
            if route_key(self.path) == Routes.REDIRECT_LOOP
            else Routes.REDIRECT_LOOP
        )
        self._send(
            302,
            b"",
            "text/html; charset=utf-8",
            {"Location": self.server.site.url(other)},
            head=head,
        )

    def _stream_huge(self, head: bool, *, chunked: bool) -> None:
        site = self.server.site
        size = max(site.huge_bytes, len(_HUGE_HEAD))
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(size))
        self.end_headers()
        if head:
            return
        sent = 0
        try:
            while sent < size and not site._stopping.is_set():
                block = _HUGE_HEAD if sent == 0 else _HUGE_BLOCK
                piece = block[: size - sent]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                sent += len(piece)
            if chunked and sent >= size:
                self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass
        if sent < size:
            self.close_connection = True

    def _slow(self, head: bool) -> None:
        site = self.server.site
        if site._stopping.wait(site.slow_seconds):
            self.close_connection = True
            return
        body = _ERROR_PAGE.format(
            title="خبر بطيء التحميل", text="وصل هذا الخبر متأخراً جداً.", site=_e(site.site_name)
        ).encode()
        self._send(200, body, "text/html; charset=utf-8", head=head)


_SPECIAL_HANDLERS: Final[dict[str, Callable[[_Handler, bool], None]]] = {
    Routes.NOT_FOUND: lambda h, head: h._status_page(404, head),
    Routes.SERVER_ERROR: lambda h, head: h._status_page(500, head),
    Routes.RATE_LIMITED: lambda h, head: h._status_page(
        429, head, {"Retry-After": h.server.site.retry_after}
    ),
    Routes.REDIRECT_LOOP: _Handler._redirect_loop,
    Routes.REDIRECT_LOOP_OTHER: _Handler._redirect_loop,
    Routes.PDF: lambda h, head: h._send(200, PDF_BYTES, "application/pdf", head=head),
    Routes.PDF_AS_HTML: lambda h, head: h._send(
        200, PDF_BYTES, "text/html; charset=utf-8", head=head
    ),
    Routes.PNG: lambda h, head: h._send(200, PNG_BYTES, "image/png", head=head),
    Routes.HUGE: lambda h, head: h._stream_huge(head, chunked=False),
    Routes.HUGE_CHUNKED: lambda h, head: h._stream_huge(head, chunked=True),
    Routes.SLOW: _Handler._slow,
    Routes.EMPTY: lambda h, head: h._send(200, b"", "text/html; charset=utf-8", head=head),
    Routes.NOT_A_FEED: lambda h, head: h._send(
        200, h.server.site._homepage(), "text/html; charset=utf-8", head=head
    ),
    Routes.TRUNCATED_FEED: lambda h, head: h._send(
        200, h.server.site._truncated_feed(), "application/rss+xml; charset=UTF-8", head=head
    ),
    Routes.EMPTY_FEED: lambda h, head: h._send(
        200, b"", "application/rss+xml; charset=UTF-8", head=head
    ),
}


# ── ready-made sites ──────────────────────────────────────────────────────────────────────────

SEED_SITE_FEEDS: Final = {"/feed/": "rss2", "/atom.xml": "atom"}


def seed_site(**site_options: Any) -> NewsSite:
    """The five seed articles (one template each in turn) in an RSS 2.0 feed at /feed/ and an
    Atom feed at /atom.xml; /feed/ also lists PRIVATE_ARTICLE, served under /private/."""
    site = NewsSite(**site_options)
    seeds = load_seed_articles()
    site.add_articles(seeds)
    site.add_article(PRIVATE_ARTICLE, template="wordpress", disallowed=True)
    site.add_feed("/feed/", [*seeds, PRIVATE_ARTICLE], form="rss2", full_content=True)
    site.add_feed("/atom.xml", seeds, form="atom")
    return site


# The eight feeds of the demo site: path -> (form, options).
DEMO_FEEDS: Final[dict[str, tuple[str, dict[str, Any]]]] = {
    "/feed/": ("rss2", {"full_content": True}),
    "/atom.xml": ("atom", {}),
    "/rss/world.rdf": ("rss1", {}),
    "/rss/rss091.xml": ("rss091", {}),
    "/rss/economy-cp1256.xml": ("rss2-cp1256", {}),
    "/News/rss.aspx?SectionID=3": ("rss2-cp1256-mislabelled", {"dates": "mixed"}),
    "/rss/breaking.xml": ("broken-amp", {"dates": "arabic", "relative_links": True}),
    "/rss/latest.xml": ("rss2", {"dates": "mixed", "duplicate_guids": True, "iri_links": True}),
}


def demo_site(
    ant_articles: Sequence[SiteArticle] = (),
    *,
    seeds: bool = True,
    special: bool = False,
    **site_options: Any,
) -> NewsSite:
    """Seed articles plus `ant_articles`, dealt round-robin into the eight DEMO_FEEDS.

    PRIVATE_ARTICLE is listed in /feed/ but disallowed by robots.txt. With `special`,
    /rss/latest.xml also links to the error routes (404, 500, 429, loop, PDF, PNG, empty; not the
    slow or the huge one).
    """
    site = NewsSite(**site_options)
    for path, (form, options) in DEMO_FEEDS.items():
        site.add_feed(path, (), form, **options)
    paths = list(DEMO_FEEDS)
    stories = [*(load_seed_articles() if seeds else []), *ant_articles]
    for n, article in enumerate(stories):
        site.add_article(article, feeds=[paths[n % len(paths)]])
    site.add_article(PRIVATE_ARTICLE, template="wordpress", disallowed=True, feeds=["/feed/"])
    if special:
        site.add_to_feed("/rss/latest.xml", *special_feed_links(slow=False, huge=False))
    return site


def rasad_config(
    site: NewsSite,
    store_url: str,
    *,
    source: str = "almadar",
    feeds: Iterable[str] | None = None,
    download_delay: float = 0.0,
    obey_robots: bool = True,
    crawl: Mapping[str, str | int | float | bool] | None = None,
) -> str:
    """A rasad TOML config (DESIGN.md "Configuration") with the site as its only source.

    crawl: further [crawl] keys, e.g. {"download_timeout": 5}.
    """
    urls = [site.url(p) for p in (feeds if feeds is not None else site.feeds)]
    feed_list = ",\n".join(f'    "{u}"' for u in urls)
    extra = "".join(f"{key} = {json.dumps(value)}\n" for key, value in (crawl or {}).items())
    return f"""[store]
url = "{store_url}"

[crawl]
download_delay = {download_delay}
obey_robots = {"true" if obey_robots else "false"}
user_agent = "rasad-tests (+http://127.0.0.1/)"
{extra}
[[sources]]
name = "{source}"
title = "{site.site_name}"
feeds = [
{feed_list},
]
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the fixture Arabic news site.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--ant",
        type=int,
        default=0,
        metavar="N",
        help="also publish N articles from the ANT corpus (../shared/data)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed for the ANT sample")
    parser.add_argument(
        "--special", action="store_true", help="list the error routes in /rss/latest.xml"
    )
    parser.add_argument("--slow-seconds", type=float, default=30.0)
    args = parser.parse_args(argv)
    ant: list[SiteArticle] = []
    if args.ant:
        started = time.monotonic()
        ant = load_ant_articles(args.ant, seed=args.seed)
        print(
            f"loaded {len(ant)} ANT articles in {time.monotonic() - started:.1f}s", file=sys.stderr
        )
    site = demo_site(
        ant, special=args.special, host=args.host, port=args.port, slow_seconds=args.slow_seconds
    )
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with site:
        print(f"{site.site_name} at {site.base_url}/ ({len(site.pages)} articles)")
        for path, url in site.feed_urls().items():
            print(f"  {site.feed(path).form:<24} {url}")
        print("special routes:")
        for path in Routes.ALL:
            print(f"  {site.url(path)}")
        print("Ctrl-C to stop", flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())

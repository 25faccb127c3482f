"""parse_date and plausible_published: RFC 822 with Arabic-outlet quirks, ISO 8601,
Arabic month names in all three traditions, and a refusal to guess."""

from __future__ import annotations

import lzma
import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.text.dates import parse_date, plausible_published

# Real material comes from ../shared/data through conftest's `shared_data` fixture, which
# skips with the reason when it is absent.


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# -- RFC 822 and ISO 8601 -------------------------------------------------------------------

RFC_AND_ISO = [
    ("Sun, 18 Feb 2018 21:35:43 +0400", utc(2018, 2, 18, 17, 35, 43)),  # Al Arabiya
    ("Tue, 15 May 2018 10:00:00 GMT", utc(2018, 5, 15, 10)),  # Sky News Arabia
    ("Mon, 17 Jun 2024 19:01:00 +04:00", utc(2024, 6, 17, 15, 1)),  # colon in offset
    ("Mon, 17 Jun 2024 19:01:00 GMT+4", utc(2024, 6, 17, 15, 1)),
    ("Mon, 17 Jun 2024 19:01:00 GMT+03:00", utc(2024, 6, 17, 16, 1)),
    ("Mon, 17 Jun 2024 19:01:00 AST", utc(2024, 6, 17, 16, 1)),  # Arabia, not Atlantic
    ("Mon, 17 Jun 2024 19:01:00 +0300 (AST)", utc(2024, 6, 17, 16, 1)),
    ("Mon, 17 Jun 2024 19:01:00 EDT", utc(2024, 6, 17, 23, 1)),
    ("Monday, 17 June 2024 19:01 +0200", utc(2024, 6, 17, 17, 1)),
    ("17 Jun 2024 19:01:00 +0400", utc(2024, 6, 17, 15, 1)),  # no weekday
    ("Mon, 17 Jun 24 19:01:00 GMT", utc(2024, 6, 17, 19, 1)),  # RFC 822 two-digit year
    ("Mon, 17 Jun 2024", utc(2024, 6, 17)),
    ("June 17, 2024 7:05 PM EDT", utc(2024, 6, 17, 23, 5)),
    ("2024-06-17T19:01:00Z", utc(2024, 6, 17, 19, 1)),
    ("2024-06-17T19:01:00.250+03:00", utc(2024, 6, 17, 16, 1, 0, 250000)),
    ("2020-06-03T03:01+0400", utc(2020, 6, 2, 23, 1)),  # albayan.ae
    ("2024-06-17 19:01:00 +04:00", utc(2024, 6, 17, 15, 1)),
    ("2024-06-17 19:01:00", utc(2024, 6, 17, 19, 1)),
    ("2024-06-17", utc(2024, 6, 17)),
    ("20240617T190100Z", utc(2024, 6, 17, 19, 1)),
]


@pytest.mark.parametrize(("value", "expected"), RFC_AND_ISO)
def test_rfc822_and_iso8601(value, expected):
    assert parse_date(value) == expected


# -- Arabic ----------------------------------------------------------------------------------

ARABIC = [
    ("19 يونيو/حزيران 2024", utc(2024, 6, 19)),
    ("19 يونيو / حزيران 2024", utc(2024, 6, 19)),
    ("19 حزيران (يونيو) 2024", utc(2024, 6, 19)),
    ("17 مارس/ آذار 2020", utc(2020, 3, 17)),  # sputnik arabic
    ("تم نشره الجمعة 24 نيسان / أبريل 2020 09:22 مساءً", utc(2020, 4, 24, 21, 22)),
    ("الأحد، 23 أغسطس 2020 09:14 ص", utc(2020, 8, 23, 9, 14)),  # youm7
    ("الجمعة، 21 أغسطس 2020 09:06 م", utc(2020, 8, 21, 21, 6)),
    ("الأربعاء، 07 أكتوبر 2020 - 12:09 م", utc(2020, 10, 7, 12, 9)),  # 12 PM is noon
    ("الخميس 1 يناير 2024 12:30 ص", utc(2024, 1, 1, 0, 30)),  # 12 AM is midnight
    ("03 يونيو 2020م", utc(2020, 6, 3)),  # م after the year is "AD", not PM
    ("ديسمبر 24, 2020", utc(2020, 12, 24)),
    ("الاثنين 17 يونية 2024", utc(2024, 6, 17)),
    ("الإثنين 17 يوليه 2024", utc(2024, 7, 17)),
    ("1 إبريل 2024", utc(2024, 4, 1)),
    ("1 ابريل 2024", utc(2024, 4, 1)),
    ("15 اغسطس 2023", utc(2023, 8, 15)),
    ("15 اكتوبر 2023", utc(2023, 10, 15)),
    ("الأحد 5 كانون الثاني 2025", utc(2025, 1, 5)),
    ("5 شباط 2025", utc(2025, 2, 5)),
    ("5 آذار 2025", utc(2025, 3, 5)),
    ("5 أيار 2025", utc(2025, 5, 5)),
    ("5 تموز 2025", utc(2025, 7, 5)),
    ("5 آب 2025", utc(2025, 8, 5)),
    ("5 أيلول 2025", utc(2025, 9, 5)),
    ("5 تشرين الأول 2023", utc(2023, 10, 5)),
    ("12 تشرين الثاني 2023", utc(2023, 11, 12)),
    ("31 كانون الأول 2023 23:59", utc(2023, 12, 31, 23, 59)),
    ("14 جويلية 2024", utc(2024, 7, 14)),  # Tunisia/Algeria
    ("1 أوت 2023", utc(2023, 8, 1)),
    ("١٩ يونيو ٢٠٢٤", utc(2024, 6, 19)),  # Arabic-Indic digits
    ("الإثنين ١٧ حزيران ٢٠٢٤ ١٠:٣٠ ص", utc(2024, 6, 17, 10, 30)),
    ("۱۷ ژوئن", None),  # Persian digits fold, but Persian month names are not Arabic ones
    ("17 يونيـــو 2024", utc(2024, 6, 17)),  # tatweel
    ("\u200f17 يونيو 2024\u200f", utc(2024, 6, 17)),  # RLM marks
    ("10 ذو الحجة 1445 هـ الموافق 17 يونيو 2024 م", utc(2024, 6, 17)),
    ("17 يونيو 2024 19:01 بتوقيت غرينتش", utc(2024, 6, 17, 19, 1)),
    ("17 يونيو 2024 - 19:01 (GMT+3)", utc(2024, 6, 17, 16, 1)),
    ("17 يونيو عام 2024", utc(2024, 6, 17)),
    ("17 يونيو 2024 1:30 ظهراً", utc(2024, 6, 17, 13, 30)),
    ("17 يونيو 2024 11:30 ظهرا", utc(2024, 6, 17, 11, 30)),  # late morning, not 23:30
    ("17 يونيو 2024 08:15 صباحاً", utc(2024, 6, 17, 8, 15)),
    ("17\u00a0يونيو\u00a02024", utc(2024, 6, 17)),  # no-break spaces
    ("19:01 - 17 يونيو 2024", utc(2024, 6, 17, 19, 1)),  # time first; "- 17" is no offset
    ("17 يونيو 2024 9:05م", utc(2024, 6, 17, 21, 5)),
]


@pytest.mark.parametrize(("value", "expected"), ARABIC)
def test_arabic_dates(value, expected):
    assert parse_date(value) == expected


NUMERIC = [
    ("17-6-2024 | 19:01", utc(2024, 6, 17, 19, 1)),
    ("2024/04/28", utc(2024, 4, 28)),
    ("الموافق2024/04/28م", utc(2024, 4, 28)),
    ("28/04/2024", utc(2024, 4, 28)),
    ("05/04/2024", utc(2024, 4, 5)),  # ambiguous: day first, as Arab outlets write it
    ("04/28/2024", utc(2024, 4, 28)),  # month first only where day-first is impossible
    ("17.06.2024 - 07:05 م", utc(2024, 6, 17, 19, 5)),
    ("٢٠٢٤/٠٤/٢٨ ١٩:٠١", utc(2024, 4, 28, 19, 1)),
    ("2024-6-7 09:05:03", utc(2024, 6, 7, 9, 5, 3)),
]


@pytest.mark.parametrize(("value", "expected"), NUMERIC)
def test_numeric_dates(value, expected):
    assert parse_date(value) == expected


UNPARSEABLE = [
    "",
    "   ",
    "garbage",
    "منذ 3 ساعات",  # relative: needs "now", not a date
    "17 يونيو",  # no year: never guessed
    "17 يونيو 19:01",  # the time is not a year
    "Jun 17 19:01",
    "5 مارس/نيسان 2024",  # the two month names disagree
    "31 فبراير 2024",
    "30/02/2024",
    "17 يونيو 2024 25:61",
    "1445/12/10 هـ",  # Hijri
    "۱۳۹۹/۰۲/۲۱ - ۱۸:۵۹",  # Persian solar Hijri (yjc.ir)
    "17/06/24",  # two-digit year in a numeric date
    "17 يونيو 24",  # two-digit year with an Arabic month: not RFC 822, not guessed
    "Seg, 24 Set 2018 19:42:40 -0300",  # Portuguese, not a month we know
    "0001-01-01T00:00:00Z",
    "Mon, 17 Jun 2024 19:01:00 +1500",  # no such offset
]


@pytest.mark.parametrize("value", UNPARSEABLE)
def test_unparseable_is_none(value):
    assert parse_date(value) is None


@pytest.mark.parametrize("value", [None, 20240617, b"2024-06-17"])
def test_non_strings_are_none(value):
    assert parse_date(value) is None  # type: ignore[arg-type]


@given(st.text(max_size=80))
def test_never_raises_and_is_utc_when_parsed(value):
    parsed = parse_date(value)
    assert parsed is None or parsed.utcoffset() == timedelta(0)


# -- time zones ------------------------------------------------------------------------------


def test_default_tz_applies_only_without_an_offset():
    riyadh = ZoneInfo("Asia/Riyadh")
    assert parse_date("17 يونيو 2024 19:01", default_tz=riyadh) == utc(2024, 6, 17, 16, 1)
    assert parse_date("2024-06-17 19:01:00", default_tz=riyadh) == utc(2024, 6, 17, 16, 1)
    # a bare day has no time to shift: midnight UTC of the printed day, not the day before
    assert parse_date("03 يونيو 2020م", default_tz=ZoneInfo("Asia/Dubai")) == utc(2020, 6, 3)
    assert parse_date("Mon, 17 Jun 2024 19:01:00 GMT", default_tz=riyadh) == utc(2024, 6, 17, 19, 1)
    fixed = timezone(timedelta(hours=2))
    assert parse_date("2024/04/28 10:00", default_tz=fixed) == utc(2024, 4, 28, 8)


def test_result_is_always_utc():
    parsed = parse_date("Sun, 18 Feb 2018 21:35:43 +0400")
    assert parsed is not None and parsed.tzinfo is UTC


# -- real material ---------------------------------------------------------------------------

# (page, pattern capturing the page's own date string, outlet's zone, gold date)
REAL_PAGES = [
    ("1691196862.html", r'newsStoryDate">([^<]+)', "Africa/Cairo", "2020-08-24"),  # youm7
    ("1623715966.html", r'gregorian-date">([^<]+)', "Asia/Dubai", "2020-06-03"),  # albayan
    ("1623715966.html", r'published_time" content="([^"]+)', "Asia/Dubai", "2020-06-03"),
    ("1731695567.html", r'published_time" content="([^"]+)', "Africa/Cairo", "2020-10-07"),
    ("1588107198.html", r'article_created">([^<]+)', "Asia/Amman", "2020-04-24"),
    # sputnik: <span class="m-vat">17:55 GMT</span><span class="m-vat">17 مارس/ آذار 2020</span>
    (
        "1550981615.html",
        r'm-vat">([^<]+</span><span class="m-vat">[^<]+)',
        "Europe/Moscow",
        "2020-03-17",
    ),
    ("1784190729.html", r'published_time" content="([^"]+)', "Asia/Riyadh", "2020-12-01"),
    ("1806793639.html", r'published_time" content="([^"]+)', "Asia/Damascus", "2020-12-25"),
    ("1764731404.html", r'published_time" content="([^"]+)', "Asia/Beirut", "2020-11-09"),
]


@pytest.mark.parametrize(("page", "pattern", "zone", "gold"), REAL_PAGES)
def test_real_arabic_pages_match_htmldate_gold(shared_data, page, pattern, zone, gold):
    html = (shared_data / "pages" / "htmldate-2020" / page).read_text(encoding="utf-8")
    match = re.search(pattern, html)
    assert match, f"date string not found in {page}"
    value = re.sub(r"<[^>]+>", " ", match.group(1))
    parsed = parse_date(value, default_tz=ZoneInfo(zone))
    assert parsed is not None, value
    assert parsed.astimezone(ZoneInfo(zone)).date().isoformat() == gold


def test_real_persian_solar_date_is_refused(shared_data):
    page = shared_data / "pages" / "htmldate-2020" / "1602557452.html"
    html = page.read_text(encoding="utf-8")
    match = re.search(r'published_time" content="([^"]+)', html)
    assert match and match.group(1).startswith("۱۳۹۹")
    assert parse_date(match.group(1)) is None


def test_every_real_pubdate_of_five_arabic_outlets(shared_data):
    """ANT corpus: 31k raw RSS pubDates of Al Arabiya, BBC, CNN, France24, Sky News Arabia."""
    index = shared_data / "corpora" / "ant-multisource" / "index.tsv.xz"
    with lzma.open(index, "rt", encoding="utf-8") as handle:
        header = handle.readline().rstrip("\n").split("\t")
        column = header.index("time")
        times = [line.rstrip("\n").split("\t")[column] for line in handle]
    assert len(times) > 30_000
    wrong = [t for t in times if parse_date(t) != parsedate_to_datetime(t)]
    assert wrong == []


# -- plausible_published ---------------------------------------------------------------------

NOW = utc(2024, 6, 17, 12)


@pytest.mark.parametrize(
    ("value", "plausible"),
    [
        (utc(2024, 6, 17, 11), True),
        (utc(1995, 1, 1), True),
        (utc(1994, 12, 31, 23, 59), False),
        (utc(1970, 1, 1), False),
        (NOW + timedelta(hours=23), True),
        (NOW + timedelta(days=1, minutes=1), False),
        (utc(2099, 1, 1), False),
        (None, False),
        (datetime(2024, 6, 1), True),  # naive is taken as UTC
    ],
)
def test_plausible_published(value, plausible):
    assert plausible_published(value, NOW) is plausible


def test_plausible_published_defaults_to_the_current_time():
    assert plausible_published(datetime.now(UTC))
    assert not plausible_published(datetime.now(UTC) + timedelta(days=2))


def test_a_bare_day_is_not_shifted_by_the_outlet_zone():
    riyadh = timezone(timedelta(hours=3))
    assert parse_date("2018-07-17", default_tz=riyadh) == datetime(2018, 7, 17, tzinfo=UTC)
    assert parse_date("17 يونيو 2024", default_tz=riyadh) == datetime(2024, 6, 17, tzinfo=UTC)
    # with a time of day, the outlet's zone applies
    assert parse_date("17 يونيو 2024 19:01", default_tz=riyadh) == datetime(
        2024, 6, 17, 16, 1, tzinfo=UTC
    )

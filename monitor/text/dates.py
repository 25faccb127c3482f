"""Publication dates as Arabic news outlets actually write them.

Feeds carry RFC 822 dates with quirks (``+04:00`` offsets, ``GMT+3``, ``AST``
meaning Arabia rather than Atlantic time), pages and some feeds carry Arabic
dates: Egyptian/Gulf month names (يونيو), Levantine/Iraqi ones (حزيران), the two
combined (يونيو/حزيران), Maghrebi ones (جوان، جويلية), weekday prefixes, Arabic-Indic
digits and ص/م for AM/PM; numeric forms (17-6-2024, 2024/04/28م) are day-first.

`parse_date` returns a timezone-aware UTC datetime or None, and never raises:
an unparseable or incomplete date (no year, relative "منذ 3 ساعات") is None
rather than a guess, because a wrong date silently misfiles an article.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from monitor.text.arabic import fold, fold_digits

__all__ = ["parse_date", "plausible_published"]

_MIN_YEAR, _MAX_YEAR = 1900, 2100
_EARLIEST_PUBLISHED = datetime(1995, 1, 1, tzinfo=UTC)

# One spelling per name: `fold` (the project's Arabic normaliser) takes care of hamza forms
# (أبريل = ابريل = إبريل), ة/ه (يونية = يونيه), harakat and tatweel, and lowercases Latin.
_MONTH_NAMES: dict[int, tuple[str, ...]] = {
    1: ("يناير", "جانفي", "كانون الثاني", "كانون ثاني", "january", "jan"),
    2: ("فبراير", "فيفري", "شباط", "february", "feb"),
    3: ("مارس", "آذار", "march", "mar"),
    4: ("أبريل", "أفريل", "نيسان", "april", "apr"),
    5: ("مايو", "ماي", "أيار", "may"),
    6: ("يونيو", "يونية", "جوان", "حزيران", "june", "jun"),
    7: ("يوليو", "يولية", "يوليوز", "جويلية", "تموز", "july", "jul"),
    8: ("أغسطس", "أوت", "غشت", "آب", "august", "aug"),
    9: ("سبتمبر", "شتنبر", "أيلول", "september", "sept", "sep"),
    10: ("أكتوبر", "تشرين الأول", "تشرين أول", "october", "oct"),
    11: ("نوفمبر", "نونبر", "تشرين الثاني", "تشرين ثاني", "november", "nov"),
    12: ("ديسمبر", "دجنبر", "كانون الأول", "كانون أول", "december", "dec"),
}
_MONTHS = {fold(name): number for number, names in _MONTH_NAMES.items() for name in names}

# Named zones as Arabic outlets use them (AST is Arabia Standard Time here, not Atlantic).
_ZONES = {
    "gmt": 0, "utc": 0, "ut": 0, "z": 0, "غرينتش": 0, "جرينتش": 0, "غرينيتش": 0,
    "ast": 180, "ksa": 180, "msk": 180, "trt": 180, "eest": 180, "eet": 120,
    "gst": 240, "cet": 60, "cest": 120, "bst": 60, "irst": 210,
    "est": -300, "edt": -240, "cst": -360, "cdt": -300, "mst": -420, "mdt": -360,
    "pst": -480, "pdt": -420,
}  # fmt: skip

_LETTER_BEFORE = r"(?<![^\W\d_])"  # not preceded by a letter (digits may touch)
_LETTER_AFTER = r"(?![^\W\d_])"
_NAME = "(?:" + "|".join(re.escape(n) for n in sorted(_MONTHS, key=len, reverse=True)) + ")"
_NAME_RE = re.compile(_LETTER_BEFORE + _NAME + _LETTER_AFTER, re.I)
# One month, possibly given twice: "يونيو/حزيران", "نيسان / أبريل", "يونيو (حزيران)".
_MONTH_SPAN = rf"{_LETTER_BEFORE}{_NAME}(?:\s*[/\\|-]\s*{_NAME}|\s*\(\s*{_NAME}\s*\)|\s+{_NAME})?"
_MONTH_SPAN += _LETTER_AFTER
_YEAR_WORD = r"(?:(?:عام|سنة)\s+)?"
_DAY_FIRST = re.compile(
    rf"(?<!\d)(?P<day>\d{{1,2}})\s*[-/.,]?\s*(?P<month>{_MONTH_SPAN})\s*[-/.,]?\s*"
    rf"{_YEAR_WORD}(?P<year>\d{{4}}|\d{{2}})(?![\d:])",
    re.I,
)
_MONTH_FIRST = re.compile(
    rf"(?P<month>{_MONTH_SPAN})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s*"
    rf"{_YEAR_WORD}(?P<year>\d{{4}})(?!\d)",
    re.I,
)
_YMD = re.compile(r"(?<!\d)(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})(?!\d)")
_DMY = re.compile(r"(?<!\d)(?P<day>\d{1,2})[-/.](?P<month>\d{1,2})[-/.](?P<year>\d{4})(?!\d)")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}|$)|^\d{8}T\d{4}")
_TIME = re.compile(r"(?<![\d:])(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?(?:[.,]\d+)?(?![\d:])")
_AMPM = re.compile(
    r"\s*(?P<mark>صباحا|صباح|ص|مساءا|مساء|م|ظهرا|عصرا|a\.?m\.?|p\.?m\.?)" + _LETTER_AFTER, re.I
)
_OFFSET = re.compile(
    r"\s*(?:\(?\s*(?:بتوقيت\s+)?(?P<name>[^\W\d_]+)\s*\)?)?\s*"
    r"(?:(?P<sign>[+-])(?P<oh>\d{1,2})(?::?(?P<om>\d{2}))?)?(?!\d)"
)
_SPACES = re.compile(r"\s+")  # Unicode-aware: NBSP and thin spaces too


def parse_date(value: str, *, default_tz: tzinfo = UTC) -> datetime | None:
    """Parse a published/updated date string to an aware UTC datetime, or None.

    ``default_tz`` is the outlet's zone, applied when the string carries a time but no
    offset. A bare day ("2024-06-17", a URL's /2024/06/17/) has no time to shift: it stays
    midnight UTC of that day, so converting never moves it to the day before.
    """
    if not isinstance(value, str):
        return None
    text = _SPACES.sub(" ", fold_digits(value)).strip()
    if not text:
        return None
    folded = _SPACES.sub(" ", fold(text).replace("\u061c", "")).strip()
    try:
        parsed = _parse_iso(text) or _parse_named_month(folded) or _parse_numeric(folded)
    except (ValueError, OverflowError):
        return None
    if parsed is None or not _MIN_YEAR <= parsed.year <= _MAX_YEAR:
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        has_time = _TIME_OF_DAY.search(text) is not None
        parsed = parsed.replace(tzinfo=default_tz if has_time else UTC)
    try:
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


_TIME_OF_DAY = re.compile(r"\d{1,2}:\d{2}")


def plausible_published(dt: datetime | None, now: datetime | None = None) -> bool:
    """Whether a publication date is believable: not before 1995, not over a day ahead."""
    if dt is None:
        return False
    now = now or datetime.now(UTC)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return _EARLIEST_PUBLISHED <= dt <= now + timedelta(days=1)


def _parse_iso(text: str) -> datetime | None:
    if not _ISO.match(text):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None  # e.g. "2024-06-17 19:01 +04:00": the numeric parser handles it


def _parse_named_month(text: str) -> datetime | None:
    match = _DAY_FIRST.search(text) or _MONTH_FIRST.search(text)
    if match is None:
        return None
    months = {_MONTHS[name] for name in _NAME_RE.findall(match["month"])}
    if len(months) != 1:
        return None  # "مارس/نيسان": the two names disagree
    year = _year(match["year"], latin_month=match["month"].isascii())
    if year is None:
        return None
    return _combine(text, match, year, months.pop(), int(match["day"]))


def _parse_numeric(text: str) -> datetime | None:
    match = _YMD.search(text) or _DMY.search(text)
    if match is None:
        return None
    day, month = int(match["day"]), int(match["month"])
    if month > 12 >= day:  # unambiguous month-first ("04/28/2024"); otherwise day-first
        day, month = month, day
    return _combine(text, match, int(match["year"]), month, day)


def _year(digits: str, *, latin_month: bool) -> int | None:
    """Four digits as given; two only in RFC 822 style ("17 Jun 24"), by RFC 2822's rule."""
    if len(digits) == 4:
        return int(digits)
    if not latin_month:
        return None
    short = int(digits)
    return 2000 + short if short < 50 else 1900 + short


def _combine(text: str, match: re.Match[str], year: int, month: int, day: int) -> datetime:
    """The date from `match` plus the first time of day found outside it (midnight if none)."""
    rest = text[: match.start()] + " " * (match.end() - match.start()) + text[match.end() :]
    time = _TIME.search(rest)
    if time is None:
        return datetime(year, month, day)
    hour = _hour_24(int(time["h"]), rest[time.end() :])
    tail = _after_marker(rest[time.end() :])
    moment = datetime(year, month, day, hour, int(time["m"]), int(time["s"] or 0))
    zone = _zone(tail)
    return moment.replace(tzinfo=zone) if zone is not None else moment


def _hour_24(hour: int, after: str) -> int:
    marker = _AMPM.match(after)
    if marker is None:
        return hour
    mark = marker["mark"].lower().replace(".", "")
    if mark in ("ص", "صباح", "صباحا", "am"):
        return 0 if hour == 12 else hour
    if mark == "ظهرا" and hour > 6:
        return hour  # "11 ظهرا" is late morning
    return hour + 12 if hour < 12 else hour


def _after_marker(after: str) -> str:
    marker = _AMPM.match(after)
    return after[marker.end() :] if marker else after


def _zone(tail: str) -> tzinfo | None:
    """An offset right after the time: "+0400", "+04:00", "GMT+3", "AST", "بتوقيت غرينتش"."""
    match = _OFFSET.match(tail)
    if match is None:
        return None
    minutes = None
    if match["name"]:
        minutes = _ZONES.get(match["name"].lower())
        if minutes is None and not match["sign"]:
            return None
    if match["sign"]:
        sign = -1 if match["sign"] == "-" else 1
        minutes = (minutes or 0) + sign * (int(match["oh"]) * 60 + int(match["om"] or 0))
    if minutes is None:
        return None
    if abs(minutes) > 14 * 60:
        raise ValueError(f"impossible UTC offset: {minutes} minutes")  # parse_date: None
    return timezone(timedelta(minutes=minutes))

"""The rules one setting's value must follow, each a pure function of that value alone.

A rule takes a value whose TOML type is already right and returns it in the form the
program uses (seconds, a tuple, a tzinfo), or raises ValueError with a message that reads
after the key: "crawl.download_delay: must not be negative". The schema attaches one rule
to each setting; rules that need the file system or several keys at once are in `checks`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, timedelta, timezone, tzinfo
from email.utils import getaddresses
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Rule = Callable[[Any], Any]

_TYPE_WORDS = {
    bool: "true or false",
    int: "an integer",
    float: "a number",
    str: "a string",
    list: "a list",
    dict: "a table",
}


def type_problem(value: object, types: tuple[type, ...]) -> str | None:
    """Why `value` is not of the TOML type(s) declared, or None when it is."""
    # bool is an int in Python; a number key must not accept true/false.
    if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
        got = str(value).lower() if isinstance(value, bool) else type_words((type(value),))
        return f"must be {type_words(types)}, got {got}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"must be a finite number, got {value}"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
        return "is out of range (TOML integers are 64-bit)"
    return None


def type_words(types: tuple[type, ...]) -> str:
    if set(types) == {int, float}:
        return "a number"
    return " or ".join(_TYPE_WORDS.get(t, t.__name__) for t in types)


def same(value: Any) -> Any:
    """The rule of a setting taken as it is written."""
    return value


def non_negative(value: float) -> float:
    if value < 0:
        raise ValueError("must not be negative")
    return float(value)


def not_negative_int(value: int) -> int:
    if value < 0:
        raise ValueError("must not be negative")
    return value


def at_least_one(value: int) -> int:
    if value < 1:
        raise ValueError("must be at least 1")
    return value


def fraction(value: float) -> float:
    if not 0 <= value <= 1:
        raise ValueError("must be between 0 and 1")
    return float(value)


def port(value: int) -> int:
    if not 1 <= value <= 65535:
        raise ValueError("must be a port number, 1-65535")
    return value


def one_of(*choices: str) -> Rule:
    words = ", ".join(choices[:-1]) + f" or {choices[-1]}"

    def rule(value: str) -> str:
        if value not in choices:
            raise ValueError(f"must be {words}")
        return value

    return rule


_INTERVAL_RE = re.compile(r"^(\d+)\s*([smhd])$")
_INTERVAL_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(value: str) -> int:
    """'90s', '15m', '2h', '1d' -> seconds."""
    match = _INTERVAL_RE.match(value.strip())
    digits = match.group(1).lstrip("0") if match else ""
    if not match or not digits:
        raise ValueError(f"{value!r} is not an interval like 90s, 15m, 2h or 1d")
    if len(digits) > 12:  # beyond any timedelta (and Python's int-from-str limit)
        raise ValueError(f"{value!r} is far too long an interval")
    return int(digits) * _INTERVAL_UNITS[match.group(2)]


def interval(longest: int, too_long: str) -> Rule:
    """An interval in seconds, at most `longest`; `too_long` says why when it is longer."""

    def rule(value: str) -> int:
        seconds = parse_interval(value)
        if seconds > longest:
            raise ValueError(too_long)
        return seconds

    return rule


_OFFSET_RE = re.compile(r"^([+-])(\d{1,2}):?(\d{2})$")


def time_zone(value: str) -> tzinfo:
    """ "UTC", "+03:00", "+0300" or an IANA name such as "Asia/Riyadh"."""
    if value.upper() in ("UTC", "Z", "GMT"):
        return UTC
    match = _OFFSET_RE.match(value.strip())
    if match:
        sign = -1 if match.group(1) == "-" else 1
        offset = timedelta(hours=int(match.group(2)), minutes=int(match.group(3)))
        if offset <= timedelta(hours=14) and int(match.group(3)) < 60:
            return timezone(sign * offset)
    else:
        try:
            from zoneinfo import ZoneInfo

            return ZoneInfo(value)
        except (ValueError, KeyError, OSError):
            pass
    raise ValueError(f"{value!r} is not a time zone (UTC, +03:00, Asia/Riyadh)")


def invisible(text: str) -> bool:
    """Whether text holds whitespace other than a plain space, or a control/format character."""
    return any(
        (ch.isspace() and ch != " ") or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")
        for ch in text
    )


_NAME_RE = re.compile(r"[a-z0-9_-]+")  # used with fullmatch: "a\n" is not a name
NAME_NEEDED = "needs a name of [a-z0-9_-]+"


def source_name(value: str) -> str:
    if not value or not _NAME_RE.fullmatch(value):
        raise ValueError(NAME_NEEDED + (f" ({value!r} is not one)" if value else ""))
    return value


def user_agent(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty; remove the key to use the default User-Agent")
    if invisible(value) or value != value.strip():
        raise ValueError(
            "must be one line of text without control characters or surrounding spaces"
        )
    return value


def url_problem(url: object) -> str | None:
    """Why `url` cannot be polled as an http(s) URL, or None when it can."""
    if not isinstance(url, str):
        return f"{url!r} is not a URL string"
    if not url:
        return "an empty string is not a URL"
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in url):
        return f"{url!r} contains a space or an invisible character; percent-encode it (%20)"
    try:
        parts = urlsplit(url)
        port = parts.port  # raises for a port that is not a number in 0-65535
    except ValueError as exc:
        return f"{url!r} is not a valid URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return f"{url!r} is not an http(s) URL"
    host = parts.hostname or ""
    if not host:
        return f"{url!r} has no host"
    if port == 0:
        return f"{url!r} has port 0"
    if "[" not in parts.netloc:
        if any(not label for label in host.removesuffix(".").split(".")):
            return f"{url!r} has an empty label in its host name"
        if any(ch in '<>"{}|\\^`%' for ch in host):
            return f"{url!r} has a character not allowed in a host name"
    return None


def web_url(value: str) -> str:
    problem = url_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def web_urls(values: list[Any]) -> tuple[str, ...]:
    return tuple(web_url(value) for value in values)


def is_address(value: object) -> bool:
    """One address, bare or with a display name ("Rasad <rasad@example.org>"): text on both
    sides of its @, no spaces inside it, no control characters."""
    if not isinstance(value, str) or invisible(value):
        return False
    found = getaddresses([value])
    if len(found) != 1:
        return False
    local, at, domain = found[0][1].rpartition("@")
    return bool(at and local and domain) and " " not in found[0][1]


def address(value: str) -> str:
    if not is_address(value):
        raise ValueError(f"{value!r} is not an email address")
    return value


def addresses(values: list[Any]) -> tuple[str, ...]:
    for value in values:
        if not is_address(value):
            raise ValueError(f"must be a list of email addresses; {value!r} is not one")
    return tuple(values)


def host_name(value: str) -> str:
    if not value.strip() or invisible(value) or " " in value:
        raise ValueError("must be a host name such as localhost")
    return value


def login(value: str) -> str:
    if not value or invisible(value):
        raise ValueError("must not be empty; remove the key to send without logging in")
    return value


@dataclass(frozen=True)
class DigestSchedule:
    """When `rasad schedule` sends the digest: every `every` seconds, or daily at
    `hour`:`minute` in `zone` (None: the machine's local time)."""

    text: str
    every: int | None = None
    hour: int = 0
    minute: int = 0
    zone: str | None = None


_DAILY_RE = re.compile(r"daily\s+(\d{1,2}):(\d{2})(?:\s+(\S+))?$", re.IGNORECASE)
_EVERY_RE = re.compile(r"every\s+(\S+)$", re.IGNORECASE)


def digest_schedule(value: str) -> DigestSchedule:
    """'daily 07:00', 'daily 07:00 Asia/Riyadh' or 'every 6h' (at least 5m, at most 7d)."""
    text = " ".join(value.split())
    daily, every = _DAILY_RE.match(text), _EVERY_RE.match(text)
    if every:
        seconds = parse_interval(every.group(1))
        if not 300 <= seconds <= 7 * 86400:
            raise ValueError("must be between every 5m and every 7d")
        return DigestSchedule(text, every=seconds)
    if daily:
        hour, minute, zone = int(daily.group(1)), int(daily.group(2)), daily.group(3)
        if hour > 23 or minute > 59:
            raise ValueError(f"{value!r} is not a time of day (00:00 to 23:59)")
        if zone is not None:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"{zone!r} is not a time zone such as Asia/Riyadh") from None
        return DigestSchedule(text, hour=hour, minute=minute, zone=zone)
    raise ValueError(f"{value!r} is not a schedule like 'daily 07:00' or 'every 6h'")


def recipient_topics(value: dict[str, Any]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """{address: [subtopic, ...]} -> ((address, subtopics), ...): what each recipient wants."""
    out: list[tuple[str, tuple[str, ...]]] = []
    for address_, wanted in value.items():
        if not is_address(address_):
            raise ValueError(f"{address_!r} is not an email address")
        if (
            not isinstance(wanted, list)
            or not wanted
            or not all(isinstance(w, str) and w.strip() for w in wanted)
        ):
            raise ValueError(f"{address_!r} must map to a non-empty list of subtopic names")
        out.append((address_, tuple(w.strip() for w in wanted)))
    return tuple(out)


def networks(values: list[Any]) -> tuple[str, ...]:
    """CIDR strings ("127.0.0.1/32", "10.0.0.0/8", "fd00::/8"; a bare address is its own
    /32 or /128), each written the canonical way."""
    import ipaddress

    out: list[str] = []
    for value in values:
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"must be a list of CIDR strings such as 127.0.0.1/32; got {value!r}")
        try:
            out.append(str(ipaddress.ip_network(value.strip(), strict=True)))
        except ValueError as exc:
            raise ValueError(
                f"{value!r} is not a network such as 127.0.0.1/32 or 10.0.0.0/8 ({exc})"
            ) from None
    return tuple(out)


def https_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or invisible(value) or " " in value:
        raise ValueError("must be an https:// URL (RFC 8058 one-click needs HTTPS)")
    return value


def positive(value: float) -> float:
    if value <= 0:
        raise ValueError(f"must be more than 0, got {value}")
    return value

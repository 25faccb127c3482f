"""Configuration: one TOML file, validated whole before any network or store work.

Where it comes from: `--config PATH`, else `$RASAD_CONFIG`, else `./rasad.toml`, else the
built-in defaults (the outlets in seeds/sources.toml and a SQLite store under ./data/).
This is the only module that reads the environment.

Every key is declared once in `SETTINGS` with its type, default and help text; the
README's configuration table is checked against it by a test.
"""

from __future__ import annotations

import json
import math
import os
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, timedelta, timezone, tzinfo
from email.utils import getaddresses
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from monitor.errors import ConfigError
from monitor.judge.relevance import DEFAULT_THRESHOLD, LexiconError, load_lexicon
from seeds import SEEDS_DIR

DEFAULT_SOURCES_FILE = SEEDS_DIR / "sources.toml"
DEFAULT_STORE_URL = "sqlite:///data/rasad.db"
DEFAULT_USER_AGENT = "rasad (+https://example.org/contact)"
SMTP_PASSWORD_ENV = "RASAD_SMTP_PASSWORD"

_NAME_RE = re.compile(r"[a-z0-9_-]+")  # used with fullmatch: "a\n" is not a name
_INTERVAL_RE = re.compile(r"^(\d+)\s*([smhd])$")
_INTERVAL_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_INTERVAL = 30 * 86400  # the longest [[sources]] interval
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Setting:
    """One configuration key: its TOML type, default and what it is for."""

    types: tuple[type, ...]
    default: Any
    help: str


# section -> key -> Setting. `sources` is a list of tables, declared under "sources".
SETTINGS: dict[str, dict[str, Setting]] = {
    "store": {
        "url": Setting(
            (str,),
            DEFAULT_STORE_URL,
            "where articles live: sqlite:///relative/path.db, sqlite:////absolute/path.db",
        ),
    },
    "crawl": {
        "download_delay": Setting((int, float), 1.0, "seconds between requests to one host"),
        "obey_robots": Setting((bool,), True, "honour robots.txt for feeds and article pages"),
        "user_agent": Setting(
            (str,), DEFAULT_USER_AGENT, "User-Agent sent unless a source sets its own"
        ),
        "download_timeout": Setting((int, float), 30.0, "seconds before one request is given up"),
        "max_page_bytes": Setting((int,), 10_000_000, "responses larger than this are refused"),
        "concurrency_per_host": Setting((int,), 2, "simultaneous requests to one host"),
        "retry_delay": Setting(
            (int, float),
            600,
            "seconds before a failed article page is tried again; doubles "
            "with each failure, at most a day; a server's Retry-After is honoured",
        ),
        "robots_cache": Setting(
            (int, float), 86400, "seconds a host's robots.txt is reused before it is fetched again"
        ),
        "max_attempts": Setting(
            (int,), 5, "failed article fetches are retried on later runs this many times in all"
        ),
        "sitemap_window": Setting(
            (str,),
            "2d",
            "sitemap URLs changed longer ago than this (e.g. 36h, 2d) are not fetched; "
            "raise it to backfill an outlet's archive",
        ),
        "sitemap_max_urls": Setting(
            (int,), 100, "at most this many URLs of one sitemap are fetched per poll, newest first"
        ),
    },
    "sources": {
        "name": Setting((str,), None, "unique id, [a-z0-9_-]+"),
        "title": Setting((str,), "", "the outlet's name as readers know it"),
        "feeds": Setting((list,), [], "RSS/Atom feed URLs"),
        "homepage": Setting(
            (str,),
            None,
            "the outlet's homepage: feeds are discovered from it when `feeds` is "
            "empty, and looked for again when they are gone",
        ),
        "sitemaps": Setting(
            (list,), [], "Google News (or plain) sitemap URLs, for outlets without usable feeds"
        ),
        "interval": Setting((str,), "15m", "how often to poll, e.g. 90s, 15m, 2h, 1d"),
        "user_agent": Setting((str,), None, "a User-Agent for this outlet only"),
        "enabled": Setting((bool,), True, "false keeps the source listed but never polled"),
        "timezone": Setting(
            (str,),
            "UTC",
            "the outlet's local time, for dates printed without an offset: +03:00 or Asia/Riyadh",
        ),
    },
    "relevance": {
        "threshold": Setting(
            (int, float), DEFAULT_THRESHOLD, "articles scoring at or above this are on topic (0-1)"
        ),
        "lexicon": Setting(
            (str,),
            None,
            "a topic lexicon TOML replacing seeds/lexicon.toml (path relative to "
            "the working directory)",
        ),
    },
    "digest": {
        "recipients": Setting((list,), [], "who receives the digest email"),
        "sender": Setting((str,), "rasad@localhost", "the From address"),
        "smtp_host": Setting((str,), "localhost", "SMTP server"),
        "smtp_port": Setting((int,), 25, "SMTP port"),
        "smtp_user": Setting(
            (str,), None, f"SMTP login; the password only from ${SMTP_PASSWORD_ENV}"
        ),
        "security": Setting((str,), "none", "starttls | ssl | none"),
    },
}


@dataclass(frozen=True)
class Source:
    """An outlet to watch."""

    name: str
    title: str = ""
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    homepage: str | None = None
    interval: int = 900  # seconds
    user_agent: str | None = None
    enabled: bool = True
    timezone: tzinfo = UTC


@dataclass(frozen=True)
class CrawlSettings:
    download_delay: float = 1.0
    obey_robots: bool = True
    user_agent: str = DEFAULT_USER_AGENT
    download_timeout: float = 30.0
    max_page_bytes: int = 10_000_000
    concurrency_per_host: int = 2
    max_attempts: int = 5
    retry_delay: float = 600.0
    robots_cache: float = 86400.0
    sitemap_window: int = 2 * 86400  # seconds
    sitemap_max_urls: int = 100


@dataclass(frozen=True)
class RelevanceSettings:
    threshold: float = DEFAULT_THRESHOLD
    lexicon: str | None = None  # None: seeds/lexicon.toml


@dataclass(frozen=True)
class DigestSettings:
    recipients: tuple[str, ...] = ()
    sender: str = "rasad@localhost"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_user: str | None = None
    security: str = "none"


@dataclass(frozen=True)
class Config:
    store_url: str = DEFAULT_STORE_URL
    crawl: CrawlSettings = field(default_factory=CrawlSettings)
    sources: tuple[Source, ...] = ()
    digest: DigestSettings = field(default_factory=DigestSettings)
    relevance: RelevanceSettings = field(default_factory=RelevanceSettings)
    path: str | None = None  # the file it came from, None for built-in defaults

    def source(self, name: str) -> Source:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources)
        raise ConfigError(
            f"no source named {name!r} (known: {known})", path=self.path, key="sources"
        )


def find_config_path(explicit: str | None, environ: Mapping[str, str] | None = None) -> Path | None:
    """The config file to read, following the documented order; None means defaults."""
    env = os.environ if environ is None else environ
    if explicit:
        path = Path(explicit)
        _check_config_file(path, "config file not found")
        return path
    if env.get("RASAD_CONFIG"):
        path = Path(env["RASAD_CONFIG"])
        _check_config_file(path, "config file named by $RASAD_CONFIG not found")
        return path
    local = Path("rasad.toml")
    if local.is_dir():
        _check_config_file(local, "")
    return local if local.is_file() else None


def _check_config_file(path: Path, missing: str) -> None:
    if path.is_dir():
        raise ConfigError(
            "is a directory, not a config file; name the TOML file itself", path=str(path)
        )
    if not path.is_file():
        raise ConfigError(missing, path=str(path))


def load_config(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate the configuration; raises ConfigError naming the file and key."""
    path = find_config_path(explicit, environ)
    data = _read_toml(path) if path else {}
    where = str(path) if path else None
    if "sources" not in data:
        data["sources"] = _read_toml(DEFAULT_SOURCES_FILE).get("sources", [])
        sources_where: str | None = str(DEFAULT_SOURCES_FILE)
    else:
        sources_where = where
    return parse_config(data, where=where, sources_where=sources_where)


_FLOAT_KEYS = ("download_delay", "download_timeout", "retry_delay", "robots_cache")


def parse_config(
    data: Mapping[str, Any], *, where: str | None = None, sources_where: str | None = None
) -> Config:
    """Validate an already-parsed TOML document."""
    unknown = sorted(set(data) - set(SETTINGS))
    if unknown:
        raise ConfigError(
            f"unknown section (known: {', '.join(SETTINGS)})", path=where, key=_key_name(unknown[0])
        )
    store = _table(data, "store", where)
    crawl = _table(data, "crawl", where)
    digest = _table(data, "digest", where)
    relevance = _relevance(_table(data, "relevance", where), where)
    store_url = store.get("url", DEFAULT_STORE_URL)
    _check_store_url(store_url, where)
    crawl_values: dict[str, Any] = {
        k: float(v) if k in _FLOAT_KEYS else v for k, v in crawl.items()
    }
    crawl_values.update(_sitemap_settings(crawl, where))
    crawl_settings = CrawlSettings(**crawl_values)
    for key in _FLOAT_KEYS:
        if getattr(crawl_settings, key) < 0:
            raise ConfigError("must not be negative", path=where, key=f"crawl.{key}")
    for key in ("max_page_bytes", "concurrency_per_host", "max_attempts"):
        if getattr(crawl_settings, key) < 1:
            raise ConfigError("must be at least 1", path=where, key=f"crawl.{key}")
    _check_user_agent(crawl_settings.user_agent, where, "crawl.user_agent")
    digest_settings = _digest(digest, where)
    sources = _sources(data.get("sources"), sources_where or where)
    return Config(
        store_url=store_url,
        crawl=crawl_settings,
        sources=sources,
        digest=digest_settings,
        relevance=relevance,
        path=where,
    )


def parse_interval(value: str) -> int:
    """'90s', '15m', '2h', '1d' -> seconds."""
    match = _INTERVAL_RE.match(value.strip())
    digits = match.group(1).lstrip("0") if match else ""
    if not match or not digits:
        raise ValueError(f"{value!r} is not an interval like 90s, 15m, 2h or 1d")
    if len(digits) > 12:  # beyond any timedelta (and Python's int-from-str limit)
        raise ValueError(f"{value!r} is far too long an interval")
    return int(digits) * _INTERVAL_UNITS[match.group(2)]


MAX_SITEMAP_WINDOW = 36500 * 86400  # a century: backfilling any archive, without overflow


def _sitemap_settings(crawl: Mapping[str, Any], where: str | None) -> dict[str, Any]:
    """`crawl.sitemap_window` in seconds and `crawl.sitemap_max_urls`, checked."""
    values: dict[str, Any] = {}
    if "sitemap_window" in crawl:
        key = "crawl.sitemap_window"
        try:
            window = parse_interval(crawl["sitemap_window"])
        except ValueError as exc:
            raise ConfigError(str(exc), path=where, key=key) from None
        if window > MAX_SITEMAP_WINDOW:
            raise ConfigError("must be at most 36500d", path=where, key=key)
        values["sitemap_window"] = window
    if crawl.get("sitemap_max_urls", 1) < 1:
        raise ConfigError("must be at least 1", path=where, key="crawl.sitemap_max_urls")
    return values


_OFFSET_RE = re.compile(r"^([+-])(\d{1,2}):?(\d{2})$")


def _timezone(value: str, where: str | None, key: str) -> tzinfo:
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
    raise ConfigError(
        f"{value!r} is not a time zone (UTC, +03:00, Asia/Riyadh)", path=where, key=key
    )


def sqlite_path(store_url: str) -> Path:
    """The file behind a sqlite:/// URL (relative paths are relative to the working directory)."""
    return Path(store_url.removeprefix("sqlite:///"))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise ConfigError(
            "is a directory, not a config file; name the TOML file itself", path=str(path)
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read ({exc.strerror or exc})", path=str(path)) from None
    try:
        text = raw.decode("utf-8-sig")  # TOML is UTF-8; a leading BOM (Notepad) is harmless
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x} on line {line}); save it as UTF-8",
            path=str(path),
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML ({exc})", path=str(path)) from None
    except RecursionError:
        raise ConfigError("not valid TOML (nested too deeply)", path=str(path)) from None


def _table(data: Mapping[str, Any], section: str, where: str | None) -> dict[str, Any]:
    table = data.get(section, {})
    if not isinstance(table, dict):
        raise ConfigError("must be a table", path=where, key=section)
    _check_keys(table, section, section, where)
    return dict(table)


def _check_keys(table: Mapping[str, Any], section: str, prefix: str, where: str | None) -> None:
    declared = SETTINGS[section]
    for key, value in table.items():
        name = f"{prefix}.{_key_name(key)}"
        if key not in declared:
            raise ConfigError(f"unknown key (known: {', '.join(declared)})", path=where, key=name)
        types = declared[key].types
        # bool is an int in Python; a number key must not accept true/false.
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            got = str(value).lower() if isinstance(value, bool) else _type_words((type(value),))
            raise ConfigError(
                f"must be {_type_words(types)}, got {got}",
                path=where,
                key=name,
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"must be a finite number, got {value}", path=where, key=name)
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
            raise ConfigError("is out of range (TOML integers are 64-bit)", path=where, key=name)


_TYPE_WORDS = {
    bool: "true or false",
    int: "an integer",
    float: "a number",
    str: "a string",
    list: "a list",
    dict: "a table",
}


def _type_words(types: tuple[type, ...]) -> str:
    if set(types) == {int, float}:
        return "a number"
    return " or ".join(_TYPE_WORDS.get(t, t.__name__) for t in types)


def _key_name(key: str) -> str:
    """A key as it would be written in TOML: bare when it can be, else quoted (one line)."""
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def _check_store_url(url: str, where: str | None) -> None:
    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        _check_sqlite_path(url, where)
        return
    if url.startswith(("postgresql://", "postgres://")):
        raise ConfigError(
            "the PostgreSQL store is not available in this version; use sqlite:///path/to/rasad.db",
            path=where,
            key="store.url",
        )
    raise ConfigError(
        f"unsupported store URL {url!r}; expected sqlite:///path/to/rasad.db",
        path=where,
        key="store.url",
    )


def _check_sqlite_path(url: str, where: str | None) -> None:
    raw = url.removeprefix("sqlite:///")
    example = "sqlite:///data/rasad.db"
    if _invisible(raw):
        raise ConfigError(
            f"{url!r} contains a control or invisible character", path=where, key="store.url"
        )
    if not raw.strip():
        raise ConfigError(f"names no file; name one such as {example}", path=where, key="store.url")
    if raw == ":memory:" or raw.startswith("file::memory:"):
        raise ConfigError(
            f"an in-memory database keeps nothing between runs; name a file such as {example}",
            path=where,
            key="store.url",
        )
    if "?" in raw:
        raise ConfigError(
            f"{url!r}: query parameters are not supported; name a plain file such as {example}",
            path=where,
            key="store.url",
        )
    path = sqlite_path(url)
    if raw.endswith(("/", os.sep)) or path.is_dir():
        raise ConfigError(
            f"{url!r} names a directory; name the database file in it, such as {example}",
            path=where,
            key="store.url",
        )
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ConfigError(
                    f"{url!r}: {str(parent)!r} is a file, not a directory",
                    path=where,
                    key="store.url",
                )
            break


def _invisible(text: str) -> bool:
    """Whether text holds whitespace other than a plain space, or a control/format character."""
    return any(
        (ch.isspace() and ch != " ") or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")
        for ch in text
    )


def _check_user_agent(value: str | None, where: str | None, key: str) -> None:
    if value is None:
        return
    if not value.strip():
        raise ConfigError(
            "must not be empty; remove the key to use the default User-Agent", path=where, key=key
        )
    if _invisible(value) or value != value.strip():
        raise ConfigError(
            "must be one line of text without control characters or surrounding spaces",
            path=where,
            key=key,
        )


def _url_problem(url: object) -> str | None:
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


def _feed_key(url: str) -> str:
    """A light normal form for spotting one feed listed twice.

    Scheme and host are case-insensitive and a default port is no port (RFC 3986); the
    path and query stay exact. monitor.text.urls.canonical_url is deliberately not used: it
    folds www./m./amp. hosts, trailing slashes and tracking parameters, which is right
    for article pages but could call two distinct feeds one.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is not None and port != {"http": 80, "https": 443}.get(scheme):
        host = f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    return f"{scheme}://{netloc}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")


def _relevance(table: dict[str, Any], where: str | None) -> RelevanceSettings:
    threshold = float(table.get("threshold", DEFAULT_THRESHOLD))
    if not 0 <= threshold <= 1:
        raise ConfigError("must be between 0 and 1", path=where, key="relevance.threshold")
    lexicon = table.get("lexicon")
    if lexicon is not None and (not lexicon.strip() or Path(lexicon).is_dir()):
        raise ConfigError(
            "must name a lexicon TOML file; remove the key to use seeds/lexicon.toml",
            path=where,
            key="relevance.lexicon",
        )
    try:
        load_lexicon(lexicon)  # a broken lexicon is a config error, found before any crawl
    except (LexiconError, OSError, ValueError) as exc:  # TOMLDecodeError, UnicodeDecodeError
        message = " ".join(str(exc).splitlines())
        raise ConfigError(message, path=where, key="relevance.lexicon") from None
    return RelevanceSettings(threshold=threshold, lexicon=lexicon)


def _digest(table: dict[str, Any], where: str | None) -> DigestSettings:
    for address in table.get("recipients", []):
        if not _is_address(address):
            raise ConfigError(
                f"must be a list of email addresses; {address!r} is not one",
                path=where,
                key="digest.recipients",
            )
    if "sender" in table and not _is_address(table["sender"]):
        raise ConfigError(
            f"{table['sender']!r} is not an email address", path=where, key="digest.sender"
        )
    host = table.get("smtp_host", "localhost")
    if not host.strip() or _invisible(host) or " " in host:
        raise ConfigError(
            "must be a host name such as localhost", path=where, key="digest.smtp_host"
        )
    if not 1 <= table.get("smtp_port", 25) <= 65535:
        raise ConfigError("must be a port number, 1-65535", path=where, key="digest.smtp_port")
    if "smtp_user" in table and (not table["smtp_user"] or _invisible(table["smtp_user"])):
        raise ConfigError(
            "must not be empty; remove the key to send without logging in",
            path=where,
            key="digest.smtp_user",
        )
    if table.get("security", "none") not in ("starttls", "ssl", "none"):
        raise ConfigError("must be starttls, ssl or none", path=where, key="digest.security")
    if "recipients" in table:
        table["recipients"] = tuple(table["recipients"])
    return DigestSettings(**table)


def _is_address(value: object) -> bool:
    """One address, bare or with a display name ("Rasad <rasad@example.org>"): text on both
    sides of its @, no spaces inside it, no control characters."""
    if not isinstance(value, str) or _invisible(value):
        return False
    found = getaddresses([value])
    if len(found) != 1:
        return False
    local, at, domain = found[0][1].rpartition("@")
    return bool(at and local and domain) and " " not in found[0][1]


def _sources(raw: Any, where: str | None) -> tuple[Source, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ConfigError("must be an array of tables ([[sources]])", path=where, key="sources")
    if not raw:
        raise ConfigError(
            "is an empty list, so there is nothing to poll: add [[sources]] tables, "
            "or remove the key to use the built-in outlets",
            path=where,
            key="sources",
        )
    seen: set[str] = set()
    listed: dict[str, tuple[str, str]] = {}  # feed key -> (source name, config key)
    sources = []
    for index, table in enumerate(raw):
        prefix = f"sources[{index}]"
        if not isinstance(table, dict):
            raise ConfigError("must be a table", path=where, key=prefix)
        _check_keys(table, "sources", prefix, where)
        name = table.get("name")
        if not name or not _NAME_RE.fullmatch(name):
            got = f" ({name!r} is not one)" if name else ""
            raise ConfigError(f"needs a name of [a-z0-9_-]+{got}", path=where, key=f"{prefix}.name")
        if name in seen:
            raise ConfigError(f"duplicate source name {name!r}", path=where, key=f"{prefix}.name")
        seen.add(name)
        feeds = table.get("feeds", [])
        sitemaps = table.get("sitemaps", [])
        homepage = table.get("homepage")
        for key, urls in (("feeds", feeds), ("sitemaps", sitemaps), ("homepage", [homepage])):
            for url in urls:
                problem = None if url is None else _url_problem(url)
                if problem:
                    raise ConfigError(problem, path=where, key=f"{prefix}.{key}")
        for key, urls in (("feeds", feeds), ("sitemaps", sitemaps)):
            for url in urls:
                here = f"{prefix}.{key}"
                feed_key = _feed_key(url)
                if feed_key not in listed:
                    listed[feed_key] = (name, here)
                    continue
                other, other_key = listed[feed_key]
                if other == name:
                    also = "twice" if other_key == here else f"in {other_key} too"
                    message = f"lists {url!r} {also}; list each feed once"
                else:
                    message = (
                        f"source {name!r} lists {url!r}, already listed by source {other!r} "
                        f"({other_key}); list each feed under one source only"
                    )
                raise ConfigError(message, path=where, key=here)
        if not feeds and not sitemaps and not homepage:
            raise ConfigError(
                "needs feeds, sitemaps or a homepage", path=where, key=f"{prefix}.feeds"
            )
        try:
            interval = parse_interval(table.get("interval", "15m"))
        except ValueError as exc:
            raise ConfigError(str(exc), path=where, key=f"{prefix}.interval") from None
        if interval > MAX_INTERVAL:
            raise ConfigError(
                "must be at most 30d (a feed polled less often has long dropped its items)",
                path=where,
                key=f"{prefix}.interval",
            )
        _check_user_agent(table.get("user_agent"), where, f"{prefix}.user_agent")
        sources.append(
            Source(
                name=name,
                title=table.get("title", ""),
                feeds=tuple(feeds),
                sitemaps=tuple(sitemaps),
                homepage=homepage,
                interval=interval,
                user_agent=table.get("user_agent"),
                enabled=table.get("enabled", True),
                timezone=_timezone(table.get("timezone", "UTC"), where, f"{prefix}.timezone"),
            )
        )
    return tuple(sources)

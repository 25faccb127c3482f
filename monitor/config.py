"""Configuration: one TOML file, validated whole before any network or store work.

Where it comes from: `--config PATH`, else `$RASAD_CONFIG`, else `./rasad.toml`, else the
built-in defaults (the outlets in seeds/sources.toml and a SQLite store under ./data/).
This is the only module that reads the environment.

Every key is declared once in `SETTINGS` with its type, default and help text; the
README's configuration table is checked against it by a test.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

from monitor.errors import ConfigError
from monitor.relevance import DEFAULT_THRESHOLD, LexiconError, load_lexicon
from seeds import SEEDS_DIR

DEFAULT_SOURCES_FILE = SEEDS_DIR / "sources.toml"
DEFAULT_STORE_URL = "sqlite:///data/rasad.db"
DEFAULT_USER_AGENT = "rasad (+https://example.org/contact)"
SMTP_PASSWORD_ENV = "RASAD_SMTP_PASSWORD"

_NAME_RE = re.compile(r"^[a-z0-9_-]+$")
_HTTP_URL = re.compile(r"^https?://[^/\s]+")
_INTERVAL_RE = re.compile(r"^(\d+)\s*([smhd])$")
_INTERVAL_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


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
        if not path.is_file():
            raise ConfigError("config file not found", path=str(path))
        return path
    if env.get("RASAD_CONFIG"):
        path = Path(env["RASAD_CONFIG"])
        if not path.is_file():
            raise ConfigError("config file named by $RASAD_CONFIG not found", path=str(path))
        return path
    local = Path("rasad.toml")
    return local if local.is_file() else None


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
            f"unknown section (known: {', '.join(SETTINGS)})", path=where, key=unknown[0]
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
    crawl_settings = CrawlSettings(**crawl_values)
    for key in _FLOAT_KEYS:
        if getattr(crawl_settings, key) < 0:
            raise ConfigError("must not be negative", path=where, key=f"crawl.{key}")
    for key in ("max_page_bytes", "concurrency_per_host", "max_attempts"):
        if getattr(crawl_settings, key) < 1:
            raise ConfigError("must be at least 1", path=where, key=f"crawl.{key}")
    digest_settings = _digest(digest, where)
    sources = _sources(data.get("sources", []), sources_where or where)
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
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"{value!r} is not an interval like 90s, 15m, 2h or 1d")
    return int(match.group(1)) * _INTERVAL_UNITS[match.group(2)]


_OFFSET_RE = re.compile(r"^([+-])(\d{1,2}):?(\d{2})$")


def _timezone(value: str, where: str | None, key: str) -> tzinfo:
    """ "UTC", "+03:00", "+0300" or an IANA name such as "Asia/Riyadh"."""
    if value.upper() in ("UTC", "Z", "GMT"):
        return UTC
    match = _OFFSET_RE.match(value.strip())
    if match:
        sign = -1 if match.group(1) == "-" else 1
        offset = timedelta(hours=int(match.group(2)), minutes=int(match.group(3)))
        if offset <= timedelta(hours=14):
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
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML ({exc})", path=str(path)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read ({exc.strerror})", path=str(path)) from None


def _table(data: Mapping[str, Any], section: str, where: str | None) -> dict[str, Any]:
    table = data.get(section, {})
    if not isinstance(table, dict):
        raise ConfigError("must be a table", path=where, key=section)
    _check_keys(table, section, section, where)
    return dict(table)


def _check_keys(table: Mapping[str, Any], section: str, prefix: str, where: str | None) -> None:
    declared = SETTINGS[section]
    for key, value in table.items():
        if key not in declared:
            raise ConfigError(
                f"unknown key (known: {', '.join(declared)})", path=where, key=f"{prefix}.{key}"
            )
        types = declared[key].types
        # bool is an int in Python; a number key must not accept true/false.
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            wanted = " or ".join(t.__name__ for t in types).replace("str", "string")
            raise ConfigError(
                f"must be a {wanted}, got {type(value).__name__}", path=where, key=f"{prefix}.{key}"
            )


def _check_store_url(url: str, where: str | None) -> None:
    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
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


def _relevance(table: dict[str, Any], where: str | None) -> RelevanceSettings:
    threshold = float(table.get("threshold", DEFAULT_THRESHOLD))
    if not 0 <= threshold <= 1:
        raise ConfigError("must be between 0 and 1", path=where, key="relevance.threshold")
    lexicon = table.get("lexicon")
    try:
        load_lexicon(lexicon)  # a broken lexicon is a config error, found before any crawl
    except LexiconError as exc:
        raise ConfigError(str(exc), path=where, key="relevance.lexicon") from None
    return RelevanceSettings(threshold=threshold, lexicon=lexicon)


def _digest(table: dict[str, Any], where: str | None) -> DigestSettings:
    for key in ("recipients",):
        if key in table and not all(isinstance(r, str) and "@" in r for r in table[key]):
            raise ConfigError("must be a list of email addresses", path=where, key=f"digest.{key}")
    if table.get("security", "none") not in ("starttls", "ssl", "none"):
        raise ConfigError("must be starttls, ssl or none", path=where, key="digest.security")
    if "recipients" in table:
        table["recipients"] = tuple(table["recipients"])
    return DigestSettings(**table)


def _sources(raw: Any, where: str | None) -> tuple[Source, ...]:
    if not isinstance(raw, list):
        raise ConfigError("must be an array of tables ([[sources]])", path=where, key="sources")
    seen: set[str] = set()
    sources = []
    for index, table in enumerate(raw):
        prefix = f"sources[{index}]"
        if not isinstance(table, dict):
            raise ConfigError("must be a table", path=where, key=prefix)
        _check_keys(table, "sources", prefix, where)
        name = table.get("name")
        if not name or not _NAME_RE.match(name):
            raise ConfigError("needs a name of [a-z0-9_-]+", path=where, key=f"{prefix}.name")
        if name in seen:
            raise ConfigError(f"duplicate source name {name!r}", path=where, key=f"{prefix}.name")
        seen.add(name)
        feeds = table.get("feeds", [])
        sitemaps = table.get("sitemaps", [])
        homepage = table.get("homepage")
        for key, urls in (("feeds", feeds), ("sitemaps", sitemaps), ("homepage", [homepage])):
            for url in urls:
                if url is not None and not _HTTP_URL.match(str(url)):
                    raise ConfigError(
                        f"{url!r} is not an http(s) URL", path=where, key=f"{prefix}.{key}"
                    )
        if not feeds and not sitemaps and not homepage:
            raise ConfigError(
                "needs feeds, sitemaps or a homepage", path=where, key=f"{prefix}.feeds"
            )
        try:
            interval = parse_interval(table.get("interval", "15m"))
        except ValueError as exc:
            raise ConfigError(str(exc), path=where, key=f"{prefix}.interval") from None
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

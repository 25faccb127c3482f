"""Configuration: one TOML file, validated whole before any network or store work.

Where it comes from: `--config PATH`, else `$RASAD_CONFIG`, else `./rasad.toml`, else the
built-in defaults (the outlets in seeds/sources.toml and a SQLite store under ./data/).
This is the only module that reads the environment.

What a file may hold is declared once, in `schema.SETTINGS`; this module finds and reads
the file, checks each key against its declaration (`checks` adds what one value cannot
tell) and builds the typed `Config`, whose defaults are the schema's.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import Any

from monitor.config import checks
from monitor.config.checks import sqlite_path
from monitor.config.rules import DigestSchedule, Rule, parse_interval
from monitor.config.schema import (
    MAX_INTERVAL,
    MAX_SITEMAP_WINDOW,
    SETTINGS,
    SMTP_PASSWORD_ENV,
    Setting,
    default,
)
from monitor.errors import ConfigError
from seeds import SEEDS_DIR

__all__ = [
    "DEFAULT_SOURCES_FILE",
    "DEFAULT_STORE_URL",
    "DEFAULT_USER_AGENT",
    "MAX_INTERVAL",
    "MAX_SITEMAP_WINDOW",
    "SETTINGS",
    "SMTP_PASSWORD_ENV",
    "Config",
    "CrawlSettings",
    "DigestSettings",
    "QueueSettings",
    "RelevanceSettings",
    "Setting",
    "Source",
    "find_config_path",
    "load_config",
    "parse_config",
    "parse_interval",
    "smtp_password",
    "sqlite_path",
]

DEFAULT_SOURCES_FILE = SEEDS_DIR / "sources.toml"
DEFAULT_STORE_URL: str = default("store", "url")
DEFAULT_USER_AGENT: str = default("crawl", "user_agent")

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


# Each class below holds one section of SETTINGS, field for key; tests/test_config.py checks
# that the fields are the section's keys and that every default is the schema's.


@dataclass(frozen=True)
class Source:
    """An outlet to watch."""

    name: str
    title: str = default("sources", "title")
    feeds: tuple[str, ...] = default("sources", "feeds")
    sitemaps: tuple[str, ...] = default("sources", "sitemaps")
    homepage: str | None = default("sources", "homepage")
    interval: int = default("sources", "interval")  # seconds
    user_agent: str | None = default("sources", "user_agent")
    enabled: bool = default("sources", "enabled")
    # field(): ruff (RUF009) cannot tell that a tzinfo is immutable
    timezone: tzinfo = field(default=default("sources", "timezone"))


@dataclass(frozen=True)
class CrawlSettings:
    download_delay: float = default("crawl", "download_delay")
    obey_robots: bool = default("crawl", "obey_robots")
    user_agent: str = default("crawl", "user_agent")
    download_timeout: float = default("crawl", "download_timeout")
    max_page_bytes: int = default("crawl", "max_page_bytes")
    concurrency_per_host: int = default("crawl", "concurrency_per_host")
    extract_processes: int | None = default("crawl", "extract_processes")  # None: one per core
    max_attempts: int = default("crawl", "max_attempts")
    retry_delay: float = default("crawl", "retry_delay")
    robots_cache: float = default("crawl", "robots_cache")
    sitemap_window: int = default("crawl", "sitemap_window")  # seconds
    sitemap_max_urls: int = default("crawl", "sitemap_max_urls")
    # None: the key is absent (the configured sources' own hosts are trusted too)
    allow_networks: tuple[str, ...] | None = default("crawl", "allow_networks")


@dataclass(frozen=True)
class RelevanceSettings:
    threshold: float = default("relevance", "threshold")
    lexicon: str | None = default("relevance", "lexicon")  # None: seeds/lexicon.toml
    languages: tuple[str, ...] = default("relevance", "languages")  # (): any language


@dataclass(frozen=True)
class DigestSettings:
    recipients: tuple[str, ...] = default("digest", "recipients")
    sender: str = default("digest", "sender")
    smtp_host: str = default("digest", "smtp_host")
    smtp_port: int = default("digest", "smtp_port")
    smtp_user: str | None = default("digest", "smtp_user")
    security: str = default("digest", "security")
    smtp_timeout: float = default("digest", "smtp_timeout")
    # field(): ruff (RUF009) cannot tell that these are immutable
    schedule: DigestSchedule | None = field(default=default("digest", "schedule"))
    # (address, subtopics) pairs: a frozen dataclass's fields must be hashable
    topics: tuple[tuple[str, tuple[str, ...]], ...] = field(default=default("digest", "topics"))
    unsubscribe_url: str | None = default("digest", "unsubscribe_url")

    def topics_of(self, recipient: str) -> tuple[str, ...]:
        """The subtopics `recipient` asked for; () for every story."""
        return next((wanted for address, wanted in self.topics if address == recipient), ())


@dataclass(frozen=True)
class QueueSettings:
    """[queue]: scale-out; `url` None means one process fetches everything."""

    url: str | None = default("queue", "url")
    lease: float = default("queue", "lease")


@dataclass(frozen=True)
class Config:
    store_url: str = DEFAULT_STORE_URL
    crawl: CrawlSettings = field(default_factory=CrawlSettings)
    sources: tuple[Source, ...] = ()
    digest: DigestSettings = field(default_factory=DigestSettings)
    relevance: RelevanceSettings = field(default_factory=RelevanceSettings)
    queue: QueueSettings = field(default_factory=QueueSettings)
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


def smtp_password(environ: Mapping[str, str] | None = None) -> str | None:
    """The SMTP password: only ever from `$RASAD_SMTP_PASSWORD` (never a config file)."""
    env = os.environ if environ is None else environ
    return env.get(SMTP_PASSWORD_ENV) or None


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


def parse_config(
    data: Mapping[str, Any], *, where: str | None = None, sources_where: str | None = None
) -> Config:
    """Validate an already-parsed TOML document."""
    unknown = sorted(set(data) - set(SETTINGS))
    if unknown:
        raise ConfigError(
            f"unknown section (known: {', '.join(SETTINGS)})", path=where, key=_key_name(unknown[0])
        )
    store = _section(data, "store", where)
    crawl = CrawlSettings(**_section(data, "crawl", where))
    digest = DigestSettings(**_section(data, "digest", where))
    relevance = RelevanceSettings(**_section(data, "relevance", where))
    queue = QueueSettings(**_section(data, "queue", where))
    _check(checks.store_url, store["url"], where, "store.url")
    _check(checks.lexicon, relevance.lexicon, where, "relevance.lexicon")
    _check(
        lambda t: checks.digest_topics(t, relevance.lexicon), digest.topics, where, "digest.topics"
    )
    strangers = sorted({address for address, _ in digest.topics} - set(digest.recipients))
    if strangers:
        raise ConfigError(
            f"{strangers[0]!r} is not one of digest.recipients", path=where, key="digest.topics"
        )
    return Config(
        store_url=store["url"],
        crawl=crawl,
        sources=_sources(data.get("sources"), sources_where or where),
        digest=digest,
        relevance=relevance,
        queue=queue,
        path=where,
    )


def _section(data: Mapping[str, Any], section: str, where: str | None) -> dict[str, Any]:
    table = data.get(section, {})
    if not isinstance(table, dict):
        raise ConfigError("must be a table", path=where, key=section)
    return _values(table, section, section, where)


def _values(
    table: Mapping[str, Any], section: str, prefix: str, where: str | None
) -> dict[str, Any]:
    """Every key of `section`: the table's value read by its Setting, else the default."""
    declared = SETTINGS[section]
    values: dict[str, Any] = {}
    for key, raw in table.items():
        name = f"{prefix}.{_key_name(key)}"
        if key not in declared:
            raise ConfigError(f"unknown key (known: {', '.join(declared)})", path=where, key=name)
        values[key] = _check(declared[key].read, raw, where, name)
    for key, setting in declared.items():
        if key in values:
            continue
        if setting.required:
            raise ConfigError(setting.required, path=where, key=f"{prefix}.{key}")
        values[key] = setting.value
    return values


def _check(check: Rule, value: Any, where: str | None, key: str) -> Any:
    """`check(value)`, its ValueError turned into a ConfigError naming the file and key."""
    try:
        return check(value)
    except ValueError as exc:
        raise ConfigError(str(exc), path=where, key=key) from None


def _key_name(key: str) -> str:
    """A key as it would be written in TOML: bare when it can be, else quoted (one line)."""
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)


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
    tables = []
    for index, table in enumerate(raw):
        prefix = f"sources[{index}]"
        if not isinstance(table, dict):
            raise ConfigError("must be a table", path=where, key=prefix)
        tables.append(_values(table, "sources", prefix, where))
    checks.sources(tables, where)
    return tuple(Source(**values) for values in tables)

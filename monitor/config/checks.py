"""The checks a value's own rule cannot make: they read the file system (the store's file,
the lexicon) or compare several keys (source names, a feed listed twice).

Each raises ValueError with a one-line message, or ConfigError where it must name a key of
its own choosing; the loader adds the file and the key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from monitor.config.rules import invisible
from monitor.errors import ConfigError
from monitor.judge.relevance import LexiconError, load_lexicon

_EXAMPLE_STORE = "sqlite:///data/rasad.db"


def sqlite_path(store_url: str) -> Path:
    """The file behind a sqlite:/// URL (relative paths are relative to the working directory)."""
    return Path(store_url.removeprefix("sqlite:///"))


def store_url(url: str) -> None:
    """A store this version can open: a SQLite file whose directory can exist, or a
    PostgreSQL database (``postgresql://`` or ``postgres://``, as libpq reads them)."""
    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        _sqlite_file(url)
        return
    if url.startswith(("postgresql://", "postgres://")):
        _postgres_url(url)
        return
    raise ValueError(
        f"unsupported store URL {url!r}; expected sqlite:///path/to/rasad.db"
        " or postgresql://user@host:5432/rasad"
    )


def _postgres_url(url: str) -> None:
    """A PostgreSQL URL libpq can read; whether the server answers is for the store to say."""
    if invisible(url):
        raise ValueError("the store URL contains a control or invisible character")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  # raises ValueError for a port that is not a number
    except ValueError as exc:
        raise ValueError(f"not a valid PostgreSQL URL ({exc})") from None
    if not parts.path.strip("/") and "dbname=" not in parts.query:
        raise ValueError("names no database; name one such as postgresql://user@host:5432/rasad")


def _sqlite_file(url: str) -> None:
    raw = url.removeprefix("sqlite:///")
    example = _EXAMPLE_STORE
    if invisible(raw):
        raise ValueError(f"{url!r} contains a control or invisible character")
    if not raw.strip():
        raise ValueError(f"names no file; name one such as {example}")
    if raw == ":memory:" or raw.startswith("file::memory:"):
        raise ValueError(
            f"an in-memory database keeps nothing between runs; name a file such as {example}"
        )
    if "?" in raw:
        raise ValueError(
            f"{url!r}: query parameters are not supported; name a plain file such as {example}"
        )
    path = sqlite_path(url)
    if raw.endswith(("/", os.sep)) or path.is_dir():
        raise ValueError(
            f"{url!r} names a directory; name the database file in it, such as {example}"
        )
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"{url!r}: {str(parent)!r} is a file, not a directory")
            break


def lexicon(path: str | None) -> None:
    """The lexicon (None: seeds/lexicon.toml) loads: a broken one is found before any crawl."""
    if path is not None and (not path.strip() or Path(path).is_dir()):
        raise ValueError("must name a lexicon TOML file; remove the key to use seeds/lexicon.toml")
    try:
        load_lexicon(path)
    except (LexiconError, OSError, ValueError) as exc:  # TOMLDecodeError, UnicodeDecodeError
        raise ValueError(" ".join(str(exc).splitlines())) from None


def digest_topics(topics: Sequence[tuple[str, Sequence[str]]], lexicon_path: str | None) -> None:
    """Every subtopic a recipient asks for is one the lexicon (None: seeds/lexicon.toml) has."""
    known = set(load_lexicon(lexicon_path).subtopics)
    for address, wanted in topics:
        unknown = [name for name in wanted if name not in known]
        if unknown:
            raise ValueError(
                f"{address}: no subtopic {unknown[0]!r} in the lexicon "
                f"(known: {', '.join(sorted(known))})"
            )


def sources(tables: Sequence[Mapping[str, Any]], where: str | None) -> None:
    """Across [[sources]] tables already read: unique names, something to poll, each feed
    or sitemap under one source only."""
    seen: set[str] = set()
    listed: dict[str, tuple[str, str]] = {}  # feed key -> (source name, config key)
    for index, table in enumerate(tables):
        prefix = f"sources[{index}]"
        name = table["name"]
        if name in seen:
            raise ConfigError(f"duplicate source name {name!r}", path=where, key=f"{prefix}.name")
        seen.add(name)
        for key in ("feeds", "sitemaps"):
            here = f"{prefix}.{key}"
            for url in table[key]:
                feed_key = _feed_key(url)
                if feed_key not in listed:
                    listed[feed_key] = (name, here)
                    continue
                raise ConfigError(
                    _listed_twice(url, name, here, *listed[feed_key]), path=where, key=here
                )
        if not table["feeds"] and not table["sitemaps"] and not table["homepage"]:
            raise ConfigError(
                "needs feeds, sitemaps or a homepage", path=where, key=f"{prefix}.feeds"
            )


def _listed_twice(url: str, name: str, here: str, other: str, other_key: str) -> str:
    if other == name:
        also = "twice" if other_key == here else f"in {other_key} too"
        return f"lists {url!r} {also}; list each feed once"
    return (
        f"source {name!r} lists {url!r}, already listed by source {other!r} "
        f"({other_key}); list each feed under one source only"
    )


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

"""Every configuration key, declared once: its TOML type, default, help text and rule.

The loader checks a file against `SETTINGS`, the config dataclasses take their defaults
from it (`default()`), and the README's configuration table is this module's output:

    python -m monitor.config.schema --markdown

tests/test_config.py fails when the README's table and that output differ by one byte,
and when a dataclass default is not the schema's.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from monitor.config import rules
from monitor.config.rules import Rule
from monitor.judge.relevance import DEFAULT_LANGUAGES, DEFAULT_THRESHOLD

SMTP_PASSWORD_ENV = "RASAD_SMTP_PASSWORD"
MAX_INTERVAL = 30 * 86400  # the longest [[sources]] interval
MAX_SITEMAP_WINDOW = 36500 * 86400  # a century: backfilling any archive, without overflow


@dataclass(frozen=True)
class Setting:
    """One configuration key: its TOML type(s), default, what it is for, and its rule.

    `rule` turns a value of the right type into the form the program uses, or raises
    ValueError saying what is wrong with it. `required` is the message for a missing
    key; a key without one is optional and takes `default`.
    """

    types: tuple[type, ...]
    default: Any
    help: str
    rule: Rule = rules.same
    required: str = ""

    def read(self, value: Any) -> Any:
        """The value as the program uses it; ValueError (one line) when it is unusable."""
        problem = rules.type_problem(value, self.types)
        if problem:
            raise ValueError(problem)
        return self.rule(value)

    @property
    def value(self) -> Any:
        """The default as the program uses it (None stays None)."""
        return None if self.default is None else self.rule(self.default)


def _languages(values: list[Any]) -> tuple[str, ...]:
    """[relevance] languages: ISO 639 codes, lower-cased, each once."""
    codes = []
    for value in values:
        if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{2,3}", value.strip()):
            raise ValueError(f'{value!r} is not a language code such as "ar" or "fa"')
        codes.append(value.strip().lower())
    return tuple(dict.fromkeys(codes))


def _queue_url(value: str) -> str:
    """[queue] url: a Redis URL (the only queue engine; see docs/scale-out)."""
    scheme, sep, rest = value.strip().partition("://")
    if not sep or scheme not in ("redis", "rediss", "unix") or not rest.strip("/"):
        raise ValueError(
            f"{value!r} is not a Redis URL; expected redis://host:6379/0 "
            "(or rediss://, unix:///path/redis.sock)"
        )
    return value.strip()


# section -> key -> Setting. `sources` is a list of tables ([[sources]]), one per outlet.
SETTINGS: dict[str, dict[str, Setting]] = {
    "store": {
        "url": Setting(
            (str,),
            "sqlite:///data/rasad.db",
            "where articles live: `sqlite:///relative/path.db` (relative to the working "
            "directory) or `sqlite:////absolute/path.db` (PostgreSQL: not yet)",
        ),
    },
    "crawl": {
        "download_delay": Setting(
            (int, float), 1.0, "seconds between requests to one host", rules.non_negative
        ),
        "obey_robots": Setting((bool,), True, "honour robots.txt for feeds and article pages"),
        "user_agent": Setting(
            (str,),
            "rasad (+https://example.org/contact)",
            "User-Agent sent unless a source sets its own",
            rules.user_agent,
        ),
        "download_timeout": Setting(
            (int, float), 30.0, "seconds before one request is given up", rules.non_negative
        ),
        "max_page_bytes": Setting(
            (int,),
            10_000_000,
            "larger responses are refused (recorded as `too_large`)",
            rules.at_least_one,
        ),
        "concurrency_per_host": Setting(
            (int,), 2, "simultaneous requests to one host", rules.at_least_one
        ),
        "extract_processes": Setting(
            (int,),
            None,
            "processes that extract and judge pages beside the downloader, once a run has "
            "more than a couple of dozen pages; unset: one per core; 0: none (all in the "
            "crawl process)",
            rules.not_negative_int,
        ),
        "max_attempts": Setting(
            (int,),
            5,
            "a failing article page is tried this many times in all, over later runs",
            rules.at_least_one,
        ),
        "retry_delay": Setting(
            (int, float),
            600,
            "seconds before a failed page is tried again; doubles with each failure, at most "
            "a day; a server's `Retry-After` is honoured",
            rules.non_negative,
        ),
        "robots_cache": Setting(
            (int, float),
            86400,
            "seconds a host's robots.txt is reused (kept in the store) before it is fetched again",
            rules.non_negative,
        ),
        "sitemap_window": Setting(
            (str,),
            "2d",
            "sitemap URLs changed longer ago than this (`36h`, `2d`, `30d`) are not fetched, "
            "on the first poll and later ones alike; only index children changed within it "
            "are read; raise it to backfill an archive",
            rules.interval(MAX_SITEMAP_WINDOW, "must be at most 36500d"),
        ),
        "sitemap_max_urls": Setting(
            (int,),
            100,
            "at most this many URLs of one sitemap are fetched per poll, newest first; the "
            "rest of the window's URLs wait for later polls",
            rules.at_least_one,
        ),
        "allow_networks": Setting(
            (list,),
            None,
            'networks (CIDR, e.g. `["127.0.0.1/32", "10.0.0.0/8"]`) rasad may fetch from '
            "besides public addresses; loopback, private, link-local, multicast and reserved "
            "destinations are refused (`forbidden_destination`), checked on the resolved address "
            "of every request, redirect and meta refresh; unset: public addresses and the "
            "addresses of the configured sources' own hosts",
            rules.networks,
        ),
    },
    "sources": {
        "name": Setting(
            (str,),
            None,
            "unique id, `[a-z0-9_-]+`",
            rules.source_name,
            required=rules.NAME_NEEDED,
        ),
        "title": Setting((str,), "", "the outlet's name as readers know it"),
        "feeds": Setting((list,), [], "RSS/Atom feed URLs", rules.web_urls),
        "homepage": Setting(
            (str,),
            None,
            "the outlet's homepage: with no `feeds`, rasad discovers them "
            '(`<link rel="alternate">`, then common paths such as `/feed`, `/rss.xml`) and '
            "looks again when a discovered feed is gone (404/410, or no longer a feed); when "
            "none is found and no `sitemaps` are set, the news sitemaps its robots.txt "
            "announces are polled instead",
            rules.web_url,
        ),
        "sitemaps": Setting(
            (list,),
            [],
            "Google News (or plain) sitemap URLs, for outlets without usable feeds; only URLs "
            "changed within `[crawl] sitemap_window` are fetched, and an index's child "
            "sitemaps changed within it are read",
            rules.web_urls,
        ),
        "interval": Setting(
            (str,),
            "15m",
            "how often the scheduler polls it: `90s`, `15m`, `2h`, `1d`",
            rules.interval(
                MAX_INTERVAL,
                "must be at most 30d (a feed polled less often has long dropped its items)",
            ),
        ),
        "user_agent": Setting((str,), None, "a User-Agent for this outlet only", rules.user_agent),
        "enabled": Setting(
            (bool,),
            True,
            "`false` keeps it listed but unpolled (`--source NAME` still polls it)",
        ),
        "timezone": Setting(
            (str,),
            "UTC",
            "the outlet's local time (`+03:00`, `Asia/Riyadh`), applied to dates it prints "
            "with a time but no offset; a bare day is never shifted",
            rules.time_zone,
        ),
    },
    "relevance": {
        "threshold": Setting(
            (int, float),
            DEFAULT_THRESHOLD,
            "articles scoring at or above this are on topic (0–1)",
            rules.fraction,
        ),
        "lexicon": Setting(
            (str,),
            None,
            "a topic lexicon replacing [`seeds/lexicon.toml`](seeds/lexicon.toml) (path "
            "relative to the working directory)",
        ),
        "languages": Setting(
            (list,),
            list(DEFAULT_LANGUAGES),
            "languages (ISO 639 codes such as `ar`, `fa`, `ur`, `en`) whose articles can be "
            "`new`; others are stored `off_topic` with their language, so a Persian or Urdu "
            "page about Putin and Kim is not counted as Arabic coverage; `[]` accepts every "
            "language",
            _languages,
        ),
    },
    "digest": {
        "recipients": Setting((list,), [], "who receives the digest email", rules.addresses),
        "sender": Setting((str,), "rasad@localhost", "the From address", rules.address),
        "smtp_host": Setting((str,), "localhost", "SMTP server", rules.host_name),
        "smtp_port": Setting((int,), 25, "SMTP port", rules.port),
        "smtp_user": Setting(
            (str,),
            None,
            f"SMTP login; the password is read only from `${SMTP_PASSWORD_ENV}`",
            rules.login,
        ),
        "security": Setting(
            (str,), "none", "`starttls`, `ssl` or `none`", rules.one_of("starttls", "ssl", "none")
        ),
        "smtp_timeout": Setting(
            (int, float),
            60,
            "seconds to wait for the SMTP server before giving up",
            rules.positive,
        ),
        "schedule": Setting(
            (str,),
            None,
            "when `rasad schedule` sends it: `daily 07:00` (machine's local time), "
            "`daily 07:00 Asia/Riyadh`, or `every 6h` (5m to 7d); unset: not scheduled",
            rules.digest_schedule,
        ),
        "topics": Setting(
            (dict,),
            {},
            "per recipient, the subtopics they want, e.g. "
            '`{"a@example.org" = ["military", "treaty"]}`; recipients not listed get every story',
            rules.recipient_topics,
        ),
        "unsubscribe_url": Setting(
            (str,),
            None,
            "an HTTPS endpoint that records opt-outs: enables one-click List-Unsubscribe "
            "(RFC 8058); without it the header offers `mailto:` the sender",
            rules.https_url,
        ),
    },
    # scale-out (issue 15): absent, `rasad crawl` fetches every page itself
    "queue": {
        "url": Setting(
            (str,),
            None,
            "a Redis server shared by the coordinator (`rasad crawl`, `rasad schedule`) and "
            "every `rasad worker`: `redis://host:6379/0` (`rediss://` for TLS, "
            "`unix:///path/redis.sock`); set, `rasad crawl` polls the feeds and queues the "
            "article pages for the workers instead of fetching them",
            _queue_url,
        ),
        "lease": Setting(
            (int, float),
            60,
            "seconds a worker holds a page it took (renewed while it works on it); a worker "
            "killed with a page in hand gives it back to the queue this long after",
            rules.positive,
        ),
    },
}

ARRAYS_OF_TABLES = ("sources",)  # written [[sources]]; every other section is one [table]


def default(section: str, key: str) -> Any:
    """The default of `section.key` as the program uses it: what a dataclass field starts at."""
    return SETTINGS[section][key].value


def shown_default(setting: Setting) -> str:
    """The default as the README's table shows it."""
    if setting.required:
        return "required"
    if setting.default is None:
        return "—"
    if isinstance(setting.default, bool):
        return f"`{str(setting.default).lower()}`"
    if isinstance(setting.default, str):
        return f"`{setting.default}`" if setting.default else '`""`'
    if isinstance(setting.default, list):
        return f"`{json.dumps(setting.default, ensure_ascii=False)}`"
    return f"`{setting.default!r}`"


def markdown_table() -> str:
    """The README's configuration table, one row per setting, in declaration order."""
    lines = ["| key | default | meaning |", "|---|---|---|"]
    for section, settings in SETTINGS.items():
        header = f"[[{section}]]" if section in ARRAYS_OF_TABLES else f"[{section}]"
        for key, setting in settings.items():
            meaning = setting.help.replace("|", "\\|")
            lines.append(f"| `{header}` `{key}` | {shown_default(setting)} | {meaning} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m monitor.config.schema",
        description="Print the configuration settings, as declared.",
    )
    parser.add_argument(
        "--markdown",
        action="store_true",
        required=True,
        help="the table README.md's Configuration section holds",
    )
    parser.parse_args(argv)
    sys.stdout.write(markdown_table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

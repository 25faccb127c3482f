"""Every bad config ends in one line naming the file and the key, exit 2 (GitHub issue 8).

One table: each row is a config file (TOML text, raw bytes, or DIRECTORY for "the path is a
directory"), the key the error must name (None for a file-level error) and a piece of the
message. Each row runs the real CLI in-process and, separately, load_config.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from monitor.cli import main
from monitor.config.loader import load_config, parse_config
from monitor.errors import ConfigError

DIRECTORY = object()  # the --config path is a directory, not a file

S = '[[sources]]\nname = "a"\n'  # the start of a source; rows add its feeds
OK = 'feeds = ["https://a.example/rss"]\n'

# (id, config file content, key named, piece of the message)
CASES: list[tuple[str, Any, str | None, str]] = [
    # the outlet list
    ("sources-empty", "sources = []\n", "sources", "add [[sources]]"),
    ("sources-table", '[sources]\nname = "a"\n', "sources", "array of tables"),
    ("source-name-newline", '[[sources]]\nname = "a\\n"\n' + OK, "sources[0].name", "a-z0-9"),
    ("source-no-feeds", S, "sources[0].feeds", "needs feeds, sitemaps or a homepage"),
    # URLs that only looked like URLs
    ("feed-space", S + 'feeds = ["https://a.example/r ss"]\n', "sources[0].feeds", "%20"),
    ("sitemap-space", S + 'sitemaps = ["https://a.example/s m"]\n', "sources[0].sitemaps", "%20"),
    ("homepage-space", S + 'homepage = "https://a.example/ home"\n', "sources[0].homepage", "%20"),
    ("feed-leading-space", S + 'feeds = [" https://a.example/rss"]\n', "sources[0].feeds", "space"),
    ("feed-tab", S + 'feeds = ["https://a.example/\\trss"]\n', "sources[0].feeds", "space"),
    ("feed-control", S + 'feeds = ["https://a.example/\\u0007"]\n', "sources[0].feeds", "invisib"),
    ("feed-rlm", S + 'feeds = ["https://a.example/\\u200f"]\n', "sources[0].feeds", "invisible"),
    ("feed-port-range", S + 'feeds = ["http://host:99999/"]\n', "sources[0].feeds", "out of range"),
    ("feed-port-text", S + 'feeds = ["http://host:abc/"]\n', "sources[0].feeds", "not a valid URL"),
    ("feed-port-zero", S + 'feeds = ["http://host:0/"]\n', "sources[0].feeds", "port 0"),
    ("feed-ipv6-bad", S + 'feeds = ["http://[zz]/x"]\n', "sources[0].feeds", "not a valid URL"),
    ("feed-ipv6-open", S + 'feeds = ["http://[::1/x"]\n', "sources[0].feeds", "not a valid URL"),
    ("feed-no-host", S + 'feeds = ["http:///rss"]\n', "sources[0].feeds", "no host"),
    ("feed-empty-label", S + 'feeds = ["http://a..example/"]\n', "sources[0].feeds", "empty label"),
    ("feed-host-char", S + 'feeds = ["http://a<b>/rss"]\n', "sources[0].feeds", "host name"),
    ("feed-ftp", S + 'feeds = ["ftp://a.example/rss"]\n', "sources[0].feeds", "not an http(s) URL"),
    ("feed-no-scheme", S + 'feeds = ["a.example/rss"]\n', "sources[0].feeds", "not an http(s) URL"),
    ("feed-empty", S + 'feeds = [""]\n', "sources[0].feeds", "empty string"),
    ("feed-number", S + "feeds = [1]\n", "sources[0].feeds", "not a URL string"),
    ("feed-not-list", S + 'feeds = "https://a.example/rss"\n', "sources[0].feeds", "be a list"),
    ("homepage-js", S + 'homepage = "javascript:alert(1)"\n', "sources[0].homepage", "http(s)"),
    # one feed listed twice
    (
        "feed-twice",
        S + 'feeds = ["https://a.example/rss", "https://a.example/rss"]\n',
        "sources[0].feeds",
        "lists 'https://a.example/rss' twice",
    ),
    (
        "feed-twice-host-case-port",
        S + 'feeds = ["HTTPS://A.Example/rss", "https://a.example:443/rss"]\n',
        "sources[0].feeds",
        "twice",
    ),
    (
        "sitemap-twice",
        S + 'sitemaps = ["https://a.example/s.xml", "https://a.example/s.xml"]\n',
        "sources[0].sitemaps",
        "twice",
    ),
    (
        "feed-and-sitemap",
        S + OK + 'sitemaps = ["https://a.example/rss"]\n',
        "sources[0].sitemaps",
        "in sources[0].feeds too",
    ),
    (
        "feed-in-two-sources",
        S + OK + '[[sources]]\nname = "b"\nfeeds = ["https://a.example/rss"]\n',
        "sources[1].feeds",
        "source 'b' lists 'https://a.example/rss', already listed by source 'a' (sources[0].feeds)",
    ),
    # TOML's nan and inf, and integers TOML itself does not allow
    ("delay-nan", "[crawl]\ndownload_delay = nan\n", "crawl.download_delay", "finite"),
    ("delay-inf", "[crawl]\ndownload_delay = inf\n", "crawl.download_delay", "finite"),
    ("delay-minus-inf", "[crawl]\ndownload_delay = -inf\n", "crawl.download_delay", "finite"),
    ("timeout-nan", "[crawl]\ndownload_timeout = nan\n", "crawl.download_timeout", "finite"),
    ("retry-inf", "[crawl]\nretry_delay = +inf\n", "crawl.retry_delay", "finite"),
    ("robots-nan", "[crawl]\nrobots_cache = -nan\n", "crawl.robots_cache", "finite"),
    ("threshold-nan", "[relevance]\nthreshold = nan\n", "relevance.threshold", "finite"),
    ("threshold-inf", "[relevance]\nthreshold = inf\n", "relevance.threshold", "finite"),
    ("threshold-range", "[relevance]\nthreshold = 1.5\n", "relevance.threshold", "between 0 and 1"),
    ("delay-bool", "[crawl]\ndownload_delay = true\n", "crawl.download_delay", "got true"),
    ("delay-date", "[crawl]\ndownload_delay = 1979-05-27\n", "crawl.download_delay", "a number"),
    ("bytes-huge", "[crawl]\nmax_page_bytes = 1" + "0" * 25, "crawl.max_page_bytes", "64-bit"),
    # the store
    ("store-slash", '[store]\nurl = "sqlite:///data/"\n', "store.url", "names a directory"),
    ("store-dir", '[store]\nurl = "sqlite:///existing_dir"\n', "store.url", "names a directory"),
    ("store-root", '[store]\nurl = "sqlite:////"\n', "store.url", "names a directory"),
    ("store-memory", '[store]\nurl = "sqlite:///:memory:"\n', "store.url", "in-memory"),
    ("store-blank", '[store]\nurl = "sqlite:/// "\n', "store.url", "names no file"),
    ("store-query", '[store]\nurl = "sqlite:///a.db?mode=ro"\n', "store.url", "query"),
    ("store-nul", '[store]\nurl = "sqlite:///a\\u0000.db"\n', "store.url", "control"),
    ("store-under-file", '[store]\nurl = "sqlite:///bad.toml/x.db"\n', "store.url", "is a file"),
    ("store-no-empty", '[store]\nurl = "sqlite:///"\n', "store.url", "unsupported store URL"),
    ("store-two-slashes", '[store]\nurl = "sqlite://data/r.db"\n', "store.url", "sqlite:///"),
    ("store-postgres", '[store]\nurl = "postgresql://u@h:port/r"\n', "store.url", "PostgreSQL"),
    # the file itself
    ("not-utf8-latin1", "[crawl]\nuser_agent = 'caf\xe9'\n".encode("latin-1"), None, "not UTF-8"),
    ("not-utf8-utf16", "[crawl]\nobey_robots = true\n".encode("utf-16"), None, "not UTF-8"),
    ("config-is-directory", DIRECTORY, None, "is a directory"),
    ("not-toml", "[crawl\n", None, "not valid TOML"),
    ("toml-too-deep", "a = " + "[" * 3000 + "]" * 3000 + "\n", None, "nested too deeply"),
    ("unknown-section", '[stor]\nurl = "x"\n', "stor", "unknown section"),
    ("unknown-key-newline", '[crawl]\n"a\\nb" = 1\n', 'crawl."a\\nb"', "unknown key"),
    # intervals, time zones, user agents, limits
    ("interval-0m", S + OK + 'interval = "0m"\n', "sources[0].interval", "not an interval"),
    ("interval-0s", S + OK + 'interval = "00s"\n', "sources[0].interval", "not an interval"),
    ("interval-31d", S + OK + 'interval = "31d"\n', "sources[0].interval", "at most 30d"),
    ("interval-huge", S + OK + 'interval = "' + "9" * 30 + 'd"\n', "sources[0].interval", "long"),
    ("interval-word", S + OK + 'interval = "often"\n', "sources[0].interval", "not an interval"),
    ("tz-garbage", S + OK + 'timezone = "Mars/Olympus"\n', "sources[0].timezone", "time zone"),
    ("tz-directory", S + OK + 'timezone = "Asia"\n', "sources[0].timezone", "time zone"),
    ("tz-minutes", S + OK + 'timezone = "+03:99"\n', "sources[0].timezone", "time zone"),
    ("tz-empty", S + OK + 'timezone = ""\n', "sources[0].timezone", "time zone"),
    ("tz-path", S + OK + 'timezone = "/etc/passwd"\n', "sources[0].timezone", "time zone"),
    ("ua-empty", '[crawl]\nuser_agent = ""\n', "crawl.user_agent", "must not be empty"),
    ("ua-blank", '[crawl]\nuser_agent = "   "\n', "crawl.user_agent", "must not be empty"),
    ("ua-crlf", '[crawl]\nuser_agent = "x\\r\\nX-A: 1"\n', "crawl.user_agent", "one line"),
    ("source-ua-empty", S + OK + 'user_agent = ""\n', "sources[0].user_agent", "not be empty"),
    ("concurrency-0", "[crawl]\nconcurrency_per_host = 0", "crawl.concurrency_per_host", "least 1"),
    ("page-bytes-0", "[crawl]\nmax_page_bytes = 0\n", "crawl.max_page_bytes", "at least 1"),
    ("attempts-0", "[crawl]\nmax_attempts = 0\n", "crawl.max_attempts", "at least 1"),
    ("delay-negative", "[crawl]\ndownload_delay = -1\n", "crawl.download_delay", "negative"),
    # the digest
    ("smtp-port-0", "[digest]\nsmtp_port = 0\n", "digest.smtp_port", "1-65535"),
    ("smtp-port-big", "[digest]\nsmtp_port = 65536\n", "digest.smtp_port", "1-65535"),
    ("smtp-port-negative", "[digest]\nsmtp_port = -25\n", "digest.smtp_port", "1-65535"),
    ("smtp-port-text", '[digest]\nsmtp_port = "25"\n', "digest.smtp_port", "an integer"),
    ("smtp-host-empty", '[digest]\nsmtp_host = ""\n', "digest.smtp_host", "host name"),
    ("smtp-user-empty", '[digest]\nsmtp_user = ""\n', "digest.smtp_user", "not be empty"),
    ("recipients-string", '[digest]\nrecipients = "a@b.org"\n', "digest.recipients", "a list"),
    ("recipients-number", "[digest]\nrecipients = [1]\n", "digest.recipients", "1 is not one"),
    ("recipients-nested", '[digest]\nrecipients = [["a@b.org"]]\n', "digest.recipients", "not one"),
    ("recipients-word", '[digest]\nrecipients = ["analyst"]\n', "digest.recipients", "not one"),
    ("recipients-two", '[digest]\nrecipients = ["a@b.c, d@e.f"]', "digest.recipients", "not one"),
    ("recipients-space", '[digest]\nrecipients = ["a b@c.org"]\n', "digest.recipients", "not one"),
    ("sender-word", '[digest]\nsender = "rasad"\n', "digest.sender", "not an email address"),
    ("security-tls", '[digest]\nsecurity = "tls"\n', "digest.security", "starttls, ssl or none"),
    # the lexicon
    ("lexicon-empty", '[relevance]\nlexicon = ""\n', "relevance.lexicon", "lexicon TOML file"),
    ("lexicon-dir", '[relevance]\nlexicon = "existing_dir"\n', "relevance.lexicon", "TOML file"),
    ("lexicon-missing", '[relevance]\nlexicon = "gone.toml"\n', "relevance.lexicon", "cannot read"),
]  # fmt: skip


def _write_case(tmp_path: Path, content: Any) -> Path:
    (tmp_path / "existing_dir").mkdir()
    path = tmp_path / "bad.toml"
    if content is DIRECTORY:
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("case_id", "content", "key", "message"), CASES, ids=[case[0] for case in CASES]
)
def test_bad_config_is_one_line_naming_file_and_key(
    case_id: str,
    content: Any,
    key: str | None,
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # the default store (./data/) would land here
    monkeypatch.delenv("RASAD_CONFIG", raising=False)
    path = _write_case(tmp_path, content)

    code = main(["sources", "--config", str(path)])
    out, err = capsys.readouterr()
    assert code == 2, err
    assert "Traceback" not in out + err
    assert err.endswith("\n") and len(err.splitlines()) == 1, err
    assert err.startswith("rasad: config error: ")
    assert f"{path}: " in err
    if key is not None:
        assert f": {key}: " in err
    assert message in err
    assert not (tmp_path / "data").exists()  # no store was created or opened
    assert not list(tmp_path.glob("*.db")) and not list(tmp_path.glob("*.lock"))

    with pytest.raises(ConfigError) as info:
        load_config(str(path), {})
    assert info.value.path == str(path)
    assert info.value.key == key
    assert message in str(info.value)


# parse_config, the layer below the file: values TOML text cannot spell the same way.
PARSED: list[tuple[str, dict[str, Any], str, str]] = [
    ("parsed-sources-empty", {"sources": []}, "sources", "add [[sources]]"),
    ("parsed-delay-nan", {"crawl": {"download_delay": math.nan}}, "crawl.download_delay", "finite"),
    ("parsed-threshold-inf", {"relevance": {"threshold": math.inf}}, "relevance.threshold", "fini"),
    (
        "parsed-feed-space",
        {"sources": [{"name": "a", "feeds": ["https://a.example/a b"]}]},
        "sources[0].feeds",
        "%20",
    ),
    (
        "parsed-feed-two-sources",
        {
            "sources": [
                {"name": "a", "feeds": ["https://x.example/rss"]},
                {"name": "b", "sitemaps": ["https://x.example/rss"]},
            ]
        },
        "sources[1].sitemaps",
        "already listed by source 'a'",
    ),
    ("parsed-store-memory", {"store": {"url": "sqlite:///:memory:"}}, "store.url", "in-memory"),
    ("parsed-port", {"digest": {"smtp_port": 99999}}, "digest.smtp_port", "1-65535"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case_id", "data", "key", "message"), PARSED, ids=[case[0] for case in PARSED]
)
def test_parse_config_names_the_key(
    case_id: str, data: dict[str, Any], key: str, message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(data, where="given.toml")
    assert info.value.key == key
    assert info.value.path == "given.toml"
    assert message in str(info.value) and "\n" not in str(info.value)

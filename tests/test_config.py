"""The configuration contract: where it comes from, what it accepts, how it fails."""

from __future__ import annotations

import ast
import dataclasses
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from monitor.config.loader import (
    SETTINGS,
    Config,
    CrawlSettings,
    DigestSettings,
    QueueSettings,
    RelevanceSettings,
    Source,
    load_config,
    parse_interval,
)
from monitor.config.schema import markdown_table
from monitor.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "rasad.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_defaults_watch_the_real_outlets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(None, environ={})
    assert config.path is None
    assert config.store_url == "sqlite:///data/rasad.db"
    assert config.crawl.obey_robots is True
    names = {s.name for s in config.sources}
    assert len([s for s in config.sources if s.enabled]) >= 15
    for outlet in (
        "bbc_arabic",
        "aljazeera",
        "alarabiya",
        "skynews",
        "rt_arabic",
        "france24_ar",
        "dw_arabic",
        "cnn_arabic",
        "aawsat",
        "alaraby",
        "alkhaleej",
        "youm7",
        "anadolu_ar",
        "independent_arabia",
        "euronews_ar",
        "sputnik_ar",
    ):
        assert outlet in names
    assert all(feed.startswith("https://") for s in config.sources for feed in s.feeds)


def test_order_explicit_then_env_then_local(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rasad.toml").write_text('[store]\nurl = "sqlite:///local.db"\n')
    env_file = tmp_path / "env.toml"
    env_file.write_text('[store]\nurl = "sqlite:///env.db"\n')
    explicit = tmp_path / "explicit.toml"
    explicit.write_text('[store]\nurl = "sqlite:///explicit.db"\n')
    env = {"RASAD_CONFIG": str(env_file)}
    assert load_config(str(explicit), env).store_url == "sqlite:///explicit.db"
    assert load_config(None, env).store_url == "sqlite:///env.db"
    assert load_config(None, {}).store_url == "sqlite:///local.db"


def test_sources_in_file_replace_the_default_list(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[crawl]
download_delay = 0
[[sources]]
name = "skynews"
title = "سكاي نيوز عربية"
feeds = ["https://www.skynewsarabia.com/web/rss"]
interval = "2h"
""",
    )
    config = load_config(path, {})
    assert [s.name for s in config.sources] == ["skynews"]
    assert config.sources[0].interval == 7200
    assert config.crawl.download_delay == 0.0


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[crawl]\ndownload_dely = 1\n", "crawl.download_dely"),
        ("[crawl]\ndownload_delay = 'fast'\n", "crawl.download_delay"),
        ("[crawl]\nobey_robots = 1\n", "crawl.obey_robots"),
        ("[crawl]\ndownload_delay = true\n", "crawl.download_delay"),
        ("[crawl]\ndownload_delay = -1\n", "crawl.download_delay"),
        ("[stor]\nurl = 'x'\n", "stor"),
        ("[store]\nurl = 'mysql://x'\n", "store.url"),
        ("[[sources]]\nname = 'Bad Name'\nfeeds = ['https://a.example/rss']\n", "sources[0].name"),
        ("[[sources]]\nname = 'a'\nfeeds = ['ftp://a.example/rss']\n", "sources[0].feeds"),
        ("[[sources]]\nname = 'a'\n", "sources[0].feeds"),
        (
            "[[sources]]\nname = 'a'\nfeeds = ['https://a.example/rss']\ncolour = 'red'\n",
            "sources[0].colour",
        ),
        (
            "[[sources]]\nname = 'a'\nfeeds = ['https://a/rss']\n[[sources]]\nname = 'a'\n"
            "feeds = ['https://b/rss']\n",
            "sources[1].name",
        ),
        (
            "[[sources]]\nname = 'a'\nfeeds = ['https://a/rss']\ninterval = 'often'\n",
            "sources[0].interval",
        ),
        ("[crawl]\nsitemap_window = 'two days'\n", "crawl.sitemap_window"),
        ("[crawl]\nsitemap_window = 2\n", "crawl.sitemap_window"),
        ("[crawl]\nsitemap_window = '99999d'\n", "crawl.sitemap_window"),
        ("[crawl]\nsitemap_max_urls = 0\n", "crawl.sitemap_max_urls"),
        ("[crawl]\nsitemap_max_urls = '100'\n", "crawl.sitemap_max_urls"),
        ("[digest]\nsecurity = 'tls'\n", "digest.security"),
        ("[digest]\nrecipients = ['not-an-address']\n", "digest.recipients"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, text: str, key: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, {})
    message = str(info.value)
    assert path in message and key in message
    assert "\n" not in message


def test_missing_explicit_file_and_invalid_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(str(tmp_path / "nope.toml"), {})
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[crawl\n"), {})
    with pytest.raises(ConfigError, match="RASAD_CONFIG"):
        load_config(None, {"RASAD_CONFIG": str(tmp_path / "gone.toml")})


def test_sitemap_window_and_cap(tmp_path: Path) -> None:
    default = load_config(write(tmp_path, "[store]\nurl = 'sqlite:///x.db'\n"), {})
    assert default.crawl.sitemap_window == 2 * 86400
    assert default.crawl.sitemap_max_urls == 100
    text = "[crawl]\nsitemap_window = '36h'\nsitemap_max_urls = 20\n"
    config = load_config(write(tmp_path, text), {})
    assert config.crawl.sitemap_window == 36 * 3600
    assert config.crawl.sitemap_max_urls == 20


def test_unknown_source_name(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "[[sources]]\nname='a'\nfeeds=['https://a/x']\n"), {})
    with pytest.raises(ConfigError, match="no source named 'b'"):
        config.source("b")
    assert isinstance(config, Config)


def test_intervals() -> None:
    assert parse_interval("90s") == 90
    assert parse_interval("15m") == 900
    assert parse_interval("1d") == 86400
    for bad in ("0m", "15", "m", "1y"):
        with pytest.raises(ValueError):
            parse_interval(bad)


# The README's configuration table is `python -m monitor.config.schema --markdown`, byte for
# byte; table_problems() says row by row what differs, so a failure reads as a to-do list.
REGENERATE = "regenerate it: python -m monitor.config.schema --markdown"
_KEY_CELL = re.compile(r"`\[{1,2}([a-z_]+)\]{1,2}` `([a-z_]+)`")


def readme_table(readme: str) -> str:
    """The table in the README's "## Configuration" section (its first one), as text."""
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    lines = section.splitlines()
    start = next((n for n, line in enumerate(lines) if line.startswith("| key |")), len(lines))
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return "".join(line + "\n" for line in lines[start:end])


def table_rows(table: str) -> dict[str, tuple[str, str]]:
    """section.key -> (default cell, meaning cell); a row listed twice is an error."""
    rows: dict[str, tuple[str, str]] = {}
    for line in table.splitlines()[2:]:  # below the header and its |---| line
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]
        match = _KEY_CELL.fullmatch(cells[0]) if len(cells) == 3 else None
        assert match, f"README row is not | `[section]` `key` | default | meaning |: {line}"
        key = f"{match.group(1)}.{match.group(2)}"
        assert key not in rows, f"README documents {key} twice"
        rows[key] = (cells[1], cells[2])
    return rows


def table_problems(readme: str) -> list[str]:
    """What the README's configuration table gets wrong about the schema; [] when nothing."""
    table, expected = readme_table(readme), markdown_table()
    if not table:
        return ["README's Configuration section has no table of settings"]
    documented, declared = table_rows(table), table_rows(expected)
    problems = [f"README does not document {key}" for key in declared if key not in documented]
    problems += [
        f"README documents {key}, which is not a setting"
        for key in documented
        if key not in declared
    ]
    for key in [key for key in declared if key in documented]:
        (default, meaning), (want_default, want_meaning) = documented[key], declared[key]
        if default != want_default:
            problems.append(f"{key}: README's default is {default}, the schema's {want_default}")
        if meaning != want_meaning:
            problems.append(f"{key}: README's meaning is not the schema's help: {want_meaning}")
    if not problems and table != expected:
        problems.append("the table's rows are out of order or differ in layout")
    return problems


def test_readme_table_is_the_schema() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    problems = table_problems(readme)
    assert not problems, "; ".join(problems) + f" ({REGENERATE})"
    assert set(table_rows(readme_table(readme))) == {
        f"{section}.{key}" for section, keys in SETTINGS.items() for key in keys
    }


def _drop_rows(readme: str, *keys: str) -> str:
    return "".join(
        line
        for line in readme.splitlines(keepends=True)
        if not any(line.startswith(f"| `{key.split()[0]}` `{key.split()[1]}` |") for key in keys)
    )


@pytest.mark.parametrize(
    ("mutate", "found"),
    [
        (
            lambda t: _drop_rows(
                t, "[crawl] retry_delay", "[crawl] robots_cache", "[[sources]] timezone",
                "[digest] security",
            ),
            ["crawl.retry_delay", "crawl.robots_cache", "sources.timezone", "digest.security"],
        ),
        (
            lambda t: t.replace(
                "| `[digest]` `security` |",
                "| `[digest]` `smtp_password` | — | the password |\n| `[digest]` `security` |",
            ),
            ["digest.smtp_password, which is not a setting"],
        ),
        (lambda t: t.replace("`max_attempts` | `5` |", "`max_attempts` | `3` |"),
         ["crawl.max_attempts: README's default is `3`"]),
        (lambda t: t.replace("| SMTP port |", "| SMTP port (587 for STARTTLS) |"),
         ["digest.smtp_port: README's meaning"]),
        (lambda t: t.replace("| key | default | meaning |", "| setting | default | meaning |"),
         ["no table of settings"]),
    ],
)  # fmt: skip
def test_the_readme_guard_bites(mutate: Any, found: list[str]) -> None:
    """Deleting rows, adding an undeclared one, or changing a default or a help text fails."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    mutated = mutate(readme)
    assert mutated != readme
    problems = "; ".join(table_problems(mutated))
    for piece in found:
        assert piece in problems


def test_schema_prints_the_readme_table() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "monitor.config.schema", "--markdown"],
        cwd=REPO,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
    )
    assert result.stdout == markdown_table()


@pytest.mark.parametrize(
    ("cls", "section"),
    [
        (Source, "sources"),
        (CrawlSettings, "crawl"),
        (RelevanceSettings, "relevance"),
        (DigestSettings, "digest"),
        (QueueSettings, "queue"),
    ],
)
def test_dataclass_defaults_are_the_schemas(cls: type, section: str) -> None:
    declared = SETTINGS[section]
    fields = {f.name: f for f in dataclasses.fields(cls)}
    assert set(fields) == set(declared), f"{cls.__name__} fields are not the [{section}] keys"
    for key, setting in declared.items():
        f = fields[key]
        assert f.default_factory is dataclasses.MISSING
        if setting.required:
            assert f.default is dataclasses.MISSING, f"{section}.{key} is required"
        else:
            assert f.default == setting.value, f"{cls.__name__}.{key} is not the schema's default"
            assert type(f.default) is type(setting.value), f"{cls.__name__}.{key}"
    assert Config().store_url == SETTINGS["store"]["url"].value


def test_dataclass_defaults_are_not_written_again() -> None:
    """A literal equal to the schema's default would pass the test above; the source must
    say default("section", "key") for its own field."""
    tree = ast.parse((REPO / "monitor" / "config" / "loader.py").read_text(encoding="utf-8"))
    sections = {"Source": "sources", "CrawlSettings": "crawl"}
    sections |= {"RelevanceSettings": "relevance", "DigestSettings": "digest"}
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name in sections]
    assert len(classes) == len(sections)
    for cls in classes:
        for stmt in cls.body:
            if not isinstance(stmt, ast.AnnAssign) or stmt.value is None:
                continue
            assert isinstance(stmt.target, ast.Name)
            call = stmt.value
            if isinstance(call, ast.Call) and ast.unparse(call.func) == "field":
                call = call.keywords[0].value if len(call.keywords) == 1 else call
            want = f"default({sections[cls.name]!r}, {stmt.target.id!r})"
            assert ast.unparse(call) == want, f"{cls.name}.{stmt.target.id}"


def test_each_default_passes_its_own_rule() -> None:
    for section, keys in SETTINGS.items():
        for key, setting in keys.items():
            assert setting.help and "\n" not in setting.help, f"{section}.{key} help"
            if setting.default is not None:
                assert setting.read(setting.default) == setting.value, f"{section}.{key}"


def test_readme_configuration_examples_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    examples = re.findall(r"```toml\n(.*?)```", section, re.S)
    assert examples, "the README's configuration section has no TOML example"
    monkeypatch.chdir(tmp_path)
    for n, example in enumerate(examples):
        path = tmp_path / f"example{n}.toml"
        path.write_text(example, encoding="utf-8")
        config = load_config(str(path), {})
        assert config.path == str(path)


@pytest.mark.parametrize(
    "text",
    [
        "\ufeff[crawl]\nobey_robots = true\n",  # a UTF-8 BOM, as Notepad writes it
        "[[sources]]\nname = 'a'\nfeeds = ['https://a.example/أخبار/rss']\n",
        "[[sources]]\nname = 'a'\nfeeds = ['https://عربي.example/rss']\n",
        "[[sources]]\nname = 'a'\nfeeds = ['http://[::1]:8080/rss', 'http://127.0.0.1:8080/rss']\n",
        "[[sources]]\nname = 'a'\nfeeds = ['https://a.example/rss', 'https://a.example/rss/']\n"
        "[[sources]]\nname = 'b'\nfeeds = ['https://www.a.example/rss']\n",
        "[[sources]]\nname = 'a'\nfeeds = ['https://a.example/rss?q=1']\n"
        "[[sources]]\nname = 'b'\nfeeds = ['https://a.example/rss?q=2']\n",
        "[[sources]]\nname = 'a'\nhomepage = 'https://a.example/'\ninterval = '30d'\n"
        "timezone = '+03:30'\n",
        "[store]\nurl = 'sqlite:///my data/rasad.db'\n",
        "[digest]\nsender = 'Rasad <rasad@example.org>'\n"
        "recipients = ['analyst@example.org', 'Desk <desk@example.org>']\nsmtp_port = 587\n",
        "[relevance]\nthreshold = 0\n[crawl]\ndownload_delay = 0\nretry_delay = 0.5\n",
    ],
)
def test_unusual_but_valid_configs_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    monkeypatch.chdir(tmp_path)
    assert isinstance(load_config(write(tmp_path, text), {}), Config)

"""The configuration contract: where it comes from, what it accepts, how it fails."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from monitor.config.loader import SETTINGS, Config, load_config, parse_interval
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


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for section, keys in SETTINGS.items():
        for key, setting in keys.items():
            assert setting.help, f"{section}.{key} has no help text"
            pattern = rf"`{re.escape(key)}`"
            assert re.search(pattern, readme), f"README does not document {section}.{key}"


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

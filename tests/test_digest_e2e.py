"""End to end: `rasad crawl` over two outlets of the fixture site (own write-ups, wire copies,
altered seed copies, a headline with markup), then `rasad digest` to a real SMTP server
(aiosmtpd on 127.0.0.1), and the message that arrived, parsed.

What the issue asks the digest to show, checked on what the server received: every new
article in exactly one story entry, copies only under their original's entry, no seed ever;
a second digest sends nothing; after a second crawl only its stories; with the server down,
exit 1 and the next digest still delivers.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from fixture_site import NewsSite, SiteArticle, fresh_stories, load_seed_articles
from smtp_server import MailServer, free_port
from test_crawl_e2e import export, rasad
from test_dedup_e2e import copies_of

from monitor.deliver.digest_render import RLM
from monitor.text.urls import canonical_url

pytestmark = pytest.mark.slow

RECIPIENT = "analyst@example.org"
MARKUP_TITLE = 'شويغو يصل إلى بيونغ يانغ & يلتقي كيم <script>alert("x")</script>'

SHOIGU = SiteArticle(
    slug="shoigu-pyongyang",
    title=MARKUP_TITLE,
    paragraphs=(
        "وصل وزير الدفاع الروسي سيرغي شويغو إلى بيونغ يانغ على رأس وفد عسكري للمشاركة في "
        "احتفالات ذكرى الهدنة، في أول زيارة لوزير دفاع روسي إلى كوريا الشمالية منذ عقود.",
        "واستقبل الزعيم الكوري الشمالي كيم جونغ أون الوزير الروسي وبحث معه التعاون العسكري "
        "بين البلدين، وفق ما نقلته وكالة الأنباء المركزية الكورية.",
        "وتفقد شويغو معرضا للأسلحة ضم صواريخ باليستية ومسيرات جديدة، فيما قالت واشنطن إنها "
        "تتابع بقلق تنامي التعاون العسكري بين موسكو وبيونغ يانغ.",
    ),
    published=datetime(2023, 7, 26, 9, tzinfo=UTC),
)
TREATY = SiteArticle(
    slug="treaty-ratified",
    title="الدوما يصادق على معاهدة الشراكة الاستراتيجية مع كوريا الشمالية",
    paragraphs=(
        "صادق مجلس الدوما الروسي بالإجماع على معاهدة الشراكة الاستراتيجية الشاملة بين روسيا "
        "وكوريا الشمالية التي وقعها الرئيس فلاديمير بوتين والزعيم كيم جونغ أون في بيونغ يانغ.",
        "وتنص المعاهدة على تقديم المساعدة العسكرية الفورية إذا تعرض أحد البلدين لعدوان مسلح، "
        "بحسب ما أعلن رئيس لجنة الشؤون الدولية في الدوما.",
        "وقالت كوريا الجنوبية إنها ستراجع موقفها من تزويد أوكرانيا بالأسلحة ردا على المعاهدة.",
    ),
    published=datetime(2024, 10, 24, 10, tzinfo=UTC),
)


def config_text(
    tmp_path: Path, sites: dict[str, NewsSite], port: int, store_url: str | None = None
) -> Path:
    url = store_url or f"sqlite:///{tmp_path}/rasad.db"
    text = (
        f'[store]\nurl = "{url}"\n[crawl]\ndownload_delay = 0\n'
        f'[digest]\nrecipients = ["{RECIPIENT}"]\nsender = "rasad@example.org"\n'
        f'smtp_host = "127.0.0.1"\nsmtp_port = {port}\nsmtp_timeout = 5\n'
    )
    for name, site in sites.items():
        feeds = ", ".join(f'"{site.url(path)}"' for path in site.feeds)
        text += f'[[sources]]\nname = "{name}"\ntitle = "{site.site_name}"\nfeeds = [{feeds}]\n'
    path = tmp_path / "rasad.toml"
    path.write_text(text, encoding="utf-8")
    return path


def entries(msg: EmailMessage) -> list[str]:
    """The text part's story entries (each starts with RLM and its number)."""
    text = msg.get_body(("plain",)).get_content()
    return re.split(rf"\n(?={RLM}\d+\. )", text)[1:]


def urls_in(block: str) -> list[str]:
    return re.findall(r"http://127\.0\.0\.1:\d+/\S+", block)


def test_crawl_then_digest_delivers_every_new_story_once(tmp_path: Path, backend_url: str) -> None:
    first = NewsSite(site_name="الأولى")
    wire = NewsSite(site_name="وكالة الأنباء المتحدة")
    stories = fresh_stories()
    own = [*stories, SHOIGU]
    first.add_feed("/feed/", own, form="rss2")
    first.add_articles(own)
    wire_copies = [replace(stories[0], slug="wire-0", title="روسيا تدعم الحوار بين الكوريتين")]
    seed_copies = [c for s in load_seed_articles()[:2] for c in copies_of(s).values()]
    wire.add_feed("/rss.xml", [*wire_copies, *seed_copies], form="rss2")
    wire.add_articles([*wire_copies, *seed_copies])
    server = MailServer(port=free_port())
    with first, wire:
        config = config_text(tmp_path, {"first": first, "wire": wire}, server.port, backend_url)
        crawl = rasad("crawl", "--config", str(config))
        assert crawl.returncode == 0, crawl.stdout + crawl.stderr
        stored = export(config, "--all")
        new = {r["url"] for r in stored if r["status"] == "new"}
        copies = {r["url"]: r for r in stored if r["status"] == "duplicate"}
        assert len(new) == 4 and copies, [(r["title"], r["status"]) for r in stored]

        # the server is down: exit 1, one line, nothing marked
        down = rasad("digest", "--config", str(config))
        assert down.returncode == 1, down.stderr
        assert (
            len(down.stderr.strip().splitlines()) == 1 and "refused the connection" in down.stderr
        )

        with server:
            sent = rasad("digest", "--config", str(config))
            assert sent.returncode == 0, sent.stderr
            assert sent.stderr == ""
            (received,) = server.inbox.received
            msg = received.message
            assert received.recipients == [RECIPIENT]

            # multipart/alternative: text first, then the right-to-left HTML
            assert msg.get_content_type() == "multipart/alternative"
            assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
            page = msg.get_body(("html",)).get_content()
            assert '<html dir="rtl" lang="ar">' in page and "<script" not in page
            (title,) = [r["title"] for r in stored if r["url"].endswith("shoigu-pyongyang.html")]
            assert "&" in title  # what extraction kept of the headline arrives as text
            assert title in html.unescape(re.sub(r"<[^>]+>", "", page))

            blocks = entries(msg)
            shown = [u for b in blocks for u in urls_in(b)]
            assert sorted(u for u in shown if u in new) == sorted(new)  # each new one, once
            assert len(shown) == len(set(shown))
            for url, record in copies.items():
                if record["duplicate_of"].startswith("seed:"):
                    assert url not in shown  # a seed's copy is never digested
                    continue
                (block,) = [b for b in blocks if url in urls_in(b)]
                # under its original (duplicate_of names it by its canonical URL)
                assert record["duplicate_of"] in {canonical_url(u) for u in urls_in(block)}
            assert not any(u for u in shown if u not in new and u not in copies)

            # again: nothing new, no mail
            again = rasad("digest", "--config", str(config))
            assert again.returncode == 0 and "nothing new" in again.stdout
            assert len(server.inbox.received) == 1

            # a second crawl: the next digest holds only what it stored
            first.add_article(TREATY)
            first.add_to_feed("/feed/", TREATY)
            assert rasad("crawl", "--config", str(config)).returncode == 0
            later = {r["url"] for r in export(config)} - new
            assert len(later) == 1
            assert rasad("digest", "--config", str(config)).returncode == 0
            second = server.inbox.received[1].message
            assert {u for b in entries(second) for u in urls_in(b)} == later


def test_the_daemons_digest_job_runs_the_real_digest(tmp_path: Path) -> None:
    """`rasad schedule`'s digest job, as the daemon runs it: a real `rasad digest` subprocess
    to a real server; the second run finds nothing new and sends nothing."""
    from test_digest import fill

    from monitor.config.loader import load_config
    from monitor.schedule.daemon import Daemon, ScheduleOptions
    from store.sqlite import SQLiteStore

    store = SQLiteStore(tmp_path / "rasad.db")
    fill(store)
    store.close()
    with MailServer() as server:
        path = config_text(tmp_path, {}, server.port)
        path.write_text(
            path.read_text(encoding="utf-8").replace(
                "smtp_timeout = 5\n", 'smtp_timeout = 5\nschedule = "every 6h"\n'
            ),
            encoding="utf-8",
        )
        daemon = Daemon(load_config(str(path)), ScheduleOptions(jitter=0))
        assert daemon.digest is not None
        daemon.digest_job(daemon.digest)
        (received,) = server.inbox.received
        assert received.recipients == [RECIPIENT]
        daemon.digest_job(daemon.digest)
        assert len(server.inbox.received) == 1
        assert daemon._state.jobs["digest"]["last_outcome"] == "ok"

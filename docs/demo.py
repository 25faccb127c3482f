#!/usr/bin/env python3
"""`make demo`: the whole of rasad in about a minute, with no internet.

1. serves a local replay of an Arabic news site on 127.0.0.1 (tests/fixture_site.py: the seed
   articles, on-topic stories written for the tests and, when ../shared/data is present, real
   ANT articles that mention Russia and North Korea plus some that do not), in eight feeds of
   the forms real outlets publish;
2. writes a config into the demo directory (./demo-data by default; never ./data or
   ./rasad.toml) whose one source is that site, with a [digest] section pointing at an SMTP
   server that does not exist (a dry run never connects);
3. runs `rasad crawl`, then `rasad digest --dry-run --output DIR/digest.eml`;
4. starts `rasad serve` and prints its URL; Ctrl-C (or SIGTERM) stops it and the news site.

Every run starts from an empty store in the demo directory, so it shows the same flow each
time. ``--exit-after-ready`` stops once the archive has answered ``/`` (for tests and CI);
``--no-serve`` stops after the digest.

Run: ``.venv/bin/python docs/demo.py [--port 8080] [--dir demo-data] [--ant 60]``
"""

from __future__ import annotations

import argparse
import contextlib
import email
import email.message
import email.policy
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SMTP_NOWHERE = 9  # the discard port: nothing listens there, and a dry run never connects
READY_TIMEOUT = 30.0
PREVIEW_LINES = 12  # of the digest's text part
OFF_TOPIC_ANT = 20  # ANT articles that do not mention Russia: the crawl keeps them off_topic


def load_fixture_site() -> ModuleType:
    """tests/fixture_site.py, loaded the way bench/ loads it (`bench/_common.py`)."""
    sys.path.insert(0, str(REPO / "bench"))
    from _common import load_fixture_site as load

    return load()


# Three more on-topic stories, written for the demo, so the archive shows several stories even
# without ../shared/data. Each is a different event (different people, places and dates).
DEMO_STORIES: tuple[dict[str, Any], ...] = (
    {
        "slug": "tumen-road-bridge-opens",
        "title": "افتتاح الجسر البري بين روسيا وكوريا الشمالية فوق نهر تومين",
        "section": "اقتصاد",
        "published": datetime(2026, 6, 19, 9, 30, tzinfo=UTC),
        "paragraphs": (
            "افتتحت روسيا وكوريا الشمالية الجسر البري فوق نهر تومين، أول طريق للسيارات يربط"
            " البلدين، في حفل حضره نائب رئيس الوزراء الروسي ومسؤولون من بيونغ يانغ.",
            "وقالت وكالة الأنباء المركزية الكورية إن الجسر سيزيد حجم التجارة بين موسكو وبيونغ"
            " يانغ ويختصر نقل البضائع الذي كان يمر عبر خط السكك الحديدية وحده.",
            "وكان الرئيس فلاديمير بوتين والزعيم كيم جونغ أون قد اتفقا على بناء الجسر خلال قمتهما"
            " في بيونغ يانغ، وتتابع واشنطن وسيول المشروع بقلق بسبب العقوبات الدولية.",
        ),
    },
    {
        "slug": "moscow-pyongyang-direct-flights",
        "title": "رحلات جوية مباشرة بين موسكو وبيونغ يانغ للمرة الأولى منذ عقود",
        "section": "عرب وعالم",
        "published": datetime(2026, 7, 27, 14, 0, tzinfo=UTC),
        "paragraphs": (
            "أعلنت وزارة النقل الروسية بدء رحلات جوية منتظمة بين موسكو وبيونغ يانغ، تسيّرها شركة"
            " الطيران الكورية الشمالية إير كوريو مرتين في الشهر.",
            "وقال مسؤول روسي إن الرحلات ستخدم السياح الروس والوفود الرسمية، في إطار معاهدة"
            " الشراكة الاستراتيجية الشاملة التي وقعها البلدان.",
            "وتأتي الخطوة بعد زيارة وزير الخارجية سيرغي لافروف إلى كوريا الشمالية ولقائه نظيرته"
            " تشوي سون هوي في منتجع وونسان.",
        ),
    },
    {
        "slug": "north-korean-workers-russia-report",
        "title": "تقرير: آلاف العمال الكوريين الشماليين يصلون إلى روسيا رغم العقوبات",
        "section": "تقارير وتحليلات",
        "published": datetime(2026, 9, 3, 7, 45, tzinfo=UTC),
        "paragraphs": (
            "قال تقرير للاستخبارات الكورية الجنوبية إن آلاف العمال من كوريا الشمالية وصلوا إلى"
            " روسيا هذا العام للعمل في البناء، في مخالفة لقرارات مجلس الأمن الدولي.",
            "وأضاف التقرير أن العمال دخلوا بتأشيرات دراسية، وأن موسكو تحتاج إلى اليد العاملة بعد"
            " الحرب في أوكرانيا، فيما تحصل بيونغ يانغ على العملة الصعبة.",
            "ونفى الكرملين علمه بالأمر، وقال إن التعاون مع كوريا الشمالية يجري وفق القانون الروسي.",
        ),
    },
)


def site_articles(fs: ModuleType, ant: int) -> tuple[list[Any], str]:
    """The articles the demo site publishes (besides the seeds), and where they come from."""
    own = [*fs.fresh_stories(), *(fs.SiteArticle(**story) for story in DEMO_STORIES)]
    corpus = fs.default_ant_corpus() if ant else None
    if corpus is None:
        return own, "seeds and stories written for the tests (../shared/data is absent)"
    on_topic = corpus.articles(ant, seed=12, filter=fs.mentions_russia_and_north_korea)
    others = corpus.articles(OFF_TOPIC_ANT, seed=12, filter=lambda r: not r.mentions_russia)
    return [*own, *on_topic, *others], (
        f"seeds, stories written for the tests, {len(on_topic)} ANT articles on Russia and North"
        f" Korea and {len(others)} other ANT articles (../shared/data)"
    )


def config_text(fs: ModuleType, site: Any, store: Path) -> str:
    """A rasad config: the site as the only source, a dry-run-only [digest] section."""
    from monitor.config.schema import SETTINGS

    extra = {"download_timeout": 10}
    if "allow_networks" in SETTINGS["crawl"]:  # loopback may need allowing, once it is refused
        extra["allow_networks"] = ["127.0.0.0/8"]  # type: ignore[assignment]
    text: str = fs.rasad_config(site, f"sqlite:///{store}", crawl=extra)
    return text + (
        "\n[digest]\n"
        'recipients = ["analyst@example.org"]\n'
        'sender = "rasad-demo@example.org"\n'
        f'smtp_host = "127.0.0.1"\nsmtp_port = {SMTP_NOWHERE}\nsecurity = "none"\n'
    )


def free_port(preferred: int) -> int:
    """`preferred` when nothing listens there, else a port the system picks."""
    for port in (preferred, 0):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise OSError("no free port on 127.0.0.1")


@dataclass
class Demo:
    """The running parts: a stop flag set by SIGINT/SIGTERM and the child process, if any."""

    stop: threading.Event = field(default_factory=threading.Event)
    child: subprocess.Popen[str] | None = None

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stop.set()
        child = self.child
        if child is not None and child.poll() is None:
            # Ctrl-C reaches the child too (same process group); SIGTERM sent to us alone does not
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signal.SIGTERM)

    def rasad(self, *args: str, env: dict[str, str]) -> int:
        """Run one rasad command, its output going straight to the terminal."""
        cmd = [sys.executable, "-m", "monitor.cli", *args]
        self.child = subprocess.Popen(cmd, cwd=REPO, env=env, text=True)
        try:
            return self.child.wait()
        finally:
            self.child = None


# Scraped text reaches the terminal here: control characters and bidi overrides (which could
# reorder or hide what follows) are shown escaped; rasad's own RIGHT-TO-LEFT MARK stays.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(line: str) -> str:
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", line)


def preview(eml: Path) -> None:
    """The subject and the first lines of the digest's text part (already right-to-left)."""
    with eml.open("rb") as handle:
        message = email.message_from_binary_file(handle, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    body = message.get_body(("plain",))
    lines = body.get_content().splitlines() if body is not None else []
    print(f"   \u200fSubject: {terminal_safe(str(message['Subject']))}")
    for line in lines[:PREVIEW_LINES]:
        print(f"   {terminal_safe(line)}")
    print(f"   ... (the whole message: {eml})", flush=True)


def step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def wait_ready(url: str, server: subprocess.Popen[str], stop: threading.Event) -> int | None:
    """The status of GET `url` once the server answers, or None if it died or we were stopped."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline and not stop.is_set() and server.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            time.sleep(0.1)
    return None


def stop_process(proc: subprocess.Popen[str]) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def serve(demo: Demo, config: Path, port: int, env: dict[str, str], exit_after_ready: bool) -> int:
    """Start `rasad serve`, print its URL, and wait for Ctrl-C (or stop once it answered)."""
    cmd = [sys.executable, "-m", "monitor.cli", "serve", "--config", str(config)]
    server = subprocess.Popen([*cmd, "--port", str(port)], cwd=REPO, env=env, text=True)
    demo.child = server
    url = f"http://127.0.0.1:{port}/"
    try:
        status = wait_ready(url, server, demo.stop)
        if demo.stop.is_set():
            return 0
        if status is None:
            print(f"demo: rasad serve did not answer at {url}", file=sys.stderr)
            return 1
        print(f"GET / answered {status}", flush=True)
        print(f"\nThe archive is at {url}  (Ctrl-C stops it and the news site)", flush=True)
        if not exit_after_ready:
            while not demo.stop.wait(0.5) and server.poll() is None:
                pass
        return 0 if status == 200 else 1
    finally:
        demo.child = None
        code = stop_process(server)
        if code not in (0, -signal.SIGTERM, -signal.SIGINT):
            print(f"demo: rasad serve stopped with exit {code}", file=sys.stderr)


def run(args: argparse.Namespace, demo: Demo) -> int:
    fs = load_fixture_site()
    data = args.dir.resolve()
    if data == (REPO / "data").resolve():
        print("demo: the demo never writes into ./data; choose another --dir", file=sys.stderr)
        return 2
    data.mkdir(parents=True, exist_ok=True)
    store = data / "rasad.db"
    for old in (store, *data.glob("rasad.db-*"), data / "digest.eml"):
        old.unlink(missing_ok=True)  # each run starts from an empty store: the same flow
    started = time.monotonic()
    articles, origin = site_articles(fs, args.ant)
    site = fs.demo_site(articles, port=args.site_port)
    env = {k: v for k, v in os.environ.items() if k != "RASAD_CONFIG"}
    with site:
        n_pages = len(site.pages)
        step(f"local news site at {site.base_url}/: {n_pages} pages in {len(site.feeds)} feeds")
        print(f"   ({origin})")
        config = data / "rasad.toml"
        config.write_text(config_text(fs, site, store), encoding="utf-8")
        print(f"   config: {config}")

        step(f"rasad crawl --config {config}")
        code = demo.rasad("crawl", "--config", str(config), env=env)
        if demo.stop.is_set():
            return 0
        if code > 1:  # 1: some feed failed, the report says which; the rest was crawled
            print(f"demo: rasad crawl failed (exit {code})", file=sys.stderr)
            return code
        print(
            "   (on purpose: some feeds are broken as real ones are, and robots.txt forbids one"
            " page; the seed articles are stored as duplicates of the seed corpus)"
        )

        eml = data / "digest.eml"
        step(f"rasad digest --dry-run --output {eml}  (nothing is sent)")
        code = demo.rasad(
            "digest", "--config", str(config), "--dry-run", "--output", str(eml), env=env
        )
        if demo.stop.is_set():
            return 0
        if code != 0:
            print(f"demo: rasad digest --dry-run failed (exit {code})", file=sys.stderr)
            return code
        preview(eml)
        took = time.monotonic() - started
        if args.no_serve:
            print(f"\ndemo: done in {took:.0f} s (--no-serve)", flush=True)
            return 0
        step(f"rasad serve --port {args.port}  (crawled and digested in {took:.0f} s)")
        port = free_port(args.port)
        return serve(demo, config, port, env, args.exit_after_ready)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=REPO / "demo-data", help="demo directory")
    parser.add_argument("--port", type=int, default=8080, help="rasad serve port (else a free one)")
    parser.add_argument("--site-port", type=int, default=0, help="news site port (default: free)")
    parser.add_argument(
        "--ant", type=int, default=156, help="on-topic ANT articles to publish (0: none)"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--no-serve", action="store_true", help="stop after the digest")
    mode.add_argument(
        "--exit-after-ready", action="store_true", help="stop once the archive answered /"
    )
    args = parser.parse_args(argv)
    demo = Demo()
    signal.signal(signal.SIGINT, demo.on_signal)
    signal.signal(signal.SIGTERM, demo.on_signal)
    try:
        code = run(args, demo)
    except (OSError, FileNotFoundError) as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    if demo.stop.is_set():
        print("\ndemo: stopped", flush=True)
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main())

"""`make demo` (docs/demo.py): the local news site, a crawl, a digest dry run and `rasad serve`,
run for real in a subprocess on 127.0.0.1, then stopped as Ctrl-C stops it."""

from __future__ import annotations

import email
import email.message
import email.policy
import importlib.util
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from store.sqlite import SQLiteStore

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "docs" / "demo.py"
# Stories the demo publishes whatever ../shared/data holds (written for the demo and the tests).
TUMEN = "افتتاح الجسر البري بين روسيا وكوريا الشمالية فوق نهر تومين"
WORKERS = "تقرير: آلاف العمال الكوريين الشماليين يصلون إلى روسيا رغم العقوبات"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def demo(*args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "RASAD_CONFIG"}
    return subprocess.Popen(
        [sys.executable, str(DEMO), *args],
        cwd=REPO,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )


def read_until(proc: subprocess.Popen[str], pattern: str, timeout: float = 120) -> list[str]:
    """stdout lines up to the first matching `pattern` (fails if the demo exits first)."""
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if re.search(pattern, line):
            return lines
    proc.kill()
    _, err = proc.communicate()
    pytest.fail(f"the demo never printed {pattern!r}:\n" + "\n".join(lines) + "\n" + err)


def new_titles(data: Path) -> list[str]:
    store = SQLiteStore(data / "rasad.db")
    try:
        return [a.title for a in store.articles(statuses=("new",))]
    finally:
        store.close()


@pytest.mark.parametrize("stop", ["ctrl-c", "sigterm"])
def test_demo_crawls_digests_serves_and_stops_cleanly(tmp_path: Path, stop: str) -> None:
    """Ctrl-C reaches the whole process group; SIGTERM only the demo, which stops the server."""
    data = tmp_path / "demo-data"
    port = free_port()
    proc = demo("--dir", str(data), "--port", str(port), "--ant", "12")
    lines = read_until(proc, r"The archive is at http://127\.0\.0\.1:\d+/")
    url = re.search(r"http://127\.0\.0\.1:\d+/", lines[-1])
    assert url is not None and url.group(0) == f"http://127.0.0.1:{port}/"
    try:
        with urllib.request.urlopen(url.group(0), timeout=10) as response:
            assert response.status == 200
            home = response.read().decode("utf-8")
    finally:
        if stop == "ctrl-c":
            os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: the whole foreground group
        else:
            proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "Traceback" not in out, err
    assert "demo: stopped" in out
    with pytest.raises(OSError):  # both servers are gone
        urllib.request.urlopen(url.group(0), timeout=2)

    # the crawl stored the on-topic stories as new, and the home page lists them
    titles = new_titles(data)
    assert TUMEN in titles and WORKERS in titles and len(titles) >= 6, titles
    assert TUMEN in home and WORKERS in home
    assert home.count('<article class="story">') >= 4  # 3 demo stories + Lavrov's visit
    # the dry run wrote one message (and sent nothing: its SMTP server does not exist)
    with (data / "digest.eml").open("rb") as handle:
        message = email.message_from_binary_file(handle, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    assert message["To"] == "analyst@example.org"
    body = message.get_body(("plain",))
    assert body is not None and TUMEN in body.get_content()
    assert "GET / answered 200" in "\n".join(lines)
    config = (data / "rasad.toml").read_text(encoding="utf-8")
    assert "127.0.0.1" in config and "[digest]" in config


def test_demo_without_ant_articles_and_without_serving(tmp_path: Path) -> None:
    data = tmp_path / "demo-data"
    proc = demo("--dir", str(data), "--ant", "0", "--no-serve")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, out + err
    assert err.strip() == "", err  # quiet: no library logs or tracebacks
    assert "rasad serve" not in out and "--no-serve" in out
    assert "ANT" not in out.split("rasad crawl")[0]  # the site published no ANT article
    titles = new_titles(data)
    assert TUMEN in titles and len(titles) >= 6, titles
    assert (data / "digest.eml").stat().st_size > 1000
    # a second run starts from an empty store again: the same stories are new again
    again = demo("--dir", str(data), "--ant", "0", "--no-serve")
    out2, err2 = again.communicate(timeout=120)
    assert again.returncode == 0, out2 + err2
    assert sorted(new_titles(data)) == sorted(titles)


def test_scraped_text_reaches_the_terminal_escaped() -> None:
    spec = importlib.util.spec_from_file_location("demo_script", DEMO)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    line = "\u200fبوتين \u202eيصل\x1b[2J إلى\tبيونغ يانغ"
    assert module.terminal_safe(line) == "\u200fبوتين \\u202eيصل\\u001b[2J إلى\tبيونغ يانغ"


def test_demo_refuses_the_real_data_directory() -> None:
    proc = demo("--dir", str(REPO / "data"), "--no-serve")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "never writes into ./data" in err and "Traceback" not in err

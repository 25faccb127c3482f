"""The destination policy: rasad fetches http(s) from public addresses and the networks of
`[crawl] allow_networks` only, judged on the resolved address of every request, redirect and
meta refresh; oversized chunked responses are `too_large`; no control endpoint in a crawl.

The unit tests inject a resolver table (no DNS). The end-to-end tests run `rasad crawl`
against a hostile server on 127.0.0.1 whose links, redirects and meta refreshes point at
other loopback and private addresses, with a second listener on 127.0.0.2 that must see no
connection at all.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from monitor.config.loader import parse_config
from monitor.crawl.destinations import (
    Address,
    DestinationPolicy,
    ForbiddenDestination,
    PinnedResolver,
    kind_of,
    parse_networks,
    system_resolve,
)
from monitor.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def table(answers: dict[str, Sequence[str]]) -> Any:
    """A resolver answering from a dict; a host not in it does not resolve."""

    def resolve(host: str) -> list[Address]:
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "not found")
        return [ipaddress.ip_address(a) for a in answers[host]]

    return resolve


def refused(policy: DestinationPolicy, url: str) -> str | None:
    """The refusal message, or None when the URL is allowed."""
    try:
        policy.check(url)
    except ForbiddenDestination as exc:
        return str(exc)
    return None


# --- the rule -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.2", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-public"),  # carrier-grade NAT
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("::ffff:10.1.2.3", "private"),
        ("2002:a00:1::", "private"),  # 6to4 carrying 10.0.0.1
        ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 carrying 169.254.169.254
        ("8.8.8.8", None),
        ("2606:4700::1111", None),
        ("::ffff:8.8.8.8", None),
    ],
)
def test_what_counts_as_public(address: str, kind: str | None) -> None:
    assert kind_of(ipaddress.ip_address(address)) == kind


def test_private_destinations_are_refused_on_their_resolved_address() -> None:
    policy = DestinationPolicy(
        parse_networks(["127.0.0.1/32"]),
        resolve=table(
            {
                "news.example": ["93.184.216.34"],
                "intranet.example": ["10.0.0.7"],  # a DNS name pointing inside
                "mixed.example": ["93.184.216.34", "192.168.0.1"],
                "127.0.0.1": ["127.0.0.1"],
                "metadata.example": ["169.254.169.254"],
            }
        ),
    )
    assert refused(policy, "https://news.example/a") is None
    assert refused(policy, "http://127.0.0.1:9999/other-port") is None  # listed network
    assert refused(policy, "http://intranet.example/") == (
        "forbidden destination: intranet.example is 10.0.0.7, "
        "a private address, not in [crawl] allow_networks"
    )
    assert "192.168.0.1" in (refused(policy, "http://mixed.example/") or "")
    assert "link-local" in (refused(policy, "http://metadata.example/latest") or "")
    for url in ("file:///etc/passwd", "ftp://news.example/x", "gopher://127.0.0.1/"):
        assert "URLs are never fetched" in (refused(policy, url) or ""), url
    # a host that does not resolve is let through: it fails as "dns", as before
    assert refused(policy, "http://gone.example/") is None


def test_numeric_spellings_resolve_to_what_they_are() -> None:
    """getaddrinfo (no DNS needed for these) reads decimal, octal and hex IPv4 spellings."""
    policy = DestinationPolicy(parse_networks([]))
    for url in (
        "http://2130706433/",
        "http://0177.0.0.1/",
        "http://0x7f000001/",
        "http://127.1/",
        "http://localhost/",
        "http://[::ffff:127.0.0.1]/",
    ):
        message = refused(policy, url)
        assert message is not None and "loopback" in message, url
    assert "2130706434 is 127.0.0.2" in (refused(policy, "http://2130706434/") or "")


def test_allow_networks_absent_trusts_the_configured_hosts_exactly() -> None:
    answers = {"feeds.local": ["10.1.1.1"], "other.local": ["10.1.1.2"], "x.example": ["8.8.4.4"]}
    absent = DestinationPolicy(None, ["feeds.local"], resolve=table(answers))
    assert refused(absent, "http://feeds.local/rss") is None
    assert refused(absent, "http://10.1.1.1:8080/article") is None  # the same address
    assert refused(absent, "http://x.example/") is None
    assert "10.1.1.2" in (refused(absent, "http://other.local/") or "")
    # set, even to []: only public addresses and the listed networks
    empty = DestinationPolicy(parse_networks([]), ["feeds.local"], resolve=table(answers))
    assert "10.1.1.1" in (refused(empty, "http://feeds.local/rss") or "")
    listed = DestinationPolicy(parse_networks(["10.1.0.0/16"]), [], resolve=table(answers))
    assert refused(listed, "http://other.local/") is None


def test_the_first_answer_is_pinned_and_is_what_the_connection_gets() -> None:
    """DNS rebinding: public for the check, private for the connection. The resolver is
    asked once per host; the reactor's resolver hands out only pinned, allowed addresses."""
    answers = iter([["93.184.216.34"], ["127.0.0.1"], ["127.0.0.1"]])
    calls: list[str] = []

    def rebinding(host: str) -> list[Address]:
        calls.append(host)
        return [ipaddress.ip_address(a) for a in next(answers)]

    policy = DestinationPolicy(parse_networks([]), resolve=rebinding)
    assert refused(policy, "http://rebind.example/a") is None
    assert refused(policy, "http://rebind.example/b") is None
    assert calls == ["rebind.example"]

    got: list[str] = []

    class Receiver:
        def resolutionBegan(self, resolution: object) -> None:
            pass

        def addressResolved(self, address: Any) -> None:
            got.append(address.host)

        def resolutionComplete(self) -> None:
            got.append("done")

    class Fallback:
        def resolveHostName(self, receiver: Any, host: str, *args: Any) -> None:
            receiver.resolutionBegan(None)
            for address in ("10.0.0.9", "93.184.216.35"):  # an unchecked host
                receiver.addressResolved(type("A", (), {"host": address})())
            receiver.resolutionComplete()

    resolver = PinnedResolver(policy, Fallback())
    resolver.resolveHostName(Receiver(), "rebind.example", 80)
    assert got == ["93.184.216.34", "done"]
    got.clear()
    resolver.resolveHostName(Receiver(), "proxy.example", 3128)  # never checked: filtered
    assert got == ["93.184.216.35", "done"]
    got.clear()
    refused(policy, "http://10.9.9.9/")  # refused and pinned: connects nowhere
    resolver.resolveHostName(Receiver(), "10.9.9.9", 80)
    assert got == ["done"]


def test_system_resolve_reads_literals_without_dns() -> None:
    assert system_resolve("0x7f000002") == [ipaddress.ip_address("127.0.0.2")]
    assert system_resolve("::1") == [ipaddress.ip_address("::1")]


# --- configuration --------------------------------------------------------------------------


def test_allow_networks_config() -> None:
    assert parse_config({}).crawl.allow_networks is None
    crawl = parse_config({"crawl": {"allow_networks": ["127.0.0.1", "10.0.0.0/8", "FD00::/8"]}})
    assert crawl.crawl.allow_networks == ("127.0.0.1/32", "10.0.0.0/8", "fd00::/8")
    assert parse_config({"crawl": {"allow_networks": []}}).crawl.allow_networks == ()
    for bad, words in (
        (["10.0.0.1/8"], "'10.0.0.1/8' is not a network such as 127.0.0.1/32"),
        (["localhost"], "'localhost' is not a network"),
        ([8], "must be a list of CIDR strings"),
        ("127.0.0.1/32", "must be a list"),
    ):
        with pytest.raises(ConfigError) as caught:
            parse_config({"crawl": {"allow_networks": bad}}, where="rasad.toml")
        message = str(caught.value)
        assert "crawl.allow_networks" in message and words in message, message
        assert "\n" not in message


def test_no_control_endpoint_in_a_crawl_and_scrapy_pinned() -> None:
    from scrapy.utils.conf import build_component_list

    from monitor.config.loader import Config
    from monitor.settings import scrapy_settings

    settings = scrapy_settings(Config())
    assert not settings.getbool("TELNETCONSOLE_ENABLED")
    assert not settings.getbool("REMOTE_CONTROL_ENABLED")
    names = {
        path.rsplit(".", 1)[1] for path in build_component_list(settings.getwithbase("EXTENSIONS"))
    }
    assert "CoreStats" in names  # the list Scrapy builds its extensions from
    assert not names & {"TelnetConsole", "RemoteControl"}, names

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    pins = [d for d in project["project"]["dependencies"] if d.startswith("scrapy")]
    major, minor = version("scrapy").split(".")[:2]
    assert pins == [f"scrapy>={major}.{minor},<{major}.{int(minor) + 1}"]


# --- end to end: a hostile server -----------------------------------------------------------


class Listener:
    """A TCP listener that counts the connections it accepts (and answers nothing useful)."""

    def __init__(self, host: str, family: int = socket.AF_INET) -> None:
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


_WORDS = [
    "الطقس",
    "الرياضة",
    "الاقتصاد",
    "المدينة",
    "السوق",
    "الفريق",
    "المباراة",
    "الأسعار",
    "الحكومة",
    "المدرسة",
]
ARTICLE = (
    "<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
    + "".join(
        f"<p>{' '.join(_WORDS[i:] + _WORDS[:i])} في اليوم {i} من الشهر.</p>" for i in range(8)
    )
    + "</article></body></html>"
)


def rss(items: Sequence[str]) -> bytes:
    entries = "".join(
        f"<item><title>خبر {n}</title><link>{link}</link><guid>{link}</guid></item>"
        for n, link in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>hostile</title><link>http://127.0.0.1/</link>{entries}</channel></rss>"
    ).encode()


class Hostile:
    """An HTTP server on 127.0.0.1 whose feed points elsewhere. `routes` maps a path to
    (status, headers, body); "/chunked" streams `chunked_bytes` without a Content-Length."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.paths: list[str] = []
        self.chunked_bytes = 0
        hostile = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                hostile.paths.append(self.path)
                if self.path == "/chunked":
                    self._chunked()
                    return
                status, headers, body = hostile.routes.get(self.path, (404, {}, b"not here"))
                self.send_response(status)
                for key, value in {"Content-Type": "text/html; charset=utf-8", **headers}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _chunked(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b"<p>" + b"x" * 65536 + b"</p>"
                try:
                    for _ in range(hostile.chunked_bytes // len(chunk) + 1):
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.write(b"0\r\n\r\n")
                except OSError:
                    pass  # the client hung up, as it should

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client hanging up on a stream is expected here

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hostile() -> Iterator[Hostile]:
    server = Hostile()
    yield server
    server.close()


@pytest.fixture
def inside() -> Iterator[Listener]:
    try:
        listener = Listener("127.0.0.2")
    except OSError as exc:
        pytest.skip(f"cannot listen on 127.0.0.2 here: {exc}")
    yield listener
    listener.close()


def crawl(
    tmp_path: Path, feeds: Sequence[str], extra: str = ""
) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "rasad.toml"
    listed = ", ".join(json.dumps(f) for f in feeds)
    config.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path}/rasad.db"\n'
        f"[crawl]\ndownload_delay = 0\ndownload_timeout = 5\nretry_delay = 0\n{extra}\n"
        f'[[sources]]\nname = "hostile"\nfeeds = [{listed}]\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k != "RASAD_CONFIG"}
    env["XDG_STATE_HOME"] = str(tmp_path / "state")  # where Scrapy's job files would go
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli", "crawl", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env=env,
    )


def rows(tmp_path: Path, sql: str) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(tmp_path / "rasad.db")
    try:
        return list(db.execute(sql))
    finally:
        db.close()


@pytest.mark.slow
def test_a_hostile_feed_reaches_nothing_outside_the_allowed_networks(
    tmp_path: Path, hostile: Hostile, inside: Listener
) -> None:
    q = inside.port
    try:
        inside6: Listener | None = Listener("::1", socket.AF_INET6)
    except OSError:
        inside6 = None  # no IPv6 loopback here: the [::1] link still must be refused
    q6 = inside6.port if inside6 else q
    inside_urls = [
        f"http://127.0.0.2:{q}/direct",
        f"http://2130706434:{q}/decimal",
        f"http://0177.0.0.2:{q}/octal",
        f"http://0x7f000002:{q}/hex",
        f"http://[::1]:{q6}/ipv6-loopback",
        f"http://[::ffff:127.0.0.2]:{q}/ipv4-mapped",
        "http://10.0.0.1/private",
        "http://169.254.169.254/latest/meta-data/",
    ]
    redirecting = {
        "/redirect-inside": f"http://127.0.0.2:{q}/via-302",
        "/redirect-metadata": "http://169.254.169.254/via-302",
    }
    for path, target in redirecting.items():
        hostile.routes[path] = (302, {"Location": target}, b"")
    # Scrapy's redirect middleware itself does not follow a redirect to another scheme
    hostile.routes["/redirect-file"] = (302, {"Location": "file:///etc/passwd"}, b"")
    hostile.routes["/meta-refresh"] = (
        200,
        {},
        f'<html><head><meta http-equiv="refresh" content="0;url=http://127.0.0.2:{q}/via-meta">'
        "</head><body>moved</body></html>".encode(),
    )
    # spellings of 127.0.0.1 itself: inside the allowed network, so they are fetched
    allowed = [
        f"http://localhost:{hostile.port}/by-name",
        f"http://2130706433:{hostile.port}/by-number",
        hostile.url("/plain"),
    ]
    for link in allowed:
        hostile.routes[link.split(str(hostile.port), 1)[1]] = (
            200,
            {},
            ARTICLE.format(title="مقال").encode(),
        )
    hostile.chunked_bytes = 2_000_000
    links = [
        *inside_urls,
        *(hostile.url(p) for p in [*redirecting, "/meta-refresh", "/redirect-file"]),
        *allowed,
        hostile.url("/chunked"),
    ]
    hostile.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, rss(links))
    hostile.routes["/feed-moved"] = (301, {"Location": f"http://127.0.0.2:{q}/feed.xml"}, b"")

    result = crawl(
        tmp_path,
        [hostile.url("/feed.xml"), hostile.url("/feed-moved")],
        'allow_networks = ["127.0.0.1/32"]\nmax_page_bytes = 1000000\nmax_attempts = 1',
    )
    out = result.stdout
    assert inside.connections == 0, out
    if inside6 is not None:
        assert inside6.connections == 0, out
        inside6.close()
    # a configured feed redirected inside fails its source: exit 1, one line naming it
    assert result.returncode == 1, out + result.stderr
    assert (
        f"hostile: feed failed: {hostile.url('/feed-moved')}: forbidden destination: "
        "127.0.0.2 is a loopback address, not in [crawl] allow_networks"
    ) in out
    assert "Traceback" not in result.stderr and "ERROR" not in result.stderr, result.stderr
    failures = dict(rows(tmp_path, "SELECT url, last_error FROM entries WHERE state = 'failed'"))
    refused_links = [*inside_urls, *(hostile.url(p) for p in [*redirecting, "/meta-refresh"])]
    for link in refused_links:
        assert failures.get(link) == "forbidden_destination", (link, failures, out)
    assert failures.get(hostile.url("/chunked")) == "too_large", out
    assert failures.get(hostile.url("/redirect-file")) == "http_302"
    assert f"forbidden_destination ×{len(refused_links)}" in out
    assert f"refused http://127.0.0.2:{q}/direct: 127.0.0.2 is a loopback address" in out
    assert "more destinations refused: counted under forbidden_destination" in out
    stored = {url for (url,) in rows(tmp_path, "SELECT url FROM articles")}
    assert stored.isdisjoint(refused_links)
    # 127.0.0.1 however it is spelled is in the allowed network: fetched from this server
    assert {"/by-name", "/by-number", "/plain"} <= set(hostile.paths)
    for link in allowed:
        assert failures.get(link) != "forbidden_destination", link
    assert not any(p.startswith(("/direct", "/via-")) for p in hostile.paths)
    # nothing left behind for a control endpoint
    assert not list((tmp_path / "state").rglob("*.json"))

    # the refused pages are not re-queued forever: max_attempts = 1 gave up on them
    again = crawl(
        tmp_path,
        [hostile.url("/feed.xml")],
        'allow_networks = ["127.0.0.1/32"]\nmax_page_bytes = 1000000\nmax_attempts = 1',
    )
    assert inside.connections == 0
    assert "forbidden_destination" not in again.stdout, again.stdout


@pytest.mark.slow
def test_without_allow_networks_the_configured_feed_host_is_trusted(
    tmp_path: Path, hostile: Hostile, inside: Listener
) -> None:
    hostile.routes["/a"] = (200, {}, ARTICLE.format(title="أول").encode())
    links = [hostile.url("/a"), f"http://127.0.0.2:{inside.port}/b"]
    hostile.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, rss(links))
    result = crawl(tmp_path, [hostile.url("/feed.xml")])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "/feed.xml" in hostile.paths and "/a" in hostile.paths
    assert inside.connections == 0
    failures = dict(rows(tmp_path, "SELECT url, last_error FROM entries WHERE state = 'failed'"))
    assert failures == {links[1]: "forbidden_destination"}
    assert "forbidden_destination ×1" in result.stdout
    assert rows(tmp_path, "SELECT url, status FROM articles") == [(links[0], "off_topic")]

"""`rasad serve`: the web archive and the Atom feed over the store (monitor.web), read-only."""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import signal
import sys
import threading
from collections.abc import Iterator

import uvicorn

from monitor.cli._common import add_command
from monitor.config.loader import Config
from monitor.errors import UsageError

NETWORK_WARNING = (
    "rasad: serving on {host}: the archive is then reachable from the network; put it behind "
    "a reverse proxy with authentication (and TLS)"
)


def _port(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number") from None
    if not 1 <= number <= 65535:
        raise argparse.ArgumentTypeError("must be between 1 and 65535")
    return number


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = add_command(
        commands,
        "serve",
        summary="the web archive and Atom feed over the store",
        description=(
            "Serve a read-only, right-to-left web archive of the stored articles: latest "
            "stories, search, story and article pages, the coverage timeline (/coverage), "
            "feed health, JSON for every list, and an Atom feed. Bound to 127.0.0.1 unless "
            "--host says otherwise."
        ),
        examples=("rasad serve", "rasad serve --port 8000", "rasad serve --host 0.0.0.0"),
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8080, help="port (default 8080)")
    serve.set_defaults(handler=run)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _Server(uvicorn.Server):
    """uvicorn's server, stopping on SIGTERM/SIGINT without re-raising the signal after."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in _SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def run(args: argparse.Namespace, config: Config) -> int:
    from monitor.web import create_app  # here: monitor.web imports monitor.cli's helpers

    app = create_app(config)  # StoreMissing (exit 2) before anything listens
    if not is_loopback(args.host):
        print(NETWORK_WARNING.format(host=args.host), file=sys.stderr)
    server = _Server(
        uvicorn.Config(
            app, host=args.host, port=args.port, log_level="warning", server_header=False
        )
    )
    try:
        server.run()
    except SystemExit as exc:  # uvicorn exits 1 when it cannot bind
        raise UsageError(
            f"cannot listen on {args.host}:{args.port} (in use, or not allowed)"
        ) from exc
    if not server.started:
        raise UsageError(f"cannot listen on {args.host}:{args.port} (in use, or not allowed)")
    return 0

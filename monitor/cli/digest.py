"""`rasad digest`: email each recipient the stories stored since their last digest.

Per recipient, in this order, each step one store transaction:

1. a digest begun and never finished (the process was killed while talking to the server)
   is sent again, as the very same message (same Message-ID): its articles are never put
   into a second, different message;
2. the articles no digest has given them (`DigestLog.undelivered`) become a `Digest`; it is
   *begun* (its message and articles recorded, so nothing can take them twice), handed to
   the SMTP server, then *finished*: kept when the server accepted it, forgotten (the
   articles go back to the next digest) when it refused or could not be reached.

The one window in which a recipient can receive a message twice is a kill between the
server's "250 accepted" and the commit right after it; the copy then has the same
Message-ID, which mail clients fold into one.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from email.utils import make_msgid
from typing import Protocol

from monitor.cli._common import add_command, existing_store, when, writable
from monitor.config.loader import Config, smtp_password
from monitor.deliver.digest import Digest, build_digest
from monitor.deliver.digest_render import text_part
from monitor.deliver.mail import MailError, SMTPConnection, compose, domain_of
from monitor.errors import UsageError
from monitor.schedule.locks import pid_lock
from store import Store, lock_file

SECRET_KEY = "digest.secret"  # KeyValue: signs the one-click unsubscribe links


class Sender(Protocol):
    def send(self, message: bytes, sender: str, recipient: str) -> None: ...


Connect = Callable[[], AbstractContextManager[Sender]]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    digest = add_command(
        commands,
        "digest",
        summary="email the stories stored since the last digest",
        description=(
            "Email each recipient in [digest] recipients one message: the stories stored "
            "since their last digest, one entry per story with who else reported it. "
            "Nothing new: no mail. An SMTP failure marks nothing sent (exit 1): the next "
            "digest includes those stories."
        ),
        examples=(
            "rasad digest",
            "rasad digest --dry-run -o digest.eml",
            "rasad digest --since 7d --to analyst@example.org",
        ),
    )
    digest.add_argument(
        "-n",
        "--dry-run",
        action="store_true",
        help="build the message but send nothing and mark nothing (prints its text part)",
    )
    digest.add_argument(
        "-o", "--output", metavar="FILE", help="with --dry-run: write the message (.eml) here"
    )
    digest.add_argument(
        "-s",
        "--since",
        metavar="WHEN",
        type=when,
        help="resend: every story fetched since WHEN (2026-11-01, 24h, 7d), sent before or not",
    )
    digest.add_argument(
        "--to",
        metavar="ADDRESS",
        action="append",
        help="only this recipient (one of [digest] recipients; repeat for several)",
    )
    digest.set_defaults(handler=run)


def run(args: argparse.Namespace, config: Config) -> int:
    settings = config.digest
    recipients = _recipients(args.to, config)
    if args.output and not args.dry_run:
        raise UsageError("--output writes the message instead of sending it: add --dry-run")
    password = smtp_password()
    if settings.smtp_user and not password and not args.dry_run:
        raise UsageError(
            "digest.smtp_user is set but $RASAD_SMTP_PASSWORD is empty: export the password "
            "(it is never read from the config file)"
        )
    if args.output:
        writable(args.output)
    store = existing_store(config)
    try:
        if args.dry_run:
            return _dry_run(store, config, recipients[0], args)
        with pid_lock(
            lock_file(config.store_url, "digest"),
            "another digest is running on this store; this one sent nothing",
        ):
            return send_digests(
                store,
                config,
                recipients,
                lambda: SMTPConnection(settings, password),
                since=args.since,
            )
    finally:
        store.close()


def _recipients(wanted: list[str] | None, config: Config) -> list[str]:
    configured = list(config.digest.recipients)
    where = f" in {config.path}" if config.path else ""
    if not configured:
        raise UsageError(
            f'no digest recipients{where}: set [digest] recipients = ["you@example.org"]'
        )
    if not wanted:
        return configured
    lowered = {address.lower(): address for address in configured}
    strangers = [address for address in wanted if address.lower() not in lowered]
    if strangers:
        raise UsageError(
            f"--to {strangers[0]}: not one of [digest] recipients ({', '.join(configured)})"
        )
    return [lowered[address.lower()] for address in wanted]


def _secret(store: Store) -> bytes:
    value = store.get_state(SECRET_KEY)
    if value is None:
        value = secrets.token_hex(32)
        store.set_state(SECRET_KEY, value)
    return bytes.fromhex(value)


def plan(
    store: Store, config: Config, recipient: str, since: datetime | None, now: datetime
) -> Digest:
    """The digest `recipient` would get now (nothing recorded)."""
    outlets = {source.name: source.title or source.name for source in config.sources}
    return build_digest(
        store.undelivered(recipient, since=since),
        recipient=recipient,
        until=now,
        since=since or store.last_digest(recipient),
        outlets=outlets,
        topics=config.digest.topics_of(recipient),
    )


def _dry_run(store: Store, config: Config, recipient: str, args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    digest = plan(store, config, recipient, args.since, now)
    if not digest:
        print(f"digest: nothing new for {recipient}; no message (dry run)")
        return 0
    message = compose(digest, config.digest, secret=_secret(store), when=now)
    if args.output:
        with open(args.output, "wb") as handle:
            handle.write(bytes(message))
        print(
            f"digest: wrote the message for {recipient} to {args.output} ({_counts(digest)});"
            " nothing sent, nothing marked"
        )
    else:
        sys.stdout.write(text_part(digest, "…"))
    return 0


def _counts(digest: Digest) -> str:
    return f"{len(digest.entries)} stories, {digest.articles} articles, {digest.outlets} outlets"


def send_digests(
    store: Store,
    config: Config,
    recipients: list[str],
    connect: Connect,
    *,
    since: datetime | None = None,
) -> int:
    """Send each recipient their digest over one SMTP session; 1 when any was not sent."""
    settings = config.digest
    now = datetime.now(UTC)
    unfinished = [u for u in store.unfinished_digests() if u[0] in recipients]
    digests = [plan(store, config, r, since, now) for r in recipients]
    for digest in digests:
        if not digest and digest.passed:  # only stories their topics leave out: no mail
            store.begin_digest(
                digest.recipient,
                make_msgid("passed", domain_of(settings.sender)),
                None,
                (),
                digest.passed,
                now,
            )
    to_send = [d for d in digests if d]
    for digest in digests:
        if not digest:
            print(f"digest: nothing new for {digest.recipient}")
    if not to_send and not unfinished:
        return 0
    secret = _secret(store)
    failed = 0
    try:
        with connect() as smtp:
            for recipient, message_id, raw in unfinished:
                if _deliver(store, smtp, settings.sender, recipient, message_id, raw):
                    print(f"digest: sent {recipient} the digest interrupted earlier ({message_id})")
                else:
                    failed += 1
            for digest in to_send:
                message = compose(digest, settings, secret=secret, when=now)
                message_id, raw = str(message["Message-ID"]), bytes(message)
                store.begin_digest(
                    digest.recipient, message_id, raw, digest.shown, digest.passed, now
                )
                if _deliver(store, smtp, settings.sender, digest.recipient, message_id, raw):
                    print(f"digest: sent {digest.recipient} {_counts(digest)}")
                else:
                    failed += 1
    except MailError as exc:  # could not connect or log in: nothing was begun after this
        for digest in to_send:
            print(
                f"rasad: digest to {digest.recipient} not sent: {exc}; nothing marked sent,"
                " the next digest includes these stories",
                file=sys.stderr,
            )
        return 1
    return 1 if failed else 0


def _deliver(
    store: Store, smtp: Sender, sender: str, recipient: str, message_id: str, raw: bytes
) -> bool:
    """Send one begun digest and finish it: True when the server accepted it."""
    try:
        smtp.send(raw, sender, recipient)
    except MailError as exc:
        store.finish_digest(message_id, sent=False)
        print(
            f"rasad: digest to {recipient} not sent: {exc}; nothing marked sent,"
            " the next digest includes these stories",
            file=sys.stderr,
        )
        return False
    store.finish_digest(message_id, sent=True)
    return True

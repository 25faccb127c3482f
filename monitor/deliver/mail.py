"""The digest as an email, and the SMTP conversation that delivers it.

`compose` builds the message: multipart/alternative, the text part first and the HTML part
last (clients show the last part they can render), an Arabic subject encoded per RFC 2047,
and the headers a list message needs: Message-ID, Date, List-Id, Auto-Submitted (RFC 3834,
so auto-responders stay quiet), List-Unsubscribe with one-click (RFC 8058) when an HTTPS
endpoint is configured, `mailto:` the sender otherwise.

`SMTPConnection` is the one place that talks SMTP (`smtplib`): `security` none, starttls
or ssl (certificates verified against the system's CAs, or `$SSL_CERT_FILE`), a login from
`smtp_user` and the password the config loader read from `$RASAD_SMTP_PASSWORD`. Every
failure becomes a `MailError` of one line that says what the server did.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, make_msgid
from types import TracebackType
from urllib.parse import urlencode

from monitor.config.loader import DigestSettings
from monitor.deliver.digest import Digest
from monitor.deliver.digest_render import html_part, subject, text_part
from monitor.errors import RasadError

__all__ = ["MailError", "SMTPConnection", "compose", "unsubscribe_token"]

SENDER_NAME = "رصد"


class MailError(RasadError):
    """The SMTP server could not be reached, or refused the login, the sender, a recipient
    or the message; the message says which, in one line."""


def domain_of(address: str) -> str:
    return address.rpartition("@")[2] or "localhost"


def unsubscribe_token(secret: bytes, recipient: str) -> str:
    """What proves that an unsubscribe request comes from the recipient's own message."""
    return hmac.new(secret, recipient.lower().encode("utf-8"), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class Unsubscribe:
    """The List-Unsubscribe targets of one recipient's message."""

    mailto: str
    https: str | None = None

    @property
    def shown(self) -> str:
        """The one link the message's footer offers."""
        return self.https or self.mailto


def unsubscribe_for(
    settings: DigestSettings, recipient: str, secret: bytes, list_id: str
) -> Unsubscribe:
    mailto = f"mailto:{settings.sender}?subject=unsubscribe"
    if not settings.unsubscribe_url:
        return Unsubscribe(mailto)
    query = urlencode({"list": list_id, "r": recipient, "t": unsubscribe_token(secret, recipient)})
    join = "&" if "?" in settings.unsubscribe_url else "?"
    return Unsubscribe(mailto, f"{settings.unsubscribe_url}{join}{query}")


def compose(
    digest: Digest,
    settings: DigestSettings,
    *,
    secret: bytes,
    when: datetime,
    message_id: str | None = None,
) -> EmailMessage:
    """The digest for `digest.recipient` as a complete message, ready to send or save."""
    domain = domain_of(settings.sender)
    list_id = f"digest.rasad.{domain}"
    unsubscribe = unsubscribe_for(settings, digest.recipient, secret, list_id)
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = subject(digest)
    msg["From"] = formataddr((SENDER_NAME, settings.sender))
    msg["To"] = digest.recipient
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = message_id or make_msgid("digest", domain=domain)
    msg["List-Id"] = f"rasad digest <{list_id}>"
    msg["Auto-Submitted"] = "auto-generated"
    msg["Precedence"] = "bulk"
    msg["X-Auto-Response-Suppress"] = "All"  # Outlook: no out-of-office replies
    msg["Content-Language"] = "ar"
    if unsubscribe.https:
        msg["List-Unsubscribe"] = f"<{unsubscribe.https}>, <{unsubscribe.mailto}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    else:
        msg["List-Unsubscribe"] = f"<{unsubscribe.mailto}>"
    msg.set_content(text_part(digest, unsubscribe.shown), charset="utf-8")
    msg.add_alternative(html_part(digest, unsubscribe.shown), subtype="html", charset="utf-8")
    return msg


class SMTPConnection:
    """One SMTP session: `with SMTPConnection(settings, password) as smtp: smtp.send(...)`."""

    def __init__(self, settings: DigestSettings, password: str | None) -> None:
        self.settings = settings
        self.password = password
        self._smtp: smtplib.SMTP | None = None

    @property
    def where(self) -> str:
        return f"{self.settings.smtp_host}:{self.settings.smtp_port}"

    def __enter__(self) -> SMTPConnection:
        s = self.settings
        try:
            if s.security == "ssl":
                self._smtp = smtplib.SMTP_SSL(
                    s.smtp_host, s.smtp_port, timeout=s.smtp_timeout, context=_tls()
                )
            else:
                self._smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
            if s.security == "starttls":
                self._smtp.starttls(context=_tls())
            if s.smtp_user:
                self._smtp.login(s.smtp_user, self.password or "")
        except BaseException as exc:
            self._drop()
            if isinstance(exc, OSError):  # smtplib's exceptions are OSErrors too
                raise MailError(self.explain(exc)) from None
            raise
        return self

    def send(self, message: bytes, sender: str, recipient: str) -> None:
        """Hand one message to the server; returns once the server has accepted it."""
        if self._smtp is None:
            raise MailError(f"not connected to the SMTP server {self.where}")
        try:
            self._smtp.sendmail(sender, [recipient], message)
        except OSError as exc:  # smtplib's exceptions are OSErrors too
            if isinstance(exc, smtplib.SMTPServerDisconnected) or not isinstance(
                exc, smtplib.SMTPException
            ):
                self._drop()  # the session is gone; a refused recipient leaves it usable
            raise MailError(self.explain(exc)) from None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._smtp is not None:
            # the message was accepted (or not) before: a failed QUIT changes nothing
            with contextlib.suppress(OSError):
                self._smtp.quit()
            self._drop()

    def _drop(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(OSError):
                self._smtp.close()
            self._smtp = None

    def explain(self, exc: BaseException) -> str:
        """One line saying what went wrong with the SMTP server."""
        s, where = self.settings, self.where
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return f"the SMTP server {where} refused the login of {s.smtp_user}: {_reply(exc)}"
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            (address, (code, text)), *_ = exc.recipients.items()
            return f"the SMTP server {where} refused the recipient {address}: {code} {_text(text)}"
        if isinstance(exc, smtplib.SMTPSenderRefused):
            return f"the SMTP server {where} refused the sender {exc.sender}: {_reply(exc)}"
        if isinstance(exc, smtplib.SMTPDataError):
            return f"the SMTP server {where} refused the message: {_reply(exc)}"
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            what = "STARTTLS" if s.security == "starttls" else "AUTH (a login)"
            return f"the SMTP server {where} does not offer {what}; check digest.security"
        timed_out = isinstance(exc, TimeoutError) or "timed out" in str(exc)
        if timed_out:  # smtplib turns a timeout while reading a reply into a disconnection
            return f"the SMTP server {where} did not answer within {s.smtp_timeout:g}s"
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            return f"the SMTP server {where} closed the connection before accepting the message"
        if isinstance(exc, smtplib.SMTPResponseException):
            return f"the SMTP server {where} answered {_reply(exc)}"
        if isinstance(exc, ssl.SSLError):
            return f"TLS with the SMTP server {where} failed: {exc.reason or exc}"
        if isinstance(exc, ConnectionRefusedError):
            return (
                f"the SMTP server {where} refused the connection; is it running? "
                "(digest.smtp_host, digest.smtp_port)"
            )
        if isinstance(exc, socket.gaierror):
            return f"cannot resolve the SMTP host {s.smtp_host!r} (digest.smtp_host)"
        if isinstance(exc, OSError):
            return f"cannot talk to the SMTP server {where}: {exc.strerror or exc}"
        return f"SMTP error with {where}: {exc}"


def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()


def _text(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return " ".join(text.split())


def _reply(exc: smtplib.SMTPResponseException) -> str:
    return f"{exc.smtp_code} {_text(exc.smtp_error)}"

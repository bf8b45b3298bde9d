"""The SMTP backend: smtplib, STARTTLS or implicit TLS or none, optional login.

One connection is opened at the start and reused for every message; a
connection the server dropped is reopened. Each message is one SMTP
transaction (MAIL, RCPT, DATA). Until the final ``.`` of DATA is written the
server cannot have accepted the mail, so an error before it means "retry";
a lost answer after it means "uncertain" (see :mod:`digest.deliver.ledger`).
The password comes from ``DIGEST_SMTP_PASSWORD`` only.
"""

from __future__ import annotations

import contextlib
import os
import re
import smtplib
import ssl
from typing import TYPE_CHECKING, Self

from digest.deliver import Addressee, Backend, Batch, Outcome, Result, personal_message, register
from digest.deliver.message import message_bytes
from digest.errors import DeliveryError

if TYPE_CHECKING:
    from digest.config import Config, SmtpConfig

PASSWORD_ENV = "DIGEST_SMTP_PASSWORD"
_LINE_START_DOT = re.compile(rb"(?m)^\.")


class _Dropped(Exception):
    """The connection broke before the message was complete: nothing was sent."""


def dot_stuffed(data: bytes) -> bytes:
    """DATA payload: leading dots doubled, CRLF-terminated, then ``.`` CRLF."""
    data = _LINE_START_DOT.sub(b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


def refusal(code: int, reply: bytes | str, what: str) -> Result:
    """A 4xx reply is worth retrying; anything else is final."""
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else reply
    reason = f"SMTP server refused {what}: {code} {' '.join(text.split())}"
    return Result(Outcome.RETRY if 400 <= code < 500 else Outcome.FAILED, reason)


def refuse_plaintext_login(settings: SmtpConfig) -> None:
    """A login needs TLS: over ``security = "none"`` the password would cross the
    network readable, unless ``allow_plaintext_login`` says so (a local relay)."""
    if settings.username and settings.security == "none" and not settings.allow_plaintext_login:
        raise DeliveryError(
            f"Config value 'delivery.smtp.username': {settings.username!r} would log in over "
            'security = "none", sending the password in clear; use "starttls" or "ssl", '
            "or set delivery.smtp.allow_plaintext_login = true for a trusted local relay"
        )


@register
class SmtpBackend(Backend):
    """Sends one message per recipient over a reused SMTP connection."""

    name = "smtp"
    claim_size = 50
    batch_size = 1  # marked "sending" one by one: an interruption leaves at most one uncertain

    def __init__(
        self,
        settings: SmtpConfig,
        *,
        password: str | None = None,
        context: ssl.SSLContext | None = None,
    ) -> None:
        self.settings = settings
        self.password = password
        self.context = context
        self._conn: smtplib.SMTP | None = None
        self._eight_bit = False  # until a server offers 8BITMIME, parts are quoted-printable

    @classmethod
    def from_config(cls, config: Config) -> Self:
        settings = config.delivery.smtp
        refuse_plaintext_login(settings)
        password = os.environ.get(PASSWORD_ENV) or None
        if settings.username and password is None:
            raise DeliveryError(
                f"Config value 'delivery.smtp.username' is {settings.username!r} but "
                f"{PASSWORD_ENV} is not set: export the SMTP password"
            )
        return cls(settings, password=password)

    @property
    def where(self) -> str:
        return f"SMTP server {self.settings.host}:{self.settings.port}"

    def open(self) -> None:
        try:
            self._connection()
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(
                f"{self.where} ({self.settings.security}) cannot be reached: {exc}; "
                "check [delivery.smtp] host, port and security"
            ) from exc

    def _connect(self) -> smtplib.SMTP:
        s, timeout = self.settings, self.settings.timeout
        context = self.context or ssl.create_default_context()
        if s.security == "ssl":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=timeout, context=context)
        else:
            conn = smtplib.SMTP(s.host, s.port, timeout=timeout)
        try:
            conn.ehlo()
            if s.security == "starttls":
                conn.starttls(context=context)
                conn.ehlo()
            if s.username:
                refuse_plaintext_login(s)
                conn.login(s.username, self.password or "")
            self._eight_bit = conn.has_extn("8bitmime")
        except BaseException:
            conn.close()
            raise
        return conn

    def _connection(self) -> smtplib.SMTP:
        if self._conn is None:
            try:
                self._conn = self._connect()
            except smtplib.SMTPAuthenticationError as exc:
                raise DeliveryError(
                    f"{self.where} refused the login of {self.settings.username!r}: "
                    f"{exc.smtp_code}; check delivery.smtp.username and {PASSWORD_ENV}"
                ) from exc
            except smtplib.SMTPNotSupportedError as exc:
                raise DeliveryError(
                    f"{self.where}: {exc}; check delivery.smtp.security and username"
                ) from exc
        return self._conn

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
        self._conn = None

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.quit()
        self._drop()

    def send(self, batch: Batch) -> dict[int, Result]:
        sender = batch.sender.from_.addr_spec
        results: dict[int, Result] = {}
        for to in batch.recipients:
            message = personal_message(batch, to, seven_bit=not self._eight_bit)
            results[to.subscriber_id] = self._send_one(sender, to, message_bytes(message))
        return results

    def _send_one(self, sender: str, to: Addressee, data: bytes) -> Result:
        problem = ""
        for _ in range(2):  # a connection that went stale gets one fresh try at once
            try:
                return self._transact(self._connection(), sender, to.email, data)
            except _Dropped as exc:
                self._drop()
                problem = f"connection to {self.where} lost before the message was sent: {exc}"
            except (OSError, smtplib.SMTPException) as exc:
                self._drop()
                return Result(Outcome.RETRY, f"{self.where} cannot be reached: {exc}")
        return Result(Outcome.RETRY, problem)

    def _transact(self, conn: smtplib.SMTP, sender: str, rcpt: str, data: bytes) -> Result:
        try:
            code, reply = conn.mail(sender, ["BODY=8BITMIME"] if self._eight_bit else [])
            what = f"the sender {sender}"
            if code == 250:
                code, reply = conn.rcpt(rcpt)
                what = f"the recipient {rcpt}"
            if code in (250, 251):
                code, reply = conn.docmd("DATA")
                what = "the message"
            if code != 354:
                self._abandon(conn, code)
                return refusal(code, reply, what)
            conn.send(dot_stuffed(data))
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise _Dropped(str(exc) or type(exc).__name__) from exc
        try:
            code, reply = conn.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            reason = f"no answer from {self.where} after the whole message was sent: {exc}"
            return Result(Outcome.UNCERTAIN, reason)
        if code == 250:
            return Result(Outcome.SENT)
        self._abandon(conn, code)
        return refusal(code, reply, "the message")

    def _abandon(self, conn: smtplib.SMTP, code: int) -> None:
        """After a refusal: reset the transaction, or drop a connection the server closes."""
        if code == 421:
            self._drop()
            return
        try:
            conn.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

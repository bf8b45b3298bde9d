"""Real SMTP servers (aiosmtpd) on 127.0.0.1 that record every message they accept.

Three flavours: plain (AUTH offered but optional), STARTTLS (TLS then AUTH required)
and implicit TLS ("ssl", AUTH required). TLS uses a throwaway CA and a server
certificate for ``localhost``/``127.0.0.1`` made once per session with ``cryptography``;
clients trust it through ``tls_files.ca_cert`` or ``tls_files.client_context()``.

Fixtures: ``tls_files`` (session), ``make_smtp_server`` (factory), ``smtp_server``,
``smtp_server_starttls``, ``smtp_server_ssl``.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal, cast

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.support import free_port

Security = Literal["none", "starttls", "ssl"]
USERNAME = "digest"
PASSWORD = "s3cret-smtp"


@dataclass(frozen=True)
class TlsFiles:
    """PEM files: ``ca_cert`` for clients to trust, ``cert``/``key`` for the server."""

    ca_cert: Path
    cert: Path
    key: Path

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts this test CA (hostname checked)."""
        return ssl.create_default_context(cafile=str(self.ca_cert))

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(self.cert), str(self.key))
        return context


def _certificate(
    subject: str, key: ec.EllipticCurvePrivateKey, issuer: tuple[str, ec.EllipticCurvePrivateKey]
) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer[0])]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer[1].public_key()), False
        )
    )


def make_tls_files(directory: Path) -> TlsFiles:
    """Write a test CA and a server certificate for localhost/127.0.0.1 into ``directory``."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("digest test CA", ca_key, ("digest test CA", ca_key))
    ca = ca.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
    ca = ca.add_extension(_key_usage(cert_sign=True), critical=True)
    ca_cert = ca.sign(ca_key, hashes.SHA256())
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    leaf = _certificate("localhost", key, ("digest test CA", ca_key))
    leaf = leaf.add_extension(x509.SubjectAlternativeName(names), critical=False)
    leaf = leaf.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    leaf = leaf.add_extension(_key_usage(cert_sign=False), critical=True)
    leaf = leaf.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
    files = TlsFiles(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    files.ca_cert.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.cert.write_bytes(
        leaf.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)
    )
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


def _key_usage(cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


@dataclass(frozen=True)
class ReceivedMessage:
    """One accepted message: envelope, raw bytes, parsed message, and who logged in."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage
    login: str | None
    tls: bool


class RecordingHandler:
    """aiosmtpd handler that stores messages; can refuse recipients or fail DATA."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[ReceivedMessage] = []
        self.reject_recipients: set[str] = set()
        self.queued_failures: list[str] = []

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address.lower() in self.reject_recipients:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.lock:
            if self.queued_failures:
                return self.queued_failures.pop(0)
        raw = cast(bytes, envelope.original_content or envelope.content)
        message = email.message_from_bytes(raw, policy=email.policy.default)
        login = session.login_data.decode() if session.login_data else None
        received = ReceivedMessage(
            mail_from=envelope.mail_from or "",
            rcpt_tos=list(envelope.rcpt_tos),
            raw=raw,
            message=message,
            login=login,
            tls=session.ssl is not None or _over_tls(server),
        )
        with self.lock:
            self.messages.append(received)
        return "250 2.0.0 Message accepted for delivery"


def _over_tls(server: SMTP) -> bool:
    """True on an implicit-TLS connection (aiosmtpd sets ``session.ssl`` only for STARTTLS)."""
    transport = server.transport
    return transport is not None and transport.get_extra_info("ssl_object") is not None


class SmtpServer:
    """A running aiosmtpd server with recorded ``messages``; see the fixtures."""

    def __init__(
        self,
        security: Security = "none",
        auth: tuple[str, str] | None = (USERNAME, PASSWORD),
        auth_required: bool | None = None,
        tls_files: TlsFiles | None = None,
    ) -> None:
        if security != "none" and tls_files is None:
            raise ValueError(f"security={security!r} needs tls_files")
        self.host = "127.0.0.1"
        self.port = free_port()
        self.security = security
        self.username: str | None = auth[0] if auth else None
        self.password: str | None = auth[1] if auth else None
        self.tls_files = tls_files
        self.handler = RecordingHandler()
        self._controller = Controller(
            self.handler,
            hostname=self.host,
            port=self.port,
            ssl_context=tls_files.server_context() if security == "ssl" and tls_files else None,
            **self._smtp_options(auth_required),
        )

    def _smtp_options(self, auth_required: bool | None) -> dict[str, Any]:
        options: dict[str, Any] = {"auth_require_tls": self.security == "starttls"}
        if self.security == "starttls" and self.tls_files:
            options.update(tls_context=self.tls_files.server_context(), require_starttls=True)
        if self.username is not None:
            options["authenticator"] = self._authenticate
            options["auth_required"] = (
                self.security != "none" if auth_required is None else auth_required
            )
        return options

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == self.username
            and data.password.decode() == self.password
        )
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    @property
    def messages(self) -> list[ReceivedMessage]:
        """Messages accepted so far, in order (a copy)."""
        with self.handler.lock:
            return list(self.handler.messages)

    def recipients(self) -> list[str]:
        """Every envelope recipient of every accepted message, repeats kept."""
        return [rcpt for message in self.messages for rcpt in message.rcpt_tos]

    def reject(self, *addresses: str) -> None:
        """Answer RCPT TO for these addresses with 550 (permanent failure)."""
        self.handler.reject_recipients.update(a.lower() for a in addresses)

    def fail_next(self, reply: str = "451 4.3.0 Try again later", n: int = 1) -> None:
        """Answer the next ``n`` DATA commands with ``reply`` instead of accepting."""
        with self.handler.lock:
            self.handler.queued_failures.extend([reply] * n)


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A test CA plus server certificate/key for localhost and 127.0.0.1 (``TlsFiles``).

    Trust it with ``ssl.create_default_context(cafile=str(tls_files.ca_cert))`` or
    ``tls_files.client_context()``.
    """
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def make_smtp_server(tls_files: TlsFiles) -> Iterator[Callable[..., SmtpServer]]:
    """Factory ``make_smtp_server(security="none"|"starttls"|"ssl", auth=(user, pw) | None,
    auth_required=None) -> SmtpServer``, started; every server is stopped after the test.
    ``auth_required=None`` means: required with TLS, optional on a plain server.
    """
    servers: list[SmtpServer] = []

    def make(
        security: Security = "none",
        auth: tuple[str, str] | None = (USERNAME, PASSWORD),
        auth_required: bool | None = None,
    ) -> SmtpServer:
        server = SmtpServer(security, auth, auth_required, tls_files).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def smtp_server(make_smtp_server: Callable[..., SmtpServer]) -> SmtpServer:
    """Plain SMTP on 127.0.0.1 (``server.host``, ``server.port``); AUTH PLAIN/LOGIN is
    offered but optional, with ``server.username`` / ``server.password``. Accepted
    mail is in ``server.messages`` (``ReceivedMessage``: mail_from, rcpt_tos, raw,
    message, login, tls).
    """
    return make_smtp_server("none")


@pytest.fixture
def smtp_server_starttls(make_smtp_server: Callable[..., SmtpServer]) -> SmtpServer:
    """SMTP that requires STARTTLS and then AUTH; trust ``server.tls_files.ca_cert``."""
    return make_smtp_server("starttls")


@pytest.fixture
def smtp_server_ssl(make_smtp_server: Callable[..., SmtpServer]) -> SmtpServer:
    """SMTP over implicit TLS (SMTPS), AUTH required; trust ``server.tls_files.ca_cert``."""
    return make_smtp_server("ssl")

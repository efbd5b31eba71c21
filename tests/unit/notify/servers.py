"""Real servers on loopback for the notify tests: an HTTP echo/webhook server and an SMTP server."""

from __future__ import annotations

import datetime
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    delay: float = 0.0
    chunked: bool = False


class LoopbackHTTP:
    """A threaded HTTP server on loopback: answers every request with ``answer`` and keeps it.

    Used as an echo service (GET: the body is the "caller's address") and as a webhook
    receiver (POST: the body is recorded).
    """

    def __init__(self, host: str = "127.0.0.1", certificate: Certificate | None = None) -> None:
        self.answer = Answer()
        self.received: list[Received] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with outer._lock:
                    outer.received.append(
                        Received(
                            self.command,
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                        )
                    )
                    answer = outer.answer
                if answer.delay:
                    time.sleep(answer.delay)
                self.send_response(answer.status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Connection", "close")
                if answer.chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    half = len(answer.body) // 2
                    for part in (answer.body[:half], answer.body[half:]):
                        if part:
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)

            do_GET = _serve
            do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server_class = type(
            "Server",
            (ThreadingHTTPServer,),
            {
                "address_family": socket.AF_INET6 if ":" in host else socket.AF_INET,
                "daemon_threads": True,
            },
        )
        self.httpd = server_class((host, 0), Handler)
        self.scheme = "http"
        if certificate is not None:
            self.scheme = "https"
            self.httpd.socket = certificate.server_context().wrap_socket(
                self.httpd.socket, server_side=True
            )
        self.host = host
        self.port: int = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}/"

    def set(self, body: bytes | str = b"", status: int = 200, **kwargs: Any) -> None:
        """Answer every next request with this."""
        if isinstance(body, str):
            body = body.encode()
        with self._lock:
            self.answer = Answer(status=status, body=body, **kwargs)

    def requests(self, method: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.received if method is None or r.method == method]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def closed_port_url() -> str:
    """An http URL on loopback where nothing listens."""
    return f"http://127.0.0.1:{free_port()}/"


@dataclass
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


def make_certificate(directory: Path) -> Certificate:
    """A throwaway self-signed certificate for 127.0.0.1 and localhost."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "carnet test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Certificate(cert_path, key_path)


@dataclass
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    @property
    def message(self) -> Any:
        import email
        import email.policy

        return email.message_from_bytes(self.content, policy=email.policy.default)


@dataclass
class SMTPServer:
    """An aiosmtpd server on loopback that keeps every mail it accepts."""

    port: int
    mails: list[Mail] = field(default_factory=list)
    logins: list[tuple[str, bool]] = field(default_factory=list)
    stop: Callable[[], None] = lambda: None

    def wait_for_mail(self, count: int = 1, timeout: float = 10) -> list[Mail]:
        deadline = time.monotonic() + timeout
        while len(self.mails) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.mails)


def start_smtp(
    *,
    mode: str,
    certificate: Certificate | None = None,
    user: str = "alice",
    password: str = "s3cret-pass",
) -> SMTPServer:
    """``mode``: "starttls" (offers and requires STARTTLS), "tls" (implicit TLS) or "plain"
    (no TLS, no AUTH)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    port = free_port()
    server = SMTPServer(port=port)

    class Handler:
        async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
            server.mails.append(
                Mail(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    envelope.original_content or envelope.content,
                )
            )
            return "250 OK"

    def authenticator(
        smtp: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        server.logins.append((auth_data.login.decode(), ok))
        return AuthResult(success=ok, handled=False)

    kwargs: dict[str, Any] = {"hostname": "127.0.0.1", "port": port}
    if mode == "starttls":
        assert certificate is not None
        kwargs.update(
            tls_context=certificate.server_context(),
            require_starttls=True,
            authenticator=authenticator,
            auth_require_tls=True,
        )
    elif mode == "tls":
        assert certificate is not None
        kwargs.update(
            ssl_context=certificate.server_context(),
            authenticator=authenticator,
            auth_require_tls=False,
            server_hostname="localhost",
        )
    controller = Controller(Handler(), **kwargs)
    controller.start()
    server.stop = controller.stop
    return server

"""The ways a notification reaches the user: email over SMTP, and a webhook (HTTP POST of JSON)."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from carnet.errors import ConfigError
from carnet.notify import DeliveryFailed
from carnet.notify.http import HttpError, describe, make_ssl_context, request
from carnet.notify.message import Notice
from carnet.notify.secrets import resolve_secret
from carnet.settings import NotifySettings, Secret

if TYPE_CHECKING:
    import ssl
    from email.message import EmailMessage

_LOOPBACK = ("localhost", "127.0.0.1", "::1")
_SMTP_PORTS = {"starttls": 587, "tls": 465, "none": 25}


class Channel(Protocol):
    name: str

    async def send(self, notice: Notice) -> None:
        """Deliver ``notice``; raise ``DeliveryFailed`` with a message that says what went wrong."""
        ...


class EmailChannel:
    """Email through an SMTP server: STARTTLS, implicit TLS, or plain for a local relay."""

    name = "email"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: str,
        user: str,
        password: Secret | None,
        password_file: str,
        sender: str,
        recipients: tuple[str, ...],
        timeout: float,
        ssl_context: ssl.SSLContext | None,
    ) -> None:
        self.host = host
        self.port = port or _SMTP_PORTS[security]
        self.security = security
        self.user = user
        self._password = password
        self._password_file = password_file
        self.sender = sender
        self.recipients = recipients
        self.timeout = timeout
        self._ssl_context = ssl_context

    async def send(self, notice: Notice) -> None:
        """Send ``notice`` as an email (smtplib, in a worker thread)."""
        password: Secret | None = None
        if self.user:
            try:
                password = resolve_secret(self._password, self._password_file)
            except ConfigError as exc:
                raise DeliveryFailed(exc.message) from exc
            if password is None:
                raise DeliveryFailed(
                    "notify.smtp_user is set but there is no password: set "
                    "CARNET_NOTIFY_SMTP_PASSWORD or notify.smtp_password_file"
                )
        await asyncio.to_thread(self._send_blocking, self._compose(notice), password)

    def _compose(self, notice: Notice) -> EmailMessage:
        from email.message import EmailMessage
        from email.utils import formatdate, make_msgid

        msg = EmailMessage()
        msg["Subject"] = notice.subject
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.recipients)
        msg["Date"] = formatdate(localtime=True)
        # make_msgid would otherwise ask DNS for this machine's full name.
        msg["Message-ID"] = make_msgid("carnet", domain=self.sender.rpartition("@")[2] or "carnet")
        msg.set_content(notice.text)
        return msg

    def _send_blocking(self, msg: EmailMessage, password: Secret | None) -> None:
        import smtplib
        import ssl

        where = f"SMTP server {self.host}:{self.port}"
        # smtplib would otherwise call getfqdn(), which can hang on a machine without DNS.
        local = socket.gethostname()
        try:
            if self.security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host,
                    self.port,
                    local_hostname=local,
                    timeout=self.timeout,
                    context=self._ssl_context,
                )
            else:
                smtp = smtplib.SMTP(
                    self.host, self.port, local_hostname=local, timeout=self.timeout
                )
            with smtp:
                if self.security == "starttls":
                    smtp.ehlo()
                    if not smtp.has_extn("starttls"):
                        raise DeliveryFailed(
                            f"{where} does not offer STARTTLS; refusing to send without "
                            "encryption (set notify.smtp_security)"
                        )
                    smtp.starttls(context=self._ssl_context)
                    smtp.ehlo()
                if password is not None:
                    smtp.login(self.user, password.reveal())
                smtp.send_message(msg, from_addr=self.sender, to_addrs=list(self.recipients))
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryFailed(
                f"{where} refused the login of {self.user!r}: {_smtp_reply(exc)}"
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            refused = ", ".join(sorted(exc.recipients))
            raise DeliveryFailed(f"{where} refused the recipient(s) {refused}") from exc
        except smtplib.SMTPSenderRefused as exc:
            raise DeliveryFailed(
                f"{where} refused the sender {self.sender!r}: {_smtp_reply(exc)}"
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise DeliveryFailed(f"{where} refused the message: {_smtp_reply(exc)}") from exc
        except smtplib.SMTPException as exc:
            raise DeliveryFailed(f"{where}: {exc}") from exc
        except ssl.SSLError as exc:
            raise DeliveryFailed(f"TLS with {where} failed: {exc.reason or exc}") from exc
        except TimeoutError as exc:
            raise DeliveryFailed(f"{where} did not answer within {self.timeout:g} s") from exc
        except OSError as exc:
            raise DeliveryFailed(f"cannot reach {where}: {exc.strerror or exc}") from exc
        except (ValueError, UnicodeError) as exc:
            # smtplib's complaints about the message or an address it cannot encode.
            raise DeliveryFailed(f"{where}: {exc}") from exc


def _smtp_reply(exc: object) -> str:
    code = getattr(exc, "smtp_code", "")
    error = getattr(exc, "smtp_error", b"")
    text = error.decode("utf-8", "replace") if isinstance(error, bytes) else str(error)
    return f"{code} {text}".strip()


class WebhookChannel:
    """An HTTP POST of the notice as JSON, with an optional bearer token."""

    name = "webhook"

    def __init__(
        self,
        *,
        url: str,
        token: Secret | None,
        token_file: str,
        topic: str,
        timeout: float,
        ssl_context: ssl.SSLContext | None,
    ) -> None:
        self.url = url
        self._token = token
        self._token_file = token_file
        self.topic = topic
        self.timeout = timeout
        self._ssl_context = ssl_context

    async def send(self, notice: Notice) -> None:
        """POST ``notice.payload()``; anything but a 2xx answer is a failure."""
        headers = {"Content-Type": "application/json"}
        try:
            token = resolve_secret(self._token, self._token_file)
        except ConfigError as exc:
            raise DeliveryFailed(exc.message) from exc
        if token is not None:
            headers["Authorization"] = f"Bearer {token.reveal()}"
        body = json.dumps(notice.payload(self.topic)).encode()
        try:
            response = await request(
                "POST",
                self.url,
                body=body,
                headers=headers,
                time_limit=self.timeout,
                ssl_context=self._ssl_context,
            )
        except HttpError as exc:
            raise DeliveryFailed(f"webhook: {exc.message}") from exc
        if not response.ok:
            detail = f": {response.snippet()}" if response.body else ""
            raise DeliveryFailed(
                f"webhook {describe(self.url)} answered HTTP {response.status}{detail}"
            )


class MemoryChannel:
    """Keeps what it is sent; fails with ``failure`` when that is set."""

    def __init__(self, name: str = "memory") -> None:
        self.name = name
        self.sent: list[Notice] = []
        self.failure: str | None = None

    async def send(self, notice: Notice) -> None:
        """Record ``notice``, or fail."""
        if self.failure is not None:
            raise DeliveryFailed(self.failure)
        self.sent.append(notice)


def build_channels(settings: NotifySettings) -> list[Channel]:
    """The channels ``settings`` configure; ``ConfigError`` for one that cannot work."""
    channels: list[Channel] = []
    context = None
    if settings.smtp_host or settings.webhook_url.startswith("https:"):
        context = make_ssl_context(settings.ca_file)
    if settings.smtp_host:
        if not settings.smtp_to:
            raise ConfigError("notify.smtp_host is set but notify.smtp_to names no recipient")
        sender = settings.smtp_from or settings.smtp_user
        if "@" not in sender:
            raise ConfigError("notify.smtp_from must be an email address (or set smtp_user)")
        if (
            settings.smtp_security == "none"
            and settings.smtp_user
            and not _is_loopback(settings.smtp_host)
        ):
            raise ConfigError(
                "notify.smtp_security = 'none' would send the SMTP password unencrypted; "
                "use 'starttls' or 'tls'"
            )
        channels.append(
            EmailChannel(
                host=settings.smtp_host,
                port=settings.smtp_port,
                security=settings.smtp_security,
                user=settings.smtp_user,
                password=settings.smtp_password,
                password_file=settings.smtp_password_file,
                sender=sender,
                recipients=settings.smtp_to,
                timeout=settings.timeout,
                ssl_context=context,
            )
        )
    if settings.webhook_url:
        parts = urlsplit(settings.webhook_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError("notify.webhook_url must be an http:// or https:// URL")
        has_token = settings.webhook_token is not None or settings.webhook_token_file
        if parts.scheme == "http" and has_token and not _is_loopback(parts.hostname):
            raise ConfigError(
                "notify.webhook_url is plain http: the webhook token would travel "
                "unencrypted; use https"
            )
        channels.append(
            WebhookChannel(
                url=settings.webhook_url,
                token=settings.webhook_token,
                token_file=settings.webhook_token_file,
                topic=settings.webhook_topic,
                timeout=settings.timeout,
                ssl_context=context,
            )
        )
    return channels


def _is_loopback(host: str) -> bool:
    return host in _LOOPBACK or host.startswith("127.")

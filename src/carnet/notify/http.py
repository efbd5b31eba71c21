"""A minimal asyncio HTTP/1.1 client: one request per connection, bounded in time and size.

urllib cannot pin a request to IPv4 or IPv6 and its blocking calls cannot be cancelled
when the server shuts down; this client does both, and needs nothing outside the
standard library. It follows no redirects and honours no proxy settings.
"""

from __future__ import annotations

import asyncio
import os
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from carnet.errors import CarnetError, ConfigError

if TYPE_CHECKING:
    import ssl

# Echo answers are a few bytes and webhook answers are only read for an error message.
MAX_BODY = 64 * 1024
MAX_HEADER_LINES = 100


class HttpError(CarnetError):
    """The request could not be made or its answer could not be read."""

    reason = "http error"


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def snippet(self, limit: int = 120) -> str:
        """The start of the body as printable text, for log and error messages."""
        text = self.body[:limit].decode("utf-8", "replace")
        return "".join(c if c.isprintable() else " " for c in text).strip()


def describe(url: str) -> str:
    """``scheme://host:port`` of a URL: enough to name it in a log without leaking its path."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


async def request(
    method: str,
    url: str,
    *,
    time_limit: float,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    family: int = socket.AF_UNSPEC,
    ssl_context: ssl.SSLContext | None = None,
) -> Response:
    """Send one request and read the whole answer; raise ``HttpError`` on any failure."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HttpError(f"not an http(s) URL: {describe(url)}")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise HttpError(f"bad port in URL {describe(url)}") from exc
    host = parts.hostname
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host_header = f"[{host}]" if ":" in host else host
    if parts.port:
        host_header += f":{parts.port}"
    lines = [
        f"{method} {target} HTTP/1.1",
        f"Host: {host_header}",
        "Connection: close",
        "User-Agent: carnet",
        f"Content-Length: {len(body)}",
    ]
    for name, value in (headers or {}).items():
        if "\r" in value or "\n" in value:
            raise HttpError(f"{describe(url)}: the {name} header holds a line break")
        lines.append(f"{name}: {value}")
    try:
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    except UnicodeEncodeError as exc:
        raise HttpError(
            f"{describe(url)}: the URL or a header has characters HTTP cannot carry"
        ) from exc
    tls: ssl.SSLContext | None = None
    if parts.scheme == "https":
        tls = ssl_context if ssl_context is not None else make_ssl_context("")
    where = describe(url)
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(time_limit):
            reader, writer = await asyncio.open_connection(
                host, port, family=family, ssl=tls, server_hostname=host if tls else None
            )
            writer.write(head + body)
            await writer.drain()
            return await _read_response(reader, where)
    except TimeoutError as exc:
        raise HttpError(f"{where} did not answer within {time_limit:g} s") from exc
    except OSError as exc:
        # ssl.SSLError is an OSError too; its reason is the useful part.
        reason = getattr(exc, "reason", None) or (
            os.strerror(exc.errno) if exc.errno else str(exc) or type(exc).__name__
        )
        raise HttpError(f"cannot reach {where}: {reason}") from exc
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
        raise HttpError(f"{where} sent a malformed HTTP answer") from exc
    finally:
        if writer is not None:
            writer.close()


async def _read_response(reader: asyncio.StreamReader, where: str) -> Response:
    status_line = (await reader.readline()).decode("latin-1")
    fields = status_line.split(None, 2)
    if len(fields) < 2 or not fields[0].startswith("HTTP/") or not fields[1].isdigit():
        raise HttpError(f"{where} did not answer with HTTP")
    status = int(fields[1])
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADER_LINES):
        line = (await reader.readline()).decode("latin-1")
        if line in ("\r\n", "\n", ""):
            break
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    else:
        raise HttpError(f"{where} sent too many header lines")
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = await _read_chunked(reader, where)
    elif "content-length" in headers:
        length = int(headers["content-length"])
        if length > MAX_BODY:
            raise HttpError(f"{where} sent an answer larger than {MAX_BODY} bytes")
        body = await reader.readexactly(length)
    else:
        body = await reader.read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            raise HttpError(f"{where} sent an answer larger than {MAX_BODY} bytes")
    return Response(status, body)


async def _read_chunked(reader: asyncio.StreamReader, where: str) -> bytes:
    body = bytearray()
    while True:
        size = int((await reader.readline()).split(b";", 1)[0].strip() or b"x", 16)
        if size == 0:
            return bytes(body)
        if len(body) + size > MAX_BODY:
            raise HttpError(f"{where} sent an answer larger than {MAX_BODY} bytes")
        body += await reader.readexactly(size)
        await reader.readline()


def make_ssl_context(ca_file: str) -> ssl.SSLContext:
    """The system's trusted CAs, plus those in ``ca_file`` when given."""
    import ssl

    context = ssl.create_default_context()
    if ca_file:
        try:
            context.load_verify_locations(cafile=ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"notify.ca_file: cannot load {ca_file}: {exc}") from exc
    return context

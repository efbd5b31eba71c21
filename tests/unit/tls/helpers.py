"""A TLS server and client on 127.0.0.1 for the certificate tests."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import ssl
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path


def colon_hex(digest: bytes) -> str:
    return ":".join(f"{b:02X}" for b in digest)


def client_context(
    *,
    cafile: Path | None = None,
    version: ssl.TLSVersion | None = None,
) -> ssl.SSLContext:
    """A client context; with ``cafile`` it verifies the server, without it trusts anything."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if cafile is not None:
        ctx.load_verify_locations(cafile)
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if version is not None:
        with warnings.catch_warnings():
            # Setting TLS 1.0/1.1 warns; the point of these clients is to be outdated.
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = version
            ctx.maximum_version = version
        if version < ssl.TLSVersion.TLSv1_2:
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    return ctx


@dataclass
class Handshake:
    version: str
    fingerprint: str
    greeting: bytes


def handshake(port: int, ctx: ssl.SSLContext, server_hostname: str = "127.0.0.1") -> Handshake:
    """Connect, finish the TLS handshake, read the greeting; raises ssl.SSLError on refusal."""
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        ctx.wrap_socket(raw, server_hostname=server_hostname) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
        assert der is not None
        version = tls.version()
        assert version is not None
        greeting = tls.recv(100)
        return Handshake(version, colon_hex(hashlib.sha256(der).digest()), greeting)


@asynccontextmanager
async def tls_server(ctx: ssl.SSLContext) -> AsyncIterator[int]:
    """An asyncio TLS server on a free loopback port that greets every client."""

    async def greet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            writer.write(b"hello")
            await writer.drain()
        finally:
            writer.close()

    server = await asyncio.start_server(greet, "127.0.0.1", 0, ssl=ctx)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


async def ahandshake(
    port: int, ctx: ssl.SSLContext, server_hostname: str = "127.0.0.1"
) -> Handshake:
    """:func:`handshake` from a worker thread, so the event loop keeps serving."""
    return await asyncio.wait_for(
        asyncio.to_thread(handshake, port, ctx, server_hostname), timeout=30
    )

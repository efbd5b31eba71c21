"""Certificates replaced on disk are served to new connections without a restart."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from pathlib import Path

import pytest

from carnet.errors import ConfigError
from carnet.tls import CertificateWatcher, ServerTLS, fingerprint, generate_self_signed
from tests.unit.tls.helpers import ahandshake, client_context, handshake, tls_server

POLL = 0.05


async def wait_for_fingerprint(port: int, expected: str) -> str:
    """Connect until the server shows ``expected`` (at most ~5 s); return what it showed."""
    seen = ""
    for _ in range(100):
        seen = (await ahandshake(port, client_context())).fingerprint
        if seen == expected:
            break
        await asyncio.sleep(POLL)
    return seen


def test_renewed_certificate_is_served_to_new_connections(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    first = generate_self_signed(cert, key)
    tls = ServerTLS(cert, key)
    assert tls.fingerprint == first

    async def scenario() -> None:
        async with tls_server(tls.ssl_context) as port, CertificateWatcher(tls, interval=POLL) as w:
            assert (await ahandshake(port, client_context())).fingerprint == first
            second = generate_self_signed(cert, key, kind="rsa", overwrite=True)
            assert second != first
            assert await wait_for_fingerprint(port, second) == second
            assert tls.fingerprint == second
            assert w.reloads == 1
            assert w.last_error is None
            # The context handed to the server never changed: nothing needed restarting.
            assert tls.ssl_context.sni_callback is not None

    asyncio.run(scenario())


def test_broken_pair_is_logged_and_the_old_one_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    first = generate_self_signed(cert, key)
    generate_self_signed(tmp_path / "other.pem", tmp_path / "other.key")
    tls = ServerTLS(cert, key)

    async def scenario() -> None:
        async with tls_server(tls.ssl_context) as port:
            watcher = CertificateWatcher(tls, interval=POLL)
            async with watcher:
                # Half of a renewal: a new certificate next to the old key.
                cert.write_bytes((tmp_path / "other.pem").read_bytes())
                for _ in range(100):
                    if watcher.last_error is not None:
                        break
                    await asyncio.sleep(POLL)
                assert watcher.last_error is not None
                assert "does not belong" in watcher.last_error
                assert (await ahandshake(port, client_context())).fingerprint == first
                # The other half arrives: the complete new pair is picked up.
                key.write_bytes((tmp_path / "other.key").read_bytes())
                expected = fingerprint(tmp_path / "other.pem")
                assert await wait_for_fingerprint(port, expected) == expected
                assert watcher.last_error is None
                # A deleted file is a broken pair too, not a crash of the watcher.
                cert.unlink()
                for _ in range(100):
                    if watcher.last_error is not None:
                        break
                    await asyncio.sleep(POLL)
                assert watcher.last_error is not None
                assert "not found" in watcher.last_error
                assert (await ahandshake(port, client_context())).fingerprint == expected

    with caplog.at_level(logging.WARNING, logger="carnet.tls"):
        asyncio.run(scenario())
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("still serving the old one" in m and "does not belong" in m for m in warnings)


def test_stop_ends_the_task_and_is_safe_to_repeat(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    generate_self_signed(cert, key)
    tls = ServerTLS(cert, key)

    async def scenario() -> None:
        watcher = CertificateWatcher(tls, interval=POLL)
        watcher.start()
        tasks = {t for t in asyncio.all_tasks() if t.get_name() == "carnet certificate watcher"}
        assert len(tasks) == 1
        await asyncio.sleep(POLL * 3)
        await watcher.stop()
        assert all(t.done() for t in tasks)
        await watcher.stop()
        # Cancelling whoever awaits stop() cancels that caller, and the task still ends.
        watcher.start()
        (task,) = [
            t
            for t in asyncio.all_tasks()
            if t.get_name() == "carnet certificate watcher" and not t.done()
        ]
        stopper = asyncio.ensure_future(watcher.stop())
        await asyncio.sleep(0)
        stopper.cancel()
        with pytest.raises(asyncio.CancelledError):
            await stopper
        await asyncio.wait({task}, timeout=5)
        assert task.cancelled()

    asyncio.run(scenario())


def test_interval_must_be_positive(tmp_path: Path) -> None:
    generate_self_signed(tmp_path / "c.pem", tmp_path / "k.pem")
    with pytest.raises(ConfigError, match="positive"):
        CertificateWatcher(ServerTLS(tmp_path / "c.pem", tmp_path / "k.pem"), interval=0)


def test_reload_reaches_servers_using_blocking_ssl_sockets(tmp_path: Path) -> None:
    # tornado wraps plain sockets with SSLContext.wrap_socket rather than using asyncio's
    # SSL transport: the swap must work there too.
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    first = generate_self_signed(cert, key)
    tls = ServerTLS(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    port = listener.getsockname()[1]

    def serve(count: int) -> None:
        for _ in range(count):
            conn, _ = listener.accept()
            with tls.ssl_context.wrap_socket(conn, server_side=True) as tls_conn:
                tls_conn.sendall(b"hello")

    thread = threading.Thread(target=serve, args=(2,), daemon=True)
    thread.start()
    try:
        assert handshake(port, client_context()).fingerprint == first
        second = generate_self_signed(cert, key, overwrite=True)
        assert tls.reload() == second
        assert handshake(port, client_context()).fingerprint == second
    finally:
        thread.join(timeout=10)
        listener.close()
    assert not thread.is_alive()

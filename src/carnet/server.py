"""Run the server: bind, announce where it is, serve until a signal, shut down cleanly."""

from __future__ import annotations

import asyncio
import errno
import getpass
import logging
import os
import shutil
import signal
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from carnet.errors import ConfigError
from carnet.settings import Settings, default_config_dir, normalized_base_url, with_token

if TYPE_CHECKING:
    from carnet.tls.context import ServerTLS

log = logging.getLogger("carnet")


def bind(settings: Settings) -> tuple[list[socket.socket], int]:
    """Bind the listening sockets, trying the next ports when the port is taken."""
    from tornado.netutil import bind_sockets

    server = settings.server
    port = server.port
    attempts = 1 if port == 0 else server.port_retries + 1
    last: OSError | None = None
    for candidate in range(port, port + attempts):
        if candidate > 65535:
            break
        try:
            sockets = bind_sockets(candidate, server.bind_address or None, reuse_port=False)
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                last = exc
                log.info(
                    "port %d is not available (%s), trying the next one", candidate, exc.strerror
                )
                continue
            if exc.errno == errno.EADDRNOTAVAIL:
                raise ConfigError(
                    f"cannot listen on {server.ip}: no such address on this machine (--ip)"
                ) from exc
            raise ConfigError(f"cannot listen on {server.ip}:{candidate}: {exc.strerror}") from exc
        return sockets, sockets[0].getsockname()[1]
    raise ConfigError(
        f"no free port between {port} and {port + attempts - 1} "
        f"({last.strerror if last else 'taken'}); choose one with --port"
    )


def urls(settings: Settings, port: int) -> list[str]:
    """The URLs a person can type, with the token."""
    server = settings.server
    base = normalized_base_url(server.base_url)
    token = server.token.reveal() if server.token is not None else ""
    query = f"?token={token}" if token else ""
    scheme = "https" if settings.tls.enabled else "http"
    if server.listens_everywhere:
        hosts = [socket.gethostname(), "127.0.0.1"]
    elif ":" in server.ip:
        hosts = [f"[{server.ip}]"]
    else:
        hosts = [server.ip]
    return [f"{scheme}://{host}:{port}{base}{query}" for host in hosts]


def is_loopback(ip: str) -> bool:
    return ip in ("127.0.0.1", "localhost", "::1") or ip.startswith("127.")


def banner(settings: Settings, port: int, out: TextIO, tls: ServerTLS | None = None) -> None:
    """Tell the person exactly how to reach the server.

    With a self-signed certificate, its SHA-256 fingerprint too: the browser's warning
    page shows it, and comparing the two is what makes the connection trustworthy.
    """
    from carnet import __version__

    server = settings.server
    print(f"carnet {__version__} is serving {settings.root}", file=out)
    for url in urls(settings, port):
        print(f"    {url}", file=out)
    if tls is not None and _is_self_signed(tls.certfile):
        print("The certificate is self-signed; its SHA-256 fingerprint is", file=out)
        print(f"    {tls.fingerprint}", file=out)
        print("  check that your browser shows the same before you accept it.", file=out)
    ssh = os.environ.get("SSH_CONNECTION", "").split()
    if is_loopback(server.ip) and len(ssh) >= 3:
        host = ssh[2]
        user = getpass.getuser()
        print("To reach it from the machine you connected from, run there:", file=out)
        print(f"    ssh -L {port}:localhost:{port} {user}@{host}", file=out)
        print("  then open the URL above on that machine.", file=out)
    out.flush()


def _is_self_signed(certfile: Path) -> bool:
    from carnet.tls.certs import self_signed_fingerprint

    return self_signed_fingerprint(certfile) is not None


def load_tls(settings: Settings) -> ServerTLS | None:
    """The certificate to serve HTTPS with (made on first start for ``--tls auto``), or None."""
    if not settings.tls.enabled:
        return None
    from carnet.config.tls import tls_files
    from carnet.tls.context import ServerTLS

    server = settings.server
    hosts = [] if server.listens_everywhere or is_loopback(server.ip) else [server.ip]
    files = tls_files(settings.tls, default_config_dir(), hosts=hosts)
    if files is None:
        return None
    return ServerTLS(files[0], files[1])


def _open_browser(settings: Settings, port: int) -> None:
    server = settings.server
    if not server.open_browser or not is_loopback(server.ip):
        return
    if os.environ.get("SSH_CONNECTION") or not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or sys.platform == "darwin"
    ):
        return
    import webbrowser

    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return
    if (
        shutil.which("xdg-open") is None
        and sys.platform.startswith("linux")
        and not getattr(browser, "name", "")
    ):
        return
    browser.open(urls(settings, port)[0], new=2)


def run(settings: Settings) -> int:
    """Serve until SIGINT or SIGTERM; return the exit status."""
    logging.basicConfig(
        level=logging.INFO,
        format="[%(levelname).1s %(asctime)s %(name)s] %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    settings = with_token(settings)
    tls = load_tls(settings)
    sockets, port = bind(settings)
    return asyncio.run(_serve(settings, sockets, port, tls))


async def _serve(
    settings: Settings, sockets: list[socket.socket], port: int, tls: ServerTLS | None
) -> int:
    from tornado.httpserver import HTTPServer

    from carnet.services import open_services
    from carnet.web.app import make_app

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with open_services(settings, port) as services:
        app = make_app(services)
        http = HTTPServer(
            app,
            max_body_size=settings.server.max_body_mb * 1024 * 1024,
            idle_connection_timeout=3600,
            # Forwarded headers are read by carnet.auth.proxy, from trusted proxies only.
            xheaders=False,
            ssl_options=tls.ssl_context if tls is not None else None,
        )
        http.add_sockets(sockets)
        watcher = None
        if tls is not None:
            from carnet.tls.watcher import CertificateWatcher

            watcher = CertificateWatcher(tls, interval=settings.tls.reload_interval)
            watcher.start()
        banner(settings, port, sys.stdout, tls)
        _open_browser(settings, port)
        try:
            await stop.wait()
        finally:
            if watcher is not None:
                await watcher.stop()
        log.info("shutting down: no new connections, stopping kernels")
        http.stop()
    log.info("stopped")
    return 0

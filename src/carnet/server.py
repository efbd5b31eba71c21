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
from typing import TextIO

from carnet.errors import ConfigError
from carnet.settings import Settings, normalized_base_url, with_token

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
    if server.listens_everywhere:
        hosts = [socket.gethostname(), "127.0.0.1"]
    elif ":" in server.ip:
        hosts = [f"[{server.ip}]"]
    else:
        hosts = [server.ip]
    return [f"http://{host}:{port}{base}{query}" for host in hosts]


def is_loopback(ip: str) -> bool:
    return ip in ("127.0.0.1", "localhost", "::1") or ip.startswith("127.")


def banner(settings: Settings, port: int, out: TextIO) -> None:
    """Tell the person exactly how to reach the server."""
    from carnet import __version__

    server = settings.server
    print(f"carnet {__version__} is serving {settings.root}", file=out)
    for url in urls(settings, port):
        print(f"    {url}", file=out)
    ssh = os.environ.get("SSH_CONNECTION", "").split()
    if is_loopback(server.ip) and len(ssh) >= 3:
        host = ssh[2]
        user = getpass.getuser()
        print("To reach it from the machine you connected from, run there:", file=out)
        print(f"    ssh -L {port}:localhost:{port} {user}@{host}", file=out)
        print("  then open the URL above on that machine.", file=out)
    out.flush()


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
    sockets, port = bind(settings)
    return asyncio.run(_serve(settings, sockets, port))


async def _serve(settings: Settings, sockets: list[socket.socket], port: int) -> int:
    from tornado.httpserver import HTTPServer

    from carnet.services import open_services
    from carnet.web.app import make_app

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with open_services(settings) as services:
        app = make_app(services)
        http = HTTPServer(
            app,
            max_body_size=settings.server.max_body_mb * 1024 * 1024,
            idle_connection_timeout=3600,
            xheaders=False,
        )
        http.add_sockets(sockets)
        banner(settings, port, sys.stdout)
        _open_browser(settings, port)
        await stop.wait()
        log.info("shutting down: no new connections, stopping kernels")
        http.stop()
    log.info("stopped")
    return 0

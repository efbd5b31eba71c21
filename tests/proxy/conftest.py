"""A real nginx in front of a real carnet: TLS at nginx, carnet under a path prefix.

nginx is Debian's package (`make nginx` installs it); each test session starts its own
master process on a free 127.0.0.1 port, with its own config, pid file and temp dirs,
and stops it by its pid. The browser fixtures are the e2e rig's (system Chromium).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from carnet.tls.certs import generate_self_signed
from tests.conftest import RunningServer, start_server
from tests.e2e.conftest import browser_type_launch_args  # noqa: F401  (the system Chromium)

NGINX = os.environ.get("CARNET_NGINX", "/usr/sbin/nginx")
PREFIX = "/ipython/"

CONFIG = """
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
daemon off;
{user}
events {{ worker_connections 256; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        location {prefix} {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 1d;
            proxy_buffering off;
            client_max_body_size 0;
        }}
    }}
}}
"""


@dataclass
class Proxy:
    """nginx on ``port`` (HTTPS, certificate ``cert``) in front of ``carnet``."""

    proc: subprocess.Popen[bytes]
    port: int
    cert: Path
    carnet: RunningServer
    dir: Path

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}{PREFIX}"

    @property
    def ws_url(self) -> str:
        return f"wss://127.0.0.1:{self.port}{PREFIX}"

    def log(self) -> str:
        path = self.dir / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    """carnet with ``--behind-proxy --base-url /ipython/``, behind nginx terminating TLS."""
    if not (os.path.isfile(NGINX) and os.access(NGINX, os.X_OK)):
        message = f"no nginx at {NGINX}: run `make nginx` (or set CARNET_NGINX)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    base = tmp_path_factory.mktemp("proxy")
    root = base / "root"
    root.mkdir()
    carnet = start_server(root, "--behind-proxy", base_url=PREFIX)
    conf_dir = base / "nginx"
    conf_dir.mkdir()
    cert, key = conf_dir / "cert.pem", conf_dir / "key.pem"
    generate_self_signed(cert, key)
    port = _free_port()
    user = "user root;" if os.geteuid() == 0 else ""
    conf = conf_dir / "nginx.conf"
    conf.write_text(
        CONFIG.format(
            dir=conf_dir,
            user=user,
            port=port,
            cert=cert,
            key=key,
            prefix=PREFIX,
            upstream=carnet.port,
        )
    )
    proc = subprocess.Popen(
        [NGINX, "-e", str(conf_dir / "error.log"), "-p", str(conf_dir), "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    proxy = Proxy(proc=proc, port=port, cert=cert, carnet=carnet, dir=conf_dir)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise RuntimeError(f"nginx did not start:\n{err}\n{proxy.log()}")
        yield proxy
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGQUIT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()
        carnet.stop()
        if os.environ.get("CARNET_E2E_LOG"):
            sys.stdout.write(carnet.log() + proxy.log())
        shutil.rmtree(conf_dir / "proxy", ignore_errors=True)


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    # nginx's certificate is self-signed, made by the fixture above.
    return {**browser_context_args, "ignore_https_errors": True}


@pytest.fixture(scope="session")
def base_url(proxy: Proxy) -> str:
    """pytest-playwright resolves relative page.goto() addresses against this."""
    return proxy.url

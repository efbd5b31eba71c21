"""HTTPS from the server itself: certificates given, made, swapped on disk; old TLS refused."""

from __future__ import annotations

import hashlib
import socket
import ssl
import sys
import time
import warnings
from pathlib import Path

import httpx
import pytest

from carnet.tls.certs import format_fingerprint, generate_self_signed
from tests.conftest import RunningServer, start_server


def trusting(cert: Path) -> ssl.SSLContext:
    """A client context that trusts exactly ``cert``."""
    return ssl.create_default_context(cafile=str(cert))


def served_fingerprint(port: int) -> str:
    """The SHA-256 fingerprint of the certificate a new connection to ``port`` is given."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return format_fingerprint(hashlib.sha256(der).digest())


def wait_for_log(srv: RunningServer, text: str) -> str:
    """The server's output once it holds ``text`` (the banner ends after the URL line)."""
    for _ in range(100):  # at most ~5 s
        if text in srv.log():
            break
        time.sleep(0.05)
    return srv.log()


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path, str]:
    cert, key = tmp_path / "certs" / "cert.pem", tmp_path / "certs" / "key.pem"
    cert.parent.mkdir()
    fingerprint = generate_self_signed(cert, key)
    return cert, key, fingerprint


def serve_tls(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> RunningServer:
    root = tmp_path / "root"
    root.mkdir(exist_ok=True)
    return start_server(root, *args, env=env)


def test_https_with_a_certificate_and_key(tmp_path: Path, pair: tuple[Path, Path, str]) -> None:
    cert, key, fingerprint = pair
    srv = serve_tls(tmp_path, "--tls", "on", "--certfile", str(cert), "--keyfile", str(key))
    try:
        assert srv.scheme == "https"
        log = wait_for_log(srv, fingerprint)
        assert f"https://127.0.0.1:{srv.port}/?token=" in log
        assert fingerprint in log  # self-signed: the fingerprint to compare with the browser's
        with httpx.Client(base_url=srv.url, verify=trusting(cert), timeout=30) as client:
            api = client.get("api/contents", headers={"Authorization": f"token {srv.token}"})
            assert api.status_code == 200
            assert api.headers["Strict-Transport-Security"].startswith("max-age=")
            login = client.get(f"tree/?token={srv.token}", headers={"Accept": "text/html"})
            assert login.status_code == 302
            cookie = login.headers["Set-Cookie"]
            assert "Secure" in cookie
            assert "HttpOnly" in cookie
            assert "SameSite=Lax" in cookie
        # Plain HTTP on the HTTPS port gets nothing useful.
        with httpx.Client(timeout=10) as plain, pytest.raises(httpx.HTTPError):
            plain.get(f"http://127.0.0.1:{srv.port}/api/contents?token={srv.token}")
    finally:
        srv.stop()


def test_one_pem_holding_certificate_and_key(tmp_path: Path, pair: tuple[Path, Path, str]) -> None:
    cert, key, fingerprint = pair
    both = tmp_path / "both.pem"
    both.write_bytes(cert.read_bytes() + key.read_bytes())
    both.chmod(0o600)
    srv = serve_tls(tmp_path, "--tls", "on", "--certfile", str(both))
    try:
        assert served_fingerprint(srv.port) == fingerprint
        with httpx.Client(base_url=srv.url, verify=trusting(cert), timeout=30) as client:
            assert client.get(
                "api/status", headers={"Authorization": f"token {srv.token}"}
            ).is_success
    finally:
        srv.stop()


def test_tls_auto_makes_a_certificate_once(tmp_path: Path) -> None:
    srv = serve_tls(tmp_path, "--tls", "auto")
    try:
        made = Path(srv.env["XDG_CONFIG_HOME"]) / "carnet" / "cert.pem"
        assert made.exists()
        first = served_fingerprint(srv.port)
        assert first in wait_for_log(srv, first)
        with httpx.Client(base_url=srv.url, verify=trusting(made), timeout=30) as client:
            assert client.get("api/me", headers={"Authorization": f"token {srv.token}"}).is_success
    finally:
        srv.stop()
    again = serve_tls(tmp_path, "--tls", "auto")
    try:
        assert served_fingerprint(again.port) == first  # kept, not made anew
    finally:
        again.stop()


def test_tls_1_0_and_1_1_are_refused(tmp_path: Path, pair: tuple[Path, Path, str]) -> None:
    cert, key, _ = pair
    srv = serve_tls(tmp_path, "--tls", "on", "--certfile", str(cert), "--keyfile", str(key))
    try:
        for version in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.set_ciphers("ALL:@SECLEVEL=0")
            with warnings.catch_warnings():
                # Deprecated on purpose: this client plays an old browser.
                warnings.simplefilter("ignore", DeprecationWarning)
                ctx.minimum_version = version
                ctx.maximum_version = version
            with (
                socket.create_connection(("127.0.0.1", srv.port), timeout=10) as raw,
                pytest.raises(ssl.SSLError),
            ):
                ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        # The same client code, allowed TLS 1.2, gets in: the refusals above are the server's.
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        with (
            socket.create_connection(("127.0.0.1", srv.port), timeout=10) as raw,
            ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            assert tls.version() == "TLSv1.2"
    finally:
        srv.stop()


def test_a_renewed_certificate_is_served_without_a_restart(
    tmp_path: Path, pair: tuple[Path, Path, str]
) -> None:
    cert, key, old = pair
    srv = serve_tls(
        tmp_path,
        "--tls",
        "on",
        "--certfile",
        str(cert),
        "--keyfile",
        str(key),
        env={"CARNET_TLS_RELOAD_INTERVAL": "0.2"},
    )
    try:
        with httpx.Client(base_url=srv.url, verify=False, timeout=60) as client:
            client.headers["Authorization"] = f"token {srv.token}"
            kernel = client.post("api/kernels", json={"name": "python3"}).json()
            assert served_fingerprint(srv.port) == old
            # A renewal tool writes the new pair next to the old one and moves it in place.
            staged = tmp_path / "staged"
            staged.mkdir()
            new = generate_self_signed(staged / "cert.pem", staged / "key.pem")
            (staged / "key.pem").replace(key)
            (staged / "cert.pem").replace(cert)
            seen = old
            for _ in range(100):  # at most ~10 s
                seen = served_fingerprint(srv.port)
                if seen == new:
                    break
                time.sleep(0.1)
            assert seen == new
            assert srv.proc.poll() is None
            kernels = client.get("api/kernels").json()
            assert [k["id"] for k in kernels] == [kernel["id"]]
            assert client.get(f"api/kernels/{kernel['id']}").json()["execution_state"] != "dead"
        assert "certificate reloaded" in wait_for_log(srv, "certificate reloaded")
    finally:
        srv.stop()
        sys.stdout.write(srv.log())

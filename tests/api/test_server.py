"""The server process: startup message, ports, authentication, base URL, clean shutdown."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import TOKEN, RunningServer, start_server


def test_api_answers_with_the_token_in_header_or_query(server: RunningServer) -> None:
    with server.client() as c:
        r = c.get("api")
        assert r.status_code == 200
        assert "version" in r.json()
    r = httpx.get(server.url + f"api?token={TOKEN}")
    assert r.status_code == 200
    r = httpx.get(server.url + "api", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "token wrong-token-123"}, {"Authorization": f"basic {TOKEN}"}],
)
def test_requests_without_a_valid_token_are_refused(
    server: RunningServer, headers: dict[str, str]
) -> None:
    for path in (
        "api",
        "api/status",
        "api/me",
        "api/contents",
        "api/kernels",
        "api/sessions",
        "api/kernelspecs",
        "files/x.txt",
        "api/spec.yaml",
    ):
        r = httpx.get(server.url + path, headers=headers)
        assert r.status_code == 403, path
        body = r.json()
        assert body["reason"] == "unauthorized"
        assert "token" in body["message"]
    # A page sends the browser to the login page instead.
    r = httpx.get(server.url, headers=headers)
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/login?next=")


def test_status_and_me(server: RunningServer) -> None:
    with server.client() as c:
        status = c.get("api/status").json()
        assert status["kernels"] == 0
        assert status["started"].endswith("Z")
        me = c.get("api/me", params={"permissions": '{"contents": ["read", "write"]}'}).json()
        assert me["identity"]["username"]
        assert me["permissions"] == {"contents": ["read", "write"]}
        r = c.get("api/me", params={"permissions": "{not json"})
        assert r.status_code == 400
        assert r.json()["message"]


def test_unknown_url_is_a_json_404(server: RunningServer) -> None:
    with server.client() as c:
        r = c.get("api/nothing-here")
    assert r.status_code == 404
    assert r.json()["reason"] == "not found"


def test_startup_prints_the_url_with_the_token(server: RunningServer) -> None:
    assert f"http://127.0.0.1:{server.port}/?token={TOKEN}" in server.log()
    assert "ssh -L" not in server.log()


def test_over_ssh_the_tunnel_command_is_printed(tmp_path: Path) -> None:
    srv = start_server(tmp_path, env={"SSH_CONNECTION": "203.0.113.9 50000 198.51.100.7 22"})
    try:
        httpx.get(srv.url + "api", headers={"Authorization": f"token {TOKEN}"})
    finally:
        srv.stop()
    assert f"ssh -L {srv.port}:localhost:{srv.port} " in srv.log()
    assert "@198.51.100.7" in srv.log()


def test_a_taken_port_moves_to_the_next_one(tmp_path: Path) -> None:
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    taken = blocker.getsockname()[1]
    try:
        srv = start_server(tmp_path, "--port", str(taken))
        try:
            assert srv.port != taken
            assert taken < srv.port <= taken + 50
        finally:
            srv.stop()
    finally:
        blocker.close()


def test_base_url_prefixes_every_route(tmp_path: Path) -> None:
    srv = start_server(tmp_path, base_url="/ipython/")
    try:
        with srv.client() as c:
            assert c.get("api").status_code == 200
        r = httpx.get(
            f"http://127.0.0.1:{srv.port}/api", headers={"Authorization": f"token {TOKEN}"}
        )
        assert r.status_code == 404
    finally:
        srv.stop()
    assert f"http://127.0.0.1:{srv.port}/ipython/?token=" in srv.log()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signals_stop_the_server_with_status_zero(tmp_path: Path, sig: int) -> None:
    srv = start_server(tmp_path)
    assert srv.stop(sig) == 0


def test_refuses_every_interface_without_authentication(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "carnet",
            "serve",
            str(tmp_path),
            "--ip",
            "0.0.0.0",
            "--token",
            "",
            "--port",
            "0",
            "--no-browser",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2
    assert "without authentication" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_directory_is_a_one_line_error(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "carnet", "serve", str(tmp_path / "nope"), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "not a directory" in proc.stderr

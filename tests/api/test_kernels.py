"""``/api/kernels``: start, list, get, interrupt, restart and stop real kernels."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import RunningServer, start_server


def test_start_list_get_and_delete(server: RunningServer) -> None:
    with server.client() as client:
        r = client.post("/api/kernels", json={"name": "python3"})
        assert r.status_code == 201, r.text
        model = r.json()
        assert set(model) == {"id", "name", "last_activity", "execution_state", "connections"}
        assert model["name"] == "python3"
        assert model["execution_state"] == "idle"
        assert model["connections"] == 0
        assert model["last_activity"].endswith("Z")
        kid = model["id"]
        assert r.headers["Location"] == f"/api/kernels/{kid}"
        assert [k["id"] for k in client.get("/api/kernels").json()] == [kid]
        assert client.get(f"/api/kernels/{kid}").json()["id"] == kid
        assert client.delete(f"/api/kernels/{kid}").status_code == 204
        assert client.get(f"/api/kernels/{kid}").status_code == 404
        assert client.get("/api/kernels").json() == []


def test_default_spec_is_used_without_a_name(server: RunningServer) -> None:
    with server.client() as client:
        r = client.post("/api/kernels")
        assert r.status_code == 201, r.text
        assert r.json()["name"] == "python3"


def test_interrupt_and_restart_answer_with_their_statuses(server: RunningServer) -> None:
    with server.client() as client:
        kid = client.post("/api/kernels", json={}).json()["id"]
        assert client.post(f"/api/kernels/{kid}/interrupt").status_code == 204
        r = client.post(f"/api/kernels/{kid}/restart")
        assert r.status_code == 200
        assert r.json()["id"] == kid
        assert r.json()["execution_state"] == "idle"


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("GET", ""), ("DELETE", ""), ("POST", "/interrupt"), ("POST", "/restart")],
)
def test_unknown_kernel_is_404(server: RunningServer, method: str, suffix: str) -> None:
    with server.client() as client:
        r = client.request(method, f"/api/kernels/0000-no-such-kernel{suffix}")
    assert r.status_code == 404
    assert "no such kernel" in r.json()["message"]


def test_unknown_spec_is_404_naming_it(server: RunningServer) -> None:
    with server.client() as client:
        r = client.post("/api/kernels", json={"name": "cobol-kernel"})
        assert r.status_code == 404
        assert "cobol-kernel" in r.json()["message"]
        assert client.get("/api/kernels").json() == []


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'{"name": 5}', b'{"path": ["a"]}', b'{"path": "../outside.ipynb"}'],
)
def test_malformed_request_is_400(server: RunningServer, body: bytes) -> None:
    with server.client() as client:
        r = client.post("/api/kernels", content=body)
        assert r.status_code == 400, r.text
        assert r.json()["message"]
        assert client.get("/api/kernels").json() == []


def test_requests_without_the_token_are_refused(server: RunningServer) -> None:
    with server.client() as client:
        client.headers.pop("Authorization")
        assert client.get("/api/kernels").status_code == 403
        assert client.post("/api/kernels", json={}).status_code == 403


def _install_spec(home: Path, name: str, argv: list[str]) -> None:
    spec_dir = home / ".local/share/jupyter/kernels" / name
    spec_dir.mkdir(parents=True)
    spec = {"argv": argv, "display_name": name, "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["/nonexistent/bin/kernel", "-f", "{connection_file}"], "/nonexistent/bin/kernel"),
        ([sys.executable, "-c", "raise SystemExit(3)", "{connection_file}"], "exit code 3"),
    ],
    ids=["missing-command", "exits-at-once"],
)
def test_a_kernel_that_cannot_start_gives_a_clear_error(
    tmp_path: Path, argv: list[str], expected: str
) -> None:
    home = tmp_path / "home"
    _install_spec(home, "broken", argv)
    root = tmp_path / "root"
    root.mkdir()
    srv = start_server(root, home=home)
    try:
        with srv.client() as client:
            r = client.post("/api/kernels", json={"name": "broken"})
            assert r.status_code == 500
            body = r.json()
            assert "broken" in body["message"]
            assert expected in body["message"]
            assert body["reason"] == "kernel failed to start"
            assert client.get("/api/kernels").json() == []
            # The server is still fine: a good kernel starts afterwards.
            assert client.post("/api/kernels", json={"name": "python3"}).status_code == 201
    finally:
        srv.stop()

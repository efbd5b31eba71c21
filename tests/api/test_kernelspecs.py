"""``/api/kernelspecs`` and ``/kernelspecs/<name>/<resource>``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.conftest import RunningServer, start_server

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def test_list_has_the_default_python_spec_and_its_logos(server: RunningServer) -> None:
    with server.client() as client:
        r = client.get("/api/kernelspecs")
        assert r.status_code == 200
        body = r.json()
        assert body["default"] == "python3"
        python = body["kernelspecs"]["python3"]
        assert python["name"] == "python3"
        assert python["spec"]["language"] == "python"
        assert "{connection_file}" in python["spec"]["argv"]
        assert python["spec"]["display_name"]
        logo = python["resources"]["logo-64x64"]
        assert logo == "/kernelspecs/python3/logo-64x64.png"
        image = client.get(logo)
        assert image.status_code == 200
        assert image.headers["Content-Type"] == "image/png"
        assert image.content.startswith(b"\x89PNG")


def test_one_spec_and_an_unknown_one(server: RunningServer) -> None:
    with server.client() as client:
        r = client.get("/api/kernelspecs/python3")
        assert r.status_code == 200
        assert r.json()["name"] == "python3"
        missing = client.get("/api/kernelspecs/fortran77")
        assert missing.status_code == 404
        assert "fortran77" in missing.json()["message"]
        assert client.get("/kernelspecs/fortran77/logo-64x64.png").status_code == 404
        for odd in ("%2E%2E", "a%00b", "%C3%A9t%C3%A9", "x" * 300):
            r = client.get(f"/api/kernelspecs/{odd}")
            assert r.status_code == 404, odd
            assert r.json()["message"]


def test_user_installed_spec_appears_with_its_resources(tmp_path: Path) -> None:
    home = tmp_path / "home"
    spec_dir = home / ".local/share/jupyter/kernels/myenv"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "My env",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    (spec_dir / "logo-32x32.png").write_bytes(PNG)
    (spec_dir / "kernel.js").write_text("// extension")
    (spec_dir / "secret.txt").write_text("not a resource")
    (home / "outside.txt").write_text("OUTSIDE-CONTENT")
    root = tmp_path / "root"
    root.mkdir()
    srv = start_server(root, home=home)
    try:
        with srv.client() as client:
            mine = client.get("/api/kernelspecs").json()["kernelspecs"]["myenv"]
            assert mine["spec"]["display_name"] == "My env"
            assert mine["resources"] == {
                "logo-32x32": "/kernelspecs/myenv/logo-32x32.png",
                "kernel.js": "/kernelspecs/myenv/kernel.js",
            }
            assert client.get("/kernelspecs/myenv/logo-32x32.png").content == PNG
            assert client.get("/kernelspecs/myenv/kernel.js").text == "// extension"
            # Only the spec's own resource files are served.
            for bad in (
                "secret.txt",
                "kernel.json",
                "..%2F..%2Foutside.txt",
                "%2E%2E/%2E%2E/outside.txt",
            ):
                r = client.get(f"/kernelspecs/myenv/{bad}")
                assert r.status_code == 404, bad
                assert b"OUTSIDE-CONTENT" not in r.content
            started = client.post("/api/kernels", json={"name": "myenv"})
            assert started.status_code == 201, started.text
            assert started.json()["name"] == "myenv"
    finally:
        srv.stop()


def test_specs_need_the_token(server: RunningServer) -> None:
    with server.client() as client:
        client.headers.pop("Authorization")
        assert client.get("/api/kernelspecs").status_code == 403
        assert client.get("/kernelspecs/python3/logo-64x64.png").status_code == 403

"""``/files/``: raw bytes, the right type, and uploaded HTML that cannot script the origin."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import httpx

from tests.conftest import RunningServer, start_server


def assert_sandboxed(response: httpx.Response) -> None:
    csp = response.headers["Content-Security-Policy"]
    assert "sandbox" in [part.strip().split(" ")[0] for part in csp.split(";")]
    assert "default-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_files_are_served_raw_with_their_type(server: RunningServer) -> None:
    (server.root / "page.html").write_text("<script>alert(document.cookie)</script>")
    (server.root / "pic.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (server.root / "data.bin").write_bytes(b"\x00\x01\xff")
    (server.root / "n.ipynb").write_text("{}")
    (server.root / "sub").mkdir()
    (server.root / "sub" / "é x.txt").write_text("unicode name")
    with server.client() as c:
        r = c.get("files/page.html")
        assert r.status_code == 200
        assert r.text == "<script>alert(document.cookie)</script>"
        assert r.headers["Content-Type"].startswith("text/html")
        assert_sandboxed(r)
        r = c.get("files/pic.svg")
        assert r.headers["Content-Type"].startswith("image/svg+xml")
        assert_sandboxed(r)
        r = c.get("files/data.bin")
        assert r.content == b"\x00\x01\xff"
        assert r.headers["Content-Type"] == "application/octet-stream"
        assert r.headers["Content-Length"] == "3"
        assert c.get("files/n.ipynb").headers["Content-Type"] == "application/x-ipynb+json"
        assert c.get("files/sub/%C3%A9%20x.txt").text == "unicode name"
        assert "Content-Disposition" not in r.headers


def test_download_sets_an_attachment(server: RunningServer) -> None:
    (server.root / "report é.html").write_text("<b>x</b>")
    with server.client() as c:
        r = c.get("files/report%20%C3%A9.html", params={"download": "1"})
        assert r.status_code == 200
        disposition = r.headers["Content-Disposition"]
        assert disposition.startswith("attachment")
        assert "report%20%C3%A9.html" in disposition
        assert_sandboxed(r)


def test_head_gives_headers_without_a_body(server: RunningServer) -> None:
    (server.root / "a.txt").write_text("12345")
    with server.client() as c:
        r = c.head("files/a.txt")
        assert r.status_code == 200
        assert r.headers["Content-Length"] == "5"
        assert r.content == b""


def test_large_files_stream_complete(server: RunningServer) -> None:
    data = os.urandom(5 * 1024 * 1024 + 17)
    (server.root / "large.bin").write_bytes(data)
    with server.client() as c, c.stream("GET", "files/large.bin") as r:
        assert r.status_code == 200
        assert int(r.headers["Content-Length"]) == len(data)
        received = b"".join(r.iter_bytes())
    assert received == data


def test_errors_and_confinement(server: RunningServer) -> None:
    (server.root / ".secret").write_text("hidden")
    (server.root / "d").mkdir()
    (server.root.parent / "outside.txt").write_text("outside")
    (server.root / "link.txt").symlink_to(server.root.parent / "outside.txt")
    with server.client() as c:
        for path in ("missing.txt", ".secret", "d", "d/"):
            r = c.get(f"files/{path}")
            assert r.status_code == 404, path
            assert_sandboxed(r)
            assert "hidden" not in r.text
        for path in ("%2e%2e/outside.txt", "link.txt", "d/%2e%2e/%2e%2e/outside.txt"):
            r = c.get(f"files/{path}")
            assert r.status_code == 400, path
            assert "outside" not in r.text.replace("outside the root", "")
    with httpx.Client(base_url=server.url) as anonymous:
        r = anonymous.get("files/d")
        assert r.status_code == 403


def test_files_from_the_memory_store(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    server = start_server(root, "--store", "memory")
    try:
        data = os.urandom(2000)
        with server.client() as c:
            r = c.put(
                "api/contents/blob.bin",
                json={
                    "type": "file",
                    "format": "base64",
                    "content": base64.b64encode(data).decode(),
                },
            )
            assert r.status_code == 201
            r = c.get("files/blob.bin")
            assert r.status_code == 200
            assert r.content == data
            assert_sandboxed(r)
            assert c.head("files/blob.bin").headers["Content-Length"] == "2000"
            assert c.get("files/missing.bin").status_code == 404
        assert os.listdir(root) == []
    finally:
        server.stop()

"""``/api/contents`` against a real server: every endpoint and its error cases."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import httpx
import nbformat

from tests.conftest import RunningServer


def notebook(cells: int = 2) -> dict[str, Any]:
    nb = nbformat.v4.new_notebook()
    for i in range(cells):
        cell = nbformat.v4.new_code_cell(f"print({i})\nx = 'é'")
        cell.id = f"c{i}"
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"{i}\nsecond\n")]
        nb.cells.append(cell)
    return json.loads(json.dumps(nb))


def put_text(client: httpx.Client, path: str, content: str) -> httpx.Response:
    return client.put(
        f"api/contents/{path}", json={"type": "file", "format": "text", "content": content}
    )


def assert_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert isinstance(body["message"], str)
    assert body["message"]
    assert "Traceback" not in body["message"]
    return body


def tree(root: Path) -> dict[str, bytes]:
    found = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            path = Path(dirpath) / name
            found[str(path.relative_to(root))] = path.read_bytes()
    return found


def test_listing_and_models(server: RunningServer) -> None:
    (server.root / "a.txt").write_text("hello")
    (server.root / "sub").mkdir()
    (server.root / ".hidden").write_text("x")
    with server.client() as c:
        r = c.get("api/contents")
        assert r.status_code == 200
        root = r.json()
        assert root["type"] == "directory"
        assert root["path"] == ""
        assert root["format"] == "json"
        children = {m["name"]: m for m in root["content"]}
        assert set(children) == {"a.txt", "sub"}
        a = children["a.txt"]
        assert a["path"] == "a.txt"
        assert a["size"] == 5
        assert a["content"] is None
        assert a["last_modified"].endswith("Z") or "+00:00" in a["last_modified"]
        assert c.get("api/contents/").json()["content"] == root["content"]
        assert c.get("api/contents/sub").json()["content"] == []
        model = c.get("api/contents/a.txt").json()
        assert model["content"] == "hello"
        assert model["format"] == "text"
        assert model["mimetype"] == "text/plain"
        assert c.get("api/contents/a.txt", params={"content": "0"}).json()["content"] is None
        hashed = c.get("api/contents/a.txt", params={"hash": "1", "content": "0"}).json()
        assert hashed["hash"] == hashlib.sha256(b"hello").hexdigest()
        assert hashed["hash_algorithm"] == "sha256"
        b64 = c.get("api/contents/a.txt", params={"format": "base64"}).json()
        assert base64.b64decode(b64["content"]) == b"hello"
        assert "Last-Modified" in c.get("api/contents/a.txt").headers


def test_get_errors(server: RunningServer) -> None:
    (server.root / "bin.dat").write_bytes(b"\xff\xfe\x00")
    (server.root / "d").mkdir()
    with server.client() as c:
        assert_error(c.get("api/contents/missing.txt"), 404)
        assert_error(c.get("api/contents/.hidden"), 404)
        assert (
            assert_error(c.get("api/contents/bin.dat", params={"format": "text"}), 400)["reason"]
            == "bad format"
        )
        assert c.get("api/contents/bin.dat").json()["format"] == "base64"
        assert (
            assert_error(c.get("api/contents/d", params={"type": "file"}), 400)["reason"]
            == "bad type"
        )
        assert_error(c.get("api/contents/bin.dat", params={"type": "directory"}), 400)
        assert_error(c.get("api/contents/bin.dat", params={"type": "bogus"}), 400)
        assert_error(c.get("api/contents/bin.dat", params={"format": "json5"}), 400)
        assert_error(c.get("api/contents/bin.dat", params={"content": "maybe"}), 400)
    with httpx.Client(base_url=server.url) as anonymous:
        assert anonymous.get("api/contents").status_code == 403


def test_traversal_through_the_url_is_refused(server: RunningServer) -> None:
    (server.root.parent / "outside.txt").write_text("secret")
    with server.client() as c:
        for raw in (
            "%2e%2e/outside.txt",
            "..%2foutside.txt",
            "a/%2e%2e/%2e%2e/outside.txt",
            "%2Foutside.txt",
            "..%5coutside.txt",
            "a%00b",
        ):
            r = c.get(f"api/contents/{raw}")
            assert r.status_code in (400, 404), raw
            assert "secret" not in r.text
            r = c.put(
                f"api/contents/{raw}", json={"type": "file", "format": "text", "content": "pwned"}
            )
            assert r.status_code in (400, 404), raw
        # A double-encoded '..' is just a strange name, inside the root.
        r = put_text(c, "%252e%252e", "inside")
        assert r.status_code == 201
    assert (server.root / "%2e%2e").read_text() == "inside"
    assert (server.root.parent / "outside.txt").read_text() == "secret"
    assert sorted(os.listdir(server.root)) == ["%2e%2e"]


def test_put_creates_then_saves_with_location(server: RunningServer) -> None:
    with server.client() as c:
        r = put_text(c, "notes.txt", "v1")
        assert r.status_code == 201
        assert r.headers["Location"] == "/api/contents/notes.txt"
        assert r.json()["content"] is None
        assert r.json()["name"] == "notes.txt"
        r = put_text(c, "notes.txt", "v2")
        assert r.status_code == 200
        assert (server.root / "notes.txt").read_text() == "v2"
        r = c.put("api/contents/folder", json={"type": "directory"})
        assert r.status_code == 201
        assert (server.root / "folder").is_dir()
        r = put_text(c, "folder/é%20space.txt", "x")
        assert r.status_code == 201
        assert r.headers["Location"] == "/api/contents/folder/%C3%A9%20space.txt"
        assert (server.root / "folder" / "é space.txt").read_text() == "x"
        data = os.urandom(3000)
        r = c.put(
            "api/contents/blob.bin",
            json={"type": "file", "format": "base64", "content": base64.b64encode(data).decode()},
        )
        assert r.status_code == 201
        assert (server.root / "blob.bin").read_bytes() == data


def test_notebook_round_trip_is_byte_compatible(server: RunningServer) -> None:
    nb = notebook()
    with server.client() as c:
        r = c.put("api/contents/n.ipynb", json={"type": "notebook", "content": nb})
        assert r.status_code == 201
        assert r.json()["type"] == "notebook"
        on_disk = (server.root / "n.ipynb").read_bytes()
        assert on_disk == (nbformat.writes(nbformat.from_dict(nb)) + "\n").encode()
        got = c.get("api/contents/n.ipynb").json()
        assert got["type"] == "notebook"
        assert got["format"] == "json"
        assert got["content"] == nb
        assert got["content"]["cells"][0]["source"] == "print(0)\nx = 'é'"


def test_bad_saves_are_4xx_and_change_nothing(server: RunningServer) -> None:
    nb = notebook(1)
    (server.root / "n.ipynb").write_text(nbformat.writes(nbformat.from_dict(nb)))
    (server.root / "keep.txt").write_text("keep")
    before = tree(server.root)
    invalid = notebook(1)
    invalid["cells"][0]["outputs"][0]["output_type"] = "nonsense"
    bodies: list[Any] = [
        b"{not json",
        b"[1, 2]",
        b'"string"',
        {"type": "file", "format": "text"},
        {"format": "text", "content": "x"},
        {"type": "file", "format": "text", "content": None},
        {"type": "file", "format": "hex", "content": "00"},
        {"type": "file", "format": "text", "content": ["a"]},
        {"type": "file", "format": "base64", "content": "@@@"},
        {"type": "link", "format": "text", "content": "x"},
        {"type": "notebook", "content": invalid},
        {"type": "notebook", "content": "not a notebook"},
        {"type": "file", "format": "text", "content": "x", "chunk": 0},
        {"type": "file", "format": "text", "content": "x", "chunk": "one"},
        {"type": "file", "format": "text", "content": "x", "chunk": 3},
        {"copy_from": 12},
    ]
    with server.client() as c:
        for body in bodies:
            for target in ("n.ipynb", "keep.txt", "fresh.txt"):
                if isinstance(body, bytes):
                    r = c.put(f"api/contents/{target}", content=body)
                else:
                    r = c.put(f"api/contents/{target}", json=body)
                message = assert_error(r, 400)["message"]
                assert len(message) < 2000, body
        assert_error(c.put("api/contents/keep.txt"), 400)
        assert_error(put_text(c, "no/such/dir.txt", "x"), 404)
        assert_error(put_text(c, ".hidden", "x"), 400)
        assert_error(put_text(c, "", "x"), 400)
        assert_error(c.put("api/contents/keep.txt", json={"type": "directory"}), 409)
    assert tree(server.root) == before


def test_chunked_upload(server: RunningServer) -> None:
    (server.root / "big.bin").write_bytes(b"old")
    parts = [os.urandom(1000) for _ in range(3)]

    def send(c: httpx.Client, data: bytes, number: int) -> httpx.Response:
        return c.put(
            "api/contents/big.bin",
            json={
                "type": "file",
                "format": "base64",
                "chunk": number,
                "content": base64.b64encode(data).decode(),
            },
        )

    with server.client() as c:
        assert send(c, parts[0], 1).status_code in (200, 201)
        assert send(c, parts[1], 2).status_code in (200, 201)
        assert (server.root / "big.bin").read_bytes() == b"old"
        assert [m["name"] for m in c.get("api/contents").json()["content"]] == ["big.bin"]
        assert_error(send(c, parts[2], 4), 400)
        r = send(c, parts[2], -1)
        assert r.status_code == 200
        assert r.json()["size"] == 3000
        assert_error(send(c, b"late", 2), 400)
    assert (server.root / "big.bin").read_bytes() == b"".join(parts)
    assert os.listdir(server.root) == ["big.bin"]


def test_post_creates_untitled_and_copies(server: RunningServer) -> None:
    (server.root / "d").mkdir()
    with server.client() as c:
        r = c.post("api/contents", json={"type": "notebook"})
        assert r.status_code == 201
        assert r.json()["path"] == "Untitled.ipynb"
        assert r.headers["Location"] == "/api/contents/Untitled.ipynb"
        assert c.post("api/contents", json={"ext": ".ipynb"}).json()["name"] == "Untitled1.ipynb"
        assert c.post("api/contents", json={"type": "file", "ext": ".txt"}).json()["name"] == (
            "untitled.txt"
        )
        assert c.post("api/contents/d", json={"type": "directory"}).json()["path"] == (
            "d/Untitled Folder"
        )
        assert c.post("api/contents", content=b"").json()["name"] == "untitled"
        r = c.post("api/contents", json={"copy_from": "Untitled.ipynb"})
        assert r.status_code == 201
        assert r.json()["name"] == "Untitled-Copy1.ipynb"
        r = c.post("api/contents/d", json={"copy_from": "/Untitled.ipynb"})
        assert r.json()["path"] == "d/Untitled.ipynb"
        # The old API: PUT with copy_from copies to exactly that path.
        r = c.put("api/contents/d/named.ipynb", json={"copy_from": "Untitled.ipynb"})
        assert r.status_code == 201
        assert r.json()["path"] == "d/named.ipynb"
        assert_error(c.put("api/contents/d/named.ipynb", json={"copy_from": "Untitled.ipynb"}), 409)
        assert_error(c.post("api/contents/untitled.txt", json={"type": "file"}), 400)
        assert_error(c.post("api/contents/missing", json={"type": "file"}), 404)
        assert_error(c.post("api/contents", json={"type": "device"}), 400)
        assert_error(c.post("api/contents", json={"ext": 3}), 400)
        assert_error(c.post("api/contents", json={"copy_from": "nope.ipynb"}), 404)
        assert_error(c.post("api/contents", json={"copy_from": "../etc/passwd"}), 400)
        assert_error(c.post("api/contents", json={"copy_from": "d"}), 400)
    assert (server.root / "d" / "named.ipynb").read_bytes() == (
        server.root / "Untitled.ipynb"
    ).read_bytes()


def test_patch_renames_and_delete(server: RunningServer) -> None:
    (server.root / "a.txt").write_text("A")
    (server.root / "b.txt").write_text("B")
    (server.root / "d").mkdir()
    (server.root / "d" / "inner.txt").write_text("I")
    with server.client() as c:
        r = c.patch("api/contents/a.txt", json={"path": "d/moved.txt"})
        assert r.status_code == 200
        assert r.json()["path"] == "d/moved.txt"
        assert r.headers["Location"] == "/api/contents/d/moved.txt"
        assert (server.root / "d" / "moved.txt").read_text() == "A"
        assert_error(c.patch("api/contents/b.txt", json={"path": "d/moved.txt"}), 409)
        assert_error(c.patch("api/contents/missing.txt", json={"path": "x.txt"}), 404)
        assert_error(c.patch("api/contents/b.txt", json={}), 400)
        assert_error(c.patch("api/contents/b.txt", json={"path": 5}), 400)
        assert_error(c.patch("api/contents/b.txt", json={"path": "../b.txt"}), 400)
        assert_error(c.patch("api/contents/b.txt", content=b"nope"), 400)
        assert (server.root / "b.txt").read_text() == "B"
        r = c.delete("api/contents/b.txt")
        assert r.status_code == 204
        assert not (server.root / "b.txt").exists()
        assert c.delete("api/contents/d").status_code == 204
        assert_error(c.delete("api/contents/d"), 404)
        assert_error(c.delete("api/contents"), 400)
        assert_error(c.delete("api/contents/%2e%2e"), 400)
    assert os.listdir(server.root) == []


def test_checkpoints_endpoints(server: RunningServer) -> None:
    with server.client() as c:
        put_text(c, "f.txt", "v1")
        r = c.post("api/contents/f.txt/checkpoints")
        assert r.status_code == 201
        assert r.json()["id"] == "checkpoint"
        assert "last_modified" in r.json()
        assert r.headers["Location"] == "/api/contents/f.txt/checkpoints/checkpoint"
        put_text(c, "f.txt", "v2")
        c.post("api/contents/f.txt/checkpoints")
        put_text(c, "f.txt", "v3")
        listed = c.get("api/contents/f.txt/checkpoints").json()
        assert [cp["id"] for cp in listed] == ["checkpoint", "checkpoint-1"]
        r = c.post("api/contents/f.txt/checkpoints/checkpoint-1")
        assert r.status_code == 204
        assert (server.root / "f.txt").read_text() == "v1"
        assert c.delete("api/contents/f.txt/checkpoints/checkpoint-1").status_code == 204
        assert [cp["id"] for cp in c.get("api/contents/f.txt/checkpoints").json()] == ["checkpoint"]
        assert_error(c.post("api/contents/f.txt/checkpoints/checkpoint-1"), 404)
        assert_error(c.delete("api/contents/f.txt/checkpoints/checkpoint-9"), 404)
        assert_error(c.post("api/contents/f.txt/checkpoints/bogus"), 400)
        assert_error(c.get("api/contents/missing.txt/checkpoints"), 404)
        assert_error(c.post("api/contents/missing.txt/checkpoints"), 404)
    assert (server.root / ".ipynb_checkpoints" / "f-checkpoint.txt").read_text() == "v2"


def test_renaming_a_notebook_moves_its_session(server: RunningServer) -> None:
    with server.client() as c:
        assert c.post("api/contents", json={"type": "notebook"}).status_code == 201
        r = c.post(
            "api/sessions",
            json={"path": "Untitled.ipynb", "type": "notebook", "kernel": {"name": "python3"}},
        )
        assert r.status_code == 201, r.text
        session_id = r.json()["id"]
        try:
            r = c.patch("api/contents/Untitled.ipynb", json={"path": "Renamed.ipynb"})
            assert r.status_code == 200
            session = c.get(f"api/sessions/{session_id}").json()
            assert session["path"] == "Renamed.ipynb"
            assert session["name"] == "Renamed.ipynb"
        finally:
            c.delete(f"api/sessions/{session_id}")

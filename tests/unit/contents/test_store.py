"""The ContentStore contract, run against both the file and the memory store."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from carnet.contents import FileContentStore, MemoryContentStore
from carnet.errors import (
    AlreadyExists,
    InvalidInput,
    InvalidNotebook,
    InvalidPath,
    NotFound,
)
from tests.unit.contents.helpers import Sync, jupyter_bytes, sample_notebook, v3_notebook_text


@pytest.fixture(params=["file", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Sync]:
    if request.param == "file":
        root = tmp_path / "root"
        root.mkdir()
        yield Sync(FileContentStore(root, checkpoints_kept=3))
    else:
        yield Sync(MemoryContentStore(checkpoints_kept=3))


def names(store: Sync, path: str = "") -> list[str]:
    return sorted(child["name"] for child in store.get(path)["content"])


def text(store: Sync, path: str) -> str:
    content: str = store.get(path, type="file", format="text")["content"]
    return content


def save_text(store: Sync, path: str, content: str) -> dict[str, Any]:
    result: dict[str, Any] = store.save(
        path, {"type": "file", "format": "text", "content": content}
    )
    return result


# -- reading and listing ---------------------------------------------------------------
def test_empty_root_is_a_directory_with_no_children(store: Sync) -> None:
    root = store.get("")
    assert root["type"] == "directory"
    assert root["path"] == ""
    assert root["name"] == ""
    assert root["format"] == "json"
    assert root["content"] == []


def test_listing_shows_children_without_content(store: Sync) -> None:
    save_text(store, "a.txt", "hello")
    store.save("d", {"type": "directory"})
    store.save("n.ipynb", {"type": "notebook", "content": sample_notebook(1)})
    children = {c["name"]: c for c in store.get("")["content"]}
    assert set(children) == {"a.txt", "d", "n.ipynb"}
    assert children["a.txt"]["type"] == "file"
    assert children["a.txt"]["mimetype"] == "text/plain"
    assert children["a.txt"]["size"] == 5
    assert children["d"]["type"] == "directory"
    assert children["d"]["size"] is None
    assert children["n.ipynb"]["type"] == "notebook"
    assert all(c["content"] is None and c["format"] is None for c in children.values())
    for key in ("writable", "created", "last_modified", "hash", "hash_algorithm", "path"):
        assert all(key in c for c in children.values())


def test_text_file_round_trip_with_format_and_hash(store: Sync) -> None:
    saved = save_text(store, "dir-less.txt", "héllo\r\nworld")
    assert saved["content"] is None
    assert saved["type"] == "file"
    model = store.get("dir-less.txt", want_hash=True)
    assert model["content"] == "héllo\r\nworld"
    assert model["format"] == "text"
    assert model["hash_algorithm"] == "sha256"
    assert model["hash"] == hashlib.sha256("héllo\r\nworld".encode()).hexdigest()
    as_b64 = store.get("dir-less.txt", format="base64")
    assert base64.b64decode(as_b64["content"]) == "héllo\r\nworld".encode()
    assert store.get("dir-less.txt", content=False)["content"] is None


def test_binary_file_is_base64_and_refused_as_text(store: Sync) -> None:
    data = bytes(range(256))
    store.save(
        "b.bin", {"type": "file", "format": "base64", "content": base64.b64encode(data).decode()}
    )
    model = store.get("b.bin")
    assert model["format"] == "base64"
    assert model["mimetype"] == "application/octet-stream"
    assert base64.b64decode(model["content"]) == data
    with pytest.raises(InvalidInput) as info:
        store.get("b.bin", format="text")
    assert info.value.reason == "bad format"


def test_type_and_format_requests_are_checked(store: Sync) -> None:
    save_text(store, "a.txt", "x")
    with pytest.raises(InvalidInput) as info:
        store.get("", type="file")
    assert info.value.reason == "bad type"
    with pytest.raises(InvalidInput) as info:
        store.get("a.txt", type="directory")
    assert info.value.reason == "bad type"
    with pytest.raises(InvalidInput):
        store.get("a.txt", type="folder")
    with pytest.raises(InvalidInput):
        store.get("a.txt", format="json5")


def test_missing_paths_are_not_found(store: Sync) -> None:
    with pytest.raises(NotFound):
        store.get("nope.txt")
    with pytest.raises(NotFound):
        store.get("no/such/dir")
    assert not store.exists("nope.txt")
    assert not store.is_dir("nope")


@pytest.mark.parametrize("bad", ["..", "a/../..", "//etc/passwd", "a\\b", "a\x00b", "./x"])
def test_traversal_is_refused_everywhere(store: Sync, bad: str) -> None:
    with pytest.raises(InvalidPath):
        store.get(bad)
    with pytest.raises(InvalidPath):
        save_text(store, bad, "x")
    with pytest.raises(InvalidPath):
        store.delete(bad)
    with pytest.raises(InvalidPath):
        store.rename("x", bad)
    assert names(store) == []


def test_double_encoded_dots_are_a_literal_name(store: Sync) -> None:
    save_text(store, "%2e%2e", "inside")
    assert names(store) == ["%2e%2e"]
    assert text(store, "%2e%2e") == "inside"


def test_hidden_names_cannot_be_created(store: Sync) -> None:
    with pytest.raises(InvalidPath):
        save_text(store, ".secret", "x")
    with pytest.raises(NotFound):
        store.get(".secret")
    with pytest.raises(NotFound):
        store.get(".ipynb_checkpoints")
    assert names(store) == []


# -- notebooks ----------------------------------------------------------------------------
def test_notebook_is_saved_in_jupyters_exact_bytes(store: Sync) -> None:
    nb = sample_notebook()
    saved = store.save("n.ipynb", {"type": "notebook", "content": nb})
    assert saved["type"] == "notebook"
    assert saved["content"] is None
    raw = store.get("n.ipynb", type="file", format="base64")["content"]
    assert base64.b64decode(raw) == jupyter_bytes(nb)
    model = store.get("n.ipynb")
    assert model["format"] == "json"
    assert model["mimetype"] is None
    assert model["content"] == orjson.loads(orjson.dumps(nb))
    assert model["content"]["cells"][0]["source"] == "x = 0\nprint('é', x)\n"


def test_invalid_notebook_is_refused_and_old_file_kept(store: Sync) -> None:
    nb = sample_notebook(1)
    store.save("n.ipynb", {"type": "notebook", "content": nb})
    before = store.get("n.ipynb", type="file")["content"]
    broken = sample_notebook(1)
    broken["cells"][0]["cell_type"] = "mystery"
    for bad in (
        broken,
        {"cells": "nope", "nbformat": 4, "nbformat_minor": 5, "metadata": {}},
        {"nbformat": 3},
        [],
        "text",
    ):
        with pytest.raises(InvalidNotebook):
            store.save("n.ipynb", {"type": "notebook", "content": bad})
    assert store.get("n.ipynb", type="file")["content"] == before
    with pytest.raises(InvalidNotebook):
        store.save("new.ipynb", {"type": "notebook", "content": broken})
    assert "new.ipynb" not in names(store)


def test_duplicate_cell_ids_are_refused(store: Sync) -> None:
    nb = sample_notebook(2)
    nb["cells"][1]["id"] = nb["cells"][0]["id"]
    with pytest.raises(InvalidNotebook):
        store.save("n.ipynb", {"type": "notebook", "content": nb})


def test_v3_notebook_is_read_as_v4(store: Sync) -> None:
    save_text(store, "old.ipynb", v3_notebook_text())
    model = store.get("old.ipynb")
    nb = model["content"]
    assert nb["nbformat"] == 4
    assert [c["cell_type"] for c in nb["cells"]] == ["code", "markdown"]
    assert nb["cells"][0]["source"] == "print(1)"
    assert nb["cells"][0]["outputs"][0]["text"] == "1\n"
    # Saving it back writes v4.
    store.save("old.ipynb", {"type": "notebook", "content": nb})
    assert '"nbformat": 4' in text(store, "old.ipynb")


def test_unreadable_notebook_is_invalid(store: Sync) -> None:
    save_text(store, "bad.ipynb", "{not json")
    with pytest.raises(InvalidNotebook):
        store.get("bad.ipynb")
    assert text(store, "bad.ipynb") == "{not json"


# -- malformed saves ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "model",
    [
        {},
        {"type": "file"},
        {"type": "file", "format": "text"},
        {"type": "file", "content": "x"},
        {"type": "file", "format": "json", "content": "x"},
        {"type": "file", "format": "text", "content": 12},
        {"type": "file", "format": "base64", "content": "!!not base64!!"},
        {"type": "symlink", "format": "text", "content": "x"},
        {"type": 3, "content": "x"},
        {"type": "notebook"},
        {"type": "notebook", "format": "text", "content": {}},
        {"type": "file", "format": "text", "content": "x", "chunk": 0},
        {"type": "file", "format": "text", "content": "x", "chunk": -2},
        {"type": "file", "format": "text", "content": "x", "chunk": "1"},
        {"type": "file", "format": "text", "content": "x", "chunk": True},
        {"type": "file", "format": "text", "content": "x", "chunk": 2},
        {"type": "file", "format": "text", "content": "x", "chunk": -1},
    ],
)
def test_malformed_save_is_refused_and_nothing_changes(store: Sync, model: dict[str, Any]) -> None:
    save_text(store, "keep.txt", "original")
    with pytest.raises(InvalidInput):
        store.save("keep.txt", model)
    with pytest.raises(InvalidInput):
        store.save("new.txt", model)
    assert text(store, "keep.txt") == "original"
    assert names(store) == ["keep.txt"]


def test_save_into_missing_directory_is_not_found(store: Sync) -> None:
    with pytest.raises(NotFound):
        save_text(store, "no/dir/a.txt", "x")


# -- chunked uploads ---------------------------------------------------------------------
def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def chunk(store: Sync, path: str, data: bytes, number: int) -> dict[str, Any]:
    result: dict[str, Any] = store.save(
        path, {"type": "file", "format": "base64", "content": b64(data), "chunk": number}
    )
    return result


def test_chunked_upload_replaces_the_file_only_at_the_last_chunk(store: Sync) -> None:
    save_text(store, "big.bin", "old")
    chunk(store, "big.bin", b"A" * 1000, 1)
    chunk(store, "big.bin", b"B" * 1000, 2)
    assert text(store, "big.bin") == "old"
    assert names(store) == ["big.bin"]
    done = chunk(store, "big.bin", b"C", -1)
    assert done["size"] == 2001
    assert text(store, "big.bin") == "A" * 1000 + "B" * 1000 + "C"


def test_chunked_upload_of_a_new_file_appears_at_the_end(store: Sync) -> None:
    chunk(store, "new.bin", b"1", 1)
    assert not store.exists("new.bin")
    assert names(store) == []
    chunk(store, "new.bin", b"2", 2)
    chunk(store, "new.bin", b"3", 3)
    chunk(store, "new.bin", b"4", -1)
    assert text(store, "new.bin") == "1234"


def test_out_of_order_chunk_is_refused(store: Sync) -> None:
    save_text(store, "f.bin", "old")
    chunk(store, "f.bin", b"1", 1)
    with pytest.raises(InvalidInput):
        chunk(store, "f.bin", b"3", 3)
    with pytest.raises(InvalidInput):
        chunk(store, "f.bin", b"5", 5)
    assert text(store, "f.bin") == "old"
    # The upload can go on with the right chunk.
    chunk(store, "f.bin", b"2", 2)
    chunk(store, "f.bin", b"3", -1)
    assert text(store, "f.bin") == "123"


def test_restarting_an_upload_with_chunk_one_starts_over(store: Sync) -> None:
    chunk(store, "f.bin", b"stale", 1)
    chunk(store, "f.bin", b"fresh", 1)
    chunk(store, "f.bin", b"!", -1)
    assert text(store, "f.bin") == "fresh!"


# -- new, copy, rename, delete -----------------------------------------------------------
def test_new_untitled_names(store: Sync) -> None:
    assert store.new_untitled("", type="notebook", ext="")["name"] == "Untitled.ipynb"
    assert store.new_untitled("", type=None, ext=".ipynb")["name"] == "Untitled1.ipynb"
    assert store.new_untitled("", type="file", ext=".txt")["name"] == "untitled.txt"
    assert store.new_untitled("", type="file", ext="txt")["name"] == "untitled1.txt"
    folder = store.new_untitled("", type="directory", ext="")
    assert folder["name"] == "Untitled Folder"
    assert folder["type"] == "directory"
    assert store.new_untitled("", type="directory", ext="")["name"] == "Untitled Folder 1"
    inner = store.new_untitled("Untitled Folder", type="notebook", ext="")
    assert inner["path"] == "Untitled Folder/Untitled.ipynb"
    nb = store.get("Untitled.ipynb")["content"]
    assert nb == {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    assert text(store, "untitled.txt") == ""
    with pytest.raises(NotFound):
        store.new_untitled("missing", type="file", ext="")
    with pytest.raises(InvalidInput):
        store.new_untitled("", type="socket", ext="")


def test_copy_names_and_content(store: Sync) -> None:
    store.save("a.ipynb", {"type": "notebook", "content": sample_notebook(1)})
    store.save("d", {"type": "directory"})
    assert store.copy("a.ipynb", "")["name"] == "a-Copy1.ipynb"
    assert store.copy("a.ipynb", "")["name"] == "a-Copy2.ipynb"
    assert store.copy("a-Copy1.ipynb", "")["name"] == "a-Copy3.ipynb"
    assert store.copy("a.ipynb", "d")["path"] == "d/a.ipynb"
    assert store.copy("a.ipynb", "d/b.ipynb")["path"] == "d/b.ipynb"
    assert text(store, "d/b.ipynb") == text(store, "a.ipynb")
    with pytest.raises(AlreadyExists):
        store.copy("a.ipynb", "d/b.ipynb")
    with pytest.raises(InvalidInput):
        store.copy("d", "")
    with pytest.raises(NotFound):
        store.copy("missing.txt", "")


def test_rename_moves_and_refuses_existing_targets(store: Sync) -> None:
    save_text(store, "a.txt", "A")
    save_text(store, "b.txt", "B")
    store.save("d", {"type": "directory"})
    with pytest.raises(AlreadyExists):
        store.rename("a.txt", "b.txt")
    assert text(store, "b.txt") == "B"
    moved = store.rename("a.txt", "d/c.txt")
    assert moved["path"] == "d/c.txt"
    assert moved["name"] == "c.txt"
    assert text(store, "d/c.txt") == "A"
    assert names(store) == ["b.txt", "d"]
    store.rename("d", "e")
    assert text(store, "e/c.txt") == "A"
    with pytest.raises(InvalidPath):
        store.rename("e", "e/inner")
    with pytest.raises(NotFound):
        store.rename("missing", "x")
    with pytest.raises(InvalidPath):
        store.rename("b.txt", ".hidden")


def test_delete_files_and_directories(store: Sync) -> None:
    save_text(store, "a.txt", "A")
    store.save("d", {"type": "directory"})
    save_text(store, "d/inner.txt", "I")
    store.delete("a.txt")
    store.delete("d")
    assert names(store) == []
    with pytest.raises(NotFound):
        store.delete("a.txt")
    with pytest.raises(InvalidPath):
        store.delete("")


# -- checkpoints --------------------------------------------------------------------------
def test_checkpoints_are_kept_newest_first_and_restored(store: Sync) -> None:
    save_text(store, "f.txt", "v1")
    first = store.create_checkpoint("f.txt")
    assert first["id"] == "checkpoint"
    save_text(store, "f.txt", "v2")
    store.create_checkpoint("f.txt")
    save_text(store, "f.txt", "v3")
    store.create_checkpoint("f.txt")
    save_text(store, "f.txt", "v4")
    listed = store.list_checkpoints("f.txt")
    ids = [c["id"] for c in listed]
    assert ids == ["checkpoint", "checkpoint-2", "checkpoint-1"]
    assert all("last_modified" in c for c in listed)
    store.restore_checkpoint("f.txt", "checkpoint-1")
    assert text(store, "f.txt") == "v1"
    store.restore_checkpoint("f.txt", "checkpoint")
    assert text(store, "f.txt") == "v3"
    # Only three are kept: the oldest goes.
    store.create_checkpoint("f.txt")
    assert [c["id"] for c in store.list_checkpoints("f.txt")] == [
        "checkpoint",
        "checkpoint-3",
        "checkpoint-2",
    ]
    store.delete_checkpoint("f.txt", "checkpoint-2")
    assert [c["id"] for c in store.list_checkpoints("f.txt")] == ["checkpoint", "checkpoint-3"]
    with pytest.raises(NotFound):
        store.restore_checkpoint("f.txt", "checkpoint-2")
    with pytest.raises(InvalidInput):
        store.restore_checkpoint("f.txt", "../../etc/passwd")
    with pytest.raises(NotFound):
        store.list_checkpoints("missing.txt")


def test_checkpoints_follow_renames_and_go_with_deletes(store: Sync) -> None:
    save_text(store, "f.txt", "v1")
    store.create_checkpoint("f.txt")
    store.save("d", {"type": "directory"})
    store.rename("f.txt", "d/g.txt")
    assert [c["id"] for c in store.list_checkpoints("d/g.txt")] == ["checkpoint"]
    save_text(store, "d/g.txt", "v2")
    store.restore_checkpoint("d/g.txt", "checkpoint")
    assert text(store, "d/g.txt") == "v1"
    store.delete("d/g.txt")
    save_text(store, "d/g.txt", "new")
    assert store.list_checkpoints("d/g.txt") == []
    assert names(store, "d") == ["g.txt"]

"""What only the file store does: confinement on disk, atomic writes, modes, Jupyter's layout."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest

from carnet.contents import FileContentStore, make_store
from carnet.contents.memory import MemoryContentStore
from carnet.errors import InvalidPath, NotFound
from carnet.settings import ContentsSettings
from tests.unit.contents.helpers import Sync, jupyter_bytes, sample_notebook


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "root"
    path.mkdir()
    return path


@pytest.fixture
def store(root: Path) -> Sync:
    return Sync(FileContentStore(root, checkpoints_kept=2))


def save_text(store: Sync, path: str, content: str) -> None:
    store.save(path, {"type": "file", "format": "text", "content": content})


def test_make_store_picks_the_configured_store(root: Path) -> None:
    assert isinstance(make_store(ContentsSettings(), root), FileContentStore)
    assert isinstance(make_store(ContentsSettings(store="memory"), root), MemoryContentStore)


def test_symlink_out_of_the_root_is_refused(store: Sync, root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    (root / "escape").symlink_to(outside)
    (root / "escape.txt").symlink_to(outside / "secret.txt")
    for path in ("escape", "escape/secret.txt", "escape.txt"):
        with pytest.raises(InvalidPath):
            store.get(path)
    with pytest.raises(InvalidPath):
        save_text(store, "escape/new.txt", "x")
    with pytest.raises(InvalidPath):
        save_text(store, "escape.txt", "overwritten")
    with pytest.raises(InvalidPath):
        store.local_path("escape/secret.txt")
    assert sorted(os.listdir(outside)) == ["secret.txt"]
    assert (outside / "secret.txt").read_text() == "secret"
    # The escaping links are not listed either.
    assert store.get("")["content"] == []


def test_symlink_inside_the_root_is_followed(store: Sync, root: Path) -> None:
    (root / "real").mkdir()
    (root / "real" / "a.txt").write_text("A")
    (root / "alias").symlink_to(root / "real")
    assert store.get("alias/a.txt")["content"] == "A"
    save_text(store, "alias/a.txt", "B")
    assert (root / "real" / "a.txt").read_text() == "B"
    assert (root / "alias").is_symlink()


def test_hidden_files_are_invisible_unless_allowed(root: Path) -> None:
    (root / ".env").write_text("TOKEN=1")
    (root / ".git").mkdir()
    (root / "shown.txt").write_text("x")
    hidden = Sync(FileContentStore(root))
    assert [c["name"] for c in hidden.get("")["content"]] == ["shown.txt"]
    with pytest.raises(NotFound):
        hidden.get(".env")
    with pytest.raises(NotFound):
        hidden.get(".git")
    shown = Sync(FileContentStore(root, allow_hidden=True))
    assert sorted(c["name"] for c in shown.get("")["content"]) == [".env", ".git", "shown.txt"]
    assert shown.get(".env")["content"] == "TOKEN=1"


def test_save_keeps_the_files_mode_and_new_files_follow_the_umask(store: Sync, root: Path) -> None:
    (root / "private.txt").write_text("x")
    os.chmod(root / "private.txt", 0o600)
    save_text(store, "private.txt", "y")
    assert stat.S_IMODE(os.stat(root / "private.txt").st_mode) == 0o600
    save_text(store, "new.txt", "z")
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(root / "new.txt").st_mode) == 0o666 & ~umask


def test_saves_leave_no_temp_files(store: Sync, root: Path) -> None:
    nb = sample_notebook(2)
    store.save("n.ipynb", {"type": "notebook", "content": nb})
    broken = sample_notebook(1)
    broken["cells"][0]["outputs"] = "nope"
    with pytest.raises(Exception, match="not valid"):
        store.save("n.ipynb", {"type": "notebook", "content": broken})
    store.save("up.bin", {"type": "file", "format": "text", "content": "1", "chunk": 1})
    store.save("up.bin", {"type": "file", "format": "text", "content": "2", "chunk": -1})
    assert sorted(os.listdir(root)) == ["n.ipynb", "up.bin"]
    assert (root / "n.ipynb").read_bytes() == jupyter_bytes(nb)


def test_a_crashed_saves_temp_file_is_never_listed(root: Path) -> None:
    (root / ".~carnet-0123456789abcdef.tmp").write_text("partial")
    for allow_hidden in (False, True):
        store = Sync(FileContentStore(root, allow_hidden=allow_hidden))
        assert store.get("")["content"] == []


def test_checkpoints_use_jupyters_layout(store: Sync, root: Path) -> None:
    store.save("n.ipynb", {"type": "notebook", "content": sample_notebook(1)})
    store.create_checkpoint("n.ipynb")
    folder = root / ".ipynb_checkpoints"
    assert sorted(os.listdir(folder)) == ["n-checkpoint.ipynb"]
    assert (folder / "n-checkpoint.ipynb").read_bytes() == (root / "n.ipynb").read_bytes()
    store.create_checkpoint("n.ipynb")
    store.create_checkpoint("n.ipynb")
    assert sorted(os.listdir(folder)) == ["n-checkpoint-2.ipynb", "n-checkpoint.ipynb"]
    # The checkpoint folder is never listed nor reachable.
    assert [c["name"] for c in store.get("")["content"]] == ["n.ipynb"]
    with pytest.raises(NotFound):
        store.get(".ipynb_checkpoints/n-checkpoint.ipynb")
    store.delete("n.ipynb")
    assert not folder.exists()


def test_local_path_is_inside_the_root(store: Sync, root: Path) -> None:
    assert store.local_path("a/b.ipynb") == root.resolve() / "a" / "b.ipynb"
    assert store.local_path("") == root.resolve()
    with pytest.raises(InvalidPath):
        store.local_path("../x")


def test_files_changed_on_disk_are_read_fresh(store: Sync, root: Path) -> None:
    (root / "a.txt").write_text("one")
    assert store.get("a.txt")["content"] == "one"
    (root / "a.txt").write_text("two")
    assert store.get("a.txt")["content"] == "two"
    with pytest.raises(NotFound):
        store.get("a.txt/child")


def test_temp_files_left_by_a_crash_are_removed_once_stale(store: Sync, root: Path) -> None:
    stale = root / ".~carnet-00000000000000aa.tmp"
    fresh = root / ".~carnet-00000000000000bb.tmp"
    stale.write_text("partial")
    fresh.write_text("in progress")
    day_and_more = os.stat(stale).st_mtime - 25 * 3600
    os.utime(stale, (day_and_more, day_and_more))
    assert store.get("")["content"] == []
    assert not stale.exists()
    assert fresh.exists()


def test_concurrent_saves_leave_one_whole_version(root: Path) -> None:
    store = FileContentStore(root)
    versions = [f"version {i}\n".encode() * 50_000 for i in range(8)]

    async def save_all() -> None:
        await asyncio.gather(
            *(
                store.save("f.txt", {"type": "file", "format": "text", "content": v.decode()})
                for v in versions
            )
        )

    asyncio.run(save_all())
    assert (root / "f.txt").read_bytes() in versions
    assert os.listdir(root) == ["f.txt"]

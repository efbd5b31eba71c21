"""SessionService against an in-memory kernel service."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from carnet.errors import AlreadyExists, InvalidInput, NotFound
from carnet.sessions import SessionService


@dataclass
class FakeKernel:
    id: str
    name: str
    path: str | None

    def model(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name}


@dataclass
class MemoryKernels:
    """Kernels that are only records: enough to test what sessions do with them."""

    running: dict[str, FakeKernel] = field(default_factory=dict)
    stopped: list[str] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def get(self, kernel_id: str) -> FakeKernel:
        try:
            return self.running[kernel_id]
        except KeyError:
            raise NotFound(f"no kernel {kernel_id}") from None

    async def start(self, name: str | None = None, path: str | None = None) -> FakeKernel:
        kernel = FakeKernel(f"k{next(self._ids)}", name or "python3", path)
        self.running[kernel.id] = kernel
        return kernel

    async def shutdown(self, kernel_id: str) -> None:
        self.get(kernel_id)
        del self.running[kernel_id]
        self.stopped.append(kernel_id)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_create_starts_a_kernel_in_the_notebook_directory() -> None:
    kernels = MemoryKernels()
    sessions = SessionService(kernels)
    session, created = run(sessions.create("work/a.ipynb", "notebook", kernel_name="python3"))
    assert created
    assert kernels.running[session.kernel_id].path == "work/a.ipynb"
    model = sessions.model(session)
    assert model["path"] == "work/a.ipynb"
    assert model["name"] == "a.ipynb"
    assert model["kernel"]["id"] == session.kernel_id


def test_create_for_an_existing_path_returns_the_same_session() -> None:
    kernels = MemoryKernels()
    sessions = SessionService(kernels)
    first, _ = run(sessions.create("a.ipynb", "notebook"))
    second, created = run(sessions.create("a.ipynb", "notebook"))
    assert not created
    assert second.id == first.id
    assert len(kernels.running) == 1


def test_session_disappears_when_its_kernel_is_shut_down() -> None:
    kernels = MemoryKernels()
    sessions = SessionService(kernels)
    session, _ = run(sessions.create("a.ipynb", "notebook"))
    run(kernels.shutdown(session.kernel_id))
    assert sessions.list() == []
    with pytest.raises(NotFound):
        sessions.get(session.id)


def test_changing_the_kernel_by_name_stops_the_old_one() -> None:
    kernels = MemoryKernels()
    sessions = SessionService(kernels)
    session, _ = run(sessions.create("a.ipynb", "notebook"))
    old = session.kernel_id
    updated = run(sessions.update(session.id, kernel_name="other"))
    assert updated.kernel_id != old
    assert kernels.stopped == [old]
    assert kernels.running[updated.kernel_id].name == "other"


def test_changing_to_an_unknown_kernel_id_is_refused_and_changes_nothing() -> None:
    kernels = MemoryKernels()
    sessions = SessionService(kernels)
    session, _ = run(sessions.create("a.ipynb", "notebook"))
    with pytest.raises(InvalidInput):
        run(sessions.update(session.id, kernel_id="nope", path="b.ipynb"))
    assert sessions.get(session.id).path == "a.ipynb"


def test_moving_onto_another_sessions_path_is_refused() -> None:
    sessions = SessionService(MemoryKernels())
    a, _ = run(sessions.create("a.ipynb", "notebook"))
    run(sessions.create("b.ipynb", "notebook"))
    with pytest.raises(AlreadyExists):
        run(sessions.update(a.id, path="b.ipynb"))


def test_renamed_files_and_directories_keep_their_sessions() -> None:
    sessions = SessionService(MemoryKernels())
    a, _ = run(sessions.create("a.ipynb", "notebook"))
    b, _ = run(sessions.create("dir/sub/b.ipynb", "notebook"))
    sessions.path_moved("a.ipynb", "renamed.ipynb")
    sessions.path_moved("dir", "moved")
    assert sessions.get(a.id).path == "renamed.ipynb"
    assert sessions.get(a.id).name == "renamed.ipynb"
    assert sessions.get(b.id).path == "moved/sub/b.ipynb"


def test_delete_stops_the_kernel() -> None:
    kernels = MemoryKernels()
    sessions = SessionService(kernels)
    session, _ = run(sessions.create("a.ipynb", "notebook"))
    run(sessions.delete(session.id))
    assert kernels.running == {}
    with pytest.raises(NotFound):
        run(sessions.delete(session.id))


def test_sessions_kept_in_a_file_come_back_with_their_kernels(tmp_path: Path) -> None:
    kernels = MemoryKernels()
    store = tmp_path / "state" / "sessions.json"
    sessions = SessionService(kernels, store)
    a, _ = run(sessions.create("a.ipynb", "notebook"))
    b, _ = run(sessions.create("dir/b.ipynb", "notebook"))
    sessions.path_moved("dir", "moved")
    # A new server on the same state: only b's kernel survived.
    del kernels.running[a.kernel_id]
    again = SessionService(kernels, store)
    again.load()
    [back] = again.list()
    assert (back.id, back.path, back.kernel_id) == (b.id, "moved/b.ipynb", b.kernel_id)
    run(again.delete(back.id))
    third = SessionService(kernels, store)
    third.load()
    assert third.list() == []


def test_an_unreadable_sessions_file_is_ignored(tmp_path: Path) -> None:
    store = tmp_path / "sessions.json"
    store.write_text("{not json")
    sessions = SessionService(MemoryKernels(), store)
    sessions.load()
    assert sessions.list() == []
    run(sessions.create("a.ipynb", "notebook"))
    assert "a.ipynb" in store.read_text()

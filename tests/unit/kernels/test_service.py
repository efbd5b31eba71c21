"""KernelService without HTTP: a real kernel, and an in-memory client sink."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from carnet.errors import InvalidPath, NotFound
from carnet.kernels import KernelService
from carnet.settings import KernelsSettings


class MemorySink:
    """A ClientSink that keeps every JSON frame it is given."""

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []
        self.open = True

    def deliver(self, payload: bytes, binary: bool) -> bool:
        if not self.open:
            return False
        assert not binary
        self.frames.append(json.loads(payload))
        return True

    def disconnect(self) -> None:
        self.open = False


def _execute(code: str) -> tuple[str, str]:
    msg_id = uuid.uuid4().hex
    return msg_id, json.dumps(
        {
            "header": {
                "msg_id": msg_id,
                "msg_type": "execute_request",
                "session": "t",
                "username": "t",
                "version": "5.3",
                "date": "",
            },
            "parent_header": {},
            "metadata": {},
            "channel": "shell",
            "content": {"code": code, "silent": False, "allow_stdin": False},
        }
    )


async def _until_idle(sink: MemorySink, msg_id: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        mine = [f for f in sink.frames if f["parent_header"].get("msg_id") == msg_id]
        if any(
            f["msg_type"] == "status" and f["content"]["execution_state"] == "idle" for f in mine
        ) and any(f["msg_type"] == "execute_reply" for f in mine):
            return mine
        await asyncio.sleep(0.02)
    raise AssertionError(f"no idle for {msg_id}: {sink.frames[-5:]}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_missed_output_is_kept_within_the_window_and_dropped_after(tmp_path: Path) -> None:
    async def scenario() -> None:
        service = KernelService(KernelsSettings(reconnect_window=1.0), tmp_path)
        try:
            kernel = await service.start()
            first = MemorySink()
            session = service.connect(kernel.id, "phone", first, None)
            msg_id, text = _execute("import time; time.sleep(0.3); print('kept')")
            session.from_client(text)
            session.detach(first, kernel.reconnect_window)
            second = MemorySink()
            await asyncio.sleep(0.8)
            assert service.connect(kernel.id, "phone", second, None) is session
            mine = await _until_idle(second, msg_id)
            assert any(f["msg_type"] == "stream" and f["content"]["text"] == "kept\n" for f in mine)
            # Away for longer than the window: the session and its buffer are gone.
            session.detach(second, kernel.reconnect_window)
            msg_id, text = _execute("print('lost')")
            session.from_client(text)
            await asyncio.sleep(1.5)
            assert session.closed
            assert "phone" not in kernel.sessions
            third = MemorySink()
            assert service.connect(kernel.id, "phone", third, None) is not session
            assert not any(f["parent_header"].get("msg_id") == msg_id for f in third.frames)
        finally:
            await service.aclose()

    asyncio.run(scenario())


def test_aclose_stops_every_kernel_process(tmp_path: Path) -> None:
    async def scenario() -> list[int]:
        service = KernelService(KernelsSettings(), tmp_path)
        kernels = await asyncio.gather(service.start(), service.start("python3"))
        pids = [k.manager.provisioner.pid for k in kernels]
        assert len(service.list()) == 2
        await service.aclose()
        assert service.list() == []
        return pids

    pids = asyncio.run(scenario())
    assert len(pids) == 2
    assert not [p for p in pids if _alive(p)]


def test_unknown_names_and_escaping_paths_are_refused(tmp_path: Path) -> None:
    async def scenario() -> None:
        service = KernelService(KernelsSettings(), tmp_path)
        try:
            with pytest.raises(NotFound, match="nope"):
                await service.start("nope")
            with pytest.raises(InvalidPath):
                await service.start(None, "../../etc/notebook.ipynb")
            with pytest.raises(NotFound):
                service.get("missing")
            assert service.list() == []
        finally:
            await service.aclose()

    asyncio.run(scenario())

"""Kernel records: written safely, read back, and never mistaken for another process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from carnet.kernels.records import (
    KernelRecord,
    RecordStore,
    is_same_process,
    process_start_time,
)


def record(kernel_id: str = "k1", pid: int = 1, start: int = 0) -> KernelRecord:
    return KernelRecord(
        kernel_id=kernel_id,
        name="python3",
        connection={"shell_port": 5000, "key": "secret-key", "signature_scheme": "hmac-sha256"},
        pid=pid,
        start_time=start,
        cwd="/tmp",
    )


def test_records_are_private_and_read_back(tmp_path: Path) -> None:
    store = RecordStore(tmp_path / "kernels")
    store.write(record("k1"))
    store.write(record("k2", pid=7))
    path = tmp_path / "kernels" / "k1.kernel.json"
    assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "kernels").stat().st_mode & 0o777 == 0o700
    assert sorted(r.kernel_id for r in store.load()) == ["k1", "k2"]
    assert store.load()[0].connection["key"] == "secret-key"
    # Rewriting (a restart changes the pid) replaces, leaving no temporary file behind.
    store.write(record("k2", pid=8))
    assert {r.kernel_id: r.pid for r in store.load()}["k2"] == 8
    assert sorted(p.name for p in (tmp_path / "kernels").iterdir()) == [
        "k1.kernel.json",
        "k2.kernel.json",
    ]
    store.remove("k1")
    store.remove("k1")
    assert [r.kernel_id for r in store.load()] == ["k2"]


def test_unreadable_records_are_dropped(tmp_path: Path) -> None:
    store = RecordStore(tmp_path)
    store.write(record("good"))
    (tmp_path / "torn.kernel.json").write_text('{"kernel_id": "torn", "na')
    (tmp_path / "odd.kernel.json").write_text('{"something": "else"}')
    assert [r.kernel_id for r in store.load()] == ["good"]
    assert not (tmp_path / "torn.kernel.json").exists()
    assert not (tmp_path / "odd.kernel.json").exists()


def test_a_record_names_one_process_only() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        start = process_start_time(proc.pid)
        assert start is not None
        assert is_same_process(proc.pid, start)
        # Same pid, another start time: a pid the system gave to another program.
        assert not is_same_process(proc.pid, start + 1)
        os.kill(proc.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        # Dead but not yet reaped (a zombie) already counts as gone.
        while is_same_process(proc.pid, start) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not is_same_process(proc.pid, start)
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert process_start_time(proc.pid) is None or not is_same_process(proc.pid, start)


@pytest.mark.parametrize("bad", ["", "../x", ".hidden", "a/b"])
def test_kernel_ids_cannot_escape_the_directory(tmp_path: Path, bad: str) -> None:
    from carnet.errors import KernelError

    with pytest.raises(KernelError):
        RecordStore(tmp_path / "kernels").write(record(bad))

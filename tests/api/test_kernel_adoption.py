"""Kernels outlive a killed server and are taken over, state intact, by the next start."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.test_channels import _alive, new_kernel, open_channels, result
from tests.api.test_documents import (
    cell_text,
    client,
    notebook,
    poll,
    print_lines,
    read_notebook,
    running,
    serve,
    write_notebook,
)
from tests.conftest import RunningServer, start_server

#: Processes a test left running on purpose (an orphaned kernel); killed by pid afterwards.
_orphans: list[int] = []


@pytest.fixture(autouse=True)
def _kill_orphans() -> Iterator[None]:
    yield
    while _orphans:
        pid = _orphans.pop()
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


def _records(srv: RunningServer) -> Path:
    return Path(srv.env["XDG_STATE_HOME"]) / "carnet" / "kernels"


def _kernel_pid(srv: RunningServer, kid: str) -> int:
    ch = open_channels(srv, kid)
    pid = int(result(ch.run("import os\nos.getpid()")))
    ch.ws.close()
    _orphans.append(pid)
    return pid


def _listed(srv: RunningServer) -> list[str]:
    with srv.client() as client:
        r = client.get("/api/kernels")
    assert r.status_code == 200
    return [k["id"] for k in r.json()]


def _wait_gone(pid: int, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not _alive(pid)


def test_killed_server_kernel_is_adopted_with_its_state(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    srv = start_server(root)
    try:
        kid = new_kernel(srv)
        ch = open_channels(srv, kid)
        ch.run("x = 42")
        ch.ws.close()
        pid = _kernel_pid(srv, kid)
        record = _records(srv) / f"{kid}.kernel.json"
        assert record.stat().st_mode & 0o777 == 0o600
        assert json.loads(record.read_bytes())["pid"] == pid
    finally:
        srv.stop(signal.SIGKILL)
    assert _alive(pid), "the kernel died with the server"

    again = start_server(root)
    try:
        assert _listed(again) == [kid]
        ch = open_channels(again, kid)
        assert result(ch.run("x")) == "42"
        assert result(ch.run("os.getpid()")) == str(pid)
        # Interrupt and restart work on a kernel this server did not start.
        sleeping = ch.execute("import time; time.sleep(30)")
        time.sleep(0.5)
        with again.client() as client:
            assert client.post(f"/api/kernels/{kid}/interrupt").status_code == 204
        reply = ch.until(
            lambda m: (
                m["header"]["msg_type"] == "execute_reply"
                and m["parent_header"].get("msg_id") == sleeping
            ),
            timeout=10,
        )
        assert reply["content"]["status"] == "error"
        with again.client() as client:
            assert client.post(f"/api/kernels/{kid}/restart").status_code == 200
        new_pid = int(result(ch.run("import os\nos.getpid()")))
        _orphans.append(new_pid)
        assert new_pid != pid
        assert _wait_gone(pid)
        record = _records(again) / f"{kid}.kernel.json"
        assert json.loads(record.read_bytes())["pid"] == new_pid
        assert "NameError" in str(ch.run("x"))
        ch.ws.close()
        pid = new_pid
        # A session by kernel id works as before.
        with again.client() as client:
            r = client.post(
                "/api/sessions",
                json={"path": "a.ipynb", "type": "notebook", "kernel": {"id": kid}},
            )
            assert r.status_code == 201, r.text
            assert r.json()["kernel"]["id"] == kid
    finally:
        assert again.stop(signal.SIGTERM) == 0
        sys.stdout.write(again.log())
    # The default graceful stop shuts the adopted kernel down and forgets it.
    assert _wait_gone(pid)
    assert not (_records(again) / f"{kid}.kernel.json").exists()


def test_session_comes_back_with_its_kernel(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    srv = start_server(root)
    try:
        with srv.client() as client:
            r = client.post(
                "/api/sessions",
                json={"path": "nb.ipynb", "type": "notebook", "kernel": {"name": "python3"}},
            )
            assert r.status_code == 201, r.text
            session = r.json()
        _kernel_pid(srv, session["kernel"]["id"])
    finally:
        srv.stop(signal.SIGKILL)
    again = start_server(root)
    try:
        with again.client() as client:
            r = client.get("/api/sessions")
        assert r.status_code == 200
        [back] = r.json()
        assert back["id"] == session["id"]
        assert back["path"] == "nb.ipynb"
        assert back["kernel"]["id"] == session["kernel"]["id"]
    finally:
        again.stop(signal.SIGTERM)


def test_dead_or_reused_pid_is_not_adopted(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    srv = start_server(root)
    try:
        dead = new_kernel(srv)
        dead_pid = _kernel_pid(srv, dead)
        reused = new_kernel(srv)
        reused_pid = _kernel_pid(srv, reused)
    finally:
        srv.stop(signal.SIGKILL)
    records = _records(srv)
    os.kill(dead_pid, signal.SIGKILL)
    assert _wait_gone(dead_pid)
    # The second record now names another live process: this one (same pid, other start).
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        path = records / f"{reused}.kernel.json"
        data = json.loads(path.read_bytes())
        data["pid"] = stranger.pid
        path.write_bytes(json.dumps(data).encode())
        again = start_server(root)
        try:
            assert _listed(again) == []
            assert not (records / f"{dead}.kernel.json").exists()
            assert not path.exists()
            assert stranger.poll() is None, "a process that was not the kernel was signalled"
        finally:
            again.stop(signal.SIGTERM)
    finally:
        stranger.kill()
        stranger.wait(timeout=10)
    # The real kernel of the doctored record was never adopted: it is still an orphan.
    assert _alive(reused_pid)


def test_keep_kernels_leaves_them_for_the_next_start(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    srv = start_server(root, "--keep-kernels")
    try:
        kid = new_kernel(srv)
        ch = open_channels(srv, kid)
        ch.run("y = 'kept'")
        ch.ws.close()
        pid = _kernel_pid(srv, kid)
    finally:
        assert srv.stop(signal.SIGTERM) == 0
    assert _alive(pid), "--keep-kernels shut the kernel down"
    again = start_server(root)
    try:
        assert _listed(again) == [kid]
        ch = open_channels(again, kid)
        assert result(ch.run("y")) == "'kept'"
        ch.ws.close()
    finally:
        assert again.stop(signal.SIGTERM) == 0
    assert _wait_gone(pid)


def test_cell_running_when_the_server_was_killed_finishes_after_restart(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    state = tmp_path / "state"
    write_notebook(root / "long.ipynb", notebook(print_lines(30, 0.2)))
    srv = serve(root, state)
    try:
        with client(srv, "long.ipynb") as a:
            a.execute(["cell0"])
            assert a.wait_for(lambda: "line 00004" in a.text("cell0"), 30)
            srv.stop(signal.SIGKILL)
            before = a.text("cell0")
    finally:
        srv.stop()
        sys.stdout.write(srv.log())

    with running(root, state) as again, client(again, "long.ipynb") as b:
        assert b.wait_for(lambda: b.state("cell0") in ("finished", "error"), 30)
        assert b.state("cell0") == "finished"
        text = b.text("cell0")
        assert text.startswith(before)
        numbers = [int(line.split()[1]) for line in text.splitlines()]
        # Lines printed while no server ran are lost; the rest arrive once, in order, to the end.
        assert numbers == sorted(set(numbers))
        assert numbers[-1] == 29
        after = [n for n in numbers if n > int(before.splitlines()[-1].split()[1])]
        assert len(after) >= 10, text
        assert after == list(range(after[0], 30))
        # The notebook still runs cells on the same kernel.
        first = b.execution_id("cell0")
        assert b.run(["cell0"], 30)
        assert b.execution_id("cell0") != first
        assert b.state("cell0") == "finished"

        def written() -> bool:
            nb = read_notebook(root / "long.ipynb")
            return cell_text(nb, "cell0").endswith("line 00029\n")

        assert poll(written, 20)


def test_keep_kernels_stop_leaves_a_running_cell_to_finish_after_restart(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    state = tmp_path / "state"
    write_notebook(root / "kept.ipynb", notebook(print_lines(25, 0.2)))
    srv = start_server(root, "--keep-kernels", env={"XDG_STATE_HOME": str(state)})
    try:
        with client(srv, "kept.ipynb") as a:
            a.execute(["cell0"])
            assert a.wait_for(lambda: "line 00003" in a.text("cell0"), 30)
            assert srv.stop(signal.SIGTERM) == 0
    finally:
        srv.stop()
        sys.stdout.write(srv.log())
    with running(root, state) as again, client(again, "kept.ipynb") as b:
        assert b.wait_for(lambda: b.state("cell0") in ("finished", "error"), 30)
        assert b.state("cell0") == "finished"
        assert b.text("cell0").endswith("line 00024\n")
        assert not [o for o in b.outputs("cell0") if o["output_type"] == "error"]


def test_cell_whose_kernel_died_with_the_server_ends_as_cut_short(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    state = tmp_path / "state"
    write_notebook(root / "lost.ipynb", notebook(print_lines(50, 0.2)))
    srv = serve(root, state)
    try:
        with client(srv, "lost.ipynb") as a:
            a.execute(["cell0"])
            assert a.wait_for(lambda: "line 00002" in a.text("cell0"), 30)
            srv.stop(signal.SIGKILL)
            before = a.text("cell0")
    finally:
        srv.stop()
        sys.stdout.write(srv.log())
    [record] = (state / "carnet" / "kernels").glob("*.kernel.json")
    pid = json.loads(record.read_bytes())["pid"]
    os.kill(pid, signal.SIGKILL)
    assert _wait_gone(pid)
    with running(root, state) as again, client(again, "lost.ipynb") as b:
        assert b.wait_for(lambda: b.state("cell0") == "error", 30)
        assert b.text("cell0").startswith(before)
        errors = [o for o in b.outputs("cell0") if o["output_type"] == "error"]
        assert [e["ename"] for e in errors] == ["ServerRestarted"]
        assert b.run(["cell0"], 60)
        assert b.state("cell0") == "finished"

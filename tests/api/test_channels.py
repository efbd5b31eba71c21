"""The kernel channels WebSocket, with real ipykernel kernels behind a real server."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import signal
import struct
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.conftest import RunningServer, start_server

V1 = "v1.kernel.websocket.jupyter.org"


# -- a small client that decodes every frame layout independently of carnet ---------------
def _decode_legacy(data: bytes) -> dict[str, Any]:
    (count,) = struct.unpack_from("!I", data, 0)
    offsets = [*struct.unpack_from(f"!{count}I", data, 4), len(data)]
    chunks = [data[a:b] for a, b in itertools.pairwise(offsets)]
    msg: dict[str, Any] = json.loads(chunks[0])
    msg["buffers"] = chunks[1:]
    return msg


def _decode_v1(data: bytes) -> dict[str, Any]:
    (count,) = struct.unpack_from("<Q", data, 0)
    offsets = struct.unpack_from(f"<{count}Q", data, 8)
    chunks = [data[a:b] for a, b in itertools.pairwise(offsets)]
    return {
        "channel": chunks[0].decode(),
        "header": json.loads(chunks[1]),
        "parent_header": json.loads(chunks[2]),
        "metadata": json.loads(chunks[3]),
        "content": json.loads(chunks[4]),
        "buffers": chunks[5:],
    }


def _encode_v1(msg: dict[str, Any], buffers: list[bytes]) -> bytes:
    chunks = (
        [msg["channel"].encode()]
        + [json.dumps(msg[k]).encode() for k in ("header", "parent_header", "metadata", "content")]
        + buffers
    )
    offsets = [8 * (len(chunks) + 2)]
    for chunk in chunks:
        offsets.append(offsets[-1] + len(chunk))
    return struct.pack(f"<{len(offsets) + 1}Q", len(offsets), *offsets) + b"".join(chunks)


def _encode_legacy(msg: dict[str, Any], buffers: list[bytes]) -> bytes:
    chunks = [json.dumps(msg).encode(), *buffers]
    offsets = [4 * (len(chunks) + 1)]
    for chunk in chunks[:-1]:
        offsets.append(offsets[-1] + len(chunk))
    return struct.pack(f"!{len(chunks) + 1}I", len(chunks), *offsets) + b"".join(chunks)


class Channels:
    """One WebSocket on a kernel's channels, speaking either protocol."""

    def __init__(self, ws: ClientConnection, v1: bool) -> None:
        self.ws = ws
        self.v1 = v1
        self.seen: list[dict[str, Any]] = []

    def send(
        self,
        msg_type: str,
        content: dict[str, Any],
        channel: str = "shell",
        buffers: list[bytes] | None = None,
    ) -> str:
        msg_id = uuid.uuid4().hex
        msg = {
            "header": {
                "msg_id": msg_id,
                "msg_type": msg_type,
                "session": "test",
                "username": "test",
                "version": "5.3",
                "date": "",
            },
            "parent_header": {},
            "metadata": {},
            "content": content,
            "channel": channel,
        }
        if self.v1:
            self.ws.send(_encode_v1(msg, buffers or []))
        elif buffers:
            self.ws.send(_encode_legacy(msg, buffers))
        else:
            self.ws.send(json.dumps(msg))
        return msg_id

    def execute(self, code: str, allow_stdin: bool = False) -> str:
        return self.send(
            "execute_request",
            {"code": code, "silent": False, "store_history": True, "allow_stdin": allow_stdin},
        )

    def recv(self, timeout: float = 30) -> dict[str, Any]:
        data = self.ws.recv(timeout=timeout)
        if isinstance(data, str):
            msg: dict[str, Any] = json.loads(data)
        elif self.v1:
            msg = _decode_v1(data)
        else:
            msg = _decode_legacy(data)
        self.seen.append(msg)
        return msg

    def until(self, predicate: Any, timeout: float = 30) -> dict[str, Any]:
        """Read messages until one matches; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching message; saw {self.seen[-5:]}")
            msg = self.recv(timeout=left)
            if predicate(msg):
                return msg

    def run(self, code: str, timeout: float = 30) -> list[dict[str, Any]]:
        """Execute ``code``; every message of that request up to its reply and idle status."""
        msg_id = self.execute(code)
        return self.collect(msg_id, timeout)

    def collect(self, msg_id: str, timeout: float = 30) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        replied = idle = False
        deadline = time.monotonic() + timeout
        while not (replied and idle):
            left = deadline - time.monotonic()
            assert left > 0, f"request incomplete after {timeout}s: {found}"
            msg = self.recv(timeout=left)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            found.append(msg)
            kind = msg["header"]["msg_type"]
            replied = replied or kind == "execute_reply"
            idle = idle or (kind == "status" and msg["content"]["execution_state"] == "idle")
        return found


def stdout(msgs: list[dict[str, Any]]) -> str:
    return "".join(m["content"]["text"] for m in msgs if m["header"]["msg_type"] == "stream")


def result(msgs: list[dict[str, Any]]) -> str:
    for m in msgs:
        if m["header"]["msg_type"] == "execute_result":
            return str(m["content"]["data"]["text/plain"])
    raise AssertionError(f"no execute_result in {msgs}")


def open_channels(
    srv: RunningServer, kernel_id: str, session_id: str | None = None, v1: bool = False
) -> Channels:
    query = f"?session_id={session_id}" if session_id else ""
    ws = connect(
        f"{srv.ws_url}api/kernels/{kernel_id}/channels{query}",
        additional_headers={"Authorization": f"token {srv.token}"},
        subprotocols=[V1] if v1 else None,  # type: ignore[list-item]
        max_size=None,
        open_timeout=30,
        legacy=True,
    )
    _opened.append(ws)
    return Channels(ws, v1)


_opened: list[ClientConnection] = []


@pytest.fixture(autouse=True)
def _close_websockets() -> Iterator[None]:
    yield
    while _opened:
        _opened.pop().close()


def new_kernel(srv: RunningServer, **body: str) -> str:
    with srv.client() as client:
        r = client.post("/api/kernels", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


@pytest.fixture
def kernel(server: RunningServer) -> tuple[RunningServer, str]:
    return server, new_kernel(server)


# -- execution -------------------------------------------------------------------------
def test_print_gives_stream_and_result(kernel: tuple[RunningServer, str]) -> None:
    srv, kid = kernel
    ch = open_channels(srv, kid, "s1")
    msgs = ch.run("print(1+1)\n40+2")
    assert stdout(msgs) == "2\n"
    assert result(msgs) == "42"
    reply = next(m for m in msgs if m["header"]["msg_type"] == "execute_reply")
    assert reply["channel"] == "shell"
    assert reply["content"]["status"] == "ok"
    ch.ws.close()


def test_error_arrives_with_traceback(kernel: tuple[RunningServer, str]) -> None:
    srv, kid = kernel
    ch = open_channels(srv, kid)
    msgs = ch.run("def f():\n    return 1/0\nf()")
    error = next(m for m in msgs if m["header"]["msg_type"] == "error")
    assert error["content"]["ename"] == "ZeroDivisionError"
    traceback = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(error["content"]["traceback"]))
    assert "return 1/0" in traceback
    assert "ZeroDivisionError" in traceback
    ch.ws.close()


def test_input_is_answered_over_stdin(kernel: tuple[RunningServer, str]) -> None:
    srv, kid = kernel
    ch = open_channels(srv, kid)
    msg_id = ch.execute("name = input('who? ')\nprint('hello', name)", allow_stdin=True)
    request = ch.until(lambda m: m["header"]["msg_type"] == "input_request")
    assert request["channel"] == "stdin"
    assert request["content"]["prompt"] == "who? "
    ch.send("input_reply", {"value": "carnet"}, channel="stdin")
    assert "hello carnet" in stdout(ch.collect(msg_id))
    ch.ws.close()


def test_interrupt_stops_a_sleep_quickly(kernel: tuple[RunningServer, str]) -> None:
    srv, kid = kernel
    ch = open_channels(srv, kid)
    msg_id = ch.execute("import time\ntime.sleep(30)")
    ch.until(lambda m: m["header"]["msg_type"] == "execute_input")
    started = time.monotonic()
    with srv.client() as client:
        assert client.post(f"/api/kernels/{kid}/interrupt").status_code == 204
    msgs = ch.collect(msg_id, timeout=15)
    assert time.monotonic() - started < 10
    error = next(m for m in msgs if m["header"]["msg_type"] == "error")
    assert error["content"]["ename"] == "KeyboardInterrupt"
    ch.ws.close()


def test_restart_gives_a_fresh_kernel(kernel: tuple[RunningServer, str]) -> None:
    srv, kid = kernel
    ch = open_channels(srv, kid, "s1")
    assert result(ch.run("x = 42\nx")) == "42"
    with srv.client() as client:
        r = client.post(f"/api/kernels/{kid}/restart")
    assert r.status_code == 200
    assert r.json()["id"] == kid
    ch.until(
        lambda m: (
            m["header"]["msg_type"] == "status" and m["content"]["execution_state"] == "restarting"
        )
    )
    msgs = ch.run("x")
    assert (
        next(m for m in msgs if m["header"]["msg_type"] == "error")["content"]["ename"]
        == "NameError"
    )
    ch.ws.close()


# -- binary buffers in both protocols -----------------------------------------------------
ECHO_TARGET = """
import comm
def _echo_target(c, open_msg):
    @c.on_msg
    def _echo(msg):
        bufs = [bytes(b)[::-1] for b in msg['buffers']]
        c.send({'count': len(bufs)}, buffers=bufs)
comm.get_comm_manager().register_target('echo', _echo_target)
"""


@pytest.mark.parametrize("v1", [True, False], ids=["v1", "legacy"])
def test_binary_buffers_go_both_ways(kernel: tuple[RunningServer, str], v1: bool) -> None:
    srv, kid = kernel
    ch = open_channels(srv, kid, v1=v1)
    assert ch.ws.subprotocol == (V1 if v1 else None)
    assert ch.run(ECHO_TARGET)[-1]["content"]  # the target is registered
    comm_id = uuid.uuid4().hex
    ch.send("comm_open", {"comm_id": comm_id, "target_name": "echo", "data": {}})
    payload = bytes(range(256)) * 3
    ch.send("comm_msg", {"comm_id": comm_id, "data": {}}, buffers=[payload, b"\x00\xffz"])
    echo = ch.until(lambda m: m["header"]["msg_type"] == "comm_msg")
    assert echo["channel"] == "iopub"
    assert echo["content"]["data"] == {"count": 2}
    assert [bytes(b) for b in echo["buffers"]] == [payload[::-1], b"z\xff\x00"]
    ch.ws.close()


# -- several clients, reconnects, volume ------------------------------------------------
def test_two_clients_both_see_iopub_and_only_the_asker_gets_the_reply(
    kernel: tuple[RunningServer, str],
) -> None:
    srv, kid = kernel
    a = open_channels(srv, kid, "a")
    b = open_channels(srv, kid, "b", v1=True)
    msg_id = a.execute("print('for everyone')")
    assert stdout(a.collect(msg_id)) == "for everyone\n"
    seen = b.until(lambda m: m["header"]["msg_type"] == "stream")
    assert seen["content"]["text"] == "for everyone\n"
    b.until(
        lambda m: (
            m["header"]["msg_type"] == "status"
            and m["parent_header"].get("msg_id") == msg_id
            and m["content"]["execution_state"] == "idle"
        )
    )
    assert not any(m["header"]["msg_type"] == "execute_reply" for m in b.seen)
    with srv.client() as client:
        assert client.get(f"/api/kernels/{kid}").json()["connections"] == 2
    a.ws.close()
    b.ws.close()


def test_reconnect_with_the_same_session_gets_missed_output(
    kernel: tuple[RunningServer, str],
) -> None:
    srv, kid = kernel
    first = open_channels(srv, kid, "laptop")
    msg_id = first.execute("import time\ntime.sleep(1)\nprint('while you were away')\n7*6")
    first.ws.close()
    time.sleep(2.5)
    again = open_channels(srv, kid, "laptop")
    msgs = again.collect(msg_id)
    assert stdout(msgs) == "while you were away\n"
    assert result(msgs) == "42"
    assert any(m["header"]["msg_type"] == "execute_reply" for m in msgs)
    again.ws.close()


def test_50_mb_burst_arrives_byte_exact(kernel: tuple[RunningServer, str]) -> None:
    srv, kid = kernel
    ch = open_channels(srv, kid)
    code = (
        "import sys, hashlib\n"
        "h = hashlib.sha256()\n"
        "for i in range(763):\n"
        "    s = '%08d' % i + 'x' * 65527 + '\\n'\n"
        "    sys.stdout.write(s)\n"
        "    sys.stdout.flush()\n"
        "    h.update(s.encode())\n"
        "h.hexdigest()"
    )
    msgs = ch.run(code, timeout=90)
    text = stdout(msgs).encode()
    assert len(text) == 763 * 65536
    assert repr(hashlib.sha256(text).hexdigest()) == result(msgs)
    ch.ws.close()


# -- kernel death and process hygiene -----------------------------------------------------
def test_dead_kernel_is_reported_and_restarted(kernel: tuple[RunningServer, str]) -> None:
    srv, kid = kernel
    ch = open_channels(srv, kid, "s1")
    pid = int(result(ch.run("import os\nos.getpid()")))
    ch.execute("import os\nos._exit(1)")
    ch.until(
        lambda m: (
            m["header"]["msg_type"] == "status" and m["content"]["execution_state"] == "restarting"
        ),
        timeout=15,
    )
    ch.until(
        lambda m: m["header"]["msg_type"] == "status" and m["content"]["execution_state"] == "idle",
        timeout=60,
    )
    new_pid = int(result(ch.run("import os\nos.getpid()")))
    assert new_pid != pid
    assert not _alive(pid)
    with srv.client() as client:
        assert client.get(f"/api/kernels/{kid}").json()["execution_state"] == "idle"
    ch.ws.close()


def test_dead_kernel_stays_dead_when_restarts_are_off(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    srv = start_server(root, env={"CARNET_KERNELS_RESTART_DEAD": "0"})
    try:
        kid = new_kernel(srv)
        ch = open_channels(srv, kid)
        ch.execute("import os\nos._exit(3)")
        ch.until(
            lambda m: (
                m["header"]["msg_type"] == "status" and m["content"]["execution_state"] == "dead"
            ),
            timeout=15,
        )
        with srv.client() as client:
            assert client.get(f"/api/kernels/{kid}").json()["execution_state"] == "dead"
            assert client.post(f"/api/kernels/{kid}/interrupt").status_code == 409
            # A restart from REST brings a dead kernel back.
            assert client.post(f"/api/kernels/{kid}/restart").json()["execution_state"] == "idle"
        assert result(ch.run("6*7")) == "42"
        ch.ws.close()
    finally:
        srv.stop()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is not alive; its parent has just not reaped it yet.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return False


def test_no_kernel_process_survives_sigterm(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    srv = start_server(root)
    pids = []
    try:
        for body in ({}, {"path": "sub/notebook.ipynb"}):
            kid = new_kernel(srv, **body)
            ch = open_channels(srv, kid)
            pid, cwd = eval(result(ch.run("import os\n(os.getpid(), os.getcwd())")))
            pids.append(pid)
            expected = (root / body["path"]).parent if body else root
            assert Path(cwd) == expected.resolve()
            ch.ws.close()
    finally:
        assert srv.stop(signal.SIGTERM) == 0
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in pids if _alive(p)]


def test_unknown_kernel_and_missing_token_are_refused(server: RunningServer) -> None:
    with pytest.raises(InvalidStatus) as exc:
        open_channels(server, "no-such-kernel")
    assert exc.value.response.status_code == 404
    kid = new_kernel(server)
    with pytest.raises(InvalidStatus) as exc:
        connect(f"{server.ws_url}api/kernels/{kid}/channels", open_timeout=30, legacy=True)
    assert exc.value.response.status_code == 403


def test_websockets_from_another_site_are_refused(kernel: tuple[RunningServer, str]) -> None:
    srv, kid = kernel
    url = f"{srv.ws_url}api/kernels/{kid}/channels?token={srv.token}"
    with pytest.raises(InvalidStatus) as exc:
        connect(url, origin="http://evil.example", open_timeout=30, legacy=True)
    assert exc.value.response.status_code == 403
    same = connect(url, origin=f"http://127.0.0.1:{srv.port}", open_timeout=30, legacy=True)
    _opened.append(same)
    assert result(Channels(same, v1=False).run("1+1")) == "2"


def test_deleting_a_kernel_closes_its_websockets(kernel: tuple[RunningServer, str]) -> None:
    srv, kid = kernel
    ch = open_channels(srv, kid, "s1")
    assert result(ch.run("1+1")) == "2"
    with srv.client() as client:
        assert client.delete(f"/api/kernels/{kid}").status_code == 204
    with pytest.raises(ConnectionClosed):
        ch.until(lambda m: False, timeout=15)
    assert ch.ws.close_code == 1000


def test_a_client_that_does_not_read_still_gets_everything_in_order(
    kernel: tuple[RunningServer, str],
) -> None:
    srv, kid = kernel
    ch = open_channels(srv, kid, "slow")
    msg_id = ch.execute(
        "import sys\n"
        "for i in range(300):\n"
        "    sys.stdout.write('%08d' % i + 'y' * 65527 + '\\n')\n"
        "    sys.stdout.flush()\n"
        "open('written', 'w').close()\n"
    )
    # Read nothing until the kernel has finished producing all of it.
    deadline = time.monotonic() + 60
    while not (srv.root / "written").exists():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    text = stdout(ch.collect(msg_id, timeout=60))
    lines = text.split("\n")[:-1]
    assert [int(line[:8]) for line in lines] == list(range(300))
    assert all(len(line) == 65535 for line in lines)

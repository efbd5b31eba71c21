"""The document protocol against a real server and real kernels: live editing and running.

Each test drives one or more ``carnet.client.NotebookClient`` over a WebSocket or
over Server-Sent Events with POSTs, the way browser tabs would.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as ws_connect

from carnet.client import NotebookClient, ProtocolError
from tests.conftest import RunningServer, start_server


def notebook(*sources: str, ids: list[str] | None = None) -> dict[str, Any]:
    """A v4.5 notebook with one code cell per source."""
    cells = [
        {
            "cell_type": "code",
            "id": ids[i] if ids else f"cell{i}",
            "metadata": {},
            "source": source,
            "outputs": [],
            "execution_count": None,
        }
        for i, source in enumerate(sources)
    ]
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def write_notebook(path: Path, nb: dict[str, Any]) -> None:
    path.write_text(json.dumps(nb, indent=1))


def read_notebook(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def cell_text(nb: dict[str, Any], cell_id: str, name: str = "stdout") -> str:
    """The text of one cell's streams in a notebook file."""
    for cell in nb["cells"]:
        if cell["id"] == cell_id:
            return "".join(
                "".join(o["text"]) if isinstance(o["text"], list) else o["text"]
                for o in cell.get("outputs", [])
                if o["output_type"] == "stream" and o["name"] == name
            )
    raise KeyError(cell_id)


def poll(check: Callable[[], bool], timeout: float, step: float = 0.1) -> bool:
    """Check until true, for at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(step)
    return check()


def serve(root: Path, state: Path) -> RunningServer:
    """A server on ``root`` keeping its notebook state in ``state``."""
    return start_server(root, env={"XDG_STATE_HOME": str(state)})


@contextmanager
def running(root: Path, state: Path) -> Iterator[RunningServer]:
    srv = serve(root, state)
    try:
        yield srv
    finally:
        srv.stop()
        sys.stdout.write(srv.log())


@contextmanager
def client(srv: RunningServer, path: str, transport: str = "ws") -> Iterator[NotebookClient]:
    nb = NotebookClient(srv.url, path, token=srv.token, transport=transport, timeout=60)
    nb.connect()
    try:
        yield nb
    finally:
        nb.close()


def numbered(count: int) -> str:
    """The output of ``PRINT_LINES``."""
    return "".join(f"line {i:05d}\n" for i in range(count))


def print_lines(count: int, pause: float) -> str:
    """Code printing ``count`` numbered lines, ``pause`` seconds apart."""
    return (
        "import time\n"
        f"for i in range({count}):\n"
        "    print(f'line {i:05d}', flush=True)\n"
        f"    time.sleep({pause})\n"
    )


# -- 1. two tabs ---------------------------------------------------------------------------
def test_two_clients_see_edits_moves_runs_and_status_live(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    write_notebook(root / "two.ipynb", notebook("x = 1", "print('second')"))
    with (
        running(root, tmp_path / "state") as srv,
        client(srv, "two.ipynb", "ws") as a,
        client(srv, "two.ipynb", "sse") as b,
    ):
        assert a.cell_ids() == b.cell_ids() == ["cell0", "cell1"]
        new = a.insert_cell(1, "")
        assert b.wait_for(lambda: b.cell_ids() == ["cell0", new, "cell1"], 10)

        # Both type into the same cell at once: every character of both must survive.
        def type_chars(who: NotebookClient, char: str) -> None:
            for _ in range(60):
                who.insert_text(new, 0, char)

        threads = [
            threading.Thread(target=type_chars, args=(a, "a")),
            threading.Thread(target=type_chars, args=(b, "b")),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert a.wait_for(lambda: a.source(new) == b.source(new), 15)
        assert sorted(a.source(new)) == ["a"] * 60 + ["b"] * 60

        a.move_cell("cell1", 0)
        assert b.wait_for(lambda: b.cell_ids() == ["cell1", "cell0", new], 10)

        assert a.run(["cell1"], 60)
        assert b.wait_for(lambda: b.text("cell1") == "second\n", 10)
        assert b.wait_for(lambda: b.state("cell1") == "finished", 10)
        statuses = [m["execution_state"] for m in b.iter_messages("kernel_status")]
        assert "busy" in statuses
        assert b.wait_for(lambda: b.kernel_state == "idle", 10)

        # The server wrote the file itself, with the merged source and the output.
        def saved() -> bool:
            nb = read_notebook(root / "two.ipynb")
            ids = [c["id"] for c in nb["cells"]]
            return ids == ["cell1", "cell0", new] and cell_text(nb, "cell1") == "second\n"

        assert poll(saved, 10)


# -- 2. close every tab during a long run, come back later -----------------------------------
@pytest.mark.parametrize("transport", ["ws", "sse"])
def test_reconnect_mid_run_and_late_client_get_every_line_once(
    tmp_path: Path, transport: str
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    count = 250
    write_notebook(root / "long.ipynb", notebook(print_lines(count, 0.02)))
    with running(root, tmp_path / "state") as srv:
        a = NotebookClient(srv.url, "long.ipynb", token=srv.token, transport=transport)
        a.connect()
        try:
            a.execute(["cell0"])
            assert a.wait_for(lambda: "line 00020" in a.text("cell0"), 60)
            a.close()
            seen = a.last_seq
            time.sleep(1.5)
            a.connect()
            assert a.last_seq > seen
            a.close()
            # Nobody is connected when the run ends: the server records and saves it alone.
            assert poll(
                lambda: cell_text(read_notebook(root / "long.ipynb"), "cell0") == numbered(count),
                60,
            )
            a.connect()
            assert a.wait_for(lambda: a.state("cell0") == "finished", 10)
            assert a.text("cell0") == numbered(count)
            lines = [m for m in a.messages if m.get("type") == "output"]
            seqs = [m["seq"] for m in lines]
            assert seqs == sorted(set(seqs)), "a record came twice or out of order"
        finally:
            a.close()
        with client(srv, "long.ipynb", transport) as late:
            assert late.text("cell0") == numbered(count)
            assert late.state("cell0") == "finished"


# -- 3. edits made offline are merged on reconnect --------------------------------------------
def test_offline_edits_merge_on_reconnect(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    write_notebook(root / "off.ipynb", notebook("hello world"))
    with (
        running(root, tmp_path / "state") as srv,
        client(srv, "off.ipynb", "ws") as a,
        client(srv, "off.ipynb", "sse") as b,
    ):
        a.close()
        a.insert_text("cell0", 0, "OFFLINE ")
        a.insert_text("cell0", len("OFFLINE hello world"), " END")
        ack = b.insert_text("cell0", len("hello"), ",")
        assert b.wait_acked(ack, 10)
        a.connect()
        want = "OFFLINE hello, world END"
        assert a.wait_for(lambda: a.source("cell0") == want, 10)
        assert b.wait_for(lambda: b.source("cell0") == want, 10)
        assert poll(
            lambda: "".join(read_notebook(root / "off.ipynb")["cells"][0]["source"]) == want, 10
        )


# -- 7. input(), interrupt and completion from any connection ---------------------------------
def test_input_first_answer_wins_interrupt_and_complete(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    code = "name = input('name? ')\nprint('got', name)"
    write_notebook(
        root / "ask.ipynb",
        notebook(code, "import time\nprint('sleeping', flush=True)\ntime.sleep(60)"),
    )
    with (
        running(root, tmp_path / "state") as srv,
        client(srv, "ask.ipynb", "ws") as a,
        client(srv, "ask.ipynb", "sse") as b,
    ):
        a.execute(["cell0"])
        assert a.wait_for(lambda: a.input_request is not None, 60)
        assert b.wait_for(lambda: b.input_request is not None, 10)
        assert b.input_request is not None
        assert b.input_request["prompt"] == "name? "
        request_id = b.input_request["request_id"]
        b.answer_input("bob")
        assert a.wait_for(lambda: a.input_request is None, 10)
        late = {"type": "input_reply", "request_id": request_id, "value": "alice"}
        with pytest.raises(ProtocolError, match="answered already"):
            a.request(late)
        assert a.wait_for(lambda: a.state("cell0") == "finished", 30)
        assert a.text("cell0") == "got bob\n"

        a.execute(["cell1"])
        # Interrupted once it runs its code (a kernel ignores SIGINT before that).
        assert a.wait_for(lambda: a.text("cell1") == "sleeping\n", 30)
        b.interrupt()
        assert a.wait_for(lambda: a.state("cell1") == "error", 30)
        assert any(o.get("ename") == "KeyboardInterrupt" for o in a.outputs("cell1"))

        reply = b.complete("import o", 8)
        assert reply["status"] == "ok"
        assert "os" in reply["matches"]

        # A restart from one connection empties the kernel that both use.
        b.restart()
        assert a.wait_for(
            lambda: (
                "restarting" in [m["execution_state"] for m in a.iter_messages("kernel_status")]
            ),
            30,
        )
        a.set_source("cell1", "print(name)")
        assert a.run(["cell1"], 60)
        assert [o.get("ename") for o in a.outputs("cell1")] == ["NameError"]


# -- 8. a 50 MB burst is kept whole; clients get a bounded view and fetch the rest -------------
BURST = """
import hashlib, sys
h = hashlib.sha256()
for i in range(800):
    chunk = (f'{i:06d}' + 'x' * 65530)[:65535] + '\\n'
    h.update(chunk.encode())
    sys.stdout.write(chunk)
sys.stdout.flush()
sys.stderr.write(h.hexdigest())
"""


def test_big_output_is_kept_whole_and_fetched_by_range(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    write_notebook(root / "big.ipynb", notebook(BURST))
    with running(root, tmp_path / "state") as srv, client(srv, "big.ipynb") as a:
        started = time.monotonic()
        assert a.run(["cell0"], 100)
        print(f"50 MB burst recorded in {time.monotonic() - started:.2f} s")
        expected = a.text("cell0", "stderr")
        assert len(expected) == 64
        out = a.outputs("cell0")[0]
        assert out["name"] == "stdout"
        assert out["truncated"]
        assert out["size"] == 800 * 65536
        assert len(out["text"]) < 2 * 1024 * 1024, "the live view must stay bounded"

        # The run is over: the client was sent the head and tail of what it was not sent.
        assert a.wait_for(lambda: "tail" in a.outputs("cell0")[0], 10)
        view = a.view("cell0", 0)
        assert a.outputs("cell0")[0]["head"] == view["head"]
        assert a.outputs("cell0")[0]["tail"] == view["tail"]
        assert view["truncated"]
        assert view["size"] == 800 * 65536
        head, tail = view["head"].encode(), view["tail"].encode()
        middle = b"".join(
            a.read_output("cell0", 0, start, min(start + (8 << 20), view["size"] - len(tail)))
            for start in range(len(head), view["size"] - len(tail), 8 << 20)
        )
        whole = head + middle + tail
        assert len(whole) == view["size"]
        assert hashlib.sha256(whole).hexdigest() == expected


def test_running_a_running_cell_again_shows_only_the_new_run(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    code = "import time\nprint('start')\ntime.sleep(1.5)\nprint('end')"
    write_notebook(root / "again.ipynb", notebook(code))
    with running(root, tmp_path / "state") as srv, client(srv, "again.ipynb") as a:
        a.execute(["cell0"])
        assert a.wait_for(lambda: a.text("cell0") == "start\n", 60)
        first = a.execution_id("cell0")
        assert a.run(["cell0"], 60)
        assert a.execution_id("cell0") != first
        assert a.text("cell0") == "start\nend\n"
        assert a.state("cell0") == "finished"
        # The Jupyter REST API sees the notebook's kernel and the written outputs.
        with srv.client() as http:
            sessions = http.get("api/sessions").json()
            assert [s["path"] for s in sessions] == ["again.ipynb"]
            assert poll(
                lambda: (
                    cell_text(http.get("api/contents/again.ipynb").json()["content"], "cell0")
                    == "start\nend\n"
                ),
                10,
            )


def test_document_endpoints_need_the_token_and_a_notebook_inside_the_root(
    tmp_path: Path,
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    write_notebook(root / "n.ipynb", notebook("1"))
    with running(root, tmp_path / "state") as srv:
        base = srv.url + "carnet/api/documents/"
        for endpoint in ("events?path=n.ipynb", "ws?path=n.ipynb", "output?path=n.ipynb"):
            assert httpx.get(base + endpoint).status_code == 403, endpoint
        assert httpx.post(base + "send?conn=x&n=0", content=b"[]").status_code == 403
        with pytest.raises(InvalidStatus):
            ws_connect(srv.ws_url + "carnet/api/documents/ws?path=n.ipynb").__enter__()
        with srv.client() as http:
            assert http.get(base + "events?path=../outside.ipynb").status_code in (400, 403, 404)
            assert http.get(base + "events?path=missing.ipynb").status_code == 404
            assert http.post(base + "send?conn=nope&n=0", content=b"[]").status_code == 404


def test_a_notebook_nobody_uses_is_closed_and_reopens_whole(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    write_notebook(root / "idle.ipynb", notebook("print('kept')"))
    env = {"XDG_STATE_HOME": str(tmp_path / "state"), "CARNET_DOCUMENTS_CLOSE_AFTER": "0.5"}
    srv = start_server(root, env=env)
    try:
        with client(srv, "idle.ipynb") as a:
            assert a.run(["cell0"], 60)
            ack = a.set_source("cell0", "print('kept')  # edited")
            assert a.wait_acked(ack, 10)
        assert poll(lambda: "closed idle.ipynb" in srv.log(), 10)
        with client(srv, "idle.ipynb", "sse") as b:
            assert b.source("cell0") == "print('kept')  # edited"
            assert b.text("cell0") == "kept\n"
            # The kernel outlived the closed notebook: its state is still there.
            b.set_source("cell0", "print(_ih[1])")
            assert b.run(["cell0"], 60)
            assert b.text("cell0") == "print('kept')\n"
    finally:
        srv.stop()
        sys.stdout.write(srv.log())


def test_a_page_on_another_site_cannot_open_the_notebook_socket(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    write_notebook(root / "n.ipynb", notebook("1"))
    with running(root, tmp_path / "state") as srv:
        url = srv.ws_url + "carnet/api/documents/ws?path=n.ipynb"
        headers = {"Authorization": f"token {srv.token}", "Origin": "https://evil.example"}
        with pytest.raises(InvalidStatus):
            ws_connect(url, additional_headers=headers).__enter__()
        same = {**headers, "Origin": f"http://127.0.0.1:{srv.port}"}
        with ws_connect(url, additional_headers=same) as ws:
            ws.send('{"type": "hello"}')
            assert '"sync"' in str(ws.recv(timeout=10))

"""A Python client of carnet's document protocol (``docs/protocol.md``).

It opens a notebook on a running server over a WebSocket or over Server-Sent
Events with POSTs, keeps a live copy of the document (a pycrdt ``Doc``) and of
every cell's outputs, and sends edits, execution requests and answers::

    with NotebookClient("http://127.0.0.1:8888/", "analysis.ipynb", token="...") as nb:
        cell = nb.cell_ids()[0]
        nb.set_source(cell, "print('hello')")
        nb.execute([cell])
        nb.wait_for(lambda: nb.state(cell) == "finished", timeout=30)
        print(nb.text(cell))

Messages are read on a background thread; every method may be called from any
thread. The WebSocket transport needs the ``websockets`` package; SSE+POST uses
only the standard library.
"""

from __future__ import annotations

import base64
import http.client
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from typing import Any
from urllib.parse import quote, urlsplit

import orjson
from pycrdt import Doc

from carnet.documents import notebook as nbdoc
from carnet.documents.replica import OutputsReplica

#: Seconds between two looks of ``wait_for`` at output that arrived without a wake-up.
_POLL = 0.02


class ProtocolError(Exception):
    """The server answered a request with an ``error`` message."""


class NotebookClient:
    """One connection to one notebook (see the module docstring)."""

    def __init__(
        self,
        base_url: str,
        path: str,
        *,
        token: str | None = None,
        transport: str = "ws",
        timeout: float = 30.0,
    ) -> None:
        if transport not in ("ws", "sse"):
            raise ValueError("transport must be 'ws' or 'sse'")
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.path = path
        self.token = token
        self.transport = transport
        self.timeout = timeout
        self.doc: Doc[Any] = Doc()
        self.replica = OutputsReplica()
        self.kernel_state = "none"
        self.input_request: dict[str, Any] | None = None
        self.file_changed: dict[str, Any] | None = None
        #: Set when the notebook was deleted through the server (the connection then ends).
        self.deleted = False
        self.messages: list[dict[str, Any]] = []
        self.acked: set[str] = set()
        self.connected = False
        self.conn_id = ""
        #: The server's name for the notebook state this copy belongs to.
        self.epoch = ""
        self._cond = threading.Condition(threading.RLock())
        self._ids = itertools.count(1)
        self._ws: Any = None
        self._sse: http.client.HTTPConnection | None = None
        self._post: http.client.HTTPConnection | None = None
        self._post_n = 0
        self._reader: threading.Thread | None = None
        self._ready = False

    @property
    def last_seq(self) -> int:
        """The sequence number of the last output record received."""
        return self.replica.last_seq

    # -- connecting ------------------------------------------------------------------------
    def __enter__(self) -> NotebookClient:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"} if self.token else {}

    def _url(self, endpoint: str, **query: str) -> str:
        args = "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())
        return f"{self.base_url}carnet/api/documents/{endpoint}?{args}"

    def _target(self, endpoint: str, **query: str) -> str:
        """The request target (path and query) for http.client."""
        parts = urlsplit(self._url(endpoint, **query))
        return f"{parts.path}?{parts.query}"

    def connect(self) -> None:
        """Connect (or reconnect), catch up from what was seen, and wait until ready."""
        self.close()
        with self._cond:
            self._ready = False
            since, vector = self.replica.last_seq, self.doc.get_state()
        if self.transport == "ws":
            from websockets.sync.client import connect

            url = self._url("ws", path=self.path).replace("http", "ws", 1)
            self._ws = connect(url, additional_headers=self._headers(), max_size=None).__enter__()
            reader = self._read_ws
        else:
            self._sse = self._http()
            self._sse.request(
                "GET", self._target("events", path=self.path), headers=self._headers()
            )
            response = self._sse.getresponse()
            if response.status != 200:
                raise ProtocolError(f"events: HTTP {response.status}: {response.read()[:200]!r}")
            welcome = self._next_event(response)
            self.conn_id = str(welcome["conn"])
            self._post = self._http()
            self._post_n = 0
            reader = lambda: self._read_sse(response)  # noqa: E731
        self._reader = threading.Thread(target=reader, daemon=True, name="carnet-client")
        self._reader.start()
        self.connected = True
        hello = {"type": "hello", "since_seq": since, "state_vector": _b64(vector)}
        self.send({**hello, "epoch": self.epoch} if self.epoch else hello)
        if not self.wait_for(lambda: self._ready, self.timeout):
            raise TimeoutError("the server did not finish the handshake")

    def _http(self) -> http.client.HTTPConnection:
        parts = urlsplit(self.base_url)
        cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        return cls(parts.hostname or "127.0.0.1", parts.port, timeout=None)

    def close(self) -> None:
        """Drop the connection (the document and outputs seen so far are kept)."""
        self.connected = False
        ws, self._ws = self._ws, None
        if ws is not None:
            ws.__exit__(None, None, None)
        for name in ("_sse", "_post"):
            conn = getattr(self, name)
            setattr(self, name, None)
            if conn is not None:
                with suppress(OSError):
                    if conn.sock is not None:
                        conn.sock.shutdown(2)
                conn.close()
        reader, self._reader = self._reader, None
        if reader is not None and reader is not threading.current_thread():
            reader.join(timeout=10)

    # -- the wire --------------------------------------------------------------------------
    def send(self, message: dict[str, Any]) -> None:
        """Send one protocol message."""
        data = orjson.dumps(message)
        if self._ws is not None:
            self._ws.send(data.decode("utf-8"))
            return
        with self._cond:
            post = self._post
            if post is None:
                raise ConnectionError("not connected")
            url = self._target("send", conn=self.conn_id, n=str(self._post_n))
            self._post_n += 1
            post.request("POST", url, body=b"[" + data + b"]", headers=self._headers())
            response = post.getresponse()
            body = response.read()
        if response.status >= 300:
            raise ProtocolError(f"send: HTTP {response.status}: {body[:200]!r}")

    def _read_ws(self) -> None:
        ws = self._ws
        with suppress(Exception):
            for text in ws:
                self._receive(orjson.loads(text))
        self._lost()

    def _next_event(self, response: http.client.HTTPResponse) -> dict[str, Any]:
        data: list[bytes] = []
        while True:
            line = response.readline()
            if not line:
                raise ConnectionError("the event stream ended")
            line = line.rstrip(b"\r\n")
            if not line:
                if data:
                    value: dict[str, Any] = orjson.loads(b"\n".join(data))
                    return value
                continue
            if line.startswith(b"data:"):
                data.append(line[5:].lstrip(b" "))

    def _read_sse(self, response: http.client.HTTPResponse) -> None:
        with suppress(Exception):
            while True:
                self._receive(self._next_event(response))
        self._lost()

    def _lost(self) -> None:
        with self._cond:
            self.connected = False
            self._cond.notify_all()

    # -- what the server sends -------------------------------------------------------------
    def _receive(self, msg: dict[str, Any]) -> None:
        with self._cond:
            self.messages.append(msg)
            kind = msg.get("type")
            if kind == "sync":
                if msg.get("reset"):
                    # The server's notebook was rebuilt: this copy cannot be merged into it.
                    self.doc = Doc()
                    self.replica = OutputsReplica()
                self.doc.apply_update(base64.b64decode(msg["update"]))
                mine = self.doc.get_update(base64.b64decode(msg["state_vector"]))
                # What was edited here while offline goes to the server now.
                self._send_update(mine)
            elif kind == "update":
                self.doc.apply_update(base64.b64decode(msg["update"]))
            elif kind == "ack":
                self.acked.add(str(msg.get("id")))
            elif kind == "output":
                self.replica.apply(msg)
                if msg["msg_type"] == "stream":
                    # Waiters look again every few ms: waking them per line would cost more
                    # than handling the line.
                    return
            elif kind == "outputs":
                self.replica.snapshot(msg)
            elif kind == "output_view":
                self.replica.view(msg)
            elif kind == "cell_state":
                self.replica.set_state(msg)
            elif kind == "kernel_status":
                self.kernel_state = msg["execution_state"]
            elif kind == "input_request":
                self.input_request = msg
            elif kind == "input_done":
                if self.input_request and self.input_request["request_id"] == msg["request_id"]:
                    self.input_request = None
            elif kind == "file_changed":
                self.file_changed = msg
            elif kind == "file_resolved":
                self.file_changed = None
            elif kind == "moved":
                # Renamed or moved: a reconnection must ask for the new path.
                self.path = str(msg["path"])
            elif kind == "deleted":
                self.deleted = True
            elif kind == "ready":
                self.conn_id = str(msg.get("conn", self.conn_id))
                self.epoch = str(msg.get("epoch", ""))
                self._ready = True
            self._cond.notify_all()

    # -- waiting ---------------------------------------------------------------------------
    def wait_for(self, predicate: Callable[[], bool], timeout: float | None = None) -> bool:
        """Wait until ``predicate()`` (checked under the client's lock) holds; False on timeout."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        with self._cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, _POLL))
            return True

    def request(self, message: dict[str, Any], timeout: float | None = None) -> Any:
        """Send a message with a fresh ``id``; return the content of the reply to it."""
        msg_id = f"r{next(self._ids)}"
        self.send({**message, "id": msg_id})
        found: list[dict[str, Any]] = []

        def answered() -> bool:
            for msg in reversed(self.messages):
                if msg.get("id") == msg_id and msg.get("type") in ("reply", "error", "ack"):
                    found.append(msg)
                    return True
            return False

        if not self.wait_for(answered, timeout):
            raise TimeoutError(f"no reply to {message['type']}")
        if found[0]["type"] == "error":
            raise ProtocolError(found[0]["message"])
        return found[0].get("content")

    # -- editing ---------------------------------------------------------------------------
    def edit(self, change: Callable[[Doc[Any]], object]) -> str:
        """Change the local document and send the change; returns the update id to ack."""
        with self._cond:
            before = self.doc.get_state()
            change(self.doc)
            return self._send_update(self.doc.get_update(before))

    def _send_update(self, update: bytes) -> str:
        msg_id = f"u{next(self._ids)}"
        if self.connected:
            self.send({"type": "update", "id": msg_id, "update": _b64(update)})
        return msg_id

    def wait_acked(self, update_id: str, timeout: float | None = None) -> bool:
        """Wait until the server says the update is on its disk."""
        return self.wait_for(lambda: update_id in self.acked, timeout)

    def cell_ids(self) -> list[str]:
        """The ids of the cells, in order."""
        with self._cond:
            return [str(c["id"]) for c in nbdoc.cells(self.doc)]

    def source(self, cell_id: str) -> str:
        """A cell's source as this client sees it."""
        with self._cond:
            return str(nbdoc.cells(self.doc)[nbdoc.cell_index(self.doc, cell_id)]["source"])

    def set_source(self, cell_id: str, source: str) -> str:
        """Replace a cell's source (only the part that differs is sent)."""
        return self.edit(lambda doc: nbdoc.set_source(doc, cell_id, source))

    def insert_text(self, cell_id: str, index: int, text: str) -> str:
        """Type ``text`` at character ``index`` of a cell's source."""

        def change(doc: Doc[Any]) -> None:
            ytext = nbdoc.cells(doc)[nbdoc.cell_index(doc, cell_id)]["source"]
            ytext.insert(len(str(ytext)[:index].encode("utf-8")), text)

        return self.edit(change)

    def insert_cell(self, index: int, source: str = "", cell_type: str = "code") -> str:
        """Insert a cell; returns its id once the server has it on disk."""
        ids: list[str] = []
        cell = {"cell_type": cell_type, "source": source, "metadata": {}}
        update = self.edit(lambda doc: ids.append(nbdoc.insert_cell(doc, index, cell)))
        self.wait_acked(update)
        return ids[0]

    def move_cell(self, cell_id: str, index: int) -> str:
        """Move a cell to ``index``."""
        return self.edit(lambda doc: nbdoc.move_cell(doc, cell_id, index))

    # -- running ---------------------------------------------------------------------------
    def execute(self, cell_ids: list[str]) -> None:
        """Ask the server to run cells (it takes their sources from the document)."""
        self.send({"type": "execute", "cell_ids": cell_ids})

    def run(self, cell_ids: list[str], timeout: float | None = None) -> bool:
        """Execute cells and wait until each has finished (or failed); False on timeout."""
        with self._cond:
            before = {c: self.execution_id(c) for c in cell_ids}
        self.execute(cell_ids)

        def done() -> bool:
            for cell_id in cell_ids:
                cell = self.replica.cells.get(cell_id)
                if cell is None or cell.execution_id == before[cell_id]:
                    return False
                if cell.state not in ("finished", "error"):
                    return False
            return True

        return self.wait_for(done, timeout)

    def execution_id(self, cell_id: str) -> str:
        """The id of a cell's current execution ("" when it never ran)."""
        with self._cond:
            cell = self.replica.cells.get(cell_id)
            return cell.execution_id if cell is not None else ""

    def state(self, cell_id: str) -> str:
        """A cell's execution state: idle, queued, running, finished or error."""
        with self._cond:
            cell = self.replica.cells.get(cell_id)
            return cell.state if cell is not None else "idle"

    def outputs(self, cell_id: str) -> list[dict[str, Any]]:
        """A cell's outputs as received (big ones truncated: ``truncated``, ``size``)."""
        with self._cond:
            return self.replica.outputs(cell_id)

    def text(self, cell_id: str, name: str = "stdout") -> str:
        """The text of a cell's streams of one name, as received."""
        return "".join(
            o.get("text", "")
            for o in self.outputs(cell_id)
            if o["output_type"] == "stream" and o["name"] == name
        )

    def read_output(
        self, cell_id: str, index: int, start: int = 0, end: int | None = None
    ) -> bytes:
        """Bytes of one output fetched with an HTTP GET (the whole body by default)."""
        query = {"path": self.path, "cell_id": cell_id, "index": str(index), "start": str(start)}
        if end is not None:
            query["end"] = str(end)
        conn = self._http()
        try:
            conn.request("GET", self._target("output", **query), headers=self._headers())
            response = conn.getresponse()
            body = response.read()
        finally:
            conn.close()
        if response.status != 200:
            raise ProtocolError(f"output: HTTP {response.status}: {body[:200]!r}")
        return body

    def view(self, cell_id: str, index: int) -> dict[str, Any]:
        """The server's bounded view of one output (head, tail and size when big)."""
        view: dict[str, Any] = self.request({"type": "view", "cell_id": cell_id, "index": index})
        return view

    def answer_input(self, value: str) -> None:
        """Answer the pending ``input()`` prompt."""
        with self._cond:
            pending = self.input_request
        if pending is None:
            raise ProtocolError("no input is asked for")
        self.send({"type": "input_reply", "request_id": pending["request_id"], "value": value})

    def interrupt(self) -> None:
        """Interrupt the notebook's kernel."""
        self.send({"type": "interrupt"})

    def restart(self) -> None:
        """Restart the notebook's kernel."""
        self.send({"type": "restart"})

    def complete(self, code: str, cursor_pos: int) -> dict[str, Any]:
        """The kernel's completion reply for ``code`` at ``cursor_pos``."""
        reply: dict[str, Any] = self.request(
            {"type": "complete", "code": code, "cursor_pos": cursor_pos}
        )
        return reply

    def save(self) -> None:
        """Ask the server to write the file now and make a checkpoint."""
        self.send({"type": "save"})

    def choose(self, choice: str) -> None:
        """After ``file_changed``: ``reload`` the file, or ``keep`` this version."""
        self.send({"type": "file_choice", "choice": choice})

    def iter_messages(self, kind: str) -> Iterator[dict[str, Any]]:
        """The messages of one type received so far."""
        with self._cond:
            return iter([m for m in self.messages if m.get("type") == kind])


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")

"""One client's connection to an open notebook: the protocol, whatever carries it.

A WebSocket and an event stream with POSTs carry the same JSON messages (see
``docs/protocol.md``); the web layer hands each message it receives to
``Connection.receive`` and gives the connection a ``Transport`` to send with.
Messages from one client are handled in the order they came; those that wait on
the kernel (execution, completion, interrupt, restart) run beside the queue, so a
busy kernel never holds up the client's edits.

Output is streamed live up to ``live_bytes`` per output; past that, records are
sent without their body (``elided``: its size), and the client fetches the parts
it wants (``view``, ``range``, or an HTTP GET of a byte range).
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from carnet.documents.live import b64, record_size, unb64
from carnet.errors import CarnetError, Conflict, InvalidInput
from carnet.errors import TooLarge as TooLargeError

if TYPE_CHECKING:
    from carnet.documents.live import OpenNotebook

log = logging.getLogger("carnet.documents")

#: Most bytes one ``range`` message returns.
MAX_RANGE = 4 * 1024 * 1024
#: POSTed batches kept while waiting for an earlier one that is still on its way.
MAX_EARLY_BATCHES = 256
_STATE_RECORDS = frozenset({"carnet.state", "execute_input", "execute_reply"})
_CLEARS = frozenset({"clear_output", "carnet.clear"})


class Transport(Protocol):
    """What carries a connection's messages to the client."""

    def send_text(self, text: str) -> None:
        """Queue one JSON message for the client; never blocks."""
        ...

    def close(self) -> None:
        """Close the client's connection."""
        ...


class Connection:
    """The server side of one client of one open notebook."""

    def __init__(self, conn_id: str, notebook: OpenNotebook, transport: Transport) -> None:
        self.id = conn_id
        self.nb = notebook
        self.transport = transport
        self.closed = False
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._worker = asyncio.create_task(self._run(), name="document-connection")
        self._tasks: set[asyncio.Task[None]] = set()
        # Per (cell, execution): the output being sent, its bytes sent, whether it is elided.
        self._live: dict[tuple[str, str], list[Any]] = {}
        self._live_bytes = notebook.settings.live_bytes
        # Runs some of whose output this client was not sent live.
        self._elided: set[tuple[str, str]] = set()
        self._next_batch = 0
        self._batches: dict[int, list[Any]] = {}

    # -- Peer (what the notebook sends) ----------------------------------------------------
    def send(self, message: dict[str, Any]) -> None:
        """Send one message to the client."""
        if not self.closed:
            self.transport.send_text(orjson.dumps(message).decode("utf-8"))

    def send_output(self, message: dict[str, Any], size: int) -> None:
        """Send an output record, without its body once its output's live budget is spent."""
        msg_type = message["msg_type"]
        key = (message["cell_id"], message["execution_id"])
        if msg_type in _CLEARS:
            self._live.pop(key, None)
        elif msg_type not in _STATE_RECORDS:
            content = message["content"]
            # Consecutive stream records of one name make one output, as on the server.
            kind = ("stream", content.get("name")) if msg_type == "stream" else (msg_type, None)
            live = self._live.get(key)
            if live is None or live[0] != kind or msg_type != "stream":
                live = self._live[key] = [kind, 0, False]
            if live[2] or live[1] + size > self._live_bytes:
                live[2] = True
                self._elided.add(key)
                kept = {"name": content.get("name")} if msg_type == "stream" else {}
                message = {**message, "content": kept, "elided": size}
            else:
                live[1] += size
        self.send(message)
        if msg_type == "execute_reply" or (msg_type == "carnet.state" and key in self._elided):
            self._send_views(key)

    def _send_views(self, key: tuple[str, str]) -> None:
        """A run whose output was cut ended: send the bounded view of each of its outputs."""
        if key not in self._elided:
            return
        self._elided.discard(key)
        self._live.pop(key, None)
        cell_id, execution_id = key
        journal = self.nb.opened_journal()
        if journal.execution(cell_id).execution_id != execution_id:
            return
        for index in range(journal.output_count(cell_id)):
            view = journal.view(cell_id, index, self.nb.settings.view_bytes)
            self.send(
                {
                    "type": "output_view",
                    "cell_id": cell_id,
                    "execution_id": execution_id,
                    "index": index,
                    "view": view,
                }
            )

    def close(self) -> None:
        """Close from the server side (the notebook is closing)."""
        self.transport.close()

    # -- receiving -------------------------------------------------------------------------
    def receive(self, message: Any) -> None:
        """Queue one message from the client (handled in order)."""
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            self._error("a message must be a JSON object with a 'type'", None)
            return
        self._queue.put_nowait(message)

    def receive_batch(self, n: int, messages: list[Any]) -> None:
        """The client's ``n``-th POSTed batch: handled after every batch before it."""
        if n < self._next_batch or n in self._batches:
            raise Conflict(f"batch {n} was received already")
        if len(self._batches) >= MAX_EARLY_BATCHES:
            raise Conflict("too many batches arrived ahead of a missing one")
        self._batches[n] = messages
        while self._next_batch in self._batches:
            for message in self._batches.pop(self._next_batch):
                self.receive(message)
            self._next_batch += 1

    async def _run(self) -> None:
        while True:
            message = await self._queue.get()
            try:
                await self._handle(message)
            except CarnetError as exc:
                self._error(exc.message, message.get("id"), exc.reason)
            except Exception:
                log.exception("handling a %r message failed", message.get("type"))
                self._error("internal server error", message.get("id"))

    def _error(self, text: str, msg_id: Any, reason: str = "invalid input") -> None:
        error: dict[str, Any] = {"type": "error", "message": text, "reason": reason}
        if msg_id is not None:
            error["id"] = msg_id
        self.send(error)

    def _spawn(self, work: Awaitable[Any], msg_id: Any, keep: bool = False) -> None:
        """Run ``work`` beside the queue, answer ``msg_id`` with its result (``{}`` if none).

        ``keep``: the work goes on after the client leaves (the notebook owns it).
        """

        async def run() -> None:
            try:
                result = await work
            except CarnetError as exc:
                self._error(exc.message, msg_id, exc.reason)
                return
            if msg_id is not None:
                self.send({"type": "reply", "id": msg_id, "content": result or {}})

        task = asyncio.create_task(run())
        owner = self.nb.tasks if keep else self._tasks
        owner.add(task)
        task.add_done_callback(owner.discard)

    async def _handle(self, message: dict[str, Any]) -> None:
        """Handle one message; one with an ``id`` is answered (``reply``, ``ack`` or ``error``)."""
        kind = message["type"]
        msg_id = message.get("id")
        nb = self.nb
        runner = nb.executions
        assert runner is not None
        result: Any = {}
        if kind == "hello":
            self._hello(message)
            return
        if kind == "update":
            nb.apply_update(unb64(message.get("update"), "update"))
            await nb.flush_document()
            self.send({"type": "ack", "id": msg_id})
            nb.broadcast({"type": "update", "update": message["update"]}, exclude=self)
            return
        if kind == "execute":
            queued = runner.queue(message.get("cell_ids"))  # type: ignore[arg-type]
            self._spawn(runner.submit(queued), msg_id, keep=True)
            return
        if kind in ("interrupt", "restart"):
            work = runner.interrupt() if kind == "interrupt" else runner.restart()
            self._spawn(work, msg_id, keep=True)
            return
        if kind in ("complete", "inspect"):
            self._spawn(runner.request(kind + "_request", self._code(message)), msg_id)
            return
        if kind == "input_reply":
            value = message.get("value")
            if not runner.input_reply(str(message.get("request_id")), value):  # type: ignore[arg-type]
                raise Conflict("this input request was answered already")
        elif kind == "save":
            result = await nb.save(checkpoint=True)
        elif kind == "file_choice":
            result = await nb.resolve(str(message.get("choice")))
        elif kind == "view":
            cell_id, index = self._output_ref(message)
            result = nb.opened_journal().view(cell_id, index, nb.settings.view_bytes)
        elif kind == "range":
            result = self._range(message)
        else:
            raise InvalidInput(f"unknown message type {kind!r}")
        if msg_id is not None:
            self.send({"type": "reply", "id": msg_id, "content": result})

    def _range(self, message: dict[str, Any]) -> dict[str, Any]:
        cell_id, index = self._output_ref(message)
        start, end = message.get("start"), message.get("end")
        if not isinstance(start, int) or not isinstance(end, int):
            raise InvalidInput("start and end must be integers")
        if end - start > MAX_RANGE:
            raise TooLargeError(f"at most {MAX_RANGE} bytes per range message")
        data = self.nb.opened_journal().read_range(cell_id, index, start, end)
        return {"start": start, "data": base64.b64encode(data).decode("ascii")}

    def _code(self, message: dict[str, Any]) -> dict[str, Any]:
        code = message.get("code")
        cell_id = message.get("cell_id")
        if not isinstance(code, str):
            if not isinstance(cell_id, str):
                raise InvalidInput("complete and inspect need code or a cell_id")
            from carnet.documents import notebook as nbdoc

            code = str(nbdoc.cells(self.nb.doc)[nbdoc.cell_index(self.nb.doc, cell_id)]["source"])
        cursor = message.get("cursor_pos", len(code))
        if not isinstance(cursor, int):
            raise InvalidInput("cursor_pos must be an integer")
        content: dict[str, Any] = {"code": code, "cursor_pos": cursor}
        if message["type"] == "inspect":
            content["detail_level"] = int(message.get("detail_level", 0) or 0)
        return content

    @staticmethod
    def _output_ref(message: dict[str, Any]) -> tuple[str, int]:
        cell_id, index = message.get("cell_id"), message.get("index")
        if not isinstance(cell_id, str) or not isinstance(index, int):
            raise InvalidInput("cell_id (a string) and index (an integer) are needed")
        return cell_id, index

    def _hello(self, message: dict[str, Any]) -> None:
        """Send what the client lacks, then make it a peer, with no await in between.

        A client whose ``epoch`` is not the notebook's holds a document the server
        cannot merge with (its state was rebuilt from the file): it gets the whole
        document with ``reset`` and must drop its own, and a snapshot of the outputs.
        """
        nb = self.nb
        epoch = nb.file.epoch
        known = message.get("epoch")
        reset = bool(known) and known != epoch
        state = message.get("state_vector")
        vector = unb64(state, "state_vector") if state and not reset else None
        try:
            update = nb.doc.get_update(vector)
        except Exception as exc:
            raise InvalidInput("the state vector cannot be read") from exc
        sync = {"type": "sync", "update": b64(update), "state_vector": b64(nb.doc.get_state())}
        self.send({**sync, "reset": True} if reset else sync)
        since = message.get("since_seq")
        journal = nb.opened_journal()
        replayed = False
        if not reset and isinstance(since, int) and 0 < since <= journal.last_seq:
            try:
                for record in journal.read_from(since):
                    out = {
                        "type": "output",
                        "seq": record.seq,
                        "cell_id": record.cell_id,
                        "execution_id": record.execution_id,
                        "msg_type": record.msg_type,
                        "content": record.content,
                    }
                    self.send_output(out, record_size(record.msg_type, record.content))
                replayed = True
            except Conflict:
                replayed = False
        if not replayed:
            self.send(nb.outputs_snapshot())
        runner = nb.executions
        if runner is not None:
            self.send({"type": "kernel_status", "execution_state": runner.kernel_state})
            if runner.input is not None:
                self.send(runner.input)
        if nb.conflict is not None:
            self.send({"type": "file_changed", **nb.conflict})
        ready = {"type": "ready", "conn": self.id, "last_seq": journal.last_seq, "epoch": epoch}
        self.send(ready)
        nb.peers.add(self)

    # -- closing ---------------------------------------------------------------------------
    async def aclose(self) -> None:
        """The client left: stop handling its messages (its running work goes on)."""
        self.closed = True
        self.nb.peers.discard(self)
        self._worker.cancel()
        await asyncio.gather(self._worker, return_exceptions=True)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

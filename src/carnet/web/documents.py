"""``/carnet/api/documents/...``: a client's connection to an open notebook.

Two transports carry the same JSON messages (``docs/protocol.md``): a WebSocket
(``ws?path=``), or, where a proxy blocks WebSockets, a Server-Sent Events stream
(``events?path=``, whose first event names the connection) with POSTs
(``send?conn=&n=``, numbered so that they are handled in order). ``output`` serves
a byte range of one cell output. The document service does the work.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import orjson
from tornado import iostream, websocket

from carnet import errors
from carnet.web.base import BaseHandler, SocketHandler, log

if TYPE_CHECKING:
    from carnet.documents.connection import Connection
    from carnet.services import Services

#: Seconds between two comment lines on an idle event stream (proxies drop silent ones).
KEEPALIVE = 15.0


def _retrieve(future: Any) -> None:
    # A write that fails because the client left is expected.
    if not future.cancelled():
        future.exception()


class DocumentSocketHandler(SocketHandler):
    """One client of one open notebook over a WebSocket; its transport too."""

    services: Services
    conn: Connection | None = None

    async def preflight(self, **kwargs: Any) -> None:
        await self.services.documents.open(self.get_query_argument("path", "") or "")

    async def open(self, *args: str, **kwargs: str) -> None:
        self.set_nodelay(True)
        path = self.get_query_argument("path", "") or ""
        try:
            self.conn = await self.services.documents.connect(path, self)
        except errors.CarnetError as exc:
            log.info("document connection refused: %s", exc.message)
            self.close(1011, exc.message[:100])
            return
        self.services.activity.connections += 1

    def on_message(self, message: str | bytes) -> None:
        if self.conn is None:
            return
        try:
            data = orjson.loads(message)
        except orjson.JSONDecodeError:
            data = None
        self.conn.receive(data)

    def on_close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            self.services.activity.connections -= 1
            self.services.documents.drop(conn)

    # -- Transport -------------------------------------------------------------------------
    def send_text(self, text: str) -> None:
        """Queue one message on the WebSocket (dropped when it is closing)."""
        conn = self.ws_connection
        if conn is None or conn.is_closing():
            return
        try:
            self.write_message(text).add_done_callback(_retrieve)
        except websocket.WebSocketClosedError:
            return


class _EventStream:
    """The sending half of an SSE+POST connection: events on a held-open response."""

    def __init__(self, handler: BaseHandler) -> None:
        self.handler = handler
        self.closed = asyncio.Event()

    def send_text(self, text: str) -> None:
        if self.closed.is_set():
            return
        try:
            self.handler.write(b"data: " + text.encode("utf-8") + b"\n\n")
            self.handler.flush().add_done_callback(_retrieve)
        except (iostream.StreamClosedError, RuntimeError):
            self.closed.set()

    def close(self) -> None:
        self.closed.set()


class DocumentEventsHandler(BaseHandler):
    """GET: the server-to-client half of an SSE+POST connection."""

    stream: _EventStream | None = None

    async def get(self) -> None:
        path = self.query("path", "") or ""
        await self.services.documents.open(path)
        self.set_header("Content-Type", "text/event-stream; charset=utf-8")
        self.set_header("X-Accel-Buffering", "no")
        stream = self.stream = _EventStream(self)
        conn = await self.services.documents.connect(path, stream)
        self.services.activity.connections += 1
        try:
            stream.send_text(orjson.dumps({"type": "welcome", "conn": conn.id}).decode())
            while not stream.closed.is_set():
                try:
                    await asyncio.wait_for(stream.closed.wait(), KEEPALIVE)
                except TimeoutError:
                    self.write(b": keepalive\n\n")
                    self.flush().add_done_callback(_retrieve)
        finally:
            self.services.activity.connections -= 1
            self.services.documents.drop(conn)
        if not self.client_gone:
            self.finish()

    client_gone = False

    def on_connection_close(self) -> None:
        self.client_gone = True
        if self.stream is not None:
            self.stream.close()


class DocumentSendHandler(BaseHandler):
    """POST: the client-to-server half of an SSE+POST connection (a batch of messages)."""

    def post(self) -> None:
        conn = self.services.documents.connection(self.query("conn", "") or "")
        raw = self.query("n")
        if raw is None or not raw.isdigit():
            raise errors.InvalidInput("n (the batch number, from 0) is needed")
        try:
            batch = orjson.loads(self.request.body or b"[]")
        except orjson.JSONDecodeError as exc:
            raise errors.InvalidInput("the body must be a JSON array of messages") from exc
        if isinstance(batch, dict):
            batch = [batch]
        if not isinstance(batch, list):
            raise errors.InvalidInput("the body must be a JSON array of messages")
        conn.receive_batch(int(raw), batch)
        self.set_status(204)
        self.finish()


class DocumentOutputHandler(BaseHandler):
    """GET: bytes ``start:end`` of one cell output (stream text, or the JSON content)."""

    async def get(self) -> None:
        path = self.query("path", "") or ""
        cell_id = self.query("cell_id", "") or ""
        try:
            index = int(self.query("index", "0") or "0")
            start = int(self.query("start", "0") or "0")
            end_raw = self.query("end")
            end = int(end_raw) if end_raw else None
        except ValueError as exc:
            raise errors.InvalidInput("index, start and end must be integers") from exc
        data, size = await self.services.documents.read_output(path, cell_id, index, start, end)
        self.set_header("Content-Type", "application/octet-stream")
        self.set_header("X-Output-Size", str(size))
        self.finish(data)

"""``/api/kernels/<id>/channels``: the kernel's channels over one WebSocket.

JSON text frames by default, legacy binary frames for messages with buffers, or
the ``v1.kernel.websocket.jupyter.org`` binary protocol when the client offers it.
The kernel service does the work; this handler authenticates, picks the protocol
and moves frames between tornado and the client's ``ChannelSession``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tornado import websocket

from carnet import errors
from carnet.kernels import V1_PROTOCOL, ChannelSession
from carnet.web.base import SocketHandler, log

if TYPE_CHECKING:
    from carnet.services import Services


class ChannelsHandler(SocketHandler):
    """One WebSocket client of one kernel; also the ``ClientSink`` its session delivers to."""

    services: Services
    channel: ChannelSession | None = None

    async def preflight(self, **kwargs: Any) -> None:
        self.services.kernels.get(kwargs["kernel_id"])

    def select_subprotocol(self, subprotocols: list[str]) -> str | None:
        return V1_PROTOCOL if V1_PROTOCOL in subprotocols else None

    def open(self, *args: str, **kwargs: str) -> None:
        # Without this, small replies wait on Nagle's algorithm (tens of ms per round trip).
        self.set_nodelay(True)
        session_id = self.get_query_argument("session_id", "") or ""
        try:
            self.channel = self.services.kernels.connect(
                kwargs["kernel_id"], session_id, self, self.selected_subprotocol
            )
        except errors.CarnetError as exc:
            log.info("kernel channels refused: %s", exc.message)
            self.close(1011, exc.message[:100])
            return
        self.services.activity.connections += 1

    def on_message(self, message: str | bytes) -> None:
        if self.channel is not None:
            self.channel.from_client(message)

    def on_close(self) -> None:
        channel, self.channel = self.channel, None
        if channel is not None:
            self.services.activity.connections -= 1
            channel.detach(self, channel.kernel.reconnect_window)

    # -- ClientSink ------------------------------------------------------------------
    def deliver(self, payload: bytes, binary: bool) -> bool:
        """Queue one frame on the connection; False when it is already closed."""
        conn = self.ws_connection
        if conn is None or conn.is_closing():
            return False
        try:
            future = self.write_message(payload, binary=binary)
        except websocket.WebSocketClosedError:
            return False
        future.add_done_callback(_retrieve)
        return True

    def disconnect(self) -> None:
        """Close the connection from the server side."""
        self.channel = None
        self.services.activity.connections -= 1
        self.close(1000, "kernel channels closed")


def _retrieve(future: Any) -> None:
    # A write that fails because the client left is expected; the session buffers instead.
    if not future.cancelled():
        future.exception()

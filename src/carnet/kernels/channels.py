"""One client session on a kernel: its own shell, control and stdin sockets, and its buffer.

Each WebSocket gets its own DEALER sockets (sharing one routing identity, which is
how a kernel sends ``input_request`` to the stdin of the client that executed), so
replies go back to the client that asked. iopub is shared per kernel and fanned out
by the kernel to every session. When the WebSocket goes away, the session keeps its
sockets and buffers every message for it until the same ``session_id`` reconnects
or the reconnect window closes.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from typing import TYPE_CHECKING, Any, Protocol

from carnet.errors import InvalidInput
from carnet.kernels import wire

if TYPE_CHECKING:
    from carnet.kernels.kernel import Kernel

log = logging.getLogger("carnet.kernels")

#: One encoded form per WebSocket protocol, shared by every session a message fans out to.
EncodeCache = dict[str | None, tuple[bytes, bool]]


class ClientSink(Protocol):
    """A connected client (a WebSocket) that a session delivers frames to."""

    def deliver(self, payload: bytes, binary: bool) -> bool:
        """Send one frame; False when the client is gone (the frame was not sent)."""
        ...

    def disconnect(self) -> None:
        """Close the client's connection (the kernel is gone, or a newer connection took over)."""
        ...


def _log_failure(future: asyncio.Future[Any]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.warning("sending to the kernel failed: %s", future.exception())


class ChannelSession:
    """The kernel side of one client session (see the module docstring)."""

    def __init__(self, kernel: Kernel, session_id: str, keep: bool) -> None:
        self.kernel = kernel
        self.session_id = session_id
        #: Whether the session outlives its WebSocket (the client named a session_id).
        self.keep = keep
        self.sink: ClientSink | None = None
        self.protocol: str | None = None
        self.pending: deque[tuple[str, wire.Message]] = deque()
        self.closed = False
        self._expiry: asyncio.TimerHandle | None = None
        identity = uuid.uuid4().hex.encode()
        self._sockets = {
            channel: kernel.connect_socket(channel, identity) for channel in wire.CLIENT_CHANNELS
        }
        self._readers = [
            asyncio.create_task(self._read(channel, sock), name=f"kernel-{channel}")
            for channel, sock in self._sockets.items()
        ]

    # -- the client side ---------------------------------------------------------------
    def attach(self, sink: ClientSink, protocol: str | None) -> None:
        """Connect a WebSocket; deliver what it missed, in order, before anything new."""
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        old, self.sink = self.sink, None
        if old is not None and old is not sink:
            old.disconnect()
        self.protocol = protocol
        self.sink = sink
        while self.pending:
            channel, msg = self.pending[0]
            payload, binary = wire.to_client(msg, channel, protocol)
            if not sink.deliver(payload, binary):
                # Gone again already: the rest stays pending, and so does what follows.
                return
            self.pending.popleft()

    def detach(self, sink: ClientSink, window: float) -> None:
        """The WebSocket closed: buffer for ``window`` seconds, or close now if not kept."""
        if self.sink is not sink:
            return
        self.sink = None
        if not self.keep or window <= 0:
            self.kernel.close_session(self)
            return
        loop = asyncio.get_running_loop()
        self._expiry = loop.call_later(window, self.kernel.close_session, self)

    def from_client(self, data: str | bytes) -> None:
        """Forward one WebSocket frame to the kernel, signed; malformed frames are dropped."""
        try:
            channel, msg = wire.from_client(data, self.protocol)
        except InvalidInput as exc:
            log.warning("dropped a malformed message from a client: %s", exc.message)
            return
        sock = self._sockets.get(channel)
        if sock is None:
            log.warning("dropped a client message for channel %r", channel[:40])
            return
        future = sock.send_multipart(wire.to_kernel(msg, self.kernel.signer), copy=False)
        future.add_done_callback(_log_failure)
        self.kernel.touch()

    # -- the kernel side ---------------------------------------------------------------
    def deliver(self, channel: str, msg: wire.Message, cache: EncodeCache | None = None) -> None:
        """Send a kernel message to the client, or keep it until the client comes back."""
        sink = self.sink
        if sink is None or self.pending:
            if self.keep and not self.closed:
                self.pending.append((channel, msg))
            return
        protocol = self.protocol
        encoded = cache.get(protocol) if cache is not None else None
        if encoded is None:
            encoded = wire.to_client(msg, channel, protocol)
            if cache is not None:
                cache[protocol] = encoded
        if not sink.deliver(*encoded) and self.keep:
            # The socket closed under us before its close was reported (detach comes next):
            # keep the message for the reconnect.
            self.pending.append((channel, msg))

    async def _read(self, channel: str, sock: Any) -> None:
        signer = self.kernel.signer
        while True:
            frames = await sock.recv_multipart()
            try:
                msg = wire.from_kernel(frames, signer)
                msg.header_dict()
            except InvalidInput as exc:
                log.warning("dropped a message from the kernel on %s: %s", channel, exc.message)
                continue
            self.kernel.touch()
            self.deliver(channel, msg)

    async def aclose(self) -> None:
        """Stop reading, close the sockets and the client, drop the buffer."""
        self.closed = True
        if self._expiry is not None:
            self._expiry.cancel()
        for task in self._readers:
            task.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)
        for sock in self._sockets.values():
            sock.close(linger=0)
        self.pending.clear()
        sink, self.sink = self.sink, None
        if sink is not None:
            sink.disconnect()

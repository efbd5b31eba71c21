"""Jupyter messages on the wire: ZMQ frames, HMAC signatures and WebSocket frames.

A message travels as its four JSON parts (header, parent_header, metadata,
content) plus binary buffers. Kernel -> client messages are never decoded and
re-encoded: the parts are already JSON, so the WebSocket frame is assembled by
byte concatenation; only the header (and the content of ``status`` messages) is
parsed. Three WebSocket encodings exist:

- JSON text (the default): ``{header, parent_header, metadata, content, buffers,
  channel}``;
- legacy binary, for messages with buffers when no subprotocol was chosen: a
  big-endian uint32 count ``n``, ``n`` uint32 offsets, the JSON message without
  ``buffers``, then the buffers;
- ``v1.kernel.websocket.jupyter.org``: a little-endian uint64 count ``n``, ``n``
  uint64 offsets, then the channel name, the four JSON parts and the buffers.

Pure functions on bytes: no zmq, no tornado, so it is tested without either.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import struct
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from carnet.errors import InvalidInput

DELIMITER = b"<IDS|MSG>"
V1_PROTOCOL = "v1.kernel.websocket.jupyter.org"
PROTOCOL_VERSION = "5.3"
CLIENT_CHANNELS = ("shell", "control", "stdin")


class Signer:
    """Signs and verifies messages the way jupyter_client's Session does (HMAC over the parts)."""

    __slots__ = ("_digest", "_key")

    def __init__(self, key: bytes, scheme: str = "hmac-sha256") -> None:
        algorithm, _, digest = scheme.partition("-")
        if algorithm != "hmac" or digest not in hashlib.algorithms_available:
            raise InvalidInput(f"unsupported signature scheme {scheme!r}")
        self._key = key
        self._digest = digest

    def sign(self, parts: list[bytes]) -> bytes:
        """The hex signature of the four JSON parts (empty when the key is empty)."""
        if not self._key:
            return b""
        return hmac.digest(self._key, b"".join(parts), self._digest).hex().encode()

    def verify(self, signature: bytes, parts: list[bytes]) -> bool:
        """True when ``signature`` matches the parts (constant-time comparison)."""
        if not self._key:
            return True
        return hmac.compare_digest(signature, self.sign(parts))


@dataclass(slots=True)
class Message:
    """One Jupyter message as its serialised JSON parts and its binary buffers."""

    header: bytes
    parent_header: bytes
    metadata: bytes
    content: bytes
    buffers: list[bytes] = field(default_factory=list)
    _header: dict[str, Any] | None = None

    @property
    def parts(self) -> list[bytes]:
        return [self.header, self.parent_header, self.metadata, self.content]

    def header_dict(self) -> dict[str, Any]:
        """The parsed header (parsed once, on demand)."""
        if self._header is None:
            self._header = _object(self.header, "header")
        return self._header

    @property
    def msg_type(self) -> str:
        value = self.header_dict().get("msg_type")
        return value if isinstance(value, str) else ""


def _object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"the message {what} is not valid JSON") from exc
    if not isinstance(value, dict):
        raise InvalidInput(f"the message {what} must be a JSON object")
    return value


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_message(
    msg_type: str,
    content: dict[str, Any],
    session: str,
    parent: dict[str, Any] | None = None,
    msg_id: str | None = None,
) -> Message:
    """A message that carnet itself sends (kernel_info requests, status notices)."""
    header = {
        "msg_id": msg_id or uuid.uuid4().hex,
        "msg_type": msg_type,
        "username": "carnet",
        "session": session,
        "date": now_iso(),
        "version": PROTOCOL_VERSION,
    }
    return Message(
        header=orjson.dumps(header),
        parent_header=orjson.dumps(parent or {}),
        metadata=b"{}",
        content=orjson.dumps(content),
        _header=header,
    )


# -- ZMQ frames ------------------------------------------------------------------------
def from_kernel(frames: list[bytes], signer: Signer) -> Message:
    """Parse the frames received from a kernel socket; refuse a bad signature."""
    try:
        start = frames.index(DELIMITER)
    except ValueError:
        raise InvalidInput("a kernel message without the <IDS|MSG> delimiter") from None
    if len(frames) < start + 6:
        raise InvalidInput("a kernel message with fewer than four parts")
    signature = frames[start + 1]
    parts = frames[start + 2 : start + 6]
    if not signer.verify(signature, parts):
        raise InvalidInput("a kernel message with a bad signature")
    return Message(parts[0], parts[1], parts[2], parts[3], list(frames[start + 6 :]))


def to_kernel(msg: Message, signer: Signer) -> list[bytes]:
    """The frames to send on a DEALER socket: delimiter, signature, parts, buffers."""
    parts = msg.parts
    return [DELIMITER, signer.sign(parts), *parts, *msg.buffers]


# -- WebSocket frames to the client ------------------------------------------------------
def _json_message(msg: Message, channel: str, with_buffers: bool) -> bytes:
    header = msg.header_dict()
    pieces = [
        b'{"header":', msg.header,
        b',"msg_id":', orjson.dumps(header.get("msg_id", "")),
        b',"msg_type":', orjson.dumps(header.get("msg_type", "")),
        b',"parent_header":', msg.parent_header,
        b',"metadata":', msg.metadata,
        b',"content":', msg.content,
        b',"buffers":[]' if with_buffers else b"",
        b',"channel":"', channel.encode(), b'"}',
    ]  # fmt: skip
    return b"".join(pieces)


def to_client(msg: Message, channel: str, protocol: str | None) -> tuple[bytes, bool]:
    """Encode a kernel message for a WebSocket client; returns ``(payload, is_binary)``."""
    if protocol == V1_PROTOCOL:
        return _v1_frame(channel, [*msg.parts, *msg.buffers]), True
    if not msg.buffers:
        return _json_message(msg, channel, with_buffers=True), False
    chunks = [_json_message(msg, channel, with_buffers=False), *msg.buffers]
    count = len(chunks)
    offsets = [4 * (count + 1)]
    for chunk in chunks[:-1]:
        offsets.append(offsets[-1] + len(chunk))
    return struct.pack(f"!{count + 1}I", count, *offsets) + b"".join(chunks), True


def _v1_frame(channel: str, parts: list[bytes]) -> bytes:
    chunks = [channel.encode(), *parts]
    count = len(chunks) + 1
    offsets = [8 * (count + 1)]
    for chunk in chunks:
        offsets.append(offsets[-1] + len(chunk))
    return struct.pack(f"<{count + 1}Q", count, *offsets) + b"".join(chunks)


# -- WebSocket frames from the client ----------------------------------------------------
def from_client(data: str | bytes, protocol: str | None) -> tuple[str, Message]:
    """Decode a client's WebSocket frame into ``(channel, message)``; InvalidInput if malformed."""
    if isinstance(data, bytes) and protocol == V1_PROTOCOL:
        return _from_v1(data)
    if isinstance(data, bytes):
        chunks = _split_offsets(data, ">I", 4)
        body, buffers = chunks[0], chunks[1:]
    else:
        body, buffers = data.encode(), []
    obj = _object(body, "body")
    channel = obj.get("channel") or "shell"
    header = obj.get("header")
    if not isinstance(header, dict) or not isinstance(channel, str):
        raise InvalidInput("a client message needs a header object")
    parts = []
    for name in ("parent_header", "metadata", "content"):
        value = obj.get(name)
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise InvalidInput(f"the message {name} must be a JSON object")
        parts.append(orjson.dumps(value))
    msg = Message(orjson.dumps(header), parts[0], parts[1], parts[2], buffers, _header=header)
    return channel, msg


def _from_v1(data: bytes) -> tuple[str, Message]:
    chunks = _split_offsets(data, "<Q", 8)
    if len(chunks) < 5:
        raise InvalidInput("a v1 message needs a channel and four parts")
    try:
        channel = chunks[0].decode()
    except UnicodeDecodeError as exc:
        raise InvalidInput("the channel name is not UTF-8") from exc
    header = _object(chunks[1], "header")
    return channel, Message(chunks[1], chunks[2], chunks[3], chunks[4], chunks[5:], _header=header)


def _split_offsets(data: bytes, fmt: str, width: int) -> list[bytes]:
    """Cut ``data`` at the offsets of its leading table (count, then offsets)."""
    if len(data) < width:
        raise InvalidInput("a binary message too short for its offset table")
    (count,) = struct.unpack_from(fmt, data, 0)
    if not 1 <= count <= 4096 or len(data) < width * (count + 1):
        raise InvalidInput("a binary message with a bad offset table")
    offsets = list(struct.unpack_from(f"{fmt[0]}{count}{fmt[1]}", data, width))
    if fmt[0] == ">":
        # The legacy layout lists where each chunk starts; the last runs to the end.
        offsets.append(len(data))
    if offsets[0] < width * (count + 1) or offsets[-1] > len(data):
        raise InvalidInput("a binary message with a bad offset table")
    if any(b < a for a, b in itertools.pairwise(offsets)):
        raise InvalidInput("a binary message with offsets out of order")
    return [data[a:b] for a, b in itertools.pairwise(offsets)]

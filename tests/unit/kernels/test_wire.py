"""Message framing and signing, checked against jupyter_client's Session and the specs."""

from __future__ import annotations

import json
import struct

import pytest
from jupyter_client.session import Session

from carnet.errors import InvalidInput
from carnet.kernels import wire

KEY = b"0123456789abcdef0123456789abcdef"


def _session_frames(buffers: list[bytes] | None = None) -> tuple[Session, list[bytes]]:
    session = Session(key=KEY, signature_scheme="hmac-sha256")
    msg = session.msg("stream", {"name": "stdout", "text": "héllo\n"})
    frames = session.serialize(msg)
    return session, [f if isinstance(f, bytes) else bytes(f) for f in frames] + (buffers or [])


def test_messages_signed_by_jupyter_client_verify_and_parse() -> None:
    _, frames = _session_frames([b"\x00\x01"])
    msg = wire.from_kernel(frames, wire.Signer(KEY))
    assert msg.msg_type == "stream"
    assert json.loads(msg.content) == {"name": "stdout", "text": "héllo\n"}
    assert msg.buffers == [b"\x00\x01"]


def test_a_tampered_or_unsigned_message_is_refused() -> None:
    _, frames = _session_frames()
    start = frames.index(wire.DELIMITER)
    tampered = list(frames)
    tampered[start + 5] = b'{"name": "stdout", "text": "evil"}'
    with pytest.raises(InvalidInput, match="signature"):
        wire.from_kernel(tampered, wire.Signer(KEY))
    with pytest.raises(InvalidInput, match="signature"):
        wire.from_kernel(frames, wire.Signer(b"another key"))
    with pytest.raises(InvalidInput, match="delimiter"):
        wire.from_kernel(frames[start + 1 :], wire.Signer(KEY))


def test_messages_carnet_signs_are_accepted_by_jupyter_client() -> None:
    session = Session(key=KEY, signature_scheme="hmac-sha256")
    msg = wire.new_message("kernel_info_request", {}, "s")
    frames = wire.to_kernel(msg, wire.Signer(KEY))
    parsed = session.deserialize(session.feed_identities(frames)[1])
    assert parsed["header"]["msg_type"] == "kernel_info_request"
    assert parsed["header"]["version"] == "5.3"


def test_json_text_frame_is_the_full_message() -> None:
    _, frames = _session_frames()
    msg = wire.from_kernel(frames, wire.Signer(KEY))
    payload, binary = wire.to_client(msg, "iopub", None)
    assert not binary
    decoded = json.loads(payload)
    assert decoded["channel"] == "iopub"
    assert decoded["buffers"] == []
    assert decoded["content"]["text"] == "héllo\n"
    assert decoded["msg_type"] == "stream"
    assert decoded["msg_id"] == decoded["header"]["msg_id"]
    assert decoded["parent_header"] == {}


def test_legacy_binary_frame_layout() -> None:
    _, frames = _session_frames([b"abc", b"\xff" * 5])
    msg = wire.from_kernel(frames, wire.Signer(KEY))
    payload, binary = wire.to_client(msg, "iopub", None)
    assert binary
    count, *offsets = struct.unpack_from("!4I", payload)
    assert count == 3
    assert offsets[0] == 16
    body = json.loads(payload[offsets[0] : offsets[1]])
    assert "buffers" not in body
    assert body["channel"] == "iopub"
    assert payload[offsets[1] : offsets[2]] == b"abc"
    assert payload[offsets[2] :] == b"\xff" * 5
    channel, back = wire.from_client(payload, None)
    assert channel == "iopub"
    assert back.buffers == [b"abc", b"\xff" * 5]


def test_v1_frame_layout_round_trips() -> None:
    _, frames = _session_frames([b"buf"])
    msg = wire.from_kernel(frames, wire.Signer(KEY))
    payload, binary = wire.to_client(msg, "shell", wire.V1_PROTOCOL)
    assert binary
    (count,) = struct.unpack_from("<Q", payload)
    offsets = struct.unpack_from(f"<{count}Q", payload, 8)
    assert count == 7  # channel, four parts, one buffer: seven offsets
    assert offsets[-1] == len(payload)
    assert payload[offsets[0] : offsets[1]] == b"shell"
    assert payload[offsets[1] : offsets[2]] == msg.header
    channel, back = wire.from_client(payload, wire.V1_PROTOCOL)
    assert channel == "shell"
    assert back.parts == msg.parts
    assert back.buffers == [b"buf"]


def test_json_from_the_client_defaults_to_shell() -> None:
    text = json.dumps(
        {"header": {"msg_id": "1", "msg_type": "execute_request"}, "content": {"code": "1"}}
    )
    channel, msg = wire.from_client(text, None)
    assert channel == "shell"
    assert json.loads(msg.metadata) == {}
    assert json.loads(msg.parent_header) == {}
    assert msg.msg_type == "execute_request"


@pytest.mark.parametrize(
    ("data", "protocol"),
    [
        ("not json", None),
        ("[1]", None),
        ('{"header": "x"}', None),
        ('{"header": {}, "content": [1]}', None),
        (b"\x00", None),
        (struct.pack("!I", 99) + b"{}", None),
        (struct.pack("!II", 1, 2) + b"{}", None),
        (struct.pack("<Q", 3) + struct.pack("<3Q", 32, 31, 40), wire.V1_PROTOCOL),
        (struct.pack("<Q", 2) + struct.pack("<2Q", 24, 1000), wire.V1_PROTOCOL),
    ],
)
def test_malformed_client_frames_are_invalid_input(data: str | bytes, protocol: str | None) -> None:
    with pytest.raises(InvalidInput):
        wire.from_client(data, protocol)

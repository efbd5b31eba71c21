"""The current outputs of each cell, as the output journal's replay builds them.

Small outputs are held in memory. An output that grows past ``INLINE_LIMIT`` keeps
only where its pieces lie in the journal file (an offset and a length per record),
so a 50 MB stream costs a few bytes per message of memory, never its text.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

INLINE_LIMIT = 256 * 1024

# Reads ``length`` bytes at ``offset`` of the journal file.
Reader = Callable[[int, int], bytes]

# Kernel messages that become outputs (``update_display_data`` changes one in place).
OUTPUT_TYPES = frozenset({"stream", "display_data", "execute_result", "error"})
STATE = "carnet.state"
CLEAR = "carnet.clear"
STATES = frozenset({"queued", "running", "finished", "error"})
# Records that set the execution state; compaction keeps them even before a clear.
STATE_TYPES = frozenset({STATE, "execute_input", "execute_reply"})


class StreamOutput:
    """A stream output (stdout or stderr): consecutive messages of one name, coalesced."""

    __slots__ = ("_inline", "_offsets", "_starts", "name", "size")

    def __init__(self, name: str) -> None:
        self.name = name
        self.size = 0
        self._starts = array("q")
        self._offsets = array("q")
        self._inline: bytearray | None = bytearray()

    def add(self, offset: int, length: int, body: bytes | None) -> None:
        """Append a piece of text found at ``offset`` in the journal (``body`` if at hand)."""
        if length == 0:
            return
        self._starts.append(self.size)
        self._offsets.append(offset)
        self.size += length
        if self._inline is not None:
            if body is not None and self.size <= INLINE_LIMIT:
                self._inline += body
            else:
                self._inline = None

    def read(self, start: int, end: int, reader: Reader) -> bytes:
        """Bytes ``start:end`` of the UTF-8 text, read from disk when not held."""
        start = max(0, start)
        end = min(self.size, end)
        if start >= end:
            return b""
        if self._inline is not None:
            return bytes(self._inline[start:end])
        first = bisect_right(self._starts, start) - 1
        last = bisect_right(self._starts, end - 1) - 1
        # Pieces of one stream usually sit close together in the file (a few header
        # bytes apart): one read of the whole span beats a read per message.
        span_at = self._offsets[first]
        span_end = self._offsets[last] + self._piece_len(last)
        span = span_end - span_at
        block = reader(span_at, span) if span <= 2 * (end - start) + (1 << 20) else None
        pieces = []
        for i in range(first, last + 1):
            piece_start = self._starts[i]
            lo = max(start, piece_start) - piece_start
            hi = min(end, piece_start + self._piece_len(i)) - piece_start
            at = self._offsets[i] + lo
            if block is not None:
                pieces.append(block[at - span_at : at - span_at + hi - lo])
            else:
                pieces.append(reader(at, hi - lo))
        return b"".join(pieces)

    def _piece_len(self, i: int) -> int:
        return (self._starts[i + 1] if i + 1 < len(self._starts) else self.size) - self._starts[i]

    def to_nbformat(self, reader: Reader) -> dict[str, Any]:
        """The nbformat v4 stream output."""
        text = self.read(0, self.size, reader).decode("utf-8", "replace")
        return {"output_type": "stream", "name": self.name, "text": text}


class RichOutput:
    """A display_data, execute_result or error output; its content is JSON in the journal."""

    __slots__ = ("_content", "_ref", "display_id", "output_type", "size")

    def __init__(self, output_type: str, offset: int, length: int, body: bytes | None) -> None:
        self.output_type = output_type
        self.display_id: str | None = None
        self._content: dict[str, Any] | None = None
        self.size = 0
        self._ref = (0, 0)
        self.replace(offset, length, body)

    def replace(self, offset: int, length: int, body: bytes | None) -> None:
        """Point at new content (``update_display_data``)."""
        self._ref = (offset, length)
        self.size = length
        self._content = None
        if body is not None and length <= INLINE_LIMIT:
            self._content = orjson.loads(body)
        if self.display_id is None and self._content is not None:
            transient = self._content.get("transient") or {}
            self.display_id = transient.get("display_id")

    def content(self, reader: Reader) -> dict[str, Any]:
        """The kernel message content this output was made from."""
        if self._content is not None:
            return self._content
        loaded: dict[str, Any] = orjson.loads(reader(*self._ref))
        return loaded

    def read(self, start: int, end: int, reader: Reader) -> bytes:
        """Bytes ``start:end`` of the output's JSON content."""
        start = max(0, start)
        end = min(self.size, end)
        if start >= end:
            return b""
        if self._content is not None:
            return orjson.dumps(self._content)[start:end]
        return reader(self._ref[0] + start, end - start)

    def to_nbformat(self, reader: Reader) -> dict[str, Any]:
        """The nbformat v4 output."""
        content = self.content(reader)
        if self.output_type == "error":
            return {
                "output_type": "error",
                "ename": content.get("ename", ""),
                "evalue": content.get("evalue", ""),
                "traceback": list(content.get("traceback", [])),
            }
        out: dict[str, Any] = {
            "output_type": self.output_type,
            "data": content.get("data", {}),
            "metadata": content.get("metadata", {}),
        }
        if self.output_type == "execute_result":
            out["execution_count"] = content.get("execution_count")
        return out


Output = StreamOutput | RichOutput


@dataclass
class CellState:
    """What one cell's current execution has produced so far."""

    execution_id: str = ""
    state: str = "idle"
    execution_count: int | None = None
    outputs: list[Output] = field(default_factory=list)
    clear_pending_seq: int = 0
    # Records before ``cut_seq`` in this execution carry no output any more (a clear).
    cut_seq: int = 0
    # Records of other cells' executions that changed this cell's outputs.
    foreign_seqs: list[int] = field(default_factory=list)

    def reset(self, execution_id: str) -> None:
        """Start a new execution: outputs and state of the previous one are gone."""
        self.execution_id = execution_id
        self.state = "idle"
        self.execution_count = None
        self.outputs = []
        self.clear_pending_seq = 0
        self.cut_seq = 0
        self.foreign_seqs = []

    def clear(self, seq: int) -> None:
        """Drop the outputs, keeping the execution state."""
        self.outputs = []
        self.clear_pending_seq = 0
        self.cut_seq = seq
        self.foreign_seqs = []

    def add_stream(self, name: str, offset: int, length: int, body: bytes | None) -> None:
        """Coalesce with the last output when it is a stream of the same name."""
        last = self.outputs[-1] if self.outputs else None
        if not (isinstance(last, StreamOutput) and last.name == name):
            last = StreamOutput(name)
            self.outputs.append(last)
        last.add(offset, length, body)


def _count(value: Any, default: int | None) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


class OutputState:
    """Every cell's outputs and execution state, built one journal record at a time.

    Only the meaning of records lives here; where they are is the journal's business.
    A record whose content is not what its type promises changes nothing.
    """

    def __init__(self) -> None:
        self.cells: dict[str, CellState] = {}
        self._displays: dict[str, list[tuple[str, RichOutput]]] = {}

    def apply(
        self,
        seq: int,
        meta: dict[str, Any],
        at: int,
        length: int,
        body: bytes | None,
        reader: Reader,
    ) -> None:
        """Take one record into account (``body`` is None when it was not read)."""
        cell_id, msg_type = meta["c"], meta["t"]
        cell = self.cells.get(cell_id)
        if cell is None:
            cell = self.cells[cell_id] = CellState()
        if meta["e"] != cell.execution_id:
            cell.reset(meta["e"])
        if msg_type in OUTPUT_TYPES and cell.clear_pending_seq:
            cell.clear(cell.clear_pending_seq)
        if msg_type == "stream":
            cell.add_stream(str(meta.get("n", "stdout")), at, length, body)
        elif msg_type == CLEAR:
            cell.clear(seq)
        elif msg_type in OUTPUT_TYPES:
            self._add_rich(cell_id, cell, msg_type, at, length, body)
        else:
            data = body if body is not None else reader(at, length)
            content = orjson.loads(data) if data else {}
            if isinstance(content, dict):
                self._apply_other(seq, cell_id, cell, msg_type, content, (at, length, body))

    def _add_rich(
        self, cell_id: str, cell: CellState, msg_type: str, at: int, length: int, body: bytes | None
    ) -> None:
        out = RichOutput(msg_type, at, length, body)
        cell.outputs.append(out)
        if out.display_id is not None:
            self._displays.setdefault(out.display_id, []).append((cell_id, out))
        if msg_type == "execute_result" and out.size <= INLINE_LIMIT and body is not None:
            count = orjson.loads(body).get("execution_count")
            cell.execution_count = _count(count, cell.execution_count)

    def _apply_other(
        self,
        seq: int,
        cell_id: str,
        cell: CellState,
        msg_type: str,
        content: dict[str, Any],
        where: tuple[int, int, bytes | None],
    ) -> None:
        if msg_type == "update_display_data":
            display_id = (content.get("transient") or {}).get("display_id")
            if not isinstance(display_id, str) or display_id not in self._displays:
                return
            # Outputs cleared or replaced since are forgotten here too.
            live = [
                (target, out)
                for target, out in self._displays[display_id]
                if any(o is out for o in self.cells[target].outputs)
            ]
            self._displays[display_id] = live
            for target, out in live:
                out.replace(*where)
                if target != cell_id:
                    self.cells[target].foreign_seqs.append(seq)
        elif msg_type == "clear_output":
            if content.get("wait"):
                cell.clear_pending_seq = seq
            else:
                cell.clear(seq)
        elif msg_type == STATE:
            if content.get("state") in STATES:
                cell.state = content["state"]
            cell.execution_count = _count(content.get("execution_count"), cell.execution_count)
        elif msg_type == "execute_input":
            cell.state = "running"
            cell.execution_count = _count(content.get("execution_count"), cell.execution_count)
        elif msg_type == "execute_reply":
            cell.state = "finished" if content.get("status") == "ok" else "error"
            cell.execution_count = _count(content.get("execution_count"), cell.execution_count)


def output_view(output: Output, limit: int, reader: Reader) -> dict[str, Any]:
    """An output with its body cut to the first and last ``limit`` bytes when bigger.

    The result is the nbformat output when it fits; otherwise ``truncated`` is true,
    ``head`` and ``tail`` hold text and ``size`` the full body size in bytes.
    """
    if output.size <= 2 * limit:
        return {"truncated": False, "size": output.size, "output": output.to_nbformat(reader)}
    head = output.read(0, limit, reader).decode("utf-8", "ignore")
    tail = output.read(output.size - limit, output.size, reader).decode("utf-8", "ignore")
    base: dict[str, Any] = {
        "output_type": output.output_type if isinstance(output, RichOutput) else "stream"
    }
    if isinstance(output, StreamOutput):
        base["name"] = output.name
    return {"truncated": True, "size": output.size, "output": base, "head": head, "tail": tail}

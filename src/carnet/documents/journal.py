"""The output journal: every kernel message of every execution of one notebook, on disk.

One directory per open notebook holds ``outputs.journal``, an append-only file of
framed records (``carnet.documents.framing``). Each record has a sequence number;
``read_from(seq)`` gives a reconnecting client exactly the records it has not seen.
Writes reach the OS at once (a killed server loses nothing); fsyncs are grouped, so
at most ``fsync_interval`` seconds of output are at risk on power loss, and
``await flush()`` waits until everything appended so far is on disk.

Record payload::

    meta_length (u32 little endian)  meta (JSON)  body

``meta`` holds ``s`` (sequence), ``c`` (cell id), ``e`` (execution id), ``t`` (message
type), and for streams ``n`` (stream name); a stream's body is its UTF-8 text, any
other body is the message content as JSON. After a compaction the file starts with
a record of type ``carnet.horizon`` (sequence 0) holding ``h``: records up to that
sequence may have been dropped, and ``l``: the last sequence ever given.
"""

from __future__ import annotations

import os
import struct
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from carnet.documents.framing import (
    HEADER,
    CorruptState,
    GroupCommit,
    append_parts,
    atomic_write,
    cut_torn_tail,
    frame_parts,
    open_log,
    scan,
)
from carnet.documents.outputs import (
    CLEAR,
    STATE,
    STATE_TYPES,
    STATES,
    Output,
    OutputState,
    output_view,
)
from carnet.errors import Conflict, InvalidInput, NotFound

MAGIC = b"CRNTJRN1"
FILE_NAME = "outputs.journal"
HORIZON = "carnet.horizon"
_META_LEN = struct.Struct("<I")
# Bodies up to this size are joined with their header into a single write.
_JOIN_LIMIT = 64 * 1024
# On replay, records up to this size are read whole; bigger ones only their meta.
_REPLAY_READ = 1 << 20


@dataclass(frozen=True)
class JournalRecord:
    """One kernel message (or carnet's own state record) as it was appended."""

    seq: int
    cell_id: str
    execution_id: str
    msg_type: str
    content: dict[str, Any]


@dataclass(frozen=True)
class ExecutionState:
    """A cell's execution: ``idle``, ``queued``, ``running``, ``finished`` or ``error``."""

    execution_id: str
    state: str
    execution_count: int | None


class OutputJournal:
    """Append-only, sequence-numbered record of one notebook's outputs.

    Not thread-safe: use it from one event loop. ``compact`` must not run while
    other calls are in progress.
    """

    def __init__(self, directory: Path, *, fsync_interval: float = 0.5) -> None:
        """Open (or create) the journal in ``directory``, dropping a torn last record."""
        self.relocate(directory)
        self._fsync_interval = fsync_interval
        self._fd = -1
        self._load()

    def relocate(self, directory: Path) -> None:
        """The state directory was renamed (its notebook moved): the journal is there now."""
        self.path = directory / FILE_NAME

    def _load(self) -> None:
        fd = open_log(self.path, MAGIC)
        self._fd = fd
        self._seqs = array("q")
        self._offsets = array("q")
        self._state = OutputState()
        self._cells = self._state.cells
        self.horizon = 0
        self.last_seq = 0
        self._generation = getattr(self, "_generation", 0) + 1
        end = len(MAGIC)
        try:
            for offset, length, payload in scan(fd, end, keep=_REPLAY_READ):
                self._replay(offset - HEADER.size, offset, length, payload)
                end = offset + length
            cut_torn_tail(fd, end)
        except OSError as exc:
            os.close(fd)
            raise CorruptState("cannot read the output journal") from exc
        except BaseException:
            os.close(fd)
            raise
        self._end = end
        self._commit = GroupCommit(fd, self._fsync_interval, start=self.last_seq)

    def _replay(self, record: int, offset: int, length: int, payload: bytes | None) -> None:
        head = payload if payload is not None else os.pread(self._fd, 64 * 1024, offset)
        (meta_len,) = _META_LEN.unpack_from(head)
        if _META_LEN.size + meta_len > len(head):
            head = os.pread(self._fd, _META_LEN.size + meta_len, offset)
        try:
            meta = orjson.loads(head[_META_LEN.size : _META_LEN.size + meta_len])
        except orjson.JSONDecodeError as exc:
            raise CorruptState("the output journal has a damaged record") from exc
        if meta["t"] == HORIZON:
            self.horizon = meta["h"]
            self.last_seq = max(self.last_seq, meta["l"])
            return
        body_at = offset + _META_LEN.size + meta_len
        body_len = length - _META_LEN.size - meta_len
        body = head[_META_LEN.size + meta_len :] if payload is not None else None
        self._index(meta, record, body_at, body_len, body)

    def _index(
        self, meta: dict[str, Any], record: int, body_at: int, body_len: int, body: bytes | None
    ) -> None:
        seq = meta["s"]
        self._seqs.append(seq)
        self._offsets.append(record)
        self.last_seq = max(self.last_seq, seq)
        self._state.apply(seq, meta, body_at, body_len, body, self._read)

    def _read(self, offset: int, length: int) -> bytes:
        try:
            return os.pread(self._fd, length, offset)
        except OSError as exc:
            raise CorruptState("cannot read the output journal") from exc

    # -- writing ---------------------------------------------------------------------------

    def append(
        self, cell_id: str, execution_id: str, msg_type: str, content: dict[str, Any]
    ) -> int:
        """Record one kernel message for a cell's execution; return its sequence number.

        The record is handed to the OS before this returns (it survives the server
        being killed) and is fsynced within ``fsync_interval`` seconds.
        """
        if self._fd < 0:
            raise Conflict("the output journal is closed")
        seq = self.last_seq + 1
        meta: dict[str, Any] = {"s": seq, "c": cell_id, "e": execution_id, "t": msg_type}
        if msg_type == "stream":
            meta["n"] = content.get("name", "stdout")
            text = content.get("text", "")
            body = ("".join(text) if isinstance(text, list) else str(text)).encode("utf-8")
        else:
            try:
                body = orjson.dumps(content)
            except TypeError as exc:
                raise InvalidInput("message content is not JSON") from exc
        meta_bytes = orjson.dumps(meta)
        prefix = _META_LEN.pack(len(meta_bytes)) + meta_bytes
        parts = frame_parts(prefix, body)
        if len(body) <= _JOIN_LIMIT:
            parts = [b"".join(parts)]
        record = self._end
        self._end = append_parts(self._fd, record, parts)
        body_at = record + HEADER.size + len(prefix)
        self._index(meta, record, body_at, len(body), body)
        self._commit.written(seq)
        return seq

    def set_state(
        self,
        cell_id: str,
        execution_id: str,
        state: str,
        execution_count: int | None = None,
    ) -> int:
        """Record a cell's execution state (``queued`` when it enters the queue, ...)."""
        if state not in STATES:
            raise InvalidInput(f"unknown execution state {state!r}")
        content = {"state": state, "execution_count": execution_count}
        return self.append(cell_id, execution_id, STATE, content)

    def clear(self, cell_id: str) -> int:
        """Clear a cell's outputs, as a record so that replay gives the same outputs."""
        execution_id = self._cells[cell_id].execution_id if cell_id in self._cells else ""
        return self.append(cell_id, execution_id, CLEAR, {})

    @property
    def durable_seq(self) -> int:
        """The last sequence number known to be on disk."""
        return self._commit.synced_ticket

    async def flush(self) -> None:
        """Wait until every record appended so far is on disk."""
        await self._commit.sync()

    # -- reading ---------------------------------------------------------------------------

    def read_from(self, seq: int) -> Iterator[JournalRecord]:
        """The records after ``seq``, in order, up to the last one appended at the call.

        Raises ``Conflict`` when records after ``seq`` were dropped by a compaction:
        the client must then take the current outputs instead.
        """
        if seq < self.horizon:
            raise Conflict("outputs this old were compacted; reload the current outputs")
        start = bisect_right(self._seqs, seq)
        stop = len(self._seqs)
        return self._iterate(start, stop, self._generation)

    def _iterate(self, start: int, stop: int, generation: int) -> Iterator[JournalRecord]:
        for i in range(start, stop):
            if generation != self._generation:
                raise Conflict("the output journal was compacted while being read")
            yield self._record_at(self._offsets[i])

    def _record_at(self, record: int) -> JournalRecord:
        length, _ = HEADER.unpack(self._read(record, HEADER.size))
        payload = self._read(record + HEADER.size, length)
        (meta_len,) = _META_LEN.unpack_from(payload)
        meta = orjson.loads(payload[_META_LEN.size : _META_LEN.size + meta_len])
        body = payload[_META_LEN.size + meta_len :]
        if meta["t"] == "stream":
            content: dict[str, Any] = {"name": meta["n"], "text": body.decode("utf-8", "replace")}
        else:
            content = orjson.loads(body) if body else {}
        return JournalRecord(meta["s"], meta["c"], meta["e"], meta["t"], content)

    def cell_ids(self) -> list[str]:
        """Every cell the journal knows of."""
        return list(self._cells)

    def execution(self, cell_id: str) -> ExecutionState:
        """A cell's current execution state (``idle`` for a cell never run)."""
        cell = self._cells.get(cell_id)
        if cell is None:
            return ExecutionState("", "idle", None)
        return ExecutionState(cell.execution_id, cell.state, cell.execution_count)

    def outputs(self, cell_id: str) -> list[dict[str, Any]]:
        """A cell's current outputs as nbformat v4 output dicts, streams coalesced."""
        cell = self._cells.get(cell_id)
        if cell is None:
            return []
        return [out.to_nbformat(self._read) for out in cell.outputs]

    def output_count(self, cell_id: str) -> int:
        """How many current outputs a cell has."""
        cell = self._cells.get(cell_id)
        return 0 if cell is None else len(cell.outputs)

    def _output(self, cell_id: str, index: int) -> Output:
        cell = self._cells.get(cell_id)
        if cell is None or not 0 <= index < len(cell.outputs):
            raise NotFound(f"no output {index} in this cell")
        return cell.outputs[index]

    def view(self, cell_id: str, index: int, limit: int = 64 * 1024) -> dict[str, Any]:
        """A bounded view of one output: whole when small, else head, tail and size."""
        return output_view(self._output(cell_id, index), limit, self._read)

    def output_size(self, cell_id: str, index: int) -> int:
        """The size in bytes of an output's body (stream text, or JSON content)."""
        return self._output(cell_id, index).size

    def read_range(self, cell_id: str, index: int, start: int, end: int) -> bytes:
        """Bytes ``start:end`` of an output's body (see ``output_size``)."""
        if start < 0 or end < start:
            raise InvalidInput("invalid byte range")
        return self._output(cell_id, index).read(start, end, self._read)

    # -- compaction and closing ------------------------------------------------------------

    def _needed(self) -> set[int]:
        keep: set[int] = set()
        for cell in self._cells.values():
            keep.update(s for s in cell.foreign_seqs if s >= cell.cut_seq)
        return keep

    def _meta_at(self, record: int) -> tuple[int, dict[str, Any]]:
        length, _ = HEADER.unpack(self._read(record, HEADER.size))
        (meta_len,) = _META_LEN.unpack(self._read(record + HEADER.size, _META_LEN.size))
        meta = orjson.loads(self._read(record + HEADER.size + _META_LEN.size, meta_len))
        return length, meta

    def compact(self) -> None:
        """Rewrite the journal keeping only what the current outputs and states need.

        The new file replaces the old one atomically; sequence numbers are kept.
        Blocks for as long as copying the kept records takes: run it in a thread
        while nothing else uses the journal.
        """
        foreign = self._needed()
        kept: list[tuple[int, int]] = []
        dropped = 0
        for i, seq in enumerate(self._seqs):
            length, meta = self._meta_at(self._offsets[i])
            cell = self._cells[meta["c"]]
            current = meta["e"] == cell.execution_id
            if seq in foreign or (current and (seq >= cell.cut_seq or meta["t"] in STATE_TYPES)):
                kept.append((self._offsets[i], HEADER.size + length))
            else:
                dropped = max(dropped, seq)
        horizon = max(self.horizon, dropped)
        meta_bytes = orjson.dumps(
            {"s": 0, "c": "", "e": "", "t": HORIZON, "h": horizon, "l": self.last_seq}
        )
        header = [MAGIC, *frame_parts(_META_LEN.pack(len(meta_bytes)) + meta_bytes)]

        def chunks() -> Iterator[bytes]:
            yield from header
            for offset, size in kept:
                done = 0
                while done < size:
                    piece = self._read(offset + done, min(size - done, 1 << 20))
                    yield piece
                    done += len(piece)

        self._commit.sync_blocking()
        atomic_write(self.path, chunks())
        os.close(self._fd)
        self._load()

    def disk_size(self) -> int:
        """The journal file's size in bytes."""
        return self._end

    async def aclose(self) -> None:
        """Make everything durable and close the file."""
        if self._fd < 0:
            return
        await self._commit.aclose()
        os.close(self._fd)
        self._fd = -1

    def close(self) -> None:
        """Like ``aclose``, without an event loop."""
        if self._fd < 0:
            return
        self._commit.sync_blocking()
        os.close(self._fd)
        self._fd = -1

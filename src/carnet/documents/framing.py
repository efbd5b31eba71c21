"""Length-prefixed, checksummed records in append-only files, atomic replacement, group fsync.

Both the output journal and the document log are files of this shape::

    file    = magic (8 bytes) record*
    record  = length (u32 little endian) crc32(payload) (u32 little endian) payload

A crash can leave the last record torn (a partial write): its length runs past the end
of the file or its checksum does not match. ``scan`` stops at the first such record and
the owner truncates the file there, so everything before it is kept and the next append
starts on a clean boundary.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import struct
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from carnet.errors import CarnetError, TooLarge

HEADER = struct.Struct("<II")
MAX_PAYLOAD = 0xFFFF_FFFF
# Scanning reads the file in pieces this large, so opening a huge journal stays bounded.
_READ_BLOCK = 1 << 20


class CorruptState(CarnetError):
    """A state file that carnet wrote cannot be read back (wrong format or damaged)."""

    reason = "corrupt state"


def frame(payload: bytes | bytearray | memoryview) -> bytes:
    """Return ``payload`` with its length and checksum in front."""
    if len(payload) > MAX_PAYLOAD:
        raise TooLarge("a single record may not exceed 4 GiB")
    return HEADER.pack(len(payload), zlib.crc32(payload)) + bytes(payload)


def frame_parts(*parts: bytes) -> list[bytes]:
    """Like ``frame`` for a payload given in parts, without joining them (big bodies)."""
    size = sum(len(p) for p in parts)
    if size > MAX_PAYLOAD:
        raise TooLarge("a single record may not exceed 4 GiB")
    crc = 0
    for part in parts:
        crc = zlib.crc32(part, crc)
    return [HEADER.pack(size, crc), *parts]


def scan(fd: int, start: int, keep: int = _READ_BLOCK) -> Iterator[tuple[int, int, bytes | None]]:
    """Yield ``(offset, length, payload)`` of each intact record from ``start`` on.

    ``payload`` is the record's bytes when it is at most ``keep`` long, else None
    (its checksum is still verified, reading it in pieces). The file is read in
    large blocks. Stops silently at the first torn or damaged record: the last
    offset + length yielded (or ``start``) is where the intact data ends.
    """
    size = os.fstat(fd).st_size
    buf = b""
    buf_at = start
    pos = start
    while pos + HEADER.size <= size:
        if pos + HEADER.size > buf_at + len(buf):
            buf, buf_at = os.pread(fd, _READ_BLOCK, pos), pos
        length, crc = HEADER.unpack_from(buf, pos - buf_at)
        body = pos + HEADER.size
        if body + length > size:
            return
        if length <= keep:
            if body + length > buf_at + len(buf):
                buf, buf_at = os.pread(fd, max(_READ_BLOCK, HEADER.size + length), pos), pos
                if len(buf) < HEADER.size + length:
                    return
            payload = buf[body - buf_at : body - buf_at + length]
            if zlib.crc32(payload) != crc:
                return
            yield body, length, payload
        else:
            if _crc_of(fd, body, length) != crc:
                return
            yield body, length, None
        pos = body + length


def _crc_of(fd: int, offset: int, length: int) -> int | None:
    crc = 0
    done = 0
    while done < length:
        piece = os.pread(fd, min(_READ_BLOCK, length - done), offset + done)
        if not piece:
            return None
        crc = zlib.crc32(piece, crc)
        done += len(piece)
    return crc


def write_all(fd: int, parts: Iterable[bytes]) -> int:
    """Write every part at the end of ``fd``; return how many bytes were written."""
    total = 0
    for part in parts:
        view = memoryview(part)
        while view:
            n = os.write(fd, view)
            view = view[n:]
            total += n
    return total


def append_parts(fd: int, end: int, parts: Iterable[bytes]) -> int:
    """Append one record's parts at ``end``; return the new end.

    On failure (disk full, say) the partial record is cut off again, so that a later
    append does not land behind a torn record, where the next open would drop it.
    """
    try:
        return end + write_all(fd, parts)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, end)
        raise CorruptState("cannot write to a state file") from exc


def open_log(path: Path, magic: bytes) -> int:
    """Open (creating if needed) a record file starting with ``magic``; return its fd.

    The caller scans the records and calls ``cut_torn_tail`` with where they end.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    except OSError as exc:
        raise CorruptState(f"cannot open state file {path.name}") from exc
    try:
        size = os.fstat(fd).st_size
        if size < len(magic):
            # Empty, or torn while the header itself was being written.
            os.ftruncate(fd, 0)
            os.write(fd, magic)
            os.fsync(fd)
            fsync_dir(path.parent)
        elif os.pread(fd, len(magic), 0) != magic:
            raise CorruptState(f"{path.name} is not a carnet state file of this version")
        return fd
    except BaseException:
        os.close(fd)
        raise


def cut_torn_tail(fd: int, end: int) -> None:
    """Cut the file at ``end`` (where intact records end) so appends follow good data."""
    try:
        if os.fstat(fd).st_size > end:
            os.ftruncate(fd, end)
            os.fsync(fd)
    except OSError as exc:
        raise CorruptState("cannot repair a state file") from exc


def fsync_dir(path: Path) -> None:
    """Make a rename or a file creation in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, parts: Iterable[bytes]) -> None:
    """Replace ``path`` with ``parts``: the old or the new content survives any crash.

    ``parts`` may be a generator, so a big file is never held in memory whole.
    """
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            write_all(fd, parts)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise CorruptState(f"cannot write state file {path.name}") from exc


class GroupCommit:
    """Batches fsyncs of one file: many writers, one fsync in a worker thread at a time.

    ``written()`` is called after each write; a sync is then scheduled within
    ``interval`` seconds (if an event loop runs). ``await sync()`` returns once
    everything written before the call is on disk.
    """

    def __init__(self, fd: int, interval: float, start: int = 0) -> None:
        self.fd = fd
        self.interval = interval
        # ``start``: the ticket of data already on disk when the file was opened.
        self._written = start
        self._synced = start
        self.fsyncs = 0
        self._running: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def pending(self) -> bool:
        """Whether some written data is not yet known to be on disk."""
        return self._synced < self._written

    def written(self, ticket: int | None = None) -> int:
        """Note a write; return its ticket (compare with ``synced_ticket``).

        Tickets only grow; by default each write takes the next number.
        """
        self._written = self._written + 1 if ticket is None else max(self._written, ticket)
        if self._timer is None and self._task is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return self._written
            self._timer = loop.call_later(self.interval, self._kick)
        return self._written

    @property
    def synced_ticket(self) -> int:
        """The ticket of the last write known to be on disk."""
        return self._synced

    def _kick(self) -> None:
        self._timer = None
        self._task = asyncio.get_running_loop().create_task(self._background())

    async def _background(self) -> None:
        try:
            await self.sync()
        finally:
            self._task = None
            # Writes that landed while this sync ran still need one.
            if self.pending and self._timer is None:
                loop = asyncio.get_running_loop()
                self._timer = loop.call_later(self.interval, self._kick)

    async def sync(self) -> None:
        """Wait until every write made before this call is durable."""
        target = self._written
        while self._synced < target:
            if self._running is not None:
                # Whatever happened to that fsync, look again: a failure is retried here.
                await asyncio.shield(self._running)
                continue
            ticket = self._written
            running = asyncio.get_running_loop().create_future()
            self._running = running
            try:
                self.fsyncs += 1
                await asyncio.to_thread(os.fsync, self.fd)
            except OSError as exc:
                raise CorruptState("cannot make a state file durable") from exc
            else:
                self._synced = max(self._synced, ticket)
            finally:
                self._running = None
                running.set_result(None)

    def sync_blocking(self) -> None:
        """Fsync now, on this thread (for use without an event loop, or at close)."""
        ticket = self._written
        self.fsyncs += 1
        try:
            os.fsync(self.fd)
        except OSError as exc:
            raise CorruptState("cannot make a state file durable") from exc
        self._synced = max(self._synced, ticket)

    async def aclose(self) -> None:
        """Cancel the scheduled sync and make everything durable."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._task is not None:
            # Not cancelled: an fsync already running in its thread cannot be stopped,
            # and the file must stay open until it is done.
            await self._task
        if self.pending:
            await self.sync()

"""The document log: every CRDT update of one notebook, durable before it is acknowledged.

Two files in the notebook's state directory::

    document.log       magic "CRNTDOC1", then framed records, each one binary update
    document.snapshot  magic "CRNTSNP1", then one framed record: the whole state

Loading applies the snapshot, then every update in the log (a torn last record is
dropped). Compaction writes a new snapshot atomically, then empties the log; a crash
between the two only means some updates are applied twice, which CRDT updates allow.
The store knows nothing of pycrdt: it keeps bytes.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from carnet.documents.framing import (
    CorruptState,
    GroupCommit,
    append_parts,
    atomic_write,
    cut_torn_tail,
    frame,
    fsync_dir,
    open_log,
    scan,
)
from carnet.errors import Conflict

LOG_MAGIC = b"CRNTDOC1"
SNAPSHOT_MAGIC = b"CRNTSNP1"
LOG_NAME = "document.log"
SNAPSHOT_NAME = "document.snapshot"


def state_directory(state_dir: Path, key: str) -> Path:
    """The directory holding one notebook's journal and log (``key``: its path, say)."""
    return state_dir / hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


class DocumentLog:
    """Append-only log of a document's updates, with a snapshot to start from."""

    def __init__(self, directory: Path, *, fsync_interval: float = 0.5) -> None:
        """Open (or create) the log in ``directory``.

        ``append`` waits for its own fsync, shared with every update written while
        the previous fsync ran; ``fsync_interval`` bounds how long an update written
        with ``append_nowait`` stays at risk.
        """
        self.relocate(directory)
        fd = open_log(self.log_path, LOG_MAGIC)
        end = len(LOG_MAGIC)
        try:
            for offset, length, _ in scan(fd, end, keep=0):
                end = offset + length
            cut_torn_tail(fd, end)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        self._end = end
        self._commit = GroupCommit(fd, fsync_interval)

    def relocate(self, directory: Path) -> None:
        """The state directory was renamed (its notebook moved): the files are there now."""
        self.directory = directory
        self.log_path = directory / LOG_NAME
        self.snapshot_path = directory / SNAPSHOT_NAME

    def load(self) -> list[bytes]:
        """The snapshot (if any) followed by every update in the log, in order."""
        updates = []
        snapshot = self._read_snapshot()
        if snapshot is not None:
            updates.append(snapshot)
        for offset, length, payload in scan(self._fd, len(LOG_MAGIC)):
            updates.append(payload if payload is not None else os.pread(self._fd, length, offset))
        return updates

    def _read_snapshot(self) -> bytes | None:
        try:
            data = self.snapshot_path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CorruptState("cannot read the document snapshot") from exc
        if not data.startswith(SNAPSHOT_MAGIC):
            raise CorruptState("the document snapshot is not of this version")
        # The snapshot is written atomically: a damaged one is not a torn write.
        fd = os.open(self.snapshot_path, os.O_RDONLY)
        try:
            for offset, length, payload in scan(fd, len(SNAPSHOT_MAGIC)):
                return payload if payload is not None else os.pread(fd, length, offset)
        finally:
            os.close(fd)
        raise CorruptState("the document snapshot is damaged")

    async def append(self, update: bytes) -> None:
        """Write one update and return once it is on disk (then it may be acknowledged)."""
        self._write(update)
        await self._commit.sync()

    def append_nowait(self, update: bytes) -> None:
        """Write one update; it is fsynced with the next group (or ``await flush()``)."""
        self._write(update)

    def _write(self, update: bytes) -> None:
        if self._fd < 0:
            raise Conflict("the document log is closed")
        self._end = append_parts(self._fd, self._end, [frame(update)])
        self._commit.written()

    async def flush(self) -> None:
        """Wait until every update written so far is on disk."""
        await self._commit.sync()

    @property
    def fsyncs(self) -> int:
        """How many fsyncs the log has made: fewer than appends when they were grouped."""
        return self._commit.fsyncs

    def log_size(self) -> int:
        """Bytes in the log after the header: how much a compaction would reclaim."""
        return self._end - len(LOG_MAGIC)

    def compact(self, state: bytes) -> None:
        """Make ``state`` (the whole document, one update) the snapshot and empty the log.

        ``state`` must contain every update appended so far; call it between updates.
        """
        atomic_write(self.snapshot_path, [SNAPSHOT_MAGIC, frame(state)])
        try:
            os.ftruncate(self._fd, len(LOG_MAGIC))
            os.fsync(self._fd)
            fsync_dir(self.directory)
        except OSError as exc:
            raise CorruptState("cannot truncate the document log") from exc
        self._end = len(LOG_MAGIC)

    async def aclose(self) -> None:
        """Make everything durable and close the log."""
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

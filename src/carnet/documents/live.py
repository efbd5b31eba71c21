"""One notebook open on the server: its CRDT document, its output journal, its file.

The server owns the notebook while it is open. Every update a client sends is
applied, appended to the document log and fsynced before it is acknowledged and
passed on to the other clients. Outputs go to the output journal (see
``carnet.documents.execution``); the ``.ipynb`` file is written from both
(``carnet.documents.disk``). A notebook opened for the first time is built from
its file, whose outputs are recorded in the journal so that writing it back keeps
them; reopened, it is built from its log, which holds every acknowledged edit.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import orjson
from pycrdt import Doc

from carnet.documents import notebook as nbdoc
from carnet.documents.disk import NotebookFile
from carnet.documents.framing import CorruptState
from carnet.documents.journal import OutputJournal
from carnet.documents.outputs import CLEAR, OUTPUT_TYPES, STATE_TYPES
from carnet.documents.store import DocumentLog
from carnet.errors import Conflict, InvalidInput

if TYPE_CHECKING:
    from carnet.contents import ContentStore
    from carnet.documents.execution import Executions
    from carnet.settings import DocumentsSettings

log = logging.getLogger("carnet.documents")

# A log this much bigger than the snapshot is folded into it when the notebook opens.
_COMPACT_LOG_BYTES = 1 << 20
# A journal this big, and more than twice what its current outputs need, is compacted.
_COMPACT_JOURNAL_BYTES = 4 << 20
# Records whose JSON content counts toward what a client is sent live.
_SIZED = frozenset({"display_data", "execute_result", "update_display_data"})


class Peer(Protocol):
    """One connected client (a WebSocket, an event stream) as an open notebook sees it."""

    def send(self, message: dict[str, Any]) -> None:
        """Queue one protocol message for the client; never blocks."""
        ...

    def send_output(self, message: dict[str, Any], size: int) -> None:
        """Queue one ``output`` record whose body is ``size`` bytes (the peer may elide it)."""
        ...

    def close(self) -> None:
        """End the client's connection from the server side."""
        ...


def b64(data: bytes) -> str:
    """Binary CRDT data as it travels in JSON."""
    return base64.b64encode(data).decode("ascii")


def unb64(text: Any, what: str) -> bytes:
    """The bytes of a base64 field of a client message; InvalidInput when malformed."""
    if not isinstance(text, str):
        raise InvalidInput(f"{what} must be a base64 string")
    try:
        return base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise InvalidInput(f"{what} is not valid base64") from exc


def record_size(msg_type: str, content: dict[str, Any]) -> int:
    """How many bytes of output a journal record carries, as clients are sent it."""
    if msg_type == "stream":
        text = content.get("text", "")
        return len(text) if isinstance(text, str) else 0
    if msg_type in _SIZED:
        return len(orjson.dumps(content))
    return 0


class OpenNotebook:
    """A notebook the server holds open (see the module docstring)."""

    def __init__(
        self,
        path: str,
        directory: Path,
        settings: DocumentsSettings,
        contents: ContentStore,
    ) -> None:
        self.path = path
        self.directory = directory
        self.settings = settings
        self.contents = contents
        self.doc: Doc[Any] = Doc()
        self.log: DocumentLog | None = None
        self.journal: OutputJournal | None = None
        self.executions: Executions | None = None
        self.peers: set[Peer] = set()
        self.loaded = False
        self.file = NotebookFile(self)
        #: Work clients started that outlives them (execution requests); ended on close.
        self.tasks: set[asyncio.Task[None]] = set()

    # -- loading ---------------------------------------------------------------------------
    async def load(self) -> None:
        """Open the state (or build it from the file) and start watching the file."""
        model = await self.contents.get(self.path, type="notebook", want_hash=True)
        source = self.file.read_source()
        if source is None:
            await asyncio.to_thread(shutil.rmtree, self.directory, True)
        self.log = DocumentLog(self.directory, fsync_interval=self.settings.fsync_interval)
        self.journal = OutputJournal(self.directory, fsync_interval=self.settings.fsync_interval)
        if source is None:
            self.doc = nbdoc.from_notebook(model["content"])
            self.seed_outputs(model["content"])
            self.log.compact(self.doc.get_update())
            await self.journal.flush()
            self.file.remember(model)
        else:
            self.doc = nbdoc.load(self.log)
            if self.log.log_size() > _COMPACT_LOG_BYTES:
                self.log.compact(self.doc.get_update())
            self.file.resume(source, model)
        await self._compact_journal()
        self.loaded = True
        self.file.start()

    @property
    def busy(self) -> bool:
        """Whether a cell is queued or running, or the kernel waits for an answer."""
        runner = self.executions
        return bool(self.tasks) or (runner is not None and runner.busy)

    @property
    def conflict(self) -> dict[str, Any] | None:
        """``{"deleted": bool}`` while the file changed on disk and nobody chose yet."""
        return self.file.conflict

    def schedule_save(self, delay: float) -> None:
        """Write the file within ``delay`` seconds."""
        self.file.schedule(delay)

    async def save(self, *, checkpoint: bool) -> dict[str, Any]:
        """Write the file now (see ``NotebookFile.save``)."""
        return await self.file.save(checkpoint=checkpoint)

    async def resolve(self, choice: str) -> dict[str, Any]:
        """After an outside change: ``reload`` the file or ``keep`` this version."""
        return await self.file.resolve(choice)

    async def _compact_journal(self) -> None:
        """Drop superseded runs from the journal when they are most of it.

        Only when nothing else uses the journal (opening, closing): it blocks it.
        """
        journal = self.opened_journal()
        current = sum(
            journal.output_size(cell_id, i)
            for cell_id in journal.cell_ids()
            for i in range(journal.output_count(cell_id))
        )
        if journal.disk_size() > max(_COMPACT_JOURNAL_BYTES, 2 * current):
            await asyncio.to_thread(journal.compact)

    def seed_outputs(self, nb: dict[str, Any]) -> None:
        """Record the outputs the file holds, so that writing it back keeps them.

        Called right after the document was built from ``nb``: its cells are in the
        same order (cells without an id got one, so they are matched by position).
        """
        journal = self.opened_journal()
        for ycell, cell in zip(nbdoc.cells(self.doc), nb["cells"], strict=False):
            if ycell["cell_type"] != "code" or not isinstance(cell, dict):
                continue
            cell_id = str(ycell["id"])
            if journal.execution(cell_id).state in ("queued", "running"):
                continue
            execution = "file-" + uuid.uuid4().hex
            journal.append(cell_id, execution, CLEAR, {})
            for out in cell.get("outputs") or []:
                kind = out.get("output_type")
                if kind in OUTPUT_TYPES:
                    content = {k: v for k, v in out.items() if k != "output_type"}
                    if kind == "stream":
                        text = content.get("text", "")
                        content["text"] = "".join(text) if isinstance(text, list) else text
                    journal.append(cell_id, execution, kind, content)
            count = cell.get("execution_count")
            journal.set_state(
                cell_id, execution, "finished", count if isinstance(count, int) else None
            )

    def opened_journal(self) -> OutputJournal:
        """The output journal; Conflict when the notebook is not (or no longer) open."""
        if self.journal is None:
            raise Conflict("the notebook is not open")
        return self.journal

    # -- clients ---------------------------------------------------------------------------
    def broadcast(self, message: dict[str, Any], exclude: Peer | None = None) -> None:
        """Send a message to every connected client (but ``exclude``)."""
        for peer in list(self.peers):
            if peer is not exclude:
                peer.send(message)

    def outputs_snapshot(self) -> dict[str, Any]:
        """Every cell's execution state and bounded outputs, as one ``outputs`` message."""
        journal = self.opened_journal()
        cells: dict[str, Any] = {}
        for cell_id in journal.cell_ids():
            run = journal.execution(cell_id)
            count = journal.output_count(cell_id)
            cells[cell_id] = {
                "execution_id": run.execution_id,
                "state": run.state,
                "execution_count": run.execution_count,
                "outputs": [
                    journal.view(cell_id, i, self.settings.view_bytes) for i in range(count)
                ],
            }
        return {"type": "outputs", "last_seq": journal.last_seq, "cells": cells}

    def record(
        self, cell_id: str, execution_id: str, msg_type: str, content: dict[str, Any]
    ) -> int:
        """Append one record to the journal and pass it on to every client; its sequence."""
        journal = self.opened_journal()
        seq = journal.append(cell_id, execution_id, msg_type, content)
        message = {
            "type": "output",
            "seq": seq,
            "cell_id": cell_id,
            "execution_id": execution_id,
            "msg_type": msg_type,
            "content": content,
        }
        size = record_size(msg_type, content)
        self.file.unsaved = True
        for peer in list(self.peers):
            peer.send_output(message, size)
        if msg_type in STATE_TYPES:
            self.broadcast(self.cell_state(cell_id))
        return seq

    def cell_state(self, cell_id: str) -> dict[str, Any]:
        """A ``cell_state`` message: the cell's current execution and its state."""
        run = self.opened_journal().execution(cell_id)
        return {
            "type": "cell_state",
            "cell_id": cell_id,
            "execution_id": run.execution_id,
            "state": run.state,
            "execution_count": run.execution_count,
        }

    # -- the document ----------------------------------------------------------------------
    def apply_update(self, update: bytes) -> None:
        """Apply a client's update and write it to the log (``await flush_document()`` next)."""
        if self.log is None:
            raise Conflict("the notebook is not open")
        try:
            self.doc.apply_update(update)
        except Exception as exc:
            # pycrdt raises bare exceptions for updates it cannot decode.
            raise InvalidInput("the document update cannot be applied") from exc
        self.log.append_nowait(update)
        self.changed()

    async def flush_document(self) -> None:
        """Wait until every update applied so far is on disk."""
        if self.log is not None:
            await self.log.flush()

    def change(self, edit: Callable[[Doc[Any]], None]) -> None:
        """Make a change on the server's side: log it and send it to every client.

        ``await flush_document()`` makes it durable.
        """
        if self.log is None:
            raise Conflict("the notebook is not open")
        before = self.doc.get_state()
        edit(self.doc)
        update = self.doc.get_update(before)
        self.log.append_nowait(update)
        self.changed()
        self.broadcast({"type": "update", "update": b64(update)})

    def unique_cell_ids(self) -> None:
        """Give a fresh id to every cell whose id an earlier cell has.

        Two clients moving the same cell at once each insert a copy of it (yjs has no
        move), so two cells can end up with one id: the file may not have that, and
        no content is dropped for it.
        """
        seen: set[str] = set()
        twins: list[int] = []
        for index, ycell in enumerate(nbdoc.cells(self.doc)):
            cell_id = str(ycell["id"])
            if cell_id in seen:
                twins.append(index)
            seen.add(cell_id)
        if not twins:
            return

        def rename(doc: Doc[Any]) -> None:
            ycells = nbdoc.cells(doc)
            for index in twins:
                ycells[index]["id"] = nbdoc.new_cell_id()

        self.change(rename)

    def move(self, path: str, directory: Path) -> None:
        """The file was renamed to ``path``: follow it, state directory and clients too.

        Called with ``file.lock`` held, so no write goes to either path meanwhile.
        """
        if directory != self.directory:
            try:
                # Whatever is there is the state of a notebook that was at ``path`` once.
                shutil.rmtree(directory, ignore_errors=True)
                os.rename(self.directory, directory)
            except OSError as exc:
                log.warning("the state of %s stays in %s: %s", path, self.directory, exc)
            else:
                self.directory = directory
                if self.log is not None:
                    self.log.relocate(directory)
                if self.journal is not None:
                    self.journal.relocate(directory)
        self.path = path
        try:
            self.file.moved()
        except OSError as exc:
            log.warning("could not record the new path of %s: %s", path, exc)
        self.broadcast({"type": "moved", "path": path})

    def changed(self) -> None:
        """The notebook differs from the file now: write it within ``autosave_delay``."""
        self.file.unsaved = True
        self.file.schedule(self.settings.autosave_delay)

    # -- closing ---------------------------------------------------------------------------
    async def aclose(self) -> None:
        """Stop the kernel link, write the file if it changed, close the logs."""
        for peer in list(self.peers):
            peer.close()
        self.peers.clear()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        # Runs cut short are recorded first, so that the last write of the file has them.
        if self.executions is not None:
            await self.executions.aclose()
        await self.file.aclose()
        if self.log is not None:
            with contextlib.suppress(CorruptState):
                self.log.compact(self.doc.get_update())
            await self.log.aclose()
        if self.journal is not None:
            with contextlib.suppress(CorruptState):
                await self._compact_journal()
            await self.journal.aclose()

"""The document service: every notebook the server holds open, and their connections.

A notebook is opened when its first client connects (or its output is asked for)
and stays open, with its kernel link, its journal and its autosave, while a client
is on or a cell runs, and ``close_after`` seconds more; closing writes the file if
it changed, compacts the logs and frees the memory (its kernel keeps running).
Closing the service closes every notebook. pycrdt is imported only when the first
notebook opens.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import uuid
from contextlib import AsyncExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from carnet.contents import paths
from carnet.errors import CarnetError, Conflict, InvalidPath, NotFound
from carnet.settings import DocumentsSettings, default_state_dir

if TYPE_CHECKING:
    from carnet.contents import ContentStore
    from carnet.documents.connection import Connection, Transport
    from carnet.documents.live import OpenNotebook
    from carnet.kernels import KernelService
    from carnet.sessions import SessionService

log = logging.getLogger("carnet.documents")


def normalize(path: str) -> str:
    """A notebook's API path in the one form used as its key (no leading or trailing '/')."""
    key = path.strip("/")
    if not key:
        raise InvalidPath("a notebook path is needed")
    return key


class DocumentService:
    """Open notebooks by path, and the connections of their clients by id."""

    def __init__(
        self,
        settings: DocumentsSettings,
        contents: ContentStore,
        sessions: SessionService,
        kernels: KernelService,
    ) -> None:
        self.settings = settings
        self.contents = contents
        self.sessions = sessions
        self.kernels = kernels
        self.state_dir = (
            Path(settings.state_dir).expanduser()
            if settings.state_dir
            else default_state_dir() / "documents"
        )
        self._open: dict[str, OpenNotebook] = {}
        self._opening: dict[str, asyncio.Task[OpenNotebook]] = {}
        self._connections: dict[str, Connection] = {}
        self._closing: set[asyncio.Task[None]] = set()
        # Notebooks being closed: opening one again waits until its files are released.
        self._releasing: dict[str, asyncio.Task[None]] = {}
        self._idle: dict[str, asyncio.Task[None]] = {}
        self._closed = False

    async def open(self, path: str) -> OpenNotebook:
        """The open notebook at ``path``, loading it (once, however many ask) if needed."""
        key = normalize(path)
        found = self._open.get(key)
        if found is not None:
            return found
        if self._closed:
            raise Conflict("the server is shutting down")
        releasing = self._releasing.get(key)
        if releasing is not None:
            await asyncio.shield(releasing)
            return await self.open(path)
        task = self._opening.get(key)
        if task is None:
            task = asyncio.create_task(self._load(key), name="notebook-open")
            self._opening[key] = task
            task.add_done_callback(lambda _: self._opening.pop(key, None))
        return await asyncio.shield(task)

    async def _load(self, key: str) -> OpenNotebook:
        from carnet.documents.execution import Executions
        from carnet.documents.live import OpenNotebook
        from carnet.documents.store import state_directory

        nb = OpenNotebook(key, state_directory(self.state_dir, key), self.settings, self.contents)
        try:
            await nb.load()
        except BaseException:
            await nb.aclose()
            raise
        nb.executions = Executions(nb, self.sessions, self.kernels)
        nb.executions.recover()
        self._open[key] = nb
        log.info("opened %s", key)
        return nb

    async def reattach(self) -> None:
        """Open the notebooks whose kernel was adopted, so their runs go on being recorded.

        Each closes again once nothing runs in it and no client came.
        """
        for session in self.sessions.list():
            if session.type != "notebook":
                continue
            try:
                if not self.kernels.get(session.kernel_id).adopted:
                    continue
                nb = await self.open(session.path)
            except CarnetError as exc:
                log.warning("could not reopen %s: %s", session.path, exc.message)
                continue
            self._close_when_idle(nb)

    def _close_when_idle(self, nb: OpenNotebook) -> None:
        others = any(c.nb is nb for c in self._connections.values())
        if not others and nb.path not in self._idle and self._open.get(nb.path) is nb:
            self._idle[nb.path] = asyncio.get_running_loop().create_task(self._close_idle(nb))

    async def connect(self, path: str, transport: Transport) -> Connection:
        """A new client of the notebook at ``path``; it speaks once it sends ``hello``."""
        from carnet.documents.connection import Connection

        nb = await self.open(path)
        conn = Connection(uuid.uuid4().hex, nb, transport)
        self._connections[conn.id] = conn
        return conn

    def connection(self, conn_id: str) -> Connection:
        """A connected client by the id it was given; NotFound when it left."""
        conn = self._connections.get(conn_id)
        if conn is None:
            raise NotFound("no such connection (it was closed): open a new one")
        return conn

    def drop(self, conn: Connection) -> None:
        """The client left: forget it now, finish closing it in the background."""
        if self._connections.pop(conn.id, None) is None:
            return
        task = asyncio.get_running_loop().create_task(conn.aclose())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)
        self._close_when_idle(conn.nb)

    async def _close_idle(self, nb: OpenNotebook) -> None:
        """Close a notebook nobody uses once nothing runs in it for ``close_after`` seconds."""
        key = nb.path
        while True:
            await asyncio.sleep(self.settings.close_after)
            if any(c.nb is nb for c in self._connections.values()) or self._open.get(key) is not nb:
                self._idle.pop(key, None)
                return
            if not nb.busy:
                break
        del self._idle[key]
        del self._open[key]
        task = asyncio.get_running_loop().create_task(self._release(nb))
        self._releasing[key] = task
        task.add_done_callback(lambda _: self._releasing.pop(key, None))

    async def _release(self, nb: OpenNotebook, forget: bool = False) -> None:
        try:
            await nb.aclose()
        except Exception:
            log.exception("closing %s failed", nb.path)
        else:
            log.info(
                "closed %s (%s)", nb.path, "deleted" if forget else "no client, nothing running"
            )
        if forget:
            await asyncio.to_thread(shutil.rmtree, nb.directory, True)

    # -- the file moves or goes ---------------------------------------------------------------
    def _under(self, key: str) -> list[OpenNotebook]:
        prefix = key + "/"
        return [nb for path, nb in self._open.items() if path == key or path.startswith(prefix)]

    async def _settled(self, key: str) -> AsyncExitStack:
        """Wait for notebooks under ``key`` being opened or closed; hold the open ones' files."""
        prefix = key + "/"
        busy = [*self._opening.items(), *self._releasing.items()]
        waits = [t for path, t in busy if path == key or path.startswith(prefix)]
        await asyncio.gather(*waits, return_exceptions=True)
        stack = AsyncExitStack()
        for nb in sorted(self._under(key), key=lambda nb: nb.path):
            await stack.enter_async_context(nb.file.lock)
        return stack

    async def rename(self, old: str, new: str) -> dict[str, Any]:
        """Rename or move a file or directory; the notebooks open under it follow it.

        Their clients are told the new path; nothing is written to the old one.
        """
        key = paths.normalize(old)
        async with await self._settled(key):
            moving = self._under(key)
            model = await self.contents.rename(old, new)
            target: str = model["path"]
            self.sessions.path_moved(key, target)
            for nb in moving:
                await self._move(nb, target + nb.path[len(key) :])
        return model

    async def _move(self, nb: OpenNotebook, path: str) -> None:
        from carnet.documents.store import state_directory

        del self._open[nb.path]
        idle = self._idle.pop(nb.path, None)
        if idle is not None:
            idle.cancel()
        replaced = self._open.pop(path, None)
        if replaced is not None:
            # Open at the target though its file had gone: the moved file wins. Closed
            # before the move, since its state directory is the one the moved state takes.
            stale = self._idle.pop(path, None)
            if stale is not None:
                stale.cancel()
            replaced.file.gone = True
            replaced.broadcast({"type": "deleted"})
            await self._release(replaced)
        nb.move(path, state_directory(self.state_dir, path))
        self._open[path] = nb
        if idle is not None:
            self._close_when_idle(nb)

    async def delete(self, path: str) -> None:
        """Delete a file or directory; the notebooks open under it are closed, unwritten."""
        key = paths.normalize(path)
        async with await self._settled(key):
            going = self._under(key)
            await self.contents.delete(path)
            for nb in going:
                nb.file.gone = True
        for nb in going:
            self._open.pop(nb.path, None)
            self._discard(nb)

    def _discard(self, nb: OpenNotebook) -> None:
        """Close a notebook whose file is gone, and forget its state."""
        nb.file.gone = True
        idle = self._idle.pop(nb.path, None)
        if idle is not None:
            idle.cancel()
        nb.broadcast({"type": "deleted"})
        key = nb.path
        task = asyncio.get_running_loop().create_task(self._release(nb, forget=True))
        self._releasing[key] = task
        task.add_done_callback(lambda _: self._releasing.pop(key, None))

    async def read_output(
        self, path: str, cell_id: str, index: int, start: int, end: int | None
    ) -> tuple[bytes, int]:
        """Bytes ``start:end`` of a cell's output and the output's full size."""
        nb = await self.open(path)
        journal = nb.journal
        if journal is None:
            raise NotFound("the notebook is not open")
        size = journal.output_size(cell_id, index)
        stop = size if end is None else min(end, size)
        return journal.read_range(cell_id, index, start, max(start, stop)), size

    async def aclose(self) -> None:
        """Write every changed notebook, stop every kernel link, close every log."""
        self._closed = True
        for idle in list(self._idle.values()):
            idle.cancel()
        await asyncio.gather(*self._idle.values(), return_exceptions=True)
        self._idle.clear()
        await asyncio.gather(*self._releasing.values(), return_exceptions=True)
        await asyncio.gather(*self._opening.values(), return_exceptions=True)
        for conn in list(self._connections.values()):
            await conn.aclose()
        self._connections.clear()
        await asyncio.gather(*self._closing, return_exceptions=True)
        notebooks = list(self._open.values())
        self._open.clear()
        results = await asyncio.gather(*(nb.aclose() for nb in notebooks), return_exceptions=True)
        for nb, result in zip(notebooks, results, strict=True):
            if isinstance(result, BaseException):
                log.error("closing %s failed: %r", nb.path, result)

"""The ``.ipynb`` file of an open notebook: when it is written, and outside changes.

The file is written through the content store (atomically): within
``autosave_delay`` seconds of a change, soon after a run ends, on an explicit save
(with a checkpoint) and when the notebook closes. It is never written from a
document that was not fully loaded, nor over a file that changed on disk since
carnet last read or wrote it: the file is checked every ``watch_interval`` seconds
and before every write, and a change stops all writing until a client chooses to
reload the file or to keep its version (the one on disk is then copied beside).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
from pycrdt import Doc

from carnet.documents import notebook as nbdoc
from carnet.documents.framing import atomic_write
from carnet.errors import CarnetError, Conflict, InvalidInput, NotFound

if TYPE_CHECKING:
    from carnet.documents.live import OpenNotebook

log = logging.getLogger("carnet.documents")

#: In the notebook's state directory: the path and hash of the file the state goes with.
SOURCE_NAME = "source.json"


class NotebookFile:
    """Keeps one open notebook's file in step with it (see the module docstring)."""

    def __init__(self, nb: OpenNotebook) -> None:
        self.nb = nb
        #: The hash of the file as carnet last read or wrote it.
        self.known_hash = ""
        self._known_stat: tuple[Any, Any] = (None, None)
        #: Set when the file changed on disk and the clients have not chosen yet.
        self.conflict: dict[str, Any] | None = None
        #: Whether the document or the outputs changed since the file was written.
        self.unsaved = False
        #: Names this notebook's state: new when it is rebuilt from the file.
        self.epoch = uuid.uuid4().hex
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None
        #: Held while the file is written or checked, and while it is renamed or deleted.
        self.lock = asyncio.Lock()
        #: Set when the file was deleted through the server: it is never written again.
        self.gone = False
        self._watch_task: asyncio.Task[None] | None = None
        self._closing = False

    # -- what the state directory says about the file ----------------------------------------
    def read_source(self) -> dict[str, Any] | None:
        """What ``remember`` last wrote, if it is for this notebook."""
        try:
            value = orjson.loads((self.nb.directory / SOURCE_NAME).read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return None
        return value if isinstance(value, dict) and value.get("path") == self.nb.path else None

    def remember(self, model: dict[str, Any]) -> None:
        """The file on disk is now ``model`` (read or written by carnet)."""
        self.known_hash = str(model["hash"])
        self._known_stat = (model["last_modified"], model["size"])
        record = orjson.dumps({"path": self.nb.path, "hash": self.known_hash, "epoch": self.epoch})
        atomic_write(self.nb.directory / SOURCE_NAME, [record])

    def moved(self) -> None:
        """The file was renamed along with the notebook: record the new path."""
        record = orjson.dumps({"path": self.nb.path, "hash": self.known_hash, "epoch": self.epoch})
        atomic_write(self.nb.directory / SOURCE_NAME, [record])

    def resume(self, source: dict[str, Any], model: dict[str, Any]) -> None:
        """Reopening saved state: a file that changed since is an outside change."""
        self.known_hash = str(source.get("hash", ""))
        self.epoch = str(source.get("epoch") or self.epoch)
        if model["hash"] != self.known_hash:
            self.conflict = {"deleted": False}
        else:
            self._known_stat = (model["last_modified"], model["size"])

    def start(self) -> None:
        """Start watching the file for outside changes."""
        self._watch_task = asyncio.create_task(self._watch(), name="notebook-watch")

    # -- writing ---------------------------------------------------------------------------
    def schedule(self, delay: float) -> None:
        """Write the file within ``delay`` seconds (an earlier pending write wins)."""
        if self._closing:
            return
        loop = asyncio.get_running_loop()
        if self._timer is not None:
            if self._timer.when() <= loop.time() + delay:
                return
            self._timer.cancel()
        self._timer = loop.call_later(delay, self._autosave)

    def _autosave(self) -> None:
        self._timer = None
        if self._task is not None and not self._task.done():
            self.schedule(self.nb.settings.autosave_delay)
            return
        self._task = asyncio.create_task(self._autosave_now(), name="notebook-autosave")

    async def _autosave_now(self) -> None:
        try:
            await self.save(checkpoint=False)
        except CarnetError as exc:
            if self.conflict is None:
                log.warning("autosave of %s failed: %s", self.nb.path, exc.message)

    async def save(self, *, checkpoint: bool) -> dict[str, Any]:
        """Write the file now (a checkpoint too when asked); Conflict if it changed on disk."""
        nb = self.nb
        async with self.lock:
            if self.gone:
                raise Conflict("the notebook was deleted")
            if not nb.loaded:
                raise Conflict("the notebook is not fully loaded; it is not written")
            if self.conflict is None:
                await self._check()
            if self.conflict is not None:
                raise Conflict("the file changed on disk: reload it or keep this version first")
            nb.unique_cell_ids()
            self.unsaved = False
            content = nbdoc.to_notebook(nb.doc, nb.journal)
            model = {"type": "notebook", "format": "json", "content": content}
            del content
            await nb.contents.save(nb.path, model)
            del model
            self.remember(await nb.contents.get(nb.path, content=False, want_hash=True))
            if checkpoint:
                await nb.contents.create_checkpoint(nb.path)
            saved = {"type": "saved", "hash": self.known_hash, "checkpoint": checkpoint}
            nb.broadcast(saved)
            return saved

    # -- outside changes -------------------------------------------------------------------
    async def _check(self) -> bool:
        """True when the file is as carnet left it; otherwise enter the conflict state."""
        contents, path = self.nb.contents, self.nb.path
        try:
            model = await contents.get(path, content=False)
        except NotFound:
            return self._changed(deleted=True)
        if (model["last_modified"], model["size"]) == self._known_stat:
            return True
        model = await contents.get(path, content=False, want_hash=True)
        if model["hash"] == self.known_hash:
            self._known_stat = (model["last_modified"], model["size"])
            return True
        return self._changed(deleted=False)

    def _changed(self, *, deleted: bool) -> bool:
        if self.conflict is None:
            self.conflict = {"deleted": deleted}
            log.info("%s changed on disk while open", self.nb.path)
            self.nb.broadcast({"type": "file_changed", "deleted": deleted})
        return False

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.nb.settings.watch_interval)
            if self.conflict is not None or self.gone:
                continue
            try:
                async with self.lock:
                    await self._check()
            except CarnetError as exc:
                log.warning("cannot check %s on disk: %s", self.nb.path, exc.message)

    async def resolve(self, choice: str) -> dict[str, Any]:
        """After an outside change: ``reload`` the file, or ``keep`` this version."""
        if choice not in ("reload", "keep"):
            raise InvalidInput("file_choice must be 'reload' or 'keep'")
        if self.conflict is None:
            raise Conflict("the file did not change on disk")
        nb = self.nb
        if choice == "reload":
            async with self.lock:
                model = await nb.contents.get(nb.path, type="notebook", want_hash=True)
                nb.change(lambda doc: _replace(doc, model["content"]))
                nb.seed_outputs(model["content"])
                nb.broadcast(nb.outputs_snapshot())
                await nb.flush_document()
                self.remember(model)
                self.conflict = None
                self.unsaved = False
                if self._timer is not None:
                    self._timer.cancel()
                    self._timer = None
            done: dict[str, Any] = {"type": "file_resolved", "choice": "reload"}
        else:
            copy = ""
            if not self.conflict["deleted"]:
                copy = await self._set_aside()
            self.conflict = None
            await self.save(checkpoint=False)
            done = {"type": "file_resolved", "choice": "keep", "copy": copy}
        nb.broadcast(done)
        return done

    async def _set_aside(self) -> str:
        """Copy the version found on disk beside the notebook; return the copy's path."""
        contents, path = self.nb.contents, self.nb.path
        model = await contents.get(path, content=False, want_hash=True)
        # What is copied aside may now be written over.
        self.known_hash = str(model["hash"])
        self._known_stat = (model["last_modified"], model["size"])
        stem, _, _ = path.rpartition(".ipynb")
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        target = f"{stem or path}.on-disk-{stamp}.ipynb"
        await contents.copy(path, target)
        return target

    # -- closing ---------------------------------------------------------------------------
    async def aclose(self) -> None:
        """Stop watching and scheduling; write the file one last time if it changed."""
        self._closing = True
        if self._watch_task is not None:
            self._watch_task.cancel()
            await asyncio.gather(self._watch_task, return_exceptions=True)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
        if self.nb.loaded and self.conflict is None and self.unsaved and not self.gone:
            try:
                await self.save(checkpoint=False)
            except CarnetError as exc:
                log.warning("writing %s on close failed: %s", self.nb.path, exc.message)


def _replace(doc: Doc[Any], nb: dict[str, Any]) -> None:
    """Make the document hold ``nb`` (cells, metadata), in one transaction."""
    ycells = nbdoc.cells(doc)
    with doc.transaction():
        del ycells[0 : len(ycells)]
        nbdoc.from_notebook(nb, doc)

"""FileContentStore: the contents API over a directory on disk.

Every path is checked (``carnet.contents.paths``) and its resolved form, symlinks
included, must stay inside the root. Hidden names, the checkpoint folders and the
stores' own temp files are invisible unless hidden files are allowed (the latter
two always are). Saves are atomic (``carnet.contents.atomic``). Blocking file
system work runs in a worker thread so the event loop keeps serving.

Deleting a directory deletes everything in it, as Jupyter does when it has no
trash to move things to: the user asked for that directory to go, and a client
that wants a safety net can refuse non-empty directories itself.
"""

from __future__ import annotations

import asyncio
import errno
import os
import shutil
import stat
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from carnet.contents import atomic, models, paths
from carnet.contents.checkpoints import FileCheckpoints
from carnet.contents.uploads import FileUploads, reap_stale_temp
from carnet.errors import (
    AlreadyExists,
    CarnetError,
    Conflict,
    Forbidden,
    InvalidInput,
    InvalidPath,
    NotFound,
)

T = TypeVar("T")


@contextmanager
def _os_errors(path: str) -> Iterator[None]:
    """Translate OSError into carnet errors; the message names the API path only."""
    try:
        yield
    except CarnetError:
        raise
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise NotFound(f"no such file or directory: {path or '/'}") from exc
    except PermissionError as exc:
        raise Forbidden(f"permission denied: {path or '/'}") from exc
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise InvalidPath(f"the name is too long: {path}") from exc
        if exc.errno == errno.ENOSPC:
            raise Conflict("no space left on the device") from exc
        raise Conflict(f"cannot complete the operation on {path or '/'}: {exc.strerror}") from exc


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


class FileContentStore:
    """Files, directories and notebooks under ``root``."""

    def __init__(
        self,
        root: Path,
        *,
        allow_hidden: bool = False,
        checkpoints_kept: int = 5,
        checkpoint_dir: str = ".ipynb_checkpoints",
    ) -> None:
        self._root = os.path.realpath(root)
        # What every path under the root starts with (the root "/" already ends in a separator).
        self._prefix = self._root if self._root.endswith(os.sep) else self._root + os.sep
        self._allow_hidden = allow_hidden
        self._checkpoint_dir = checkpoint_dir
        self._checkpoints = FileCheckpoints(checkpoint_dir, checkpoints_kept)
        self._uploads = FileUploads()
        self._lock = threading.Lock()
        self._euid = os.geteuid()
        self._groups = {os.getegid(), *os.getgroups()}

    # -- paths ------------------------------------------------------------------------
    def _invisible(self, name: str) -> bool:
        return paths.invisible(
            name, checkpoint_dir=self._checkpoint_dir, allow_hidden=self._allow_hidden
        )

    def _parts(self, path: str, *, creating: bool = False) -> paths.Parts:
        return paths.visible_parts(
            path,
            checkpoint_dir=self._checkpoint_dir,
            allow_hidden=self._allow_hidden,
            creating=creating,
        )

    def _confined(self, real: str, parts: paths.Parts) -> str:
        if real == self._root:
            return real
        if not real.startswith(self._prefix):
            raise InvalidPath(f"{paths.join(parts)} resolves outside the root")
        if any(self._invisible(p) for p in real[len(self._prefix) :].split(os.sep)):
            raise NotFound(f"no such file or directory: {paths.join(parts)}")
        return real

    def _os_path(self, parts: paths.Parts) -> str:
        """The resolved file system path (symlinks followed), confined to the root."""
        local = os.path.join(self._root, *parts)
        return self._confined(os.path.realpath(local), parts)

    def _entry_path(self, parts: paths.Parts) -> str:
        """The path of the entry itself (a symlink stays a symlink), its directory confined."""
        directory = self._os_path(parts[:-1])
        return os.path.join(directory, parts[-1])

    def local_path(self, path: str) -> Path | None:
        """The resolved local path for an API path (checked, confined; may not exist)."""
        return Path(self._os_path(self._parts(path)))

    async def _run(self, path: str, func: Callable[..., T], *args: Any) -> T:
        def call() -> T:
            with _os_errors(path):
                return func(*args)

        return await asyncio.to_thread(call)

    # -- models -----------------------------------------------------------------------
    def _writable(self, st: os.stat_result) -> bool:
        if self._euid == 0:
            return True
        if st.st_uid == self._euid:
            return bool(st.st_mode & stat.S_IWUSR)
        if st.st_gid in self._groups:
            return bool(st.st_mode & stat.S_IWGRP)
        return bool(st.st_mode & stat.S_IWOTH)

    def _model(self, parts: paths.Parts, st: os.stat_result) -> dict[str, Any]:
        is_dir = stat.S_ISDIR(st.st_mode)
        return models.base_model(
            parts,
            models.kind_for(paths.name_of(parts), is_dir),
            created=_utc(st.st_ctime),
            modified=_utc(st.st_mtime),
            size=None if is_dir else st.st_size,
            writable=self._writable(st),
        )

    def _list(self, os_path: str, parts: paths.Parts) -> list[dict[str, Any]]:
        children = []
        with os.scandir(os_path) as entries:
            for entry in entries:
                name = entry.name
                if self._invisible(name):
                    if name.startswith(paths.TEMP_PREFIX):
                        reap_stale_temp(entry)
                    continue
                try:
                    if entry.is_symlink():
                        real = os.path.realpath(entry.path)
                        if not real.startswith(self._prefix):
                            continue
                    st = entry.stat()
                except OSError:
                    continue
                if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
                    continue
                children.append(self._model((*parts, name), st))
        return children

    def _get(
        self,
        parts: paths.Parts,
        content: bool,
        type: str | None,
        format: str | None,
        want_hash: bool,
    ) -> dict[str, Any]:
        os_path = self._os_path(parts)
        st = os.stat(os_path)
        model = self._model(parts, st)
        kind = models.check_wanted_type(model, type)
        if kind == "directory":
            if content:
                model["content"] = self._list(os_path, parts)
                model["format"] = "json"
            return model
        if not stat.S_ISREG(st.st_mode):
            raise NotFound(f"no such file: {paths.join(parts)}")
        if not content and not want_hash:
            model["type"] = kind
            if kind == "notebook":
                model["mimetype"] = None
            return model
        with open(os_path, "rb") as fh:
            data = fh.read()
        return models.fill_content(
            model, data, content=content, kind=kind, format=format, want_hash=want_hash
        )

    async def get(
        self,
        path: str,
        *,
        content: bool = True,
        type: str | None = None,
        format: str | None = None,
        want_hash: bool = False,
    ) -> dict[str, Any]:
        """See ``ContentStore.get``."""
        models.check_get_args(type, format)
        parts = self._parts(path)
        return await self._run(path, self._get, parts, content, type, format, want_hash)

    async def exists(self, path: str) -> bool:
        """See ``ContentStore.exists``."""
        try:
            await self.get(path, content=False)
        except (NotFound, InvalidPath):
            return False
        return True

    async def is_dir(self, path: str) -> bool:
        """See ``ContentStore.is_dir``."""
        try:
            model = await self.get(path, content=False)
        except (NotFound, InvalidPath):
            return False
        return bool(model["type"] == "directory")

    # -- saving -----------------------------------------------------------------------
    def _parent_dir(self, parts: paths.Parts) -> str:
        directory = self._os_path(parts[:-1])
        if not os.path.isdir(directory):
            raise NotFound(f"no such directory: {paths.join(parts[:-1]) or '/'}")
        return directory

    def _save(self, parts: paths.Parts, request: models.SaveRequest) -> dict[str, Any]:
        if not parts:
            raise InvalidPath("the root cannot be saved over")
        self._parent_dir(parts)
        os_path = self._os_path(parts)
        if request.kind == "directory":
            if os.path.isdir(os_path):
                pass
            elif os.path.lexists(os_path):
                raise Conflict(f"{paths.join(parts)} exists and is not a directory")
            else:
                os.mkdir(os_path)
            return self._get(parts, False, None, None, False)
        if os.path.isdir(os_path):
            raise Conflict(f"{paths.join(parts)} is a directory")
        assert request.data is not None
        if request.chunk is not None:
            size = self._uploads.write(os_path, request.chunk, request.data)
            if size is not None:
                now = datetime.now(UTC)
                return models.base_model(
                    parts, "file", created=now, modified=now, size=size, writable=True
                )
            return self._get(parts, False, None, None, False)
        atomic.write_file(os_path, request.data)
        return self._get(parts, False, None, None, False)

    async def save(self, path: str, model: dict[str, Any]) -> dict[str, Any]:
        """See ``ContentStore.save``."""
        parts = self._parts(path, creating=True)
        # Parsing (base64, notebook validation) and writing share one worker-thread hop:
        # a save is on the hot path of every file create.
        return await self._run(path, lambda: self._save(parts, models.parse_save(model)))

    async def new_untitled(self, dir: str, *, type: str | None, ext: str) -> dict[str, Any]:
        """See ``ContentStore.new_untitled``."""
        kind, ext = models.check_untitled_args(type, ext)
        parts = self._parts(dir)
        return await self._run(dir, self._new_untitled, parts, kind, ext)

    def _new_untitled(self, parts: paths.Parts, kind: str, ext: str) -> dict[str, Any]:
        directory = self._os_path(parts)
        if not os.path.isdir(directory):
            raise NotFound(f"no such directory: {paths.join(parts) or '/'}")
        first, insert = models.untitled_name(kind, ext)
        names = paths.candidate_names(first, insert)
        if kind == "directory":
            for name in names:
                try:
                    os.mkdir(os.path.join(directory, name))
                except FileExistsError:
                    continue
                return self._get((*parts, name), False, None, None, False)
            raise Conflict("no free name for a new folder")
        name = atomic.write_new(models.new_content(kind), directory, names)
        return self._get((*parts, name), False, None, None, False)

    # -- copy, rename, delete ---------------------------------------------------------
    async def copy(self, src: str, dst: str) -> dict[str, Any]:
        """See ``ContentStore.copy``."""
        src_parts = self._parts(src)
        dst_parts = self._parts(dst, creating=True)
        return await self._run(src, self._copy, src_parts, dst_parts)

    def _copy(self, src_parts: paths.Parts, dst_parts: paths.Parts) -> dict[str, Any]:
        src_path = self._os_path(src_parts)
        if os.path.isdir(src_path):
            raise InvalidInput("directories cannot be copied")
        with open(src_path, "rb") as fh:
            data = fh.read()
        dst_path = self._os_path(dst_parts)
        if os.path.isdir(dst_path):
            name = models.copy_base_name(paths.name_of(src_parts))
            new = atomic.write_new(data, dst_path, paths.candidate_names(name, "-Copy"))
            return self._get((*dst_parts, new), False, None, None, False)
        directory = self._parent_dir(dst_parts)
        try:
            atomic.write_new(data, directory, [paths.name_of(dst_parts)])
        except FileExistsError:
            raise AlreadyExists(f"{paths.join(dst_parts)} exists already") from None
        return self._get(dst_parts, False, None, None, False)

    async def rename(self, old: str, new: str) -> dict[str, Any]:
        """See ``ContentStore.rename``."""
        old_parts = self._parts(old)
        new_parts = self._parts(new, creating=True)
        if not old_parts or not new_parts:
            raise InvalidPath("the root cannot be renamed")
        return await self._run(old, self._rename, old_parts, new_parts)

    def _rename(self, old_parts: paths.Parts, new_parts: paths.Parts) -> dict[str, Any]:
        old_path = self._entry_path(old_parts)
        if not os.path.lexists(old_path):
            raise NotFound(f"no such file or directory: {paths.join(old_parts)}")
        if old_parts == new_parts:
            return self._get(new_parts, False, None, None, False)
        if new_parts[: len(old_parts)] == old_parts:
            raise InvalidPath("a directory cannot be moved into itself")
        self._parent_dir(new_parts)
        new_path = self._entry_path(new_parts)
        with self._lock:
            if os.path.lexists(new_path):
                raise AlreadyExists(f"{paths.join(new_parts)} exists already")
            is_file = not os.path.isdir(old_path)
            os.rename(old_path, new_path)
            fsync = {os.path.dirname(old_path), os.path.dirname(new_path)}
            for directory in fsync:
                atomic.fsync_dir(directory)
            if is_file:
                self._checkpoints.move(old_path, new_path)
        return self._get(new_parts, False, None, None, False)

    async def delete(self, path: str) -> None:
        """See ``ContentStore.delete``."""
        parts = self._parts(path)
        if not parts:
            raise InvalidPath("the root cannot be deleted")
        await self._run(path, self._delete, parts)

    def _delete(self, parts: paths.Parts) -> None:
        entry = self._entry_path(parts)
        if os.path.islink(entry) or not os.path.isdir(entry):
            os.unlink(entry)
            self._checkpoints.delete_all(entry)
        else:
            shutil.rmtree(entry)
        atomic.fsync_dir(os.path.dirname(entry))

    # -- checkpoints ------------------------------------------------------------------
    def _file_path(self, parts: paths.Parts) -> str:
        os_path = self._os_path(parts)
        st = os.stat(os_path)
        if stat.S_ISDIR(st.st_mode):
            raise InvalidInput("directories have no checkpoints")
        return os_path

    async def create_checkpoint(self, path: str) -> dict[str, Any]:
        """See ``ContentStore.create_checkpoint``."""
        parts = self._parts(path)
        return await self._run(path, self._create_checkpoint, parts)

    def _create_checkpoint(self, parts: paths.Parts) -> dict[str, Any]:
        os_path = self._file_path(parts)
        with self._lock:
            return self._checkpoints.create(os_path)

    async def list_checkpoints(self, path: str) -> list[dict[str, Any]]:
        """See ``ContentStore.list_checkpoints``."""
        parts = self._parts(path)
        return await self._run(path, lambda: self._checkpoints.list(self._file_path(parts)))

    async def restore_checkpoint(self, path: str, checkpoint_id: str) -> None:
        """See ``ContentStore.restore_checkpoint``."""
        models.check_checkpoint_id(checkpoint_id)
        parts = self._parts(path)
        await self._run(
            path, lambda: self._checkpoints.restore(self._file_path(parts), checkpoint_id)
        )

    async def delete_checkpoint(self, path: str, checkpoint_id: str) -> None:
        """See ``ContentStore.delete_checkpoint``."""
        models.check_checkpoint_id(checkpoint_id)
        parts = self._parts(path)
        await self._run(
            path, lambda: self._checkpoints.delete(self._file_path(parts), checkpoint_id)
        )

"""MemoryContentStore: the contents API in memory, for tests and throwaway servers.

It follows the same rules as FileContentStore (paths, hidden names, models,
notebook bytes, checkpoint ids, chunked uploads), so the same test suite runs
against both. Nothing survives the process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from carnet.contents import models, paths
from carnet.errors import AlreadyExists, Conflict, InvalidInput, InvalidPath, NotFound


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Item:
    is_dir: bool
    data: bytes = b""
    created: datetime = field(default_factory=_now)
    modified: datetime = field(default_factory=_now)


@dataclass
class _Checkpoint:
    id: str
    data: bytes
    modified: datetime


class MemoryContentStore:
    """Files, directories and notebooks held in a dict."""

    def __init__(
        self,
        *,
        allow_hidden: bool = False,
        checkpoints_kept: int = 5,
        checkpoint_dir: str = ".ipynb_checkpoints",
    ) -> None:
        self._allow_hidden = allow_hidden
        self._kept = checkpoints_kept
        self._checkpoint_dir = checkpoint_dir
        self._items: dict[str, _Item] = {"": _Item(is_dir=True)}
        self._checkpoints: dict[str, list[_Checkpoint]] = {}
        self._uploads: dict[str, tuple[bytearray, int]] = {}

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

    def _item(self, parts: paths.Parts) -> _Item:
        item = self._items.get(paths.join(parts))
        if item is None:
            raise NotFound(f"no such file or directory: {paths.join(parts) or '/'}")
        return item

    def _dir(self, parts: paths.Parts) -> _Item:
        item = self._items.get(paths.join(parts))
        if item is None or not item.is_dir:
            raise NotFound(f"no such directory: {paths.join(parts) or '/'}")
        return item

    def local_path(self, path: str) -> Path | None:
        """Nothing here is on disk."""
        self._parts(path)
        return None

    # -- models -----------------------------------------------------------------------
    def _model(self, parts: paths.Parts, item: _Item) -> dict[str, Any]:
        return models.base_model(
            parts,
            models.kind_for(paths.name_of(parts), item.is_dir),
            created=item.created,
            modified=item.modified,
            size=None if item.is_dir else len(item.data),
            writable=True,
        )

    def _children(self, parts: paths.Parts) -> list[tuple[paths.Parts, _Item]]:
        depth = len(parts)
        found = []
        for key, item in self._items.items():
            if not key:
                continue
            child = tuple(key.split("/"))
            if len(child) == depth + 1 and child[:depth] == parts:
                found.append((child, item))
        return found

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
        return self._get(parts, content, type, format, want_hash)

    def _get(
        self,
        parts: paths.Parts,
        content: bool = False,
        type: str | None = None,
        format: str | None = None,
        want_hash: bool = False,
    ) -> dict[str, Any]:
        item = self._item(parts)
        model = self._model(parts, item)
        kind = models.check_wanted_type(model, type)
        if kind == "directory":
            if content:
                model["content"] = [
                    self._model(child, child_item)
                    for child, child_item in self._children(parts)
                    if not self._invisible(child[-1])
                ]
                model["format"] = "json"
            return model
        if not content and not want_hash:
            model["type"] = kind
            if kind == "notebook":
                model["mimetype"] = None
            return model
        return models.fill_content(
            model, item.data, content=content, kind=kind, format=format, want_hash=want_hash
        )

    async def exists(self, path: str) -> bool:
        """See ``ContentStore.exists``."""
        try:
            return paths.join(self._parts(path)) in self._items
        except (NotFound, InvalidPath):
            return False

    async def is_dir(self, path: str) -> bool:
        """See ``ContentStore.is_dir``."""
        try:
            item = self._items.get(paths.join(self._parts(path)))
        except (NotFound, InvalidPath):
            return False
        return item is not None and item.is_dir

    # -- saving -----------------------------------------------------------------------
    async def save(self, path: str, model: dict[str, Any]) -> dict[str, Any]:
        """See ``ContentStore.save``."""
        parts = self._parts(path, creating=True)
        request = models.parse_save(model)
        if not parts:
            raise InvalidPath("the root cannot be saved over")
        self._dir(parts[:-1])
        key = paths.join(parts)
        existing = self._items.get(key)
        if request.kind == "directory":
            if existing is None:
                self._items[key] = _Item(is_dir=True)
            elif not existing.is_dir:
                raise Conflict(f"{key} exists and is not a directory")
            return self._get(parts)
        if existing is not None and existing.is_dir:
            raise Conflict(f"{key} is a directory")
        assert request.data is not None
        data = request.data
        if request.chunk is not None:
            upload = self._uploads.get(key)
            if request.chunk == 1:
                upload = (bytearray(), 1)
            elif upload is None:
                raise InvalidInput(
                    f"chunk {request.chunk} of an upload that did not start with chunk 1"
                )
            elif request.chunk not in (-1, upload[1]):
                raise InvalidInput(
                    f"chunk {request.chunk} is out of order: chunk {upload[1]} (or -1) comes next"
                )
            buffer = upload[0]
            buffer += data
            if request.chunk != -1:
                self._uploads[key] = (buffer, upload[1] + 1)
                now = _now()
                return models.base_model(
                    parts, "file", created=now, modified=now, size=len(buffer), writable=True
                )
            self._uploads.pop(key, None)
            data = bytes(buffer)
        self._write(key, data)
        return self._get(parts)

    def _write(self, key: str, data: bytes) -> None:
        existing = self._items.get(key)
        if existing is None:
            self._items[key] = _Item(is_dir=False, data=data)
        else:
            existing.data = data
            existing.modified = _now()

    async def new_untitled(self, dir: str, *, type: str | None, ext: str) -> dict[str, Any]:
        """See ``ContentStore.new_untitled``."""
        kind, ext = models.check_untitled_args(type, ext)
        parts = self._parts(dir)
        self._dir(parts)
        first, insert = models.untitled_name(kind, ext)
        for name in paths.candidate_names(first, insert):
            key = paths.join((*parts, name))
            if key in self._items:
                continue
            if kind == "directory":
                self._items[key] = _Item(is_dir=True)
            else:
                self._items[key] = _Item(is_dir=False, data=models.new_content(kind))
            return self._get((*parts, name))
        raise Conflict("no free name for a new item")

    # -- copy, rename, delete ---------------------------------------------------------
    async def copy(self, src: str, dst: str) -> dict[str, Any]:
        """See ``ContentStore.copy``."""
        src_parts = self._parts(src)
        dst_parts = self._parts(dst, creating=True)
        item = self._item(src_parts)
        if item.is_dir:
            raise InvalidInput("directories cannot be copied")
        target = self._items.get(paths.join(dst_parts))
        if target is not None and target.is_dir:
            name = models.copy_base_name(paths.name_of(src_parts))
            for candidate in paths.candidate_names(name, "-Copy"):
                if paths.join((*dst_parts, candidate)) not in self._items:
                    dst_parts = (*dst_parts, candidate)
                    break
        elif target is not None:
            raise AlreadyExists(f"{paths.join(dst_parts)} exists already")
        else:
            self._dir(dst_parts[:-1])
        self._items[paths.join(dst_parts)] = _Item(is_dir=False, data=item.data)
        return self._get(dst_parts)

    async def rename(self, old: str, new: str) -> dict[str, Any]:
        """See ``ContentStore.rename``."""
        old_parts = self._parts(old)
        new_parts = self._parts(new, creating=True)
        if not old_parts or not new_parts:
            raise InvalidPath("the root cannot be renamed")
        self._item(old_parts)
        if old_parts == new_parts:
            return self._get(new_parts)
        if new_parts[: len(old_parts)] == old_parts:
            raise InvalidPath("a directory cannot be moved into itself")
        self._dir(new_parts[:-1])
        old_key, new_key = paths.join(old_parts), paths.join(new_parts)
        if new_key in self._items:
            raise AlreadyExists(f"{new_key} exists already")
        self._move_keys(self._items, old_key, new_key)
        self._move_keys(self._checkpoints, old_key, new_key)
        return self._get(new_parts)

    @staticmethod
    def _move_keys(table: dict[str, Any], old_key: str, new_key: str) -> None:
        prefix = old_key + "/"
        for key in [k for k in table if k == old_key or k.startswith(prefix)]:
            table[new_key + key[len(old_key) :]] = table.pop(key)

    async def delete(self, path: str) -> None:
        """See ``ContentStore.delete``."""
        parts = self._parts(path)
        if not parts:
            raise InvalidPath("the root cannot be deleted")
        self._item(parts)
        key = paths.join(parts)
        prefix = key + "/"
        for table in (self._items, self._checkpoints):
            for k in [k for k in table if k == key or k.startswith(prefix)]:
                del table[k]

    # -- checkpoints ------------------------------------------------------------------
    def _file(self, path: str) -> tuple[str, _Item]:
        parts = self._parts(path)
        item = self._item(parts)
        if item.is_dir:
            raise InvalidInput("directories have no checkpoints")
        return paths.join(parts), item

    @staticmethod
    def _checkpoint_model(checkpoint: _Checkpoint) -> dict[str, Any]:
        return {"id": checkpoint.id, "last_modified": checkpoint.modified}

    async def create_checkpoint(self, path: str) -> dict[str, Any]:
        """See ``ContentStore.create_checkpoint``."""
        key, item = self._file(path)
        kept = self._checkpoints.setdefault(key, [])
        ids = [c.id for c in kept]
        if kept and kept[0].id == models.CHECKPOINT_ID:
            kept[0].id = models.next_old_id(ids)
        checkpoint = _Checkpoint(models.CHECKPOINT_ID, item.data, item.modified)
        kept.insert(0, checkpoint)
        del kept[self._kept :]
        return self._checkpoint_model(checkpoint)

    async def list_checkpoints(self, path: str) -> list[dict[str, Any]]:
        """See ``ContentStore.list_checkpoints``."""
        key, _ = self._file(path)
        return [self._checkpoint_model(c) for c in self._checkpoints.get(key, [])]

    def _find(self, key: str, checkpoint_id: str) -> _Checkpoint:
        models.check_checkpoint_id(checkpoint_id)
        for checkpoint in self._checkpoints.get(key, []):
            if checkpoint.id == checkpoint_id:
                return checkpoint
        raise NotFound(f"no checkpoint {checkpoint_id!r} for this file")

    async def restore_checkpoint(self, path: str, checkpoint_id: str) -> None:
        """See ``ContentStore.restore_checkpoint``."""
        key, _ = self._file(path)
        self._write(key, self._find(key, checkpoint_id).data)

    async def delete_checkpoint(self, path: str, checkpoint_id: str) -> None:
        """See ``ContentStore.delete_checkpoint``."""
        key, _ = self._file(path)
        self._checkpoints[key].remove(self._find(key, checkpoint_id))

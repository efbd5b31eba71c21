"""Checkpoints on disk, in Jupyter's layout, several per file.

``dir/a.ipynb``'s newest checkpoint is ``dir/.ipynb_checkpoints/a-checkpoint.ipynb``
(id ``checkpoint``), where Jupyter looks for it. When a newer one is made, the
previous newest is renamed to ``a-checkpoint-N.ipynb`` (id ``checkpoint-N``, N one
above every older one), so an old checkpoint's id never changes. The oldest are
dropped beyond the number kept. A checkpoint keeps the modification time of the
file it was taken from, as Jupyter's do, so a client can tell whether the file
changed since.

Callers hold the store's lock and pass resolved, confined paths.
"""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, datetime
from typing import Any

from carnet.contents import atomic, models
from carnet.errors import NotFound


class FileCheckpoints:
    def __init__(self, checkpoint_dir: str, kept: int) -> None:
        self._dir = checkpoint_dir
        self._kept = kept

    def _location(self, os_path: str) -> tuple[str, str]:
        directory, name = os.path.split(os_path)
        return os.path.join(directory, self._dir), name

    def _ids(self, folder: str, name: str) -> list[str]:
        try:
            names = os.listdir(folder)
        except (FileNotFoundError, NotADirectoryError):
            return []
        return models.checkpoint_ids(name, names)

    def _model(self, folder: str, name: str, checkpoint_id: str) -> dict[str, Any]:
        path = os.path.join(folder, models.checkpoint_file_name(name, checkpoint_id))
        mtime = os.stat(path).st_mtime
        return {"id": checkpoint_id, "last_modified": datetime.fromtimestamp(mtime, UTC)}

    def create(self, os_path: str) -> dict[str, Any]:
        """Copy the file's current bytes into a new newest checkpoint."""
        folder, name = self._location(os_path)
        with open(os_path, "rb") as fh:
            data = fh.read()
            mtime_ns = os.fstat(fh.fileno()).st_mtime_ns
        os.makedirs(folder, exist_ok=True)
        ids = self._ids(folder, name)
        newest = os.path.join(folder, models.checkpoint_file_name(name, models.CHECKPOINT_ID))
        if models.CHECKPOINT_ID in ids:
            older = models.next_old_id(ids)
            os.replace(newest, os.path.join(folder, models.checkpoint_file_name(name, older)))
            ids = [older, *ids[1:]]
        atomic.write_file(newest, data)
        os.utime(newest, ns=(mtime_ns, mtime_ns))
        # ids now lists the older ones, newest first; the new one makes one more.
        for old in ids[self._kept - 1 :]:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(folder, models.checkpoint_file_name(name, old)))
        return self._model(folder, name, models.CHECKPOINT_ID)

    def list(self, os_path: str) -> list[dict[str, Any]]:
        """Every checkpoint of the file, newest first."""
        folder, name = self._location(os_path)
        result = []
        for checkpoint_id in self._ids(folder, name):
            with contextlib.suppress(FileNotFoundError):
                result.append(self._model(folder, name, checkpoint_id))
        return result

    def _existing(self, os_path: str, checkpoint_id: str) -> str:
        folder, name = self._location(os_path)
        path = os.path.join(folder, models.checkpoint_file_name(name, checkpoint_id))
        if not os.path.isfile(path):
            raise NotFound(f"no checkpoint {checkpoint_id!r} for this file")
        return path

    def restore(self, os_path: str, checkpoint_id: str) -> None:
        """Put the checkpoint's bytes back into the file, atomically."""
        with open(self._existing(os_path, checkpoint_id), "rb") as fh:
            data = fh.read()
        atomic.write_file(os_path, data)

    def delete(self, os_path: str, checkpoint_id: str) -> None:
        """Forget one checkpoint."""
        os.unlink(self._existing(os_path, checkpoint_id))

    def delete_all(self, os_path: str) -> None:
        """Forget every checkpoint of a deleted file."""
        folder, name = self._location(os_path)
        for checkpoint_id in self._ids(folder, name):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(folder, models.checkpoint_file_name(name, checkpoint_id)))
        with contextlib.suppress(OSError):
            os.rmdir(folder)

    def move(self, old_path: str, new_path: str) -> None:
        """Carry a renamed file's checkpoints to its new name and place."""
        old_folder, old_name = self._location(old_path)
        new_folder, new_name = self._location(new_path)
        ids = self._ids(old_folder, old_name)
        if not ids:
            return
        os.makedirs(new_folder, exist_ok=True)
        for stale in self._ids(new_folder, new_name):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(new_folder, models.checkpoint_file_name(new_name, stale)))
        for checkpoint_id in ids:
            os.replace(
                os.path.join(old_folder, models.checkpoint_file_name(old_name, checkpoint_id)),
                os.path.join(new_folder, models.checkpoint_file_name(new_name, checkpoint_id)),
            )
        with contextlib.suppress(OSError):
            os.rmdir(old_folder)

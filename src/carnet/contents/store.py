"""The ContentStore protocol: what the web layer and the kernels need from storage."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol


class ContentStore(Protocol):
    """A tree of files, directories and notebooks addressed by API paths.

    Models are Jupyter contents models (dicts with name, path, type, writable,
    created, last_modified, mimetype, format, content, size, hash, hash_algorithm).
    Every method raises carnet errors only: InvalidPath, InvalidInput,
    InvalidNotebook, NotFound, AlreadyExists, Conflict.
    """

    async def get(
        self,
        path: str,
        *,
        content: bool = True,
        type: str | None = None,
        format: str | None = None,
        want_hash: bool = False,
    ) -> dict[str, Any]:
        """The model at ``path``; ``type`` and ``format`` ask for a representation.

        A directory's content lists its visible children (their content is None);
        a notebook's is the v4 notebook; a file's is text or base64. Asking for
        a type or format the item cannot have is InvalidInput ('bad type',
        'bad format').
        """
        ...

    async def save(self, path: str, model: dict[str, Any]) -> dict[str, Any]:
        """Write ``model`` (type, format, content, and optionally chunk) at ``path``, atomically.

        Returns the saved model without content. An invalid notebook or a
        malformed model raises before anything is written.
        """
        ...

    async def new_untitled(self, dir: str, *, type: str | None, ext: str) -> dict[str, Any]:
        """Create ``Untitled.ipynb``, ``untitled.txt``, ``Untitled Folder`` (numbered if taken)."""
        ...

    async def copy(self, src: str, dst: str) -> dict[str, Any]:
        """Copy file ``src`` into directory ``dst`` (``name-Copy1.ext`` if taken) or to ``dst``."""
        ...

    async def rename(self, old: str, new: str) -> dict[str, Any]:
        """Move a file or directory (with its checkpoints); AlreadyExists when ``new`` exists."""
        ...

    async def delete(self, path: str) -> None:
        """Delete a file (and its checkpoints) or a directory with everything in it."""
        ...

    async def exists(self, path: str) -> bool:
        """True when a visible file or directory is at ``path``."""
        ...

    async def is_dir(self, path: str) -> bool:
        """True when a visible directory is at ``path``."""
        ...

    async def create_checkpoint(self, path: str) -> dict[str, Any]:
        """Record the file's current content; returns ``{id, last_modified}``."""
        ...

    async def list_checkpoints(self, path: str) -> list[dict[str, Any]]:
        """The file's checkpoints, newest first."""
        ...

    async def restore_checkpoint(self, path: str, checkpoint_id: str) -> None:
        """Put the checkpoint's content back into the file, atomically."""
        ...

    async def delete_checkpoint(self, path: str, checkpoint_id: str) -> None:
        """Forget one checkpoint."""
        ...

    def local_path(self, path: str) -> Path | None:
        """The file system path for ``path`` (checked and confined), or None if not on disk."""
        ...

"""Contents: files, directories and notebooks behind the ``ContentStore`` protocol.

Rule: stores take API paths ('/'-separated, relative to the root, checked by
``paths``) and return Jupyter contents models; they raise carnet errors only and
know nothing about HTTP. Every write is atomic. ``make_store`` picks the store the
settings name.
"""

from __future__ import annotations

from pathlib import Path

from carnet.contents.files import FileContentStore
from carnet.contents.memory import MemoryContentStore
from carnet.contents.store import ContentStore
from carnet.settings import ContentsSettings

__all__ = ["ContentStore", "FileContentStore", "MemoryContentStore", "make_store"]


def make_store(settings: ContentsSettings, root: Path) -> ContentStore:
    """The store ``settings.store`` names: 'file' (the root directory) or 'memory'."""
    options = {
        "allow_hidden": settings.allow_hidden,
        "checkpoints_kept": settings.checkpoints_kept,
        "checkpoint_dir": settings.checkpoint_dir,
    }
    if settings.store == "memory":
        return MemoryContentStore(**options)  # type: ignore[arg-type]
    return FileContentStore(root, **options)  # type: ignore[arg-type]

"""Atomic file writes: a crash at any instant leaves the old file or the new one.

A write goes to a hidden temp file in the target's directory (same file system, so
the final rename is atomic), is fsynced, renamed over the target with
``os.replace`` and the directory is fsynced so the rename itself is durable. The
new file keeps the mode of the one it replaces; a new file gets ``0o666`` minus
the umask, as any program creating a file would.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterable

from carnet.contents.paths import TEMP_PREFIX

_CHUNK = 1 << 20


def temp_path(directory: str) -> str:
    """A fresh hidden temp file name in ``directory``."""
    return os.path.join(directory, f"{TEMP_PREFIX}{secrets.token_hex(8)}.tmp")


def create_temp(directory: str) -> tuple[int, str]:
    """Create and open a new temp file in ``directory``: (fd, path)."""
    while True:
        path = temp_path(directory)
        try:
            return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666), path
        except FileExistsError:  # pragma: no cover - 64 random bits
            continue


def write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view[:_CHUNK])
        view = view[written:]


def fsync_dir(directory: str) -> None:
    """Make a rename or a new name in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _keep_mode(fd: int, target: str) -> None:
    try:
        mode = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        return
    os.fchmod(fd, mode)


def write_file(target: str, data: bytes | Iterable[bytes]) -> None:
    """Replace (or create) ``target`` with ``data``, atomically and durably."""
    directory = os.path.dirname(target)
    fd, tmp = create_temp(directory)
    try:
        try:
            if isinstance(data, (bytes, bytearray, memoryview)):
                write_all(fd, data)
            else:
                for piece in data:
                    write_all(fd, piece)
            _keep_mode(fd, target)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(directory)


def finish_temp(tmp: str, target: str) -> None:
    """Move a complete, closed temp file over ``target`` (chunked uploads end here)."""
    fd = os.open(tmp, os.O_RDONLY | os.O_CLOEXEC)
    try:
        _keep_mode(fd, target)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, target)
    fsync_dir(os.path.dirname(target))


def write_new(data: bytes, directory: str, names: Iterable[str]) -> str:
    """Write ``data`` under the first of ``names`` that is free in ``directory``; returns it.

    The name appears with its full content or not at all, and an existing file is
    never replaced, even by a concurrent writer (the name is claimed with a hard link).
    """
    fd, tmp = create_temp(directory)
    try:
        try:
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        for name in names:
            target = os.path.join(directory, name)
            if os.path.lexists(target):
                continue
            try:
                os.link(tmp, target)
            except FileExistsError:
                continue
            fsync_dir(directory)
            return name
        raise FileExistsError(directory)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)

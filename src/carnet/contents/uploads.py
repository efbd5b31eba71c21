"""Chunked uploads on disk: chunks gather in a temp file beside the target.

Chunk 1 starts an upload (again, if one was under way), 2, 3, ... follow in
order and -1 ends it: only then does the assembled file replace the target,
atomically. Until then the target is untouched and the temp file is hidden.
Which chunk comes next is kept in memory: after a restart an upload starts over.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from contextlib import suppress
from dataclasses import dataclass

from carnet.contents import atomic
from carnet.errors import InvalidInput

# A temp file untouched for this long belongs to a save or upload that died with its process.
STALE_TEMP_SECONDS = 24 * 3600


@dataclass
class _Upload:
    tmp: str
    next_chunk: int
    size: int


class FileUploads:
    def __init__(self) -> None:
        self._uploads: dict[str, _Upload] = {}
        self._lock = threading.Lock()

    def write(self, os_path: str, chunk: int, data: bytes) -> int | None:
        """Add one chunk; the bytes gathered so far, or None once the last chunk is in place."""
        with self._lock:
            upload = self._uploads.get(os_path)
            if chunk == 1:
                if upload is not None:
                    unlink_quietly(upload.tmp)
                fd, tmp = atomic.create_temp(os.path.dirname(os_path))
                upload = self._uploads[os_path] = _Upload(tmp, 1, 0)
            elif upload is None:
                raise InvalidInput(f"chunk {chunk} of an upload that did not start with chunk 1")
            elif chunk not in (-1, upload.next_chunk):
                raise InvalidInput(
                    f"chunk {chunk} is out of order: chunk {upload.next_chunk} (or -1) comes next"
                )
            else:
                fd = os.open(upload.tmp, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
            try:
                atomic.write_all(fd, data)
            except BaseException:
                unlink_quietly(upload.tmp)
                del self._uploads[os_path]
                raise
            finally:
                os.close(fd)
            upload.next_chunk += 1
            upload.size += len(data)
            if chunk != -1:
                return upload.size
            del self._uploads[os_path]
            try:
                atomic.finish_temp(upload.tmp, os_path)
            except BaseException:
                unlink_quietly(upload.tmp)
                raise
            return None


def reap_stale_temp(entry: os.DirEntry[str]) -> None:
    """Remove a temp file a crash left behind (an upload in progress writes to it often)."""
    with suppress(OSError):
        st = entry.stat(follow_symlinks=False)
        if stat.S_ISREG(st.st_mode) and time.time() - st.st_mtime > STALE_TEMP_SECONDS:
            os.unlink(entry.path)


def unlink_quietly(path: str) -> None:
    with suppress(OSError):
        os.unlink(path)

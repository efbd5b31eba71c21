"""Reload a server's certificate when its files change (a renewal), without a restart."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from types import TracebackType

from carnet.errors import ConfigError
from carnet.tls.context import ServerTLS

log = logging.getLogger("carnet.tls")

# (inode, size, mtime in ns) of each file; None for a file that cannot be looked at.
Signature = tuple[tuple[int, int, int] | None, ...]


def _signature(paths: list[Path]) -> Signature:
    stats: list[tuple[int, int, int] | None] = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            stats.append(None)
        else:
            stats.append((st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(stats)


class CertificateWatcher:
    """Polls the certificate and key files of a :class:`ServerTLS` and reloads on change.

    Renewal tools replace the two files one after the other, so a poll may see a new
    certificate with the old key: such a pair is logged and skipped, the old pair stays
    in use, and the next change is tried again. Use as ``async with`` (or :meth:`start`
    and :meth:`stop`); the polling task belongs to the watcher and ends with it.
    """

    def __init__(self, tls: ServerTLS, *, interval: float = 5.0) -> None:
        if interval <= 0:
            raise ConfigError(f"the certificate poll interval must be positive, not {interval}")
        self.tls = tls
        self.interval = interval
        self.last_error: str | None = None
        self.reloads = 0
        self._paths = [tls.certfile] + ([tls.keyfile] if tls.keyfile is not None else [])
        self._seen = _signature(self._paths)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start polling in a task on the running event loop."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="carnet certificate watcher"
            )

    async def stop(self) -> None:
        """Stop polling and wait until the task has ended."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        # wait() rather than awaiting the task: the task's own cancellation is expected and
        # swallowed, while a cancellation of the caller still propagates.
        await asyncio.wait({task})

    async def __aenter__(self) -> CertificateWatcher:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def check(self) -> bool:
        """Look at the files once; reload if they changed. True when a new pair is served."""
        current = await asyncio.to_thread(_signature, self._paths)
        if current == self._seen:
            return False
        # Recorded before reading, so a change that lands while loading is seen next time.
        self._seen = current
        try:
            context, fingerprint = await asyncio.to_thread(self.tls.load)
        except ConfigError as exc:
            self.last_error = exc.message
            log.warning("new certificate not loaded, still serving the old one: %s", exc.message)
            return False
        self.tls.install(context, fingerprint)
        self.last_error = None
        self.reloads += 1
        log.info("certificate reloaded from %s (SHA-256 %s)", self.tls.certfile, fingerprint)
        return True

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
            except Exception:
                # The watcher must outlive any surprise; the server keeps its pair.
                log.exception("checking the certificate files failed")

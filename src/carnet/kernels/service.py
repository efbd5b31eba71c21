"""The kernel service: start, find, interrupt, restart and stop kernels."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from pathlib import Path
from typing import Any

from carnet.errors import InvalidPath, KernelStartFailed, NotFound
from carnet.kernels.channels import ChannelSession, ClientSink
from carnet.kernels.kernel import Kernel, KernelId
from carnet.kernels.specs import KernelSpecs
from carnet.settings import KernelsSettings

log = logging.getLogger("carnet.kernels")


class KernelService:
    """Every kernel this server runs; ``aclose()`` stops them all and leaves no process behind."""

    def __init__(self, settings: KernelsSettings, root: Path) -> None:
        self.settings = settings
        self.root = root
        self.specs = KernelSpecs(settings.default_kernel)
        self._kernels: dict[KernelId, Kernel] = {}
        self._starting: set[Kernel] = set()
        self._context: Any = None
        self._closed = False

    def list(self) -> list[Kernel]:
        """The running kernels, oldest first."""
        return list(self._kernels.values())

    def get(self, kernel_id: str) -> Kernel:
        """The kernel with this id; NotFound otherwise."""
        kernel = self._kernels.get(KernelId(kernel_id))
        if kernel is None:
            raise NotFound(f"no such kernel: {kernel_id}")
        return kernel

    def _cwd(self, path: str | None) -> Path:
        """The directory a notebook at API path ``path`` lives in (the root if none)."""
        if not path:
            return self.root
        relative = path.strip("/")
        if "\0" in relative or any(part == ".." for part in relative.split("/")):
            raise InvalidPath(f"invalid path: {path}")
        directory = (self.root / relative).parent.resolve()
        if not directory.is_relative_to(self.root) or not directory.is_dir():
            return self.root
        return directory

    async def start(self, name: str | None = None, path: str | None = None) -> Kernel:
        """Start a kernel from spec ``name`` (the default when None), for the notebook at ``path``.

        Raises NotFound for an unknown spec and KernelStartFailed when the process
        cannot be launched or does not answer within ``startup_timeout``.
        """
        if self._closed:
            raise KernelStartFailed("the server is shutting down")
        if not name:
            name = self.specs.default()
        self.specs.get(name)
        cwd = self._cwd(path)
        env = dict(os.environ)
        if path:
            # IPython shows this as __session__, the notebook a kernel belongs to.
            env["JPY_SESSION_NAME"] = str(self.root / path.strip("/"))
        kernel = Kernel(
            self._manager(name),
            name,
            restart_dead=self.settings.restart_dead,
            startup_timeout=self.settings.startup_timeout,
            reconnect_window=self.settings.reconnect_window,
        )
        self._starting.add(kernel)
        try:
            await kernel.start(cwd=str(cwd), env=env)
        except BaseException:
            await asyncio.shield(kernel.discard())
            raise
        finally:
            self._starting.discard(kernel)
        self._kernels[kernel.id] = kernel
        log.info("kernel %s (%s) started in %s", kernel.id, name, cwd)
        return kernel

    def _manager(self, name: str) -> Any:
        import zmq.asyncio
        from jupyter_client.manager import AsyncKernelManager

        if self._context is None:
            self._context = zmq.asyncio.Context()
        return AsyncKernelManager(
            kernel_id=str(uuid.uuid4()),
            kernel_name=name,
            kernel_spec_manager=self.specs.manager(),
            context=self._context,
        )

    async def shutdown(self, kernel_id: str) -> None:
        """Stop a kernel and close its clients."""
        kernel = self.get(kernel_id)
        del self._kernels[kernel.id]
        await kernel.shutdown()
        log.info("kernel %s shut down", kernel.id)

    async def interrupt(self, kernel_id: str) -> None:
        """Interrupt what the kernel is running."""
        await self.get(kernel_id).interrupt()

    async def restart(self, kernel_id: str) -> Kernel:
        """Restart a kernel in place: same id, same clients, fresh state."""
        kernel = self.get(kernel_id)
        await kernel.restart()
        return kernel

    def connect(
        self, kernel_id: str, session_id: str, sink: ClientSink, protocol: str | None
    ) -> ChannelSession:
        """Attach a client to a kernel's channels (resuming ``session_id`` if it was away)."""
        return self.get(kernel_id).open_session(session_id, sink, protocol)

    async def aclose(self) -> None:
        """Shut every kernel down concurrently, then close the ZMQ context."""
        self._closed = True
        kernels = [*self._kernels.values(), *self._starting]
        self._kernels.clear()
        results = await asyncio.gather(*(k.shutdown() for k in kernels), return_exceptions=True)
        for kernel, result in zip(kernels, results, strict=True):
            if isinstance(result, BaseException):
                log.error("kernel %s did not shut down: %r", kernel.id, result)
        if self._context is not None:
            self._context.destroy(linger=0)
            self._context = None

"""The kernel service: start, find, interrupt, restart and stop kernels.

Kernels are started in their own session, independent of the server process, and
each running kernel is recorded in the state directory (``records``). A server
killed with SIGKILL leaves its kernels running; the next start on the same state
directory adopts every recorded kernel whose process is still the same process,
under the same id. A graceful stop shuts kernels down, unless ``keep_on_exit``
asks to leave them running for the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

from carnet.errors import InvalidPath, KernelError, KernelStartFailed, NotFound
from carnet.kernels.channels import ChannelSession, ClientSink
from carnet.kernels.kernel import Kernel, KernelId
from carnet.kernels.records import (
    KernelRecord,
    RecordStore,
    is_same_process,
    process_start_time,
)
from carnet.kernels.specs import KernelSpecs
from carnet.settings import KernelsSettings

log = logging.getLogger("carnet.kernels")

#: Longest wait for an adopted kernel's first kernel_info reply, in seconds.
ADOPT_TIMEOUT = 10.0


class KernelService:
    """Every kernel this server runs; ``aclose()`` stops them all and leaves no process behind
    (unless ``keep_on_exit``: then they run on, recorded, for the next start)."""

    def __init__(
        self, settings: KernelsSettings, root: Path, state_dir: Path | None = None
    ) -> None:
        self.settings = settings
        self.root = root
        #: Where running kernels are recorded (None: nowhere, nothing survives the process).
        self.records = RecordStore(state_dir) if state_dir is not None else None
        self._logs: dict[KernelId, Any] = {}
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
        kernel.on_launch = self._record
        output = self._open_log(kernel.id)
        self._starting.add(kernel)
        try:
            # independent: no JPY_PARENT_PID, so the kernel does not exit when the server dies.
            await kernel.start(
                cwd=str(cwd),
                env=env,
                independent=True,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=output,
            )
        except BaseException:
            await asyncio.shield(kernel.discard())
            self._close_log(kernel.id, remove=True)
            raise
        finally:
            self._starting.discard(kernel)
        self._kernels[kernel.id] = kernel
        log.info("kernel %s (%s) started in %s", kernel.id, name, cwd)
        return kernel

    def _manager(self, name: str, kernel_id: str | None = None) -> Any:
        import zmq.asyncio
        from jupyter_client.manager import AsyncKernelManager

        if self._context is None:
            self._context = zmq.asyncio.Context()
        return AsyncKernelManager(
            kernel_id=kernel_id or str(uuid.uuid4()),
            kernel_name=name,
            kernel_spec_manager=self.specs.manager(),
            context=self._context,
        )

    def _open_log(self, kernel_id: str) -> Any:
        """Where the kernel process writes its own stdout and stderr.

        Not the server's terminal: a kernel that outlives the server must not hold
        its output pipe open, nor die writing to it once it is closed.
        """
        if self.records is None:
            return subprocess.DEVNULL
        try:
            self.records.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(
                self.records.directory / f"{kernel_id}.log",
                os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                0o600,
            )
        except OSError as exc:
            log.warning("kernel %s writes its output nowhere: %s", kernel_id, exc)
            return subprocess.DEVNULL
        handle = os.fdopen(fd, "ab")
        self._logs[KernelId(kernel_id)] = handle
        return handle

    def _close_log(self, kernel_id: KernelId, remove: bool) -> None:
        handle = self._logs.pop(kernel_id, None)
        if handle is not None:
            handle.close()
        if remove and self.records is not None:
            with contextlib.suppress(OSError):
                (self.records.directory / f"{kernel_id}.log").unlink()

    def _record(self, kernel: Kernel) -> None:
        """Write the record a later server adopts the kernel from (after every launch)."""
        pid = kernel.pid
        start = process_start_time(pid) if pid is not None else None
        if self.records is None or pid is None or start is None:
            return
        info = kernel.manager.get_connection_info(session=False)
        connection = {k: v.decode() if isinstance(v, bytes) else v for k, v in info.items()}
        launch = kernel.manager._launch_args or {}
        env = launch.get("env") or {}
        record = KernelRecord(
            kernel_id=kernel.id,
            name=kernel.name,
            connection=connection,
            pid=pid,
            start_time=start,
            cwd=str(launch.get("cwd") or self.root),
            session_name=str(env.get("JPY_SESSION_NAME", "")),
        )
        try:
            self.records.write(record)
        except KernelError as exc:
            log.warning("kernel %s will not survive a crash: %s", kernel.id, exc.message)

    async def adopt(self) -> int:
        """Take over the recorded kernels that still run; forget the records of the others.

        Returns how many kernels were adopted.
        """
        if self.records is None:
            return 0
        records = self.records.load()
        adopted = await asyncio.gather(*(self._adopt(r) for r in records))
        return sum(1 for k in adopted if k is not None)

    async def _adopt(self, record: KernelRecord) -> Kernel | None:
        assert self.records is not None
        if not is_same_process(record.pid, record.start_time):
            log.info("kernel %s (pid %d) is gone; forgetting it", record.kernel_id, record.pid)
            self.records.remove(record.kernel_id)
            self._close_log(KernelId(record.kernel_id), remove=True)
            return None
        from carnet.kernels.adopted import AdoptedProvisioner

        manager = self._manager(record.name, record.kernel_id)
        manager.load_connection_info(record.connection)
        try:
            spec = manager.kernel_spec
        except Exception as exc:
            # Adopted anyway (it runs); only a restart needs the spec.
            log.warning("kernel %s: spec %r unavailable: %s", record.kernel_id, record.name, exc)
            spec = None
        provisioner = AdoptedProvisioner(
            kernel_id=record.kernel_id, kernel_spec=spec, parent=manager
        )
        provisioner.adopt(record.pid, record.start_time, record.connection)
        manager.provisioner = provisioner
        # As start_kernel would have: a later restart then gets a fresh readiness future.
        manager._attempted_start = True
        env = dict(os.environ)
        if record.session_name:
            env["JPY_SESSION_NAME"] = record.session_name
        # What a restart of the adopted kernel launches it with.
        manager._launch_args = {
            "cwd": record.cwd,
            "env": env,
            "independent": True,
            "stdin": subprocess.DEVNULL,
            "stdout": self._open_log(record.kernel_id),
            "stderr": self._logs.get(KernelId(record.kernel_id), subprocess.DEVNULL),
        }
        kernel = Kernel(
            manager,
            record.name,
            restart_dead=self.settings.restart_dead,
            startup_timeout=self.settings.startup_timeout,
            reconnect_window=self.settings.reconnect_window,
        )
        kernel.on_launch = self._record
        try:
            await kernel.adopt(min(self.settings.startup_timeout, ADOPT_TIMEOUT))
        except KernelStartFailed as exc:
            # Ours (same pid, same start time) but deaf: stop it rather than leave it orphaned.
            log.warning("kernel %s (pid %d) does not answer: %s", kernel.id, record.pid, exc)
            await kernel.discard()
            self.records.remove(record.kernel_id)
            self._close_log(kernel.id, remove=True)
            return None
        self._kernels[kernel.id] = kernel
        log.info("kernel %s (%s, pid %d) adopted", kernel.id, kernel.name, record.pid)
        return kernel

    def _forget(self, kernel: Kernel) -> None:
        if self.records is not None:
            self.records.remove(kernel.id)
        self._close_log(kernel.id, remove=True)

    async def shutdown(self, kernel_id: str) -> None:
        """Stop a kernel and close its clients."""
        kernel = self.get(kernel_id)
        del self._kernels[kernel.id]
        await kernel.shutdown()
        self._forget(kernel)
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
        """Shut every kernel down concurrently (or leave them running when
        ``keep_on_exit``), then close the ZMQ context."""
        self._closed = True
        kernels = [*self._kernels.values(), *self._starting]
        self._kernels.clear()
        keep = self.settings.keep_on_exit and self.records is not None
        if keep:
            results = await asyncio.gather(*(k.detach() for k in kernels), return_exceptions=True)
        else:
            results = await asyncio.gather(*(k.shutdown() for k in kernels), return_exceptions=True)
        for kernel, result in zip(kernels, results, strict=True):
            if isinstance(result, BaseException):
                log.error("kernel %s did not shut down: %r", kernel.id, result)
            elif keep:
                log.info("kernel %s left running for the next start", kernel.id)
            else:
                self._forget(kernel)
        for kernel_id in list(self._logs):
            self._close_log(kernel_id, remove=False)
        if self._context is not None:
            self._context.destroy(linger=0)
            self._context = None

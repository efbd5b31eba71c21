"""A provisioner for a kernel process this server did not start (it outlived the last one).

jupyter_client's LocalProvisioner manages a ``Popen`` child. A kernel adopted from
a record is no child of this process: all there is is its pid (and its process
group, which is its own since kernels start in a new session). Until the kernel
is restarted it is watched, signalled and killed by pid, checked against its
recorded start time so a pid reused by another program is never signalled. A
restart launches a new child the ordinary way, and from then on this behaves as
a LocalProvisioner. Imported only when a kernel is adopted (it imports jupyter_client).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from typing import Any

from jupyter_client.provisioning.local_provisioner import LocalProvisioner

from carnet.kernels.records import is_same_process

#: How often an adopted process is checked while something waits for it to exit.
WAIT_STEP = 0.1


class AdoptedProvisioner(LocalProvisioner):
    """A LocalProvisioner that can also manage a process known only by pid."""

    adopted_pid: int | None = None
    adopted_start: int = 0

    def adopt(self, pid: int, start_time: int, connection: dict[str, Any]) -> None:
        """Take over the live process ``pid`` (started at ``start_time``)."""
        self.adopted_pid = pid
        self.adopted_start = start_time
        self.pid = pid
        self.pgid = pid
        self.connection_info = connection  # type: ignore[assignment]
        # The kernel's ports are taken already: a restart must reuse them, not pick new ones
        # (every socket carnet holds is connected to these).
        self.ports_cached = True

    def _adopted_alive(self) -> bool:
        pid = self.adopted_pid
        return pid is not None and is_same_process(pid, self.adopted_start)

    @property
    def has_process(self) -> bool:
        if self.process is not None:
            return True
        return self.adopted_pid is not None

    async def poll(self) -> int | None:
        """None while the process runs, else an exit code (unknown for an adopted one: -1)."""
        if self.process is not None or self.adopted_pid is None:
            return await super().poll()
        return None if self._adopted_alive() else -1

    async def wait(self) -> int | None:
        """Return once the process has exited."""
        if self.process is not None or self.adopted_pid is None:
            return await super().wait()
        while True:
            if not self._adopted_alive():
                break
            await asyncio.sleep(WAIT_STEP)
        self.adopted_pid = None
        return -1

    async def send_signal(self, signum: int) -> None:
        """Signal the kernel's process group (its own session), else the process."""
        if self.process is not None or self.adopted_pid is None:
            await super().send_signal(signum)
            return
        self._signal(signum)

    def _signal(self, signum: int) -> None:
        pid = self.adopted_pid
        if pid is None or not self._adopted_alive():
            return
        with contextlib.suppress(ProcessLookupError):
            try:
                os.killpg(pid, signum)
            except PermissionError:
                os.kill(pid, signum)

    async def kill(self, restart: bool = False) -> None:
        """SIGKILL the kernel."""
        if self.process is not None or self.adopted_pid is None:
            await super().kill(restart)
            return
        self._signal(signal.SIGKILL)

    async def terminate(self, restart: bool = False) -> None:
        """SIGTERM the kernel."""
        if self.process is not None or self.adopted_pid is None:
            await super().terminate(restart)
            return
        self._signal(signal.SIGTERM)

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        """Launch a new child (a restart): the adopted process is gone by now."""
        self.adopted_pid = None
        return await super().launch_kernel(cmd, **kwargs)

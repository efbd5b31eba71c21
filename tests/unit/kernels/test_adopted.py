"""The provisioner of an adopted kernel: a process known only by its pid and start time."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys

from carnet.kernels.adopted import AdoptedProvisioner
from carnet.kernels.records import process_start_time


def sleeper() -> subprocess.Popen[bytes]:
    # Its own session, as kernels are started: the provisioner signals the process group.
    return subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
    )


def adopted(pid: int, start: int) -> AdoptedProvisioner:
    provisioner = AdoptedProvisioner(kernel_id="k", kernel_spec=None)
    provisioner.adopt(pid, start, {"shell_port": 1})
    return provisioner


def test_an_adopted_process_is_watched_and_killed_by_pid() -> None:
    proc = sleeper()
    try:
        start = process_start_time(proc.pid)
        assert start is not None
        provisioner = adopted(proc.pid, start)

        async def scenario() -> int | None:
            assert provisioner.has_process
            assert await provisioner.poll() is None
            await provisioner.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(provisioner.wait(), 10)
            assert not provisioner.has_process
            return code

        assert asyncio.run(scenario()) == -1
        assert proc.wait(timeout=10) == -signal.SIGTERM
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_a_reused_pid_is_never_signalled() -> None:
    proc = sleeper()
    try:
        start = process_start_time(proc.pid)
        assert start is not None
        # The record's start time is not this process's: the pid was given to another program.
        provisioner = adopted(proc.pid, start - 1)

        async def scenario() -> int | None:
            await provisioner.kill()
            await provisioner.terminate()
            return await provisioner.poll()

        assert asyncio.run(scenario()) == -1
        assert proc.poll() is None, "a process that was not the kernel got a signal"
    finally:
        proc.kill()
        proc.wait(timeout=10)

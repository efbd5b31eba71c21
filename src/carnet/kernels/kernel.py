"""One running kernel: its process, its shared iopub stream, its client sessions.

The process is launched, interrupted, restarted and stopped through jupyter_client's
AsyncKernelManager (and so through its provisioners). carnet reads the kernel's
sockets itself: one iopub SUB per kernel, read continuously with no high-water mark
so no output is ever dropped, fanned out to every session and used to track the
execution state. A watcher notices when the process dies, tells the clients, and
restarts it when the settings say so.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NewType

import orjson

from carnet.errors import InvalidInput, KernelDied, KernelError, KernelStartFailed
from carnet.kernels import wire
from carnet.kernels.channels import ChannelSession, ClientSink, EncodeCache

log = logging.getLogger("carnet.kernels")

KernelId = NewType("KernelId", str)

#: How long one kernel_info round waits before asking again while a kernel starts.
READY_STEP = 0.25
#: How often a kernel whose process cannot be waited on (no pidfd) is polled.
POLL_INTERVAL = 1.0
#: After a kernel dies, wait until iopub is quiet for DRAIN_QUIET s (at most DRAIN_ROUNDS times).
DRAIN_QUIET = 0.02
DRAIN_ROUNDS = 10
#: A kernel that dies this many times within RESTART_SPAN seconds stays dead.
RESTART_LIMIT = 5
RESTART_SPAN = 60.0


class Kernel:
    """A kernel process and everything carnet keeps about it."""

    def __init__(
        self,
        manager: Any,
        name: str,
        *,
        restart_dead: bool,
        startup_timeout: float,
        reconnect_window: float,
    ) -> None:
        self.manager = manager
        self.id = KernelId(manager.kernel_id)
        self.name = name
        self.last_activity = datetime.now(UTC)
        self.execution_state = "starting"
        self.sessions: dict[str, ChannelSession] = {}
        self.signer = wire.Signer(b"", "hmac-sha256")
        self._restart_dead = restart_dead
        self._startup_timeout = startup_timeout
        self._reconnect_window = reconnect_window
        self._session = uuid.uuid4().hex
        self._lock = asyncio.Lock()
        self._iopub: Any = None
        self._iopub_task: asyncio.Task[None] | None = None
        self._iopub_seen = asyncio.Event()
        self._monitor: asyncio.Task[None] | None = None
        self._closers: set[asyncio.Task[None]] = set()
        self._deaths: list[float] = []
        self._closing = False
        self._iopub_count = 0
        #: Called after every launch (start, restart): the process id has changed.
        self.on_launch: Callable[[Kernel], None] | None = None
        #: Whether this kernel was started by an earlier server process.
        self.adopted = False

    @property
    def pid(self) -> int | None:
        """The kernel's process id, when it runs as a local process."""
        pid = getattr(self.manager.provisioner, "pid", None)
        return pid if isinstance(pid, int) else None

    @property
    def connections(self) -> int:
        return sum(1 for s in self.sessions.values() if s.sink is not None)

    def model(self) -> dict[str, Any]:
        """The Jupyter Server REST model of this kernel."""
        return {
            "id": self.id,
            "name": self.name,
            "last_activity": self.last_activity,
            "execution_state": self.execution_state,
            "connections": self.connections,
        }

    def touch(self) -> None:
        self.last_activity = datetime.now(UTC)

    # -- lifecycle ---------------------------------------------------------------------
    async def start(self, **launch: Any) -> None:
        """Launch the process and wait until it answers on shell and publishes on iopub."""
        try:
            await self.manager.start_kernel(**launch)
        except OSError as exc:
            argv = self.manager.kernel_spec.argv if self.manager.kernel_spec else []
            command = argv[0] if argv else "?"
            raise KernelStartFailed(
                f"kernel {self.name!r} could not start: {command}: {exc.strerror or exc}"
            ) from exc
        except Exception as exc:
            raise KernelStartFailed(f"kernel {self.name!r} could not start: {exc}") from exc
        self._open_iopub()
        await self._wait_ready()
        self._launched()
        self._monitor = asyncio.create_task(self._watch(), name="kernel-watch")

    async def adopt(self, limit: float) -> None:
        """Take over a running kernel whose manager was set up from its connection info.

        kernel_info goes to the control channel: shell requests queue behind a cell
        that is still running, control ones are answered at once.
        """
        self.adopted = True
        self._open_iopub()
        try:
            await self._wait_ready(channel="control", limit=limit)
        except KernelStartFailed:
            # Kernels that answer kernel_info on shell only, busy with a long cell: the
            # heartbeat (an echo every kernel runs beside its main loop) says it lives.
            if not await self._beats(limit):
                raise
            log.info("kernel %s answers its heartbeat only; adopted as busy", self.id)
            self.execution_state = "busy"
        self._monitor = asyncio.create_task(self._watch(), name="kernel-watch")

    async def _beats(self, limit: float) -> bool:
        """Whether the kernel echoes a heartbeat within ``limit`` seconds."""
        sock = self.manager.connect_hb()
        sock.linger = 0
        try:
            await sock.send(b"carnet")
            reply = await asyncio.wait_for(sock.recv(), limit)
        except Exception:
            # A timeout, or a zmq error: either way no heartbeat.
            return False
        finally:
            sock.close(linger=0)
        return bool(reply == b"carnet")

    def _open_iopub(self) -> None:
        session = self.manager.session
        self.signer = wire.Signer(session.key, session.signature_scheme)
        self._iopub = self.manager.connect_iopub()
        # No high-water mark: a burst of output is queued here rather than dropped.
        self._iopub.rcvhwm = 0
        self._iopub_task = asyncio.create_task(self._read_iopub(), name="kernel-iopub")

    def _launched(self) -> None:
        if self.on_launch is not None:
            self.on_launch(self)

    async def _wait_ready(self, channel: str = "shell", limit: float | None = None) -> None:
        """Ask kernel_info until it is answered and iopub carries messages (the SUB joined)."""
        self._iopub_seen.clear()
        loop = asyncio.get_running_loop()
        if limit is None:
            limit = self._startup_timeout
        deadline = loop.time() + limit
        shell = self.connect_socket(channel, uuid.uuid4().hex.encode())
        try:
            while True:
                code = await self.manager.provisioner.poll() if self.manager.provisioner else 0
                if code is not None:
                    raise KernelStartFailed(
                        f"kernel {self.name!r} exited during startup (exit code {code})"
                    )
                if loop.time() > deadline:
                    raise KernelStartFailed(
                        f"kernel {self.name!r} did not answer within {limit:g} s"
                    )
                request = wire.new_message("kernel_info_request", {}, self._session)
                await shell.send_multipart(wire.to_kernel(request, self.signer))
                try:
                    await asyncio.wait_for(shell.recv_multipart(), READY_STEP * 4)
                    await asyncio.wait_for(self._iopub_seen.wait(), READY_STEP)
                except TimeoutError:
                    continue
                self.execution_state = "idle"
                return
        finally:
            shell.close(linger=0)

    async def interrupt(self) -> None:
        """Interrupt the running cell (by signal or message, as the spec says)."""
        if self.execution_state == "dead":
            raise KernelDied(f"kernel {self.id} is dead")
        try:
            await self.manager.interrupt_kernel()
        except Exception as exc:
            raise KernelError(f"could not interrupt kernel {self.id}: {exc}") from exc

    async def restart(self) -> None:
        """Restart the process (same ports, same sessions); a new, empty kernel state."""
        async with self._lock:
            await self._stop_watching()
            self._notify_status("restarting")
            try:
                await self._relaunch(now=False)
            except KernelStartFailed:
                self._notify_status("dead")
                raise
            self._monitor = asyncio.create_task(self._watch(), name="kernel-watch")

    async def _relaunch(self, now: bool) -> None:
        self._iopub_seen.clear()
        try:
            await self.manager.restart_kernel(now=now)
        except Exception as exc:
            raise KernelStartFailed(f"kernel {self.name!r} could not restart: {exc}") from exc
        await self._wait_ready()
        self._launched()
        # The new process's own idle may have gone out before the iopub SUB rejoined it:
        # tell clients explicitly that the restarted kernel is ready.
        self._notify_status("idle")

    async def shutdown(self, now: bool = False) -> None:
        """Stop the process and close every socket and client session."""
        async with self._lock:
            self._closing = True
            await self._stop_watching()
            try:
                await self.manager.shutdown_kernel(now=now)
            except Exception:
                log.exception("kernel %s did not shut down cleanly", self.id)
            self.execution_state = "dead"
            await self._close_channels()

    async def detach(self) -> None:
        """Stop talking to the kernel and leave its process running (for the next server)."""
        async with self._lock:
            self._closing = True
            await self._stop_watching()
            await self._close_channels()

    async def discard(self) -> None:
        """Clean up after a failed start: kill the process, close whatever was opened."""
        self._closing = True
        await self._stop_watching()
        try:
            await self.manager.shutdown_kernel(now=True)
        except Exception as exc:
            log.debug("cleaning up kernel %s: %s", self.id, exc)
        await self._close_channels()

    async def _close_channels(self) -> None:
        await asyncio.gather(*(s.aclose() for s in list(self.sessions.values())))
        self.sessions.clear()
        if self._iopub_task is not None:
            self._iopub_task.cancel()
            await asyncio.gather(self._iopub_task, return_exceptions=True)
        if self._iopub is not None:
            self._iopub.close(linger=0)
        if self._closers:
            await asyncio.gather(*self._closers, return_exceptions=True)

    # -- death -------------------------------------------------------------------------
    async def _stop_watching(self) -> None:
        task, self._monitor = self._monitor, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _watch(self) -> None:
        while True:
            await self._wait_exit()
            await self._drain_iopub()
            async with self._lock:
                if self._closing:
                    return
                code = await self.manager.provisioner.poll() if self.manager.provisioner else None
                log.warning("kernel %s (%s) died (exit code %s)", self.id, self.name, code)
                now = time.monotonic()
                self._deaths = [t for t in self._deaths if now - t < RESTART_SPAN] + [now]
                if not self._restart_dead or len(self._deaths) > RESTART_LIMIT:
                    self._notify_status("dead")
                    return
                self._notify_status("restarting")
                try:
                    await self._relaunch(now=True)
                except KernelStartFailed as exc:
                    log.error("kernel %s could not be restarted: %s", self.id, exc.message)
                    self._notify_status("dead")
                    return
                log.info("kernel %s restarted", self.id)

    async def _wait_exit(self) -> None:
        """Return when the kernel process exits: a pidfd when the OS has one, else polling."""
        provisioner = self.manager.provisioner
        pid = getattr(provisioner, "pid", None)
        if isinstance(pid, int) and hasattr(os, "pidfd_open"):
            try:
                fd = os.pidfd_open(pid)
            except OSError:
                return
            loop = asyncio.get_running_loop()
            exited = loop.create_future()
            loop.add_reader(fd, _resolve, exited)
            try:
                await exited
            finally:
                loop.remove_reader(fd)
                os.close(fd)
            return
        while True:
            if not await self.manager.is_alive():
                return
            await asyncio.sleep(POLL_INTERVAL)

    async def _drain_iopub(self) -> None:
        """Let the reader forward what the dead process sent last, so 'dead' comes after it."""
        for _ in range(DRAIN_ROUNDS):
            seen = self._iopub_count
            await asyncio.sleep(DRAIN_QUIET)
            if self._iopub_count == seen:
                return

    def _notify_status(self, state: str) -> None:
        """Tell every client the kernel's state changed, as a kernel status message would."""
        self.execution_state = state
        msg = wire.new_message("status", {"execution_state": state}, self._session)
        self._fan_out("iopub", msg)

    # -- channels ----------------------------------------------------------------------
    def connect_socket(self, channel: str, identity: bytes | None = None) -> Any:
        """A new asyncio ZMQ socket connected to one of the kernel's channels."""
        connect = getattr(self.manager, f"connect_{channel}")
        sock = connect(identity=identity) if channel != "iopub" else connect()
        sock.linger = 0
        return sock

    def open_session(
        self, session_id: str, sink: ClientSink, protocol: str | None
    ) -> ChannelSession:
        """Attach a client; the same ``session_id`` within the reconnect window resumes."""
        if self.execution_state == "dead" and self._closing:
            raise KernelDied(f"kernel {self.id} is shut down")
        keep = bool(session_id)
        key = session_id or uuid.uuid4().hex
        session = self.sessions.get(key)
        if session is None or session.closed:
            session = ChannelSession(self, key, keep)
            self.sessions[key] = session
        session.attach(sink, protocol)
        return session

    def close_session(self, session: ChannelSession) -> None:
        """Forget a session (its client left for good, or its reconnect window closed)."""
        if self.sessions.get(session.session_id) is session:
            del self.sessions[session.session_id]
        task = asyncio.get_running_loop().create_task(session.aclose())
        self._closers.add(task)
        task.add_done_callback(self._closers.discard)

    @property
    def reconnect_window(self) -> float:
        return self._reconnect_window

    async def _read_iopub(self) -> None:
        sock, signer = self._iopub, self.signer
        while True:
            frames = await sock.recv_multipart()
            try:
                msg = wire.from_kernel(frames, signer)
                if msg.msg_type == "status":
                    state = orjson.loads(msg.content).get("execution_state")
                    # Dead is final until a restart: output read late must not revive it.
                    if isinstance(state, str) and self.execution_state != "dead":
                        self.execution_state = state
            except (InvalidInput, orjson.JSONDecodeError, AttributeError) as exc:
                log.warning("dropped a message from kernel %s on iopub: %s", self.id, exc)
                continue
            self._iopub_seen.set()
            self._iopub_count += 1
            self.touch()
            self._fan_out("iopub", msg)

    def _fan_out(self, channel: str, msg: wire.Message) -> None:
        cache: EncodeCache = {}
        for session in self.sessions.values():
            session.deliver(channel, msg, cache)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)

"""Server-side execution: an open notebook as one more client of its kernel.

A client asks to run cells; the sources are taken from the document at that moment,
each cell is recorded as ``queued`` and its ``execute_request`` goes to the kernel
of the notebook's session (started when there is none). Every message the kernel
sends about that request is appended to the output journal and passed on to the
connected clients. A run is over when both its ``execute_reply`` and the kernel's
``idle`` status for it have arrived; its reply is then recorded last, so the
finished state follows every output. Runs cut short (the kernel restarted or died,
the server stopped) are recorded as errors that say why.

A server killed during a run leaves its kernel running; the next start adopts the
kernel, and the notebook, reopened, resumes its runs (``recover``): each request
was sent with its execution id as message id, so what the kernel still sends about
it is recognised. Its reply went to the dead server's socket, so a resumed run ends
at the kernel's ``idle`` for it. Runs of a kernel that did not survive are recorded
as cut short.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import TYPE_CHECKING, Any

import orjson

from carnet.documents import notebook as nbdoc
from carnet.documents.outputs import STATE
from carnet.documents.runs import (
    RECORDED,
    SUPERSEDED,
    Run,
    record_lost,
    resumed_reply,
    unfinished,
)
from carnet.errors import CarnetError, Conflict, InvalidInput, NotFound
from carnet.kernels import V1_PROTOCOL, wire

if TYPE_CHECKING:
    from carnet.documents.live import OpenNotebook
    from carnet.kernels import ChannelSession, Kernel, KernelService
    from carnet.sessions import SessionService

log = logging.getLogger("carnet.documents")


class Executions:
    """The notebook's link to its kernel (see the module docstring); a ``ClientSink``."""

    def __init__(
        self, notebook: OpenNotebook, sessions: SessionService, kernels: KernelService
    ) -> None:
        self.nb = notebook
        self._sessions = sessions
        self._kernels = kernels
        self._kernel: Kernel | None = None
        self._channel: ChannelSession | None = None
        self._session = uuid.uuid4().hex
        self._runs: dict[str, Run] = {}
        # Runs recorded as queued whose request has not gone to the kernel yet, by cell.
        self._queued: dict[str, Run] = {}
        self._requests: dict[str, asyncio.Future[dict[str, Any]]] = {}
        # Requests whose ``idle`` on iopub says every earlier request is done.
        self._barriers: dict[str, asyncio.Future[None]] = {}
        self._resume: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        #: The pending ``input()`` prompt: its request id, the kernel's header, the cell.
        self.input: dict[str, Any] | None = None
        self._input_header: dict[str, Any] = {}
        self.kernel_state = "none"

    @property
    def busy(self) -> bool:
        """Whether runs are queued or running, or an ``input()`` waits for an answer."""
        return bool(self._runs or self._queued or self._requests or self.input)

    # -- the kernel ------------------------------------------------------------------------
    async def _link(self) -> ChannelSession:
        async with self._lock:
            session = self._sessions.find(self.nb.path)
            if session is None:
                session = await self._create_session()
            kernel = self._kernels.get(session.kernel_id)
            channel = self._channel
            if self._kernel is not kernel or channel is None or channel.closed:
                if channel is not None and self._kernel is not None:
                    self._kernel.close_session(channel)
                if self._kernel is not None:
                    self._fail_runs("the notebook's kernel was replaced")
                channel = self._kernels.connect(kernel.id, "", self, V1_PROTOCOL)
                self._kernel, self._channel = kernel, channel
                self._set_state(kernel.execution_state)
                # An adopted kernel may still run a cell a dead server sent: shell requests
                # wait behind it, control ones are answered at once.
                await self._handshake("control" if kernel.adopted else "shell")
            return channel

    async def _handshake(self, channel: str) -> None:
        """One round trip on the new sockets before any request.

        ZMQ connects in the background; a kernel's ``input_request`` sent to a stdin
        socket that has not finished connecting is dropped, and the cell then waits
        forever. By the time a reply has come back, stdin is connected too.
        """
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        msg_id = self._send(channel, "kernel_info_request", {})
        self._requests[msg_id] = future
        try:
            await asyncio.wait_for(future, self._kernels.settings.startup_timeout)
        except TimeoutError:
            log.warning("the kernel of %s did not answer kernel_info", self.nb.path)
        finally:
            self._requests.pop(msg_id, None)

    async def _create_session(self) -> Any:
        meta = nbdoc.meta(self.nb.doc).to_py() or {}
        spec = (meta.get("metadata") or {}).get("kernelspec") or {}
        name = spec.get("name") if isinstance(spec.get("name"), str) else None
        try:
            session, _ = await self._sessions.create(self.nb.path, "notebook", kernel_name=name)
        except NotFound:
            # The notebook names a kernel that is not installed here: use the default.
            session, _ = await self._sessions.create(self.nb.path, "notebook")
        return session

    def _send(
        self,
        channel: str,
        msg_type: str,
        content: dict[str, Any],
        parent: dict[str, Any] | None = None,
        msg_id: str | None = None,
    ) -> str:
        if self._channel is None:
            raise Conflict("the notebook has no kernel")
        msg = wire.new_message(msg_type, content, self._session, parent, msg_id)
        frame, _ = wire.to_client(msg, channel, V1_PROTOCOL)
        self._channel.from_client(frame)
        return str(msg.header_dict()["msg_id"])

    def _set_state(self, state: str) -> None:
        if state != self.kernel_state:
            self.kernel_state = state
            self.nb.broadcast({"type": "kernel_status", "execution_state": state})

    # -- requests from clients -------------------------------------------------------------
    def queue(self, cell_ids: list[str]) -> list[tuple[Run, str]]:
        """Record the code cells among ``cell_ids`` as queued; return them with their sources."""
        if not isinstance(cell_ids, list) or not all(isinstance(c, str) for c in cell_ids):
            raise InvalidInput("cell_ids must be a list of cell ids")
        queued = []
        ycells = {str(c["id"]): c for c in nbdoc.cells(self.nb.doc)}
        active = {run.cell_id: run for run in self._runs.values()}
        for cell_id in cell_ids:
            ycell = ycells.get(cell_id)
            if ycell is None:
                raise NotFound(f"no cell with id {cell_id}")
            if ycell["cell_type"] != "code":
                continue
            earlier = active.get(cell_id) or self._queued.get(cell_id)
            if earlier is not None:
                # The cell shows its newest run; what an earlier one still prints is kept
                # in the journal under a name no cell has, never mixed into the new run.
                earlier.cell_id = SUPERSEDED + cell_id
            run = Run(cell_id, uuid.uuid4().hex)
            self._queued[cell_id] = run
            self.nb.record(cell_id, run.execution_id, STATE, {"state": "queued"})
            queued.append((run, str(ycell["source"])))
        return queued

    async def submit(self, queued: list[tuple[Run, str]]) -> None:
        """Send queued runs to the kernel, in order (starting the kernel if needed)."""
        if not queued:
            return
        try:
            await self._link()
        except Exception as exc:
            message = getattr(exc, "message", None) or "the kernel could not be started"
            for run, _ in queued:
                self._runs[run.execution_id] = run
                self._queued.pop(run.cell_id, None)
            self._fail_runs(message, ename="KernelStartFailed")
            raise
        for run, code in queued:
            if self._queued.get(run.cell_id) is run:
                del self._queued[run.cell_id]
            content = {
                "code": code,
                "silent": False,
                "store_history": True,
                "user_expressions": {},
                "allow_stdin": True,
                "stop_on_error": True,
            }
            # The execution id as message id: a later server can tell what the kernel sends
            # about this run from what the journal recorded.
            self._runs[self._send("shell", "execute_request", content, None, run.execution_id)] = (
                run
            )

    async def request(self, msg_type: str, content: dict[str, Any]) -> dict[str, Any]:
        """Send a shell request (completion, inspection) and wait for its reply's content."""
        await self._link()
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        msg_id = self._send("shell", msg_type, content)
        self._requests[msg_id] = future
        try:
            return await future
        finally:
            self._requests.pop(msg_id, None)

    async def interrupt(self) -> None:
        """Interrupt the notebook's kernel."""
        await self._link()
        assert self._kernel is not None
        await self._kernels.interrupt(self._kernel.id)

    async def restart(self) -> None:
        """Restart the notebook's kernel; runs in progress are recorded as cut short."""
        await self._link()
        # Held during the restart: runs asked for meanwhile wait for the new kernel.
        async with self._lock:
            assert self._kernel is not None
            self._fail_runs("the kernel was restarted")
            await self._kernels.restart(self._kernel.id)

    def input_reply(self, request_id: str, value: str) -> bool:
        """Answer the pending ``input()``; False when it was answered already."""
        pending = self.input
        if pending is None or pending["request_id"] != request_id or self._channel is None:
            return False
        if not isinstance(value, str):
            raise InvalidInput("value must be a string")
        self.input = None
        self._send("stdin", "input_reply", {"value": value}, parent=self._input_header)
        self.nb.broadcast({"type": "input_done", "request_id": request_id})
        return True

    def recover(self) -> None:
        """Resume the runs a stopped server left queued or running, if their kernel survived.

        Otherwise they are recorded as cut short.
        """
        journal = self.nb.journal
        if journal is None:
            return
        pending = unfinished(journal)
        if not pending:
            return
        for run in pending:
            self._runs[run.execution_id] = run
        if self._adopted_kernel():
            self._resume = asyncio.get_running_loop().create_task(
                self._resume_runs(), name="notebook-resume"
            )
            return
        self._fail_runs(
            "the server restarted while this cell was running; its output up to then is kept",
            ename="ServerRestarted",
        )

    def _adopted_kernel(self) -> bool:
        session = self._sessions.find(self.nb.path)
        if session is None:
            return False
        try:
            return self._kernels.get(session.kernel_id).adopted
        except NotFound:
            return False

    async def _resume_runs(self) -> None:
        """Link to the adopted kernel, then settle the runs it finished while no server ran."""
        try:
            await self._link()
        except CarnetError as exc:
            self._fail_runs(f"the kernel could not be reached again: {exc.message}")
            return
        # Shell requests run in order: once this one is idle, every resumed run has ended.
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        msg_id = self._send("shell", "kernel_info_request", {})
        self._barriers[msg_id] = done
        try:
            await done
        finally:
            self._barriers.pop(msg_id, None)
        for msg_id, run in list(self._runs.items()):
            if run.resumed:
                del self._runs[msg_id]
                record_lost(self.nb, run)

    def _fail_runs(self, reason: str, ename: str = "ExecutionInterrupted") -> None:
        runs, self._runs = self._runs, {}
        for run in runs.values():
            error = {"ename": ename, "evalue": reason, "traceback": [f"{ename}: {reason}"]}
            self.nb.record(run.cell_id, run.execution_id, "error", error)
            self.nb.record(run.cell_id, run.execution_id, STATE, {"state": "error"})
        if runs and self.input is not None:
            self.nb.broadcast({"type": "input_done", "request_id": self.input["request_id"]})
            self.input = None
        if runs:
            self.nb.schedule_save(min(0.5, self.nb.settings.autosave_delay))

    # -- ClientSink: messages from the kernel ----------------------------------------------
    def deliver(self, payload: bytes, binary: bool) -> bool:
        """Take one kernel message (v1 frame); always True (nothing is left to buffer)."""
        try:
            self._deliver(payload)
        except CarnetError as exc:
            # A full disk, say: this message is lost to the journal, the kernel link lives on.
            log.error("recording a kernel message for %s failed: %s", self.nb.path, exc.message)
        return True

    def _deliver(self, payload: bytes) -> None:
        try:
            channel, msg = wire.from_client(payload, V1_PROTOCOL)
            parent = orjson.loads(msg.parent_header) if msg.parent_header != b"{}" else {}
            msg_type = msg.msg_type
            parent_id = parent.get("msg_id") if isinstance(parent, dict) else None
            if (
                parent_id not in self._runs
                and parent_id not in self._requests
                and parent_id not in self._barriers
            ):
                if msg_type == "status" and channel == "iopub":
                    self._status(None, orjson.loads(msg.content))
                elif channel == "stdin" and msg_type == "input_request":
                    self._stdin(None, msg)
                return
            content = orjson.loads(msg.content)
        except (InvalidInput, orjson.JSONDecodeError) as exc:
            log.warning("dropped a kernel message for %s: %s", self.nb.path, exc)
            return
        if not isinstance(content, dict):
            return
        if channel == "iopub":
            if msg_type == "status":
                self._status(parent_id, content)
            elif msg_type in RECORDED:
                run = self._runs.get(parent_id or "")
                if run is not None:
                    self.nb.record(run.cell_id, run.execution_id, msg_type, content)
        elif channel == "stdin":
            self._stdin(parent_id, msg)
        else:
            self._reply(parent_id or "", msg_type, content)

    def disconnect(self) -> None:
        """The kernel is gone (shut down): runs in progress are cut short."""
        self._channel = None
        self._kernel = None
        self._fail_runs("the kernel was shut down")
        self._set_state("dead")

    def _status(self, parent_id: str | None, content: dict[str, Any]) -> None:
        state = content.get("execution_state")
        if not isinstance(state, str):
            return
        self._set_state(state)
        if state in ("restarting", "dead"):
            self._fail_runs(f"the kernel died ({state})")
            return
        barrier = self._barriers.get(parent_id or "")
        if barrier is not None and state == "idle" and not barrier.done():
            barrier.set_result(None)
        run = self._runs.get(parent_id or "")
        if run is not None and state == "idle":
            run.idle = True
            if run.resumed and run.reply is None:
                run.reply = resumed_reply(self.nb.opened_journal(), run)
            if run.reply is not None:
                self._finish(parent_id or "", run)

    def _reply(self, parent_id: str, msg_type: str, content: dict[str, Any]) -> None:
        future = self._requests.get(parent_id)
        if future is not None:
            if not future.done():
                future.set_result(content)
            return
        run = self._runs.get(parent_id)
        if run is None or msg_type != "execute_reply":
            return
        run.reply = content
        # An aborted request (an earlier cell failed) may get no busy/idle of its own.
        if run.idle or content.get("status") == "aborted":
            self._finish(parent_id, run)

    def _finish(self, msg_id: str, run: Run) -> None:
        self._runs.pop(msg_id, None)
        reply = run.reply or {}
        self.nb.record(run.cell_id, run.execution_id, "execute_reply", reply)
        if self.input is not None and self.input.get("cell_id") == run.cell_id:
            self.nb.broadcast({"type": "input_done", "request_id": self.input["request_id"]})
            self.input = None
        count = reply.get("execution_count")
        if isinstance(count, int):
            # A cell deleted while it ran keeps its outputs in the journal only.
            with contextlib.suppress(NotFound):
                self.nb.change(lambda doc: nbdoc.set_execution_count(doc, run.cell_id, count))
        self.nb.schedule_save(min(0.5, self.nb.settings.autosave_delay))

    def _stdin(self, parent_id: str | None, msg: wire.Message) -> None:
        if msg.msg_type != "input_request":
            return
        try:
            content = orjson.loads(msg.content)
        except orjson.JSONDecodeError:
            return
        run = self._runs.get(parent_id or "")
        self._input_header = msg.header_dict()
        self.input = {
            "type": "input_request",
            "request_id": uuid.uuid4().hex,
            "cell_id": run.cell_id if run is not None else None,
            "prompt": str(content.get("prompt", "")),
            "password": bool(content.get("password", False)),
        }
        self.nb.broadcast(self.input)

    async def aclose(self) -> None:
        """Stop being a client of the kernel; runs in progress are recorded as cut short.

        Unless the kernel is left running for the next server (``keep_on_exit``), which
        resumes them.
        """
        if self._resume is not None:
            self._resume.cancel()
            await asyncio.gather(self._resume, return_exceptions=True)
        if self._kernels.settings.keep_on_exit and self._kernels.records is not None:
            # Left as the journal has them (queued, running) for the next server to resume.
            self._runs.clear()
            self._queued.clear()
        else:
            self._fail_runs("the server stopped while this cell was running")
        for future in self._requests.values():
            if not future.done():
                future.cancel()
        if self._channel is not None and self._kernel is not None:
            self._kernel.close_session(self._channel)
        self._channel = None

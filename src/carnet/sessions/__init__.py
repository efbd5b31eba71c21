"""Sessions tie a path (a notebook, a console) to a kernel, as the Jupyter Server API does.

Sessions are kept in a small file in the state directory as well as in memory, so a
server started again after a crash finds the sessions of the kernels it adopted. A
session whose kernel was shut down (through ``/api/kernels``), or did not survive,
disappears from every listing. Renaming or moving a file keeps the sessions that
point at it (``path_moved``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NewType, Protocol

import orjson

from carnet.errors import AlreadyExists, InvalidInput, NotFound

SessionId = NewType("SessionId", str)

log = logging.getLogger("carnet.sessions")


class KernelModel(Protocol):
    @property
    def id(self) -> str:
        """The kernel's id."""
        ...

    def model(self) -> dict[str, Any]:
        """The kernel's REST model."""
        ...


class Kernels(Protocol):
    """What sessions need from the kernel service."""

    def get(self, kernel_id: str) -> KernelModel:
        """The running kernel with this id; NotFound when there is none."""
        ...

    async def start(self, name: str | None = None, path: str | None = None) -> KernelModel:
        """Start a kernel from the named spec (the default when None), in ``path``'s directory."""
        ...

    async def shutdown(self, kernel_id: str) -> None:
        """Stop the kernel and forget it."""
        ...


@dataclass
class Session:
    id: SessionId
    path: str
    name: str
    type: str
    kernel_id: str


@dataclass
class SessionService:
    kernels: Kernels
    #: The file sessions are kept in (None: memory only).
    store: Path | None = None
    _sessions: dict[SessionId, Session] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def load(self) -> None:
        """Read the sessions a previous server kept; those whose kernel is gone are dropped."""
        if self.store is None:
            return
        try:
            raw = orjson.loads(self.store.read_bytes())
            sessions = [Session(**{**item, "id": SessionId(item["id"])}) for item in raw]
        except FileNotFoundError:
            return
        except (OSError, orjson.JSONDecodeError, TypeError, KeyError) as exc:
            log.warning("ignoring the unreadable sessions file %s: %s", self.store, exc)
            return
        self._sessions = {s.id: s for s in sessions if self._alive(s)}
        self._save()

    def _save(self) -> None:
        """Write the sessions atomically; a failure is logged (they still work in memory)."""
        if self.store is None:
            return
        data = orjson.dumps([asdict(s) for s in self._sessions.values()])
        tmp: str | None = None
        try:
            self.store.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=".sessions-", dir=self.store.parent)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.store)
        except OSError as exc:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            log.warning("could not keep the sessions in %s: %s", self.store, exc)

    def _alive(self, session: Session) -> bool:
        try:
            self.kernels.get(session.kernel_id)
        except NotFound:
            return False
        return True

    def _prune(self) -> None:
        gone = [sid for sid, s in self._sessions.items() if not self._alive(s)]
        for sid in gone:
            del self._sessions[sid]
        if gone:
            self._save()

    def model(self, session: Session) -> dict[str, Any]:
        """The REST model: id, path, name, type, the kernel's model, and the legacy ``notebook``."""
        return {
            "id": session.id,
            "path": session.path,
            "name": session.name,
            "type": session.type,
            "kernel": self.kernels.get(session.kernel_id).model(),
            "notebook": {"path": session.path, "name": session.name},
        }

    def list(self) -> list[Session]:
        self._prune()
        return list(self._sessions.values())

    def get(self, session_id: str) -> Session:
        self._prune()
        session = self._sessions.get(SessionId(session_id))
        if session is None:
            raise NotFound(f"no session with id {session_id}")
        return session

    def find(self, path: str) -> Session | None:
        """The session for ``path``, if there is one."""
        self._prune()
        for session in self._sessions.values():
            if session.path == path:
                return session
        return None

    async def create(
        self,
        path: str,
        type: str,
        name: str | None = None,
        kernel_name: str | None = None,
        kernel_id: str | None = None,
    ) -> tuple[Session, bool]:
        """The session for ``path``: the existing one, or a new one with a kernel.

        Returns the session and whether it was created. ``kernel_id`` attaches an
        existing kernel; otherwise a kernel is started from ``kernel_name``.
        """
        async with self._lock:
            existing = self.find(path)
            if existing is not None:
                return existing, False
            if kernel_id is not None:
                kernel = self.kernels.get(kernel_id)
            else:
                kernel = await self.kernels.start(kernel_name, path if type == "notebook" else None)
            session = Session(
                id=SessionId(str(uuid.uuid4())),
                path=path,
                name=name if name is not None else path.rsplit("/", 1)[-1],
                type=type,
                kernel_id=kernel.id,
            )
            self._sessions[session.id] = session
            self._save()
            return session, True

    async def update(
        self,
        session_id: str,
        *,
        path: str | None = None,
        name: str | None = None,
        type: str | None = None,
        kernel_id: str | None = None,
        kernel_name: str | None = None,
    ) -> Session:
        """Change a session; a new ``kernel_name`` starts a kernel and stops the old one."""
        async with self._lock:
            session = self.get(session_id)
            if path is not None and path != session.path:
                other = self.find(path)
                if other is not None:
                    raise AlreadyExists(f"a session for {path} exists already")
            old_kernel = session.kernel_id
            if kernel_id is not None:
                try:
                    self.kernels.get(kernel_id)
                except NotFound:
                    raise InvalidInput(f"no such kernel: {kernel_id}") from None
                session.kernel_id = kernel_id
            elif kernel_name is not None:
                kernel = await self.kernels.start(kernel_name, path or session.path)
                session.kernel_id = kernel.id
            if path is not None:
                session.path = path
            if name is not None:
                session.name = name
            if type is not None:
                session.type = type
            if session.kernel_id != old_kernel and not any(
                s.kernel_id == old_kernel for s in self._sessions.values()
            ):
                await self.kernels.shutdown(old_kernel)
            self._save()
            return session

    async def delete(self, session_id: str) -> None:
        """End the session and shut its kernel down (unless another session uses it)."""
        async with self._lock:
            session = self.get(session_id)
            del self._sessions[session.id]
            self._save()
            if not any(s.kernel_id == session.kernel_id for s in self._sessions.values()):
                with contextlib.suppress(NotFound):
                    await self.kernels.shutdown(session.kernel_id)

    def path_moved(self, old: str, new: str) -> None:
        """A file or directory was renamed: sessions under it follow it."""
        prefix = old.rstrip("/") + "/"
        moved = False
        for session in self._sessions.values():
            if session.path == old:
                session.path = new
                if session.name == old.rsplit("/", 1)[-1]:
                    session.name = new.rsplit("/", 1)[-1]
                moved = True
            elif session.path.startswith(prefix):
                session.path = new.rstrip("/") + "/" + session.path[len(prefix) :]
                moved = True
        # Most renames touch no session: don't rewrite (and fsync) the file for those.
        if moved:
            self._save()

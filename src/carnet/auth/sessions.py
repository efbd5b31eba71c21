"""Server-side login sessions: created at login, checked on every request, revocable.

The browser holds a random session id (``secrets.token_urlsafe(32)``); the store holds
only its SHA-256, so a copy of the file gives no working cookie. Sessions expire after
``ttl`` seconds without use (each use pushes the expiry forward). The store is a small
JSON file in the state directory, written atomically with mode 0600 and reloaded when
another process (``carnet sessions revoke``) changes it: a revocation takes effect on
the running server's next request.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from carnet.errors import ConfigError, NotFound

log = logging.getLogger("carnet.auth")
Clock = Callable[[], float]
FILE_NAME = "login-sessions.json"
REF_LENGTH = 12
# Persist a sliding refresh only when it moves the expiry by this share of the lifetime,
# so a busy browser does not rewrite the file on every request.
REFRESH_FRACTION = 0.01


@dataclass(frozen=True)
class SessionRecord:
    """One login session, as stored and as listed by ``carnet sessions``.

    ``ref`` is a short public name for the session (a prefix of the id's hash), safe to
    show and to pass to ``carnet sessions revoke``; it cannot be used as a cookie.
    """

    ref: str
    created: float
    last_seen: float
    expires: float
    client_addr: str
    user_agent: str


class SessionStorage(Protocol):
    """Where session records live between server runs."""

    def read(self) -> dict[str, dict[str, Any]]:
        """Every stored record, keyed by the hash of its session id."""
        ...

    def write(self, records: dict[str, dict[str, Any]]) -> None:
        """Replace every stored record at once."""
        ...

    def version(self) -> object:
        """A cheap value that changes whenever another writer changed the storage."""
        ...

    def locked(self) -> contextlib.AbstractContextManager[None]:
        """Hold off other writers during a read-modify-write."""
        ...


class MemorySessionStorage:
    """Session storage in a dict, shared by the instances given the same object."""

    def __init__(self) -> None:
        self._records: dict[str, dict[str, Any]] = {}
        self._version = 0

    def read(self) -> dict[str, dict[str, Any]]:
        return json.loads(json.dumps(self._records))  # type: ignore[no-any-return]

    def write(self, records: dict[str, dict[str, Any]]) -> None:
        self._records = json.loads(json.dumps(records))
        self._version += 1

    def version(self) -> object:
        return self._version

    def locked(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()


class FileSessionStorage:
    """Session records in a JSON file (mode 0600), with a lock file for writers."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_path = path.with_name(path.name + ".lock")

    def read(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (UnicodeDecodeError, json.JSONDecodeError):
            data = None
        except OSError as exc:
            raise ConfigError(f"cannot read the login sessions file {self.path}: {exc}") from exc
        sessions = data.get("sessions") if isinstance(data, dict) else None
        if not isinstance(sessions, dict):
            # Failing closed: every browser logs in again, and the next write repairs the file.
            log.error("the login sessions file %s is damaged; all sessions end", self.path)
            return {}
        return sessions

    def write(self, records: dict[str, dict[str, Any]]) -> None:
        from carnet.tls.certs import write_atomic

        text = json.dumps({"version": 1, "sessions": records}, indent=1, sort_keys=True)
        write_atomic(self.path, text.encode("utf-8"), mode=0o600)

    def version(self) -> object:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise ConfigError(f"cannot lock {self._lock_path}: {exc.strerror or exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


class LoginSessions:
    """Create, validate, list and revoke login sessions (see the module docstring)."""

    def __init__(self, storage: SessionStorage, *, ttl: float, clock: Clock = time.time) -> None:
        self._storage = storage
        self.ttl = ttl
        self._clock = clock
        self._records: dict[str, SessionRecord] = {}
        self._version: object = object()

    @classmethod
    def in_dir(cls, state_dir: Path, *, ttl: float, clock: Clock = time.time) -> LoginSessions:
        """Sessions kept in ``state_dir/login-sessions.json``."""
        return cls(FileSessionStorage(state_dir / FILE_NAME), ttl=ttl, clock=clock)

    def _reload(self) -> None:
        version = self._storage.version()
        if version == self._version:
            return
        records = {}
        for digest, raw in self._storage.read().items():
            try:
                records[digest] = SessionRecord(**raw)
            except TypeError:
                continue  # a record from another version of carnet: drop it
        self._records = records
        self._version = version

    @contextlib.contextmanager
    def _changing(self) -> Iterator[dict[str, SessionRecord]]:
        """Read the latest records under the lock, let the caller change them, save."""
        with self._storage.locked():
            self._reload()
            records = dict(self._records)
            yield records
            now = self._clock()
            records = {d: r for d, r in records.items() if r.expires > now}
            self._storage.write({d: asdict(r) for d, r in records.items()})
            self._records = records
            self._version = self._storage.version()

    def create(self, client_addr: str, user_agent: str) -> tuple[str, SessionRecord]:
        """Start a session; returns the id for the cookie (never stored) and its record."""
        session_id = secrets.token_urlsafe(32)
        digest = _digest(session_id)
        now = self._clock()
        record = SessionRecord(
            ref=digest[:REF_LENGTH],
            created=now,
            last_seen=now,
            expires=now + self.ttl,
            client_addr=client_addr,
            user_agent=user_agent[:200],
        )
        with self._changing() as records:
            records[digest] = record
        return session_id, record

    def validate(self, session_id: str) -> SessionRecord | None:
        """The session's record when it exists and has not expired; its expiry slides."""
        self._reload()
        digest = _digest(session_id)
        record = self._records.get(digest)
        now = self._clock()
        if record is None or record.expires <= now:
            return None
        refreshed = replace(record, last_seen=now, expires=now + self.ttl)
        if refreshed.expires - record.expires < self.ttl * REFRESH_FRACTION:
            return record
        with self._changing() as records:
            if digest not in records:
                return None  # revoked by another process meanwhile
            records[digest] = refreshed
        return refreshed

    def revoke(self, key: str) -> SessionRecord:
        """End one session, named by its cookie id or by its ``ref`` (or a longer prefix).

        Raises :class:`NotFound` when no session matches, and :class:`ConfigError` when
        a ref prefix is too short to be unambiguous.
        """
        with self._changing() as records:
            digest = _digest(key)
            if digest not in records:
                key = key.strip().lower()
                matches = [d for d in records if len(key) >= 6 and d.startswith(key)]
                if len(matches) > 1:
                    raise ConfigError(f"{key!r} matches several sessions: give more characters")
                if not matches:
                    raise NotFound(f"no login session {key!r}")
                digest = matches[0]
            return records.pop(digest)

    def revoke_all(self) -> int:
        """End every session; returns how many there were."""
        with self._changing() as records:
            count = len(records)
            records.clear()
        return count

    def list(self) -> list[SessionRecord]:
        """The live sessions, oldest first."""
        self._reload()
        now = self._clock()
        live = [r for r in self._records.values() if r.expires > now]
        return sorted(live, key=lambda r: r.created)


def cookie_attributes(*, secure: bool, ttl: float, path: str = "/") -> dict[str, Any]:
    """How the login cookie is set: HttpOnly, SameSite=Lax, Secure over HTTPS, its lifetime.

    Lax (not Strict) so that following a link to the server from elsewhere arrives
    logged in; cross-site writes are stopped by the XSRF token instead.
    """
    return {
        "httponly": True,
        "samesite": "Lax",
        "secure": secure,
        "max_age": int(ttl),
        "path": path,
    }

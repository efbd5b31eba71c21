"""What survives a server crash about each running kernel: one small file per kernel.

A record holds what a new server process needs to talk to a kernel it did not
start: the connection info (ports, transport, ip, HMAC key and scheme), the spec
name, the cwd, and the process id with the process's start time, so that a pid
the system has since given to another program is never taken for the kernel.
Records hold the HMAC key: they are written atomically, mode 0600, in a 0700
directory.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from carnet.errors import KernelError

log = logging.getLogger("carnet.kernels")

SUFFIX = ".kernel.json"


@dataclass(frozen=True)
class KernelRecord:
    """One running kernel as the server that started it last saw it."""

    kernel_id: str
    name: str
    connection: dict[str, Any]
    pid: int
    start_time: int
    cwd: str
    session_name: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def process_start_time(pid: int) -> int | None:
    """When the process started (clock ticks since boot), or None when it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    fields = stat[stat.rfind(")") + 2 :].split()
    if len(fields) < 20 or fields[0] in ("Z", "X"):
        return None
    try:
        return int(fields[19])
    except ValueError:
        return None


def is_same_process(pid: int, start_time: int) -> bool:
    """Whether ``pid`` is still the live process that started at ``start_time``."""
    return pid > 0 and process_start_time(pid) == start_time


class RecordStore:
    """The records of one server's kernels, in ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, kernel_id: str) -> Path:
        if not kernel_id or "/" in kernel_id or kernel_id.startswith("."):
            raise KernelError(f"invalid kernel id for a record: {kernel_id!r}")
        return self.directory / f"{kernel_id}{SUFFIX}"

    def write(self, record: KernelRecord) -> None:
        """Replace the kernel's record atomically; the file is readable by its owner only."""
        target = self._path(record.kernel_id)
        data = orjson.dumps(asdict(record))
        tmp: str | None = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.directory)
            try:
                # mkstemp creates the file 0600 already; say so whatever the umask.
                os.fchmod(fd, 0o600)
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, target)
        except OSError as exc:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            raise KernelError(f"could not record kernel {record.kernel_id}: {exc}") from exc

    def remove(self, kernel_id: str) -> None:
        """Forget a kernel (it was shut down, or its process is gone)."""
        try:
            self._path(kernel_id).unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("could not remove the record of kernel %s: %s", kernel_id, exc)

    def load(self) -> list[KernelRecord]:
        """Every readable record; unreadable ones are deleted with a warning."""
        try:
            paths = sorted(self.directory.glob(f"*{SUFFIX}"))
        except OSError:
            return []
        records = []
        for path in paths:
            try:
                raw = orjson.loads(path.read_bytes())
                record = KernelRecord(**raw)
                if not isinstance(record.pid, int) or not isinstance(record.connection, dict):
                    raise TypeError("bad field types")
            except (OSError, orjson.JSONDecodeError, TypeError) as exc:
                log.warning("dropping the unreadable kernel record %s: %s", path.name, exc)
                with contextlib.suppress(OSError):
                    path.unlink()
                continue
            records.append(record)
        return records

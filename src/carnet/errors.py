"""The errors carnet's services raise, and nothing else.

Services raise these; only ``carnet.web.errors`` turns them into HTTP statuses and
only ``carnet.cli`` turns them into exit codes. Foreign exceptions (OSError, zmq,
nbformat, cryptography) are translated where they are caught, with ``raise X from exc``.

    CarnetError
    ├── InvalidInput            the request itself is wrong (bad JSON, bad model, bad value)
    │   ├── InvalidPath         a path that is malformed or leaves the root
    │   ├── InvalidNotebook     a notebook that is not valid nbformat
    │   └── TooLarge            a body or upload over the configured limit
    ├── NotFound                no such file, kernel, session or kernel spec
    ├── AlreadyExists           the target of a create, copy or rename exists
    ├── Conflict                the operation does not fit the current state
    ├── Forbidden               the path exists but may not be touched (hidden, outside root)
    ├── Unauthorized            no valid credentials
    ├── KernelError             a kernel failed
    │   ├── KernelStartFailed   the kernel process could not be started
    │   └── KernelDied          the kernel process exited
    └── ConfigError             a setting, a config file or the command line is wrong

Every error carries a ``message`` for the user (no paths outside the root, no
tracebacks, no secrets) and a short ``reason`` word.
"""

from __future__ import annotations


class CarnetError(Exception):
    """Base of every error carnet raises on purpose."""

    reason = "error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason


class InvalidInput(CarnetError):
    reason = "invalid input"


class InvalidPath(InvalidInput):
    reason = "invalid path"


class InvalidNotebook(InvalidInput):
    reason = "invalid notebook"


class TooLarge(InvalidInput):
    reason = "too large"


class NotFound(CarnetError):
    reason = "not found"


class AlreadyExists(CarnetError):
    reason = "already exists"


class Conflict(CarnetError):
    reason = "conflict"


class Forbidden(CarnetError):
    reason = "forbidden"


class Unauthorized(CarnetError):
    reason = "unauthorized"


class KernelError(CarnetError):
    reason = "kernel error"


class KernelStartFailed(KernelError):
    reason = "kernel failed to start"


class KernelDied(KernelError):
    reason = "kernel died"


class ConfigError(CarnetError):
    reason = "configuration error"

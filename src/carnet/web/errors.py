"""The one table from carnet's errors to HTTP statuses.

A raised exception is looked up along its MRO, so a subclass without its own row
gets its parent's status. Anything that is not a CarnetError is a server bug: 500,
with a generic message (the details go to the log).
"""

from __future__ import annotations

from carnet import errors

STATUS: dict[type[errors.CarnetError], int] = {
    errors.CarnetError: 500,
    errors.InvalidInput: 400,
    errors.TooLarge: 413,
    errors.NotFound: 404,
    errors.AlreadyExists: 409,
    errors.Conflict: 409,
    errors.Forbidden: 403,
    errors.Unauthorized: 403,
    errors.KernelError: 500,
    errors.KernelStartFailed: 500,
    errors.KernelDied: 409,
    errors.ConfigError: 500,
}


def status_for(exc: BaseException) -> int:
    """The HTTP status for ``exc``: the nearest class in its MRO that has a row."""
    for cls in type(exc).__mro__:
        status = STATUS.get(cls)
        if status is not None:
            return status
    return 500

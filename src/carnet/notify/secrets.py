"""Read a secret from the environment (through settings) or from a file only its owner can read."""

from __future__ import annotations

import os
import stat

from carnet.errors import ConfigError
from carnet.settings import Secret

# Big enough for any password or token; a larger file is not a secret file.
MAX_SECRET_BYTES = 4096


def read_secret_file(path: str) -> Secret:
    """The first line of ``path``; refuse a file that others could read or that is not ours."""
    try:
        fd = os.open(os.path.expanduser(path), os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ConfigError(f"secret file {path} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"cannot open secret file {path}: {exc.strerror}") from exc
    try:
        # fstat on the open file: the mode checked is the mode of the file read.
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"secret file {path} is not a regular file")
        if info.st_mode & 0o077:
            raise ConfigError(
                f"refusing to use secret file {path}: it can be read by other users "
                f"(mode {stat.S_IMODE(info.st_mode):04o}); run: chmod 600 {path}"
            )
        if info.st_uid != os.getuid():
            raise ConfigError(f"refusing to use secret file {path}: it belongs to another user")
        data = os.read(fd, MAX_SECRET_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read secret file {path}: {exc.strerror}") from exc
    finally:
        os.close(fd)
    if len(data) > MAX_SECRET_BYTES:
        raise ConfigError(f"secret file {path} is too large to hold a password or token")
    lines = data.decode("utf-8", "replace").splitlines()
    value = lines[0].strip() if lines else ""
    if not value:
        raise ConfigError(f"secret file {path} is empty")
    return Secret(value)


def resolve_secret(from_env: Secret | None, file: str) -> Secret | None:
    """The secret given in the environment, else the one in ``file``, else None."""
    if from_env is not None and from_env.reveal():
        return from_env
    if file:
        return read_secret_file(file)
    return None

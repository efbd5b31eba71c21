"""Change one setting in a TOML config file, keeping everything else as the user wrote it.

Only the one ``name = value`` line under ``[section]`` is replaced, added or removed;
comments, blank lines and other settings stay byte for byte. The result is parsed back
before it replaces the file, and the file is written atomically with mode 0600 because
it may now hold a password hash or a TOTP secret.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from carnet.errors import ConfigError
from carnet.tls.certs import write_atomic

SECRET_MODE = 0o600
_HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_-]+)\s*\]\s*(#.*)?$")
_ANY_HEADER = re.compile(r"^\s*\[")


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string."""
    # JSON's string escapes are all valid in TOML basic strings; TOML also forbids raw DEL.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007F")


def set_in_text(text: str, key: str, value: str | None) -> str:
    """``text`` with ``key`` (``section.name``) set to the string ``value``, or removed if None."""
    section, _, name = key.partition(".")
    lines = text.splitlines(keepends=True)
    assignment = re.compile(rf"^\s*{re.escape(name)}\s*=")
    start = next(
        (i for i, line in enumerate(lines) if (m := _HEADER.match(line)) and m.group(1) == section),
        None,
    )
    new_line = f"{name} = {toml_string(value)}\n" if value is not None else None
    if start is None:
        if new_line is None:
            return text
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        gap = "\n" if lines and lines[-1].strip() else ""
        return "".join(lines) + f"{gap}[{section}]\n{new_line}"
    end = next((i for i in range(start + 1, len(lines)) if _ANY_HEADER.match(lines[i])), len(lines))
    for i in range(start + 1, end):
        if assignment.match(lines[i]):
            if new_line is None:
                del lines[i]
            else:
                lines[i] = new_line
            return "".join(lines)
    if new_line is not None:
        # Next to the commented-out default 'carnet config init' wrote, if there is one.
        commented = re.compile(rf"^\s*#\s*{re.escape(name)}\s*=")
        at = next((i + 1 for i in range(start + 1, end) if commented.match(lines[i])), start + 1)
        if not lines[at - 1].endswith("\n"):
            lines[at - 1] += "\n"
        lines.insert(at, new_line)
    return "".join(lines)


def set_setting(path: Path, key: str, value: str | None) -> None:
    """Set (or with None, remove) one string setting in the TOML file at ``path``.

    The file is created when missing. Raises :class:`ConfigError` when the file is not
    valid TOML, or is not one this edit can change safely.
    """
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    _parse(path, text)
    updated = set_in_text(text, key, value)
    section, _, name = key.partition(".")
    try:
        data = _parse(path, updated)
    except ConfigError:
        data = {}
    if data.get(section, {}).get(name) != value:
        raise ConfigError(
            f"{path}: could not set {key} without rewriting the file "
            f"(is {key} set in an unusual way, such as a dotted key?); set it by hand"
        )
    write_atomic(path, updated.encode("utf-8"), mode=SECRET_MODE)


def _parse(path: Path, text: str) -> dict[str, dict[str, object]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix it before changing it") from exc
    return {k: v for k, v in data.items() if isinstance(v, dict)}

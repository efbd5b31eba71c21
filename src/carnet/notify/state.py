"""The last known external address, and what each channel was last told, in one JSON file."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from carnet.errors import ConfigError
from carnet.notify.address import FAMILIES, Family

log = logging.getLogger("carnet.notify")

FILE_NAME = "notify.json"


@dataclass
class State:
    """``addresses``: last known per family; ``delivered``: channel name -> URLs it was sent."""

    addresses: dict[Family, str] = field(default_factory=dict)
    delivered: dict[str, tuple[str, ...]] = field(default_factory=dict)
    checked: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "addresses": dict(self.addresses),
            "delivered": {name: list(urls) for name, urls in self.delivered.items()},
            "checked": self.checked,
        }

    @classmethod
    def from_json(cls, data: Any) -> State:
        """Parse what ``to_json`` wrote; anything unexpected is dropped, never trusted."""
        state = cls()
        if not isinstance(data, dict):
            return state
        addresses = data.get("addresses")
        if isinstance(addresses, dict):
            for family in FAMILIES:
                value = addresses.get(family)
                if isinstance(value, str):
                    state.addresses[family] = value
        delivered = data.get("delivered")
        if isinstance(delivered, dict):
            for name, urls in delivered.items():
                if isinstance(urls, list) and all(isinstance(u, str) for u in urls):
                    state.delivered[str(name)] = tuple(urls)
        checked = data.get("checked")
        state.checked = checked if isinstance(checked, str) else ""
        return state


class StateFile:
    """``notify.json`` in the state directory, replaced atomically on every save."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / FILE_NAME

    def load(self) -> State:
        """The saved state; an empty one when there is none or it cannot be read."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return State()
        except OSError as exc:
            log.warning("cannot read %s (%s): starting afresh", self.path, exc.strerror)
            return State()
        try:
            return State.from_json(json.loads(text))
        except ValueError:
            log.warning("%s is not valid JSON: starting afresh", self.path)
            return State()

    def save(self, state: State) -> None:
        """Write ``state``: a temp file, fsync, rename over the old one, fsync the directory."""
        state.checked = datetime.now(UTC).isoformat(timespec="seconds")
        data = (json.dumps(state.to_json(), indent=2) + "\n").encode()
        directory = self.path.parent
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=".notify-", suffix=".tmp", dir=directory)
        except OSError as exc:
            raise ConfigError(f"cannot write the state file {self.path}: {exc.strerror}") from exc
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise ConfigError(f"cannot write the state file {self.path}: {exc.strerror}") from exc
        with contextlib.suppress(OSError):
            dir_fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

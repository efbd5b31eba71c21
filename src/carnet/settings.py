"""One frozen, typed settings tree, and the only reader of env vars and config files.

Every setting is declared once, as a dataclass field with its type, default and
help. The same declaration drives the command-line flags (``carnet.cli``), the
``CARNET_*`` environment variables and the TOML config file sections. Values are
loaded once, with this precedence: command line > environment > config file >
defaults. ``Settings.sources`` records where each effective value came from.

A setting's key is ``section.name`` (``server.port``). Its environment variable
is ``CARNET_`` + the key in capitals with dots as underscores, except in the
``server`` section, whose variables drop the section (``CARNET_PORT``,
``CARNET_TOKEN``). In a config file it is ``name`` under ``[section]``.
"""

from __future__ import annotations

import dataclasses
import hmac
import os
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

from carnet.errors import ConfigError


class Secret:
    """A secret string: masked in ``repr``/``str``, compared in constant time."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def matches(self, presented: str) -> bool:
        """True when ``presented`` equals the secret (constant-time comparison)."""
        return hmac.compare_digest(presented.encode(), self._value.encode())

    def __repr__(self) -> str:
        return "Secret('****')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and hmac.compare_digest(
            self._value.encode(), other._value.encode()
        )

    def __hash__(self) -> int:
        return hash(("Secret", len(self._value)))


def setting(
    default: Any,
    help: str,
    *,
    cli: bool = True,
    choices: tuple[str, ...] = (),
    flag: str | None = None,
) -> Any:
    """Declare one setting: its default, its help text and its command-line flag, if any."""
    return field(
        default=default,
        metadata={"help": help, "cli": cli, "choices": choices, "flag": flag},
    )


ALL_INTERFACES = ("*", "0.0.0.0", "::", "")


@dataclass(frozen=True)
class ServerSettings:
    root_dir: str = setting(".", "Directory served as the root of the file tree.", cli=False)
    ip: str = setting("127.0.0.1", "Address to listen on; '*' or '0.0.0.0' means every interface.")
    port: int = setting(8888, "Port to listen on; 0 picks a free one.")
    port_retries: int = setting(50, "How many following ports to try when the port is taken.")
    token: Secret | None = setting(
        None, "Token for API clients and the first browser login (default: random)."
    )
    open_browser: bool = setting(
        True,
        "Open a browser at startup (only when bound to loopback and one exists).",
        flag="browser",
    )
    base_url: str = setting("/", "URL prefix for every page, API call and WebSocket.")
    max_body_mb: int = setting(
        512, "Largest request body accepted, in MiB (uploads larger go in chunks)."
    )
    shutdown_timeout: float = setting(
        10.0, "Seconds to wait for kernels and open work on shutdown.", cli=False
    )

    @property
    def listens_everywhere(self) -> bool:
        return self.ip in ALL_INTERFACES

    @property
    def bind_address(self) -> str:
        return "" if self.listens_everywhere else self.ip


@dataclass(frozen=True)
class ContentsSettings:
    store: str = setting(
        "file",
        "Where files live: 'file' (the root directory) or 'memory'.",
        choices=("file", "memory"),
    )
    allow_hidden: bool = setting(False, "Show and serve hidden files (names starting with '.').")
    checkpoints_kept: int = setting(5, "How many checkpoints to keep per file.", cli=False)
    checkpoint_dir: str = setting(
        ".ipynb_checkpoints",
        "Checkpoint folder, relative to each file's directory.",
        cli=False,
    )


@dataclass(frozen=True)
class KernelsSettings:
    default_kernel: str = setting(
        "python3", "Kernel spec used when a client does not name one.", cli=False
    )
    startup_timeout: float = setting(
        60.0, "Seconds a kernel may take to answer its first kernel_info request.", cli=False
    )
    restart_dead: bool = setting(True, "Restart a kernel that dies on its own.", cli=False)
    reconnect_window: float = setting(
        600.0,
        "Seconds a disconnected WebSocket session's messages are kept for it to reconnect.",
        cli=False,
    )


@dataclass(frozen=True)
class Settings:
    server: ServerSettings = field(default_factory=ServerSettings)
    contents: ContentsSettings = field(default_factory=ContentsSettings)
    kernels: KernelsSettings = field(default_factory=KernelsSettings)
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def root(self) -> Path:
        return Path(self.server.root_dir).expanduser().resolve()


SECTIONS: dict[str, type[Any]] = {
    "server": ServerSettings,
    "contents": ContentsSettings,
    "kernels": KernelsSettings,
}


@dataclass(frozen=True)
class SettingSpec:
    section: str
    name: str
    type: Any
    default: Any
    help: str
    cli: bool
    choices: tuple[str, ...]
    flag_name: str | None = None

    @property
    def key(self) -> str:
        return f"{self.section}.{self.name}"

    @property
    def env(self) -> str:
        if self.section == "server":
            return f"CARNET_{self.name.upper()}"
        return f"CARNET_{self.section.upper()}_{self.name.upper()}"

    @property
    def flag(self) -> str:
        return "--" + (self.flag_name or self.name).replace("_", "-")


def all_settings() -> list[SettingSpec]:
    """Every declared setting, in declaration order."""
    specs = []
    for section, cls in SECTIONS.items():
        hints = get_type_hints(cls, globalns={"Secret": Secret})
        for f in dataclasses.fields(cls):
            specs.append(
                SettingSpec(
                    section=section,
                    name=f.name,
                    type=hints[f.name],
                    default=f.default,
                    help=f.metadata["help"],
                    cli=f.metadata["cli"],
                    choices=f.metadata["choices"],
                    flag_name=f.metadata["flag"],
                )
            )
    return specs


def _convert(spec: SettingSpec, value: Any, origin: str) -> Any:
    """Turn a raw value (a string from env/CLI, or a TOML value) into the setting's type."""
    t = spec.type
    optional = t == (Secret | None) or t == (str | None)
    if value is None:
        if optional:
            return None
        raise ConfigError(f"{spec.key} needs a value ({origin})")
    try:
        if t is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        if t is int:
            if isinstance(value, bool):
                raise ValueError(value)
            return int(value)
        if t is float:
            if isinstance(value, bool):
                raise ValueError(value)
            return float(value)
        if t == (Secret | None):
            if not isinstance(value, str):
                raise ValueError(value)
            return Secret(value)
        if not isinstance(value, str):
            raise ValueError(value)
        if spec.choices and value not in spec.choices:
            raise ConfigError(
                f"{spec.key} must be one of {', '.join(spec.choices)}, not {value!r} ({origin})"
            )
        return value
    except (TypeError, ValueError):
        kind = getattr(t, "__name__", "string")
        raise ConfigError(f"{spec.key} must be a {kind}, not {value!r} ({origin})") from None


def read_config_file(path: Path) -> dict[str, Any]:
    """Read a TOML config file into ``{key: value}``; unknown keys are errors."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    known = {s.key for s in all_settings()}
    values: dict[str, Any] = {}
    for section, body in data.items():
        if section not in SECTIONS or not isinstance(body, dict):
            raise ConfigError(f"{path}: unknown section [{section}]")
        for name, value in body.items():
            key = f"{section}.{name}"
            if key not in known:
                raise ConfigError(f"{path}: unknown setting {key}")
            values[key] = value
    return values


def load_settings(
    cli: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Build the settings tree from every source (see the module docstring).

    ``cli`` maps setting keys (``server.port``) to values given on the command line.
    """
    cli = cli or {}
    env = os.environ if env is None else env
    file_values = read_config_file(config_file) if config_file is not None else {}
    sections: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
    sources: dict[str, str] = {}
    for spec in all_settings():
        if spec.key in cli:
            value = _convert(spec, cli[spec.key], f"command line {spec.flag}")
            sources[spec.key] = "command line"
        elif spec.env in env:
            value = _convert(spec, env[spec.env], f"environment {spec.env}")
            sources[spec.key] = f"environment {spec.env}"
        elif spec.key in file_values:
            value = _convert(spec, file_values[spec.key], f"config file {config_file}")
            sources[spec.key] = f"config file {config_file}"
        else:
            value = spec.default
            sources[spec.key] = "default"
        sections[spec.section][spec.name] = value
    settings = Settings(
        **{name: cls(**sections[name]) for name, cls in SECTIONS.items()},
        sources=sources,
    )
    _check(settings)
    return settings


def _check(settings: Settings) -> None:
    """Refuse values that cannot work, naming the setting."""
    server = settings.server
    if not 0 <= server.port <= 65535:
        raise ConfigError(f"server.port must be between 0 and 65535, not {server.port}")
    if server.port_retries < 0:
        raise ConfigError("server.port_retries must not be negative")
    if not server.base_url.startswith("/"):
        raise ConfigError(f"server.base_url must start with '/', not {server.base_url!r}")
    if server.token is not None and len(server.token.reveal()) < 8 and server.token.reveal():
        raise ConfigError("server.token must be at least 8 characters (or empty to disable)")
    if server.listens_everywhere and (server.token is not None and not server.token.reveal()):
        raise ConfigError(
            "refusing to listen on every interface without authentication: "
            "set server.token (or drop --ip)"
        )
    if settings.contents.checkpoints_kept < 1:
        raise ConfigError("contents.checkpoints_kept must be at least 1")
    if server.max_body_mb < 1:
        raise ConfigError("server.max_body_mb must be at least 1")


def with_token(settings: Settings) -> Settings:
    """Give the settings a random token when none was configured."""
    if settings.server.token is not None:
        return settings
    server = dataclasses.replace(settings.server, token=Secret(secrets.token_hex(24)))
    return dataclasses.replace(settings, server=server)


def normalized_base_url(base_url: str) -> str:
    """``/ipython`` and ``/ipython/`` both become ``/ipython/``."""
    base = "/" + base_url.strip("/")
    return base if base.endswith("/") else base + "/"

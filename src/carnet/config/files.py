"""Which config file is active, and reading it whatever its format.

The active file is, in order: ``--config FILE`` (or ``CARNET_CONFIG``), the profile
named by ``--profile NAME`` (or ``CARNET_PROFILE``), else ``carnet.toml`` in carnet's
config directory when it exists. ``FILE`` may be carnet's TOML or a legacy Jupyter or
IPython config (``.py``, ``.json``), mapped through :mod:`carnet.legacy`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carnet.errors import ConfigError
from carnet.settings import default_config_dir, read_config_file

CONFIG_NAME = "carnet.toml"
LEGACY_SUFFIXES = (".py", ".json")
_PROFILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CONFIG_HOME/carnet/carnet.toml``."""
    return default_config_dir(env) / CONFIG_NAME


def profiles_dir(env: Mapping[str, str] | None = None) -> Path:
    """The directory holding one ``NAME.toml`` per profile."""
    return default_config_dir(env) / "profiles"


def profile_path(name: str, env: Mapping[str, str] | None = None) -> Path:
    """The config file of profile ``name``; refuses names that are not plain words."""
    if not _PROFILE_NAME.fullmatch(name) or name.endswith("."):
        raise ConfigError(
            f"invalid profile name {name!r}: use letters, digits, '-', '_' and '.' "
            "(starting with a letter or digit)"
        )
    return profiles_dir(env) / f"{name}.toml"


def list_profiles(env: Mapping[str, str] | None = None) -> list[str]:
    """The names of the existing profiles, sorted."""
    directory = profiles_dir(env)
    if not directory.is_dir():
        return []
    return sorted(p.stem for p in directory.glob("*.toml") if p.is_file())


@dataclass(frozen=True)
class ActiveConfig:
    """The active config file, whether it was asked for, and the profile that names it."""

    path: Path
    explicit: bool
    profile: str | None = None


def active_config(
    config: str | Path | None = None,
    profile: str | None = None,
    env: Mapping[str, str] | None = None,
) -> ActiveConfig:
    """Find the active config file (see the module docstring); it may not exist yet.

    ``config`` and ``profile`` come from the command line; ``CARNET_CONFIG`` and
    ``CARNET_PROFILE`` stand in for them when neither is given.
    """
    env = os.environ if env is None else env
    if config is not None and profile is not None:
        raise ConfigError("give --config or --profile, not both")
    if config is None and profile is None:
        config = env.get("CARNET_CONFIG") or None
        profile = env.get("CARNET_PROFILE") or None
        if config is not None and profile is not None:
            raise ConfigError("set CARNET_CONFIG or CARNET_PROFILE, not both")
    if config is not None:
        return ActiveConfig(Path(config).expanduser(), True)
    if profile is not None:
        return ActiveConfig(profile_path(profile, env), True, profile)
    return ActiveConfig(default_config_path(env), False)


def missing_profile(active: ActiveConfig) -> ConfigError:
    """The error for a profile whose file does not exist."""
    name = active.profile
    return ConfigError(
        f"no profile {name!r} ({active.path}): create it with 'carnet profile create {name}'"
    )


def resolve_config_file(
    config: str | Path | None = None,
    profile: str | None = None,
    env: Mapping[str, str] | None = None,
) -> tuple[Path | None, dict[str, Any], list[str]]:
    """``(path, values, notes)`` of the active config file, for ``load_settings``.

    ``path`` is None when no file is named and the default one does not exist. ``values``
    maps setting keys to raw values; ``notes`` say what a legacy file held that was not
    carried over, each naming its file and line.
    """
    active = active_config(config, profile, env)
    path = active.path
    if not path.exists():
        if not active.explicit:
            return None, {}, []
        if active.profile is not None:
            raise missing_profile(active)
        raise ConfigError(f"config file not found: {path}")
    if path.suffix.lower() in LEGACY_SUFFIXES:
        values, notes = read_legacy(path)
        return path, values, notes
    return path, read_config_file(path), []


def read_legacy(path: Path) -> tuple[dict[str, Any], list[str]]:
    """A legacy Jupyter/IPython config file as carnet setting values, and notes."""
    from carnet.legacy import read_legacy_config

    result = read_legacy_config(path)
    values: dict[str, Any] = dict(result.values)
    notes = [str(note) for note in result.notes]
    if values.get("tls.certfile"):
        # The classic servers spoke HTTPS whenever a certificate was configured.
        values["tls.mode"] = "on"
        notes.append(f"{path}: tls.mode: set to 'on' because a certificate file is configured")
    return values, notes

"""``carnet config init|show|import``: write, inspect and convert configuration files."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from carnet.config.files import (
    LEGACY_SUFFIXES,
    active_config,
    default_config_path,
    missing_profile,
    profile_path,
)
from carnet.errors import ConfigError
from carnet.settings import Secret, Settings, all_settings, check_settings, load_settings


def add_file_options(parser: argparse.ArgumentParser, *, config: bool = True) -> None:
    """``--profile NAME`` (and ``--config FILE``): which config file a command uses."""
    parser.add_argument(
        "--profile", default=None, metavar="NAME", help="Use the config file of this profile."
    )
    if config:
        parser.add_argument(
            "--config", type=Path, default=None, metavar="FILE", help="Use this config file."
        )


def add_parser(sub: Any) -> None:
    """Declare ``carnet config`` and its three subcommands."""
    config = sub.add_parser("config", help="Write, show or import configuration files.")
    actions = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    init = actions.add_parser(
        "init", help="Write a config file listing every setting, its default and its help."
    )
    add_file_options(init, config=False)
    init.add_argument("--force", action="store_true", help="Replace an existing file.")
    show = actions.add_parser(
        "show", help="Print the effective value of every setting and where it comes from."
    )
    add_file_options(show)
    imp = actions.add_parser(
        "import", help="Convert a Jupyter/IPython config file (.py or .json) into carnet's."
    )
    imp.add_argument("file", type=Path, help="The legacy config file.")
    add_file_options(imp, config=False)
    imp.add_argument("--force", action="store_true", help="Replace an existing carnet config.")


def run(args: argparse.Namespace) -> int:
    """Dispatch to the subcommand."""
    if args.config_command == "init":
        return _init(args.profile, args.force)
    if args.config_command == "show":
        return _show(args.config, args.profile)
    return _import(args.file, args.profile, args.force)


def target_path(profile: str | None) -> Path:
    """The file ``init`` and ``import`` write: the profile's, or the default one."""
    return profile_path(profile) if profile is not None else default_config_path()


def write_new_config(path: Path, text: str, *, force: bool) -> None:
    """Write a whole config file (mode 0600), refusing to replace one unless ``force``."""
    from carnet.tls.certs import write_atomic

    if path.exists() and not force:
        raise ConfigError(f"{path} already exists: use --force to replace it")
    write_atomic(path, text.encode("utf-8"), mode=0o600)


def _init(profile: str | None, force: bool) -> int:
    from carnet.config.template import render_config

    path = target_path(profile)
    write_new_config(path, render_config(), force=force)
    print(f"wrote {path}")
    print("Every setting is listed there, commented out at its default.")
    return 0


def _show(config: Path | None, profile: str | None) -> int:
    from carnet.config.files import resolve_config_file

    path, values, notes = resolve_config_file(config, profile)
    for note in notes:
        print(f"note: {note}")
    settings = load_settings({}, config_file=path, file_values=values, check=False)
    print(f"# config file: {path if path is not None else '(none)'}")
    for line in describe(settings):
        print(line)
    try:
        check_settings(settings)
    except ConfigError as exc:
        print(f"carnet serve would refuse these settings: {exc.message}")
        return 1
    return 0


def describe(settings: Settings) -> list[str]:
    """``key = value  # source`` for every setting, secrets masked."""
    from carnet.config.template import toml_literal

    lines = []
    for spec in all_settings():
        value = getattr(getattr(settings, spec.section), spec.name)
        if isinstance(value, Secret):
            shown = '"****"' if value.reveal() else '""'
        elif value is None:
            shown = "(not set)"
        else:
            shown = toml_literal(value)
        lines.append(f"{spec.key} = {shown}  # {settings.sources.get(spec.key, 'default')}")
    return lines


def _import(source: Path, profile: str | None, force: bool) -> int:
    from carnet.config.files import read_legacy
    from carnet.legacy import to_toml

    values, notes = read_legacy(source)
    path = target_path(profile)
    header = f"# Imported by 'carnet config import' from {source}.\n\n"
    text = header + to_toml(values)
    for note in notes:
        print(f"note: {note}")
    # Refuse values carnet cannot use before writing anything.
    settings = load_settings({}, env={}, config_file=source, file_values=values, check=False)
    write_new_config(path, text, force=force)
    print(f"wrote {path} ({len(values)} settings imported, {len(notes)} notes)")
    try:
        check_settings(settings)
    except ConfigError as exc:
        print(f"warning: carnet serve will refuse these settings as they are: {exc.message}")
    return 0


def active_toml(config: Path | None, profile: str | None) -> Path:
    """The TOML file commands like ``carnet password`` write into.

    A named profile must exist; a legacy ``.py``/``.json`` file is refused (import it first).
    """
    active = active_config(config, profile)
    if active.path.suffix.lower() in LEGACY_SUFFIXES:
        raise ConfigError(
            f"{active.path} is a Jupyter config file, which carnet reads but does not write: "
            f"convert it with 'carnet config import {active.path}' first"
        )
    if active.profile is not None and not active.path.exists():
        raise missing_profile(active)
    return active.path

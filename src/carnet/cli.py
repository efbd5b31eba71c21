"""argv -> Settings -> run; nothing else.

``carnet serve [DIR]`` is the default command: ``carnet --port 0`` serves the current
directory. Other commands live in their own modules, listed in ``COMMANDS``; each has
``add_parser(subparsers)`` and ``run(args) -> int``. A user mistake prints one line on
stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from carnet import __version__
from carnet.errors import CarnetError, ConfigError
from carnet.settings import SettingSpec, all_settings, load_settings

# name -> module with add_parser(subparsers) and run(args); "serve" is this module.
COMMANDS: dict[str, str] = {
    "serve": "carnet.cli",
    "notify": "carnet.notify.command",
    "cert": "carnet.tls.command",
    "password": "carnet.auth.password_command",
    "sessions": "carnet.auth.sessions_command",
    "totp": "carnet.auth.totp_command",
    "config": "carnet.config.command",
    "profile": "carnet.config.profile_command",
}


def add_setting_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per setting declared with ``cli=True`` (``--no-X`` for booleans)."""
    for spec in all_settings():
        if not spec.cli:
            continue
        dest = "setting:" + spec.key
        if spec.type is bool:
            parser.add_argument(
                spec.flag,
                dest=dest,
                action="store_const",
                const=True,
                default=None,
                help=spec.help,
            )
            parser.add_argument(
                "--no-" + spec.flag[2:],
                dest=dest,
                action="store_const",
                const=False,
                help=f"The opposite of {spec.flag}.",
            )
        else:
            parser.add_argument(
                spec.flag,
                dest=dest,
                default=None,
                metavar=_metavar(spec),
                choices=spec.choices or None,
                help=spec.help,
            )


def _metavar(spec: SettingSpec) -> str:
    if spec.type is int:
        return "N"
    if spec.type is float:
        return "SECONDS"
    return spec.name.upper()


def add_parser(sub: Any) -> None:
    serve = sub.add_parser("serve", help="Serve a directory (the default command).")
    serve.add_argument("dir", nargs="?", default=None, help="Directory to serve (default: .).")
    serve.add_argument(
        "--config",
        type=Path,
        default=None,
        help="Read settings from this file: carnet's TOML, or a Jupyter .py/.json config.",
    )
    serve.add_argument(
        "--profile", default=None, metavar="NAME", help="Use the config file of this profile."
    )
    add_setting_flags(serve)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="carnet",
        description="A notebook server you can safely put on a public address.",
    )
    parser.add_argument("--version", action="version", version=f"carnet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS.values():
        importlib.import_module(module).add_parser(sub)
    return parser


def cli_values(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given on the command line, keyed like ``server.port``."""
    values = {
        dest.split(":", 1)[1]: value
        for dest, value in vars(args).items()
        if dest.startswith("setting:") and value is not None
    }
    if getattr(args, "dir", None) is not None:
        values["server.root_dir"] = args.dir
    return values


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "serve")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = importlib.import_module(COMMANDS[args.command]).run(args)
        return result
    except CarnetError as exc:
        print(f"carnet: {exc.message}", file=sys.stderr)
        return 2


def run(args: argparse.Namespace) -> int:
    """``carnet serve``."""
    from carnet.config.files import resolve_config_file

    path, values, notes = resolve_config_file(args.config, args.profile)
    for note in notes:
        logging.getLogger("carnet.config").warning("%s", note)
    settings = load_settings(cli_values(args), config_file=path, file_values=values)
    if not settings.root.is_dir():
        raise ConfigError(f"not a directory: {settings.server.root_dir}")
    from carnet.server import run as run_server

    return run_server(settings)

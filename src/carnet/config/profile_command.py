"""``carnet profile create|list``: named configurations, each its own TOML file."""

from __future__ import annotations

import argparse
import os
from typing import Any

from carnet.config.files import list_profiles, profile_path


def add_parser(sub: Any) -> None:
    """Declare ``carnet profile`` and its subcommands."""
    profile = sub.add_parser(
        "profile", help="Create or list profiles (use one with --profile NAME)."
    )
    actions = profile.add_subparsers(dest="profile_command", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="Create a profile with a commented config file.")
    create.add_argument("name", help="Profile name (letters, digits, '-', '_', '.').")
    create.add_argument("--force", action="store_true", help="Replace an existing profile.")
    actions.add_parser("list", help="List the profiles.")


def run(args: argparse.Namespace) -> int:
    """Create or list profiles."""
    if args.profile_command == "create":
        from carnet.config.command import write_new_config
        from carnet.config.template import render_config

        path = profile_path(args.name)
        write_new_config(path, render_config(), force=args.force)
        print(f"wrote {path}")
        print(f"Use it with 'carnet --profile {args.name}' (or CARNET_PROFILE={args.name}).")
        return 0
    active = os.environ.get("CARNET_PROFILE")
    for name in list_profiles():
        print(f"{name}{'  (active: CARNET_PROFILE)' if name == active else ''}")
    return 0

"""``carnet password``: store an argon2id hash of a new password in the active config file."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any


def add_parser(sub: Any) -> None:
    """Declare ``carnet password``."""
    from carnet.config.command import add_file_options

    cmd = sub.add_parser(
        "password",
        help="Set the password for browser logins (stored as an argon2id hash).",
        description=(
            "Ask for a password twice without echoing it (or read one line from standard "
            "input with --stdin) and store its argon2id hash as auth.password_hash in the "
            "active config file, keeping the rest of the file as it is."
        ),
    )
    cmd.add_argument("--stdin", action="store_true", help="Read the password from standard input.")
    add_file_options(cmd)


def read_stdin_password(stream: Any) -> str:
    """The first line of ``stream`` without its line ending."""
    line: str = stream.readline()
    return line.rstrip("\r\n")


def run(args: argparse.Namespace) -> int:
    """Hash the password and store it."""
    from carnet.auth.passwords import hash_password, passwd
    from carnet.config.command import active_toml
    from carnet.config.edit import set_setting

    path = active_toml(args.config, args.profile)
    hashed = hash_password(read_stdin_password(sys.stdin)) if args.stdin else passwd()
    set_setting(path, "auth.password_hash", hashed)
    print(f"password hash stored in {path} (auth.password_hash)")
    if os.environ.get("CARNET_AUTH_PASSWORD_HASH"):
        print(
            "note: CARNET_AUTH_PASSWORD_HASH is set in the environment and overrides the file",
            file=sys.stderr,
        )
    return 0

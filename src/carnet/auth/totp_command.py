"""``carnet totp enable|disable``: a second factor for password logins."""

from __future__ import annotations

import argparse
import getpass
import socket
import sys
from typing import Any, TextIO


def add_parser(sub: Any) -> None:
    """Declare ``carnet totp``."""
    from carnet.config.command import add_file_options

    cmd = sub.add_parser("totp", help="Turn the TOTP second factor on or off.")
    actions = cmd.add_subparsers(dest="totp_command", metavar="ACTION", required=True)
    enable = actions.add_parser(
        "enable",
        help="Make a new TOTP secret, store it, and show it as a QR code to scan.",
    )
    enable.add_argument(
        "--account",
        default=None,
        help="Account name shown in the authenticator app (default: user@host).",
    )
    enable.add_argument("--no-qr", action="store_true", help="Print the URI only.")
    add_file_options(enable)
    disable = actions.add_parser("disable", help="Remove the TOTP secret.")
    add_file_options(disable)


def print_qr(data: str, out: TextIO) -> None:
    """``data`` as a QR code drawn with half-block characters, for a terminal.

    Light modules are drawn in the text colour, so the code scans on the usual
    light-on-dark terminal; ``--no-qr`` and the printed URI cover the other themes.
    """
    import segno

    segno.make(data, error="m", micro=False).terminal(out=out, compact=True)


def run(args: argparse.Namespace) -> int:
    """Enable or disable the second factor in the active config file."""
    from carnet.auth.totp import new_secret, otpauth_uri
    from carnet.config.command import active_toml
    from carnet.config.edit import set_setting
    from carnet.errors import ConfigError

    path = active_toml(args.config, args.profile)
    if args.totp_command == "disable":
        set_setting(path, "auth.totp_secret", None)
        print(f"TOTP second factor removed from {path}")
        return 0
    from carnet.settings import read_config_file

    values = read_config_file(path) if path.exists() else {}
    if not values.get("auth.password_hash"):
        raise ConfigError(
            f"no password in {path}: set one with 'carnet password' first "
            "(the second factor comes after it)"
        )
    secret = new_secret()
    set_setting(path, "auth.totp_secret", secret)
    account = args.account or f"{getpass.getuser()}@{socket.gethostname()}"
    uri = otpauth_uri(secret, account)
    print(f"TOTP secret stored in {path} (auth.totp_secret)")
    print("Scan this with an authenticator app, or enter the secret by hand:")
    if not args.no_qr:
        print_qr(uri, sys.stdout)
    print(uri)
    print(f"secret: {secret}")
    print("Restart carnet; logins will then ask for the 6-digit code.")
    return 0

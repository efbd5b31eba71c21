"""``carnet sessions``: list the browser login sessions, or revoke them."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    """Declare ``carnet sessions`` and ``carnet sessions revoke``."""
    cmd = sub.add_parser(
        "sessions",
        help="List or revoke browser login sessions.",
        description="Without an action, list the live login sessions.",
    )
    cmd.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="carnet's state directory (default: $XDG_STATE_HOME/carnet).",
    )
    actions = cmd.add_subparsers(dest="sessions_command", metavar="ACTION")
    revoke = actions.add_parser("revoke", help="End one session (by its ID) or all of them.")
    which = revoke.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "id", nargs="?", default=None, help="The session ID 'carnet sessions' shows."
    )
    which.add_argument("--all", action="store_true", help="End every session.")


def _when(stamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp))


def run(args: argparse.Namespace) -> int:
    """List, or revoke; a running server notices on its next request."""
    from carnet.auth.sessions import LoginSessions
    from carnet.settings import default_state_dir

    state_dir = args.state_dir if args.state_dir is not None else default_state_dir()
    # The lifetime only matters to sessions created here, and none are.
    sessions = LoginSessions.in_dir(state_dir, ttl=1.0)
    if args.sessions_command == "revoke":
        if args.all:
            count = sessions.revoke_all()
            print(f"revoked {count} session{'s' if count != 1 else ''}")
        else:
            record = sessions.revoke(args.id)
            print(f"revoked session {record.ref} ({record.client_addr})")
        return 0
    live = sessions.list()
    if not live:
        print("no login sessions")
        return 0
    print(f"{'ID':<12}  {'CREATED':<16}  {'LAST SEEN':<16}  {'EXPIRES':<16}  ADDRESS  BROWSER")
    for r in live:
        print(
            f"{r.ref:<12}  {_when(r.created):<16}  {_when(r.last_seen):<16}  "
            f"{_when(r.expires):<16}  {r.client_addr}  {r.user_agent[:60]}"
        )
    return 0

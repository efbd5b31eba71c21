"""``carnet notify test`` and ``carnet notify check``: one notification or one check, then exit."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from carnet.errors import ConfigError

if TYPE_CHECKING:
    from carnet.notify.watcher import CheckResult


def add_parser(sub: Any) -> None:
    """``carnet notify {test,check}``, each with ``--config`` and the setting flags."""
    notify = sub.add_parser(
        "notify",
        help="Send a test notification, or check the external address once.",
        description="Tell the user how to reach this server when its external address changes.",
    )
    commands = notify.add_subparsers(dest="notify_command", metavar="ACTION", required=True)
    helps = {
        "test": "Send a test notification through every configured channel.",
        "check": "Check the external address once; notify if it changed. Exit status: "
        "0 unchanged, 10 changed and notified, 1 a lookup or a channel failed, "
        "2 configuration error.",
    }
    for name, text in helps.items():
        parser = commands.add_parser(name, help=text, description=text)
        parser.add_argument(
            "--config", type=Path, default=None, help="Read settings from this TOML file."
        )
        parser.add_argument(
            "-v", "--verbose", action="store_true", help="Log every lookup and retry on stderr."
        )
        # The URL in the message is built from these, as the server would be reached.
        parser.add_argument(
            "--port",
            dest="setting:server.port",
            metavar="N",
            default=None,
            help="The server's port (default: server.port from the settings).",
        )
        parser.add_argument(
            "--base-url",
            dest="setting:server.base_url",
            default=None,
            metavar="BASE_URL",
            help="The server's URL prefix.",
        )


def run(args: argparse.Namespace) -> int:
    """Run ``carnet notify ACTION``; return its exit status."""
    from carnet.cli import cli_values
    from carnet.notify.watcher import endpoint_for, make_notifier
    from carnet.settings import load_settings

    settings = load_settings(cli_values(args), config_file=args.config)
    if not settings.notify.configured:
        raise ConfigError(
            "no notification channel is configured: set notify.smtp_host or notify.webhook_url"
        )
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.CRITICAL,
        format="[%(levelname).1s %(asctime)s %(name)s] %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    notifier = make_notifier(settings.notify, endpoint_for(settings))
    if args.notify_command == "test":
        result = asyncio.run(notifier.test())
        _report(result, [c.name for c in notifier.channels])
        return 0 if not result.failures else 1
    result = asyncio.run(notifier.check())
    _report(result, result.notified + [n for n in result.failures if n not in ("ipv4", "ipv6")])
    if result.exit_code == 0:
        print("unchanged: nothing to send")
    return result.exit_code


def _report(result: CheckResult, channels: list[str]) -> None:
    for family, address in result.addresses.items():
        print(f"{family} address: {address}")
    for url in result.urls:
        print(f"    {url}")
    for family in ("ipv4", "ipv6"):
        if family in result.failures:
            print(f"{family} address: FAILED: {result.failures[family]}", file=sys.stderr)
    for name in channels:
        if name in result.notified:
            print(f"{name}: sent")
        elif name in result.failures:
            print(f"{name}: FAILED: {result.failures[name]}", file=sys.stderr)

"""``carnet cert``: make a self-signed certificate and key for serving over HTTPS."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from carnet.settings import default_config_dir


def add_parser(sub: Any) -> None:
    """Declare ``carnet cert`` and its options."""
    cert = sub.add_parser(
        "cert",
        help="Create a self-signed TLS certificate and key.",
        description=(
            "Create a self-signed certificate and its private key (EC P-256, or RSA 3072 "
            "with --rsa) valid for localhost, 127.0.0.1, ::1, this machine's name and every "
            "--host and --ip given. The key file is readable by its owner only."
        ),
    )
    cert.add_argument(
        "--cert",
        type=Path,
        default=None,
        metavar="PATH",
        help="Where to write the certificate (default: cert.pem in carnet's config directory).",
    )
    cert.add_argument(
        "--key",
        type=Path,
        default=None,
        metavar="PATH",
        help="Where to write the private key (default: key.pem in carnet's config directory).",
    )
    cert.add_argument(
        "--host",
        action="append",
        default=[],
        metavar="H",
        help="Another host name the certificate is valid for (repeatable).",
    )
    cert.add_argument(
        "--ip",
        action="append",
        default=[],
        metavar="IP",
        help="Another IP address the certificate is valid for (repeatable).",
    )
    cert.add_argument("--rsa", action="store_true", help="Make an RSA 3072 key instead of EC.")
    cert.add_argument(
        "--days",
        type=int,
        default=None,
        metavar="N",
        help="How many days the certificate is valid (default: a year; at most 825).",
    )
    cert.add_argument(
        "--force", action="store_true", help="Replace an existing certificate and key."
    )


def run(args: argparse.Namespace) -> int:
    """Write the pair, then say where it is and how to recognise it."""
    from carnet.tls.certs import DEFAULT_DAYS, generate_self_signed, subject_names

    days: int = args.days if args.days is not None else DEFAULT_DAYS
    config_dir = default_config_dir()
    cert_path: Path = args.cert if args.cert is not None else config_dir / "cert.pem"
    key_path: Path = args.key if args.key is not None else config_dir / "key.pem"
    names, addresses = subject_names(args.host, args.ip)
    fp = generate_self_signed(
        cert_path,
        key_path,
        hosts=args.host,
        ips=args.ip,
        kind="rsa" if args.rsa else "ec",
        days=days,
        overwrite=args.force,
    )
    print(f"certificate: {cert_path.expanduser()}")
    print(f"private key: {key_path.expanduser()} (readable by you only)")
    print(f"valid for:   {', '.join(names + addresses)} ({days} days)")
    print(f"SHA-256 fingerprint: {fp}")
    print("Browsers will warn that it is self-signed: check that they show this fingerprint.")
    return 0

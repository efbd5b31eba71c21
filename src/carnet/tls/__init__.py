"""Certificates: generate them, load them into a server's TLS context, reload them live.

The rule here: nothing imports ``cryptography`` at module level (it is only needed when
TLS is configured), every failure of a certificate or key file is a ``ConfigError`` that
names the file and says what is wrong with it, and a private key is never on disk with
permissions wider than 0600, not even for an instant.

The names below are loaded on first use, so that ``carnet`` commands that never touch
TLS do not pay for importing ``ssl`` and friends.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from carnet.tls.certs import fingerprint, generate_self_signed
    from carnet.tls.context import ServerTLS, load_pair
    from carnet.tls.watcher import CertificateWatcher

_HOMES = {
    "fingerprint": "carnet.tls.certs",
    "generate_self_signed": "carnet.tls.certs",
    "ServerTLS": "carnet.tls.context",
    "load_pair": "carnet.tls.context",
    "CertificateWatcher": "carnet.tls.watcher",
}

__all__ = [
    "CertificateWatcher",
    "ServerTLS",
    "fingerprint",
    "generate_self_signed",
    "load_pair",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'carnet.tls' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)

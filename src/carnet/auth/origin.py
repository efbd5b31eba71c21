"""Host and Origin checks: against DNS rebinding, and cross-site WebSockets.

Bound to loopback, the server answers only to loopback names and addresses (plus any
``auth.allowed_hosts`` and the ``auth.public_url`` host): a page on an attacker's domain
whose name was re-pointed at 127.0.0.1 sends its own name as Host and is refused.
Bound to a public address, it answers to IP literals, this machine's name, the
``allowed_hosts`` and the ``public_url`` host. Ports are ignored in Host checks: a
rebinding attack is about names, and proxies or port forwards change ports.

A WebSocket's Origin must be the same as the Host it connected to (scheme-default
ports filled in), or the origin of ``public_url``.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from carnet.settings import Settings, is_loopback


def split_host(host: str) -> tuple[str, int | None]:
    """``("name", port)`` from a Host header value: ``[::1]:8888``, ``Example.org.``, ...

    The name is lowercased, without a trailing dot or IPv6 brackets; an unparseable
    value gives ``("", None)``.
    """
    host = host.strip()
    port_text = ""
    if host.startswith("["):
        end = host.find("]")
        if end < 0:
            return "", None
        name, rest = host[1:end], host[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                return "", None
            port_text = rest[1:]
    elif host.count(":") == 1:
        name, port_text = host.split(":")
    elif ":" in host:
        name = host  # a bare IPv6 address
    else:
        name = host
    port = None
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            return "", None
        port = int(port_text)
    name = name.lower().rstrip(".")
    if not name or any(c in name for c in "/\\@?# "):
        return "", None
    return name, port


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _matches(name: str, pattern: str) -> bool:
    pattern = pattern.strip().lower()
    if pattern == "*":
        return True
    if pattern.startswith("*."):
        return name.endswith(pattern[1:])
    if pattern.startswith("."):
        return name == pattern[1:] or name.endswith(pattern)
    return name == split_host(pattern)[0]


def allowed_names(settings: Settings) -> list[str]:
    """Host patterns configured explicitly: ``allowed_hosts`` and the ``public_url`` host."""
    names = list(settings.auth.allowed_hosts)
    if settings.auth.public_url:
        netloc = urlsplit(settings.auth.public_url).netloc
        names.append(netloc.rpartition("@")[2])
    return names


def host_allowed(host_header: str | None, settings: Settings) -> bool:
    """True when a request's Host header names this server (see the module docstring)."""
    if not host_header:
        return False
    name, _port = split_host(host_header)
    if not name:
        return False
    if is_loopback(name):
        return True
    if any(_matches(name, pattern) for pattern in allowed_names(settings)):
        return True
    if is_loopback(settings.server.ip):
        return False
    return _is_ip(name) or name == socket.gethostname().lower()


_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def origin_allowed(origin: str | None, host: str | None, settings: Settings) -> bool:
    """True when a WebSocket from ``origin`` may connect through Host ``host``.

    No Origin at all is a non-browser client (it has to present the token or a
    session cookie anyway); the literal ``null`` Origin (sandboxed frames, files) is
    refused.
    """
    if origin is None:
        return True
    if not host or not host_allowed(host, settings):
        return False
    parts = urlsplit(origin.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    try:
        origin_port = parts.port or _DEFAULT_PORTS[parts.scheme]
    except ValueError:
        return False
    origin_key = (parts.hostname.lower().rstrip("."), origin_port)
    name, port = split_host(host)
    if origin_key == (name, port or _DEFAULT_PORTS[parts.scheme]):
        return True
    if settings.auth.public_url:
        public = urlsplit(settings.auth.public_url)
        if public.hostname and public.scheme == parts.scheme:
            public_key = (
                public.hostname.lower().rstrip("."),
                public.port or _DEFAULT_PORTS[public.scheme],
            )
            return origin_key == public_key
    return False

"""Forwarded headers count only from trusted proxies."""

from __future__ import annotations

from carnet.auth.proxy import client_address, request_scheme
from carnet.settings import AuthSettings

BEHIND = AuthSettings(behind_proxy=True, trusted_proxies=("127.0.0.1", "::1", "10.1.0.0/16"))
DIRECT = AuthSettings()


def test_trusted_proxy_gives_the_client_address() -> None:
    assert client_address("127.0.0.1", "203.0.113.5", BEHIND) == "203.0.113.5"
    assert client_address("::ffff:127.0.0.1", "203.0.113.5", BEHIND) == "203.0.113.5"
    # A forged entry on the left does not win over what the proxies saw.
    assert client_address("10.1.2.3", "6.6.6.6, 203.0.113.5, 10.1.0.9", BEHIND) == "203.0.113.5"


def test_headers_from_anyone_else_are_ignored() -> None:
    assert client_address("198.51.100.7", "203.0.113.5", BEHIND) == "198.51.100.7"
    assert client_address("127.0.0.1", "203.0.113.5", DIRECT) == "127.0.0.1"
    assert client_address("127.0.0.1", None, BEHIND) == "127.0.0.1"


def test_forwarded_scheme() -> None:
    assert request_scheme("127.0.0.1", "http", "https", BEHIND) == "https"
    assert request_scheme("198.51.100.7", "http", "https", BEHIND) == "http"
    assert request_scheme("127.0.0.1", "http", "https", DIRECT) == "http"
    assert request_scheme("127.0.0.1", "http", "gopher", BEHIND) == "http"

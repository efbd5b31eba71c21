"""Host allow-list (DNS rebinding) and WebSocket Origin checks."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from carnet.auth.origin import host_allowed, origin_allowed, split_host
from carnet.settings import Settings, load_settings


def settings(**cli: Any) -> Settings:
    return load_settings(cli, env={})


LOOPBACK = settings()
PUBLIC = settings(
    **{
        "server.ip": "0.0.0.0",
        "auth.behind_proxy": True,
        "auth.allowed_hosts": "nb.example.org,*.lab.example.net",
        "auth.public_url": "https://public.example.com:8443/nb/",
    }
)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("[::1]:8888", ("::1", 8888)),
        ("[::1]", ("::1", None)),
        ("::1", ("::1", None)),
        ("LocalHost:80", ("localhost", 80)),
        ("example.org.", ("example.org", None)),
        ("example.org:http", ("", None)),
        ("[::1", ("", None)),
        ("a@b", ("", None)),
    ],
)
def test_split_host(header: str, expected: tuple[str, int | None]) -> None:
    assert split_host(header) == expected


@pytest.mark.parametrize(
    "host", ["localhost:8888", "127.0.0.1:8888", "127.0.0.2", "[::1]:8888", "LOCALHOST."]
)
def test_loopback_names_are_allowed_on_loopback(host: str) -> None:
    assert host_allowed(host, LOOPBACK)


@pytest.mark.parametrize(
    "host", ["attacker.example:8888", "192.168.1.10:8888", "", None, "localhost.attacker.example"]
)
def test_other_hosts_are_refused_on_loopback(host: str | None) -> None:
    assert not host_allowed(host, LOOPBACK)


def test_allowed_hosts_extend_loopback() -> None:
    s = settings(**{"auth.allowed_hosts": "nb.internal"})
    assert host_allowed("nb.internal:8888", s)
    assert not host_allowed("other.internal", s)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("nb.example.org", True),
        ("NB.example.org:443", True),
        ("gpu.lab.example.net", True),
        ("lab.example.net", False),
        ("public.example.com:8443", True),
        ("public.example.com", True),  # ports are ignored
        ("203.0.113.9:8888", True),
        ("[2001:db8::1]:8888", True),
        ("evil.example", False),
        ("nb.example.org.evil.example", False),
    ],
)
def test_public_server_hosts(host: str, expected: bool) -> None:
    assert host_allowed(host, PUBLIC) is expected


def test_public_server_answers_to_this_machines_name() -> None:
    assert host_allowed(socket.gethostname(), PUBLIC)


@pytest.mark.parametrize(
    ("origin", "host", "expected"),
    [
        ("http://localhost:8888", "localhost:8888", True),
        ("http://127.0.0.1:8888", "127.0.0.1:8888", True),
        ("http://[::1]:8888", "[::1]:8888", True),
        ("http://localhost:9999", "localhost:8888", False),
        ("http://127.0.0.1:8888", "localhost:8888", False),
        ("https://localhost", "localhost:443", True),
        ("http://evil.example", "localhost:8888", False),
        ("null", "localhost:8888", False),
        ("file://", "localhost:8888", False),
        ("http://evil.example:8888", "evil.example:8888", False),  # rebinding
        (None, "localhost:8888", True),
    ],
)
def test_websocket_origin_on_loopback(origin: str | None, host: str, expected: bool) -> None:
    assert origin_allowed(origin, host, LOOPBACK) is expected


def test_websocket_origin_behind_a_proxy_may_be_the_public_url() -> None:
    assert origin_allowed("https://public.example.com:8443", "127.0.0.1:8888", PUBLIC)
    assert not origin_allowed("http://public.example.com:8443", "127.0.0.1:8888", PUBLIC)
    assert not origin_allowed("https://public.example.com", "127.0.0.1:8888", PUBLIC)
    assert origin_allowed("https://nb.example.org", "nb.example.org", PUBLIC)

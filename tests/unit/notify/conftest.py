"""Fixtures for the notify tests: loopback echo, webhook and SMTP servers, a certificate."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.notify.servers import Certificate, LoopbackHTTP, make_certificate


@pytest.fixture
def echo() -> Iterator[LoopbackHTTP]:
    """An echo service that answers 203.0.113.7 until told otherwise."""
    server = LoopbackHTTP()
    server.set("203.0.113.7\n")
    yield server
    server.close()


@pytest.fixture
def webhook() -> Iterator[LoopbackHTTP]:
    """A webhook receiver that answers 200 until told otherwise."""
    server = LoopbackHTTP()
    server.set('{"ok": true}')
    yield server
    server.close()


@pytest.fixture
def certificate(tmp_path: Path) -> Certificate:
    directory = tmp_path / "pki"
    directory.mkdir()
    return make_certificate(directory)

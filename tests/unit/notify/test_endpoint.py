"""The URL a notification gives follows the server's TLS settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from carnet.notify.watcher import endpoint_for
from carnet.settings import load_settings
from carnet.tls.certs import generate_self_signed


def test_plain_http_has_no_fingerprint() -> None:
    endpoint = endpoint_for(load_settings({}, env={}), port=9000)
    assert (endpoint.scheme, endpoint.port, endpoint.fingerprint) == ("http", 9000, None)


def test_self_signed_https_carries_the_fingerprint(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    expected = generate_self_signed(cert, key, hosts=[], ips=[])
    settings = load_settings(
        {"tls.mode": "on", "tls.certfile": str(cert), "tls.keyfile": str(key)}, env={}
    )
    endpoint = endpoint_for(settings, port=9443)
    assert endpoint.scheme == "https"
    assert endpoint.port == 9443
    assert endpoint.fingerprint == expected


def test_auto_mode_before_the_certificate_exists_names_no_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    settings = load_settings({"tls.mode": "auto"}, env={})
    endpoint = endpoint_for(settings, port=9443)
    assert endpoint.scheme == "https"
    assert endpoint.fingerprint is None

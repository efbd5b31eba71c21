"""tls.mode as files: off, on with the configured pair, auto making a self-signed one."""

from __future__ import annotations

import stat
from pathlib import Path

from carnet.config.tls import tls_files
from carnet.settings import TlsSettings
from carnet.tls import ServerTLS


def test_off_is_plain_http(tmp_path: Path) -> None:
    assert tls_files(TlsSettings(), tmp_path) is None
    assert list(tmp_path.iterdir()) == []


def test_on_uses_the_configured_files(tmp_path: Path) -> None:
    tls = TlsSettings(mode="on", certfile="~/c.pem", keyfile="/k.pem")
    assert tls_files(tls, tmp_path) == (Path("~/c.pem").expanduser(), Path("/k.pem"))
    assert tls_files(TlsSettings(mode="on", certfile="/both.pem"), tmp_path) == (
        Path("/both.pem"),
        None,
    )


def test_auto_makes_a_self_signed_pair_once(tmp_path: Path) -> None:
    files = tls_files(TlsSettings(mode="auto"), tmp_path, hosts=["nb.example.org"])
    assert files == (tmp_path / "cert.pem", tmp_path / "key.pem")
    assert stat.S_IMODE((tmp_path / "key.pem").stat().st_mode) == 0o600
    first = ServerTLS(tmp_path / "cert.pem", tmp_path / "key.pem").fingerprint
    tls_files(TlsSettings(mode="auto"), tmp_path)
    assert ServerTLS(tmp_path / "cert.pem", tmp_path / "key.pem").fingerprint == first

"""``carnet cert`` as a user runs it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from carnet.tls import fingerprint


def carnet(*args: str, config_home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARNET_")}
    env["XDG_CONFIG_HOME"] = str(config_home)
    return subprocess.run(
        [sys.executable, "-m", "carnet", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def test_default_paths_fingerprint_and_refusal_to_overwrite(tmp_path: Path) -> None:
    done = carnet("cert", config_home=tmp_path)
    assert done.returncode == 0, done.stderr
    cert, key = tmp_path / "carnet" / "cert.pem", tmp_path / "carnet" / "key.pem"
    assert f"certificate: {cert}" in done.stdout
    assert f"private key: {key}" in done.stdout
    assert f"SHA-256 fingerprint: {fingerprint(cert)}" in done.stdout
    assert stat.S_IMODE(key.stat().st_mode) == 0o600

    again = carnet("cert", config_home=tmp_path)
    assert again.returncode == 2
    assert again.stderr.strip().splitlines() == [
        f"carnet: {cert} already exists (use --force to replace it)"
    ]
    assert f"SHA-256 fingerprint: {fingerprint(cert)}" in done.stdout

    forced = carnet("cert", "--force", config_home=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert f"SHA-256 fingerprint: {fingerprint(cert)}" in forced.stdout
    assert fingerprint(cert) not in done.stdout


def test_explicit_paths_hosts_ips_and_rsa(tmp_path: Path) -> None:
    cert, key = tmp_path / "tls" / "nb.crt", tmp_path / "tls" / "nb.key"
    done = carnet(
        "cert",
        "--cert",
        str(cert),
        "--key",
        str(key),
        "--host",
        "nb.example.org",
        "--ip",
        "203.0.113.9",
        "--rsa",
        "--days",
        "90",
        config_home=tmp_path / "unused",
    )
    assert done.returncode == 0, done.stderr
    assert "nb.example.org" in done.stdout
    assert "203.0.113.9" in done.stdout
    assert not (tmp_path / "unused").exists()
    parsed = x509.load_pem_x509_certificate(cert.read_bytes())
    san = parsed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "nb.example.org" in san.get_values_for_type(x509.DNSName)
    assert "203.0.113.9" in {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    private = load_pem_private_key(key.read_bytes(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    assert private.key_size == 3072


def test_user_mistakes_are_one_line_without_traceback(tmp_path: Path) -> None:
    for args, says in (
        (("--ip", "300.1.1.1"), "not an IP address"),
        (("--days", "5000"), "days must be between"),
    ):
        done = carnet("cert", *args, config_home=tmp_path)
        assert done.returncode == 2
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1
        assert says in lines[0]
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "carnet" / "key.pem").exists()

"""Generating a self-signed certificate: what is in it and how its files are written."""

from __future__ import annotations

import hashlib
import ipaddress
import os
import socket
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, load_pem_private_key

from carnet.errors import ConfigError
from carnet.tls import fingerprint, generate_self_signed
from tests.unit.tls.helpers import colon_hex


def sans(cert: x509.Certificate) -> tuple[set[str], set[str]]:
    ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    names = set(ext.get_values_for_type(x509.DNSName))
    ips = {str(ip) for ip in ext.get_values_for_type(x509.IPAddress)}
    return names, ips


def test_default_is_ec_p256_with_the_expected_names(tmp_path: Path) -> None:
    cert_path, key_path = tmp_path / "conf" / "cert.pem", tmp_path / "conf" / "key.pem"
    fp = generate_self_signed(
        cert_path, key_path, hosts=["nb.example.org", "10.1.2.3"], ips=["192.0.2.7", "2001:db8::1"]
    )
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    names, ips = sans(cert)
    assert names == {"localhost", "nb.example.org", socket.gethostname().lower()}
    assert ips == {"127.0.0.1", "::1", "10.1.2.3", "192.0.2.7", "2001:db8::1"}
    key = load_pem_private_key(key_path.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert key.curve.name == "secp256r1"
    public = cert.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    assert public.public_numbers() == key.public_key().public_numbers()
    # The fingerprint is the SHA-256 of the DER certificate, as browsers show it.
    assert fp == colon_hex(hashlib.sha256(cert.public_bytes(Encoding.DER)).digest())
    assert fp == fingerprint(cert_path)
    assert len(fp) == 32 * 3 - 1
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    validity = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert 365 <= validity.days <= 366


def test_files_have_safe_modes_even_with_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        generate_self_signed(tmp_path / "new" / "c.pem", tmp_path / "new" / "k.pem")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new" / "k.pem").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "new" / "c.pem").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700
    # Nothing half-written is left behind.
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == ["c.pem", "k.pem"]


def test_rsa_is_3072_bits_and_smaller_is_refused(tmp_path: Path) -> None:
    generate_self_signed(tmp_path / "c.pem", tmp_path / "k.pem", kind="rsa", days=30)
    key = load_pem_private_key((tmp_path / "k.pem").read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.key_size == 3072
    cert = x509.load_pem_x509_certificate((tmp_path / "c.pem").read_bytes())
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days in (30, 31)
    with pytest.raises(ConfigError, match="at least 3072"):
        generate_self_signed(tmp_path / "c2.pem", tmp_path / "k2.pem", kind="rsa", rsa_bits=1024)
    assert not (tmp_path / "k2.pem").exists()


def test_existing_files_are_kept_unless_overwrite(tmp_path: Path) -> None:
    cert_path, key_path = tmp_path / "c.pem", tmp_path / "k.pem"
    first = generate_self_signed(cert_path, key_path)
    before = key_path.read_bytes()
    with pytest.raises(ConfigError, match="already exists"):
        generate_self_signed(cert_path, key_path)
    assert key_path.read_bytes() == before
    assert fingerprint(cert_path) == first
    second = generate_self_signed(cert_path, key_path, overwrite=True)
    assert second != first
    assert fingerprint(cert_path) == second


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"ips": ["not-an-ip"]}, "not an IP address"),
        ({"hosts": ["bad host"]}, "not a host name"),
        ({"hosts": ["http://x"]}, "not a host name"),
        ({"days": 0}, "days must be between"),
        ({"days": 5000}, "days must be between"),
        ({"kind": "dsa"}, "'ec' or 'rsa'"),
    ],
)
def test_bad_arguments_are_config_errors(
    tmp_path: Path, kwargs: dict[str, object], says: str
) -> None:
    with pytest.raises(ConfigError, match=says):
        generate_self_signed(tmp_path / "c.pem", tmp_path / "k.pem", **kwargs)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_international_host_names_are_encoded(tmp_path: Path) -> None:
    generate_self_signed(tmp_path / "c.pem", tmp_path / "k.pem", hosts=["bücher.example"])
    names, _ = sans(x509.load_pem_x509_certificate((tmp_path / "c.pem").read_bytes()))
    assert "xn--bcher-kva.example" in names


def test_same_path_for_cert_and_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="two different files"):
        generate_self_signed(tmp_path / "both.pem", tmp_path / "both.pem")


def test_fingerprint_of_a_missing_or_wrong_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        fingerprint(tmp_path / "nope.pem")
    (tmp_path / "notes.txt").write_text("hello\n")
    with pytest.raises(ConfigError, match="not a PEM certificate"):
        fingerprint(tmp_path / "notes.txt")


def test_ip_given_as_host_counts_as_ip(tmp_path: Path) -> None:
    generate_self_signed(tmp_path / "c.pem", tmp_path / "k.pem", hosts=["[fe80::1]"])
    names, ips = sans(x509.load_pem_x509_certificate((tmp_path / "c.pem").read_bytes()))
    assert str(ipaddress.ip_address("fe80::1")) in ips
    assert "[fe80::1]" not in names

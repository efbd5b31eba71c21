"""Loading certificate/key pairs into a server context, and real handshakes against it."""

from __future__ import annotations

import asyncio
import datetime
import os
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from carnet.errors import ConfigError
from carnet.tls import fingerprint, generate_self_signed, load_pair
from tests.unit.tls.helpers import ahandshake, client_context, tls_server


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    generate_self_signed(cert, key)
    return cert, key


def test_verified_handshake_on_loopback(pair: tuple[Path, Path]) -> None:
    cert, key = pair

    async def scenario() -> None:
        async with tls_server(load_pair(cert, key)) as port:
            # A client that trusts exactly this certificate (curl --cacert) accepts it for
            # every loopback spelling.
            for name in ("127.0.0.1", "localhost"):
                shake = await ahandshake(port, client_context(cafile=cert), name)
                assert shake.greeting == b"hello"
                assert shake.fingerprint == fingerprint(cert)
            with pytest.raises(ssl.SSLCertVerificationError):
                await ahandshake(port, client_context(cafile=cert), "elsewhere.example")

    asyncio.run(scenario())


def test_tls_1_2_and_1_3_accepted_1_0_and_1_1_refused(pair: tuple[Path, Path]) -> None:
    cert, key = pair

    async def scenario() -> None:
        async with tls_server(load_pair(cert, key)) as port:
            for version, name in (
                (ssl.TLSVersion.TLSv1_2, "TLSv1.2"),
                (ssl.TLSVersion.TLSv1_3, "TLSv1.3"),
            ):
                shake = await ahandshake(port, client_context(version=version))
                assert shake.version == name
            for version in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
                with pytest.raises(ssl.SSLError):
                    await ahandshake(port, client_context(version=version))

        # The same outdated clients do connect to a server that allows them, so the
        # refusal above is carnet's minimum version, not a client that cannot talk at all.
        permissive = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with pytest.warns(DeprecationWarning, match="TLSv1"):
            permissive.minimum_version = ssl.TLSVersion.TLSv1
        permissive.set_ciphers("DEFAULT:@SECLEVEL=0")
        permissive.load_cert_chain(cert, key)
        async with tls_server(permissive) as port:
            try:
                shake = await ahandshake(port, client_context(version=ssl.TLSVersion.TLSv1))
            except ssl.SSLError as exc:
                pytest.skip(f"this OpenSSL build cannot speak TLS 1.0 at all: {exc}")
            assert shake.version == "TLSv1"

    asyncio.run(scenario())


@pytest.mark.parametrize("key_first", [False, True])
def test_one_pem_holding_certificate_and_key(
    pair: tuple[Path, Path], tmp_path: Path, key_first: bool
) -> None:
    cert, key = pair
    parts = (
        [key.read_bytes(), cert.read_bytes()]
        if key_first
        else [cert.read_bytes(), key.read_bytes()]
    )
    both = tmp_path / "mycert.pem"
    both.write_bytes(b"".join(parts))
    ctx = load_pair(both)

    async def scenario() -> None:
        async with tls_server(ctx) as port:
            shake = await ahandshake(port, client_context(cafile=cert))
            assert shake.fingerprint == fingerprint(cert)

    asyncio.run(scenario())


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _issue(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: str,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("nb.example.org")]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def test_lets_encrypt_style_fullchain_and_privkey(tmp_path: Path) -> None:
    root_key, inter_key, leaf_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    root = _issue("Test Root", root_key, "Test Root", root_key, ca=True)
    inter = _issue("Test R3", inter_key, "Test Root", root_key, ca=True)
    leaf = _issue("nb.example.org", leaf_key, "Test R3", inter_key, ca=False)
    pem = serialization.Encoding.PEM
    (tmp_path / "fullchain.pem").write_bytes(leaf.public_bytes(pem) + inter.public_bytes(pem))
    (tmp_path / "privkey.pem").write_bytes(
        leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (tmp_path / "root.pem").write_bytes(root.public_bytes(pem))
    ctx = load_pair(tmp_path / "fullchain.pem", tmp_path / "privkey.pem")

    async def scenario() -> None:
        async with tls_server(ctx) as port:
            # The client knows only the root: it verifies because the server sends R3 too.
            client = client_context(cafile=tmp_path / "root.pem")
            shake = await ahandshake(port, client, "nb.example.org")
            assert shake.greeting == b"hello"

    asyncio.run(scenario())
    # A key that belongs to the intermediate, not the leaf, is caught.
    (tmp_path / "wrong.pem").write_bytes(
        inter_key.private_bytes(
            pem, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        )
    )
    with pytest.raises(ConfigError, match="does not belong to the certificate"):
        load_pair(tmp_path / "fullchain.pem", tmp_path / "wrong.pem")


def test_key_of_another_certificate_is_refused(tmp_path: Path) -> None:
    generate_self_signed(tmp_path / "a.pem", tmp_path / "a.key")
    generate_self_signed(tmp_path / "b.pem", tmp_path / "b.key", kind="rsa")
    with pytest.raises(ConfigError, match=r"b\.key does not belong to the certificate in .*a\.pem"):
        load_pair(tmp_path / "a.pem", tmp_path / "b.key")
    mixed = tmp_path / "mixed.pem"
    mixed.write_bytes((tmp_path / "a.pem").read_bytes() + (tmp_path / "b.key").read_bytes())
    with pytest.raises(ConfigError, match="does not belong"):
        load_pair(mixed)


def test_file_problems_are_named(pair: tuple[Path, Path], tmp_path: Path) -> None:
    cert, key = pair
    with pytest.raises(ConfigError, match=r"certificate file not found: .*missing\.pem"):
        load_pair(tmp_path / "missing.pem", key)
    with pytest.raises(ConfigError, match="private key file not found"):
        load_pair(cert, tmp_path / "missing.key")
    with pytest.raises(ConfigError, match="is a directory"):
        load_pair(tmp_path, key)
    with pytest.raises(ConfigError, match="not a PEM certificate"):
        load_pair(key, key)
    with pytest.raises(ConfigError, match="holds no PEM private key"):
        load_pair(cert)
    damaged = tmp_path / "damaged.pem"
    damaged.write_text("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n")
    with pytest.raises(ConfigError, match="damaged certificate"):
        load_pair(damaged, key)
    der = tmp_path / "cert.der"
    der.write_bytes(
        x509.load_pem_x509_certificate(cert.read_bytes()).public_bytes(serialization.Encoding.DER)
    )
    with pytest.raises(ConfigError, match="not a PEM certificate"):
        load_pair(der, key)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_key_file(pair: tuple[Path, Path]) -> None:
    cert, key = pair
    key.chmod(0)
    with pytest.raises(ConfigError, match="cannot read private key file"):
        load_pair(cert, key)


def test_key_file_that_cannot_be_opened(pair: tuple[Path, Path], tmp_path: Path) -> None:
    # A symlink loop fails to open for root too (unlike a mode-000 file).
    cert, _ = pair
    (tmp_path / "loop-a.pem").symlink_to(tmp_path / "loop-b.pem")
    (tmp_path / "loop-b.pem").symlink_to(tmp_path / "loop-a.pem")
    with pytest.raises(ConfigError, match=r"cannot read private key file .*loop-a\.pem"):
        load_pair(cert, tmp_path / "loop-a.pem")


def test_encrypted_key_needs_its_passphrase(pair: tuple[Path, Path], tmp_path: Path) -> None:
    cert, key = pair
    plain = serialization.load_pem_private_key(key.read_bytes(), password=None)
    locked = tmp_path / "locked.key"
    locked.write_bytes(
        plain.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"open sesame"),
        )
    )
    with pytest.raises(ConfigError, match="encrypted and no passphrase was given"):
        load_pair(cert, locked)
    with pytest.raises(ConfigError, match="wrong passphrase"):
        load_pair(cert, locked, password="open barley")
    ctx = load_pair(cert, locked, password="open sesame")
    assert handshake_ok(ctx, cert)


def handshake_ok(ctx: ssl.SSLContext, cert: Path) -> bool:
    async def scenario() -> bool:
        async with tls_server(ctx) as port:
            shake = await ahandshake(port, client_context(cafile=cert))
            return shake.fingerprint == fingerprint(cert)

    return asyncio.run(scenario())


def test_expired_certificate_still_loads_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("old.example"))
        .issuer_name(_name("old.example"))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=100))
        .not_valid_after(now - datetime.timedelta(days=10))
        .sign(key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (tmp_path / "old.pem").write_bytes(
        cert.public_bytes(pem)
        + key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    with caplog.at_level("WARNING", logger="carnet.tls"):
        load_pair(tmp_path / "old.pem")
    assert any("expired" in r.getMessage() for r in caplog.records)

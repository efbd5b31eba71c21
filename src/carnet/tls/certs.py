"""Certificate and key files: generate a self-signed pair, read and check PEM files."""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import os
import re
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from carnet.errors import ConfigError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
    from cryptography.x509 import Certificate

DEFAULT_DAYS = 365
# Browsers reject server certificates valid for longer than about 27 months.
MAX_DAYS = 825
MIN_RSA_BITS = 3072

_KEY_BLOCK = re.compile(
    rb"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----.*?-----END \1PRIVATE KEY-----", re.DOTALL
)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def _dns_name(host: str) -> str:
    host = host.strip().rstrip(".")
    if not host or any(ch.isspace() or ch in "/:@" for ch in host):
        raise ConfigError(f"not a host name: {host!r}")
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ConfigError(f"not a host name: {host!r}") from None


def subject_names(hosts: list[str], ips: list[str]) -> tuple[list[str], list[str]]:
    """The DNS names and IP addresses a generated certificate is valid for.

    Always localhost, 127.0.0.1, ::1 and this machine's host name, then every given host
    and IP (a host that is an IP address counts as an IP). Duplicates are dropped.
    """
    names = ["localhost"]
    addresses = ["127.0.0.1", "::1"]
    # An odd machine name must not stop the certificate for everything else.
    with contextlib.suppress(ConfigError):
        names.append(_dns_name(socket.gethostname()))
    for host in hosts:
        if _is_ip(host):
            addresses.append(host.strip("[]"))
        else:
            names.append(_dns_name(host))
    for ip in ips:
        try:
            addresses.append(str(ipaddress.ip_address(ip.strip().strip("[]"))))
        except ValueError:
            raise ConfigError(f"not an IP address: {ip!r}") from None
    return list(dict.fromkeys(names)), list(
        dict.fromkeys(str(ipaddress.ip_address(a)) for a in addresses)
    )


def format_fingerprint(digest: bytes) -> str:
    """``b'\\xab\\x01'`` -> ``'AB:01'``, the way browsers and openssl show fingerprints."""
    return ":".join(f"{byte:02X}" for byte in digest)


def generate_self_signed(
    cert_path: str | os.PathLike[str],
    key_path: str | os.PathLike[str],
    *,
    hosts: list[str] | None = None,
    ips: list[str] | None = None,
    kind: str = "ec",
    days: int = DEFAULT_DAYS,
    rsa_bits: int = MIN_RSA_BITS,
    overwrite: bool = False,
) -> str:
    """Write a new self-signed certificate and its private key; return its SHA-256 fingerprint.

    ``kind`` is ``"ec"`` (P-256, the default) or ``"rsa"`` (``rsa_bits``, at least 3072).
    The certificate names localhost, 127.0.0.1, ::1, this machine and every given host
    and IP. Both files are replaced atomically; the key file is created with mode 0600.
    Existing files are kept (``ConfigError``) unless ``overwrite`` is true.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    cert_file, key_file = Path(cert_path).expanduser(), Path(key_path).expanduser()
    if cert_file.resolve() == key_file.resolve():
        raise ConfigError("the certificate and the key must go to two different files")
    if not 1 <= days <= MAX_DAYS:
        raise ConfigError(f"days must be between 1 and {MAX_DAYS}, not {days}")
    if not overwrite:
        for path in (cert_file, key_file):
            if path.exists():
                raise ConfigError(f"{path} already exists (use --force to replace it)")
    names, addresses = subject_names(hosts or [], ips or [])

    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    if kind == "ec":
        key = ec.generate_private_key(ec.SECP256R1())
    elif kind == "rsa":
        if rsa_bits < MIN_RSA_BITS:
            raise ConfigError(f"RSA keys must have at least {MIN_RSA_BITS} bits, not {rsa_bits}")
        key = rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
    else:
        raise ConfigError(f"key kind must be 'ec' or 'rsa', not {kind!r}")

    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, names[1] if len(names) > 1 else names[0]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "carnet self-signed"),
        ]
    )
    # Backdated a little so that a client whose clock is slightly behind accepts it.
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    alt_names: list[x509.GeneralName] = [x509.DNSName(n) for n in names]
    alt_names += [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public)
        .serial_number(int.from_bytes(secrets.token_bytes(16), "big") >> 1)
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_encipherment=kind == "rsa",
                content_commitment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_atomic(key_file, key_pem, mode=0o600)
    write_atomic(cert_file, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
    return format_fingerprint(cert.fingerprint(hashes.SHA256()))


def write_atomic(path: Path, data: bytes, *, mode: int) -> None:
    """Replace ``path`` with ``data``: a crash leaves the old file or the new one.

    The temporary file is created with ``mode`` already applied (never wider), so a
    private key is not readable by others at any moment.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            os.fchmod(fd, mode)
            with os.fdopen(fd, "wb", closefd=False) as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        os.close(fd)
        os.replace(tmp, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from exc


def read_file(path: Path, what: str) -> bytes:
    """The bytes of a certificate or key file, or a ``ConfigError`` that says why not."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{what} file not found: {path}") from None
    except IsADirectoryError:
        raise ConfigError(f"{what} file is a directory: {path}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {what} file {path}: {exc.strerror or exc}") from exc


def read_certificates(path: Path) -> list[Certificate]:
    """Every certificate in a PEM file, leaf first; ``ConfigError`` if there is none."""
    from cryptography import x509

    data = read_file(path, "certificate")
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise ConfigError(f"{path} is not a PEM certificate (no 'BEGIN CERTIFICATE' block)")
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise ConfigError(f"{path} holds a damaged certificate: {exc}") from exc


@dataclass(frozen=True)
class KeyFile:
    """A private key read from a PEM file (which may also hold certificates)."""

    path: Path
    key: PrivateKeyTypes


def read_private_key(path: Path, password: str | None = None) -> KeyFile:
    """The private key in a PEM file; ``ConfigError`` if absent, damaged or locked."""
    from cryptography.hazmat.primitives import serialization

    data = read_file(path, "private key")
    match = _KEY_BLOCK.search(data)
    if match is None:
        raise ConfigError(f"{path} holds no PEM private key (no 'BEGIN PRIVATE KEY' block)")
    block = match.group(0)
    encrypted = b"ENCRYPTED" in block
    if encrypted and password is None:
        raise ConfigError(f"the private key in {path} is encrypted and no passphrase was given")
    try:
        key = serialization.load_pem_private_key(
            block, password=password.encode() if encrypted and password is not None else None
        )
    except ValueError as exc:
        if encrypted:
            raise ConfigError(f"wrong passphrase for the private key in {path}") from exc
        raise ConfigError(f"{path} holds a damaged or unsupported private key") from exc
    except (TypeError, UnicodeError) as exc:
        raise ConfigError(f"{path} holds an unsupported private key: {exc}") from exc
    return KeyFile(path, key)


def fingerprint(cert_path: str | os.PathLike[str]) -> str:
    """The SHA-256 fingerprint (``AA:BB:...``) of the first certificate in a PEM file."""
    from cryptography.hazmat.primitives import hashes

    leaf = read_certificates(Path(cert_path).expanduser())[0]
    return format_fingerprint(leaf.fingerprint(hashes.SHA256()))


def self_signed_fingerprint(cert_path: Path) -> str | None:
    """The SHA-256 fingerprint when ``cert_path`` holds a self-signed certificate, else None.

    A browser can only check a self-signed certificate by its fingerprint, so that is
    when carnet shows it; an unreadable file gives None (the server reports it elsewhere).
    """
    try:
        leaf = read_certificates(cert_path)[0]
    except ConfigError:
        return None
    if leaf.issuer != leaf.subject:
        return None
    return fingerprint(cert_path)

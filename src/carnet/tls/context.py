"""The server side of TLS: a checked certificate/key pair in an ``ssl.SSLContext``."""

from __future__ import annotations

import datetime
import logging
import os
import ssl
from pathlib import Path

from carnet.errors import ConfigError
from carnet.tls.certs import format_fingerprint, read_certificates, read_private_key

log = logging.getLogger("carnet.tls")


def _server_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    # TLS 1.0 and 1.1 are deprecated (RFC 8996); every browser of the last years speaks 1.2.
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.options |= ssl.OP_NO_COMPRESSION | ssl.OP_CIPHER_SERVER_PREFERENCE
    ctx.options |= ssl.OP_NO_RENEGOTIATION
    return ctx


def load_checked_pair(
    certfile: str | os.PathLike[str],
    keyfile: str | os.PathLike[str] | None = None,
    *,
    password: str | None = None,
) -> tuple[ssl.SSLContext, str]:
    """:func:`load_pair`, also returning the leaf certificate's SHA-256 fingerprint."""
    from cryptography.hazmat.primitives import hashes, serialization

    cert_path = Path(certfile).expanduser()
    key_path = Path(keyfile).expanduser() if keyfile is not None else cert_path
    chain = read_certificates(cert_path)
    leaf = chain[0]
    key = read_private_key(key_path, password).key
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    if leaf.public_key().public_bytes(der, spki) != key.public_key().public_bytes(der, spki):
        where = "" if key_path == cert_path else f" in {key_path}"
        raise ConfigError(
            f"the private key{where} does not belong to the certificate in {cert_path}"
        )
    if leaf.not_valid_after_utc < datetime.datetime.now(datetime.UTC):
        # Still served: refusing to start would not help a user whose renewal failed.
        log.warning("the certificate in %s expired on %s", cert_path, leaf.not_valid_after_utc)
    ctx = _server_context()
    try:
        ctx.load_cert_chain(cert_path, key_path, password=password)
    except ssl.SSLError as exc:
        raise ConfigError(
            f"cannot use the certificate {cert_path} with the key {key_path}: {exc.reason}"
        ) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read {cert_path} or {key_path}: {exc.strerror}") from exc
    return ctx, format_fingerprint(leaf.fingerprint(hashes.SHA256()))


def load_pair(
    certfile: str | os.PathLike[str],
    keyfile: str | os.PathLike[str] | None = None,
    *,
    password: str | None = None,
) -> ssl.SSLContext:
    """A server ``SSLContext`` (TLS 1.2 or newer) for a certificate and its private key.

    ``certfile`` may hold a whole chain (Let's Encrypt's ``fullchain.pem``), leaf first.
    Without ``keyfile`` the key is read from ``certfile`` (one PEM holding both). The key
    is checked against the certificate before anything is loaded. Every problem with the
    files (missing, unreadable, not a certificate, a key of another certificate, an
    encrypted key without ``password``) is a :class:`ConfigError` naming the file.
    """
    return load_checked_pair(certfile, keyfile, password=password)[0]


class ServerTLS:
    """The TLS context a server listens with, whose certificate can change while it runs.

    Hand :attr:`ssl_context` to the server once. :meth:`reload` reads the files again:
    connections that start afterwards get the new certificate, open ones keep theirs.
    The swap happens during each handshake (through the context's SNI callback), so
    nothing the server holds has to be replaced.
    """

    def __init__(
        self,
        certfile: str | os.PathLike[str],
        keyfile: str | os.PathLike[str] | None = None,
        *,
        password: str | None = None,
    ) -> None:
        self.certfile = Path(certfile).expanduser()
        self.keyfile = Path(keyfile).expanduser() if keyfile is not None else None
        self._password = password
        self._current, self.fingerprint = self.load()
        self._front = self._current
        self._front.sni_callback = self._choose_context

    @property
    def ssl_context(self) -> ssl.SSLContext:
        """The context to listen with; stays the same object across reloads."""
        return self._front

    def load(self) -> tuple[ssl.SSLContext, str]:
        """Read and check the files into a new context, without installing it."""
        return load_checked_pair(self.certfile, self.keyfile, password=self._password)

    def install(self, context: ssl.SSLContext, fingerprint: str) -> None:
        """Serve new connections with ``context`` (made by :meth:`load`)."""
        self._current = context
        self.fingerprint = fingerprint

    def reload(self) -> str:
        """Load the files again and serve the new pair; return its fingerprint.

        A broken pair raises :class:`ConfigError` and the current one stays in use.
        """
        context, fingerprint = self.load()
        self.install(context, fingerprint)
        return fingerprint

    def _choose_context(
        self, conn: ssl.SSLSocket | ssl.SSLObject, server_name: str | None, _: ssl.SSLContext
    ) -> None:
        # OpenSSL calls this for every ClientHello, with or without SNI.
        current = self._current
        if conn.context is not current:
            conn.context = current

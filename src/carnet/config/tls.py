"""What the ``tls.*`` settings mean as files: the certificate and key the server loads."""

from __future__ import annotations

from pathlib import Path

from carnet.settings import TlsSettings

AUTO_CERT = "cert.pem"
AUTO_KEY = "key.pem"


def tls_files(
    tls: TlsSettings, config_dir: Path, *, hosts: list[str] | None = None
) -> tuple[Path, Path | None] | None:
    """``(certfile, keyfile)`` to serve HTTPS with, or None for plain HTTP.

    ``tls.mode = 'on'`` uses ``tls.certfile``/``tls.keyfile``. ``'auto'`` uses them when
    set, else the self-signed pair in ``config_dir`` (``cert.pem``, ``key.pem``, the files
    ``carnet cert`` writes), made on first use for localhost, this machine and ``hosts``.
    """
    if not tls.enabled:
        return None
    if tls.certfile:
        return Path(tls.certfile).expanduser(), (
            Path(tls.keyfile).expanduser() if tls.keyfile else None
        )
    cert, key = config_dir / AUTO_CERT, config_dir / AUTO_KEY
    if not (cert.exists() and key.exists()):
        from carnet.tls.certs import generate_self_signed

        generate_self_signed(cert, key, hosts=hosts or [], overwrite=True)
    return cert, key


def configured_certfile(tls: TlsSettings, config_dir: Path) -> Path | None:
    """The certificate file the server serves (or will serve) with, without making one."""
    if not tls.enabled:
        return None
    return Path(tls.certfile).expanduser() if tls.certfile else config_dir / AUTO_CERT

"""TOTP: RFC 6238's published vectors, the ±1 step window, no reuse, the otpauth URI."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import pytest

from carnet.auth.totp import TotpVerifier, decode_secret, new_secret, otpauth_uri, totp
from carnet.errors import ConfigError

SEEDS = {
    "sha1": b"12345678901234567890",
    "sha256": b"12345678901234567890123456789012",
    "sha512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
# RFC 6238, appendix B.
VECTORS = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


@pytest.mark.parametrize(("at", "sha1", "sha256", "sha512"), VECTORS)
def test_rfc6238_vectors(at: int, sha1: str, sha256: str, sha512: str) -> None:
    assert totp(SEEDS["sha1"], at, digits=8) == sha1
    assert totp(SEEDS["sha256"], at, digits=8, digest="sha256") == sha256
    assert totp(SEEDS["sha512"], at, digits=8, digest="sha512") == sha512


def secret_of(seed: bytes) -> str:
    return base64.b32encode(seed).decode().rstrip("=")


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_verifier_accepts_one_step_of_drift_and_refuses_reuse() -> None:
    secret = secret_of(SEEDS["sha1"])
    clock = Clock(1111111111.0)
    verifier = TotpVerifier(secret, clock=clock)
    key = decode_secret(secret)
    assert verifier.verify(totp(key, clock.now - 30))
    # The same code again, or an older one, is refused.
    assert not verifier.verify(totp(key, clock.now - 30))
    assert not verifier.verify(totp(key, clock.now - 60))
    assert verifier.verify(totp(key, clock.now + 30))
    clock.now += 90
    assert not verifier.verify(totp(key, clock.now - 60))
    code = totp(key, clock.now)
    assert verifier.verify(f"{code[:3]} {code[3:]}")  # as apps display it


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 34"])
def test_malformed_codes_are_refused(code: str) -> None:
    assert not TotpVerifier(new_secret(), clock=Clock(0)).verify(code)


def test_bad_secrets_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="base32"):
        decode_secret("not base32 !!")
    with pytest.raises(ConfigError, match="too short"):
        decode_secret("ABCDEFGH")


def test_otpauth_uri_carries_secret_issuer_and_parameters() -> None:
    secret = new_secret()
    assert len(decode_secret(secret)) == 20
    uri = otpauth_uri(secret, "ada@lab")
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc, parts.path) == ("otpauth", "totp", "/carnet:ada@lab")
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {
        "secret": secret,
        "issuer": "carnet",
        "algorithm": "SHA1",
        "digits": "6",
        "period": "30",
    }

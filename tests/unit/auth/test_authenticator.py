"""Password, TOTP and token checks: throttling, legacy hash upgrade, logging."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from carnet.auth.authenticator import Authenticator
from carnet.auth.passwords import hash_password, verify
from carnet.auth.setup import build_auth, hash_upgrader
from carnet.auth.throttle import LoginThrottle
from carnet.auth.totp import TotpVerifier, decode_secret, new_secret, totp
from carnet.settings import load_settings

# IPython's passwd("nbserver-pass") with salt bcd259ccf6b4 (tests/data/legacy).
SHA1_HASH = "sha1:bcd259ccf6b4:9d6c11a1d4dea487b39e89fc04aec57e2dbdcea4"


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def make(
    password_hash: str | None, clock: Clock, **kwargs: object
) -> tuple[Authenticator, list[str]]:
    upgrades: list[str] = []
    throttle = LoginThrottle(free_attempts=2, base_delay=10, max_delay=100, clock=clock)
    auth = Authenticator(
        password_hash=password_hash,
        token="the-server-token",
        throttle=throttle,
        upgrade_hash=upgrades.append,
        **kwargs,  # type: ignore[arg-type]
    )
    return auth, upgrades


def login(auth: Authenticator, addr: str, password: str, code: str | None = None) -> str:
    return asyncio.run(auth.check_password(addr, password, code)).outcome


def test_right_and_wrong_password() -> None:
    auth, upgrades = make(hash_password("correct horse"), Clock())
    assert login(auth, "10.0.0.1", "correct horse") == "ok"
    assert login(auth, "10.0.0.1", "wrong") == "wrong-password"
    assert upgrades == []


def test_failures_are_throttled_per_address_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    auth, _ = make(hash_password("pw-right"), clock)
    caplog.set_level(logging.WARNING, logger="carnet.auth")
    outcomes = [login(auth, "203.0.113.5", "guess") for _ in range(2)]
    result = asyncio.run(auth.check_password("203.0.113.5", "guess"))
    assert outcomes == ["wrong-password", "wrong-password"]
    assert (result.outcome, result.retry_after) == ("wrong-password", 10)
    # Even the right password is not looked at while the address waits ...
    blocked = asyncio.run(auth.check_password("203.0.113.5", "pw-right"))
    assert (blocked.outcome, blocked.retry_after) == ("throttled", 10)
    # ... while the owner, elsewhere, gets in.
    assert login(auth, "198.51.100.7", "pw-right") == "ok"
    clock.now += 10
    assert login(auth, "203.0.113.5", "pw-right") == "ok"
    assert "failed login from 203.0.113.5" in caplog.text


def test_legacy_hash_is_upgraded_once_and_keeps_working() -> None:
    auth, upgrades = make(SHA1_HASH, Clock())
    assert login(auth, "10.0.0.1", "nbserver-pass") == "ok"
    assert len(upgrades) == 1
    assert upgrades[0].startswith("$argon2id$")
    assert verify(upgrades[0], "nbserver-pass").matched
    assert login(auth, "10.0.0.1", "nbserver-pass") == "ok"
    assert len(upgrades) == 1


def test_failed_upgrade_does_not_block_the_login(caplog: pytest.LogCaptureFixture) -> None:
    def broken(new_hash: str) -> None:
        raise OSError("read-only file system")

    auth = Authenticator(
        password_hash=SHA1_HASH, token=None, throttle=LoginThrottle(), upgrade_hash=broken
    )
    assert login(auth, "10.0.0.1", "nbserver-pass") == "ok"
    assert "could not store the upgraded password hash" in caplog.text


def test_totp_second_factor() -> None:
    clock = Clock()
    secret = new_secret()
    auth, _ = make(hash_password("pw-right"), clock, totp=TotpVerifier(secret, clock=clock))
    code = totp(decode_secret(secret), clock.now)
    assert login(auth, "10.0.0.1", "pw-right") == "totp-required"
    assert login(auth, "10.0.0.1", "wrong-pw", code) == "wrong-password"
    assert login(auth, "10.0.0.1", "pw-right", "000000" if code != "000000" else "111111") == (
        "wrong-totp"
    )
    assert login(auth, "10.0.0.1", "pw-right", code) == "ok"
    assert login(auth, "10.0.0.1", "pw-right", code) == "wrong-totp"  # no replay


def test_no_password_configured() -> None:
    auth, _ = make(None, Clock())
    assert not auth.has_password
    assert login(auth, "10.0.0.1", "anything") == "no-password"


def test_token_check() -> None:
    auth, _ = make(None, Clock())
    assert auth.check_token("the-server-token")
    for bad in ["the-server-tokeN", "", None, "the-server-token "]:
        assert not auth.check_token(bad)
    off = Authenticator(password_hash=None, token="", throttle=LoginThrottle())
    assert not off.check_token("")


def test_upgrade_rewrites_the_toml_file_it_came_from(tmp_path: Path) -> None:
    cfg = tmp_path / "carnet.toml"
    cfg.write_text(f'# mine\n[auth]\npassword_hash = "{SHA1_HASH}"\n')
    settings = load_settings({}, env={}, config_file=cfg)
    services = build_auth(settings, tmp_path / "state")
    assert login(services.authenticator, "10.0.0.1", "nbserver-pass") == "ok"
    text = cfg.read_text()
    assert text.startswith('# mine\n[auth]\npassword_hash = "$argon2id$')
    stored = load_settings({}, env={}, config_file=cfg).auth.password_hash
    assert stored is not None
    assert verify(stored.reveal(), "nbserver-pass").matched
    assert not verify(stored.reveal(), "nbserver-pass").needs_upgrade


def test_hash_from_the_environment_is_not_rewritten() -> None:
    settings = load_settings({}, env={"CARNET_AUTH_PASSWORD_HASH": SHA1_HASH})
    upgrade = hash_upgrader(settings)
    assert upgrade is not None
    upgrade("$argon2id$whatever")  # logs how to upgrade; writes nothing, raises nothing


def test_damaged_stored_hash_is_reported_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    damaged = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$!!not-base64!!"
    auth, _ = make(damaged, Clock())
    assert login(auth, "10.0.0.1", "anything") == "bad-hash"
    assert "carnet password" in caplog.text

"""Password hashing and checking, against hashes made the way Jupyter and IPython made them."""

from __future__ import annotations

import hashlib
import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Iterator

import argon2
import pytest

from carnet.auth.passwords import hash_scheme, passwd, verify
from carnet.errors import ConfigError

# The example from IPython's and jupyter_server's passwd_check documentation.
CLASSIC_SHA1 = "sha1:0e112c3ddfce:a68df677475c2b47b6e86d0467eec97ac5f4b85a"


def salted(algorithm: str, salt: str, passphrase: str) -> str:
    """A hash the way IPython's ``passwd`` made it: hexdigest of passphrase then salt."""
    digest = hashlib.new(algorithm, passphrase.encode("utf-8") + salt.encode("ascii"))
    return f"{algorithm}:{salt}:{digest.hexdigest()}"


def test_passwd_makes_an_argon2id_hash_that_verifies() -> None:
    stored = passwd("correct horse battery staple")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    ok = verify(stored, "correct horse battery staple")
    assert ok.matched
    assert not ok.needs_upgrade
    assert ok.new_hash is None
    assert not verify(stored, "correct horse battery stapl").matched
    # Salted: the same passphrase never gives the same hash twice.
    assert passwd("correct horse battery staple") != stored


def test_classic_documented_sha1_hash_matches_and_is_upgraded() -> None:
    assert salted("sha1", "0e112c3ddfce", "mypassword") == CLASSIC_SHA1
    result = verify(CLASSIC_SHA1, "mypassword")
    assert result.matched
    assert result.needs_upgrade
    assert result.new_hash is not None
    assert result.new_hash.startswith("$argon2id$")
    assert verify(result.new_hash, "mypassword").matched
    assert not verify(result.new_hash, "MyPassword").matched


def test_wrong_passphrase_for_sha1_does_not_match_nor_upgrade() -> None:
    result = verify(CLASSIC_SHA1, "mypassword ")
    assert not result.matched
    assert result.new_hash is None
    assert not result


@pytest.mark.parametrize("algorithm", ["sha1", "sha256", "sha512", "md5", "sha3_256"])
def test_other_hashlib_algorithms_in_the_salted_form(algorithm: str) -> None:
    stored = salted(algorithm, "5a1t0f12ch4r", "pässwörd ✓")
    result = verify(stored, "pässwörd ✓")
    assert result.matched
    assert result.needs_upgrade
    assert not verify(stored, "passwort").matched


def test_jupyter_server_argon2_prefix_is_accepted_and_upgraded() -> None:
    # What `jupyter server password` writes: its own argon2 parameters, behind "argon2:".
    jupyter_hasher = argon2.PasswordHasher(memory_cost=10240, time_cost=10, parallelism=8)
    stored = "argon2:" + jupyter_hasher.hash("s3cret-Ω")
    assert hash_scheme(stored) == "jupyter-argon2"
    result = verify(stored, "s3cret-Ω")
    assert result.matched
    assert result.needs_upgrade
    assert result.new_hash is not None
    assert not result.new_hash.startswith("argon2:")
    assert verify(result.new_hash, "s3cret-Ω").matched
    assert not verify(result.new_hash, "s3cret-Ω").needs_upgrade
    assert not verify(stored, "s3cret").matched


def test_bare_argon2_with_stronger_parameters_is_kept() -> None:
    # argon2-cffi's own default costs more than carnet's: no reason to replace it.
    strong = argon2.PasswordHasher(memory_cost=65536, time_cost=3, parallelism=4).hash("pw")
    result = verify(strong, "pw")
    assert result.matched
    assert not result.needs_upgrade


def test_bare_argon2_with_outdated_parameters_is_upgraded() -> None:
    weak = argon2.PasswordHasher(memory_cost=8192, time_cost=2, parallelism=1).hash("pw")
    result = verify(weak, "pw")
    assert result.matched
    assert result.needs_upgrade
    argon2i = argon2.PasswordHasher(type=argon2.Type.I).hash("pw")
    assert hash_scheme(argon2i) == "argon2i"
    result = verify(argon2i, "pw")
    assert result.matched
    assert result.needs_upgrade


@pytest.mark.parametrize(
    ("stored", "says"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("hunter2", "plain password"),
        ("sha1:abc", "plain password"),
        ("nosuchalgo:salt:abcdef", "unknown algorithm"),
        ("sha1:salt:", "malformed sha1 digest"),
        ("sha1:salt:zz68df677475c2b47b6e86d0467eec97ac5f4b85", "malformed sha1 digest"),
        ("sha1:salt:a68df677", "malformed sha1 digest"),
        ("sha1:sälz:a68df677475c2b47b6e86d0467eec97ac5f4b85a", "not ASCII"),
        ("shake_128:salt:abcd", "unusable algorithm"),
        ("argon2:", "not a valid argon2 hash"),
        ("argon2:sha1:x:y", "not a valid argon2 hash"),
        ("$argon2id$garbage", "not a valid argon2 hash"),
        ("$argon2id$v=19$m=65536,t=3,p=4$bad$bad", "damaged"),
        ("$argon2id$v=19$m=65536,t=3,p=4$s70PbrcMRYCWsK4sK7rNgA$", "damaged"),
    ],
)
def test_malformed_stored_hash_is_a_config_error(stored: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        verify(stored, "mypassword")


def test_passwd_asks_twice_and_refuses_mismatch_and_empty() -> None:
    answers: Iterator[str] = iter(["first", "second"])
    prompts: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return next(answers)

    with pytest.raises(ConfigError, match="do not match"):
        passwd(ask=ask)
    assert prompts == ["Enter password: ", "Verify password: "]
    with pytest.raises(ConfigError, match="empty"):
        passwd(ask=lambda _prompt: "")
    with pytest.raises(ConfigError, match="empty"):
        passwd("")
    same = iter(["tw1ce", "tw1ce"])
    assert verify(passwd(ask=lambda _prompt: next(same)), "tw1ce").matched


def _read_until(fd: int, marker: bytes | None, deadline: float) -> bytes:
    """Read the terminal until ``marker`` shows up (or, with None, until the child exits)."""
    seen = b""
    while marker is None or marker not in seen:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"timed out waiting for {marker!r}; got {seen!r}")
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 1024)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    return seen


def test_passwd_on_a_real_terminal_does_not_echo() -> None:
    code = "from carnet.auth.passwords import passwd; print('HASH=' + passwd())"
    pid, fd = pty.fork()
    if pid == 0:  # the child: its controlling terminal is the pty
        os.execv(sys.executable, [sys.executable, "-c", code])
    status = None
    try:
        deadline = time.monotonic() + 30
        _read_until(fd, b"Enter password: ", deadline)
        os.write(fd, b"typed-secret\n")
        _read_until(fd, b"Verify password: ", deadline)
        os.write(fd, b"typed-secret\n")
        output = _read_until(fd, None, deadline)
    finally:
        os.close(fd)
        for _ in range(100):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.1)
        else:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
    assert status is not None
    assert os.waitstatus_to_exitcode(status) == 0
    text = output.decode()
    assert "typed-secret" not in text
    stored = text.split("HASH=", 1)[1].split()[0]
    assert verify(stored, "typed-secret").matched


def test_module_import_does_not_load_argon2() -> None:
    code = "import sys, carnet.auth.passwords; print('argon2' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "False"


def test_carnet_auth_passwd_is_the_classic_entry_point() -> None:
    from carnet.auth import passwd

    stored = passwd("correct horse")
    assert stored.startswith("$argon2id$")
    assert verify(stored, "correct horse").matched
    assert not verify(stored, "wrong horse").matched

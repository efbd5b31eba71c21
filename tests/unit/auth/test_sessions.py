"""Login sessions: hashed at rest, expiring, sliding, revocable from another process."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from carnet.auth.sessions import FILE_NAME, LoginSessions, MemorySessionStorage
from carnet.errors import NotFound

DAY = 86400.0


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def test_created_session_validates_and_file_holds_no_usable_id(tmp_path: Path) -> None:
    sessions = LoginSessions.in_dir(tmp_path, ttl=DAY)
    session_id, record = sessions.create("203.0.113.5", "Firefox")
    assert len(session_id) >= 43
    found = sessions.validate(session_id)
    assert found is not None
    assert found.client_addr == "203.0.113.5"
    text = (tmp_path / FILE_NAME).read_text()
    assert session_id not in text
    assert record.ref in text
    assert stat.S_IMODE((tmp_path / FILE_NAME).stat().st_mode) == 0o600
    assert sessions.validate(record.ref) is None  # the public ref is not a cookie
    assert sessions.validate("made-up") is None


def test_sessions_survive_a_restart(tmp_path: Path) -> None:
    session_id, _ = LoginSessions.in_dir(tmp_path, ttl=DAY).create("::1", "curl")
    assert LoginSessions.in_dir(tmp_path, ttl=DAY).validate(session_id) is not None


def test_expiry_slides_with_use_and_idle_sessions_expire() -> None:
    clock = Clock()
    sessions = LoginSessions(MemorySessionStorage(), ttl=DAY, clock=clock)
    session_id, _ = sessions.create("127.0.0.1", "x")
    for _ in range(5):
        clock.now += 0.9 * DAY
        assert sessions.validate(session_id) is not None
    clock.now += DAY + 1
    assert sessions.validate(session_id) is None
    assert sessions.list() == []


def test_frequent_use_does_not_rewrite_the_store() -> None:
    clock = Clock()
    storage = MemorySessionStorage()
    sessions = LoginSessions(storage, ttl=DAY, clock=clock)
    session_id, _ = sessions.create("127.0.0.1", "x")
    before = storage.version()
    for _ in range(50):
        clock.now += 1
        assert sessions.validate(session_id) is not None
    assert storage.version() == before


def test_revoke_by_id_by_ref_and_all() -> None:
    storage = MemorySessionStorage()
    sessions = LoginSessions(storage, ttl=DAY)
    a, _ = sessions.create("10.0.0.1", "a")
    b, rec_b = sessions.create("10.0.0.2", "b")
    c, _ = sessions.create("10.0.0.3", "c")
    sessions.revoke(a)
    assert sessions.validate(a) is None
    assert sessions.revoke(rec_b.ref.upper()).client_addr == "10.0.0.2"
    assert sessions.validate(b) is None
    assert sessions.validate(c) is not None
    with pytest.raises(NotFound):
        sessions.revoke(rec_b.ref)
    with pytest.raises(NotFound):
        sessions.revoke("abc")  # too short to name a session
    assert sessions.revoke_all() == 1
    assert sessions.validate(c) is None


def test_another_instance_on_the_same_storage_sees_revocations() -> None:
    storage = MemorySessionStorage()
    server = LoginSessions(storage, ttl=DAY)
    session_id, record = server.create("10.0.0.1", "a")
    assert server.validate(session_id) is not None
    LoginSessions(storage, ttl=DAY).revoke(record.ref)
    assert server.validate(session_id) is None


def run_cli(state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "carnet", "sessions", "--state-dir", str(state_dir), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_revocation_in_another_process_stops_the_running_instance(tmp_path: Path) -> None:
    server = LoginSessions.in_dir(tmp_path, ttl=DAY)
    keep_id, _ = server.create("10.0.0.1", "Firefox")
    drop_id, drop = server.create("10.0.0.2", "Chromium")
    assert server.validate(drop_id) is not None

    listing = run_cli(tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert drop.ref in listing.stdout
    assert "Chromium" in listing.stdout
    assert drop_id not in listing.stdout

    revoked = run_cli(tmp_path, "revoke", drop.ref)
    assert revoked.returncode == 0, revoked.stderr
    assert server.validate(drop_id) is None
    assert server.validate(keep_id) is not None

    everything = run_cli(tmp_path, "revoke", "--all")
    assert everything.returncode == 0
    assert "revoked 1 session" in everything.stdout
    assert server.validate(keep_id) is None
    assert json.loads((tmp_path / FILE_NAME).read_text())["sessions"] == {}


def test_revoking_an_unknown_id_is_a_one_line_error(tmp_path: Path) -> None:
    proc = run_cli(tmp_path, "revoke", "0123456789ab")
    assert proc.returncode == 2
    assert proc.stderr.strip() == "carnet: no login session '0123456789ab'"


def test_a_server_write_does_not_bring_back_a_revoked_session(tmp_path: Path) -> None:
    server = LoginSessions.in_dir(tmp_path, ttl=DAY)
    gone, record = server.create("10.0.0.1", "a")
    LoginSessions.in_dir(tmp_path, ttl=DAY).revoke(record.ref)
    server.create("10.0.0.2", "b")  # the server writes the file again
    assert LoginSessions.in_dir(tmp_path, ttl=DAY).validate(gone) is None


def test_cookie_attributes() -> None:
    from carnet.auth.sessions import cookie_attributes

    plain = cookie_attributes(secure=False, ttl=DAY, path="/nb/")
    assert plain == {
        "httponly": True,
        "samesite": "Lax",
        "secure": False,
        "max_age": 86400,
        "path": "/nb/",
    }
    assert cookie_attributes(secure=True, ttl=DAY)["secure"] is True


def test_a_damaged_file_ends_every_session_and_is_repaired(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sessions = LoginSessions.in_dir(tmp_path, ttl=DAY)
    old, _ = sessions.create("10.0.0.1", "a")
    (tmp_path / FILE_NAME).write_text('{"sessions": [tru')
    assert sessions.validate(old) is None
    assert "damaged" in caplog.text
    new, _ = sessions.create("10.0.0.2", "b")
    assert LoginSessions.in_dir(tmp_path, ttl=DAY).validate(new) is not None

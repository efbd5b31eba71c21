"""Minimal TOML edits: one line changes, the user's comments stay."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest

from carnet.config.edit import set_in_text, set_setting
from carnet.errors import ConfigError

USER_FILE = """# my server
[server]
port = 9000  # the usual one

[auth]  # logins
# an old note
password_hash = "sha1:old"
allowed_hosts = ["a.example"]

[tls]
mode = "off"
"""


def test_replace_keeps_every_other_line() -> None:
    out = set_in_text(USER_FILE, "auth.password_hash", "$argon2id$new")
    changed = [
        (a, b) for a, b in zip(USER_FILE.splitlines(), out.splitlines(), strict=True) if a != b
    ]
    assert changed == [('password_hash = "sha1:old"', 'password_hash = "$argon2id$new"')]


def test_add_to_existing_section_and_new_section() -> None:
    out = set_in_text(USER_FILE, "auth.totp_secret", "ABC")
    assert tomllib.loads(out)["auth"]["totp_secret"] == "ABC"
    assert out.replace('totp_secret = "ABC"\n', "") == USER_FILE
    out = set_in_text("[server]\nport = 1", "auth.password_hash", "h")
    assert out == '[server]\nport = 1\n\n[auth]\npassword_hash = "h"\n'
    assert set_in_text("", "auth.password_hash", "h") == '[auth]\npassword_hash = "h"\n'


def test_remove_a_setting() -> None:
    out = set_in_text(USER_FILE, "auth.password_hash", None)
    assert "password_hash" not in out
    assert "# an old note" in out
    assert set_in_text(USER_FILE, "auth.totp_secret", None) == USER_FILE


def test_other_sections_with_the_same_name_are_untouched() -> None:
    text = '[server]\ntoken = "a-token-value"\n[auth]\n'
    out = set_in_text(text, "auth.token", "x")
    assert tomllib.loads(out) == {"server": {"token": "a-token-value"}, "auth": {"token": "x"}}


def test_set_setting_writes_0600_and_escapes(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "carnet.toml"
    set_setting(path, "auth.password_hash", 'we"ird\\value')
    assert tomllib.loads(path.read_text())["auth"]["password_hash"] == 'we"ird\\value'
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_broken_file_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "carnet.toml"
    path.write_text("[auth\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        set_setting(path, "auth.password_hash", "h")
    assert path.read_text() == "[auth\n"


def test_dotted_keys_are_refused_rather_than_duplicated(tmp_path: Path) -> None:
    path = tmp_path / "carnet.toml"
    path.write_text('auth.password_hash = "old"\n')
    with pytest.raises(ConfigError):
        set_setting(path, "auth.password_hash", "new")
    assert path.read_text() == 'auth.password_hash = "old"\n'

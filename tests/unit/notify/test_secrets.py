"""Secrets come from the environment or an owner-only file, never from the config file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from carnet.errors import ConfigError
from carnet.notify.secrets import read_secret_file, resolve_secret
from carnet.settings import Secret, default_state_dir, load_settings


def secret_file(tmp_path: Path, mode: int, text: str = "hunter2-password\n") -> Path:
    path = tmp_path / "smtp-password"
    path.write_text(text)
    path.chmod(mode)
    return path


def test_owner_only_file_is_read(tmp_path: Path) -> None:
    path = secret_file(tmp_path, 0o600)
    assert read_secret_file(str(path)).reveal() == "hunter2-password"
    assert read_secret_file(str(secret_file(tmp_path, 0o400))).reveal() == "hunter2-password"


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o606])
def test_file_readable_by_others_is_refused_with_the_fix(tmp_path: Path, mode: int) -> None:
    path = secret_file(tmp_path, mode)
    with pytest.raises(ConfigError) as info:
        read_secret_file(str(path))
    message = info.value.message
    assert "can be read by other users" in message
    assert f"{mode:04o}" in message
    assert f"chmod 600 {path}" in message
    assert "hunter2" not in message


def test_missing_and_empty_files_are_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        read_secret_file(str(tmp_path / "nope"))
    with pytest.raises(ConfigError, match="is empty"):
        read_secret_file(str(secret_file(tmp_path, 0o600, "\n")))
    with pytest.raises(ConfigError, match="not a regular file"):
        read_secret_file(str(tmp_path))


def test_symlink_to_a_private_file_is_checked_on_its_target(tmp_path: Path) -> None:
    target = secret_file(tmp_path, 0o644)
    link = tmp_path / "link"
    link.symlink_to(target)
    with pytest.raises(ConfigError, match="can be read by other users"):
        read_secret_file(str(link))
    target.chmod(0o600)
    assert read_secret_file(str(link)).reveal() == "hunter2-password"


def test_environment_wins_over_the_file(tmp_path: Path) -> None:
    path = secret_file(tmp_path, 0o644)
    # The file is not even opened when the environment has the secret.
    assert resolve_secret(Secret("from-env"), str(path)) == Secret("from-env")
    assert resolve_secret(None, "") is None


def test_password_in_the_config_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "carnet.toml"
    config.write_text('[notify]\nsmtp_host = "mail.example.org"\nsmtp_password = "plain"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(env={}, config_file=config)
    assert "notify.smtp_password must not be written in a config file" in info.value.message
    assert "CARNET_NOTIFY_SMTP_PASSWORD" in info.value.message
    config.write_text('[notify]\nwebhook_token = "plain"\n')
    with pytest.raises(ConfigError, match=r"notify\.webhook_token must not be written"):
        load_settings(env={}, config_file=config)


def test_password_from_the_environment_is_masked() -> None:
    settings = load_settings(env={"CARNET_NOTIFY_SMTP_PASSWORD": "pw-from-env"})
    assert settings.notify.smtp_password == Secret("pw-from-env")
    assert "pw-from-env" not in repr(settings)


def test_lists_from_environment_and_config_file(tmp_path: Path) -> None:
    settings = load_settings(env={"CARNET_NOTIFY_SMTP_TO": "a@example.org, b@example.org,"})
    assert settings.notify.smtp_to == ("a@example.org", "b@example.org")
    config = tmp_path / "carnet.toml"
    config.write_text('[notify]\necho_ipv4 = ["http://127.0.0.1:9/", "http://127.0.0.1:10/"]\n')
    settings = load_settings(env={}, config_file=config)
    assert settings.notify.echo_ipv4 == ("http://127.0.0.1:9/", "http://127.0.0.1:10/")
    config.write_text("[notify]\nsmtp_to = [1, 2]\n")
    with pytest.raises(ConfigError, match=r"notify\.smtp_to"):
        load_settings(env={}, config_file=config)


def test_notify_is_off_until_a_channel_is_set() -> None:
    assert not load_settings(env={}).notify.configured
    assert load_settings(env={"CARNET_NOTIFY_WEBHOOK_URL": "https://x.example"}).notify.configured


def test_state_directory_follows_xdg(tmp_path: Path) -> None:
    assert default_state_dir({"XDG_STATE_HOME": str(tmp_path)}) == tmp_path / "carnet"
    home = Path(os.path.expanduser("~"))
    assert default_state_dir({}) == home / ".local/state/carnet"

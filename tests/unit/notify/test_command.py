"""``carnet notify test`` and ``carnet notify check`` as a person (or cron) runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.notify.servers import (
    Certificate,
    LoopbackHTTP,
    SMTPServer,
    closed_port_url,
    start_smtp,
)


def carnet(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CARNET_")}
    return subprocess.run(
        [sys.executable, "-m", "carnet", "notify", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def env(tmp_path: Path, echo: LoopbackHTTP, webhook: LoopbackHTTP) -> dict[str, str]:
    return {
        "CARNET_NOTIFY_ECHO_IPV4": echo.url,
        "CARNET_NOTIFY_WEBHOOK_URL": webhook.url,
        "CARNET_NOTIFY_STATE_DIR": str(tmp_path / "state"),
        "CARNET_NOTIFY_RETRIES": "1",
        "CARNET_NOTIFY_BACKOFF": "0.05",
        "CARNET_NOTIFY_TIMEOUT": "2",
        "HOME": str(tmp_path),
    }


@pytest.fixture
def smtp(certificate: Certificate) -> Iterator[SMTPServer]:
    server = start_smtp(mode="starttls", certificate=certificate)
    yield server
    server.stop()


def test_check_exit_codes(env: dict[str, str], echo: LoopbackHTTP, webhook: LoopbackHTTP) -> None:
    first = carnet("check", "--port", "9999", "--base-url", "/nb", env=env)
    assert first.returncode == 10, first.stderr
    assert "ipv4 address: 203.0.113.7" in first.stdout
    assert "http://203.0.113.7:9999/nb/" in first.stdout
    assert "webhook: sent" in first.stdout
    assert webhook.requests("POST")[0].json()["urls"] == ["http://203.0.113.7:9999/nb/"]

    same = carnet("check", "--port", "9999", "--base-url", "/nb", env=env)
    assert same.returncode == 0, same.stderr
    assert "unchanged" in same.stdout
    assert len(webhook.requests("POST")) == 1

    echo.set("garbage")
    broken = carnet("check", "--port", "9999", "--base-url", "/nb", env=env)
    assert broken.returncode == 1
    assert "ipv4 address: FAILED" in broken.stderr
    assert "'garbage', which is not an ipv4 address" in broken.stderr
    assert "Traceback" not in broken.stderr

    echo.set("198.51.100.2")
    webhook.set("no", status=503)
    undelivered = carnet("check", "--port", "9999", "--base-url", "/nb", env=env)
    assert undelivered.returncode == 1
    assert "webhook: FAILED: webhook http://127.0.0.1" in undelivered.stderr
    assert "HTTP 503" in undelivered.stderr

    webhook.set("ok")
    delivered = carnet("check", "--port", "9999", "--base-url", "/nb", env=env)
    assert delivered.returncode == 10
    assert webhook.requests("POST")[-1].json()["urls"] == ["http://198.51.100.2:9999/nb/"]


def test_check_without_any_channel_is_a_usage_error(tmp_path: Path) -> None:
    result = carnet("check", env={"HOME": str(tmp_path)})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "carnet: no notification channel is configured: set notify.smtp_host or notify.webhook_url"
    )


def test_test_says_which_channel_worked(
    env: dict[str, str],
    smtp: SMTPServer,
    certificate: Certificate,
    webhook: LoopbackHTTP,
    tmp_path: Path,
) -> None:
    password = tmp_path / "smtp-password"
    password.write_text("s3cret-pass\n")
    password.chmod(0o600)
    env.update(
        {
            "CARNET_NOTIFY_SMTP_HOST": "127.0.0.1",
            "CARNET_NOTIFY_SMTP_PORT": str(smtp.port),
            "CARNET_NOTIFY_SMTP_USER": "alice",
            "CARNET_NOTIFY_SMTP_PASSWORD_FILE": str(password),
            "CARNET_NOTIFY_SMTP_FROM": "carnet@example.org",
            "CARNET_NOTIFY_SMTP_TO": "me@example.org",
            "CARNET_NOTIFY_CA_FILE": str(certificate.cert),
        }
    )
    webhook.set("gateway broke", status=502)
    result = carnet("test", env=env)
    assert result.returncode == 1
    assert "email: sent" in result.stdout
    assert "webhook: FAILED: webhook http://127.0.0.1" in result.stderr
    assert "HTTP 502: gateway broke" in result.stderr
    (mail,) = smtp.wait_for_mail()
    assert "test notification" in mail.message["Subject"]
    # A test leaves the state alone: the next check still reports a change.
    assert not (tmp_path / "state" / "notify.json").exists()

    password.chmod(0o644)
    webhook.set("ok")
    result = carnet("test", env=env)
    assert result.returncode == 1
    assert "webhook: sent" in result.stdout
    assert "email: FAILED: refusing to use secret file" in result.stderr
    assert f"chmod 600 {password}" in result.stderr


def test_test_with_everything_working_exits_zero(env: dict[str, str]) -> None:
    result = carnet("test", env=env)
    assert result.returncode == 0, result.stderr
    assert "webhook: sent" in result.stdout


def test_secret_in_config_file_is_refused_by_the_command(tmp_path: Path) -> None:
    config = tmp_path / "carnet.toml"
    config.write_text(f'[notify]\nwebhook_url = "{closed_port_url()}"\nwebhook_token = "x"\n')
    result = carnet("check", "--config", str(config), env={"HOME": str(tmp_path)})
    assert result.returncode == 2
    assert "notify.webhook_token must not be written in a config file" in result.stderr

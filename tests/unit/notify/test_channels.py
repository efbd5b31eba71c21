"""Email and webhook delivery, against an SMTP server and a webhook receiver on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from carnet.errors import ConfigError
from carnet.notify import DeliveryFailed
from carnet.notify.channels import Channel, build_channels
from carnet.notify.message import Notice, server_urls
from carnet.notify.watcher import Endpoint, make_notifier
from carnet.settings import load_settings
from tests.unit.notify.servers import (
    Certificate,
    LoopbackHTTP,
    SMTPServer,
    closed_port_url,
    free_port,
    start_smtp,
)

NOTICE = Notice(
    reason="changed",
    hostname="labbox",
    addresses={"ipv4": "203.0.113.7"},
    urls=server_urls({"ipv4": "203.0.113.7"}, scheme="https", port=8888, base_url="/nb"),
    fingerprint="AB:CD:EF",
    previous={"ipv4": "198.51.100.1"},
)


def channel(env: dict[str, str]) -> Channel:
    channels = build_channels(load_settings(env=env).notify)
    assert len(channels) == 1
    return channels[0]


def smtp_env(smtp: SMTPServer, certificate: Certificate, security: str) -> dict[str, str]:
    return {
        "CARNET_NOTIFY_SMTP_HOST": "127.0.0.1",
        "CARNET_NOTIFY_SMTP_PORT": str(smtp.port),
        "CARNET_NOTIFY_SMTP_SECURITY": security,
        "CARNET_NOTIFY_SMTP_USER": "alice",
        "CARNET_NOTIFY_SMTP_PASSWORD": "s3cret-pass",
        "CARNET_NOTIFY_SMTP_FROM": "carnet@example.org",
        "CARNET_NOTIFY_SMTP_TO": "me@example.org,phone@example.org",
        "CARNET_NOTIFY_CA_FILE": str(certificate.cert),
        "CARNET_NOTIFY_TIMEOUT": "5",
    }


@pytest.fixture
def starttls_smtp(certificate: Certificate) -> Iterator[SMTPServer]:
    server = start_smtp(mode="starttls", certificate=certificate)
    yield server
    server.stop()


@pytest.fixture
def tls_smtp(certificate: Certificate) -> Iterator[SMTPServer]:
    server = start_smtp(mode="tls", certificate=certificate)
    yield server
    server.stop()


@pytest.fixture
def plain_smtp() -> Iterator[SMTPServer]:
    server = start_smtp(mode="plain")
    yield server
    server.stop()


def test_email_over_starttls(starttls_smtp: SMTPServer, certificate: Certificate) -> None:
    asyncio.run(channel(smtp_env(starttls_smtp, certificate, "starttls")).send(NOTICE))
    (mail,) = starttls_smtp.wait_for_mail()
    assert starttls_smtp.logins == [("alice", True)]
    assert mail.mail_from == "carnet@example.org"
    assert mail.rcpt_tos == ["me@example.org", "phone@example.org"]
    msg = mail.message
    assert msg["Subject"] == "carnet on labbox: new address 203.0.113.7"
    body = msg.get_content().splitlines()
    assert "    https://203.0.113.7:8888/nb/" in body
    assert "    AB:CD:EF" in body
    assert "(The ipv4 address was 198.51.100.1.)" in body


def test_email_over_implicit_tls(tls_smtp: SMTPServer, certificate: Certificate) -> None:
    asyncio.run(channel(smtp_env(tls_smtp, certificate, "tls")).send(NOTICE))
    (mail,) = tls_smtp.wait_for_mail()
    assert tls_smtp.logins == [("alice", True)]
    assert "https://203.0.113.7:8888/nb/" in mail.message.get_content()


def test_refused_login_is_reported(starttls_smtp: SMTPServer, certificate: Certificate) -> None:
    env = {
        **smtp_env(starttls_smtp, certificate, "starttls"),
        "CARNET_NOTIFY_SMTP_PASSWORD": "wrong-password",
    }
    with pytest.raises(DeliveryFailed) as info:
        asyncio.run(channel(env).send(NOTICE))
    assert "refused the login of 'alice'" in info.value.message
    assert "535" in info.value.message
    assert "wrong-password" not in info.value.message
    assert starttls_smtp.mails == []


def test_untrusted_certificate_is_refused(
    starttls_smtp: SMTPServer, certificate: Certificate
) -> None:
    env = smtp_env(starttls_smtp, certificate, "starttls")
    del env["CARNET_NOTIFY_CA_FILE"]
    with pytest.raises(DeliveryFailed, match=r"TLS with SMTP server 127\.0\.0\.1:\d+ failed"):
        asyncio.run(channel(env).send(NOTICE))
    assert starttls_smtp.logins == []


def test_server_without_starttls_gets_no_password(
    plain_smtp: SMTPServer, certificate: Certificate
) -> None:
    with pytest.raises(DeliveryFailed, match=r"does not offer STARTTLS; refusing"):
        asyncio.run(channel(smtp_env(plain_smtp, certificate, "starttls")).send(NOTICE))
    assert plain_smtp.mails == []


def test_plain_local_relay_without_login(plain_smtp: SMTPServer) -> None:
    env = {
        "CARNET_NOTIFY_SMTP_HOST": "127.0.0.1",
        "CARNET_NOTIFY_SMTP_PORT": str(plain_smtp.port),
        "CARNET_NOTIFY_SMTP_SECURITY": "none",
        "CARNET_NOTIFY_SMTP_FROM": "c@example.org",
        "CARNET_NOTIFY_SMTP_TO": "me@example.org",
    }
    asyncio.run(channel(env).send(NOTICE))
    assert len(plain_smtp.wait_for_mail()) == 1


def test_password_over_plain_smtp_to_another_host_is_refused() -> None:
    env = {
        "CARNET_NOTIFY_SMTP_HOST": "mail.example.org",
        "CARNET_NOTIFY_SMTP_SECURITY": "none",
        "CARNET_NOTIFY_SMTP_USER": "me@example.org",
        "CARNET_NOTIFY_SMTP_TO": "me@example.org",
    }
    with pytest.raises(ConfigError, match="unencrypted"):
        build_channels(load_settings(env=env).notify)


def test_unreachable_smtp_server(certificate: Certificate) -> None:
    env = smtp_env(SMTPServer(port=free_port()), certificate, "starttls")
    with pytest.raises(DeliveryFailed, match=r"cannot reach SMTP server .*: Connection refused"):
        asyncio.run(channel(env).send(NOTICE))


def test_group_readable_password_file_is_refused(
    starttls_smtp: SMTPServer, certificate: Certificate, tmp_path: Path
) -> None:
    secret = tmp_path / "pw"
    secret.write_text("s3cret-pass\n")
    secret.chmod(0o640)
    env = smtp_env(starttls_smtp, certificate, "starttls")
    del env["CARNET_NOTIFY_SMTP_PASSWORD"]
    env["CARNET_NOTIFY_SMTP_PASSWORD_FILE"] = str(secret)
    with pytest.raises(DeliveryFailed, match="can be read by other users"):
        asyncio.run(channel(env).send(NOTICE))
    assert starttls_smtp.logins == []
    secret.chmod(0o600)
    asyncio.run(channel(env).send(NOTICE))
    assert starttls_smtp.logins == [("alice", True)]


def test_missing_recipient_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="smtp_to"):
        build_channels(load_settings(env={"CARNET_NOTIFY_SMTP_HOST": "127.0.0.1"}).notify)


def test_webhook_posts_json_with_bearer_token(webhook: LoopbackHTTP) -> None:
    env = {
        "CARNET_NOTIFY_WEBHOOK_URL": webhook.url + "hook/abc?x=1",
        "CARNET_NOTIFY_WEBHOOK_TOKEN": "tok-123",
        "CARNET_NOTIFY_WEBHOOK_TOPIC": "lab",
    }
    asyncio.run(channel(env).send(NOTICE))
    (req,) = webhook.requests("POST")
    assert req.path == "/hook/abc?x=1"
    assert req.headers["authorization"] == "Bearer tok-123"
    assert req.headers["content-type"] == "application/json"
    data = req.json()
    assert data["urls"] == ["https://203.0.113.7:8888/nb/"]
    assert data["addresses"] == {"ipv4": "203.0.113.7"}
    assert data["topic"] == "lab"
    assert data["fingerprint"] == "AB:CD:EF"
    assert "https://203.0.113.7:8888/nb/" in data["text"]
    assert data["title"] == NOTICE.subject


def test_webhook_500_is_a_failure(webhook: LoopbackHTTP) -> None:
    webhook.set("database on fire", status=500)
    with pytest.raises(DeliveryFailed) as info:
        asyncio.run(channel({"CARNET_NOTIFY_WEBHOOK_URL": webhook.url}).send(NOTICE))
    assert "answered HTTP 500: database on fire" in info.value.message


def test_unreachable_webhook() -> None:
    url = closed_port_url() + "secret-path"
    with pytest.raises(DeliveryFailed) as info:
        asyncio.run(channel({"CARNET_NOTIFY_WEBHOOK_URL": url}).send(NOTICE))
    assert "Connection refused" in info.value.message
    assert "secret-path" not in info.value.message


def test_webhook_token_over_plain_http_to_another_host_is_refused() -> None:
    env = {
        "CARNET_NOTIFY_WEBHOOK_URL": "http://push.example.org/x",
        "CARNET_NOTIFY_WEBHOOK_TOKEN": "tok",
    }
    with pytest.raises(ConfigError, match="unencrypted"):
        build_channels(load_settings(env=env).notify)


def test_https_echo_and_webhook_trust_the_configured_ca(
    certificate: Certificate, tmp_path: Path
) -> None:
    echo = LoopbackHTTP(certificate=certificate)
    echo.set("203.0.113.70")
    hook = LoopbackHTTP(certificate=certificate)
    env = {
        "CARNET_NOTIFY_ECHO_IPV4": echo.url,
        "CARNET_NOTIFY_WEBHOOK_URL": hook.url,
        "CARNET_NOTIFY_WEBHOOK_TOKEN": "tok-over-tls",
        "CARNET_NOTIFY_STATE_DIR": str(tmp_path / "state"),
        "CARNET_NOTIFY_RETRIES": "0",
        "CARNET_NOTIFY_TIMEOUT": "5",
    }
    endpoint = Endpoint(scheme="http", port=8888, base_url="/")
    try:
        untrusted = make_notifier(load_settings(env=env).notify, endpoint)
        result = asyncio.run(untrusted.test())
        assert "CERTIFICATE_VERIFY_FAILED" in result.failures["ipv4"]
        assert "CERTIFICATE_VERIFY_FAILED" in result.failures["webhook"]
        assert hook.requests() == []

        env["CARNET_NOTIFY_CA_FILE"] = str(certificate.cert)
        trusted = make_notifier(load_settings(env=env).notify, endpoint)
        assert asyncio.run(trusted.check()).notified == ["webhook"]
        (req,) = hook.requests("POST")
        assert req.headers["authorization"] == "Bearer tok-over-tls"
        assert req.json()["urls"] == ["http://203.0.113.70:8888/"]
    finally:
        echo.close()
        hook.close()


@pytest.mark.parametrize("token", ["tök€n", "tok\r\nX-Injected: yes"])
def test_webhook_token_that_http_cannot_carry_is_refused(webhook: LoopbackHTTP, token: str) -> None:
    env = {"CARNET_NOTIFY_WEBHOOK_URL": webhook.url, "CARNET_NOTIFY_WEBHOOK_TOKEN": token}
    with pytest.raises(DeliveryFailed, match="webhook: http://127"):
        asyncio.run(channel(env).send(NOTICE))
    assert webhook.requests() == []

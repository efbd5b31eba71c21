"""A running server watches its external address and tells the user how to reach it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import start_server
from tests.unit.notify.servers import LoopbackHTTP


@pytest.fixture
def echo() -> Iterator[LoopbackHTTP]:
    server = LoopbackHTTP()
    server.set("203.0.113.7")
    yield server
    server.close()


@pytest.fixture
def webhook() -> Iterator[LoopbackHTTP]:
    server = LoopbackHTTP()
    yield server
    server.close()


def notify_env(tmp_path: Path, echo: LoopbackHTTP, webhook: LoopbackHTTP) -> dict[str, str]:
    return {
        "CARNET_NOTIFY_ECHO_IPV4": echo.url,
        "CARNET_NOTIFY_WEBHOOK_URL": webhook.url,
        "CARNET_NOTIFY_STATE_DIR": str(tmp_path / "state"),
        # One check every 0.3 s, so that a change is seen quickly.
        "CARNET_NOTIFY_INTERVAL_MINUTES": "0.005",
        "CARNET_NOTIFY_RETRIES": "0",
        "CARNET_NOTIFY_TIMEOUT": "2",
    }


def wait_for(condition: Callable[[], bool], timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / 0.05)):
        if condition() or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    return condition()


def messages(webhook: LoopbackHTTP) -> list[dict[str, object]]:
    return [json.loads(r.body) for r in webhook.requests("POST")]


def test_start_and_change_are_announced_with_the_real_port_and_base_url(
    tmp_path: Path, echo: LoopbackHTTP, webhook: LoopbackHTTP
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    srv = start_server(root, base_url="/nb", env=notify_env(tmp_path, echo, webhook))
    try:
        assert wait_for(lambda: len(messages(webhook)) >= 1), srv.log()
        started = messages(webhook)[0]
        assert started["event"] == "started"
        assert started["urls"] == [f"http://203.0.113.7:{srv.port}/nb/"]
        # The token is a credential: it never goes into a notification.
        assert srv.token not in json.dumps(started)

        echo.set("198.51.100.80")
        assert wait_for(lambda: len(messages(webhook)) >= 2), srv.log()
        changed = messages(webhook)[1]
        assert changed["event"] == "changed"
        assert changed["urls"] == [f"http://198.51.100.80:{srv.port}/nb/"]
        time.sleep(1)
        assert len(messages(webhook)) == 2
    finally:
        assert srv.stop() == 0
    print(srv.log())


def test_failures_are_logged_and_never_take_the_server_down(
    tmp_path: Path, echo: LoopbackHTTP, webhook: LoopbackHTTP
) -> None:
    echo.set("<html>rate limited</html>")
    webhook.set("internal error", status=500)
    root = tmp_path / "root"
    root.mkdir()
    srv = start_server(root, env=notify_env(tmp_path, echo, webhook))
    try:
        assert wait_for(lambda: "not an ipv4 address" in srv.log()), srv.log()
        assert webhook.requests("POST") == []
        with srv.client() as client:
            assert client.get("api/status").status_code == 200

        echo.set("203.0.113.7")
        assert wait_for(lambda: "answered HTTP 500: internal error" in srv.log()), srv.log()
        with srv.client() as client:
            assert client.get("api/status").status_code == 200

        # Once the webhook works again, the retried message carries the right address,
        # and is sent once.
        webhook.set("ok")
        assert wait_for(lambda: "webhook notified" in srv.log()), srv.log()
        count = len(webhook.requests("POST"))
        time.sleep(1)
        assert len(webhook.requests("POST")) == count
        assert messages(webhook)[-1]["urls"] == [f"http://203.0.113.7:{srv.port}/"]
        assert all(m["urls"] == [f"http://203.0.113.7:{srv.port}/"] for m in messages(webhook))
    finally:
        assert srv.stop() == 0
    assert "Traceback" not in srv.log()

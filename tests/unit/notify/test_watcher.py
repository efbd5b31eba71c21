"""Address checks end to end: echo service, webhook receiver and state file, all real."""

from __future__ import annotations

import asyncio
import json
import stat
import time
from collections.abc import Callable
from pathlib import Path

from carnet.notify.address import MemoryAddressSource
from carnet.notify.channels import MemoryChannel
from carnet.notify.message import Notice
from carnet.notify.state import StateFile
from carnet.notify.watcher import (
    EXIT_CHANGED,
    EXIT_FAILED,
    EXIT_UNCHANGED,
    Endpoint,
    Notifier,
    make_notifier,
)
from carnet.settings import load_settings
from tests.unit.notify.servers import LoopbackHTTP, closed_port_url

ENDPOINT = Endpoint(scheme="http", port=8888, base_url="/lab")


def notifier(tmp_path: Path, echo: LoopbackHTTP, webhook: LoopbackHTTP, **env: str) -> Notifier:
    base = {
        "CARNET_NOTIFY_ECHO_IPV4": echo.url,
        "CARNET_NOTIFY_WEBHOOK_URL": webhook.url,
        "CARNET_NOTIFY_STATE_DIR": str(tmp_path / "state"),
        "CARNET_NOTIFY_RETRIES": "1",
        "CARNET_NOTIFY_BACKOFF": "0.05",
        "CARNET_NOTIFY_TIMEOUT": "2",
    }
    announce = env.pop("announce", "") == "yes"
    settings = load_settings(env={**base, **env})
    return make_notifier(settings.notify, ENDPOINT, announce=announce)


async def until(condition: Callable[[], bool]) -> None:
    """Wait (at most 5 s) until ``condition()`` holds."""
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)


def sent(webhook: LoopbackHTTP) -> list[dict[str, object]]:
    return [r.json() for r in webhook.requests("POST")]


def test_first_check_notifies_then_nothing_until_the_address_changes(
    tmp_path: Path, echo: LoopbackHTTP, webhook: LoopbackHTTP
) -> None:
    first = asyncio.run(notifier(tmp_path, echo, webhook).check())
    assert first.exit_code == EXIT_CHANGED
    assert first.notified == ["webhook"]
    (message,) = sent(webhook)
    assert message["urls"] == ["http://203.0.113.7:8888/lab/"]
    assert message["event"] == "first"

    # A later run (as from cron) sees the same address: nothing is sent.
    again = asyncio.run(notifier(tmp_path, echo, webhook).check())
    assert again.exit_code == EXIT_UNCHANGED
    assert len(sent(webhook)) == 1

    echo.set("198.51.100.44")
    changed = asyncio.run(notifier(tmp_path, echo, webhook).check())
    assert changed.exit_code == EXIT_CHANGED
    message = sent(webhook)[-1]
    assert message["event"] == "changed"
    assert message["urls"] == ["http://198.51.100.44:8888/lab/"]
    assert "(The ipv4 address was 203.0.113.7.)" in str(message["text"])


def test_state_file_is_private_and_holds_the_address(
    tmp_path: Path, echo: LoopbackHTTP, webhook: LoopbackHTTP
) -> None:
    asyncio.run(notifier(tmp_path, echo, webhook).check())
    path = tmp_path / "state" / "notify.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = json.loads(path.read_text())
    assert data["addresses"] == {"ipv4": "203.0.113.7"}
    assert data["delivered"] == {"webhook": ["http://203.0.113.7:8888/lab/"]}
    # No temp file is left behind by the atomic replace.
    assert [p.name for p in path.parent.iterdir()] == ["notify.json"]


def test_malformed_answer_never_sends_a_wrong_address(
    tmp_path: Path, echo: LoopbackHTTP, webhook: LoopbackHTTP
) -> None:
    asyncio.run(notifier(tmp_path, echo, webhook).check())
    echo.set("<html>Service Unavailable</html>")
    result = asyncio.run(notifier(tmp_path, echo, webhook).check())
    assert result.exit_code == EXIT_FAILED
    assert "not an ipv4 address" in result.failures["ipv4"]
    assert len(sent(webhook)) == 1
    # The last known address is kept: recovery to the same address is no change.
    echo.set("203.0.113.7")
    assert asyncio.run(notifier(tmp_path, echo, webhook).check()).exit_code == EXIT_UNCHANGED
    assert len(sent(webhook)) == 1


def test_unreachable_echo_service_fails_the_check_and_sends_nothing(
    tmp_path: Path, webhook: LoopbackHTTP
) -> None:
    dead = LoopbackHTTP()
    dead.close()
    n = notifier(tmp_path, dead, webhook, CARNET_NOTIFY_ECHO_IPV4=closed_port_url())
    result = asyncio.run(n.check())
    assert result.exit_code == EXIT_FAILED
    assert "Connection refused" in result.failures["ipv4"]
    assert sent(webhook) == []
    assert not (tmp_path / "state" / "notify.json").exists()


def test_failed_webhook_is_retried_at_the_next_check(
    tmp_path: Path, echo: LoopbackHTTP, webhook: LoopbackHTTP
) -> None:
    webhook.set("oops", status=500)
    failed = asyncio.run(notifier(tmp_path, echo, webhook).check())
    assert failed.exit_code == EXIT_FAILED
    assert "answered HTTP 500: oops" in failed.failures["webhook"]
    webhook.set("ok")
    retried = asyncio.run(notifier(tmp_path, echo, webhook).check())
    assert retried.exit_code == EXIT_CHANGED
    assert len(webhook.requests("POST")) == 2
    assert asyncio.run(notifier(tmp_path, echo, webhook).check()).exit_code == EXIT_UNCHANGED


def test_a_channel_that_failed_is_retried_alone(tmp_path: Path) -> None:
    good, bad = MemoryChannel("good"), MemoryChannel("bad")
    bad.failure = "smtp down"
    n = Notifier(
        source=MemoryAddressSource({"ipv4": "203.0.113.7"}),
        channels=[good, bad],
        state=StateFile(tmp_path),
        endpoint=ENDPOINT,
        families=("ipv4",),
        hostname="labbox",
    )
    assert asyncio.run(n.check()).failures == {"bad": "smtp down"}
    bad.failure = None
    result = asyncio.run(n.check())
    assert result.notified == ["bad"]
    assert len(good.sent) == 1
    assert len(bad.sent) == 1


def test_server_start_is_announced_even_when_unchanged(
    tmp_path: Path, echo: LoopbackHTTP, webhook: LoopbackHTTP
) -> None:
    asyncio.run(notifier(tmp_path, echo, webhook).check())
    n = notifier(tmp_path, echo, webhook, announce="yes")
    assert asyncio.run(n.check()).exit_code == EXIT_CHANGED
    assert sent(webhook)[-1]["event"] == "started"
    assert asyncio.run(n.check()).exit_code == EXIT_UNCHANGED
    assert len(sent(webhook)) == 2


def test_one_family_failing_keeps_its_last_address(tmp_path: Path) -> None:
    source = MemoryAddressSource({"ipv4": "203.0.113.7", "ipv6": "2001:db8::1"})
    channel = MemoryChannel()
    n = Notifier(
        source=source,
        channels=[channel],
        state=StateFile(tmp_path),
        endpoint=ENDPOINT,
        families=("ipv4", "ipv6"),
        hostname="labbox",
    )
    assert asyncio.run(n.check()).urls == (
        "http://203.0.113.7:8888/lab/",
        "http://[2001:db8::1]:8888/lab/",
    )
    del source.addresses["ipv6"]
    source.addresses["ipv4"] = "203.0.113.8"
    result = asyncio.run(n.check())
    assert result.exit_code == EXIT_FAILED
    notice = channel.sent[-1]
    assert notice.urls == ("http://203.0.113.8:8888/lab/",)
    assert "(The ipv6 address could not be determined this time.)" in notice.text
    assert StateFile(tmp_path).load().addresses == {"ipv4": "203.0.113.8", "ipv6": "2001:db8::1"}


def test_corrupt_state_file_means_start_afresh(
    tmp_path: Path, echo: LoopbackHTTP, webhook: LoopbackHTTP
) -> None:
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "notify.json").write_text("{not json")
    assert asyncio.run(notifier(tmp_path, echo, webhook).check()).exit_code == EXIT_CHANGED


def test_background_checks_run_every_interval_and_stop_when_closed(tmp_path: Path) -> None:
    source = MemoryAddressSource({"ipv4": "203.0.113.7"})
    channel = MemoryChannel()
    n = Notifier(
        source=source,
        channels=[channel],
        state=StateFile(tmp_path),
        endpoint=ENDPOINT,
        families=("ipv4",),
        hostname="labbox",
        announce=True,
    )

    async def scenario() -> None:
        n.start(0.05)
        await until(lambda: len(channel.sent) >= 1)
        source.addresses["ipv4"] = "203.0.113.9"
        await until(lambda: len(channel.sent) >= 2)
        await n.aclose()

    asyncio.run(scenario())
    assert [m.reason for m in channel.sent] == ["started", "changed"]
    lookups = source.lookups
    time.sleep(0.2)
    assert source.lookups == lookups


def test_unwritable_state_is_reported_without_repeating_the_message(tmp_path: Path) -> None:
    source = MemoryAddressSource({"ipv4": "203.0.113.7"})
    channel = MemoryChannel()
    # The state directory is a file: every save fails.
    blocker = tmp_path / "state"
    blocker.write_text("")
    n = Notifier(
        source=source,
        channels=[channel],
        state=StateFile(blocker),
        endpoint=ENDPOINT,
        families=("ipv4",),
        hostname="labbox",
    )
    first = asyncio.run(n.check())
    assert first.exit_code == EXIT_FAILED
    assert "cannot write the state file" in first.failures["state"]

    async def scenario() -> None:
        n.start(0.02)
        await until(lambda: source.lookups >= 4)
        await n.aclose()

    asyncio.run(scenario())
    assert source.lookups >= 4
    assert len(channel.sent) == 1


def test_unexpected_error_in_a_check_does_not_stop_the_loop(tmp_path: Path) -> None:
    class Exploding(MemoryChannel):
        async def send(self, notice: Notice) -> None:
            raise RuntimeError("bug")

    source = MemoryAddressSource({"ipv4": "203.0.113.7"})
    n = Notifier(
        source=source,
        channels=[Exploding()],
        state=StateFile(tmp_path),
        endpoint=ENDPOINT,
        families=("ipv4",),
        hostname="labbox",
    )

    async def scenario() -> None:
        n.start(0.02)
        await until(lambda: source.lookups >= 3)
        await n.aclose()

    asyncio.run(scenario())
    assert source.lookups >= 3

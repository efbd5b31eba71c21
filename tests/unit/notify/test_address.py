"""The external address, as echo services on loopback report it."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator

import pytest

from carnet.notify import LookupFailed
from carnet.notify.address import EchoAddressSource, Family, parse_answer
from tests.unit.notify.servers import LoopbackHTTP, closed_port_url


def source(v4: list[str], v6: list[str] | None = None, **kwargs: float) -> EchoAddressSource:
    options = {"timeout": 2.0, "retries": 0, "backoff": 0.0, **kwargs}
    services: dict[Family, list[str]] = {"ipv4": v4, "ipv6": v6 or []}
    return EchoAddressSource(
        services,
        timeout=options["timeout"],
        retries=int(options["retries"]),
        backoff=options["backoff"],
    )


@pytest.mark.parametrize(
    ("body", "family", "expected"),
    [
        (b"203.0.113.7\n", "ipv4", "203.0.113.7"),
        (b"  198.51.100.1  ", "ipv4", "198.51.100.1"),
        (b"2001:DB8::0001\n", "ipv6", "2001:db8::1"),
        (b"2001:db8::1", "ipv4", None),
        (b"203.0.113.7", "ipv6", None),
        (b"<html>203.0.113.7</html>", "ipv4", None),
        (b"203.0.113.7 203.0.113.8", "ipv4", None),
        (b"999.1.1.1", "ipv4", None),
        (b"", "ipv4", None),
        ("203.0.113.\uff17".encode(), "ipv4", None),
    ],
)
def test_only_a_single_address_of_the_family_is_believed(
    body: bytes, family: Family, expected: str | None
) -> None:
    assert parse_answer(body, family) == expected


def test_address_comes_from_the_echo_service(echo: LoopbackHTTP) -> None:
    assert asyncio.run(source([echo.url]).lookup("ipv4")) == "203.0.113.7"
    assert echo.requests("GET")[0].headers["host"] == f"127.0.0.1:{echo.port}"


def test_chunked_answer_is_read(echo: LoopbackHTTP) -> None:
    echo.set("198.51.100.23", chunked=True)
    assert asyncio.run(source([echo.url]).lookup("ipv4")) == "198.51.100.23"


def test_malformed_answer_is_ignored_and_the_next_service_asked(echo: LoopbackHTTP) -> None:
    bad = LoopbackHTTP()
    bad.set("<html>you are 10.0.0.1</html>")
    try:
        found = asyncio.run(source([bad.url, echo.url]).lookup("ipv4"))
    finally:
        bad.close()
    assert found == "203.0.113.7"
    assert len(bad.requests()) == 1


def test_unreachable_and_failing_services_are_skipped(echo: LoopbackHTTP) -> None:
    failing = LoopbackHTTP()
    failing.set("203.0.113.99", status=500)
    try:
        found = asyncio.run(source([closed_port_url(), failing.url, echo.url]).lookup("ipv4"))
    finally:
        failing.close()
    assert found == "203.0.113.7"


def test_every_answer_bad_fails_after_the_retries_with_backoff(echo: LoopbackHTTP) -> None:
    echo.set("not an address")
    start = time.monotonic()
    with pytest.raises(LookupFailed) as info:
        asyncio.run(source([echo.url], retries=2, backoff=0.2).lookup("ipv4"))
    elapsed = time.monotonic() - start
    assert len(echo.requests()) == 3
    assert elapsed >= 0.2 + 0.4 - 0.05
    assert "not an address" in info.value.message
    assert "3 round(s)" in info.value.message


def test_slow_service_times_out(echo: LoopbackHTTP) -> None:
    echo.set("203.0.113.7", delay=3)
    start = time.monotonic()
    with pytest.raises(LookupFailed, match=r"did not answer within 0\.3 s"):
        asyncio.run(source([echo.url], timeout=0.3).lookup("ipv4"))
    assert time.monotonic() - start < 2.5


def test_an_ipv6_answer_from_an_ipv4_service_is_not_believed(echo: LoopbackHTTP) -> None:
    echo.set("2001:db8::5")
    with pytest.raises(LookupFailed, match="not an ipv4 address"):
        asyncio.run(source([echo.url]).lookup("ipv4"))


def test_no_service_configured_for_a_family() -> None:
    with pytest.raises(LookupFailed, match="no echo service configured for ipv6"):
        asyncio.run(source(["http://127.0.0.1:1/"]).lookup("ipv6"))


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.fixture
def echo6() -> Iterator[LoopbackHTTP]:
    if not _has_ipv6_loopback():
        pytest.skip("this machine has no IPv6 loopback (::1)")
    server = LoopbackHTTP("::1")
    server.set("2001:db8::42")
    yield server
    server.close()


def test_ipv6_is_asked_over_ipv6_only(echo: LoopbackHTTP, echo6: LoopbackHTTP) -> None:
    src = source([echo.url], [echo6.url])
    assert asyncio.run(src.lookup("ipv6")) == "2001:db8::42"
    # An IPv4-only service listed for IPv6 is not reached over IPv4.
    with pytest.raises(LookupFailed):
        asyncio.run(source([], [echo.url]).lookup("ipv6"))
    assert echo.requests() == []

"""Find the external address by asking HTTP echo services, one address family at a time."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, Protocol

from carnet.notify import LookupFailed
from carnet.notify.http import HttpError, describe, request

if TYPE_CHECKING:
    import ssl

log = logging.getLogger("carnet.notify")

Family = Literal["ipv4", "ipv6"]
FAMILIES: tuple[Family, ...] = ("ipv4", "ipv6")
_SOCKET_FAMILY = {"ipv4": socket.AF_INET, "ipv6": socket.AF_INET6}
_VERSION = {"ipv4": 4, "ipv6": 6}


class AddressSource(Protocol):
    async def lookup(self, family: Family) -> str:
        """The external address of ``family`` in its canonical text form.

        Raises ``LookupFailed`` when no trustworthy answer could be had.
        """
        ...


def parse_answer(body: bytes, family: Family) -> str | None:
    """The address in an echo service's answer, or None unless it is one address of ``family``."""
    try:
        text = body.decode("ascii").strip()
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if address.version != _VERSION[family]:
        return None
    return str(address)


class EchoAddressSource:
    """Asks each echo service in turn; retries the whole list with exponential backoff."""

    def __init__(
        self,
        services: dict[Family, Sequence[str]],
        *,
        timeout: float,
        retries: int,
        backoff: float,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._services = services
        self._timeout = timeout
        self._retries = retries
        self._backoff = backoff
        self._ssl_context = ssl_context

    async def lookup(self, family: Family) -> str:
        """Ask the services for ``family`` until one answers with a valid address."""
        urls = self._services.get(family, ())
        if not urls:
            raise LookupFailed(f"no echo service configured for {family}")
        problems: list[str] = []
        for attempt in range(self._retries + 1):
            if attempt:
                delay = self._backoff * 2 ** (attempt - 1)
                log.info("retrying the %s lookup in %g s", family, delay)
                await asyncio.sleep(delay)
            problems = []
            for url in urls:
                try:
                    return await self._ask(url, family)
                except LookupFailed as exc:
                    log.warning("%s lookup: %s", family, exc.message)
                    problems.append(exc.message)
        raise LookupFailed(
            f"could not find the external {family} address after {self._retries + 1} "
            f"round(s): {'; '.join(problems)}"
        )

    async def _ask(self, url: str, family: Family) -> str:
        where = describe(url)
        try:
            response = await request(
                "GET",
                url,
                time_limit=self._timeout,
                family=_SOCKET_FAMILY[family],
                headers={"Accept": "text/plain"},
                ssl_context=self._ssl_context,
            )
        except HttpError as exc:
            raise LookupFailed(exc.message) from exc
        if response.status != 200:
            raise LookupFailed(f"{where} answered HTTP {response.status}")
        address = parse_answer(response.body, family)
        if address is None:
            raise LookupFailed(
                f"{where} answered {response.snippet(60)!r}, which is not an {family} address"
            )
        return address


class MemoryAddressSource:
    """Answers from a dict the caller controls; a missing family fails the lookup."""

    def __init__(self, addresses: dict[Family, str] | None = None) -> None:
        self.addresses: dict[Family, str] = dict(addresses or {})
        self.lookups = 0

    async def lookup(self, family: Family) -> str:
        """The address set for ``family``."""
        self.lookups += 1
        try:
            return self.addresses[family]
        except KeyError:
            raise LookupFailed(f"no {family} address") from None

"""Check the external address, tell every channel that has not heard of it, remember the answer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from carnet.errors import CarnetError, ConfigError
from carnet.notify import DeliveryFailed, LookupFailed
from carnet.notify.address import FAMILIES, AddressSource, EchoAddressSource, Family
from carnet.notify.channels import Channel, build_channels
from carnet.notify.http import make_ssl_context
from carnet.notify.message import Notice, Reason, server_urls
from carnet.notify.state import State, StateFile
from carnet.settings import NotifySettings, Settings, default_state_dir

log = logging.getLogger("carnet.notify")

# Exit statuses of `carnet notify check`, documented in docs/notify.md.
EXIT_UNCHANGED = 0
EXIT_FAILED = 1
EXIT_CHANGED = 10


@dataclass(frozen=True)
class Endpoint:
    """How the server is reached, apart from the address: what goes around it in the URL."""

    scheme: str
    port: int
    base_url: str
    fingerprint: str | None = None


@dataclass
class CheckResult:
    """What one check found and did."""

    addresses: dict[Family, str] = field(default_factory=dict)
    urls: tuple[str, ...] = ()
    notified: list[str] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        if self.failures:
            return EXIT_FAILED
        return EXIT_CHANGED if self.notified else EXIT_UNCHANGED


class Notifier:
    """Owns the address checks: one on demand (``check``), or every interval (``start``)."""

    def __init__(
        self,
        *,
        source: AddressSource,
        channels: Sequence[Channel],
        state: StateFile,
        endpoint: Endpoint,
        families: tuple[Family, ...],
        hostname: str,
        announce: bool = False,
    ) -> None:
        self.source = source
        self.channels = list(channels)
        self.state = state
        self.endpoint = endpoint
        self.families = families
        self.hostname = hostname
        # Channels still to be told that the server started, even if the address is unchanged.
        self._unannounced = {c.name for c in self.channels} if announce else set()
        self._task: asyncio.Task[None] | None = None
        self._memory: State | None = None

    async def lookup(self) -> tuple[dict[Family, str], dict[str, str]]:
        """The current address of each watched family, and the failures by family."""
        found: dict[Family, str] = {}
        failures: dict[str, str] = {}
        for family in self.families:
            try:
                found[family] = await self.source.lookup(family)
            except LookupFailed as exc:
                failures[family] = exc.message
        return found, failures

    def _urls(self, addresses: dict[Family, str]) -> tuple[str, ...]:
        ep = self.endpoint
        return server_urls(addresses, scheme=ep.scheme, port=ep.port, base_url=ep.base_url)

    async def check(self) -> CheckResult:
        """Look the address up; notify each channel whose last message no longer holds."""
        state = await asyncio.to_thread(self.state.load)
        if self._memory is not None and not state.addresses:
            # The file is gone or unwritable: what this process last knew still holds.
            state = self._memory
        found, failures = await self.lookup()
        for family, message in failures.items():
            log.error("cannot find the external %s address: %s", family, message)
        result = CheckResult(addresses=found, urls=self._urls(found), failures=dict(failures))
        if not found:
            return result
        # A family whose lookup failed keeps its last known address: a failure is no change.
        known: dict[Family, str] = {}
        for family in self.families:
            address = found.get(family) or state.addresses.get(family)
            if address:
                known[family] = address
        target = self._urls(known)
        pending = [
            c
            for c in self.channels
            if c.name in self._unannounced or state.delivered.get(c.name) != target
        ]
        if pending:
            reason: Reason = (
                "started" if self._unannounced else ("changed" if state.addresses else "first")
            )
            notice = Notice(
                reason=reason,
                hostname=self.hostname,
                addresses=found,
                urls=result.urls,
                fingerprint=self.endpoint.fingerprint,
                previous=dict(state.addresses),
                unknown=tuple(f for f in self.families if f not in found),
            )
            log.info(
                "external address %s: notifying %s",
                ", ".join(found.values()),
                ", ".join(c.name for c in pending),
            )
            for channel in pending:
                try:
                    await channel.send(notice)
                except DeliveryFailed as exc:
                    log.error(
                        "%s notification failed (retried at the next check): %s",
                        channel.name,
                        exc.message,
                    )
                    result.failures[channel.name] = exc.message
                    continue
                log.info("%s notified: %s", channel.name, " ".join(result.urls))
                state.delivered[channel.name] = target
                self._unannounced.discard(channel.name)
                result.notified.append(channel.name)
        state.addresses = known
        self._memory = state
        try:
            await asyncio.to_thread(self.state.save, state)
        except ConfigError as exc:
            log.error("%s", exc.message)
            result.failures["state"] = exc.message
        return result

    async def test(self) -> CheckResult:
        """Send a test notification through every channel; the state is left alone."""
        found, failures = await self.lookup()
        result = CheckResult(addresses=found, urls=self._urls(found), failures=failures)
        notice = Notice(
            reason="test",
            hostname=self.hostname,
            addresses=found,
            urls=result.urls,
            fingerprint=self.endpoint.fingerprint,
            unknown=tuple(f for f in self.families if f not in found),
        )
        for channel in self.channels:
            try:
                await channel.send(notice)
            except DeliveryFailed as exc:
                result.failures[channel.name] = exc.message
            else:
                result.notified.append(channel.name)
        return result

    async def run(self, interval: float) -> None:
        """Check now, then every ``interval`` seconds, until cancelled; never raises otherwise."""
        while True:
            try:
                await self.check()
            except CarnetError as exc:
                log.error("address check failed: %s", exc.message)
            except Exception:
                log.exception("address check failed")
            await asyncio.sleep(interval)

    def start(self, interval: float) -> None:
        """Run the checks in a background task owned by this notifier."""
        if self._task is None:
            self._task = asyncio.create_task(self.run(interval), name="carnet-notify")

    async def aclose(self) -> None:
        """Cancel the background checks and wait until they have stopped."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def make_notifier(
    settings: NotifySettings, endpoint: Endpoint, *, announce: bool = False
) -> Notifier:
    """A notifier wired to the real echo services, channels and state file ``settings`` name."""
    families = tuple(f for f in FAMILIES if getattr(settings, f))
    if not families:
        raise ConfigError("notify.ipv4 and notify.ipv6 are both off: nothing to watch")
    channels = build_channels(settings)
    https = any(u.startswith("https:") for u in settings.echo_ipv4 + settings.echo_ipv6)
    source = EchoAddressSource(
        {"ipv4": settings.echo_ipv4, "ipv6": settings.echo_ipv6},
        timeout=settings.timeout,
        retries=settings.retries,
        backoff=settings.backoff,
        ssl_context=make_ssl_context(settings.ca_file) if https else None,
    )
    state_dir = Path(settings.state_dir).expanduser() if settings.state_dir else default_state_dir()
    return Notifier(
        source=source,
        channels=channels,
        state=StateFile(state_dir),
        endpoint=endpoint,
        families=families,
        hostname=socket.gethostname(),
        announce=announce,
    )


def endpoint_for(settings: Settings, port: int | None = None) -> Endpoint:
    """The endpoint the server's settings describe; ``port`` is the one actually bound.

    With TLS the scheme is https, and a self-signed certificate's fingerprint goes with
    it so the reader can check what their browser shows.
    """
    public_port = settings.notify.public_port or port or settings.server.port
    if not settings.tls.enabled:
        return Endpoint(scheme="http", port=public_port, base_url=settings.server.base_url)
    from carnet.config.tls import configured_certfile
    from carnet.settings import default_config_dir
    from carnet.tls.certs import self_signed_fingerprint

    cert = configured_certfile(settings.tls, default_config_dir())
    return Endpoint(
        scheme="https",
        port=public_port,
        base_url=settings.server.base_url,
        fingerprint=self_signed_fingerprint(cert) if cert is not None else None,
    )


def make_server_notifier(settings: Settings, port: int | None) -> Notifier:
    """The notifier a running server owns: it announces the start, then watches."""
    if not settings.server.listens_everywhere:
        log.warning(
            "notify: the server listens on %s only; the external address reaches it only "
            "through a proxy or port forward in front of it",
            settings.server.ip,
        )
    return make_notifier(settings.notify, endpoint_for(settings, port), announce=True)

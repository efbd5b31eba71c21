"""Growing delays after failed logins, per client address, in bounded memory."""

from __future__ import annotations

import ipaddress
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]


@dataclass
class _Record:
    failures: int
    blocked_until: float


def client_key(addr: str) -> str:
    """The unit of throttling for an address: the address itself, or its /64 for IPv6.

    One IPv6 host usually owns a whole /64, so counting single addresses would let it
    try without limit.
    """
    try:
        ip = ipaddress.ip_address(addr.strip("[]").split("%", 1)[0])
    except ValueError:
        return addr
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return str(ip)


class LoginThrottle:
    """Per-address failure counts: ``free_attempts`` failures cost nothing, then each one
    doubles the wait, from ``base_delay`` up to ``max_delay`` seconds.

    Only the ``max_addresses`` most recently seen addresses are remembered, so a flood of
    addresses cannot exhaust memory; an address pushed out starts afresh, which costs an
    attacker more addresses than it gains.
    """

    def __init__(
        self,
        *,
        free_attempts: int = 5,
        base_delay: float = 1.0,
        max_delay: float = 300.0,
        max_addresses: int = 10000,
        clock: Clock = time.monotonic,
    ) -> None:
        self.free_attempts = free_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_addresses = max_addresses
        self._clock = clock
        self._records: OrderedDict[str, _Record] = OrderedDict()

    def __len__(self) -> int:
        return len(self._records)

    def check(self, addr: str) -> float:
        """Seconds ``addr`` must still wait before its next attempt (0 when it may try now)."""
        record = self._records.get(client_key(addr))
        if record is None:
            return 0.0
        return max(0.0, record.blocked_until - self._clock())

    def failure(self, addr: str) -> float:
        """Count a failed attempt from ``addr``; return the delay it now has to wait."""
        key = client_key(addr)
        record = self._records.pop(key, None) or _Record(0, 0.0)
        record.failures += 1
        delay = self.delay_after(record.failures)
        record.blocked_until = self._clock() + delay
        self._records[key] = record
        while len(self._records) > self.max_addresses:
            self._records.popitem(last=False)
        return delay

    def success(self, addr: str) -> None:
        """Forget the failures of ``addr`` after a successful login."""
        self._records.pop(client_key(addr), None)

    def delay_after(self, failures: int) -> float:
        """The wait imposed after ``failures`` consecutive failures."""
        over = failures - self.free_attempts
        if over <= 0:
            return 0.0
        # Cap the exponent so huge failure counts cannot overflow the float.
        return min(self.max_delay, self.base_delay * 2.0 ** min(over - 1, 64))

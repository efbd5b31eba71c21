"""Login throttling: growing, capped delays per address, bounded memory."""

from __future__ import annotations

from carnet.auth.throttle import LoginThrottle, client_key


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(clock: FakeClock, **kwargs: float) -> LoginThrottle:
    params: dict[str, float] = {"free_attempts": 3, "base_delay": 1.0, "max_delay": 60.0}
    params.update(kwargs)
    return LoginThrottle(clock=clock, **params)  # type: ignore[arg-type]


def test_free_attempts_then_doubling_delays_up_to_the_cap() -> None:
    clock = FakeClock()
    throttle = make(clock)
    delays = []
    for _ in range(12):
        assert throttle.check("203.0.113.5") == 0.0
        delays.append(throttle.failure("203.0.113.5"))
        clock.now += delays[-1]
    assert delays == [0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_a_throttled_address_waits_and_another_address_does_not() -> None:
    clock = FakeClock()
    throttle = make(clock)
    for _ in range(5):
        throttle.failure("203.0.113.5")
    assert throttle.check("203.0.113.5") == 2.0
    assert throttle.check("198.51.100.7") == 0.0
    clock.now += 1.5
    assert throttle.check("203.0.113.5") == 0.5
    clock.now += 0.5
    assert throttle.check("203.0.113.5") == 0.0


def test_success_resets_the_address() -> None:
    clock = FakeClock()
    throttle = make(clock)
    for _ in range(6):
        throttle.failure("203.0.113.5")
    throttle.success("203.0.113.5")
    assert throttle.check("203.0.113.5") == 0.0
    assert throttle.failure("203.0.113.5") == 0.0


def test_memory_is_bounded_and_keeps_the_most_recent_addresses() -> None:
    clock = FakeClock()
    throttle = make(clock, free_attempts=0, max_addresses=100)
    for i in range(5000):
        throttle.failure(f"10.0.{i // 256}.{i % 256}")
    assert len(throttle) == 100
    assert throttle.check("10.0.19.135") > 0  # the last one (4999)
    assert throttle.check("10.0.0.0") == 0.0  # long forgotten


def test_huge_failure_counts_stay_at_the_cap() -> None:
    throttle = make(FakeClock())
    assert throttle.delay_after(10_000) == 60.0


def test_ipv6_addresses_are_throttled_per_64() -> None:
    clock = FakeClock()
    throttle = make(clock, free_attempts=0)
    throttle.failure("2001:db8:1:2::1")
    assert throttle.check("2001:db8:1:2:ffff::9") == 1.0
    assert throttle.check("2001:db8:1:3::1") == 0.0
    assert client_key("::ffff:192.0.2.1") == "192.0.2.1"

"""Watch the external address and tell the user how to reach the server when it changes.

The rule of this package: never send a wrong address. An address is only believed when an
echo service answered with something that parses as an address of the family asked for;
a failed lookup or delivery is logged and retried at the next check, and never raises out
of the watcher. Secrets come from the environment or from files only their owner can read.
Only the standard library is used, imported where it is needed, so that importing this
package costs the server's cold start nothing.
"""

from __future__ import annotations

from carnet.errors import CarnetError


class LookupFailed(CarnetError):
    """No echo service gave a usable answer for an address family."""

    reason = "address lookup failed"


class DeliveryFailed(CarnetError):
    """A channel could not deliver a notification."""

    reason = "notification failed"

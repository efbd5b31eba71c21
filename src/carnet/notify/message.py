"""What a notification says: the URLs a person types to reach the server, and why it was sent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from carnet.notify.address import FAMILIES, Family

Reason = Literal["started", "first", "changed", "test"]


def server_urls(
    addresses: Mapping[Family, str], *, scheme: str, port: int, base_url: str
) -> tuple[str, ...]:
    """One URL per address, IPv4 first: ``scheme://address:port/base/``."""
    base = "/" + base_url.strip("/")
    base = base if base.endswith("/") else base + "/"
    default_port = {"http": 80, "https": 443}.get(scheme)
    suffix = "" if port == default_port else f":{port}"
    urls = []
    for family in FAMILIES:
        if family in addresses:
            host = addresses[family]
            host = f"[{host}]" if family == "ipv6" else host
            urls.append(f"{scheme}://{host}{suffix}{base}")
    return tuple(urls)


@dataclass(frozen=True)
class Notice:
    """One notification, ready for any channel."""

    reason: Reason
    hostname: str
    addresses: Mapping[Family, str]
    urls: tuple[str, ...]
    fingerprint: str | None = None
    previous: Mapping[Family, str] = field(default_factory=dict)
    unknown: tuple[Family, ...] = ()

    @property
    def subject(self) -> str:
        where = ", ".join(self.addresses.values()) or "unknown address"
        if self.reason == "test":
            return f"carnet on {self.hostname}: test notification ({where})"
        if self.reason == "started":
            return f"carnet on {self.hostname} started at {where}"
        if self.reason == "first":
            return f"carnet on {self.hostname} is at {where}"
        return f"carnet on {self.hostname}: new address {where}"

    @property
    def text(self) -> str:
        """The message body: plain text a person reads in a mail client or a chat."""
        lines = []
        if self.reason == "test":
            lines.append(f"This is a test notification from carnet on {self.hostname}.")
        elif self.reason == "started":
            lines.append(f"carnet started on {self.hostname}.")
        elif self.reason == "first":
            lines.append(f"carnet now watches the external address of {self.hostname}.")
        else:
            lines.append(f"The external address of {self.hostname} changed.")
        if self.urls:
            lines += ["", "Reach the notebook server at:"]
            lines += [f"    {url}" for url in self.urls]
        else:
            lines += ["", "The external address could not be determined: there is no URL to give."]
        if self.fingerprint:
            lines += [
                "",
                "Its certificate is self-signed. Accept it only if its SHA-256",
                "fingerprint is:",
                f"    {self.fingerprint}",
            ]
        for family in FAMILIES:
            old = self.previous.get(family)
            if old and self.addresses.get(family) not in (None, old):
                lines.append(f"(The {family} address was {old}.)")
        for family in self.unknown:
            lines.append(f"(The {family} address could not be determined this time.)")
        lines += ["", "Sign in with your password or token as usual."]
        return "\n".join(lines) + "\n"

    def payload(self, topic: str = "") -> dict[str, Any]:
        """The webhook JSON: ``text``/``content``/``message`` for chat services and pushers,
        plus the same facts as fields for programs."""
        body: dict[str, Any] = {
            "text": self.text,
            "content": self.text,
            "message": self.text,
            "title": self.subject,
            "event": self.reason,
            "hostname": self.hostname,
            "urls": list(self.urls),
            "addresses": dict(self.addresses),
            "fingerprint": self.fingerprint,
        }
        if topic:
            body["topic"] = topic
        return body

"""The real client address and scheme behind a trusted reverse proxy.

``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed only when ``auth.behind_proxy``
is on and the request comes from one of ``auth.trusted_proxies``: anyone else could
forge them, to dodge login throttling or to pose as HTTPS.
"""

from __future__ import annotations

import ipaddress

from carnet.settings import AuthSettings


def _in(addr: str, networks: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(addr.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for entry in networks:
        try:
            if ip in ipaddress.ip_network(entry.strip(), strict=False):
                return True
        except ValueError:
            continue
    return False


def trusted_peer(peer: str, auth: AuthSettings) -> bool:
    """True when ``peer`` (the TCP peer address) is a proxy whose headers count."""
    return auth.behind_proxy and _in(peer, auth.trusted_proxies)


def client_address(peer: str, forwarded_for: str | None, auth: AuthSettings) -> str:
    """The address to throttle and log: the peer, or what a trusted proxy says.

    Walking ``X-Forwarded-For`` from the right, the first address that is not itself a
    trusted proxy is the client; entries further left were written by the client.
    """
    if not forwarded_for or not trusted_peer(peer, auth):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _in(hop, auth.trusted_proxies):
            return hop
    return hops[0] if hops else peer


def request_scheme(
    peer: str, own_scheme: str, forwarded_proto: str | None, auth: AuthSettings
) -> str:
    """``https`` or ``http`` as the browser sees it (decides the cookie's Secure flag)."""
    if forwarded_proto and trusted_peer(peer, auth):
        last = forwarded_proto.split(",")[-1].strip().lower()
        if last in ("http", "https"):
            return last
    return own_scheme

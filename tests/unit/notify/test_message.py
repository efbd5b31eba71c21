"""The URL a person types, as the notification spells it."""

from __future__ import annotations

import pytest

from carnet.notify.message import Notice, server_urls


@pytest.mark.parametrize(
    ("scheme", "port", "base_url", "expected"),
    [
        ("http", 8888, "/", "http://203.0.113.7:8888/"),
        ("http", 8888, "/nb", "http://203.0.113.7:8888/nb/"),
        ("https", 443, "nb/", "https://203.0.113.7/nb/"),
        ("http", 80, "/", "http://203.0.113.7/"),
        ("https", 80, "/", "https://203.0.113.7:80/"),
    ],
)
def test_url_has_scheme_address_port_and_base(
    scheme: str, port: int, base_url: str, expected: str
) -> None:
    assert server_urls({"ipv4": "203.0.113.7"}, scheme=scheme, port=port, base_url=base_url) == (
        expected,
    )


def test_ipv6_is_bracketed_and_listed_after_ipv4() -> None:
    urls = server_urls(
        {"ipv6": "2001:db8::7", "ipv4": "203.0.113.7"}, scheme="https", port=9999, base_url="/"
    )
    assert urls == ("https://203.0.113.7:9999/", "https://[2001:db8::7]:9999/")


def test_self_signed_fingerprint_is_in_the_text() -> None:
    fingerprint = "12:34:" * 31 + "56"
    notice = Notice(
        reason="started",
        hostname="labbox",
        addresses={"ipv4": "203.0.113.7"},
        urls=("https://203.0.113.7:8888/",),
        fingerprint=fingerprint,
    )
    lines = notice.text.splitlines()
    assert lines[0] == "carnet started on labbox."
    assert "    https://203.0.113.7:8888/" in lines
    assert f"    {fingerprint}" in lines
    assert notice.subject == "carnet on labbox started at 203.0.113.7"
    plain = Notice(reason="test", hostname="labbox", addresses={}, urls=())
    assert "fingerprint" not in plain.text
    assert "could not be determined: there is no URL to give" in plain.text
    assert plain.subject == "carnet on labbox: test notification (unknown address)"

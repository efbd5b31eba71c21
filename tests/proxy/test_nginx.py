"""Through nginx (TLS at nginx, carnet under /ipython/): pages, API and kernel WebSockets."""

from __future__ import annotations

import json
import ssl
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin

from tests.proxy.conftest import PREFIX, Proxy


def client(proxy: Proxy, **kwargs: Any) -> httpx.Client:
    return httpx.Client(
        base_url=proxy.url,
        verify=ssl.create_default_context(cafile=str(proxy.cert)),
        timeout=60,
        **kwargs,
    )


def test_api_calls_go_through_with_the_token(proxy: Proxy) -> None:
    (proxy.carnet.root / "hello.txt").write_text("through nginx")
    with client(proxy) as c:
        refused = c.get("api/contents")
        assert refused.status_code == 403
        listing = c.get("api/contents", headers={"Authorization": f"token {proxy.carnet.token}"})
        assert listing.status_code == 200
        assert "hello.txt" in [item["name"] for item in listing.json()["content"]]
        assert listing.headers["Strict-Transport-Security"].startswith("max-age=")
        download = c.get(f"files/hello.txt?token={proxy.carnet.token}")
        assert download.text == "through nginx"


def test_a_page_visit_with_the_token_gets_a_secure_cookie_under_the_prefix(proxy: Proxy) -> None:
    with client(proxy) as c:
        response = c.get(f"tree/?token={proxy.carnet.token}", headers={"Accept": "text/html"})
        assert response.status_code == 302
        assert response.headers["Location"] == f"{PREFIX}tree/"
        cookie = response.headers["Set-Cookie"]
        # nginx said the browser uses HTTPS (X-Forwarded-Proto): the cookie is Secure.
        assert "Secure" in cookie
        assert f"Path={PREFIX}" in cookie
        assert "HttpOnly" in cookie
        assert c.get("api/contents").status_code == 200
        static = c.get("static/manifest.json")
        assert static.status_code == 200
        assert "dashboard" in static.json()


def test_throttling_counts_the_address_nginx_reports(proxy: Proxy) -> None:
    with client(proxy) as c:
        response = c.post("login", data={"password": "wrong-token-value"})
    assert response.status_code == 403
    assert "Wrong token" in response.text
    expected = "failed login from 127.0.0.1: wrong token"
    for _ in range(100):  # the log is read from the server's pipe: allow it ~5 s to arrive
        if expected in proxy.carnet.log():
            break
        time.sleep(0.05)
    assert expected in proxy.carnet.log()


def _execute_request(code: str) -> dict[str, Any]:
    return {
        "header": {
            "msg_id": uuid.uuid4().hex,
            "session": uuid.uuid4().hex,
            "username": "test",
            "msg_type": "execute_request",
            "version": "5.3",
            "date": datetime.now(UTC).isoformat(),
        },
        "parent_header": {},
        "metadata": {},
        "content": {
            "code": code,
            "silent": False,
            "store_history": False,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        },
        "channel": "shell",
        "buffers": [],
    }


def test_a_kernel_runs_code_over_a_websocket_through_nginx(proxy: Proxy) -> None:
    token = proxy.carnet.token
    ctx = ssl.create_default_context(cafile=str(proxy.cert))
    with client(proxy, headers={"Authorization": f"token {token}"}) as c:
        kernel = c.post("api/kernels", json={"name": "python3"}).json()
        try:
            url = f"{proxy.ws_url}api/kernels/{kernel['id']}/channels?token={token}"
            with connect(url, ssl=ctx, open_timeout=30) as ws:
                request = _execute_request("print(1+1)")
                ws.send(json.dumps(request))
                output = ""
                deadline = time.monotonic() + 60
                while "2\n" not in output and time.monotonic() < deadline:
                    msg = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
                    if msg["parent_header"].get("msg_id") != request["header"]["msg_id"]:
                        continue
                    if msg["header"]["msg_type"] == "stream":
                        output += msg["content"]["text"]
                assert output == "2\n"
            # A page on another site cannot open the same socket, even with the cookie.
            evil = Origin("https://evil.example")
            with (
                pytest.raises(InvalidStatus) as refused,
                connect(url, ssl=ctx, origin=evil, open_timeout=30),
            ):
                pass
            assert refused.value.response.status_code == 403
        finally:
            c.delete(f"api/kernels/{kernel['id']}")


@pytest.mark.e2e
def test_the_dashboard_loads_in_a_browser_through_nginx(proxy: Proxy, page: Page) -> None:
    (proxy.carnet.root / "via-proxy.ipynb").write_text(
        json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    page.set_default_timeout(15_000)
    page.goto(f"{proxy.url}?token={proxy.carnet.token}")
    # Signed in, and the token is gone from the address bar.
    expect(page).to_have_url(f"{proxy.url}tree/", timeout=15_000)
    expect(page.get_by_text("via-proxy.ipynb")).to_be_visible(timeout=15_000)
    # A write from the page (cookie + XSRF token) goes through nginx too.
    status = page.evaluate(
        """async () => {
            const config = JSON.parse(document.getElementById("carnet-config").textContent);
            const r = await fetch(config.baseUrl + "api/contents/made-in-browser.txt", {
                method: "PUT",
                headers: {"Content-Type": "application/json", "X-XSRFToken": config.xsrf},
                body: JSON.stringify({type: "file", format: "text", content: "ok"}),
            });
            return r.status;
        }"""
    )
    assert status == 201
    assert (proxy.carnet.root / "made-in-browser.txt").read_text() == "ok"


@pytest.mark.e2e
def test_the_proxy_check_page_says_websockets_get_through(proxy: Proxy, page: Page) -> None:
    page.goto(f"{proxy.url}tree/?token={proxy.carnet.token}")
    expect(page).to_have_url(f"{proxy.url}tree/", timeout=15_000)
    page.goto(f"{proxy.url}proxy-check")
    expect(page.locator("body")).to_have_attribute("data-result", "ok", timeout=15_000)
    expect(page.locator("#proxy-check-result")).to_contain_text("WebSockets get through")
    expect(page.locator("#proxy-check-advice")).to_contain_text("Nothing to change")

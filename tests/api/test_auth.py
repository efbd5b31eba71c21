"""Who gets in: token, login cookie, XSRF, Host and Origin checks, against the real server."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin

from carnet.web.login import safe_next
from tests.conftest import RunningServer, start_server

BROWSER = {"Accept": "text/html,application/xhtml+xml"}
CONFIG = re.compile(r'<script type="application/json" id="carnet-config">(.*?)</script>')


def anonymous(srv: RunningServer, **kwargs: object) -> httpx.Client:
    """A client with no credentials at all, that does not follow redirects."""
    return httpx.Client(base_url=srv.url, timeout=30, **kwargs)  # type: ignore[arg-type]


def sign_in_with_token(client: httpx.Client, srv: RunningServer, page: str = "tree/") -> str:
    """Open ``page?token=`` like a browser; return the XSRF token the page then carries."""
    first = client.get(f"{page}?token={srv.token}", headers=BROWSER)
    assert first.status_code == 302
    page_html = client.get(first.headers["Location"], headers=BROWSER)
    assert page_html.status_code == 200, page_html.text
    m = CONFIG.search(page_html.text)
    assert m is not None
    config = json.loads(m.group(1))
    assert "token" not in config
    assert srv.token not in page_html.text
    return str(config["xsrf"])


def test_every_endpoint_refuses_requests_without_credentials(server: RunningServer) -> None:
    api = [
        ("GET", "api/contents"),
        ("GET", "api/contents/x.txt"),
        ("PUT", "api/contents/x.txt"),
        ("GET", "api/kernels"),
        ("POST", "api/kernels"),
        ("GET", "api/kernelspecs"),
        ("GET", "api/sessions"),
        ("POST", "api/sessions"),
        ("GET", "api/me"),
        ("GET", "api/status"),
        ("GET", "files/x.txt"),
        ("DELETE", "api/kernels/abc"),
        ("GET", "no/such/url"),
    ]
    with anonymous(server) as client:
        for method, url in api:
            response = client.request(method, url, json={} if method in ("PUT", "POST") else None)
            assert response.status_code == 403, (method, url, response.text)
            assert "authentication required" in response.json()["message"]
        wrong = client.get("api/contents", headers={"Authorization": "token nope-nope-nope"})
        assert wrong.status_code == 403
        # A browser asking for a page goes to the login page, and comes back afterwards.
        for page in ("tree/", "tree/some%20dir", "proxy-check"):
            response = client.get(page, headers=BROWSER)
            assert response.status_code == 302
            location = response.headers["Location"]
            assert location.startswith("/login?next=")
            assert client.get(location).status_code == 200
    with (
        pytest.raises(InvalidStatus) as refused,
        connect(server.ws_url + "api/kernels/abc/channels", open_timeout=10),
    ):
        pass
    assert refused.value.response.status_code == 403
    assert not (server.root / "x.txt").exists()


def test_the_token_works_in_a_header_and_in_the_query(server: RunningServer) -> None:
    (server.root / "a.txt").write_text("hello")
    with anonymous(server) as client:
        header = client.get(
            "api/contents/a.txt", headers={"Authorization": f"token {server.token}"}
        )
        bearer = client.get(
            "api/contents/a.txt", headers={"Authorization": f"Bearer {server.token}"}
        )
        query = client.get(f"api/contents/a.txt?token={server.token}")
        download = client.get(f"files/a.txt?token={server.token}")
        for response in (header, bearer, query):
            assert response.status_code == 200
            assert response.json()["content"] == "hello"
        assert download.content == b"hello"
        # Token-authenticated writes need no XSRF token: no browser sends the header alone.
        put = client.put(
            f"api/contents/b.txt?token={server.token}",
            json={"type": "file", "format": "text", "content": "b"},
        )
        assert put.status_code == 201
    assert (server.root / "b.txt").read_text() == "b"


def test_a_token_in_a_page_address_signs_in_and_leaves_the_address(server: RunningServer) -> None:
    with anonymous(server) as client:
        response = client.get(f"tree/sub?token={server.token}&view=list", headers=BROWSER)
        assert response.status_code == 302
        assert response.headers["Location"] == "/tree/sub?view=list"
        cookie = response.headers["Set-Cookie"]
        assert cookie.startswith("carnet-session=")
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
        assert "Path=/" in cookie
        assert "Secure" not in cookie  # plain HTTP on loopback: a Secure cookie would be lost
        page = client.get("tree/sub", headers=BROWSER)
        assert page.status_code == 200
        config = json.loads(CONFIG.search(page.text).group(1))  # type: ignore[union-attr]
        assert set(config) == {"baseUrl", "xsrf", "path"}
        assert server.token not in page.text
        # The cookie alone reads the API and downloads files: links need no token.
        assert client.get("api/contents").status_code == 200
        # The base URL keeps the rest of its query on the way to the dashboard.
        root = client.get(f"?token={server.token}", headers=BROWSER)
        assert root.headers["Location"] == "/"


def test_cookie_writes_need_the_xsrf_token_and_change_nothing_without(
    server: RunningServer,
) -> None:
    (server.root / "keep.txt").write_text("keep")
    with anonymous(server) as client:
        xsrf = sign_in_with_token(client, server)
        body = {"type": "file", "format": "text", "content": "new"}
        missing = client.put("api/contents/new.txt", json=body)
        wrong = client.put("api/contents/new.txt", json=body, headers={"X-XSRFToken": "a.b"})
        delete = client.delete("api/contents/keep.txt", headers={"X-XSRFToken": xsrf[:-2] + "AA"})
        for response in (missing, wrong, delete):
            assert response.status_code == 403
            assert "XSRF" in response.json()["message"]
        assert not (server.root / "new.txt").exists()
        assert (server.root / "keep.txt").read_text() == "keep"
        good = client.put("api/contents/new.txt", json=body, headers={"X-XSRFToken": xsrf})
        assert good.status_code == 201
        assert (server.root / "new.txt").read_text() == "new"
        removed = client.delete("api/contents/keep.txt", headers={"X-XSRFToken": xsrf})
        assert removed.status_code == 204
        assert not (server.root / "keep.txt").exists()


def test_a_token_for_another_session_is_worthless(server: RunningServer) -> None:
    with anonymous(server) as first, anonymous(server) as second:
        xsrf_first = sign_in_with_token(first, server)
        sign_in_with_token(second, server)
        response = second.post(
            "api/contents", json={"type": "file"}, headers={"X-XSRFToken": xsrf_first}
        )
        assert response.status_code == 403
    assert list(server.root.iterdir()) == []


def test_logout_needs_the_xsrf_token_and_ends_the_session(server: RunningServer) -> None:
    with anonymous(server) as client:
        sign_in_with_token(client, server)
        page = client.get("logout", headers=BROWSER)
        assert page.status_code == 200
        assert "Sign out" in page.text
        m = re.search(r'name="_xsrf" value="([^"]+)"', page.text)
        assert m is not None
        cookie = client.cookies.get("carnet-session")
        forged = client.post("logout", data={"_xsrf": "nope.nope"})
        assert forged.status_code == 403
        assert client.get("api/contents").status_code == 200
        response = client.post("logout", data={"_xsrf": m.group(1)})
        assert response.status_code == 302
        assert response.headers["Location"] == "/login"
        assert client.get("api/contents").status_code == 403
    # The old cookie, replayed, is dead on the server side too.
    with anonymous(server, cookies={"carnet-session": cookie}) as replay:
        assert replay.get("api/contents").status_code == 403


def test_the_login_form_takes_the_token_when_no_password_is_set(server: RunningServer) -> None:
    with anonymous(server) as client:
        page = client.get("login?next=/tree/deep")
        assert "Token" in page.text
        assert 'value="/tree/deep"' in page.text
        wrong = client.post("login", data={"password": "wrong-token", "next": "/tree/deep"})
        assert wrong.status_code == 403
        assert "Wrong token" in wrong.text
        assert client.get("api/contents").status_code == 403
        right = client.post("login", data={"password": server.token, "next": "/tree/deep"})
        assert right.status_code == 302
        assert right.headers["Location"] == "/tree/deep"
        assert client.get("api/contents").status_code == 200


def test_the_next_address_stays_on_this_server() -> None:
    assert safe_next("/base/tree/x?y=1", "/base/") == "/base/tree/x?y=1"
    for bad in (
        "//evil.example/",
        "https://evil.example/base/",
        "/base//evil.example",
        "/other/",
        "/base/\\evil",
        "javascript:alert(1)",
        "/base/\r\nSet-Cookie: x",
        None,
    ):
        assert safe_next(bad, "/base/") == "/base/tree/", bad


@pytest.fixture
def password_server(tmp_path: Path) -> Iterator[RunningServer]:
    """A server with a password, behind a (loopback) proxy whose X-Forwarded-For counts."""
    from carnet.auth.passwords import hash_password

    root = tmp_path / "root"
    root.mkdir()
    env = {
        "CARNET_AUTH_PASSWORD_HASH": hash_password("correct horse"),
        "CARNET_AUTH_THROTTLE_FREE_ATTEMPTS": "2",
        "CARNET_AUTH_THROTTLE_BASE_DELAY": "1",
    }
    srv = start_server(root, "--behind-proxy", env=env)
    yield srv
    srv.stop()
    sys.stdout.write(srv.log())


def test_failed_logins_are_throttled_per_address_with_growing_delays(
    password_server: RunningServer,
) -> None:
    srv = password_server
    attacker = {"X-Forwarded-For": "203.0.113.7"}
    owner = {"X-Forwarded-For": "198.51.100.20"}
    with anonymous(srv) as client:
        statuses = []
        for _ in range(2):
            r = client.post("login", data={"password": "guess"}, headers=attacker)
            statuses.append((r.status_code, r.headers.get("Retry-After")))
        r = client.post("login", data={"password": "guess"}, headers=attacker)
        statuses.append((r.status_code, r.headers.get("Retry-After")))
        assert statuses == [(403, None), (403, None), (403, "1")]
        # Throttled: refused even with the right password, with a page saying how long.
        blocked = client.post("login", data={"password": "correct horse"}, headers=attacker)
        assert blocked.status_code == 429
        assert blocked.headers["Retry-After"] == "1"
        assert "wait 1 second," in blocked.text
        assert "carnet-session" not in client.cookies
        # The owner, from another address, is not held back.
        ok = client.post("login", data={"password": "correct horse"}, headers=owner)
        assert ok.status_code == 302
        assert "carnet-session" in client.cookies
    with anonymous(srv) as client:
        deadline = 20
        for _ in range(deadline):  # bounded: about a second of waiting
            r = client.post("login", data={"password": "guess"}, headers=attacker)
            if r.status_code != 429:
                break
            time.sleep(0.25)
        assert (r.status_code, r.headers.get("Retry-After")) == (403, "2")
        again = client.post("login", data={"password": "guess"}, headers=attacker)
        assert again.status_code == 429
        assert again.headers["Retry-After"] == "2"
    log = srv.log()
    assert "failed login from 203.0.113.7: wrong password" in log
    assert "login from 198.51.100.20" in log


def test_a_password_server_does_not_take_a_token_free_page_visit(
    password_server: RunningServer,
) -> None:
    with anonymous(password_server) as client:
        page = client.get("login")
        assert "Password" in page.text
        response = client.post("login", data={"password": "correct horse", "next": "//evil/"})
        assert response.status_code == 302
        assert response.headers["Location"] == "/tree/"
        assert client.get("tree/", headers=BROWSER).status_code == 200


def test_revoking_every_session_signs_the_browser_out(server: RunningServer) -> None:
    with anonymous(server) as client:
        sign_in_with_token(client, server)
        assert client.get("api/contents").status_code == 200
        listed = subprocess.run(
            [sys.executable, "-m", "carnet", "sessions"],
            env={**_env(), **server.env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert listed.returncode == 0, listed.stderr
        assert "python-httpx" in listed.stdout
        done = subprocess.run(
            [sys.executable, "-m", "carnet", "sessions", "revoke", "--all"],
            env={**_env(), **server.env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert client.get("api/contents").status_code == 403
        page = client.get("tree/", headers=BROWSER)
        assert page.status_code == 302
        assert page.headers["Location"].startswith("/login")


def test_sessions_survive_a_restart(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    srv = start_server(root)
    try:
        with anonymous(srv) as client:
            sign_in_with_token(client, srv)
            cookie = client.cookies["carnet-session"]
    finally:
        srv.stop()
    again = start_server(root)
    try:
        with anonymous(again, cookies={"carnet-session": cookie}) as client:
            assert client.get("api/contents").status_code == 200
    finally:
        again.stop()


def test_other_host_names_are_refused_everywhere(server: RunningServer) -> None:
    evil = {"Host": "evil.example"}
    with anonymous(server) as client:
        for url in (
            "api/contents",
            f"api/contents?token={server.token}",
            "static/manifest.json",
            "login",
            f"tree/?token={server.token}",
        ):
            response = client.get(url, headers=evil)
            assert response.status_code == 403, url
            assert "auth.allowed_hosts" in response.json()["message"]
        for host in (f"localhost:{server.port}", f"127.0.0.1:{server.port}", "[::1]"):
            ok = client.get(
                "api/contents", headers={"Host": host, "Authorization": f"token {server.token}"}
            )
            assert ok.status_code == 200, host
    # A WebSocket handshake naming another host, sent to this server's port.
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    with (
        pytest.raises(InvalidStatus) as refused,
        connect(
            f"ws://evil.example/proxy-check/ws?token={server.token}", sock=sock, open_timeout=10
        ),
    ):
        pass
    assert refused.value.response.status_code == 403


def test_allowed_hosts_lets_a_name_in(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    srv = start_server(root, "--allowed-hosts", "nb.example.org")
    try:
        with srv.client() as client:
            assert client.get("api/contents", headers={"Host": "nb.example.org"}).status_code == 200
            assert client.get("api/contents", headers={"Host": "evil.example"}).status_code == 403
    finally:
        srv.stop()


def test_websockets_from_other_sites_are_refused(server: RunningServer) -> None:
    url = server.ws_url + f"proxy-check/ws?token={server.token}"
    for origin in ("http://evil.example", "null", f"http://127.0.0.1:{server.port + 1}"):
        with (
            pytest.raises(InvalidStatus) as refused,
            connect(url, origin=Origin(origin), open_timeout=10),
        ):
            pass
        assert refused.value.response.status_code == 403, origin
    with connect(url, origin=Origin(f"http://127.0.0.1:{server.port}"), open_timeout=10) as ws:
        ws.send("ping")
        assert ws.recv(timeout=10) == "pong"


def test_a_kernel_websocket_from_another_site_is_refused(server: RunningServer) -> None:
    with server.client() as client:
        kernel = client.post("api/kernels", json={"name": "python3"}).json()
        try:
            url = server.ws_url + f"api/kernels/{kernel['id']}/channels?token={server.token}"
            with (
                pytest.raises(InvalidStatus) as refused,
                connect(url, origin=Origin("http://evil.example"), open_timeout=10),
            ):
                pass
            assert refused.value.response.status_code == 403
            own = f"http://127.0.0.1:{server.port}"
            with connect(url, origin=Origin(own), open_timeout=30):
                pass
        finally:
            client.delete(f"api/kernels/{kernel['id']}")


def test_security_headers_on_pages_api_and_files(server: RunningServer) -> None:
    (server.root / "f.html").write_text("<script>alert(1)</script>")
    with server.client() as client:
        page = client.get("login")
        api = client.get("api/contents")
        files = client.get("files/f.html")
        static = client.get("static/manifest.json")
        missing = client.get("no/such")
    for response in (page, api, files, static, missing):
        assert response.headers["X-Content-Type-Options"] == "nosniff", response.url
        assert response.headers["Referrer-Policy"] == "no-referrer", response.url
        assert "frame-ancestors '" in response.headers["Content-Security-Policy"]
        assert "Strict-Transport-Security" not in response.headers  # plain HTTP
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]
    assert "script-src" not in api.headers["Content-Security-Policy"]  # default-src 'none'
    for response in (page, api):
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "sandbox" in files.headers["Content-Security-Policy"]


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}


def test_a_second_factor_is_asked_for_after_the_password(tmp_path: Path) -> None:
    from carnet.auth.passwords import hash_password
    from carnet.auth.totp import decode_secret, new_secret, totp

    root = tmp_path / "root"
    root.mkdir()
    secret = new_secret()
    env = {
        "CARNET_AUTH_PASSWORD_HASH": hash_password("pass phrase"),
        "CARNET_AUTH_TOTP_SECRET": secret,
    }
    srv = start_server(root, env=env)
    try:
        with anonymous(srv) as client:
            assert 'name="code"' in client.get("login").text
            asked = client.post("login", data={"password": "pass phrase"})
            assert asked.status_code == 200
            assert "authenticator app" in asked.text
            assert "carnet-session" not in client.cookies
            wrong = client.post("login", data={"password": "pass phrase", "code": "000000"})
            if wrong.status_code != 302:  # 000000 may, once in a million, be the right code
                assert wrong.status_code == 403
                assert "Wrong authenticator code" in wrong.text
                ok = client.post(
                    "login",
                    data={
                        "password": "pass phrase",
                        "code": totp(decode_secret(secret), time.time()),
                    },
                )
                assert ok.status_code == 302
            assert client.get("api/contents").status_code == 200
    finally:
        srv.stop()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--token", ""], "without authentication"),
        ([], "refusing plain HTTP"),
    ],
)
def test_a_public_address_is_refused_without_a_secret_or_tls(
    tmp_path: Path, args: list[str], says: str
) -> None:
    # Refused before anything is bound: no socket ever opens on a public interface.
    cmd = [sys.executable, "-m", "carnet", "serve", str(tmp_path), "--ip", "0.0.0.0"]
    done = subprocess.run(
        [*cmd, "--port", "0", "--no-browser", *args],
        env={
            **_env(),
            "XDG_STATE_HOME": str(tmp_path / "s"),
            "XDG_CONFIG_HOME": str(tmp_path / "c"),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert says in done.stderr
    assert "Traceback" not in done.stderr


def test_the_proxy_check_page_is_a_page_with_a_separate_script(server: RunningServer) -> None:
    with anonymous(server) as client:
        sign_in_with_token(client, server)
        page = client.get("proxy-check", headers={"Host": f"localhost:{server.port}"})
    with anonymous(server) as stranger:
        script = stranger.get("proxy-check.js")  # public, like the other static files
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    config = re.search(r'<script type="application/json" id="proxy-check-config">(.*?)<', page.text)
    assert config is not None
    seen = json.loads(config.group(1))
    assert seen == {"baseUrl": "/", "host": f"localhost:{server.port}", "scheme": "http"}
    # No inline code: the only executable script is the separate file.
    inline = re.findall(r"<script(?![^>]*(?:src=|application/json))[^>]*>", page.text)
    assert inline == []
    assert '<script src="/proxy-check.js">' in page.text
    assert script.status_code == 200
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert "proxy-check/ws" in script.text

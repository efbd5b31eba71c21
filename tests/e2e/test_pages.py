"""The HTML pages and static assets over plain HTTP: auth, security headers, caching."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.conftest import RunningServer


def anonymous(carnet: RunningServer) -> httpx.Client:
    return httpx.Client(base_url=carnet.url, timeout=30)


@contextmanager
def signed_in(carnet: RunningServer) -> Iterator[httpx.Client]:
    """A client holding a login cookie, got the way a browser gets it: ``?token=``."""
    with anonymous(carnet) as client:
        response = client.get(f"tree/?token={carnet.token}")
        assert response.status_code == 302
        assert "carnet-session" in client.cookies
        yield client


def config_of(page: str) -> dict[str, object]:
    match = re.search(r'<script type="application/json" id="carnet-config">(.*?)</script>', page)
    assert match, page
    return json.loads(match.group(1))  # type: ignore[no-any-return]


def test_the_token_signs_in_and_the_base_url_leads_to_the_tree(carnet: RunningServer) -> None:
    with anonymous(carnet) as client:
        response = client.get(f"?token={carnet.token}")
        assert response.status_code == 302
        assert response.headers["Location"] == "/carnet/"
        assert "carnet-session" in client.cookies
        again = client.get("")
    assert again.status_code == 302
    assert again.headers["Location"] == "/carnet/tree/"


def test_pages_without_credentials_lead_to_the_login_page(carnet: RunningServer) -> None:
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    with anonymous(carnet) as client:
        for page in ("", "tree/", "notebooks/a.ipynb", "edit/a.txt"):
            response = client.get(page, headers=browser)
            assert response.status_code == 302, page
            location = response.headers["Location"]
            assert location.startswith("/carnet/login?next="), page
            login = client.get(f"http://127.0.0.1:{carnet.port}{location}", headers=browser)
            assert login.status_code == 200
            assert login.headers["Content-Type"].startswith("text/html")
            assert "token" in login.text
            assert carnet.token not in login.text
        wrong = client.get("tree/?token=not-the-token", headers=browser)
        assert wrong.status_code == 302
        assert "not-the-token" not in wrong.headers["Location"]
        # The API keeps its JSON error.
        scripted = client.get("api/contents")
        assert scripted.status_code == 403
        assert scripted.json()["reason"] == "unauthorized"


def test_dashboard_page_headers_and_config(carnet: RunningServer) -> None:
    with signed_in(carnet) as client:
        response = client.get("tree/some%20dir")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    config = config_of(response.text)
    assert set(config) == {"baseUrl", "xsrf", "path"}
    assert config["baseUrl"] == "/carnet/"
    assert config["path"] == "some dir"
    assert carnet.token not in response.text
    # The only scripts are the JSON config and the bundle: no inline code.
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", response.text, re.S)
    assert len(scripts) == 2
    assert 'type="module" src="/carnet/static/dashboard-' in scripts[1][0]
    assert scripts[1][1] == ""


def test_config_cannot_break_out_of_its_script_element(carnet: RunningServer) -> None:
    with signed_in(carnet) as client:
        response = client.get("tree/x%3C%2Fscript%3E%3Cscript%3Ealert(1)")
    assert "</script><script>alert(1)" not in response.text
    assert config_of(response.text)["path"] == "x</script><script>alert(1)"


def test_static_assets_are_public_and_cached_by_hash(carnet: RunningServer) -> None:
    with signed_in(carnet) as client:
        page = client.get("tree/").text
        js = re.search(r'src="/carnet/(static/dashboard-[A-Z0-9]+\.js)"', page)
        css = re.search(r'href="/carnet/(static/dashboard-[A-Z0-9]+\.css)"', page)
        assert js
        assert css
        script = client.get(js.group(1))
        style = client.get(css.group(1))
        manifest = client.get("static/manifest.json")
        escape = client.get("static/%2E%2E/pages.py")
        missing = client.get("static/nothing-here.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["Content-Type"]
    assert "immutable" in script.headers["Cache-Control"]
    assert script.headers["X-Content-Type-Options"] == "nosniff"
    assert style.status_code == 200
    assert style.headers["Content-Type"].startswith("text/css")
    assert manifest.headers["Cache-Control"] == "no-cache"
    assert escape.status_code in (403, 404)
    assert "StaticHandler" not in escape.text
    assert missing.status_code == 404

"""The HTML pages and static assets over plain HTTP: auth, security headers, caching."""

from __future__ import annotations

import json
import re

import httpx

from tests.conftest import RunningServer


def anonymous(carnet: RunningServer) -> httpx.Client:
    return httpx.Client(base_url=carnet.url, timeout=30)


def config_of(page: str) -> dict[str, object]:
    match = re.search(r'<script type="application/json" id="carnet-config">(.*?)</script>', page)
    assert match, page
    return json.loads(match.group(1))  # type: ignore[no-any-return]


def test_base_url_redirects_to_the_tree_keeping_the_token(carnet: RunningServer) -> None:
    with anonymous(carnet) as client:
        response = client.get(f"?token={carnet.token}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/carnet/tree/?token={carnet.token}"


def test_pages_need_the_token(carnet: RunningServer) -> None:
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    with anonymous(carnet) as client:
        for page in ("", "tree/", "notebooks/a.ipynb", "edit/a.txt"):
            response = client.get(page, headers=browser)
            assert response.status_code == 403, page
            assert response.headers["Content-Type"].startswith("text/html")
            assert "token" in response.text
            assert carnet.token not in response.text
        wrong = client.get("tree/?token=not-the-token", headers=browser)
        assert wrong.status_code == 403
        # A script that does not ask for HTML gets the API's JSON error.
        scripted = client.get("tree/")
        assert scripted.status_code == 403
        assert scripted.json()["reason"] == "unauthorized"


def test_dashboard_page_headers_and_config(carnet: RunningServer) -> None:
    with anonymous(carnet) as client:
        response = client.get(f"tree/some%20dir?token={carnet.token}")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    config = config_of(response.text)
    assert config == {"baseUrl": "/carnet/", "token": carnet.token, "path": "some dir"}
    # The only scripts are the JSON config and the bundle: no inline code.
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", response.text, re.S)
    assert len(scripts) == 2
    assert 'type="module" src="/carnet/static/dashboard-' in scripts[1][0]
    assert scripts[1][1] == ""


def test_config_cannot_break_out_of_its_script_element(carnet: RunningServer) -> None:
    with anonymous(carnet) as client:
        response = client.get(f"tree/x%3C%2Fscript%3E%3Cscript%3Ealert(1)?token={carnet.token}")
    assert "</script><script>alert(1)" not in response.text
    assert config_of(response.text)["path"] == "x</script><script>alert(1)"


def test_static_assets_are_public_and_cached_by_hash(carnet: RunningServer) -> None:
    with anonymous(carnet) as client:
        page = client.get(f"tree/?token={carnet.token}").text
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

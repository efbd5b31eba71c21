"""Uploaded HTML and SVG opened from /files/ cannot run script in carnet's origin."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.conftest import RunningServer

pytestmark = pytest.mark.e2e

HTML = """<!doctype html><html><head><title>untouched</title></head><body>
<p id="p">static text</p>
<script>document.title = "script ran"; localStorage.setItem("stolen", document.cookie);</script>
<img src="missing.png" onerror="document.title = 'handler ran'">
</body></html>"""

SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">
<title>untouched</title>
<script>document.title = "script ran"</script>
<rect width="10" height="10" onload="document.title = 'handler ran'"/></svg>"""


def sign_in(page: Page, carnet: RunningServer) -> None:
    """Open the dashboard with the token, as the printed URL does: the browser gets a cookie."""
    page.goto(f"tree/?token={carnet.token}")
    page.wait_for_url("**/tree/**")
    assert any(c["name"].startswith("carnet") for c in page.context.cookies())


@pytest.mark.parametrize(("name", "body"), [("evil.html", HTML), ("evil.svg", SVG)])
def test_uploaded_markup_runs_no_script(
    page: Page, carnet: RunningServer, folder: Path, name: str, body: str
) -> None:
    (folder / name).write_text(body)
    sign_in(page, carnet)
    response = page.goto(f"files/{folder.name}/{name}")
    assert response is not None
    assert response.status == 200
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    assert page.title() in ("untouched", "")
    if name.endswith(".html"):
        assert page.locator("#p").inner_text() == "static text"
    # The sandbox gives the document an opaque origin: no storage of carnet's origin.
    assert page.evaluate("() => window.origin") == "null"
    # Back in carnet's own origin, nothing was written by the uploaded file.
    page.goto("tree/")
    assert page.evaluate("() => localStorage.getItem('stolen')") is None

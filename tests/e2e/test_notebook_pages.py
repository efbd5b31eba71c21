"""The notebook page and the sandbox page over plain HTTP: policies, config, errors."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import RunningServer
from tests.e2e.test_pages import anonymous, config_of, signed_in
from tests.e2e.ui import rel


def test_the_notebook_page_allows_only_its_bundle_the_sandbox_and_the_editor_styles(
    carnet: RunningServer, folder: Path
) -> None:
    nb = folder / "a b.ipynb"
    nb.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    (folder / "notes.txt").write_text("hello")
    path = rel(carnet, nb)
    with signed_in(carnet) as client:
        page = client.get(f"notebooks/{path}")
        other = client.get(f"notebooks/{path}")
        not_a_notebook = client.get(f"notebooks/{rel(carnet, folder / 'notes.txt')}")
        missing = client.get(f"notebooks/{rel(carnet, folder)}/missing.ipynb")
    assert page.status_code == 200
    config = config_of(page.text)
    assert config["path"] == path
    assert "xsrf" in config
    assert "token" not in config
    nonce = str(config["styleNonce"])
    assert len(nonce) >= 16
    assert nonce != config_of(other.text)["styleNonce"]
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert f"style-src 'self' 'nonce-{nonce}';" in policy
    assert policy.endswith("frame-src 'self'")
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert page.headers["X-Frame-Options"] == "DENY"
    assert not_a_notebook.status_code == 400
    assert missing.status_code == 404


def test_the_sandbox_page_is_an_opaque_origin_that_needs_no_credentials(
    carnet: RunningServer,
) -> None:
    with anonymous(carnet) as client:
        response = client.get("carnet/sandbox")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert policy.startswith("sandbox allow-scripts;")
    assert "allow-same-origin" not in policy
    assert "connect-src 'none'" in policy
    assert "frame-ancestors 'self'" in policy
    assert "X-Frame-Options" not in response.headers
    assert "set-cookie" not in response.headers
    assert "postMessage" in response.text

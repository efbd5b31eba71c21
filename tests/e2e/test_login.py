"""Signing in and out in a real browser, with a password, under a base URL."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.conftest import RunningServer, start_server

pytestmark = pytest.mark.e2e

PASSWORD = "a long pass phrase"


@pytest.fixture
def locked(tmp_path: Path) -> Iterator[RunningServer]:
    """A server with a password, its root holding one folder."""
    from carnet.auth.passwords import hash_password

    root = tmp_path / "root"
    root.mkdir()
    (root / "reports").mkdir()
    srv = start_server(
        root, base_url="/lab/", env={"CARNET_AUTH_PASSWORD_HASH": hash_password(PASSWORD)}
    )
    yield srv
    srv.stop()


def sign_in(page: Page, password: str) -> None:
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_password_sign_in_then_sign_out(
    page: Page, context: BrowserContext, locked: RunningServer
) -> None:
    page.goto(f"{locked.url}tree/reports")
    expect(page).to_have_url(re.compile(r"/lab/login\?next=%2Flab%2Ftree%2Freports$"))
    sign_in(page, "not it")
    expect(page.get_by_role("alert")).to_have_text("Wrong password.")
    sign_in(page, PASSWORD)
    # Back where the browser was going, with the dashboard of that folder.
    expect(page).to_have_url(f"{locked.url}tree/reports")
    expect(page.locator(".crumbs [aria-current=page]")).to_have_text("reports")
    cookie = next(c for c in context.cookies() if c["name"] == "carnet-session")
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Lax"
    assert cookie["path"] == "/lab/"
    assert not cookie["secure"]  # plain HTTP on loopback
    # The page's script reads the API with the cookie, and cannot read the cookie itself.
    assert "carnet-session" not in page.evaluate("() => document.cookie")

    page.goto(f"{locked.url}logout")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{locked.url}login")
    page.goto(f"{locked.url}tree/")
    expect(page).to_have_url(re.compile(r"/lab/login\?next="))


def test_revoked_sessions_send_the_browser_back_to_the_login_page(
    page: Page, locked: RunningServer
) -> None:
    page.goto(f"{locked.url}login")
    sign_in(page, PASSWORD)
    expect(page.locator(".crumbs [aria-current=page]")).to_have_text("root")
    done = subprocess.run(
        [sys.executable, "-m", "carnet", "sessions", "revoke", "--all"],
        env={**os.environ, **locked.env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    page.reload()
    expect(page).to_have_url(re.compile(r"/lab/login\?next=%2Flab%2Ftree%2F$"))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()

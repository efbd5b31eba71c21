"""Browser tests: Debian's Chromium driven by Playwright, against a real carnet server.

Playwright's own browser download is never used: `browser_type_launch_args` points
pytest-playwright at the system Chromium (`make chromium` installs it). One server
serves the whole e2e session, under a non-root base URL; each test works in its own
folder of the server's root, made with plain file operations.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import RunningServer, start_server
from tests.e2e.ui import ARTIFACTS, SECOND_KERNEL

CHROMIUM = os.environ.get("CARNET_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_configure(config: pytest.Config) -> None:
    # A failed browser test leaves a screenshot of the page, unless told otherwise.
    if config.getoption("--screenshot") == "off":
        config.option.screenshot = "only-on-failure"
    if config.getoption("--output") == "test-results":
        config.option.output = str(ARTIFACTS / "failures")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    # Extends pytest-playwright's own fixture, so --headed and --slowmo still work.
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        message = f"no Chromium at {CHROMIUM}: run `make chromium` (or set CARNET_CHROMIUM)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_FLAGS}


@pytest.fixture(scope="session")
def carnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One server for the e2e session, with a second kernel spec installed beside python3."""
    base = tmp_path_factory.mktemp("e2e")
    root = base / "root"
    root.mkdir()
    home = base / "home"
    spec_dir = home / ".local/share/jupyter/kernels/e2e-second"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": SECOND_KERNEL,
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    server = start_server(root, base_url="/carnet/", home=home)
    yield server
    server.stop()
    if os.environ.get("CARNET_E2E_LOG"):
        sys.stdout.write(server.log())


@pytest.fixture(scope="session")
def base_url(carnet: RunningServer) -> str:
    """pytest-playwright resolves page.goto("tree/...") against this."""
    return carnet.url


@pytest.fixture
def folder(carnet: RunningServer, request: pytest.FixtureRequest) -> Path:
    """A fresh folder of the server's root, named after the test."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name).strip("-")
    path = carnet.root / name
    if path.exists():
        shutil.rmtree(path)
    path.mkdir()
    return path


@pytest.fixture
def page(page: Page) -> Page:
    # Everything a user sees in these tests happens within a few seconds on a loaded machine.
    page.set_default_timeout(15_000)
    expect.set_options(timeout=15_000)
    return page

"""What the browser tests share: opening the dashboard and reading what it shows."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.conftest import RunningServer

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SECOND_KERNEL = "Second Python (e2e)"


def rel(carnet: RunningServer, path: Path) -> str:
    """The contents path of a file under the server's root."""
    return path.relative_to(carnet.root).as_posix()


def open_dashboard(page: Page, carnet: RunningServer, path: str = "") -> None:
    """Open the dashboard of `path` with the token, and wait until its listing is shown."""
    page.goto(f"tree/{path}?token={carnet.token}")
    current = path.rsplit("/", 1)[-1] if path else "root"
    # The breadcrumbs are drawn once the listing has arrived.
    expect(page.locator(".crumbs [aria-current=page]")).to_have_text(current)


def names(page: Page) -> list[str]:
    """The names in the listing, top to bottom."""
    found: list[str] = page.locator("table.files tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.name)"
    )
    return found


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    out = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(out), full_page=True)
    return out

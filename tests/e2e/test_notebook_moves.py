"""An open notebook renamed or deleted from elsewhere (another tab, the REST API)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import RunningServer
from tests.e2e.test_notebook import cell, command_mode, open_notebook, text, type_in, write_notebook
from tests.e2e.ui import rel

pytestmark = pytest.mark.e2e


def test_a_rename_elsewhere_follows_the_page_and_edits_land_in_the_new_file(
    page: Page, carnet: RunningServer, folder: Path
) -> None:
    nb = write_notebook(folder / "before.ipynb", [{"source": "x = 1"}])
    open_notebook(page, carnet, rel(carnet, nb))
    (folder / "later").mkdir()
    target = f"{rel(carnet, folder)}/later/after.ipynb"
    with carnet.client() as client:
        res = client.patch(f"api/contents/{quote(rel(carnet, nb))}", json={"path": target})
        assert res.status_code == 200, res.text

    expect(page).to_have_url(
        re.compile(rf"/carnet/notebooks/{folder.name}/later/after\.ipynb(\?.*)?$")
    )
    expect(page).to_have_title(re.compile(r"^after\.ipynb"))
    expect(page.locator(".nb-title")).to_have_text("after.ipynb")

    type_in(page, 0, "  # moved")
    command_mode(page)
    page.keyboard.press("Control+S")
    moved = folder / "later" / "after.ipynb"
    expect(page.locator(".save-state")).to_have_text(re.compile("checkpoint"))
    saved = json.loads(moved.read_text())
    assert text(saved["cells"][0]["source"]) == "x = 1  # moved"
    assert not nb.exists()

    # A reload (what a reconnection also does) finds the notebook at its new address.
    page.reload()
    expect(page.locator(".nb.loaded")).to_be_attached()
    expect(cell(page, 0)).to_contain_text("x = 1  # moved")


def test_a_deleted_notebook_says_so_and_becomes_read_only(
    page: Page, carnet: RunningServer, folder: Path
) -> None:
    nb = write_notebook(folder / "doomed.ipynb", [{"source": "y = 2"}])
    open_notebook(page, carnet, rel(carnet, nb))
    with carnet.client() as client:
        res = client.delete(f"api/contents/{quote(rel(carnet, nb))}")
        assert res.status_code == 204, res.text

    banner = page.locator("[data-banner=deleted]")
    expect(banner).to_contain_text("This notebook was deleted")
    expect(page.locator(".nb.read-only")).to_be_attached()
    expect(page.locator(".save-state")).to_have_text("Deleted")

    # Neither a click nor Enter opens an editor; typing and cell keys change nothing.
    cell(page, 0).locator(".input").click()
    page.keyboard.press("Enter")
    page.keyboard.type("zzz")
    page.keyboard.press("b")
    expect(page.locator(".cm-editor")).to_have_count(0)
    expect(page.locator(".cells > .cell")).to_have_count(1)
    expect(cell(page, 0)).to_contain_text("y = 2")
    expect(cell(page, 0)).not_to_contain_text("zzz")
    page.wait_for_timeout(1500)
    assert not nb.exists()

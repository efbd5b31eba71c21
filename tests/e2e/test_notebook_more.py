"""The notebook editor's file menu: reverting to a checkpoint, and exports as .py and .html."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.conftest import RunningServer
from tests.e2e.test_notebook import cell, open_notebook, text, type_in, write_notebook
from tests.e2e.ui import rel, screenshot

pytestmark = pytest.mark.e2e


def first_source(nb: Path) -> str:
    return text(json.loads(nb.read_text())["cells"][0]["source"])


def wait_for_source(nb: Path, expected: str) -> None:
    """Wait (at most 15 s) until the file's first cell is ``expected``: the save has landed."""
    deadline = time.monotonic() + 15
    while first_source(nb) != expected and time.monotonic() < deadline:
        time.sleep(0.1)
    assert first_source(nb) == expected


def checkpoint_count(carnet: RunningServer, path: str) -> int:
    with carnet.client() as client:
        return len(client.get(f"api/contents/{path}/checkpoints").json())


def file_menu(page: Page, item: str) -> None:
    page.get_by_text("File", exact=True).click()
    page.get_by_role("menuitem", name=item).click()


def test_revert_to_a_checkpoint_shows_the_old_content(
    page: Page, carnet: RunningServer, folder: Path
) -> None:
    nb = write_notebook(folder / "history.ipynb", [{"source": "version = 'first'"}])
    path = rel(carnet, nb)
    open_notebook(page, carnet, path)
    page.keyboard.press("Control+s")
    expect(page.locator(".save-state")).to_contain_text("checkpoint")
    assert checkpoint_count(carnet, path) == 1

    # Later work, saved as the file (and as a newer checkpoint).
    type_in(page, 0, "  # second")
    page.keyboard.press("Escape")
    page.keyboard.press("Control+s")
    wait_for_source(nb, "version = 'first'  # second")
    deadline = time.monotonic() + 15
    while checkpoint_count(carnet, path) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert checkpoint_count(carnet, path) == 2

    file_menu(page, "Revert to a checkpoint…")
    dialog = page.get_by_role("dialog", name="Revert to a checkpoint")
    options = dialog.locator("option")
    expect(options).to_have_count(3)  # the two, and the one made just before reverting
    expect(options.first).to_contain_text("newest")
    screenshot(page, "notebook-revert")
    dialog.get_by_label("Checkpoint").select_option(index=2)  # the oldest: 'first'
    dialog.get_by_role("button", name="Revert").click()

    expect(cell(page, 0)).to_contain_text("version = 'first'")
    expect(cell(page, 0)).not_to_contain_text("# second")
    expect(page.locator("[data-banner=revert]")).to_contain_text("Reverted to checkpoint #1")
    expect(page.locator("[data-banner=file]")).to_have_count(0)
    assert first_source(nb) == "version = 'first'"

    # The reverted notebook is the one the page keeps editing and writing.
    type_in(page, 0, "  # third")
    page.keyboard.press("Escape")
    page.keyboard.press("Control+s")
    wait_for_source(nb, "version = 'first'  # third")


def test_download_as_script_and_html(page: Page, carnet: RunningServer, folder: Path) -> None:
    nb = write_notebook(
        folder / "report.ipynb",
        [
            {"cell_type": "markdown", "source": "# Report\nSome *text*."},
            {
                "source": "%matplotlib inline\nprint(6 * 7)",
                "execution_count": 1,
                "outputs": [{"output_type": "stream", "name": "stdout", "text": "42\n"}],
            },
        ],
    )
    open_notebook(page, carnet, rel(carnet, nb))
    type_in(page, 1, "  # checked")
    page.keyboard.press("Escape")

    with page.expect_download() as info:
        file_menu(page, "Download as script")
    script = info.value
    assert script.suggested_filename == "report.py"
    body = Path(script.path()).read_text()
    # The edit just made is in the download: the page writes the file first.
    assert "print(6 * 7)  # checked" in body
    assert "# %% [markdown]\n# # Report\n# Some *text*." in body
    assert "# %matplotlib inline" in body
    compile(body, "report.py", "exec")

    with page.expect_download() as info:
        file_menu(page, "Download as HTML")
    page_file = info.value
    assert page_file.suggested_filename == "report.html"
    html = Path(page_file.path()).read_text()
    assert html.startswith("<!doctype html>")
    assert "<h1>Report</h1>" in html
    assert "print(6 * 7)  # checked" in html
    assert "42\n" in html
    assert "<script" not in html.lower()


MALICIOUS_OUTPUTS = [
    {
        "output_type": "display_data",
        "metadata": {},
        "data": {
            "text/html": (
                "<b>bold</b><script>window.pwned = 1</script>"
                "<img src=x onerror='window.pwned = 2'>"
                "<a href='javascript:window.pwned=3'>link</a>"
                "<svg onload='window.pwned=4'><script>window.pwned=5</script></svg>"
                "<iframe srcdoc='<script>parent.pwned=6</script>'></iframe>"
            ),
            "text/plain": "html",
        },
    },
    {
        "output_type": "display_data",
        "metadata": {},
        "data": {"application/javascript": "window.pwned = 7", "text/plain": "js"},
    },
]


def test_exported_html_of_a_malicious_notebook_runs_no_script(
    page: Page, carnet: RunningServer, folder: Path
) -> None:
    nb = write_notebook(
        folder / "evil.ipynb",
        [{"source": "evil()", "execution_count": 1, "outputs": MALICIOUS_OUTPUTS}],
    )
    with carnet.client() as client:
        response = client.get(f"carnet/api/export/{rel(carnet, nb)}", params={"format": "html"})
        denied = client.get(f"carnet/api/export/{rel(carnet, nb)}", params={"format": "exe"})
        (folder / "notes.txt").write_text("not a notebook")
        not_notebook = client.get(f"carnet/api/export/{folder.name}/notes.txt")
        missing = client.get(f"carnet/api/export/{folder.name}/missing.ipynb")
    with httpx.Client(base_url=carnet.url) as anonymous:
        unauthenticated = anonymous.get(f"carnet/api/export/{rel(carnet, nb)}")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == "attachment; filename*=UTF-8''evil.html"
    assert "script-src" not in response.headers["content-security-policy"]
    assert denied.status_code == 400
    assert not_notebook.status_code == 400
    assert missing.status_code == 404
    assert unauthenticated.status_code == 403
    exported = response.text
    assert "<script" not in exported.lower()
    assert not re.search(r"\son[a-z]+\s*=", exported, re.IGNORECASE)
    assert "javascript:" not in exported.lower()
    assert "<b>bold</b>" in exported

    # Opened in a browser as a file of its own, nothing in it runs.
    out = folder / "evil.html"
    out.write_bytes(response.content)
    page.goto(out.as_uri())
    expect(page.locator("b")).to_have_text("bold")
    page.get_by_text("link").click()
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.pwned") is None
    assert page.locator("iframe, svg, script").count() == 0

"""The text editor in a real browser, against a real server and real files."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import RunningServer
from tests.e2e.ui import open_dashboard, rel, screenshot

pytestmark = pytest.mark.e2e


def open_editor(page: Page, carnet: RunningServer, path: str) -> None:
    page.goto(f"edit/{path}?token={carnet.token}")
    expect(page.locator("body[data-editor]")).to_be_attached()


def save_state(page: Page) -> str:
    return page.locator(".save-state").inner_text()


def test_edit_a_python_file_and_save_with_ctrl_s(
    page: Page, carnet: RunningServer, folder: Path
) -> None:
    script = folder / "script.py"
    script.write_text("def f():\n    return 1\n")
    open_dashboard(page, carnet, rel(carnet, folder))
    page.locator("table.files tbody tr[data-name='script.py']").get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/carnet/edit/{folder.name}/script\.py"))
    expect(page.locator(".cm-content")).to_contain_text("return 1")
    # Python support arrives in its own chunk, then the keywords are highlighted.
    expect(page.locator(".cm-content .tok-keyword").first).to_have_text("def")
    expect(page.locator(".save-state")).to_have_text("Saved")

    page.locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.type("print(f())\n")
    expect(page.locator(".save-state")).to_have_text("Unsaved changes")
    assert script.read_text() == "def f():\n    return 1\n"
    page.keyboard.press("Control+s")
    expect(page.locator(".save-state")).to_have_text("Saved")
    assert script.read_text() == "def f():\n    return 1\nprint(f())\n"
    screenshot(page, "text-editor")

    # A second save after more typing works too (the editor knows the file it wrote).
    page.keyboard.type("# done")
    page.keyboard.press("Control+s")
    expect(page.locator(".save-state")).to_have_text("Saved")
    assert script.read_text().endswith("print(f())\n# done")


def test_a_file_changed_on_disk_is_not_overwritten_silently(
    page: Page, carnet: RunningServer, folder: Path
) -> None:
    notes = folder / "notes.md"
    notes.write_text("# Notes\n")
    open_editor(page, carnet, rel(carnet, notes))
    expect(page.locator(".cm-content")).to_contain_text("# Notes")
    page.locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.type("mine\n")
    # Someone else writes the file meanwhile (a second later: a different modification time).
    time.sleep(1.1)
    notes.write_text("# Notes\ntheirs\n")

    page.keyboard.press("Control+s")
    conflict = page.locator("[data-banner=conflict]")
    expect(conflict).to_contain_text("changed on disk")
    expect(page.locator(".save-state")).to_have_text("Not saved: changed on disk")
    assert notes.read_text() == "# Notes\ntheirs\n"
    screenshot(page, "text-editor-conflict")

    # Reload takes the version on disk.
    conflict.get_by_role("button", name="Reload from disk").click()
    expect(page.locator(".cm-content")).to_contain_text("theirs")
    expect(page.locator(".cm-content")).not_to_contain_text("mine")
    expect(page.locator(".save-state")).to_have_text("Saved")

    # Changed again on disk, then overwritten on purpose.
    page.locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.type("again")
    time.sleep(1.1)
    notes.write_text("third party\n")
    page.keyboard.press("Control+s")
    conflict.get_by_role("button", name="Overwrite").click()
    expect(page.locator(".save-state")).to_have_text("Saved")
    assert notes.read_text() == "# Notes\ntheirs\nagain"


def test_leaving_with_unsaved_changes_asks_first(
    page: Page, carnet: RunningServer, folder: Path
) -> None:
    data = folder / "data.json"
    data.write_text('{"a": 1}\n')
    open_editor(page, carnet, rel(carnet, data))
    expect(page.locator(".cm-content .tok-propertyName").first).to_have_text('"a"')
    # The browser asks before leaving when the page cancels its beforeunload event.
    leaving = """() => {
        const event = new Event("beforeunload", { cancelable: true });
        window.dispatchEvent(event);
        return event.defaultPrevented;
    }"""
    assert page.evaluate(leaving) is False
    page.locator(".cm-content").click()
    page.keyboard.type(" ")
    expect(page.locator(".save-state")).to_have_text("Unsaved changes")
    assert page.evaluate(leaving) is True
    page.keyboard.press("Control+s")
    expect(page.locator(".save-state")).to_have_text("Saved")
    assert page.evaluate(leaving) is False
    saved = data.read_text()
    assert saved != '{"a": 1}\n'
    assert saved.replace(" ", "") == '{"a":1}\n'


def test_binary_files_show_a_message_and_a_download_link(
    page: Page, carnet: RunningServer, folder: Path
) -> None:
    blob = bytes(range(256)) * 4
    (folder / "data.bin").write_bytes(blob)
    open_editor(page, carnet, f"{rel(carnet, folder)}/data.bin")
    expect(page.locator(".notice")).to_contain_text("is not a text file")
    expect(page.locator(".cm-editor")).to_have_count(0)
    link = page.locator(".notice a.download")
    href = link.get_attribute("href")
    assert href is not None
    response = page.request.get(href)
    assert response.ok
    assert response.body() == blob
    assert "attachment" in response.headers["content-disposition"]


def test_large_files_open_read_only(page: Page, carnet: RunningServer, folder: Path) -> None:
    big = folder / "big.log"
    line = "x" * 99 + "\n"
    big.write_text(line * 60_000)  # 6 MB
    open_editor(page, carnet, rel(carnet, big))
    expect(page.locator("[data-banner=readonly]")).to_contain_text("open read-only")
    expect(page.locator(".save-state")).to_have_text("Read-only")
    expect(page.locator(".cm-content")).to_have_attribute("contenteditable", "false")


def test_images_and_notebooks_go_to_their_own_page(
    page: Page, carnet: RunningServer, folder: Path
) -> None:
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
    )
    (folder / "dot.png").write_bytes(png)
    open_editor(page, carnet, f"{rel(carnet, folder)}/dot.png")
    opener = page.get_by_role("link", name="Open it in the browser")
    expect(opener).to_be_visible()
    href = opener.get_attribute("href")
    assert href is not None
    assert f"/carnet/files/{folder.name}/dot.png" in href
    assert page.request.get(href).body() == png
    # The page of a notebook is the notebook editor.
    (folder / "n.ipynb").write_text(
        '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
    )
    with carnet.client() as client:
        response = client.get(f"edit/{folder.name}/n.ipynb")
        assert response.status_code == 302
        assert "/carnet/notebooks/" in response.headers["Location"]

"""The dashboard in a real browser: listing, creating, uploading, renaming, deleting."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, Request, Route, expect

from tests.conftest import RunningServer
from tests.e2e.ui import SECOND_KERNEL, names, open_dashboard, rel, screenshot

pytestmark = pytest.mark.e2e


def row(page: Page, name: str) -> Locator:
    return page.locator(f'table.files tbody tr[data-name="{name}"]')


def select(page: Page, name: str) -> None:
    page.get_by_label(f"Select {name}", exact=True).check()


def test_root_redirects_to_the_dashboard_and_lists_its_files(
    page: Page, carnet: RunningServer
) -> None:
    (carnet.root / "root-listing.txt").write_text("hello from the root\n")
    (carnet.root / "root-folder").mkdir(exist_ok=True)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"?token={carnet.token}")
    expect(page).to_have_url(re.compile(r"/carnet/tree/$"))
    expect(page.locator(".crumbs [aria-current=page]")).to_have_text("root")
    file_row = row(page, "root-listing.txt")
    expect(file_row).to_be_visible()
    expect(file_row.locator(".col-size")).to_have_text("20 B")
    expect(file_row.locator(".col-modified")).to_have_text("just now")
    expect(row(page, "root-folder")).to_have_attribute("data-type", "directory")
    listed = names(page)
    assert listed.index("root-folder") < listed.index("root-listing.txt"), "folders come first"
    assert problems == [], "no script errors and no Content-Security-Policy violations"


def test_create_folder_and_file(page: Page, carnet: RunningServer, folder: Path) -> None:
    open_dashboard(page, carnet, rel(carnet, folder))
    expect(page.locator("#files-view .empty")).to_be_visible()

    page.get_by_text("New", exact=True).click()
    page.get_by_role("menuitem", name="Folder…").click()
    dialog = page.get_by_role("dialog", name="New folder")
    dialog.get_by_label("Name").fill("results")
    dialog.get_by_role("button", name="Create").click()
    expect(row(page, "results")).to_be_visible()
    assert (folder / "results").is_dir()

    page.get_by_text("New", exact=True).click()
    page.get_by_role("menuitem", name="Text file…").click()
    dialog = page.get_by_role("dialog", name="New text file")
    dialog.get_by_label("Name").fill("results")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.get_by_role("alert")).to_have_text("results already exists here.")
    dialog.get_by_label("Name").fill("notes.md")
    dialog.get_by_role("button", name="Create").click()
    expect(row(page, "notes.md")).to_be_visible()
    assert (folder / "notes.md").read_text() == ""


def test_kernel_chooser_lists_every_installed_kernel_spec(
    page: Page, carnet: RunningServer, folder: Path
) -> None:
    with carnet.client() as client:
        specs = client.get("api/kernelspecs").json()
    expected = sorted(s["spec"]["display_name"] for s in specs["kernelspecs"].values())
    assert SECOND_KERNEL in expected
    assert len(expected) >= 2

    open_dashboard(page, carnet, rel(carnet, folder))
    page.get_by_text("New", exact=True).click()
    page.get_by_role("menuitem", name="Notebook…").click()
    chooser = page.get_by_role("dialog", name="New notebook").get_by_label("Kernel")
    options = chooser.locator("option").all_inner_texts()
    assert sorted(options) == expected
    default = specs["kernelspecs"][specs["default"]]["spec"]["display_name"]
    expect(chooser.locator("option:checked")).to_have_text(default)
    screenshot(page, "new-notebook-dialog")


def test_new_notebook_with_the_chosen_kernel_opens_it(
    page: Page, carnet: RunningServer, folder: Path
) -> None:
    open_dashboard(page, carnet, rel(carnet, folder))
    page.get_by_text("New", exact=True).click()
    page.get_by_role("menuitem", name="Notebook…").click()
    dialog = page.get_by_role("dialog", name="New notebook")
    dialog.get_by_label("Kernel").select_option(label=SECOND_KERNEL)
    dialog.get_by_role("button", name="Create").click()

    expect(page).to_have_url(re.compile(rf"/carnet/notebooks/{folder.name}/Untitled\.ipynb"))
    expect(page.locator(".nb-title")).to_have_text("Untitled.ipynb")
    notebook = json.loads((folder / "Untitled.ipynb").read_text())
    assert notebook["metadata"]["kernelspec"]["name"] == "e2e-second"
    assert notebook["metadata"]["kernelspec"]["display_name"] == SECOND_KERNEL
    assert notebook["nbformat"] == 4

    page.get_by_role("link", name="carnet").click()
    expect(row(page, "Untitled.ipynb")).to_have_attribute("data-type", "notebook")


def test_upload_with_the_button_small_and_in_chunks(
    page: Page, carnet: RunningServer, folder: Path, tmp_path: Path
) -> None:
    small = tmp_path / "small.csv"
    small.write_text("a,b\n1,2\n")
    big = tmp_path / "big.bin"
    big_bytes = os.urandom(3 * 1024 * 1024 + 512 * 1024)  # four pieces of at most 1 MiB
    big.write_bytes(big_bytes)
    chunks: list[object] = []
    held: list[Route] = []

    def on_request(request: Request) -> None:
        if request.method == "PUT" and request.url.split("?")[0].endswith("/big.bin"):
            chunks.append((request.post_data_json or {}).get("chunk"))

    def hold_the_last_piece(route: Route) -> None:
        # Keep the last piece back, to see the progress bar between start and end.
        body = route.request.post_data_json or {}
        if route.request.method == "PUT" and body.get("chunk") == -1 and not held:
            held.append(route)
        else:
            route.continue_()

    page.on("request", on_request)
    page.route("**/api/contents/**/big.bin", hold_the_last_piece)
    open_dashboard(page, carnet, rel(carnet, folder))
    page.get_by_label("Files to upload").set_input_files([str(small), str(big)])

    entry = page.locator('.uploads li[data-name="big.bin"]')
    expect(page.locator('.uploads li[data-name="small.csv"] .state')).to_have_text("done")
    expect(entry.locator(".state")).to_have_text("85 %", timeout=60_000)
    progress = entry.get_by_role("progressbar", name="Uploading big.bin")
    assert progress.evaluate("p => p.value / p.max") == pytest.approx(3 / 3.5)
    assert len(held) == 1
    held[0].continue_()

    expect(entry.locator(".state")).to_have_text("done")
    assert progress.evaluate("p => p.value === p.max")
    expect(row(page, "big.bin").locator(".col-size")).to_have_text("3.7 MB")
    assert (folder / "small.csv").read_text() == "a,b\n1,2\n"
    assert (folder / "big.bin").read_bytes() == big_bytes
    assert chunks == [1, 2, 3, -1]


def test_drop_files_to_upload(page: Page, carnet: RunningServer, folder: Path) -> None:
    open_dashboard(page, carnet, rel(carnet, folder))
    transfer = page.evaluate_handle(
        """() => {
            const dt = new DataTransfer();
            dt.items.add(new File(["dropped text\\n"], "dropped.txt", {type: "text/plain"}));
            return dt;
        }"""
    )
    zone = page.locator("#files-view")
    zone.dispatch_event("dragenter", {"dataTransfer": transfer})
    expect(zone).to_have_class(re.compile(r"\bdropping\b"))
    zone.dispatch_event("drop", {"dataTransfer": transfer})
    expect(row(page, "dropped.txt")).to_be_visible()
    expect(zone).not_to_have_class(re.compile(r"\bdropping\b"))
    assert (folder / "dropped.txt").read_text() == "dropped text\n"


def test_rename_duplicate_move_and_delete_with_confirmation(
    page: Page, carnet: RunningServer, folder: Path
) -> None:
    (folder / "draft.txt").write_text("draft\n")
    (folder / "archive").mkdir()
    open_dashboard(page, carnet, rel(carnet, folder))

    select(page, "draft.txt")
    page.get_by_role("button", name="Rename").click()
    dialog = page.get_by_role("dialog", name="Rename")
    dialog.get_by_label("New name").fill("final.txt")
    dialog.get_by_role("button", name="Rename").click()
    expect(row(page, "final.txt")).to_be_visible()
    expect(row(page, "draft.txt")).to_have_count(0)
    assert (folder / "final.txt").read_text() == "draft\n"

    select(page, "final.txt")
    page.get_by_role("button", name="Duplicate").click()
    expect(page.locator("table.files tbody tr")).to_have_count(3)
    copies = [n for n in names(page) if n not in ("archive", "final.txt")]
    assert len(copies) == 1
    assert re.fullmatch(r"final.+\.txt", copies[0])
    assert (folder / copies[0]).read_text() == "draft\n"

    expect(page.locator(".selection")).to_be_hidden()  # an action consumes the selection
    select(page, copies[0])
    page.get_by_role("button", name="Move").click()
    dialog = page.get_by_role("dialog", name="Move")
    dialog.get_by_role("textbox").fill(f"{folder.name}/archive")
    dialog.get_by_role("button", name="Move").click()
    expect(row(page, copies[0])).to_have_count(0)
    assert (folder / "archive" / copies[0]).read_text() == "draft\n"

    select(page, "final.txt")
    page.get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog", name="Delete?")
    expect(dialog).to_contain_text("final.txt")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    assert (folder / "final.txt").exists(), "cancelling keeps the file"

    page.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog", name="Delete?").get_by_role("button", name="Delete").click()
    expect(row(page, "final.txt")).to_have_count(0)
    assert not (folder / "final.txt").exists()
    assert names(page) == ["archive"]


def test_sort_by_size_and_name(page: Page, carnet: RunningServer, folder: Path) -> None:
    for name, size in [("medium.dat", 2000), ("big.dat", 50_000), ("small.dat", 3)]:
        (folder / name).write_bytes(b"x" * size)
    (folder / "zz-folder").mkdir()
    open_dashboard(page, carnet, rel(carnet, folder))
    assert names(page) == ["zz-folder", "big.dat", "medium.dat", "small.dat"]

    size_header = page.get_by_role("columnheader", name="Size")
    # Like file managers: the largest first, then the other way round.
    size_header.get_by_role("button").click()
    expect(size_header).to_have_attribute("aria-sort", "descending")
    assert names(page) == ["zz-folder", "big.dat", "medium.dat", "small.dat"]
    size_header.get_by_role("button").click()
    expect(size_header).to_have_attribute("aria-sort", "ascending")
    assert names(page) == ["zz-folder", "small.dat", "medium.dat", "big.dat"]

    name_header = page.get_by_role("columnheader", name="Name")
    name_header.get_by_role("button").click()
    name_header.get_by_role("button").click()
    expect(name_header).to_have_attribute("aria-sort", "descending")
    assert names(page) == ["zz-folder", "small.dat", "medium.dat", "big.dat"]


def test_breadcrumbs_navigate_the_folders(page: Page, carnet: RunningServer, folder: Path) -> None:
    (folder / "alpha" / "beta").mkdir(parents=True)
    (folder / "alpha" / "beta" / "deep.txt").write_text("deep\n")
    (folder / "alpha" / "in-alpha.txt").write_text("a\n")
    open_dashboard(page, carnet, rel(carnet, folder))

    page.get_by_role("link", name="alpha", exact=True).click()
    expect(page.locator(".crumbs [aria-current=page]")).to_have_text("alpha")
    page.get_by_role("link", name="beta", exact=True).click()
    expect(row(page, "deep.txt")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/carnet/tree/{folder.name}/alpha/beta$"))
    crumbs = page.locator(".crumbs .crumb").all_inner_texts()
    assert crumbs == ["root", folder.name, "alpha", "beta"]

    page.locator(".crumbs").get_by_role("link", name="alpha").click()
    expect(row(page, "in-alpha.txt")).to_be_visible()
    page.go_back()
    expect(row(page, "deep.txt")).to_be_visible()
    page.locator(".crumbs").get_by_role("link", name="root").click()
    expect(row(page, folder.name)).to_be_visible()

    # A reload of a deep URL shows the same folder: the URL is the state.
    open_dashboard(page, carnet, f"{folder.name}/alpha/beta")
    expect(row(page, "deep.txt")).to_be_visible()


def test_files_open_in_their_page(page: Page, carnet: RunningServer, folder: Path) -> None:
    (folder / "script.py").write_text("print(1)\n")
    open_dashboard(page, carnet, rel(carnet, folder))
    row(page, "script.py").get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/carnet/edit/{folder.name}/script\.py"))
    expect(page.locator(".cm-content")).to_contain_text("print(1)")


def test_running_view_shows_a_kernel_and_shuts_it_down(page: Page, carnet: RunningServer) -> None:
    with carnet.client() as client:
        kernel = client.post("api/kernels", json={"name": "python3"}).json()
        display_name = client.get("api/kernelspecs/python3").json()["spec"]["display_name"]
    try:
        page.goto(f"tree/?token={carnet.token}#running")
        kernel_row = page.locator(f'#running-view tr[data-kernel="{kernel["id"]}"]')
        expect(kernel_row).to_be_visible()
        expect(kernel_row).to_contain_text(display_name)
        expect(kernel_row).to_contain_text(kernel["id"][:8])
        screenshot(page, "running")
        kernel_row.get_by_role("button", name="Shut down").click()
        expect(kernel_row).to_have_count(0)
        with carnet.client() as client:
            ids = [k["id"] for k in client.get("api/kernels").json()]
        assert kernel["id"] not in ids
    finally:
        with carnet.client() as client:
            client.delete(f"api/kernels/{kernel['id']}")


def test_running_view_lists_sessions(page: Page, carnet: RunningServer, folder: Path) -> None:
    path = f"{folder.name}/analysis.ipynb"
    with carnet.client() as client:
        session = client.post(
            "api/sessions", json={"path": path, "type": "notebook", "kernel": {"name": "python3"}}
        ).json()
    try:
        page.goto(f"tree/?token={carnet.token}")
        page.get_by_role("link", name="Running", exact=True).click()
        session_row = page.locator(f'#running-view tr[data-session="{session["id"]}"]')
        expect(session_row).to_contain_text(path)
        session_row.get_by_role("button", name="Shut down").click()
        expect(session_row).to_have_count(0)
        kernel_row = page.locator(f'#running-view tr[data-kernel="{session["kernel"]["id"]}"]')
        expect(kernel_row).to_have_count(0)
    finally:
        with carnet.client() as client:
            client.delete(f"api/sessions/{session['id']}")


@pytest.mark.parametrize(
    ("name", "scheme", "viewport"),
    [
        ("dashboard-light", "light", {"width": 1280, "height": 800}),
        ("dashboard-dark", "dark", {"width": 1280, "height": 800}),
        ("dashboard-phone-light", "light", {"width": 390, "height": 844}),
        ("dashboard-phone-dark", "dark", {"width": 390, "height": 844}),
    ],
)
def test_screenshots_light_dark_and_phone(
    page: Page,
    carnet: RunningServer,
    name: str,
    scheme: str,
    viewport: dict[str, int],
) -> None:
    folder = carnet.root / f"Demo {name}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    (folder / "data").mkdir()
    (folder / "Analysis of the results.ipynb").write_text(
        json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    (folder / "plot.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 2000)
    (folder / "README.md").write_text("# Project\n" * 40)
    page.set_viewport_size(viewport)  # type: ignore[arg-type]
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    open_dashboard(page, carnet, rel(carnet, folder))
    select(page, "README.md")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert (background == "rgb(255, 255, 255)") == (scheme == "light")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], "nothing overflows sideways"
    assert screenshot(page, name).stat().st_size > 5000


def test_download_a_file_and_open_an_image(page: Page, carnet: RunningServer, folder: Path) -> None:
    (folder / "report.csv").write_text("x,y\n1,2\n")
    (folder / "pixel.png").write_bytes(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
            "1f15c4890000000d49444154789c6360f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
        )
    )
    open_dashboard(page, carnet, rel(carnet, folder))
    select(page, "report.csv")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download").click()
    download = info.value
    assert download.suggested_filename == "report.csv"
    assert Path(download.path()).read_text() == "x,y\n1,2\n"

    row(page, "pixel.png").get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/carnet/files/{folder.name}/pixel\.png$"))
    size = page.evaluate(
        "() => [document.images[0].naturalWidth, document.images[0].naturalHeight]"
    )
    assert size == [1, 1]


def test_upload_a_notebook_and_refuse_a_broken_one(
    page: Page, carnet: RunningServer, folder: Path, tmp_path: Path
) -> None:
    good = tmp_path / "good.ipynb"
    cell = {"cell_type": "markdown", "metadata": {}, "source": "# Hello"}
    good.write_text(
        json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 4})
    )
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    open_dashboard(page, carnet, rel(carnet, folder))
    page.get_by_label("Files to upload").set_input_files([str(good), str(broken)])

    expect(row(page, "good.ipynb")).to_have_attribute("data-type", "notebook")
    source = json.loads((folder / "good.ipynb").read_text())["cells"][0]["source"]
    assert "".join(source) == "# Hello"
    expect(page.locator('.uploads li[data-name="broken.ipynb"] .state')).to_have_text("failed")
    expect(page.get_by_role("alert")).to_contain_text("broken.ipynb is not a notebook")
    assert not (folder / "broken.ipynb").exists()

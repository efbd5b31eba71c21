"""The notebook editor in a real browser, against a real server and a real kernel."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.conftest import RunningServer
from tests.e2e.ui import open_dashboard, rel, screenshot

pytestmark = pytest.mark.e2e

# Starting a kernel and running a first cell takes a few seconds on a loaded machine.
KERNEL_TIMEOUT = 60_000


def write_notebook(path: Path, cells: list[dict[str, Any]]) -> Path:
    """Write an nbformat 4.5 notebook with `cells` (source strings, outputs as given)."""
    full = []
    for i, cell in enumerate(cells):
        c: dict[str, Any] = {
            "id": cell.get("id", f"cell-{i}"),
            "cell_type": cell.get("cell_type", "code"),
            "metadata": {},
            "source": cell.get("source", ""),
        }
        if c["cell_type"] == "code":
            c["outputs"] = cell.get("outputs", [])
            c["execution_count"] = cell.get("execution_count")
        full.append(c)
    nb = {
        "cells": full,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb))
    return path


def text(value: str | list[str]) -> str:
    """A multi-line string of a notebook file (nbformat may store it as a list of lines)."""
    return value if isinstance(value, str) else "".join(value)


def open_notebook(page: Page, carnet: RunningServer, path: str) -> None:
    """Open the notebook page and wait until its cells have arrived from the server."""
    page.goto(f"notebooks/{path}?token={carnet.token}")
    expect(page.locator(".nb.loaded")).to_be_attached()
    expect(page.locator(".save-state")).to_have_text(re.compile("Saved"))


def cell(page: Page, index: int) -> Locator:
    return page.locator(".cells > .cell").nth(index)


def cells(page: Page) -> Locator:
    return page.locator(".cells > .cell")


def type_in(page: Page, index: int, text: str) -> None:
    """Click into cell `index` (edit mode) and type `text` at the end."""
    cell(page, index).locator(".input").click()
    expect(cell(page, index).locator(".cm-editor.cm-focused")).to_be_visible()
    page.keyboard.press("Control+End")
    page.keyboard.type(text)


def command_mode(page: Page) -> None:
    page.keyboard.press("Escape")
    expect(page.locator(".nb[data-mode=command]")).to_be_attached()


def sources(page: Page) -> list[str]:
    """Each cell's source as the page shows it (editor or drawn text)."""
    found: list[str] = page.locator(".cells > .cell").evaluate_all(
        """cells => cells.map(c => {
            const ed = c.querySelector('.cm-content');
            if (ed) return [...ed.querySelectorAll('.cm-line')].map(l => l.textContent).join('\\n');
            const pre = c.querySelector('pre.src');
            return pre ? pre.textContent : (c.querySelector('.markdown') || c).textContent;
        })"""
    )
    return found


def test_new_notebook_from_the_dashboard_runs_code(
    page: Page, carnet: RunningServer, folder: Path
) -> None:
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(f"{m.text} {m.location}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    open_dashboard(page, carnet, rel(carnet, folder))
    page.get_by_text("New", exact=True).click()
    page.get_by_role("menuitem", name="Notebook…").click()
    page.get_by_role("dialog", name="New notebook").get_by_role("button", name="Create").click()
    expect(page).to_have_url(re.compile(rf"/carnet/notebooks/{folder.name}/Untitled\.ipynb"))
    expect(page.locator(".nb.loaded")).to_be_attached()
    expect(page.locator(".nb-title")).to_have_text("Untitled.ipynb")

    expect(cells(page)).to_have_count(1)  # a new notebook gets one cell to type into
    type_in(page, 0, "print(6 * 7)")
    page.keyboard.press("Shift+Enter")
    expect(cell(page, 0).locator(".outputs")).to_have_text("42", timeout=KERNEL_TIMEOUT)
    expect(cell(page, 0)).to_have_attribute("data-prompt", "[1]")
    # Shift+Enter at the last cell adds a cell below and edits it; the source kept no newline.
    expect(cells(page)).to_have_count(2)
    assert sources(page)[0] == "print(6 * 7)"
    expect(page.locator(".kernel-state")).to_contain_text("idle")

    page.keyboard.press("Control+s")
    expect(page.locator(".save-state")).to_contain_text("checkpoint")
    saved = json.loads((folder / "Untitled.ipynb").read_text())
    assert text(saved["cells"][0]["source"]) == "print(6 * 7)"
    assert text(saved["cells"][0]["outputs"][0]["text"]) == "42\n"
    checkpoints = list((folder / ".ipynb_checkpoints").glob("Untitled*.ipynb"))
    assert checkpoints, "Ctrl+S made a checkpoint"
    screenshot(page, "notebook-first-run")
    assert problems == [], "no script errors and no Content-Security-Policy violations"


def test_markdown_with_math_is_rendered(page: Page, carnet: RunningServer, folder: Path) -> None:
    nb = write_notebook(
        folder / "math.ipynb",
        [
            {
                "cell_type": "markdown",
                "source": "# Euler\n\nThe identity $e^{i\\pi} + 1 = 0$ and\n\n$$\\int_0^1 x\\,dx$$",
            },
            {"source": "x = 1"},
        ],
    )
    open_notebook(page, carnet, rel(carnet, nb))
    md = cell(page, 0)
    expect(md.locator("h1")).to_have_text("Euler")
    expect(md.locator("math")).to_have_count(2)
    expect(md.locator(".math-display math")).to_have_count(1)
    assert "$" not in md.locator(".markdown").inner_text()

    # Double-click edits the source, Shift+Enter renders it again.
    md.locator("h1").dblclick()
    expect(md.locator(".cm-editor")).to_be_visible()
    page.keyboard.press("Control+End")
    page.keyboard.type("\n\n**bold** $a^2$")
    page.keyboard.press("Shift+Enter")
    expect(md.locator("strong")).to_have_text("bold")
    expect(md.locator("math")).to_have_count(3)
    screenshot(page, "notebook-markdown-math")


def test_command_mode_keys(page: Page, carnet: RunningServer, folder: Path) -> None:
    nb = write_notebook(folder / "keys.ipynb", [{"source": "a"}, {"source": "b"}, {"source": "c"}])
    path = rel(carnet, nb)
    open_notebook(page, carnet, path)
    cell(page, 0).locator(".input").click()
    command_mode(page)
    expect(cell(page, 0)).to_have_class(re.compile(r"\bactive\b"))

    page.keyboard.press("ArrowDown")
    expect(cell(page, 1)).to_have_class(re.compile(r"\bactive\b"))
    page.keyboard.press("j")
    expect(cell(page, 2)).to_have_class(re.compile(r"\bactive\b"))
    page.keyboard.press("k")
    page.keyboard.press("ArrowUp")
    expect(cell(page, 0)).to_have_class(re.compile(r"\bactive\b"))

    page.keyboard.press("b")  # a new cell below "a"
    expect(cells(page)).to_have_count(4)
    assert sources(page) == ["a", "", "b", "c"]
    page.keyboard.press("a")  # and one above the new one
    expect(cells(page)).to_have_count(5)
    assert sources(page) == ["a", "", "", "b", "c"]

    page.keyboard.press("d")
    page.keyboard.press("d")
    expect(cells(page)).to_have_count(4)
    page.keyboard.press("d")
    page.keyboard.press("d")
    expect(cells(page)).to_have_count(3)
    assert sources(page) == ["a", "b", "c"]

    page.keyboard.press("z")  # the last deletion comes back
    expect(cells(page)).to_have_count(4)

    page.keyboard.press("ArrowDown")
    page.keyboard.press("m")
    active = page.locator(".cells > .cell.active")
    expect(active).to_have_class(re.compile(r"\bmarkdown\b"))
    page.keyboard.press("y")
    expect(active).to_have_class(re.compile(r"\bcode\b"))

    page.keyboard.press("Control+s")
    expect(page.locator(".save-state")).to_contain_text("checkpoint")
    with carnet.client() as client:
        checkpoints = client.get(f"api/contents/{path}/checkpoints").json()
    assert len(checkpoints) >= 1
    saved = json.loads(nb.read_text())
    assert [text(c["source"]) for c in saved["cells"]] == sources(page)


def test_malicious_output_never_runs_script(
    page: Page, carnet: RunningServer, folder: Path
) -> None:
    evil_html = (
        "<b id='harmless'>table</b>"
        "<img src='x' onerror='window.__pwned = 1; parent.__pwned = 1; top.__pwned = 1'>"
        "<script>window.__pwned = 2; parent.__pwned = 2;</script>"
        "<a href='javascript:window.__pwned=3'>link</a>"
    )
    outputs = [
        {
            "output_type": "display_data",
            "data": {"text/html": evil_html, "text/plain": "<html>"},
            "metadata": {},
        },
        {
            "output_type": "display_data",
            "data": {"application/javascript": "window.__pwned = 4; parent.__pwned = 4;"},
            "metadata": {},
        },
        {
            "output_type": "display_data",
            "data": {
                "image/svg+xml": "<svg xmlns='http://www.w3.org/2000/svg'"
                " onload='parent.__pwned=5'><script>parent.__pwned=5</script>"
                "<rect width='10' height='10'/></svg>"
            },
            "metadata": {},
        },
        {"output_type": "stream", "name": "stdout", "text": "<img src=x onerror=parent.__pwned=6>"},
    ]
    nb = write_notebook(
        folder / "evil.ipynb",
        [{"source": "display(evil)", "outputs": outputs, "execution_count": 3}],
    )
    open_notebook(page, carnet, rel(carnet, nb))
    out = cell(page, 0).locator(".outputs")
    expect(out.locator("#harmless")).to_have_text("table")
    expect(out.locator("img.output-image")).to_be_visible()
    expect(out.locator(".output-stream")).to_have_text("<img src=x onerror=parent.__pwned=6>")
    page.wait_for_timeout(500)
    assert page.evaluate("window.__pwned") is None
    assert out.locator("script").count() == 0
    assert out.locator("[onerror], [onload]").count() == 0
    assert out.locator("a[href^=javascript]").count() == 0

    # Scripts run only when asked, and then only in an opaque-origin frame.
    out.get_by_role("button", name="Run this output's scripts in a sandbox").first.click()
    frame = out.locator("iframe.output-frame")
    expect(frame).to_have_attribute("sandbox", "allow-scripts")
    expect(frame.content_frame.locator("#harmless")).to_have_text("table")
    page.wait_for_timeout(500)
    assert page.evaluate("window.__pwned") is None
    screenshot(page, "notebook-untrusted-output")


def test_reload_in_the_middle_of_a_run_keeps_the_output(
    page: Page, carnet: RunningServer, folder: Path
) -> None:
    code = "import time\nfor i in range(8):\n    print('tick', i, flush=True)\n    time.sleep(0.4)"
    nb = write_notebook(folder / "reload.ipynb", [{"source": code}])
    open_notebook(page, carnet, rel(carnet, nb))
    cell(page, 0).locator(".input").click()
    page.keyboard.press("Control+Enter")
    out = cell(page, 0).locator(".outputs")
    expect(out).to_contain_text("tick 1", timeout=KERNEL_TIMEOUT)
    expect(cell(page, 0)).to_have_attribute("data-prompt", "[*]")
    page.reload()
    expect(page.locator(".nb.loaded")).to_be_attached()
    out = cell(page, 0).locator(".outputs")
    expect(out).to_contain_text("tick 7", timeout=KERNEL_TIMEOUT)
    expect(cell(page, 0)).to_have_attribute("data-prompt", "[1]")
    text = out.inner_text()
    assert [line for line in text.splitlines() if line] == [f"tick {i}" for i in range(8)]


def test_a_second_page_sees_edits_and_outputs(
    browser: Browser, carnet: RunningServer, folder: Path
) -> None:
    nb = write_notebook(folder / "shared.ipynb", [{"source": ""}])
    path = rel(carnet, nb)
    first = browser.new_context(base_url=carnet.url).new_page()
    second = browser.new_context(base_url=carnet.url).new_page()
    for p in (first, second):
        p.set_default_timeout(15_000)
        open_notebook(p, carnet, path)
    type_in(first, 0, "print('from the first page')")
    expect(cell(second, 0).locator("pre.src")).to_have_text("print('from the first page')")
    first.keyboard.press("Control+Enter")
    expect(cell(second, 0).locator(".outputs")).to_have_text(
        "from the first page", timeout=KERNEL_TIMEOUT
    )
    command_mode(first)
    first.keyboard.press("b")
    expect(cells(second)).to_have_count(2)
    first.context.close()
    second.context.close()


def test_input_prompts_inline_and_masks_passwords(
    page: Page, carnet: RunningServer, folder: Path
) -> None:
    code = (
        "import getpass\nname = input('Your name? ')\nsecret = getpass.getpass('Password: ')\n"
        "print('hello', name, len(secret))"
    )
    nb = write_notebook(folder / "ask.ipynb", [{"source": code}])
    open_notebook(page, carnet, rel(carnet, nb))
    cell(page, 0).locator(".input").click()
    page.keyboard.press("Control+Enter")
    field = cell(page, 0).locator(".stdin input")
    expect(cell(page, 0).locator(".stdin-prompt")).to_have_text(
        "Your name?", timeout=KERNEL_TIMEOUT
    )
    expect(field).to_have_attribute("type", "text")
    field.fill("Ada")
    field.press("Enter")
    expect(cell(page, 0).locator(".stdin-prompt")).to_have_text("Password:")
    expect(field).to_have_attribute("type", "password")
    field.fill("s3cret")
    field.press("Enter")
    expect(cell(page, 0).locator(".outputs")).to_contain_text("hello Ada 6")
    expect(cell(page, 0).locator(".stdin")).to_have_count(0)


def test_restart_the_kernel(page: Page, carnet: RunningServer, folder: Path) -> None:
    nb = write_notebook(
        folder / "restart.ipynb", [{"source": "x = 41"}, {"source": "print(x + 1)"}]
    )
    open_notebook(page, carnet, rel(carnet, nb))
    cell(page, 0).locator(".input").click()
    page.keyboard.press("Shift+Enter")
    page.keyboard.press("Shift+Enter")
    expect(cell(page, 1).locator(".outputs")).to_have_text("42", timeout=KERNEL_TIMEOUT)

    page.get_by_text("Kernel", exact=True).click()
    page.get_by_role("menuitem", name=re.compile("Restart the kernel")).click()
    page.get_by_role("dialog").get_by_role("button", name="Restart").click()
    # Run at once: the page holds the run until the kernel is back.
    cell(page, 1).locator(".input").click()
    page.keyboard.press("Control+Enter")
    expect(cell(page, 1).locator(".outputs")).to_contain_text("NameError", timeout=KERNEL_TIMEOUT)

    # Restart and run all: both cells run again, in order, on the fresh kernel.
    page.get_by_text("Kernel", exact=True).click()
    page.get_by_role("menuitem", name=re.compile("Restart and run all")).click()
    page.get_by_role("dialog").get_by_role("button", name="Restart").click()
    expect(cell(page, 1).locator(".outputs")).to_have_text("42", timeout=KERNEL_TIMEOUT)
    expect(cell(page, 0)).to_have_attribute("data-prompt", "[1]")
    expect(cell(page, 1)).to_have_attribute("data-prompt", "[2]")


def test_i_i_interrupts_a_running_cell(page: Page, carnet: RunningServer, folder: Path) -> None:
    nb = write_notebook(
        folder / "sleepy.ipynb", [{"source": "import time\nprint('sleeping')\ntime.sleep(60)"}]
    )
    open_notebook(page, carnet, rel(carnet, nb))
    cell(page, 0).locator(".input").click()
    page.keyboard.press("Control+Enter")
    expect(cell(page, 0).locator(".outputs")).to_contain_text("sleeping", timeout=KERNEL_TIMEOUT)
    expect(cell(page, 0)).to_have_attribute("data-prompt", "[*]")
    expect(cell(page, 0).locator(".timing")).to_contain_text("running")
    command_mode(page)
    page.keyboard.press("i")
    page.keyboard.press("i")
    expect(cell(page, 0).locator(".outputs")).to_contain_text("KeyboardInterrupt")
    expect(cell(page, 0)).to_have_attribute("data-prompt", "[1]")
    expect(cell(page, 0).locator(".timing")).to_have_text(re.compile(r"^\d+(\.\d)?(ms|s)$"))


def test_big_output_shows_head_and_tail_then_all(
    page: Page, carnet: RunningServer, folder: Path
) -> None:
    nb = write_notebook(folder / "big.ipynb", [{"source": "for i in range(5000):\n    print(i)"}])
    open_notebook(page, carnet, rel(carnet, nb))
    cell(page, 0).locator(".input").click()
    page.keyboard.press("Control+Enter")
    out = cell(page, 0).locator(".outputs")
    expect(cell(page, 0)).to_have_attribute("data-prompt", "[1]", timeout=KERNEL_TIMEOUT)
    expect(out.locator(".output-note")).to_contain_text("not shown")
    expect(out).to_contain_text("4999")
    assert "\n2500\n" not in out.inner_text()
    assert out.locator("pre").evaluate_all("ps => ps.map(p => p.textContent.length)") != []
    out.get_by_role("button", name="Show all").click()
    expect(out.locator(".output-note")).to_have_count(0)
    lines = out.locator("pre").first.inner_text().splitlines()
    assert lines == [str(i) for i in range(5000)]


def test_falls_back_to_events_when_websockets_are_blocked(
    page: Page, carnet: RunningServer, folder: Path
) -> None:
    # As behind a proxy that refuses WebSocket upgrades.
    page.route_web_socket(re.compile(r"/documents/ws"), lambda ws: ws.close())
    nb = write_notebook(folder / "sse.ipynb", [{"source": "print('over events')"}])
    open_notebook(page, carnet, rel(carnet, nb))
    cell(page, 0).locator(".input").click()
    page.keyboard.press("End")
    page.keyboard.type("  # sent as a POST")
    page.keyboard.press("Control+Enter")
    expect(cell(page, 0).locator(".outputs")).to_have_text("over events", timeout=KERNEL_TIMEOUT)
    page.keyboard.press("Control+s")
    expect(page.locator(".save-state")).to_contain_text("checkpoint")
    with carnet.client() as client:
        model = client.get(f"api/contents/{rel(carnet, nb)}").json()
    assert model["content"]["cells"][0]["source"] == "print('over events')  # sent as a POST"


def test_edits_made_offline_are_pending_then_sent(
    page: Page, carnet: RunningServer, folder: Path
) -> None:
    blocked = {"on": False}
    sockets: list[Any] = []

    def route(ws: Any) -> None:
        if blocked["on"]:
            ws.close()
            return
        ws.connect_to_server()
        sockets.append(ws)

    page.route_web_socket(re.compile(r"/documents/ws"), route)
    # The fallback transport is down too.
    page.route(
        re.compile(r"/documents/(events|send)"),
        lambda r: r.abort() if blocked["on"] else r.continue_(),
    )
    nb = write_notebook(folder / "offline.ipynb", [{"source": "a = 1"}])
    path = rel(carnet, nb)
    open_notebook(page, carnet, path)
    cell(page, 0).locator(".input").click()
    expect(cell(page, 0).locator(".cm-editor.cm-focused")).to_be_visible()
    blocked["on"] = True
    for ws in sockets:
        ws.close()
    expect(page.locator(".save-state")).to_contain_text("Offline")
    expect(page.locator(".kernel-state")).to_contain_text("disconnected")
    page.keyboard.press("End")
    page.keyboard.type("0")
    expect(page.locator(".save-state")).to_have_text(re.compile(r"Offline · \d+ edits? pending"))
    blocked["on"] = False
    expect(page.locator(".save-state")).to_have_text(re.compile("^Saved"), timeout=30_000)
    # Another page sees the edit that was made offline.
    other = page.context.new_page()
    open_notebook(other, carnet, path)
    expect(cell(other, 0).locator("pre.src")).to_have_text("a = 10")


def test_more_cell_keys_and_the_shortcut_help(
    page: Page, carnet: RunningServer, folder: Path
) -> None:
    nb = write_notebook(folder / "more.ipynb", [{"source": "one"}, {"source": "two"}])
    open_notebook(page, carnet, rel(carnet, nb))
    cell(page, 0).locator(".input").click()
    command_mode(page)
    page.keyboard.press("c")
    page.keyboard.press("j")
    page.keyboard.press("v")  # paste below "two"
    expect(cells(page)).to_have_count(3)
    assert sources(page) == ["one", "two", "one"]
    page.keyboard.press("Shift+k")  # extend the selection up to "two"
    expect(page.locator(".cells > .cell.selected")).to_have_count(2)
    page.keyboard.press("Shift+m")  # merge "two" and "one"
    expect(cells(page)).to_have_count(2)
    assert sources(page) == ["one", "two\n\none"]
    page.keyboard.press("Control+Shift+ArrowUp")  # move it to the top
    expect(cell(page, 0).locator("pre.src")).to_have_text("two\n\none")
    page.keyboard.press("x")
    expect(cells(page)).to_have_count(1)
    assert sources(page) == ["one"]

    # Split at the cursor, in edit mode.
    cell(page, 0).locator(".input").click()
    expect(cell(page, 0).locator(".cm-editor.cm-focused")).to_be_visible()
    page.keyboard.press("Control+End")
    page.keyboard.type("\nsecond half")
    page.keyboard.press("Home")
    page.keyboard.press("Control+Shift+Minus")
    expect(cells(page)).to_have_count(2)
    assert sources(page) == ["one", "second half"]

    command_mode(page)
    page.keyboard.press("h")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("Delete cells")
    expect(help_dialog).to_contain_text("D, D")
    screenshot(page, "notebook-shortcut-help")
    help_dialog.get_by_role("button", name="Close").click()
    expect(help_dialog).to_have_count(0)


def test_completion_and_inspection_come_from_the_kernel(
    page: Page, carnet: RunningServer, folder: Path
) -> None:
    nb = write_notebook(folder / "complete.ipynb", [{"source": "import collections"}, {}])
    open_notebook(page, carnet, rel(carnet, nb))
    cell(page, 0).locator(".input").click()
    page.keyboard.press("Shift+Enter")
    expect(cell(page, 0)).to_have_attribute("data-prompt", "[1]", timeout=KERNEL_TIMEOUT)
    type_in(page, 1, "collections.Ordered")
    page.keyboard.press("Tab")
    option = page.locator(".cm-tooltip-autocomplete li", has_text="OrderedDict")
    expect(option).to_be_visible()
    # CodeMirror ignores Enter for 75 ms after the list appears (its interactionDelay), so
    # that a key pressed while the list pops up is not taken as a choice: wait as a person does.
    page.wait_for_timeout(250)
    page.keyboard.press("Enter")
    page.keyboard.type("(")
    expect(cell(page, 1).locator(".cm-content")).to_have_text("collections.OrderedDict(")
    page.keyboard.press("Shift+Tab")
    expect(cell(page, 1).locator(".tip")).to_contain_text("OrderedDict")
    page.keyboard.press("Escape")
    expect(cell(page, 1).locator(".tip")).to_have_count(0)
    assert sources(page)[1] == "collections.OrderedDict("
    # Tab in leading whitespace indents.
    page.keyboard.press("Control+a")
    page.keyboard.type("if True:\n")
    page.keyboard.press("Home")
    page.keyboard.press("Tab")
    assert sources(page)[1].startswith("if True:\n    ")


def test_a_dead_kernel_says_so(page: Page, carnet: RunningServer, folder: Path) -> None:
    nb = write_notebook(folder / "dies.ipynb", [{"source": "import os\nos._exit(1)"}])
    open_notebook(page, carnet, rel(carnet, nb))
    cell(page, 0).locator(".input").click()
    page.keyboard.press("Control+Enter")
    banner = page.locator(".banner[data-banner^=kernel]")
    expect(banner).to_contain_text("kernel died", timeout=KERNEL_TIMEOUT)
    screenshot(page, "notebook-kernel-died")


def test_phone_width_in_the_dark(page: Page, carnet: RunningServer, folder: Path) -> None:
    nb = write_notebook(
        folder / "phone.ipynb",
        [
            {"cell_type": "markdown", "source": "# A notebook on a phone\n\nwith $x^2$"},
            {
                "source": "print('a fairly long line of output ' * 4)",
                "outputs": [{"output_type": "stream", "name": "stdout", "text": "x " * 200}],
                "execution_count": 1,
            },
        ],
    )
    page.emulate_media(color_scheme="dark")
    page.set_viewport_size({"width": 390, "height": 800})
    open_notebook(page, carnet, rel(carnet, nb))
    expect(cell(page, 0).locator("h1")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "nothing makes the page scroll sideways"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background != "rgb(255, 255, 255)"
    screenshot(page, "notebook-phone-dark")


def test_rename_from_the_title_and_download(
    page: Page, carnet: RunningServer, folder: Path
) -> None:
    nb = write_notebook(folder / "draft.ipynb", [{"source": "x = 1"}])
    open_notebook(page, carnet, rel(carnet, nb))
    type_in(page, 0, "  # edited")
    page.locator(".nb-title").click()
    dialog = page.get_by_role("dialog", name="Rename notebook")
    dialog.get_by_label("New name").fill("final")
    dialog.get_by_role("button", name="Rename").click()
    expect(page).to_have_url(re.compile(rf"/carnet/notebooks/{folder.name}/final\.ipynb"))
    expect(page.locator(".nb-title")).to_have_text("final.ipynb")
    assert not nb.exists()
    saved = json.loads((folder / "final.ipynb").read_text())
    assert text(saved["cells"][0]["source"]) == "x = 1  # edited"
    expect(page.locator(".save-state")).to_have_text(re.compile("Saved"))

    page.get_by_text("File", exact=True).click()
    with page.expect_download() as info:
        page.get_by_role("menuitem", name="Download as .ipynb").click()
    download = info.value
    assert download.suggested_filename == "final.ipynb"
    downloaded = json.loads(Path(download.path()).read_text())
    assert text(downloaded["cells"][0]["source"]) == "x = 1  # edited"

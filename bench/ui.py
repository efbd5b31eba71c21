"""The web UI's figures in headless Chromium, carnet beside Jupyter Notebook 7.

    .venv/bin/python bench/ui.py [--loads 3] [--keys 40] [--lines 200000] [--no-jupyter]

Measured on generated notebooks (``notebook_paint.make_notebook``: 1,000 cells, two
thirds code with outputs, a third markdown), served on 127.0.0.1:

* ``first_screen_ms``: navigation to the first screen of cells drawn. Both servers are
  timed the same way: a ``requestAnimationFrame`` loop started before the page's own
  script looks for the first cell's output (its last line) and stops at the frame that
  shows it. carnet's own ``carnet-first-screen`` mark is reported too.
* ``dom_nodes``: elements in the page two seconds after that.
* ``initial_js_gz_kib``: the JavaScript fetched before ``DOMContentLoaded`` (a page's
  static module graph), gzipped here at level 9 (neither server compresses by itself);
  ``js_by_first_screen_gz_kib``: all the JavaScript whose fetch started before the first
  screen (JupyterLab fetches most of its code after ``DOMContentLoaded``, as webpack
  chunks, so this is the figure to compare; carnet starts fetching its editor chunk
  right after its first screen, so this may include it).
* ``keystroke_ms``: keydown to the next frame painted (a ``requestAnimationFrame``
  then a task), typing in the first cell of the 1,000-cell notebook.
* ``editor_keystroke_ms``: the same typing in carnet's text editor on a small file
  (plain CodeMirror, no notebook): the floor the machine and the browser allow.
* ``stream_longest_task_ms``: the longest task (``longtask`` entries, which start at
  50 ms) while a cell prints 200,000 lines into the open 1,000-cell notebook (carnet only).

Jupyter Notebook 7 runs from ``bench/.venv-notebook``, created on the first run (only
when missing). Results are printed as a table and written to ``bench/results/ui-*.json``
and ``.md``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(BENCH))

from notebook_paint import make_notebook  # noqa: E402
from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402
from tests.conftest import start_server  # noqa: E402

CHROMIUM = os.environ.get("CARNET_CHROMIUM", "/usr/bin/chromium")
NOTEBOOK_VENV = BENCH / ".venv-notebook"
NOTEBOOK_REQUIREMENTS = ["notebook==7.6.5", "ipykernel==7.4.0"]
TOKEN = "bench-ui-token-0123456789"
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}

# A frame loop from the first moment of the page: stops at the frame that shows `marker`
# inside the first element matching `selector`.
FIRST_SCREEN = """
(() => {
  const [selector, marker] = %s;
  const tick = () => {
    const el = document.querySelector(selector);
    if (el && el.textContent.includes(marker)) { window.__firstScreen = performance.now(); return; }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
"""

KEY_LATENCY = """() => {
  window.__keys = [];
  document.addEventListener("keydown", (ev) => {
    const start = ev.timeStamp;
    requestAnimationFrame(() => setTimeout(() => window.__keys.push(performance.now() - start)));
  }, true);
}"""

LONG_TASKS = """() => {
  window.__long = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__long.push(e.duration);
  }).observe({ type: "longtask" });
}"""


@dataclass
class Target:
    """How one server's notebook page is reached and read."""

    name: str
    url: Callable[[str], str]
    output: str  # the first output area
    cell_input: str  # what to click to type in the first cell
    editor: str  # the focused editor


def notebook_file(cells: int) -> dict[str, Any]:
    nb = make_notebook(cells)
    nb["metadata"] = {"kernelspec": KERNELSPEC}
    return nb


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def ensure_notebook_venv() -> Path:
    """bench/.venv-notebook with Jupyter Notebook 7, created only when missing."""
    python = NOTEBOOK_VENV / "bin" / "python"
    probe = [str(python), "-c", "import notebook, ipykernel; print(notebook.__version__)"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return NOTEBOOK_VENV
    print("creating bench/.venv-notebook (Jupyter Notebook 7) ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(NOTEBOOK_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *NOTEBOOK_REQUIREMENTS], check=True)
    return NOTEBOOK_VENV


@contextmanager
def jupyter(root: Path) -> Iterator[tuple[str, str]]:
    """Jupyter Notebook 7 serving ``root``; yields (base URL, version)."""
    venv = ensure_notebook_venv()
    version = subprocess.run(
        [str(venv / "bin/python"), "-c", "import notebook; print(notebook.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    port = free_port()
    home = root.parent / "jupyter-home"
    home.mkdir(exist_ok=True)
    env = {**os.environ, "HOME": str(home), "JUPYTER_CONFIG_DIR": str(home / ".jupyter")}
    env["JUPYTER_DATA_DIR"] = str(home / "data")
    env["JUPYTER_RUNTIME_DIR"] = str(home / "runtime")
    command = [str(venv / "bin/jupyter"), "notebook", "--no-browser", "--ip=127.0.0.1"]
    command += [f"--port={port}", f"--IdentityProvider.token={TOKEN}"]
    command += [f"--ServerApp.root_dir={root}", "--ServerApp.open_browser=False"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers and CI machines often run as root
    log = (root.parent / "jupyter.log").open("w")
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("Jupyter Notebook did not start within 60 s")
        yield url, version
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


def js_fetched(page: Page, before_ms: float) -> float:
    """KiB of JavaScript (gzipped) whose fetch started before ``before_ms``."""
    urls: list[str] = page.evaluate(
        """(before) => performance.getEntriesByType("resource")
            .filter((e) => e.startTime < before)
            .filter((e) => /\\.m?js$/.test(new URL(e.name).pathname))
            .map((e) => e.name)""",
        before_ms,
    )
    total = 0
    for url in urls:
        body = page.request.get(url).body()
        total += len(gzip.compress(body, 9))
    return total / 1024


def load(browser: Browser, target: Target, path: str) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_init_script(FIRST_SCREEN % json.dumps([target.output, "step 11"]))
    page = context.new_page()
    page.goto(target.url(path), wait_until="commit")
    page.wait_for_function("() => window.__firstScreen !== undefined", timeout=120_000)
    page.wait_for_timeout(2000)
    first = float(page.evaluate("() => window.__firstScreen"))
    row = {
        "first_screen_ms": first,
        "dom_nodes": float(page.evaluate("() => document.getElementsByTagName('*').length")),
    }
    mark = page.evaluate(
        "() => performance.getEntriesByName('carnet-first-screen')[0]?.startTime ?? null"
    )
    if mark is not None:
        row["carnet_mark_ms"] = float(mark)
    # The page's static module graph: what is fetched before its scripts have run.
    loaded = page.evaluate(
        "() => performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"
    )
    row["initial_js_gz_kib"] = js_fetched(page, float(loaded))
    row["js_by_first_screen_gz_kib"] = js_fetched(page, first)
    context.close()
    return row


def keystrokes(browser: Browser, target: Target, path: str, keys: int) -> list[float]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(target.url(path))
    page.locator(target.output).first.wait_for(timeout=120_000)
    page.wait_for_timeout(2000)
    page.locator(target.cell_input).first.click()
    page.locator(target.editor).first.wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    page.evaluate(KEY_LATENCY)
    page.keyboard.type("x" * keys, delay=60)
    page.wait_for_timeout(300)
    found: list[float] = page.evaluate("() => window.__keys")
    context.close()
    return found


def editor_keystrokes(browser: Browser, url: str, keys: int) -> list[float]:
    """The same typing in carnet's text editor on a small file: the page-free floor."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(url)
    page.locator("body[data-editor=ready]").wait_for(timeout=60_000)
    page.locator(".cm-content").click()
    page.wait_for_timeout(500)
    page.evaluate(KEY_LATENCY)
    page.keyboard.type("x" * keys, delay=60)
    page.wait_for_timeout(300)
    found: list[float] = page.evaluate("() => window.__keys")
    context.close()
    return found


def stream(browser: Browser, target: Target, path: str, lines: int) -> dict[str, float]:
    """carnet: run a cell printing ``lines`` lines into the open notebook; the longest task."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(target.url(path))
    page.locator(".nb.loaded").wait_for(timeout=120_000)
    page.wait_for_timeout(2000)
    page.locator(".cells > .cell").first.locator(".input").click()
    page.evaluate(LONG_TASKS)
    start = time.monotonic()
    page.keyboard.press("Control+Enter")
    page.locator(".cells > .cell[data-prompt='[1]']").first.wait_for(timeout=300_000)
    # The run is over; its output's tail may still be on its way to the page.
    page.wait_for_function(
        "(last) => document.querySelector('.cells > .cell .outputs').textContent.includes(last)",
        arg=f"\n{lines - 1}\n",
        timeout=60_000,
    )
    elapsed = time.monotonic() - start
    page.wait_for_timeout(1000)
    longest: list[float] = page.evaluate("() => window.__long")
    context.close()
    return {
        "stream_longest_task_ms": max(longest, default=0.0),
        "stream_long_tasks": float(len(longest)),
        "stream_s": elapsed,
    }


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


TARGETS = {
    "first_screen_ms": ("≤ 1000", lambda v: v <= 1000),
    "initial_js_gz_kib": ("≤ 200", lambda v: v <= 200),
    "keystroke_ms": ("≤ 16 (median)", lambda v: v <= 16),
    "stream_longest_task_ms": ("≤ 200", lambda v: v <= 200),
}


def render(results: dict[str, dict[str, float]]) -> str:
    names = list(results)
    metrics: list[str] = []
    for figures in results.values():
        metrics += [m for m in figures if m not in metrics]
    head = "| figure | " + " | ".join(names) + " | target (carnet) |  |"
    lines = [head, "|---" * (len(names) + 3) + "|"]
    for metric in metrics:
        cells = []
        for name in names:
            value = results[name].get(metric)
            cells.append("n/a" if value is None else f"{value:,.1f}")
        target, ok = TARGETS.get(metric, ("", None))
        value = results.get("carnet", {}).get(metric)
        mark = "" if ok is None or value is None else ("✓" if ok(value) else "✗")
        lines.append(f"| {metric} | " + " | ".join(cells) + f" | {target} | {mark} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loads", type=int, default=3, help="page loads per server (median)")
    parser.add_argument("--cells", type=int, default=1000)
    parser.add_argument("--keys", type=int, default=40, help="keystrokes typed per server")
    parser.add_argument("--lines", type=int, default=200_000, help="lines of the streamed output")
    parser.add_argument("--no-jupyter", action="store_true", help="carnet only")
    parser.add_argument("--out-dir", type=Path, default=BENCH / "results")
    args = parser.parse_args()

    started = datetime.now(UTC)
    results: dict[str, dict[str, float]] = {}
    samples: dict[str, dict[str, list[float]]] = {}
    versions: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        root = Path(tmp) / "root"
        root.mkdir()
        nb = notebook_file(args.cells)
        (root / "big.ipynb").write_text(json.dumps(nb))
        streaming = notebook_file(args.cells)
        source = f"for i in range({args.lines}):\n    print(i)"
        streaming["cells"][0].update(source=source, outputs=[], execution_count=None)
        (root / "stream.ipynb").write_text(json.dumps(streaming))
        (root / "small.py").write_text("def f(x):\n    return x * 2\n" * 20)
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--disable-gpu"])

        def measure(target: Target) -> None:
            rows = [load(browser, target, "big.ipynb") for _ in range(args.loads + 1)][1:]
            figures = {k: [r[k] for r in rows if k in r] for k in rows[0]}
            figures["keystroke_ms"] = keystrokes(browser, target, "big.ipynb", args.keys)
            samples[target.name] = figures
            results[target.name] = {k: median(v) for k, v in figures.items()}

        server = start_server(root, token=TOKEN)
        try:
            carnet = Target(
                "carnet",
                lambda p: f"{server.url}notebooks/{p}?token={TOKEN}",
                ".cells > .cell .outputs",
                ".cells > .cell .input",
                ".cm-editor.cm-focused",
            )
            measure(carnet)
            typed = editor_keystrokes(
                browser, f"{server.url}edit/small.py?token={TOKEN}", args.keys
            )
            results["carnet"]["editor_keystroke_ms"] = median(typed)
            samples["carnet"]["editor_keystroke_ms"] = typed
            streamed = stream(browser, carnet, "stream.ipynb", args.lines)
            results["carnet"].update(streamed)
            samples["carnet"].update({k: [v] for k, v in streamed.items()})
        finally:
            server.stop()
        versions["carnet"] = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        if not args.no_jupyter:
            with jupyter(root) as (url, version):
                versions["jupyter-notebook"] = version
                measure(
                    Target(
                        "jupyter-notebook",
                        lambda p: f"{url}notebooks/{p}?token={TOKEN}",
                        ".jp-Cell .jp-OutputArea-output",
                        ".jp-Cell .cm-content",
                        ".jp-Cell .cm-editor.cm-focused",
                    )
                )
        browser.close()

    table = render(results)
    load1, load5, _ = os.getloadavg()
    heading = (
        f"# UI benchmark {started:%Y%m%dT%H%M%SZ}\n\n"
        f"{args.cells}-cell notebook, {args.loads} loads per server (median), {args.keys} "
        f"keystrokes, {args.lines:,} streamed lines; headless Chromium 1280x800; "
        f"{platform.machine()}, {os.cpu_count()} cores, load average {load1:.1f} / {load5:.1f} "
        f"at the end; versions {versions}.\n"
    )
    print(heading)
    print(table)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    stem = args.out_dir / f"ui-{started:%Y%m%dT%H%M%SZ}"
    stem.with_suffix(".md").write_text(heading + "\n" + table + "\n")
    data = {"started": started.isoformat(), "versions": versions, "args": vars(args)}
    data.update(medians=results, samples=samples)
    text = json.dumps(data, indent=1, default=str) + "\n"
    # The checkout's own path says nothing about the figures: keep it out of the record.
    stem.with_suffix(".json").write_text(text.replace(str(REPO), "<repo>"))
    print(f"\nwritten: {stem}.md and .json")


if __name__ == "__main__":
    main()

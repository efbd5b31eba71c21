"""First paint of a 1,000-cell notebook in the notebook editor (headless Chromium).

    .venv/bin/python bench/notebook_paint.py [--loads 5] [--cells 1000]

Generates a notebook shaped like the one of FRONTEND.md §2.3 (two thirds code, each with
an output: ANSI streams, reprs, HTML tables, tracebacks; a third markdown, a third of
those with math), serves it with carnet on 127.0.0.1, loads the page several times
and prints the medians: time from navigation to the first screen of cells drawn (the
page's ``carnet-first-screen`` mark), DOM elements, editors, JS heap.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright
from tests.conftest import start_server

CHROMIUM = "/usr/bin/chromium"


def make_notebook(n: int) -> dict[str, object]:
    rng = random.Random(7)
    cells: list[dict[str, object]] = []
    for i in range(n):
        if i % 3 == 2:
            text = f"## Section {i}\n\nSome prose about step {i}, with *emphasis* and `code`."
            if i % 9 == 2:
                text += f"\n\nThe loss is $L_{i} = \\sum_k (y_k - \\hat y_k)^2$."
            cells.append({"id": f"m{i}", "cell_type": "markdown", "metadata": {}, "source": text})
            continue
        lines = [f"x{i} = [k ** 2 for k in range({rng.randint(3, 40)})]" for _ in range(9)]
        outputs: list[dict[str, object]] = []
        kind = i % 6
        if kind == 0:
            outputs.append(
                {
                    "output_type": "stream",
                    "name": "stdout",
                    "text": "".join(
                        f"\x1b[32mstep {k}\x1b[0m loss={rng.random():.4f}\n" for k in range(12)
                    ),
                }
            )
        elif kind == 1:
            rows = "".join(f"<tr><td>{k}</td><td>{rng.random():.3f}</td></tr>" for k in range(8))
            outputs.append(
                {
                    "output_type": "execute_result",
                    "execution_count": i,
                    "metadata": {},
                    "data": {"text/html": f"<table>{rows}</table>", "text/plain": "DataFrame"},
                }
            )
        elif kind == 3:
            outputs.append(
                {
                    "output_type": "error",
                    "ename": "ValueError",
                    "evalue": "bad value",
                    "traceback": [f"\x1b[31mValueError\x1b[0m: bad value in cell {i}"] * 6,
                }
            )
        elif kind == 4:
            outputs.append(
                {
                    "output_type": "execute_result",
                    "execution_count": i,
                    "metadata": {},
                    "data": {"text/plain": repr(list(range(60)))},
                }
            )
        cells.append(
            {
                "id": f"c{i}",
                "cell_type": "code",
                "metadata": {},
                "source": "\n".join(lines),
                "outputs": outputs,
                "execution_count": i if outputs else None,
            }
        )
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--cells", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        root.mkdir()
        (root / "big.ipynb").write_text(json.dumps(make_notebook(args.cells)))
        server = start_server(root)
        try:
            rows = []
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--disable-gpu"])
                for _ in range(args.loads + 1):
                    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
                    page.goto(f"{server.url}notebooks/big.ipynb?token={server.token}")
                    page.wait_for_function(
                        "() => performance.getEntriesByName('carnet-first-screen').length > 0",
                        timeout=60_000,
                    )
                    page.wait_for_timeout(300)
                    rows.append(
                        page.evaluate(
                            """() => ({
                            paint: performance.getEntriesByName('carnet-first-screen')[0].startTime,
                            nodes: document.getElementsByTagName('*').length,
                            cells: document.querySelectorAll('.cells > .cell').length,
                            editors: document.querySelectorAll('.cm-editor').length,
                            heap: (performance.memory?.usedJSHeapSize ?? 0) / 1e6,
                        })"""
                        )
                    )
                    page.context.close()
                browser.close()
        finally:
            server.stop()
    rows = rows[1:]  # the first load warms the server's open notebook and the disk cache
    for key in ("paint", "nodes", "cells", "editors", "heap"):
        values = [r[key] for r in rows]
        print(
            f"{key:8} median {statistics.median(values):9.1f}   all {[round(v, 1) for v in values]}"
        )


if __name__ == "__main__":
    main()

"""Shared helpers for the contents tests: a synchronous view of a store, sample notebooks."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

import nbformat


class Sync:
    """Calls a store's async methods one at a time, each in its own event loop."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.store, name)
        if not inspect.iscoroutinefunction(method):
            return method  # type: ignore[no-any-return]

        def call(*args: Any, **kwargs: Any) -> Any:
            return asyncio.run(method(*args, **kwargs))

        return call


def sample_notebook(cells: int = 3) -> dict[str, Any]:
    """A v4.5 notebook with code, outputs and markdown, as plain JSON (lines joined)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for i in range(cells):
        cell = nbformat.v4.new_code_cell(f"x = {i}\nprint('é', x)\n", execution_count=i + 1)
        cell.id = f"cell-{i}"
        cell.outputs = [
            nbformat.v4.new_output("stream", name="stdout", text=f"é {i}\nline two\n"),
            nbformat.v4.new_output(
                "execute_result",
                data={"text/plain": f"{i}\n{i}", "application/json": {"v": [i, 0.5e-7]}},
                execution_count=i + 1,
            ),
        ]
        nb.cells.append(cell)
    md = nbformat.v4.new_markdown_cell("# Title\n\nSome *text*")
    md.id = "md"
    nb.cells.append(md)
    return dict(nbformat.from_dict(nb))


def jupyter_bytes(nb: dict[str, Any]) -> bytes:
    """What Jupyter writes for this notebook."""
    return (nbformat.writes(nbformat.from_dict(nb)) + "\n").encode("utf-8")


def v3_notebook_text() -> str:
    """A notebook in nbformat 3, as IPython 2 wrote it."""
    nb = nbformat.v3.new_notebook()
    ws = nbformat.v3.new_worksheet()
    ws.cells.append(
        nbformat.v3.new_code_cell(
            input="print(1)",
            prompt_number=1,
            outputs=[nbformat.v3.new_output("stream", output_text="1\n")],
        )
    )
    ws.cells.append(nbformat.v3.new_text_cell("markdown", source="hello"))
    nb.worksheets.append(ws)
    return str(nbformat.v3.writes_json(nb))

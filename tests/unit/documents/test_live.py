"""An open notebook without HTTP or kernels: loading, writing the file, outside changes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Doc

from carnet.contents import make_store
from carnet.documents import notebook as nbdoc
from carnet.documents.live import OpenNotebook
from carnet.errors import Conflict
from carnet.settings import ContentsSettings, DocumentsSettings

OUTPUTS = [
    {"output_type": "stream", "name": "stdout", "text": ["one\n", "two\n"]},
    {
        "output_type": "execute_result",
        "data": {"text/plain": ["3"]},
        "metadata": {},
        "execution_count": 7,
    },
]


def _notebook(source: str = "print(1)") -> dict[str, Any]:
    return {
        "cells": [
            {
                "cell_type": "code",
                "id": "c1",
                "metadata": {"tags": ["keep"]},
                "source": source,
                "outputs": OUTPUTS,
                "execution_count": 7,
            },
            {"cell_type": "markdown", "id": "m1", "metadata": {}, "source": "# title"},
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _joined(value: Any) -> Any:
    """Multi-line strings as nbformat may write them (lists of lines) joined back."""
    if isinstance(value, dict):
        return {k: _joined(v) for k, v in value.items()}
    if isinstance(value, list) and all(isinstance(v, str) for v in value) and value:
        return "".join(value)
    if isinstance(value, list):
        return [_joined(v) for v in value]
    return value


def _settings(tmp_path: Path) -> DocumentsSettings:
    # Long delays: a test decides when the file is written.
    return DocumentsSettings(
        state_dir=str(tmp_path / "state"), autosave_delay=3600, watch_interval=3600
    )


def _run(
    tmp_path: Path, body: Callable[[Path, Callable[[], OpenNotebook]], Awaitable[None]]
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "n.ipynb").write_text(json.dumps(_notebook()))
    store = make_store(ContentsSettings(), root)
    settings = _settings(tmp_path)

    def make() -> OpenNotebook:
        return OpenNotebook("n.ipynb", tmp_path / "state" / "n", settings, store)

    asyncio.run(body(root, make))


def test_writing_back_keeps_the_outputs_the_file_had(tmp_path: Path) -> None:
    async def body(root: Path, make: Callable[[], OpenNotebook]) -> None:
        nb = make()
        await nb.load()
        before = json.loads((root / "n.ipynb").read_text())
        await nb.save(checkpoint=True)
        after = json.loads((root / "n.ipynb").read_text())
        assert _joined(after["cells"]) == _joined(before["cells"])
        assert after["metadata"] == before["metadata"]
        await nb.aclose()

    _run(tmp_path, body)


def test_a_notebook_not_fully_loaded_is_never_written(tmp_path: Path) -> None:
    async def body(root: Path, make: Callable[[], OpenNotebook]) -> None:
        nb = make()
        with pytest.raises(Conflict, match="not fully loaded"):
            await nb.save(checkpoint=False)
        assert json.loads((root / "n.ipynb").read_text()) == _notebook()

    _run(tmp_path, body)


def test_edits_survive_a_crash_before_the_file_was_written(tmp_path: Path) -> None:
    async def body(root: Path, make: Callable[[], OpenNotebook]) -> None:
        nb = make()
        await nb.load()
        nb.change(lambda doc: nbdoc.set_source(doc, "c1", "print('edited')"))
        await nb.flush_document()
        # A crash: the files are closed, nothing is written, no shutdown runs.
        assert nb.log is not None
        assert nb.journal is not None
        nb.log.close()
        nb.journal.close()
        assert json.loads((root / "n.ipynb").read_text()) == _notebook()

        again = make()
        await again.load()
        assert again.conflict is None
        cells = nbdoc.to_notebook(again.doc, again.journal)["cells"]
        assert cells[0]["source"] == "print('edited')"
        assert cells[0]["outputs"][0]["text"] == "one\ntwo\n"
        await again.save(checkpoint=False)
        assert "".join(json.loads((root / "n.ipynb").read_text())["cells"][0]["source"]) == (
            "print('edited')"
        )
        await again.aclose()

    _run(tmp_path, body)


def test_a_file_changed_outside_is_kept_beside_not_overwritten(tmp_path: Path) -> None:
    async def body(root: Path, make: Callable[[], OpenNotebook]) -> None:
        nb = make()
        await nb.load()
        outside = _notebook("print('outside')")
        (root / "n.ipynb").write_text(json.dumps(outside))
        nb.change(lambda doc: nbdoc.set_source(doc, "c1", "print('mine')"))
        with pytest.raises(Conflict, match="changed on disk"):
            await nb.save(checkpoint=False)
        assert json.loads((root / "n.ipynb").read_text()) == outside

        done = await nb.resolve("keep")
        assert json.loads((root / done["copy"]).read_text()) == outside
        mine = json.loads((root / "n.ipynb").read_text())
        assert "".join(mine["cells"][0]["source"]) == "print('mine')"
        await nb.aclose()

    _run(tmp_path, body)


def test_reload_takes_the_file_and_its_outputs(tmp_path: Path) -> None:
    async def body(root: Path, make: Callable[[], OpenNotebook]) -> None:
        nb = make()
        await nb.load()
        outside = _notebook("print('outside')")
        outside["cells"][0]["outputs"] = [
            {"output_type": "stream", "name": "stdout", "text": "x\n"}
        ]
        (root / "n.ipynb").write_text(json.dumps(outside))
        with pytest.raises(Conflict):
            await nb.save(checkpoint=False)
        await nb.resolve("reload")
        cells = nbdoc.to_notebook(nb.doc, nb.journal)["cells"]
        assert cells[0]["source"] == "print('outside')"
        assert cells[0]["outputs"] == [{"output_type": "stream", "name": "stdout", "text": "x\n"}]
        await nb.save(checkpoint=False)
        await nb.aclose()

    _run(tmp_path, body)


def test_a_cell_moved_by_two_clients_at_once_is_written_with_unique_ids(tmp_path: Path) -> None:
    async def body(root: Path, make: Callable[[], OpenNotebook]) -> None:
        nb = make()
        await nb.load()
        one, two = Doc(), Doc()
        one.apply_update(nb.doc.get_update())
        two.apply_update(nb.doc.get_update())
        nbdoc.move_cell(one, "c1", 1)
        nbdoc.move_cell(two, "c1", 1)
        nb.apply_update(one.get_update())
        nb.apply_update(two.get_update())
        assert [c["id"] for c in nbdoc.cells(nb.doc)].count("c1") == 2
        await nb.save(checkpoint=False)
        cells = json.loads((root / "n.ipynb").read_text())["cells"]
        ids = [c["id"] for c in cells]
        assert len(ids) == len(set(ids)) == 3
        assert [c["cell_type"] for c in cells].count("code") == 2
        await nb.aclose()

    _run(tmp_path, body)

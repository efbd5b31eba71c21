"""DocumentLog on real files: durable appends, replay, torn tails, compaction."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Doc, TransactionEvent

from carnet.documents import notebook as nbdoc
from carnet.documents.framing import CorruptState
from carnet.documents.store import LOG_NAME, SNAPSHOT_NAME, DocumentLog, state_directory

NOTEBOOK: dict[str, Any] = {
    "nbformat": 4,
    "nbformat_minor": 5,
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    "cells": [
        {"id": "a", "cell_type": "code", "metadata": {}, "source": "", "outputs": []},
        {"id": "b", "cell_type": "markdown", "metadata": {}, "source": "# notes"},
    ],
}


class Recorder:
    """Collects every update a document produces, as a server would receive them."""

    def __init__(self, doc: Doc[Any]) -> None:
        self.updates: list[bytes] = []
        self.sub = doc.observe(self._on)

    def _on(self, event: TransactionEvent) -> None:
        self.updates.append(event.update)


def edit_session(log: DocumentLog) -> tuple[Doc[Any], list[bytes]]:
    """A client's edits, each appended (and acknowledged) as it happens."""
    doc: Doc[Any] = Doc()
    recorder = Recorder(doc)
    nbdoc.from_notebook(NOTEBOOK, doc)
    for i in range(30):
        nbdoc.set_source(doc, "a", "".join(f"x = {j}\n" for j in range(i + 1)))
    nbdoc.insert_cell(doc, 2, {"id": "c", "cell_type": "raw", "source": "end"})
    nbdoc.set_metadata(doc, "b", {"tags": ["kept"]})

    async def write() -> None:
        for update in recorder.updates:
            await log.append(update)

    asyncio.run(write())
    return doc, recorder.updates


def test_every_acknowledged_update_is_there_after_reopen(tmp_path: Path) -> None:
    log = DocumentLog(tmp_path)
    doc, updates = edit_session(log)
    log.close()
    reopened = DocumentLog(tmp_path)
    assert reopened.load() == updates
    assert nbdoc.to_notebook(nbdoc.load(reopened)) == nbdoc.to_notebook(doc)
    reopened.close()


def test_a_torn_last_update_is_dropped(tmp_path: Path) -> None:
    log = DocumentLog(tmp_path)
    _, updates = edit_session(log)
    log.close()
    path = tmp_path / LOG_NAME
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 3])
    reopened = DocumentLog(tmp_path)
    assert reopened.load() == updates[:-1]
    assert nbdoc.to_notebook(nbdoc.load(reopened))["cells"][1]["metadata"] == {}

    async def more() -> None:
        await reopened.append(updates[-1])

    asyncio.run(more())
    reopened.close()
    assert DocumentLog(tmp_path).load() == updates


def test_compaction_writes_a_snapshot_and_empties_the_log(tmp_path: Path) -> None:
    log = DocumentLog(tmp_path)
    doc, _ = edit_session(log)
    before = log.log_size()
    log.compact(doc.get_update())
    assert log.log_size() == 0
    assert (tmp_path / LOG_NAME).stat().st_size < 16
    assert (tmp_path / SNAPSHOT_NAME).stat().st_size < before
    recorder = Recorder(doc)
    nbdoc.set_source(doc, "b", "# after compaction")

    async def write() -> None:
        for update in recorder.updates:
            await log.append(update)

    asyncio.run(write())
    log.close()
    reopened = DocumentLog(tmp_path)
    assert len(reopened.load()) == 2
    loaded = nbdoc.to_notebook(nbdoc.load(reopened))
    assert loaded == nbdoc.to_notebook(doc)
    assert loaded["cells"][1]["source"] == "# after compaction"
    reopened.close()


def test_a_crash_between_snapshot_and_truncation_loses_nothing(tmp_path: Path) -> None:
    log = DocumentLog(tmp_path)
    doc, _ = edit_session(log)
    log.close()
    saved = (tmp_path / LOG_NAME).read_bytes()
    log = DocumentLog(tmp_path)
    log.compact(doc.get_update())
    log.close()
    # As if the process died after the snapshot was in place but before the log was cut.
    (tmp_path / LOG_NAME).write_bytes(saved)
    reopened = DocumentLog(tmp_path)
    assert nbdoc.to_notebook(nbdoc.load(reopened)) == nbdoc.to_notebook(doc)
    reopened.close()


def test_concurrent_appends_share_fsyncs_and_all_land(tmp_path: Path) -> None:
    async def run() -> None:
        log = DocumentLog(tmp_path)
        doc: Doc[Any] = Doc()
        recorder = Recorder(doc)
        nbdoc.from_notebook(NOTEBOOK, doc)
        for i in range(100):
            nbdoc.set_source(doc, "b", f"# notes {i}")
        await asyncio.gather(*(log.append(u) for u in recorder.updates))
        assert len(recorder.updates) > 100
        assert 1 <= log.fsyncs < 10
        await log.aclose()
        assert DocumentLog(tmp_path).load() == recorder.updates

    asyncio.run(run())


def test_a_damaged_snapshot_is_an_error_not_an_empty_document(tmp_path: Path) -> None:
    log = DocumentLog(tmp_path)
    doc, _ = edit_session(log)
    log.compact(doc.get_update())
    log.close()
    path = tmp_path / SNAPSHOT_NAME
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptState):
        DocumentLog(tmp_path).load()


def test_state_directories_are_distinct_per_notebook(tmp_path: Path) -> None:
    a = state_directory(tmp_path, "work/a.ipynb")
    b = state_directory(tmp_path, "work/b.ipynb")
    assert a != b
    assert a == state_directory(tmp_path, "work/a.ipynb")
    assert a.parent == tmp_path

"""The notebook CRDT: nbformat round trip, cell operations, concurrent edits merging."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import nbformat
import pytest
from pycrdt import Doc, Text

from carnet.documents import notebook as nbdoc
from carnet.documents.journal import OutputJournal
from carnet.errors import InvalidInput, InvalidNotebook, NotFound

NOTEBOOK: dict[str, Any] = {
    "nbformat": 4,
    "nbformat_minor": 5,
    "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python", "version": "3.11.0"},
        "custom": {"count": 3, "ratio": 0.25, "flags": [1, 2, None], "on": True},
    },
    "cells": [
        {
            "id": "intro",
            "cell_type": "markdown",
            "metadata": {"tags": ["title"]},
            "source": ["# Title\n", "![pic](attachment:pic.png)"],
            "attachments": {"pic.png": {"image/png": "iVBORw0KGgo="}},
        },
        {
            "id": "code-1",
            "cell_type": "code",
            "metadata": {"collapsed": False, "scrolled": True},
            "source": "print('héllo')\n",
            "execution_count": 7,
            "outputs": [],
        },
        {"id": "raw-1", "cell_type": "raw", "metadata": {}, "source": "raw text"},
    ],
}


def expected_notebook() -> dict[str, Any]:
    nb = copy.deepcopy(NOTEBOOK)
    nb["cells"][0]["source"] = "# Title\n![pic](attachment:pic.png)"
    return nb


def sync(a: Doc[Any], b: Doc[Any]) -> None:
    """Exchange what each document lacks, as two connected clients would."""
    a_update = a.get_update(b.get_state())
    b_update = b.get_update(a.get_state())
    b.apply_update(a_update)
    a.apply_update(b_update)


def test_round_trip_keeps_ids_sources_types_metadata_and_attachments() -> None:
    doc = nbdoc.from_notebook(NOTEBOOK)
    result = nbdoc.to_notebook(doc)
    assert result == expected_notebook()
    nbformat.validate(nbformat.from_dict(result))


def test_round_trip_through_a_binary_update() -> None:
    doc = nbdoc.from_notebook(NOTEBOOK)
    remote: Doc[Any] = Doc()
    remote.apply_update(doc.get_update())
    assert nbdoc.to_notebook(remote) == expected_notebook()


def test_old_notebooks_get_cell_ids() -> None:
    old = {
        "nbformat": 4,
        "nbformat_minor": 2,
        "metadata": {},
        "cells": [{"cell_type": "code", "metadata": {}, "source": "1", "outputs": []}] * 2,
    }
    result = nbdoc.to_notebook(nbdoc.from_notebook(old))
    ids = [c["id"] for c in result["cells"]]
    assert result["nbformat_minor"] == 5
    assert len(set(ids)) == 2
    assert all(ids)
    nbformat.validate(nbformat.from_dict(result))


@pytest.mark.parametrize(
    "bad",
    [
        {"nbformat": 3, "cells": []},
        {"nbformat": 4, "cells": [{"cell_type": "widget", "source": ""}]},
        {"nbformat": 4, "cells": [{"cell_type": "code", "source": 5}]},
    ],
)
def test_invalid_notebooks_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(InvalidNotebook):
        nbdoc.from_notebook(bad)


def test_outputs_and_counts_come_from_the_journal(tmp_path: Path) -> None:
    doc = nbdoc.from_notebook(NOTEBOOK)
    journal = OutputJournal(tmp_path)
    journal.append("code-1", "x", "execute_input", {"code": "", "execution_count": 8})
    journal.append("code-1", "x", "stream", {"name": "stdout", "text": "hé"})
    journal.append("code-1", "x", "stream", {"name": "stdout", "text": "llo\n"})
    journal.append("code-1", "x", "execute_reply", {"status": "ok", "execution_count": 8})
    result = nbdoc.to_notebook(doc, journal)
    code = result["cells"][1]
    assert code["execution_count"] == 8
    assert code["outputs"] == [{"output_type": "stream", "name": "stdout", "text": "héllo\n"}]
    assert "outputs" not in result["cells"][0]
    nbformat.validate(nbformat.from_dict(result))
    journal.close()


def test_cell_operations() -> None:
    doc = nbdoc.from_notebook(NOTEBOOK)
    new_id = nbdoc.insert_cell(doc, 1, {"cell_type": "code", "source": "x = 1"})
    assert [c["id"] for c in nbdoc.to_notebook(doc)["cells"]] == [
        "intro",
        new_id,
        "code-1",
        "raw-1",
    ]
    with pytest.raises(InvalidInput):
        nbdoc.insert_cell(doc, 0, {"id": "intro", "cell_type": "raw", "source": ""})
    nbdoc.move_cell(doc, "intro", 3)
    nbdoc.set_source(doc, "code-1", "print('hello, world')\n")
    nbdoc.set_cell_type(doc, "raw-1", "code")
    nbdoc.set_metadata(doc, "raw-1", {"tags": ["x"], "n": 2})
    nbdoc.set_execution_count(doc, "raw-1", 3)
    nbdoc.delete_cell(doc, new_id)
    cells = nbdoc.to_notebook(doc)["cells"]
    assert [c["id"] for c in cells] == ["code-1", "raw-1", "intro"]
    assert cells[0]["source"] == "print('hello, world')\n"
    assert cells[1]["cell_type"] == "code"
    assert cells[1]["metadata"] == {"tags": ["x"], "n": 2}
    assert cells[1]["execution_count"] == 3
    # The moved cell kept everything, attachments included.
    assert cells[2] == expected_notebook()["cells"][0]
    nbdoc.set_cell_type(doc, "raw-1", "markdown")
    assert "execution_count" not in nbdoc.to_notebook(doc)["cells"][1]
    with pytest.raises(NotFound):
        nbdoc.delete_cell(doc, "nope")
    with pytest.raises(InvalidInput):
        nbdoc.set_cell_type(doc, "code-1", "widget")
    with pytest.raises(InvalidInput):
        nbdoc.move_cell(doc, "code-1", 9)


def test_set_source_edits_only_what_changed() -> None:
    doc = nbdoc.from_notebook(NOTEBOOK)
    text: Text = nbdoc.cells(doc)[1]["source"]
    changes: list[Any] = []
    sub = text.observe(lambda event: changes.append(event.delta))
    nbdoc.set_source(doc, "code-1", "print('héllo, wörld')\n")
    text.unobserve(sub)
    assert str(text) == "print('héllo, wörld')\n"
    # One retain, one insert: the unchanged text was not rewritten.
    assert changes == [[{"retain": len("print('héllo".encode())}, {"insert": ", wörld"}]]


def test_concurrent_edits_to_one_source_merge_without_losing_characters() -> None:
    alice = nbdoc.from_notebook(NOTEBOOK)
    bob: Doc[Any] = Doc()
    bob.apply_update(alice.get_update())
    # Both edit the same text without seeing each other's edit.
    nbdoc.set_source(alice, "code-1", "# alice\nprint('héllo')\n")
    nbdoc.set_source(bob, "code-1", "print('héllo')\nprint('bob')\n")
    nbdoc.set_source(bob, "raw-1", "raw text, bob")
    nbdoc.set_cell_type(alice, "raw-1", "markdown")
    sync(alice, bob)
    a, b = nbdoc.to_notebook(alice), nbdoc.to_notebook(bob)
    assert a == b
    assert a["cells"][1]["source"] == "# alice\nprint('héllo')\nprint('bob')\n"
    assert a["cells"][2]["source"] == "raw text, bob"
    assert a["cells"][2]["cell_type"] == "markdown"


def test_concurrent_typing_at_the_same_place_keeps_every_character() -> None:
    alice = nbdoc.from_notebook(NOTEBOOK)
    bob: Doc[Any] = Doc()
    bob.apply_update(alice.get_update())
    for i in range(20):
        source_a = nbdoc.to_notebook(alice)["cells"][2]["source"]
        source_b = nbdoc.to_notebook(bob)["cells"][2]["source"]
        nbdoc.set_source(alice, "raw-1", source_a + "a")
        nbdoc.set_source(bob, "raw-1", source_b + "b")
        if i % 5 == 4:
            sync(alice, bob)
    sync(alice, bob)
    merged = nbdoc.to_notebook(alice)["cells"][2]["source"]
    assert merged == nbdoc.to_notebook(bob)["cells"][2]["source"]
    assert merged.startswith("raw text")
    assert merged.count("a") == 20 + "raw text".count("a")
    assert merged.count("b") == 20


def test_concurrent_insertions_of_cells_keep_both() -> None:
    alice = nbdoc.from_notebook(NOTEBOOK)
    bob: Doc[Any] = Doc()
    bob.apply_update(alice.get_update())
    nbdoc.insert_cell(alice, 0, {"id": "from-alice", "cell_type": "code", "source": "a"})
    nbdoc.insert_cell(bob, 0, {"id": "from-bob", "cell_type": "code", "source": "b"})
    nbdoc.delete_cell(bob, "raw-1")
    sync(alice, bob)
    ids = [c["id"] for c in nbdoc.to_notebook(alice)["cells"]]
    assert ids == [c["id"] for c in nbdoc.to_notebook(bob)["cells"]]
    assert sorted(ids[:2]) == ["from-alice", "from-bob"]
    assert ids[2:] == ["intro", "code-1"]

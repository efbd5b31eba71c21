"""The notebook as a CRDT (pycrdt here, yjs in the browser), in the schema Jupyter uses.

Root types of the document::

    "meta":  Map  {"nbformat": int, "nbformat_minor": int, "metadata": Map}
    "state": Map  (free for the server and clients: dirty flag, path, ...)
    "cells": Array of Map {
        "id": str, "cell_type": "code" | "markdown" | "raw", "source": Text,
        "metadata": Map, "execution_count": int | None (code), "attachments": dict (optional)
    }

Outputs are not in the document: they live in the output journal and are merged in
when the notebook is written out (``to_notebook``). Numbers travel as floats in yjs;
integral floats are read back as ints, as Jupyter does. Cells are addressed by id,
which stays put while other clients insert and move cells.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from pycrdt import Array, Doc, Map, Text

from carnet.documents.framing import CorruptState
from carnet.documents.journal import OutputJournal
from carnet.documents.store import DocumentLog
from carnet.errors import InvalidInput, InvalidNotebook, NotFound

CELL_TYPES = frozenset({"code", "markdown", "raw"})
# Keys every cell map has; anything else a notebook carries on a cell is kept as is.
_CELL_KEYS = frozenset({"id", "cell_type", "source", "metadata", "outputs", "execution_count"})


def new_cell_id() -> str:
    """A fresh cell id (nbformat 4.5 allows 1-64 characters of ``[a-zA-Z0-9-_]``)."""
    return uuid.uuid4().hex[:16]


def _source(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    if isinstance(value, str):
        return value
    raise InvalidNotebook("a cell's source must be a string or a list of strings")


def _ycell(cell: dict[str, Any]) -> Map[Any]:
    cell_type = cell.get("cell_type")
    if cell_type not in CELL_TYPES:
        raise InvalidNotebook(f"unknown cell type {cell_type!r}")
    fields: dict[str, Any] = {
        "id": str(cell.get("id") or new_cell_id()),
        "cell_type": cell_type,
        "source": Text(_source(cell.get("source", ""))),
        "metadata": Map(copy.deepcopy(dict(cell.get("metadata") or {}))),
    }
    if cell_type == "code":
        fields["execution_count"] = cell.get("execution_count")
    for key, value in cell.items():
        if key not in _CELL_KEYS:
            fields[key] = copy.deepcopy(value)
    return Map(fields)


def _ints(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    return value


def cells(doc: Doc[Any]) -> Array[Any]:
    """The document's cell array."""
    ycells: Array[Any] = doc.get("cells", type=Array)
    return ycells


def meta(doc: Doc[Any]) -> Map[Any]:
    """The document's meta map."""
    ymeta: Map[Any] = doc.get("meta", type=Map)
    return ymeta


def from_notebook(nb: dict[str, Any], doc: Doc[Any] | None = None) -> Doc[Any]:
    """Build a document from an nbformat v4 notebook dict (cells without ids get one)."""
    if nb.get("nbformat") != 4 or not isinstance(nb.get("cells"), list):
        raise InvalidNotebook("only nbformat 4 notebooks can be opened")
    doc = doc if doc is not None else Doc()
    ycells, ymeta = cells(doc), meta(doc)
    doc.get("state", type=Map)
    minor = int(nb.get("nbformat_minor", 5))
    with doc.transaction():
        ycells.extend([_ycell(c) for c in nb["cells"]])
        ymeta["nbformat"] = 4
        # Cell ids came with 4.5; outputs are keyed by them, so older notebooks move up.
        ymeta["nbformat_minor"] = max(minor, 5)
        ymeta["metadata"] = Map(copy.deepcopy(dict(nb.get("metadata") or {})))
    return doc


def load(log: DocumentLog) -> Doc[Any]:
    """The document as the log holds it (snapshot, then every update in order)."""
    doc: Doc[Any] = Doc()
    for update in log.load():
        try:
            doc.apply_update(update)
        except Exception as exc:
            # pycrdt raises bare exceptions for undecodable updates.
            raise CorruptState("a stored document update cannot be applied") from exc
    return doc


def _cell_dict(ycell: Map[Any], journal: OutputJournal | None) -> dict[str, Any]:
    cell: dict[str, Any] = _ints(ycell.to_py())
    cell_type = cell["cell_type"]
    out: dict[str, Any] = {
        "id": cell["id"],
        "cell_type": cell_type,
        "metadata": cell.get("metadata") or {},
        "source": cell.get("source", ""),
    }
    if cell_type == "code":
        count = cell.get("execution_count")
        outputs: list[dict[str, Any]] = []
        if journal is not None:
            outputs = journal.outputs(cell["id"])
            run = journal.execution(cell["id"])
            count = run.execution_count if run.execution_id else count
        out["execution_count"] = count
        out["outputs"] = outputs
    for key, value in cell.items():
        if key not in _CELL_KEYS:
            out[key] = value
    return out


def to_notebook(doc: Doc[Any], journal: OutputJournal | None = None) -> dict[str, Any]:
    """The nbformat v4 notebook dict, with each code cell's current outputs from ``journal``."""
    ymeta = meta(doc).to_py() or {}
    return {
        "cells": [_cell_dict(c, journal) for c in cells(doc)],
        "metadata": _ints(ymeta.get("metadata") or {}),
        "nbformat": 4,
        "nbformat_minor": int(ymeta.get("nbformat_minor", 5)),
    }


def cell_index(doc: Doc[Any], cell_id: str) -> int:
    """The position of the cell with ``cell_id``."""
    for i, ycell in enumerate(cells(doc)):
        if ycell["id"] == cell_id:
            return i
    raise NotFound("no cell with this id")


def _cell(doc: Doc[Any], cell_id: str) -> Map[Any]:
    ycell: Map[Any] = cells(doc)[cell_index(doc, cell_id)]
    return ycell


def insert_cell(doc: Doc[Any], index: int, cell: dict[str, Any]) -> str:
    """Insert a cell (an nbformat cell dict) at ``index``; return its id."""
    ycells = cells(doc)
    if not 0 <= index <= len(ycells):
        raise InvalidInput("cell index out of range")
    cell_id = str(cell.get("id") or new_cell_id())
    if any(c["id"] == cell_id for c in ycells):
        raise InvalidInput("a cell with this id exists already")
    with doc.transaction():
        ycells.insert(index, _ycell({**cell, "id": cell_id}))
    return cell_id


def delete_cell(doc: Doc[Any], cell_id: str) -> None:
    """Delete the cell with ``cell_id``."""
    ycells = cells(doc)
    with doc.transaction():
        del ycells[cell_index(doc, cell_id)]


def move_cell(doc: Doc[Any], cell_id: str, index: int) -> None:
    """Move a cell to ``index`` (its position among the other cells after the move).

    yjs has no move: the cell is deleted and inserted again with the same id and
    content in one transaction, so a concurrent edit to the moved cell is lost.
    """
    ycells = cells(doc)
    if not 0 <= index < len(ycells):
        raise InvalidInput("cell index out of range")
    with doc.transaction():
        old = cell_index(doc, cell_id)
        content = _ints(ycells[old].to_py())
        del ycells[old]
        ycells.insert(index, _ycell(content))


def set_source(doc: Doc[Any], cell_id: str, source: str) -> None:
    """Make a cell's source ``source`` by replacing only the part that differs.

    A minimal edit keeps concurrent edits elsewhere in the same text intact.
    """
    text: Text = _cell(doc, cell_id)["source"]
    old = str(text)
    if old == source:
        return
    start = 0
    limit = min(len(old), len(source))
    while start < limit and old[start] == source[start]:
        start += 1
    end = 0
    while end < limit - start and old[-1 - end] == source[-1 - end]:
        end += 1
    # pycrdt indexes text by UTF-8 byte.
    at = len(old[:start].encode("utf-8"))
    removed = len(old[start : len(old) - end].encode("utf-8"))
    inserted = source[start : len(source) - end]
    with doc.transaction():
        if removed:
            del text[at : at + removed]
        if inserted:
            text.insert(at, inserted)


def set_cell_type(doc: Doc[Any], cell_id: str, cell_type: str) -> None:
    """Change a cell's type; a code cell gets an empty execution count, others lose it."""
    if cell_type not in CELL_TYPES:
        raise InvalidInput(f"unknown cell type {cell_type!r}")
    ycell = _cell(doc, cell_id)
    with doc.transaction():
        ycell["cell_type"] = cell_type
        if cell_type == "code" and "execution_count" not in ycell:
            ycell["execution_count"] = None
        elif cell_type != "code" and "execution_count" in ycell:
            del ycell["execution_count"]


def set_metadata(doc: Doc[Any], cell_id: str, metadata: dict[str, Any]) -> None:
    """Replace a cell's metadata, key by key (keys not in ``metadata`` are removed)."""
    ymeta: Map[Any] = _cell(doc, cell_id)["metadata"]
    with doc.transaction():
        for key in list(ymeta.keys()):
            if key not in metadata:
                del ymeta[key]
        for key, value in metadata.items():
            if ymeta.get(key) != value:
                ymeta[key] = copy.deepcopy(value)


def set_execution_count(doc: Doc[Any], cell_id: str, count: int | None) -> None:
    """Record a code cell's execution count in the document (clients show it)."""
    ycell = _cell(doc, cell_id)
    with doc.transaction():
        ycell["execution_count"] = count

"""Notebook files: read any nbformat version as v4, validate, write Jupyter's exact bytes.

The common case (a v4 file) never goes through ``nbformat.reads``: the JSON is
parsed with orjson and the multi-line strings are rejoined here, which is several
times faster on large notebooks. Older versions are converted with nbformat.

Files are written in nbformat's on-disk layout (one-space indent, sorted keys,
non-ASCII kept, multi-line strings split into lists of lines, a trailing newline),
byte for byte what ``nbformat.write`` produces, so diffs stay small when the same
file is also edited with Jupyter. The writer renders the container structure in
Python and every scalar with orjson (or ``float.__repr__``, which is what the
standard library's json uses and where orjson differs).

nbformat is imported lazily: it costs import time the server does not need to start.
"""

from __future__ import annotations

import json
import uuid
import warnings
from typing import Any

import orjson

from carnet.errors import InvalidNotebook

_NON_TEXT_SPLIT_MIMES = ("application/javascript", "image/svg+xml")
_TRANSIENT_NB_METADATA = ("orig_nbformat", "orig_nbformat_minor", "signature")


def _is_json_mime(mime: str) -> bool:
    return mime == "application/json" or (
        mime.startswith("application/") and mime.endswith("+json")
    )


def new_notebook() -> dict[str, Any]:
    """An empty v4.5 notebook, as Jupyter creates it."""
    return {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


# -- reading ---------------------------------------------------------------------------
def parse(data: bytes) -> dict[str, Any]:
    """A notebook file's bytes as a v4 notebook dict with multi-line strings joined."""
    try:
        nb = orjson.loads(data)
    except orjson.JSONDecodeError:
        # orjson refuses NaN and integers over 64 bits, which the json module (and
        # so Jupyter) accepts.
        try:
            nb = json.loads(data)
        except (ValueError, RecursionError) as exc:
            raise InvalidNotebook("the file is not a readable notebook (invalid JSON)") from exc
    if not isinstance(nb, dict) or not isinstance(nb.get("nbformat"), int):
        raise InvalidNotebook("the file is not a notebook (no nbformat version)")
    if nb["nbformat"] == 4:
        cells = nb.get("cells")
        if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells):
            raise InvalidNotebook("the file is not a valid notebook (cells must be a list)")
        _rejoin(cells)
        _strip_transient(nb)
        return nb
    return _convert(data)


def _convert(data: bytes) -> dict[str, Any]:
    import nbformat

    try:
        text = data.decode("utf-8")
        with warnings.catch_warnings():
            # nbformat warns about what it repairs while upgrading; the upgrade is the point.
            warnings.simplefilter("ignore")
            node = nbformat.reads(text, as_version=4)  # type: ignore[no-untyped-call]
    except UnicodeDecodeError as exc:
        raise InvalidNotebook("the notebook file is not UTF-8") from exc
    except Exception as exc:
        raise InvalidNotebook(f"the notebook cannot be read or upgraded to v4: {exc}") from exc
    # Plain dicts and lists from here on, like the v4 path.
    nb: dict[str, Any] = orjson.loads(orjson.dumps(node))
    _strip_transient(nb)
    return nb


def _rejoin_bundle(bundle: Any) -> None:
    if not isinstance(bundle, dict):
        return
    for key, value in bundle.items():
        if (
            isinstance(value, list)
            and not _is_json_mime(key)
            and all(isinstance(line, str) for line in value)
        ):
            bundle[key] = "".join(value)


def _rejoin(cells: list[dict[str, Any]]) -> None:
    for cell in cells:
        source = cell.get("source")
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            cell["source"] = "".join(source)
        attachments = cell.get("attachments")
        if isinstance(attachments, dict):
            for bundle in attachments.values():
                _rejoin_bundle(bundle)
        outputs = cell.get("outputs")
        if not isinstance(outputs, list):
            continue
        for output in outputs:
            if not isinstance(output, dict):
                continue
            kind = output.get("output_type")
            if kind in ("execute_result", "display_data"):
                _rejoin_bundle(output.get("data"))
            else:
                text = output.get("text")
                if isinstance(text, list) and all(isinstance(line, str) for line in text):
                    output["text"] = "".join(text)


def _strip_transient(nb: dict[str, Any]) -> None:
    metadata = nb.get("metadata")
    if isinstance(metadata, dict):
        for key in _TRANSIENT_NB_METADATA:
            metadata.pop(key, None)
    for cell in nb.get("cells", ()):
        cell_metadata = cell.get("metadata") if isinstance(cell, dict) else None
        if isinstance(cell_metadata, dict):
            cell_metadata.pop("trusted", None)


# -- validation ------------------------------------------------------------------------
def with_cell_ids(nb: Any) -> Any:
    """``nb`` with an id given to every cell that lacks one, when its version requires ids.

    Jupyter adds missing ids when it writes a v4.5 notebook (older clients send
    none); the caller's dicts are left as they are.
    """
    if not isinstance(nb, dict) or nb.get("nbformat") != 4:
        return nb
    minor, cells = nb.get("nbformat_minor"), nb.get("cells")
    if not isinstance(minor, int) or minor < 5 or not isinstance(cells, list):
        return nb
    if all(not isinstance(cell, dict) or "id" in cell for cell in cells):
        return nb
    return {
        **nb,
        "cells": [
            {**cell, "id": uuid.uuid4().hex[:8]}
            if isinstance(cell, dict) and "id" not in cell
            else cell
            for cell in cells
        ],
    }


def validate(nb: Any) -> None:
    """Raise InvalidNotebook unless ``nb`` is a valid v4 notebook (nbformat's JSON schema)."""
    if not isinstance(nb, dict):
        raise InvalidNotebook("a notebook's content must be a JSON object")
    major, minor = nb.get("nbformat"), nb.get("nbformat_minor")
    if major != 4:
        raise InvalidNotebook(f"only nbformat 4 notebooks can be saved, not {major!r}")
    if not isinstance(minor, int) or isinstance(minor, bool) or minor < 0:
        raise InvalidNotebook("nbformat_minor must be a non-negative integer")
    from carnet.contents.validation import schema_error

    error = schema_error(nb, minor)
    if error is not None:
        raise InvalidNotebook(f"the notebook is not valid nbformat 4.{minor}: {error}")
    seen: set[str] = set()
    for cell in nb["cells"]:
        cell_id = cell.get("id")
        if cell_id is None:
            continue
        if cell_id in seen:
            raise InvalidNotebook(f"two cells have the same id {cell_id!r}")
        seen.add(cell_id)


# -- writing ---------------------------------------------------------------------------
def serialize(nb: dict[str, Any]) -> bytes:
    """The file bytes for a v4 notebook, identical to what ``nbformat.write`` produces."""
    nb = _split(nb)
    out: list[bytes] = []
    try:
        _render(nb, b"", out, {})
    except RecursionError as exc:
        raise InvalidNotebook("the notebook is nested too deeply to be saved") from exc
    except TypeError as exc:
        # orjson refuses what cannot be written as UTF-8 JSON (lone surrogates, sets...),
        # which nbformat cannot write either.
        raise InvalidNotebook(f"the notebook holds a value that cannot be saved: {exc}") from exc
    out.append(b"\n")
    return b"".join(out)


def _split_bundle(bundle: Any) -> Any:
    if not isinstance(bundle, dict):
        return bundle
    copy = dict(bundle)
    for key, value in copy.items():
        if isinstance(value, str) and (key.startswith("text/") or key in _NON_TEXT_SPLIT_MIMES):
            copy[key] = value.splitlines(True)
    return copy


def _split(nb: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``nb`` (containers copied only where changed) with text split into lines."""
    cells = []
    for cell in nb.get("cells", ()):
        cell = dict(cell)
        metadata = cell.get("metadata")
        if isinstance(metadata, dict) and "trusted" in metadata:
            cell["metadata"] = {k: v for k, v in metadata.items() if k != "trusted"}
        source = cell.get("source")
        if isinstance(source, str):
            cell["source"] = source.splitlines(True)
        attachments = cell.get("attachments")
        if isinstance(attachments, dict):
            cell["attachments"] = {k: _split_bundle(v) for k, v in attachments.items()}
        outputs = cell.get("outputs")
        if cell.get("cell_type") == "code" and isinstance(outputs, list):
            new_outputs = []
            for output in outputs:
                kind = output.get("output_type")
                if kind in ("execute_result", "display_data") and "data" in output:
                    output = {**output, "data": _split_bundle(output["data"])}
                elif kind == "stream" and isinstance(output.get("text"), str):
                    output = {**output, "text": output["text"].splitlines(True)}
                new_outputs.append(output)
            cell["outputs"] = new_outputs
        cells.append(cell)
    result = {**nb, "cells": cells}
    metadata = nb.get("metadata")
    if isinstance(metadata, dict) and any(k in metadata for k in _TRANSIENT_NB_METADATA):
        result["metadata"] = {k: v for k, v in metadata.items() if k not in _TRANSIENT_NB_METADATA}
    return result


#: Lines of one text joined at a time when a notebook is written (see ``_render``).
_JOIN_BLOCK = 512


def _scalar(value: Any) -> bytes:
    if type(value) is float:
        # The json module's spelling of floats (repr, NaN, Infinity), not orjson's.
        if value != value:
            return b"NaN"
        if value in (float("inf"), float("-inf")):
            return b"Infinity" if value > 0 else b"-Infinity"
        return float.__repr__(value).encode()
    if type(value) is int:
        return int.__repr__(value).encode()
    return orjson.dumps(value)


def _render(value: Any, indent: bytes, out: list[bytes], keys: dict[Any, bytes]) -> None:
    """Append the indent=1 JSON of a container to ``out``.

    ``keys`` caches the ``,\n  "key": `` prefix of each key at each depth: notebooks
    repeat the same few keys thousands of times.
    """
    append = out.append
    dumps = orjson.dumps
    inner = indent + b" "
    if isinstance(value, dict):
        if not value:
            append(b"{}")
            return
        first = True
        for key in sorted(value):
            prefix = keys.get((key, inner))
            if prefix is None:
                prefix = keys[(key, inner)] = b",\n" + inner + dumps(key) + b": "
            if first:
                prefix = b"{\n" + prefix[2:]
                first = False
            item = value[key]
            kind = type(item)
            if kind is str:
                append(prefix + dumps(item))
            elif isinstance(item, (dict, list)):
                append(prefix)
                _render(item, inner, out, keys)
            else:
                append(prefix + _scalar(item))
        append(b"\n" + indent + b"}")
        return
    if not value:
        append(b"[]")
        return
    separator = b",\n" + inner
    append(b"[\n" + inner)
    if set(map(type, value)) == {str}:
        # Lines of text are most of a notebook: C-level joins, a block of lines at a time.
        # orjson's results keep a few KiB of slack each, so joining 200,000 of them at once
        # would hold hundreds of MB; a block's results are freed as soon as it is joined.
        for start in range(0, len(value), _JOIN_BLOCK):
            if start:
                append(separator)
            append(separator.join(map(dumps, value[start : start + _JOIN_BLOCK])))
    else:
        first = True
        for item in value:
            if not first:
                append(separator)
            first = False
            if isinstance(item, (dict, list)):
                _render(item, inner, out, keys)
            elif type(item) is str:
                append(dumps(item))
            else:
                append(_scalar(item))
    append(b"\n" + indent + b"]")

"""Notebook bytes: read any version, write exactly what nbformat writes."""

from __future__ import annotations

import json
from typing import Any

import nbformat
import pytest

from carnet.contents import notebooks
from carnet.errors import InvalidNotebook
from tests.unit.contents.helpers import jupyter_bytes, sample_notebook, v3_notebook_text


def odd_notebook() -> dict[str, Any]:
    """Everything where a fast JSON writer could differ from the standard library's."""
    nb = sample_notebook(1)
    nb["metadata"]["numbers"] = {
        "tiny": 1e-05,
        "small": 1.5e-07,
        "big": 1e16,
        "huge_int": 2**70,
        "neg_zero": -0.0,
        "flags": [True, False, None],
        "empty_dict": {},
        "empty_list": [],
    }
    nb["metadata"]["text"] = 'é \u2028 \x01 \x7f "quoted" \\ tab\t 日本'
    md = nbformat.v4.new_markdown_cell("![img](attachment:a.png)\nline")
    md.id = "att"
    md.attachments = {"a.png": {"image/png": "iVBORw0KGgo=", "text/plain": "a\nb"}}
    nb["cells"].append(dict(md))
    code = nbformat.v4.new_code_cell("")
    code.id = "svg"
    code.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={
                "image/svg+xml": "<svg>\n</svg>\n",
                "application/javascript": "a;\nb;",
                "application/vnd.custom+json": {"lines": ["a\n", "b"]},
                "text/html": "<b>\nx</b>",
            },
        )
    ]
    nb["cells"].append(dict(code))
    return json.loads(json.dumps(nb))


@pytest.mark.parametrize("make", [sample_notebook, odd_notebook])
def test_serialize_matches_nbformat_byte_for_byte(make: Any) -> None:
    nb = make()
    assert notebooks.serialize(nb) == jupyter_bytes(nb)


def test_serialize_writes_nan_and_infinity_like_the_json_module() -> None:
    nb = sample_notebook(1)
    nb["metadata"]["nan"] = float("nan")
    nb["metadata"]["inf"] = float("-inf")
    out = notebooks.serialize(nb)
    assert b'"nan": NaN' in out
    assert b'"inf": -Infinity' in out
    assert out == jupyter_bytes(nb)


def test_serialize_drops_transient_fields_and_leaves_the_input_alone() -> None:
    nb = sample_notebook(1)
    nb["metadata"]["signature"] = "sha256:abc"
    nb["cells"][0]["metadata"]["trusted"] = True
    before = json.dumps(nb, sort_keys=True)
    out = notebooks.serialize(nb)
    assert b"signature" not in out
    assert b"trusted" not in out
    assert json.dumps(nb, sort_keys=True) == before


def test_parse_round_trips_what_serialize_writes() -> None:
    nb = odd_notebook()
    assert notebooks.parse(notebooks.serialize(nb)) == json.loads(json.dumps(nb))


def test_parse_accepts_what_only_the_json_module_reads() -> None:
    nb = sample_notebook(1)
    nb["metadata"]["big"] = 2**70
    text = json.dumps(nb).replace('"metadata": {', '"metadata": {"n": NaN, ', 1)
    parsed = notebooks.parse(text.encode())
    assert parsed["metadata"]["big"] == 2**70
    assert parsed["metadata"]["n"] != parsed["metadata"]["n"]


def test_parse_upgrades_v3() -> None:
    nb = notebooks.parse(v3_notebook_text().encode())
    assert nb["nbformat"] == 4
    assert nb["cells"][1] == {**nb["cells"][1], "cell_type": "markdown", "source": "hello"}
    notebooks.validate(nb)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"[]",
        b"{}",
        b'{"nbformat": "4"}',
        b"\xff\xfe",
        b'{"nbformat": 4, "cells": 3}',
        b'{"nbformat": 3, "worksheets": "x"}',
    ],
)
def test_parse_refuses_what_is_not_a_notebook(data: bytes) -> None:
    with pytest.raises(InvalidNotebook):
        notebooks.parse(data)


@pytest.mark.parametrize(
    "breakage",
    [
        lambda nb: nb.pop("metadata"),
        lambda nb: nb.__setitem__("nbformat_minor", "5"),
        lambda nb: nb["cells"][0].pop("source"),
        lambda nb: nb["cells"][0].__setitem__("cell_type", "unknown"),
        lambda nb: nb["cells"][0]["outputs"][0].__setitem__("name", 1),
        lambda nb: nb["cells"][0]["outputs"][0].__setitem__("output_type", "bogus"),
        lambda nb: nb["cells"][0]["outputs"][1]["data"].__setitem__("text/plain", 1),
        lambda nb: nb["cells"][0].__setitem__("extra", 1),
        lambda nb: nb["cells"][1].__setitem__("id", nb["cells"][0]["id"]),
    ],
)
def test_validate_refuses_invalid_notebooks(breakage: Any) -> None:
    nb = sample_notebook(2)
    notebooks.validate(nb)
    breakage(nb)
    with pytest.raises(InvalidNotebook):
        notebooks.validate(nb)


def test_validate_accepts_older_minor_versions() -> None:
    nb = sample_notebook(1)
    nb["nbformat_minor"] = 4
    for cell in nb["cells"]:
        cell.pop("id")
    notebooks.validate(nb)


def test_missing_cell_ids_are_added_without_touching_the_input() -> None:
    nb = sample_notebook(2)
    for cell in nb["cells"]:
        del cell["id"]
    fixed = notebooks.with_cell_ids(nb)
    notebooks.validate(fixed)
    ids = [cell["id"] for cell in fixed["cells"]]
    assert len(set(ids)) == len(ids) == 3
    assert all("id" not in cell for cell in nb["cells"])
    older = {**nb, "nbformat_minor": 4}
    assert notebooks.with_cell_ids(older) is older


def test_unsavable_values_are_invalid_not_crashes() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(5000):
        node["x"] = {}
        node = node["x"]
    for value in (deep, "\ud800 lone surrogate", {1, 2}):
        nb = json.loads(json.dumps(sample_notebook(1)))
        nb["metadata"]["odd"] = value
        with pytest.raises(InvalidNotebook):
            notebooks.serialize(nb)

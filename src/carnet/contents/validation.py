"""Notebook validation against nbformat's JSON schema, fast enough for large notebooks.

The schema says a cell is ``oneOf`` raw, markdown or code cell and an output
``oneOf`` four output types; a generic validator tries each branch and builds an
exception (with the repr of the data) for every branch that fails, which is most
of the time spent on a large notebook. The branches are told apart by
``cell_type`` and ``output_type`` (each branch requires its own value), so
validating each cell and output against the one definition its type names is the
same check without the failed attempts. The notebook around the cells, each cell
without its outputs, and each output are validated separately; anything the
dispatch cannot handle (an unknown type, a notebook from a future minor version)
goes to nbformat's own validator, whose verdict and message then stand.

nbformat and fastjsonschema are imported on first use.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable
from importlib import resources
from typing import Any

Check = Callable[[Any], Any]

_CELL_TYPES = ("raw", "markdown", "code")
_OUTPUT_TYPES = ("execute_result", "display_data", "stream", "error")


class _Validators:
    def __init__(self, minor: int) -> None:
        import fastjsonschema
        import nbformat.v4

        filename = nbformat.v4.nbformat_schema[(4, minor)]
        text = resources.files("nbformat.v4").joinpath(filename).read_text("utf-8")
        schema: dict[str, Any] = json.loads(text)
        definitions = schema["definitions"]

        outer = copy.deepcopy(schema)
        outer["properties"]["cells"]["items"] = {"type": "object"}
        self.notebook: Check = fastjsonschema.compile(outer)

        relaxed = copy.deepcopy(definitions)
        relaxed["code_cell"]["properties"]["outputs"]["items"] = {"type": "object"}
        self.cells: dict[str, Check] = {
            kind: fastjsonschema.compile(
                {"definitions": relaxed, "$ref": f"#/definitions/{kind}_cell"}
            )
            for kind in _CELL_TYPES
        }
        self.outputs: dict[str, Check] = {
            kind: fastjsonschema.compile(
                {"definitions": definitions, "$ref": f"#/definitions/{kind}"}
            )
            for kind in _OUTPUT_TYPES
        }


@functools.cache
def _validators(minor: int) -> _Validators:
    return _Validators(minor)


def _full_validation(nb: dict[str, Any], minor: int) -> str | None:
    from nbformat.validator import ValidationError, get_validator

    validator = get_validator(version=4, version_minor=minor)  # type: ignore[no-untyped-call]
    if validator is None:
        return f"no schema for nbformat 4.{minor}"
    try:
        validator.validate(nb)
    except ValidationError as exc:
        return str(exc)
    return None


def schema_error(nb: dict[str, Any], minor: int) -> str | None:
    """Why ``nb`` (nbformat 4.``minor``) breaks the schema, or None when it is valid."""
    import nbformat.v4
    from fastjsonschema import JsonSchemaException

    if (4, minor) not in nbformat.v4.nbformat_schema:
        return _full_validation(nb, minor)
    validators = _validators(minor)
    try:
        validators.notebook(nb)
        for index, cell in enumerate(nb["cells"]):
            check = validators.cells.get(cell.get("cell_type"))
            if check is None:
                return _full_validation(nb, minor)
            try:
                check(cell)
            except JsonSchemaException as exc:
                return f"cell {index}: {exc}"
            for output in cell.get("outputs", ()) if cell["cell_type"] == "code" else ():
                check = validators.outputs.get(output.get("output_type"))
                if check is None:
                    return _full_validation(nb, minor)
                try:
                    check(output)
                except JsonSchemaException as exc:
                    return f"an output of cell {index}: {exc}"
    except JsonSchemaException as exc:
        return str(exc)
    return None

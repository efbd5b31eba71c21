"""The Jupyter contents model, and the rules both stores share to build and read it."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from datetime import datetime
from typing import Any

from carnet.contents import notebooks, paths
from carnet.errors import InvalidInput

HASH_ALGORITHM = "sha256"
TYPES = ("notebook", "file", "directory")
FORMATS = ("text", "base64")

CHECKPOINT_ID = "checkpoint"
_CHECKPOINT_ID = re.compile(r"checkpoint(?:-([0-9]{1,18}))?")


def check_get_args(type: str | None, format: str | None) -> None:
    """Refuse a type or format the API does not know."""
    if type is not None and type not in TYPES:
        raise InvalidInput(
            f"unknown type {type!r}: use file, directory or notebook", reason="bad type"
        )
    if format is not None and format not in FORMATS:
        raise InvalidInput(f"unknown format {format!r}: use text or base64", reason="bad format")


def kind_for(name: str, is_dir: bool) -> str:
    if is_dir:
        return "directory"
    return "notebook" if name.endswith(".ipynb") else "file"


def base_model(
    parts: paths.Parts,
    kind: str,
    *,
    created: datetime,
    modified: datetime,
    size: int | None,
    writable: bool,
) -> dict[str, Any]:
    """A model without content."""
    name = paths.name_of(parts)
    return {
        "name": name,
        "path": paths.join(parts),
        "type": kind,
        "writable": writable,
        "created": created,
        "last_modified": modified,
        "mimetype": paths.guess_mimetype(name) if kind == "file" else None,
        "format": None,
        "content": None,
        "size": size,
        "hash": None,
        "hash_algorithm": None,
    }


def check_wanted_type(model: dict[str, Any], type: str | None) -> str:
    """The type to return for an item, given the type asked for."""
    kind: str = model["type"]
    if type is None or type == kind:
        return kind
    if kind == "directory":
        raise InvalidInput(
            f"{model['path'] or '/'} is a directory, not a {type}", reason="bad type"
        )
    if type == "directory":
        raise InvalidInput(f"{model['path']} is not a directory", reason="bad type")
    return type


def fill_content(
    model: dict[str, Any],
    data: bytes,
    *,
    content: bool,
    kind: str,
    format: str | None,
    want_hash: bool,
) -> dict[str, Any]:
    """Add content (and hash) read from ``data`` to a file or notebook model."""
    model["type"] = kind
    if want_hash:
        model["hash"] = hashlib.sha256(data).hexdigest()
        model["hash_algorithm"] = HASH_ALGORITHM
    if kind == "notebook":
        model["mimetype"] = None
        if content:
            model["content"] = notebooks.parse(data)
            model["format"] = "json"
        return model
    mimetype = paths.guess_mimetype(model["name"])
    model["mimetype"] = mimetype
    if not content:
        return model
    if format in (None, "text"):
        try:
            model["content"] = data.decode("utf-8")
            model["format"] = "text"
            model["mimetype"] = mimetype or "text/plain"
            return model
        except UnicodeDecodeError as exc:
            if format == "text":
                raise InvalidInput(
                    f"{model['path']} is not UTF-8 encoded text; ask for format=base64",
                    reason="bad format",
                ) from exc
    model["content"] = base64.b64encode(data).decode("ascii")
    model["format"] = "base64"
    model["mimetype"] = mimetype or "application/octet-stream"
    return model


class SaveRequest:
    """A checked save model: what to write, and whether it is one chunk of an upload."""

    __slots__ = ("chunk", "data", "kind")

    def __init__(self, kind: str, data: bytes | None, chunk: int | None) -> None:
        self.kind = kind
        self.data = data
        self.chunk = chunk


def parse_save(model: Any) -> SaveRequest:
    """Check a save model and turn its content into the bytes to write.

    Every problem is an InvalidInput (or InvalidNotebook) raised before anything is
    written.
    """
    if not isinstance(model, dict):
        raise InvalidInput("the model must be a JSON object")
    kind = model.get("type")
    if kind is None:
        raise InvalidInput("the model has no 'type' (notebook, file or directory)")
    if kind not in TYPES:
        raise InvalidInput(f"cannot save an item of type {kind!r}", reason="bad type")
    chunk = model.get("chunk")
    if chunk is not None and (
        not isinstance(chunk, int) or isinstance(chunk, bool) or (chunk < 1 and chunk != -1)
    ):
        raise InvalidInput("'chunk' must be 1, 2, ... and -1 for the last chunk")
    if kind == "directory":
        if chunk is not None:
            raise InvalidInput("a directory cannot be uploaded in chunks")
        return SaveRequest(kind, None, None)
    if "content" not in model or model["content"] is None:
        raise InvalidInput("the model has no 'content'")
    content = model["content"]
    fmt = model.get("format")
    if kind == "notebook" and chunk is None:
        if fmt not in (None, "json"):
            raise InvalidInput(
                f"a notebook's format must be 'json', not {fmt!r}", reason="bad format"
            )
        content = notebooks.with_cell_ids(content)
        notebooks.validate(content)
        return SaveRequest(kind, notebooks.serialize(content), None)
    if fmt not in FORMATS:
        raise InvalidInput(
            f"a file's format must be 'text' or 'base64', not {fmt!r}", reason="bad format"
        )
    if not isinstance(content, str):
        raise InvalidInput(f"the content of a {fmt} file must be a string")
    if fmt == "text":
        try:
            data = content.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidInput("the text contains characters that are not valid Unicode") from exc
    else:
        try:
            data = base64.b64decode(content.replace("\n", "").replace("\r", ""), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidInput(f"the content is not valid base64: {exc}") from exc
    return SaveRequest("file" if chunk is not None else kind, data, chunk)


def new_content(kind: str) -> bytes:
    """The bytes of a new untitled notebook or file."""
    if kind == "notebook":
        return notebooks.serialize(notebooks.new_notebook())
    return b""


def untitled_name(kind: str, ext: str) -> tuple[str, str]:
    """The first name to try for a new item, and the insert used to number it."""
    if kind == "directory":
        return "Untitled Folder", " "
    if kind == "notebook":
        return "Untitled.ipynb", ""
    if ext and not ext.startswith("."):
        ext = "." + ext
    return "untitled" + ext, ""


def check_untitled_args(type: Any, ext: Any) -> tuple[str, str]:
    """Check ``{type, ext}`` from a create request; returns (kind, ext)."""
    if ext is None:
        ext = ""
    if not isinstance(ext, str) or "/" in ext or "\\" in ext or "\x00" in ext:
        raise InvalidInput("'ext' must be a file extension such as '.txt'")
    if type in (None, ""):
        type = "notebook" if ext == ".ipynb" else "file"
    if type not in TYPES:
        raise InvalidInput(f"cannot create an item of type {type!r}", reason="bad type")
    return type, ext


_COPY_SUFFIX = re.compile(r"-Copy\d*\.")


def copy_base_name(name: str) -> str:
    """``a-Copy2.ipynb`` copies as ``a-Copy3.ipynb``, not ``a-Copy2-Copy1.ipynb``."""
    return _COPY_SUFFIX.sub(".", name)


def check_checkpoint_id(checkpoint_id: str) -> int:
    """The order of a checkpoint id (newest highest); anything else is InvalidInput."""
    match = _CHECKPOINT_ID.fullmatch(checkpoint_id)
    if match is None:
        raise InvalidInput(f"{checkpoint_id!r} is not a checkpoint id")
    return int(match.group(1)) if match.group(1) else 1 << 62


def checkpoint_file_name(name: str, checkpoint_id: str) -> str:
    """``a.ipynb``: ``a-checkpoint.ipynb`` (newest), ``a-checkpoint-3.ipynb`` (older)."""
    base, ext = os.path.splitext(name)
    return f"{base}-{checkpoint_id}{ext}"


def checkpoint_ids(name: str, names: list[str]) -> list[str]:
    """The checkpoint ids of file ``name`` among ``names``, newest first."""
    base, ext = os.path.splitext(name)
    pattern = re.compile(re.escape(base) + r"-(checkpoint(?:-[0-9]{1,18})?)" + re.escape(ext))
    ids = [m.group(1) for m in map(pattern.fullmatch, names) if m is not None]
    return sorted(ids, key=check_checkpoint_id, reverse=True)


def next_old_id(ids: list[str]) -> str:
    """The id a demoted newest checkpoint takes: one above every older one."""
    numbers = [check_checkpoint_id(i) for i in ids if i != CHECKPOINT_ID]
    return f"{CHECKPOINT_ID}-{max(numbers, default=0) + 1}"

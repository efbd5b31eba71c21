"""API paths: '/'-separated, relative to the root, checked before anything is touched.

An API path never holds ``..`` or ``.`` segments, empty segments, backslashes or
NUL, and is never absolute; such a path is refused with ``InvalidPath`` before any
file is read or written. Percent-decoding is the web layer's job and happens once,
so by the time a path reaches here ``%2e%2e`` is ``..`` (refused) and ``%252e%252e``
is the literal name ``%2e%2e`` (allowed).

The store that maps paths to files (``FileContentStore``) also confines the
*resolved* path, symlinks included, to the root.
"""

from __future__ import annotations

import functools
import mimetypes
from collections.abc import Iterator

from carnet.errors import InvalidPath, NotFound

Parts = tuple[str, ...]

# Names the stores create for themselves and never show: the temp files of atomic
# saves and chunked uploads.
TEMP_PREFIX = ".~carnet-"


def split(path: str) -> Parts:
    """Check an API path and split it into segments; the root is ``()``.

    One leading and any trailing '/' are allowed (``/a/b/`` is ``a/b``).
    """
    if not isinstance(path, str):
        raise InvalidPath("a path must be a string")
    if "\x00" in path:
        raise InvalidPath("a path may not contain NUL characters")
    if "\\" in path:
        raise InvalidPath("a path may not contain backslashes; use '/'")
    if path.startswith("/"):
        path = path[1:]
    if path.startswith("/"):
        raise InvalidPath("absolute paths are not allowed")
    path = path.rstrip("/")
    if not path:
        return ()
    parts = tuple(path.split("/"))
    for part in parts:
        if part in ("", ".", ".."):
            raise InvalidPath(f"a path may not contain {part or 'empty'!r} segments")
    return parts


def join(parts: Parts) -> str:
    """The canonical API path for ``parts`` (no leading or trailing '/')."""
    return "/".join(parts)


def normalize(path: str) -> str:
    """The canonical form of an API path (checked)."""
    return join(split(path))


def is_hidden(parts: Parts) -> bool:
    """True when any segment is hidden (starts with '.')."""
    return any(part.startswith(".") for part in parts)


def name_of(parts: Parts) -> str:
    return parts[-1] if parts else ""


def guess_mimetype(name: str) -> str | None:
    """The mimetype for a file name, from its extension."""
    # guess_type looks at most at the last two suffixes (".tar.gz"): they are the cache key,
    # so a listing of thousands of files asks mimetypes once per kind of file.
    last = name.rfind(".")
    if last <= 0:
        return None
    prev = name.rfind(".", 0, last)
    return _mimetype_for_suffix(name[prev if prev > 0 else last :])


@functools.lru_cache(maxsize=4096)
def _mimetype_for_suffix(suffix: str) -> str | None:
    return mimetypes.guess_type("x" + suffix, strict=False)[0]


def candidate_names(filename: str, insert: str) -> Iterator[str]:
    """Names tried, in order, for a new file called like ``filename``.

    ``Untitled.ipynb``, ``Untitled1.ipynb``, ... (``insert=''``), ``Untitled Folder``,
    ``Untitled Folder 1`` (``insert=' '``), ``a.ipynb``, ``a-Copy1.ipynb`` (``insert='-Copy'``).
    For notebooks the extension is the last suffix, for other files everything after
    the first dot (``data-Copy1.tar.gz``), as Jupyter does. Bounded: 10,000 names.
    """
    if filename.endswith(".ipynb"):
        base, dot, ext = filename.rpartition(".")
    else:
        base, dot, ext = filename.partition(".")
    suffix = dot + ext
    yield filename
    for i in range(1, 10_000):
        yield f"{base}{insert}{i}{suffix}"


def invisible(name: str, *, checkpoint_dir: str, allow_hidden: bool) -> bool:
    """True for a name no client may see: checkpoints, temp files, and hidden names."""
    if name == checkpoint_dir or name.startswith(TEMP_PREFIX):
        return True
    return not allow_hidden and name.startswith(".")


def visible_parts(
    path: str, *, checkpoint_dir: str, allow_hidden: bool, creating: bool = False
) -> Parts:
    """``split(path)`` refusing invisible names (NotFound to read, InvalidPath to create)."""
    parts = split(path)
    if any(
        invisible(part, checkpoint_dir=checkpoint_dir, allow_hidden=allow_hidden) for part in parts
    ):
        if creating:
            raise InvalidPath(
                f"{join(parts)}: names starting with '.' are hidden and cannot be used"
            )
        raise NotFound(f"no such file or directory: {join(parts)}")
    return parts

"""API path checks: every traversal form is refused before anything is touched."""

from __future__ import annotations

import pytest

from carnet.contents import paths
from carnet.errors import InvalidPath


@pytest.mark.parametrize(
    ("raw", "parts"),
    [
        ("", ()),
        ("/", ()),
        ("a", ("a",)),
        ("/a/b", ("a", "b")),
        ("a/b/", ("a", "b")),
        ("%2e%2e", ("%2e%2e",)),  # a double-encoded '..' arrives decoded once: a literal name
        ("...", ("...",)),
        ("a b/Untitled Folder", ("a b", "Untitled Folder")),
        ("é/日本.ipynb", ("é", "日本.ipynb")),
    ],
)
def test_valid_paths_split_into_segments(raw: str, parts: tuple[str, ...]) -> None:
    assert paths.split(raw) == parts


@pytest.mark.parametrize(
    "raw",
    [
        "..",
        "../etc/passwd",
        "a/../../etc",
        "a/..",
        "/..",
        "./a",
        "a/./b",
        "a//b",
        "//etc/passwd",
        "///",
        "a\\..\\b",
        "..\\x",
        "a\x00b",
        "\x00",
    ],
)
def test_traversal_and_malformed_paths_are_refused(raw: str) -> None:
    with pytest.raises(InvalidPath):
        paths.split(raw)


def test_hidden_segments_are_detected() -> None:
    assert paths.is_hidden(("a", ".git", "config"))
    assert not paths.is_hidden(("a", "b.txt"))


def test_candidate_names_follow_jupyter_numbering() -> None:
    names = paths.candidate_names("Untitled.ipynb", "")
    assert [next(names) for _ in range(3)] == [
        "Untitled.ipynb",
        "Untitled1.ipynb",
        "Untitled2.ipynb",
    ]
    folders = paths.candidate_names("Untitled Folder", " ")
    assert [next(folders) for _ in range(2)] == ["Untitled Folder", "Untitled Folder 1"]
    copies = paths.candidate_names("data.tar.gz", "-Copy")
    assert [next(copies) for _ in range(2)] == ["data.tar.gz", "data-Copy1.tar.gz"]


def test_mimetypes_come_from_the_extension() -> None:
    assert paths.guess_mimetype("a.html") == "text/html"
    assert paths.guess_mimetype("A.PNG") == "image/png"
    assert paths.guess_mimetype("x.tar.gz") == "application/x-tar"
    assert paths.guess_mimetype("README") is None
    assert paths.guess_mimetype(".bashrc") is None

"""Exports of real notebooks (nbformat v4 files as Jupyter writes them) to a script and HTML."""

from __future__ import annotations

import ast
import base64
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat import v4

from carnet import export

PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
    )
).decode()

MALICIOUS = (
    "<script>alert(1)</script><img src=x onerror=alert(2)>"
    '<a href="javascript:alert(3)">j</a><a href=" JaVaScRiPt:alert(4)">k</a>'
    '<iframe src="https://evil.example"></iframe><svg><script>alert(5)</script></svg>'
    '<div onclick="alert(6)" style="background:url(https://evil.example)">ok</div>'
    "<form action=https://evil.example><input name=x></form>"
    "<scr<script>ipt>alert(7)</script><object data=x></object>"
    '<img src="data:text/html;base64,PHNjcmlwdD4=">'
    '<math><mi xlink:href="javascript:alert(8)">m</mi></math><base href="https://evil.example/">'
    '<meta http-equiv="refresh" content="0;url=https://evil.example">'
    '<table><tr><td title="&quot;><script>alert(9)</script>">cell</td></tr></table>'
)


def real_notebook(path: Path) -> dict[str, Any]:
    """A notebook written and read back by nbformat, with every kind of cell and output."""
    nb = v4.new_notebook(
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python", "file_extension": ".py"},
        }
    )
    nb.cells = [
        v4.new_markdown_cell("# Title\n\nSome *prose* with `code` and [a link](https://x.org)."),
        v4.new_code_cell(
            "%matplotlib inline\nx = 6 * 7\nprint(x)",
            execution_count=1,
            outputs=[v4.new_output("stream", name="stdout", text="42\n")],
        ),
        v4.new_code_cell(
            "!ls\nimport pandas",
            execution_count=2,
            outputs=[
                v4.new_output(
                    "execute_result",
                    data={"text/html": "<table><tr><td>1</td></tr></table>", "text/plain": "t"},
                    execution_count=2,
                ),
                v4.new_output("display_data", data={"image/png": PNG, "text/plain": "<Fig>"}),
                v4.new_output(
                    "error",
                    ename="ValueError",
                    evalue="bad",
                    traceback=["\x1b[0;31mValueError\x1b[0m: bad <b>"],
                ),
            ],
        ),
        v4.new_raw_cell("raw text\nsecond line"),
        v4.new_code_cell(
            "evil()",
            execution_count=3,
            outputs=[
                v4.new_output("display_data", data={"text/html": MALICIOUS}),
                v4.new_output(
                    "display_data",
                    data={
                        "image/svg+xml": '<svg xmlns="http://www.w3.org/2000/svg">'
                        "<script>alert(10)</script></svg>"
                    },
                ),
                v4.new_output("display_data", data={"text/markdown": "<script>alert(11)</script>"}),
                v4.new_output("stream", name="stderr", text="</pre><script>alert(12)</script>"),
            ],
        ),
    ]
    nbformat.write(nb, str(path))
    data: dict[str, Any] = json.loads(path.read_text())
    return data


@pytest.fixture
def nb(tmp_path: Path) -> dict[str, Any]:
    return real_notebook(tmp_path / "Analysis.ipynb")


def test_script_keeps_code_and_comments_out_prose(nb: dict[str, Any]) -> None:
    name, media_type, body = export.export(nb, "Analysis.ipynb", "script")
    assert (name, media_type) == ("Analysis.py", "text/plain; charset=utf-8")
    script = body.decode()
    assert "x = 6 * 7\nprint(x)" in script
    assert "# %% [markdown]\n# # Title\n#\n# Some *prose*" in script
    assert "# %% [raw]\n# raw text\n# second line" in script
    # Magics and shell escapes would not run as Python: they are commented out.
    assert "# %matplotlib inline" in script
    assert "# !ls" in script
    ast.parse(script)  # the script is valid Python
    assert "42\n" not in script.replace("6 * 7", "")  # outputs are not part of a script


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [(k, v or "") for k, v in attrs]


def parsed(page: str) -> Tags:
    tags = Tags()
    tags.feed(page)
    tags.close()
    return tags


def test_html_page_shows_cells_and_outputs(nb: dict[str, Any]) -> None:
    name, media_type, body = export.export(nb, "Analysis.ipynb", "html")
    assert (name, media_type) == ("Analysis.html", "text/html; charset=utf-8")
    page = body.decode()
    assert "<h1>Title</h1>" in page
    assert "<em>prose</em>" in page
    assert "<code>code</code>" in page
    assert '<a href="https://x.org"' in page
    assert "print(x)" in page
    assert "42\n" in page
    assert "<table><tr><td>1</td></tr></table>" in page
    assert f'src="data:image/png;base64,{PNG}"' in page  # the image is inside the page
    assert "ValueError: bad &lt;b&gt;" in page  # ANSI codes gone, text escaped
    assert "raw text\nsecond line" in page
    assert "In [2]:" in page


def test_html_page_has_no_script_from_malicious_outputs(nb: dict[str, Any]) -> None:
    page = export.export(nb, "Analysis.ipynb", "html")[2].decode()
    tags = parsed(page)
    forbidden = {"script", "iframe", "object", "embed", "form", "input", "base", "svg", "math"}
    assert not forbidden & set(tags.tags)
    assert [t for t in tags.tags if t == "meta"]
    assert "style" in tags.tags
    for key, value in tags.attrs:
        assert not key.startswith("on"), (key, value)
        assert "javascript:" not in value.lower().replace(" ", ""), (key, value)
        if key == "src":
            assert value.startswith(("data:image/png", "data:image/svg+xml")), value
        if key == "http-equiv":
            assert value == "Content-Security-Policy"
    assert "evil.example" not in page
    # The page's own policy forbids script, whatever is in it.
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp
    assert "default-src 'none'" in csp[1]
    assert "script-src" not in csp[1]
    # The harmless parts of the malicious output survive as text.
    assert ">ok</div>" in page
    assert ">cell</td>" in page


def test_svg_output_is_an_image_not_markup(nb: dict[str, Any]) -> None:
    page = export.to_html(nb, "t")
    encoded = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page)
    assert len(encoded) == 1
    assert b"alert(10)" in base64.b64decode(encoded[0])  # kept, but only ever drawn as an image
    assert "alert(10)" not in page


def test_sanitiser_keeps_structure_and_closes_tags() -> None:
    assert export.sanitise_html("<b>bold <i>both</b> after") == "<b>bold <i>both</i></b> after"
    assert export.sanitise_html("<p>a</div>b") == "<p>ab</p>"
    assert export.sanitise_html("<a href='#x' target=_blank>x</a>") == (
        '<a href="#x" rel="noopener noreferrer nofollow">x</a>'
    )
    assert export.sanitise_html("1 < 2 &amp; 3") == "1 &lt; 2 &amp; 3"
    assert export.sanitise_html("<style>body{}</style><noscript><p>x</p></noscript>y") == "y"


def test_other_languages_and_unknown_formats(nb: dict[str, Any]) -> None:
    nb["metadata"]["language_info"] = {"name": "R", "file_extension": ".r"}
    name, _type, body = export.export(nb, "stats.ipynb", "script")
    assert name == "stats.r"
    assert "%matplotlib inline" in body.decode().split("\n")  # not Python: left as it is
    with pytest.raises(ValueError, match="unknown export format"):
        export.export(nb, "stats.ipynb", "pdf")

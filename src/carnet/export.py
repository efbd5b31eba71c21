"""A notebook exported as a script or as a static HTML page, in plain Python.

Both take the v4 notebook as a dict (what the content store returns). The HTML page is
meant to be opened anywhere, so it must be safe by construction: it carries no script
at all, HTML outputs are rebuilt from an allow-list of tags and attributes, images are
inlined as ``data:`` URLs, and the page's own Content-Security-Policy forbids script
even if something slipped through.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterable
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import orjson

FORMATS = ("script", "html")

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")


def _text(value: Any) -> str:
    """A multi-line notebook string, stored either as one string or a list of lines."""
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return "" if value is None else str(value)


def language(nb: dict[str, Any]) -> tuple[str, str]:
    """The notebook's language name and its script file extension (``.py`` by default)."""
    meta = nb.get("metadata") or {}
    info = meta.get("language_info") or {}
    name = str(info.get("name") or (meta.get("kernelspec") or {}).get("language") or "python")
    ext = str(info.get("file_extension") or (".py" if name == "python" else ".txt"))
    return name, ext if ext.startswith(".") else "." + ext


# -- script --------------------------------------------------------------------------------
def to_script(nb: dict[str, Any]) -> str:
    """The notebook as a script: code cells as code, markdown and raw cells as comments.

    Cells are separated by ``# %%`` markers (the percent format editors understand).
    In Python, IPython magics and shell escapes are commented out so the script runs.
    """
    lang, _ext = language(nb)
    comment = "--" if lang.lower() in ("sql", "haskell", "lua") else "#"
    parts: list[str] = []
    for cell in nb.get("cells") or []:
        kind = cell.get("cell_type", "code")
        source = _text(cell.get("source")).rstrip("\n")
        if kind == "code":
            lines = source.split("\n") if source else []
            if lang == "python":
                lines = [_comment_magic(line, comment) for line in lines]
            parts.append("\n".join([f"{comment} %%", *lines]))
        else:
            body = [f"{comment} {line}".rstrip() for line in source.split("\n")] if source else []
            parts.append("\n".join([f"{comment} %% [{kind}]", *body]))
    return "\n\n".join(parts) + "\n"


def _comment_magic(line: str, comment: str) -> str:
    stripped = line.lstrip()
    if stripped.startswith(("%", "!")):
        return f"{comment} {line}"
    return line


# -- sanitising ----------------------------------------------------------------------------
def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


_ALLOWED = _names(
    "a abbr b blockquote br caption cite code col colgroup dd del details dfn div dl dt "
    "em figcaption figure h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q s samp "
    "small span strong sub summary sup table tbody td tfoot th thead tr u ul var"
)
_VOID = frozenset({"br", "col", "hr", "img"})
# Elements dropped together with everything inside them.
_DROP = _names(
    "script style iframe frame frameset object embed applet template noscript noembed "
    "textarea title head svg math xmp plaintext select option form button"
)
# Elements dropped that have no content (and no end tag to wait for).
_DROP_EMPTY = _names("input embed base meta link param source track area keygen wbr")
_ATTRS = _names(
    "alt title colspan rowspan align valign width height class lang dir start reversed "
    "open scope abbr headers span"
)
_IMAGE_DATA = re.compile(r"^data:image/(png|jpeg|gif|webp|bmp);base64,[A-Za-z0-9+/=\s]*$", re.I)


def _safe_url(value: str, *, image: bool) -> str | None:
    url = value.strip()
    if image:
        if _IMAGE_DATA.match(url):
            return url
        return url if urlsplit(url).scheme in ("http", "https") else None
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("http", "https", "mailto"):
        return url
    # No scheme at all (a fragment or a relative link); ``javascript:`` and friends are out.
    if not scheme and not re.match(r"^\s*[a-z][a-z0-9+.-]*:", url, re.I):
        return url
    return None


class _Sanitiser(HTMLParser):
    """Rebuilds HTML from parse events, keeping only allowed tags and attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.dropping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP_EMPTY:
            return
        if self.dropping:
            if tag == self.dropping[-1] or tag in _DROP:
                self.dropping.append(tag)
            return
        if tag in _DROP:
            self.dropping.append(tag)
            return
        if tag not in _ALLOWED:
            return
        kept: list[str] = []
        for name, value in attrs:
            name = name.lower()
            if name in ("href", "src"):
                url = _safe_url(value or "", image=(tag == "img" and name == "src"))
                if url is None or (name == "src") != (tag == "img"):
                    continue
                kept.append(f' {name}="{html.escape(url, quote=True)}"')
                if name == "href":
                    kept.append(' rel="noopener noreferrer nofollow"')
            elif name in _ATTRS:
                kept.append(f' {name}="{html.escape(value or "", quote=True)}"')
        self.out.append(f"<{tag}{''.join(kept)}>")
        if tag not in _VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self.dropping:
            if tag == self.dropping[-1]:
                self.dropping.pop()
            return
        if tag in self.open:
            while self.open:
                top = self.open.pop()
                self.out.append(f"</{top}>")
                if top == tag:
                    break

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            self.out.append(html.escape(data, quote=False))

    def result(self) -> str:
        self.close()
        return "".join(self.out) + "".join(f"</{t}>" for t in reversed(self.open))


def sanitise_html(markup: str) -> str:
    """``markup`` with no script, no event handler, no style, no frame and no form left."""
    parser = _Sanitiser()
    parser.feed(markup)
    return parser.result()


# -- markdown (a small subset: enough to read a notebook's prose) --------------------------
def _inline(text: str) -> str:
    out = html.escape(text, quote=False)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*([^*]+)\*\*|__([^_]+)__", lambda m: f"<strong>{m[1] or m[2]}</strong>", out)
    out = re.sub(r"(?<![*\w])\*([^*\n]+)\*(?!\*)", r"<em>\1</em>", out)

    def link(m: re.Match[str]) -> str:
        url = _safe_url(html.unescape(m[2]), image=False)
        if url is None:
            return m[1]
        return f'<a href="{html.escape(url, quote=True)}" rel="noopener noreferrer">{m[1]}</a>'

    return re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", link, out)


def markdown_to_html(source: str) -> str:
    """Headings, paragraphs, lists, quotes, code blocks and inline code, links, emphasis.

    Raw HTML in markdown goes through the sanitiser like any HTML output.
    """
    out: list[str] = []
    lines = source.split("\n")
    i = 0
    para: list[str] = []

    def flush() -> None:
        if para:
            out.append("<p>" + _inline(" ".join(para)) + "</p>")
            para.clear()

    while i < len(lines):
        line = lines[i]
        fence = re.match(r"^\s*(```|~~~)", line)
        if fence:
            flush()
            block: list[str] = []
            i += 1
            while i < len(lines) and not lines[i].lstrip().startswith(fence[1]):
                block.append(lines[i])
                i += 1
            out.append("<pre><code>" + html.escape("\n".join(block), quote=False) + "</code></pre>")
        elif m := re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line):
            flush()
            out.append(f"<h{len(m[1])}>{_inline(m[2])}</h{len(m[1])}>")
        elif re.match(r"^\s*([-*+]|\d+[.)])\s+", line):
            flush()
            ordered = bool(re.match(r"^\s*\d", line))
            items: list[str] = []
            while i < len(lines) and (m := re.match(r"^\s*(?:[-*+]|\d+[.)])\s+(.*)", lines[i])):
                items.append("<li>" + _inline(m[1]) + "</li>")
                i += 1
            tag = "ol" if ordered else "ul"
            out.append(f"<{tag}>{''.join(items)}</{tag}>")
            continue
        elif line.startswith(">"):
            flush()
            out.append("<blockquote>" + _inline(line.lstrip("> ")) + "</blockquote>")
        elif re.match(r"^\s*([-*_])(\s*\1){2,}\s*$", line):
            flush()
            out.append("<hr>")
        elif line.lstrip().startswith("<"):
            flush()
            out.append(sanitise_html(line))
        elif not line.strip():
            flush()
        else:
            para.append(line.strip())
        i += 1
    flush()
    return "\n".join(out)


# -- HTML page -----------------------------------------------------------------------------
PAGE_CSP = (
    "default-src 'none'; img-src data: https:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'"
)

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#1b1f24;background:#fff}
.cell{margin:0 0 1rem}.prompt{color:#6b7280;font:12px monospace}
pre{background:#f6f8fa;padding:.5rem .75rem;overflow-x:auto;font:13px/1.4 monospace;
white-space:pre-wrap;word-break:break-word;margin:.25rem 0}
.output pre{background:none;border-left:3px solid #d0d7de}.stderr{background:#fff5f5!important}
.error pre{color:#b42318}img{max-width:100%}table{border-collapse:collapse}
td,th{border:1px solid #d0d7de;padding:.2rem .5rem}
@media (prefers-color-scheme:dark){body{background:#0d1117;color:#e6edf3}
pre{background:#161b22}.stderr{background:#2d1517!important}}
"""

_IMAGES = ("image/png", "image/jpeg", "image/gif", "image/webp")


def _pre(text: str, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<pre{attr}>" + html.escape(_ANSI.sub("", text), quote=False) + "</pre>"


def _rich(data: dict[str, Any]) -> str:
    """The richest safe representation of a display output's MIME bundle."""
    if "text/html" in data:
        return "<div>" + sanitise_html(_text(data["text/html"])) + "</div>"
    for mime in _IMAGES:
        if mime in data:
            b64 = re.sub(r"\s+", "", _text(data[mime]))
            if re.fullmatch(r"[A-Za-z0-9+/=]*", b64):
                return f'<img alt="" src="data:{mime};base64,{b64}">'
    if "image/svg+xml" in data:
        # As an image an SVG cannot run script or reach the page.
        svg = base64.b64encode(_text(data["image/svg+xml"]).encode("utf-8")).decode("ascii")
        return f'<img alt="" src="data:image/svg+xml;base64,{svg}">'
    if "text/markdown" in data:
        return "<div>" + markdown_to_html(_text(data["text/markdown"])) + "</div>"
    if "application/json" in data:
        return _pre(orjson.dumps(data["application/json"], option=orjson.OPT_INDENT_2).decode())
    for mime in ("text/latex", "text/plain"):
        if mime in data:
            return _pre(_text(data[mime]))
    return ""


def _output(out: dict[str, Any]) -> str:
    kind = out.get("output_type")
    if kind == "stream":
        name = str(out.get("name", "stdout"))
        return _pre(_text(out.get("text")), "stderr" if name == "stderr" else "")
    if kind == "error":
        trace = "\n".join(_text(line) for line in out.get("traceback") or [])
        text = trace or f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"
        return '<div class="error">' + _pre(text) + "</div>"
    if kind in ("execute_result", "display_data"):
        return _rich(out.get("data") or {})
    return ""


def _cells(nb: dict[str, Any]) -> Iterable[str]:
    for cell in nb.get("cells") or []:
        kind = cell.get("cell_type", "code")
        source = _text(cell.get("source"))
        if kind == "markdown":
            yield f'<section class="cell markdown">{markdown_to_html(source)}</section>'
        elif kind == "raw":
            yield f'<section class="cell raw">{_pre(source)}</section>'
        else:
            count = cell.get("execution_count")
            prompt = f"In [{count if count is not None else ' '}]:"
            outputs = "".join(_output(o) for o in cell.get("outputs") or [])
            yield (
                f'<section class="cell code"><div class="prompt">{html.escape(prompt)}</div>'
                f'{_pre(source, "source")}<div class="output">{outputs}</div></section>'
            )


def to_html(nb: dict[str, Any], title: str) -> str:
    """A static, self-contained HTML page of the notebook and its outputs, with no script."""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{PAGE_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light dark">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{''.join(_cells(nb))}</main></body></html>\n"
    )


def export(nb: dict[str, Any], name: str, fmt: str) -> tuple[str, str, bytes]:
    """``(file name, media type, body)`` of notebook ``name`` exported as ``fmt``.

    ``fmt`` is one of FORMATS; anything else is ValueError.
    """
    stem = name[: -len(".ipynb")] if name.endswith(".ipynb") else name
    if fmt == "script":
        _lang, ext = language(nb)
        return stem + ext, "text/plain; charset=utf-8", to_script(nb).encode("utf-8")
    if fmt == "html":
        return stem + ".html", "text/html; charset=utf-8", to_html(nb, stem).encode("utf-8")
    raise ValueError(f"unknown export format {fmt!r}")

"""The HTML entry page at the base URL."""

from __future__ import annotations

import html

from carnet import __version__
from carnet.web.base import BaseHandler


class RootHandler(BaseHandler):
    """What a browser sees at the base URL: where the API is and how to connect a client."""

    def get(self) -> None:
        base = html.escape(self.services.base_url)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
        self.finish(
            f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>carnet</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em}}
code{{background:#eee;padding:0 .2em}}</style></head>
<body><h1>carnet {html.escape(__version__)}</h1>
<p>The server is running. It speaks the Jupyter Server REST API at
<code>{base}api</code>: connect JupyterLab, VS Code or <code>jupyter console</code>
with this server's URL and token.</p></body></html>"""
        )

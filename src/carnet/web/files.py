"""``/files/<path>``: a file's raw bytes, streamed, never able to script carnet's origin.

Uploaded HTML or SVG opened here runs in a CSP sandbox (an opaque origin with no
access to carnet's cookies or API) and may load nothing: every response carries
``Content-Security-Policy: sandbox; default-src 'none'`` (inline styles and data:
images allowed so documents stay readable) and ``X-Content-Type-Options: nosniff``.
"""

from __future__ import annotations

import asyncio
import base64
import os
from typing import BinaryIO
from urllib.parse import quote

from tornado.iostream import StreamClosedError

from carnet import errors
from carnet.web.base import BaseHandler

CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"
CHUNK = 1 << 20


def _content_type(name: str, mimetype: str | None) -> str:
    if name.endswith(".ipynb"):
        return "application/x-ipynb+json"
    if mimetype is None:
        return "application/octet-stream"
    if mimetype.startswith("text/") or mimetype in ("application/json", "image/svg+xml"):
        return mimetype + "; charset=UTF-8"
    return mimetype


class FilesHandler(BaseHandler):
    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.set_header("Content-Security-Policy", CSP)

    async def head(self, path: str) -> None:
        await self._serve(path, body=False)

    async def get(self, path: str) -> None:
        await self._serve(path, body=True)

    async def _serve(self, raw_path: str, *, body: bool) -> None:
        store = self.services.contents
        path = self.url_path(raw_path)
        model = await store.get(path, content=False)
        if model["type"] == "directory":
            raise errors.NotFound(f"{model['path'] or '/'} is a directory, not a file")
        name = model["name"]
        self.set_header("Content-Type", _content_type(name, model["mimetype"]))
        if self.flag("download", False):
            self.set_header("Content-Disposition", f"attachment; filename*=UTF-8''{quote(name)}")
        local = store.local_path(path)
        if local is None:
            stored = await store.get(path, type="file", format="base64")
            data = base64.b64decode(stored["content"])
            self.set_header("Content-Length", len(data))
            if body:
                self.write(data)
            self.finish()
            return
        try:
            fh: BinaryIO = await asyncio.to_thread(open, local, "rb")
        except OSError as exc:
            raise errors.NotFound(f"no such file: {model['path']}") from exc
        try:
            size = os.fstat(fh.fileno()).st_size
            self.set_header("Content-Length", size)
            # Chunk by chunk, never past the announced length (the file may grow meanwhile):
            # a large file never sits in memory whole.
            remaining = size if body else 0
            while remaining > 0:
                chunk = await asyncio.to_thread(fh.read, min(CHUNK, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                self.write(chunk)
                try:
                    await self.flush()
                except StreamClosedError:
                    return  # the client went away; nothing to tell it
        finally:
            fh.close()
        if remaining > 0:
            # The file shrank while it was sent: the length is wrong, so end the connection.
            self.request.connection.close()  # type: ignore[union-attr]
            return
        self.finish()

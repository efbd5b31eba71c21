"""``carnet/api/export/<path>?format=script|html``: a notebook as a script or a static page.

The body is an attachment, never rendered in carnet's origin: the HTML page carries no
script, and this response's CSP forbids script anyway, as every API response does.
"""

from __future__ import annotations

from urllib.parse import quote

from carnet import errors
from carnet.web.base import BaseHandler


class ExportHandler(BaseHandler):
    """The notebook at ``path``, as stored on disk, in the format asked for."""

    async def get(self, path: str) -> None:
        # Imported on first use: the sanitiser and its tables are not needed to start.
        from carnet import export

        fmt = self.query("format", "html") or "html"
        if fmt not in export.FORMATS:
            raise errors.InvalidInput(
                f"format must be one of {', '.join(export.FORMATS)}, not {fmt!r}"
            )
        rel = self.url_path(path).strip("/")
        model = await self.services.contents.get(rel, content=True)
        if model["type"] != "notebook":
            raise errors.InvalidInput(f"{rel} is not a notebook")
        name, media_type, body = export.export(model["content"], model["name"], fmt)
        self.set_header("Content-Type", media_type)
        self.set_header("Content-Disposition", f"attachment; filename*=UTF-8''{quote(name)}")
        self.finish(body)

"""``/api/kernelspecs``, ``/api/kernelspecs/<name>`` and ``/kernelspecs/<name>/<resource>``."""

from __future__ import annotations

import mimetypes
from typing import Any
from urllib.parse import quote

from carnet import errors
from carnet.kernels import KernelSpecInfo
from carnet.web.base import BaseHandler


class _SpecModel(BaseHandler):
    def spec_model(self, info: KernelSpecInfo) -> dict[str, Any]:
        """The REST model: resource names map to URLs (logo files keyed without extension)."""
        base = self.services.base_url + "kernelspecs/" + quote(info.name, safe="") + "/"
        resources = {}
        for fname in info.resources:
            key = fname if fname in ("kernel.js", "kernel.css") else fname.rsplit(".", 1)[0]
            resources[key] = base + quote(fname)
        return {"name": info.name, "spec": info.spec, "resources": resources}


class KernelSpecsHandler(_SpecModel):
    def get(self) -> None:
        specs = self.services.kernels.specs
        found = specs.all()
        self.send_json(
            {
                "default": specs.default(found),
                "kernelspecs": {info.name: self.spec_model(info) for info in found},
            }
        )


class KernelSpecHandler(_SpecModel):
    def get(self, name: str) -> None:
        info = self.services.kernels.specs.get(self.url_path(name))
        self.send_json(self.spec_model(info))


class KernelSpecResourceHandler(BaseHandler):
    def get(self, name: str, resource: str) -> None:
        resource = self.url_path(resource)
        path = self.services.kernels.specs.resource(self.url_path(name), resource)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise errors.NotFound(f"kernel spec {name} has no resource {resource}") from exc
        kind, _ = mimetypes.guess_type(path.name)
        self.set_header("Content-Type", kind or "application/octet-stream")
        self.set_header("Cache-Control", "max-age=3600")
        self.finish(data)

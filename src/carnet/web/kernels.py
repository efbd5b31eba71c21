"""``/api/kernels``: list, start, get, stop, interrupt and restart kernels."""

from __future__ import annotations

from carnet import errors
from carnet.web.base import BaseHandler


class KernelsHandler(BaseHandler):
    def get(self) -> None:
        self.send_json([kernel.model() for kernel in self.services.kernels.list()])

    async def post(self) -> None:
        body = self.json_body()
        name, path = body.get("name"), body.get("path")
        for field, value in (("name", name), ("path", path)):
            if value is not None and not isinstance(value, str):
                raise errors.InvalidInput(f"{field} must be a string")
        kernel = await self.services.kernels.start(name or None, path or None)
        self.set_header("Location", self.url_for_api("kernels", kernel.id))
        self.send_json(kernel.model(), status=201)


class KernelHandler(BaseHandler):
    def get(self, kernel_id: str) -> None:
        self.send_json(self.services.kernels.get(kernel_id).model())

    async def delete(self, kernel_id: str) -> None:
        await self.services.kernels.shutdown(kernel_id)
        self.set_status(204)
        self.finish()


class KernelActionHandler(BaseHandler):
    async def post(self, kernel_id: str, action: str) -> None:
        if action == "interrupt":
            await self.services.kernels.interrupt(kernel_id)
            self.set_status(204)
            self.finish()
            return
        kernel = await self.services.kernels.restart(kernel_id)
        self.send_json(kernel.model())

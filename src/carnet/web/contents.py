"""``/api/contents``: files, directories, notebooks and their checkpoints (Jupyter Server API)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from carnet import errors
from carnet.web.base import BaseHandler


def _string(body: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise errors.InvalidInput(f"the request body needs {key!r}")
        return None
    if not isinstance(value, str):
        raise errors.InvalidInput(f"{key!r} must be a string")
    return value


class _ContentsBase(BaseHandler):
    def contents_url(self, path: str, *extra: str) -> str:
        return self.url_for_api("contents", quote(path.strip("/")), *extra)

    def send_model(self, model: dict[str, Any], status: int = 200, *, location: bool) -> None:
        if location:
            self.set_header("Location", self.contents_url(model["path"]))
        modified = model.get("last_modified")
        if modified is not None:
            self.set_header("Last-Modified", modified)
        self.send_json(model, status)


class ContentsHandler(_ContentsBase):
    async def get(self, path: str) -> None:
        store = self.services.contents
        model = await store.get(
            self.url_path(path),
            content=self.flag("content", True),
            type=self.query("type") or None,
            format=self.query("format") or None,
            want_hash=self.flag("hash", False),
        )
        self.send_model(model, location=False)

    async def post(self, path: str) -> None:
        """Create an untitled item in the directory, or copy ``copy_from`` into it."""
        store = self.services.contents
        directory = self.url_path(path)
        body = self.json_body()
        model = await store.get(directory, content=False)
        if model["type"] != "directory":
            raise errors.InvalidInput("POST creates items in a directory; use PUT to save a file")
        copy_from = _string(body, "copy_from")
        if copy_from is not None:
            created = await store.copy(copy_from, directory)
        else:
            kind = _string(body, "type")
            ext = _string(body, "ext") or ""
            created = await store.new_untitled(directory, type=kind, ext=ext)
        self.send_model(created, 201, location=True)

    async def put(self, path: str) -> None:
        """Save or upload the item at ``path`` (or copy ``copy_from`` to it, the old API)."""
        store = self.services.contents
        target = self.url_path(path)
        body = self.json_body()
        if not body:
            raise errors.InvalidInput("PUT needs a model: type, format and content")
        copy_from = _string(body, "copy_from")
        if copy_from is not None:
            if await store.exists(target):
                raise errors.AlreadyExists(f"{target.strip('/')} exists already")
            self.send_model(await store.copy(copy_from, target), 201, location=True)
            return
        existed = await store.exists(target)
        model = await store.save(target, body)
        self.send_model(model, 200 if existed else 201, location=True)

    async def patch(self, path: str) -> None:
        """Rename or move the item to the body's ``path``."""
        old = self.url_path(path)
        new = _string(self.json_body(), "path", required=True)
        assert new is not None
        model = await self.services.documents.rename(old, new)
        self.send_model(model, location=True)

    async def delete(self, path: str) -> None:
        await self.services.documents.delete(self.url_path(path))
        self.set_status(204)
        self.finish()


class CheckpointsHandler(_ContentsBase):
    async def get(self, path: str) -> None:
        checkpoints = await self.services.contents.list_checkpoints(self.url_path(path))
        self.send_json(checkpoints)

    async def post(self, path: str) -> None:
        api_path = self.url_path(path)
        checkpoint = await self.services.contents.create_checkpoint(api_path)
        self.set_header(
            "Location", self.contents_url(api_path, "checkpoints", quote(checkpoint["id"]))
        )
        self.send_json(checkpoint, 201)


class CheckpointHandler(_ContentsBase):
    async def post(self, path: str, checkpoint_id: str) -> None:
        await self.services.contents.restore_checkpoint(
            self.url_path(path), self.url_path(checkpoint_id)
        )
        self.set_status(204)
        self.finish()

    async def delete(self, path: str, checkpoint_id: str) -> None:
        await self.services.contents.delete_checkpoint(
            self.url_path(path), self.url_path(checkpoint_id)
        )
        self.set_status(204)
        self.finish()

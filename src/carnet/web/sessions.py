"""``/api/sessions``: list, create, get, change and end sessions."""

from __future__ import annotations

from typing import Any

from carnet import errors
from carnet.web.base import BaseHandler


def _optional_str(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise errors.InvalidInput(f"'{key}' must be a string")
    return value


def _kernel_choice(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """``(kernel_id, kernel_name)`` from a body's ``kernel`` object; the id wins."""
    kernel = body.get("kernel")
    if kernel is None:
        return None, None
    if not isinstance(kernel, dict):
        raise errors.InvalidInput("'kernel' must be an object with 'id' or 'name'")
    return _optional_str(kernel, "id"), _optional_str(kernel, "name")


def _legacy_notebook(body: dict[str, Any]) -> None:
    """Accept the old ``{"notebook": {"path": ...}}`` form of the API."""
    notebook = body.get("notebook")
    if isinstance(notebook, dict) and "path" not in body:
        path = notebook.get("path", notebook.get("name"))
        if path is not None:
            body["path"] = path
            body.setdefault("type", "notebook")


class SessionsHandler(BaseHandler):
    def get(self) -> None:
        sessions = self.services.sessions
        self.send_json([sessions.model(s) for s in sessions.list()])

    async def post(self) -> None:
        body = self.json_body()
        _legacy_notebook(body)
        path = _optional_str(body, "path")
        if not path:
            raise errors.InvalidInput("missing field 'path'")
        kind = _optional_str(body, "type") or "notebook"
        kernel_id, kernel_name = _kernel_choice(body)
        sessions = self.services.sessions
        session, _created = await sessions.create(
            path,
            kind,
            name=_optional_str(body, "name"),
            kernel_name=kernel_name,
            kernel_id=kernel_id,
        )
        self.set_header("Location", self.url_for_api("sessions", session.id))
        self.send_json(sessions.model(session), status=201)


class SessionHandler(BaseHandler):
    def get(self, session_id: str) -> None:
        sessions = self.services.sessions
        self.send_json(sessions.model(sessions.get(session_id)))

    async def patch(self, session_id: str) -> None:
        body = self.json_body()
        _legacy_notebook(body)
        kernel_id, kernel_name = _kernel_choice(body)
        path = _optional_str(body, "path")
        if path == "":
            raise errors.InvalidInput("'path' must not be empty")
        sessions = self.services.sessions
        session = await sessions.update(
            session_id,
            path=path,
            name=_optional_str(body, "name"),
            type=_optional_str(body, "type"),
            kernel_id=kernel_id,
            kernel_name=kernel_name,
        )
        self.send_json(sessions.model(session))

    async def delete(self, session_id: str) -> None:
        await self.services.sessions.delete(session_id)
        self.set_status(204)
        self.finish()

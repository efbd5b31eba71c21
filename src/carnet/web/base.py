"""What every carnet handler shares: authentication, JSON in and out, errors.

Handlers are thin: parse the request, make one service call, serialise the answer.
Errors raised by services become ``{"message", "reason"}`` JSON with the status
from ``carnet.web.errors``; nothing else in carnet knows HTTP statuses.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import unquote

import orjson
from tornado import httputil, web

from carnet import errors
from carnet.web.errors import status_for

if TYPE_CHECKING:
    from carnet.services import Services

log = logging.getLogger("carnet.web")


def iso(dt: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, the form Jupyter clients parse."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def dumps(obj: Any) -> bytes:
    """Serialise a response body; datetimes (UTC) come out as ISO 8601 with a ``Z``."""
    return orjson.dumps(obj, option=orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC)


def token_from_request(request: httputil.HTTPServerRequest) -> str | None:
    """The token a client presented, from ``Authorization: token|bearer <t>`` or ``?token=``."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() in ("token", "bearer") and value.strip():
            return value.strip()
    values = request.query_arguments.get("token")
    if values:
        return values[-1].decode("utf-8", "replace")
    return None


class BaseHandler(web.RequestHandler):
    """Base of every handler: owns the services, checks the token, speaks JSON errors."""

    services: Services
    #: Handlers that anyone may fetch (static assets) set this to False.
    requires_auth = True

    def initialize(self, services: Services) -> None:
        self.services = services

    # -- authentication --------------------------------------------------------------
    def get_current_user(self) -> str | None:
        token = self.services.settings.server.token
        if token is None or not token.reveal():
            return "anonymous"
        presented = token_from_request(self.request)
        if presented is not None and token.matches(presented):
            return "token"
        return None

    def prepare(self) -> None:
        if self.requires_auth and self.current_user is None:
            raise errors.Unauthorized(
                "authentication required: send 'Authorization: token <token>' or '?token=<token>'"
            )
        self.services.activity.touch()

    # -- request parsing -------------------------------------------------------------
    def json_body(self) -> dict[str, Any]:
        """The request body as a JSON object; an empty body is ``{}``."""
        body = self.request.body
        if not body or not body.strip():
            return {}
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise errors.InvalidInput(f"the request body is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise errors.InvalidInput("the request body must be a JSON object")
        return cast(dict[str, Any], data)

    def query(self, name: str, default: str | None = None) -> str | None:
        values = self.request.query_arguments.get(name)
        if not values:
            return default
        return values[-1].decode("utf-8", "replace")

    def flag(self, name: str, default: bool) -> bool:
        """A boolean query parameter: ``1``/``true``/``0``/``false``."""
        raw = self.query(name)
        if raw is None or raw == "":
            return default
        text = raw.lower()
        if text in ("1", "true", "yes"):
            return True
        if text in ("0", "false", "no"):
            return False
        raise errors.InvalidInput(f"query parameter {name!r} must be 0 or 1, not {raw!r}")

    @staticmethod
    def url_path(raw: str | None) -> str:
        """A path captured from the URL, percent-decoded exactly once."""
        return unquote(raw or "")

    # -- responses -------------------------------------------------------------------
    def set_default_headers(self) -> None:
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("Cache-Control", "no-store")

    def send_json(self, obj: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(dumps(obj))

    def url_for_api(self, *parts: str) -> str:
        return self.services.base_url + "api/" + "/".join(p.strip("/") for p in parts if p)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        exc = exc_info[1] if exc_info else None
        if isinstance(exc, errors.CarnetError):
            status_code = status_for(exc)
            message, reason = exc.message, exc.reason
        elif isinstance(exc, web.HTTPError):
            message = exc.log_message or self._reason
            reason = self._reason
        else:
            message = self._reason if status_code < 500 else "internal server error"
            reason = self._reason
        self.set_status(status_code)
        self.clear_header("Content-Disposition")
        self.set_header("Content-Type", "application/json")
        self.finish(dumps({"message": message, "reason": reason}))

    def log_exception(
        self, typ: type[BaseException] | None, value: BaseException | None, tb: Any
    ) -> None:
        if isinstance(value, errors.CarnetError):
            status = status_for(value)
            if status >= 500:
                log.error(
                    "%s %s: %s",
                    self.request.method,
                    self.request.path,
                    value.message,
                    exc_info=(typ, value, tb),
                )  # type: ignore[arg-type]
            else:
                log.info(
                    "%s %s -> %d: %s", self.request.method, self.request.path, status, value.message
                )
            return
        super().log_exception(typ, value, tb)

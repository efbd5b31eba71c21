"""Build the tornado application from the services."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tornado import web

from carnet import errors
from carnet.web.base import BaseHandler
from carnet.web.routes import routes

if TYPE_CHECKING:
    from carnet.services import Services


class NotFoundHandler(BaseHandler):
    """Any URL not in the table: a JSON 404 (after authentication, so URLs don't leak)."""

    def prepare(self) -> None:
        super().prepare()
        raise errors.NotFound(f"no such URL: {self.request.path}")


def make_app(services: Services) -> web.Application:
    """The tornado application serving every route of ``carnet.web.routes``."""
    return web.Application(
        routes(services, services.base_url),  # type: ignore[arg-type]
        default_handler_class=NotFoundHandler,
        default_handler_args={"services": services},
        websocket_max_message_size=services.settings.server.max_body_mb * 1024 * 1024,
        websocket_ping_interval=30,
        xsrf_cookies=False,
        compress_response=False,
        log_function=_log_request,
    )


def _log_request(handler: web.RequestHandler) -> None:
    import logging

    status = handler.get_status()
    request = handler.request
    level = logging.DEBUG if status < 400 else logging.INFO if status < 500 else logging.ERROR
    # The query string may hold the token: log the path only.
    logging.getLogger("carnet.access").log(
        level,
        "%d %s %s %.1fms",
        status,
        request.method,
        request.path,
        1000.0 * request.request_time(),
    )

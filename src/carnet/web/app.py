"""Build the tornado application from the services."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, cast

from tornado import httputil, web

from carnet import errors
from carnet.auth.origin import host_allowed
from carnet.web.base import BaseHandler, HostRefusedHandler, SecurityHeaders
from carnet.web.routes import routes

if TYPE_CHECKING:
    from carnet.services import Services


class NotFoundHandler(BaseHandler):
    """Any URL not in the table: a JSON 404 (after authentication, so URLs don't leak)."""

    def prepare(self) -> None:
        super().prepare()
        raise errors.NotFound(f"no such URL: {self.request.path}")


class CarnetApplication(web.Application):
    """The routes, behind a Host check that no handler (static files, WebSockets) can skip."""

    services: Services

    def find_handler(
        self, request: httputil.HTTPServerRequest, **kwargs: Any
    ) -> web._HandlerDelegate:
        if not host_allowed(request.headers.get("Host"), self.services.settings):
            return self.get_handler_delegate(
                request, HostRefusedHandler, {"services": self.services}
            )
        return super().find_handler(request, **kwargs)


def make_app(services: Services) -> web.Application:
    """The tornado application serving every route of ``carnet.web.routes``."""
    app = CarnetApplication(
        routes(services, services.base_url),
        default_handler_class=NotFoundHandler,
        default_handler_args={"services": services},
        websocket_max_message_size=services.settings.server.max_body_mb * 1024 * 1024,
        websocket_ping_interval=30,
        xsrf_cookies=False,
        compress_response=False,
        log_function=_log_request,
    )
    app.services = services
    app.add_transform(cast(Any, functools.partial(SecurityHeaders, services=services)))
    return app


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

"""What every carnet handler shares: authentication, JSON in and out, errors.

Handlers are thin: parse the request, make one service call, serialise the answer.
Errors raised by services become ``{"message", "reason"}`` JSON with the status
from ``carnet.web.errors``; nothing else in carnet knows HTTP statuses.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qsl, urlencode, urlsplit

import orjson
from tornado import httputil, web, websocket

from carnet import errors
from carnet.auth.origin import host_allowed, origin_allowed
from carnet.auth.proxy import client_address, request_scheme
from carnet.auth.sessions import cookie_attributes
from carnet.web.errors import status_for

if TYPE_CHECKING:
    from carnet.services import Services

log = logging.getLogger("carnet.web")

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
#: For responses that are not pages (JSON, files): nothing in them may run or be framed.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


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


def auth_enabled(services: Services) -> bool:
    """True unless both the token and the password are off (a loopback-only setup)."""
    token = services.settings.server.token
    return bool(token is not None and token.reveal()) or services.auth.authenticator.has_password


def client_addr(services: Services, request: httputil.HTTPServerRequest) -> str:
    """The address to throttle and log: the peer, or what a trusted proxy says it is."""
    return client_address(
        request.remote_ip or "", request.headers.get("X-Forwarded-For"), services.settings.auth
    )


def scheme_of(services: Services, request: httputil.HTTPServerRequest) -> str:
    """``https`` or ``http``, as the browser sees it (behind a trusted proxy, its word)."""
    return request_scheme(
        request.remote_ip or "",
        request.protocol,
        request.headers.get("X-Forwarded-Proto"),
        services.settings.auth,
    )


def session_of(services: Services, request: httputil.HTTPServerRequest) -> str | None:
    """The login session id from the request's cookie, when it names a live session."""
    morsel = request.cookies.get(services.settings.auth.cookie_name)
    if morsel is None or not morsel.value:
        return None
    if services.auth.sessions.validate(morsel.value) is None:
        return None
    return morsel.value


def request_user(services: Services, request: httputil.HTTPServerRequest) -> str | None:
    """Who sent ``request``, or None.

    ``"token"`` for the server's token (header or query), ``"session"`` for a login
    cookie, ``"anonymous"`` when authentication is off. Shared by BaseHandler and the
    WebSocket handlers, which cannot subclass it.
    """
    if not auth_enabled(services):
        return "anonymous"
    presented = token_from_request(request)
    if presented is not None and services.auth.authenticator.check_token(presented):
        return "token"
    if session_of(services, request) is not None:
        return "session"
    return None


def websocket_allowed(services: Services, request: httputil.HTTPServerRequest) -> bool:
    """True when a WebSocket handshake comes from a page of this server (or no browser).

    Authentication is :func:`request_user`'s job; this refuses cross-site WebSocket
    hijacking (a page elsewhere riding on the login cookie) and unknown Host names.
    """
    host = request.headers.get("Host")
    settings = services.settings
    return host_allowed(host, settings) and origin_allowed(
        request.headers.get("Origin"), host, settings
    )


def host_refusal(services: Services, request: httputil.HTTPServerRequest) -> str | None:
    """Why the request's Host header is refused (DNS rebinding defence), or None."""
    host = request.headers.get("Host")
    if host_allowed(host, services.settings):
        return None
    return (
        f"this server does not answer to the host name {host!r}; "
        "if that is how you reach it, add it to auth.allowed_hosts (or set auth.public_url)"
    )


class SecurityHeaders(web.OutputTransform):
    """Headers every response gets, whichever handler (or none) wrote it."""

    def __init__(self, request: httputil.HTTPServerRequest, services: Services) -> None:
        super().__init__(request)
        self.https = scheme_of(services, request) == "https"

    def transform_first_chunk(
        self, status_code: int, headers: httputil.HTTPHeaders, chunk: bytes, finishing: bool
    ) -> tuple[int, httputil.HTTPHeaders, bytes]:
        defaults = {
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Content-Security-Policy": API_CSP,
        }
        if self.https:
            defaults["Strict-Transport-Security"] = "max-age=31536000"
        for name, value in defaults.items():
            if name not in headers:
                headers[name] = value
        csp = headers["Content-Security-Policy"]
        if "frame-ancestors" not in csp:
            # No other site may frame any response (clickjacking); our own pages still may.
            headers["Content-Security-Policy"] = csp + "; frame-ancestors 'self'"
        return status_code, headers, chunk


def without_token(uri: str) -> str:
    """``uri`` (a path with its query) with any ``token`` query parameter removed."""
    parts = urlsplit(uri)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "token"]
    return parts.path + ("?" + urlencode(query) if query else "")


class BaseHandler(web.RequestHandler):
    """Base of every handler: owns the services, checks the token, speaks JSON errors."""

    services: Services
    #: Handlers that anyone may fetch (static assets) set this to False.
    requires_auth = True
    #: Pages for people: without credentials they go to the login page, and a
    #: ``?token=`` in their address signs the browser in and is taken out of it.
    login_redirect = False

    def initialize(self, services: Services) -> None:
        self.services = services

    # -- authentication --------------------------------------------------------------
    def get_current_user(self) -> str | None:
        return request_user(self.services, self.request)

    def prepare(self) -> None:
        if self.requires_auth:
            user = self.current_user
            if user is None:
                if self.login_redirect and self.request.method in ("GET", "HEAD"):
                    self.redirect(self.login_url(without_token(self.request.uri or "")))
                    return
                raise errors.Unauthorized(
                    "authentication required: send 'Authorization: token <token>' or "
                    "'?token=<token>', or sign in"
                )
            if user == "session" and self.request.method not in SAFE_METHODS:
                self.check_xsrf()
            if (
                user in ("token", "session")
                and self.login_redirect
                and self.request.method in ("GET", "HEAD")
                and "token" in self.request.query_arguments
            ):
                # The token leaves the address bar (and history, and Referer) at once.
                if session_of(self.services, self.request) is None:
                    self.start_session()
                self.redirect(without_token(self.request.uri or ""))
                return
        self.services.activity.touch()

    def login_url(self, next_uri: str) -> str:
        """The login page, coming back to ``next_uri`` afterwards."""
        return self.services.base_url + "login?" + urlencode({"next": next_uri})

    def check_xsrf(self) -> None:
        """Refuse a cookie-authenticated write without this session's XSRF token."""
        session_id = session_of(self.services, self.request)
        presented = self.request.headers.get("X-XSRFToken") or self.get_body_argument("_xsrf", None)
        if session_id is None or not self.services.auth.xsrf.verify(session_id, presented):
            raise errors.Forbidden(
                "XSRF token missing or wrong: a signed-in page sends its token in the "
                "X-XSRFToken header (reload the page to get a fresh one)"
            )

    def xsrf_for_page(self) -> str | None:
        """An XSRF token for the page's script, when the browser is signed in by cookie."""
        session_id = session_of(self.services, self.request)
        return self.services.auth.xsrf.issue(session_id) if session_id is not None else None

    def start_session(self) -> str:
        """Sign the browser in: a new login session and its cookie; returns the session id."""
        session_id, _record = self.services.auth.sessions.create(
            client_addr(self.services, self.request), self.request.headers.get("User-Agent", "")
        )
        attributes = cookie_attributes(
            secure=scheme_of(self.services, self.request) == "https",
            ttl=self.services.auth.sessions.ttl,
            path=self.services.base_url,
        )
        self.set_cookie(self.services.settings.auth.cookie_name, session_id, **attributes)
        return session_id

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
        """A path captured from the URL, percent-decoded exactly once.

        Tornado's router already decodes captured groups once, so nothing more is
        decoded here: ``%252e%252e`` must stay the literal name ``%2e%2e``.
        """
        return raw or ""

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
                    exc_info=(typ, value, tb),  # type: ignore[arg-type]
                )
            else:
                log.info(
                    "%s %s -> %d: %s", self.request.method, self.request.path, status, value.message
                )
            return
        super().log_exception(typ, value, tb)


class HostRefusedHandler(BaseHandler):
    """Any request whose Host header is not one of this server's names (DNS rebinding)."""

    def prepare(self) -> None:
        reason = host_refusal(self.services, self.request)
        log.warning(
            "refused Host %r from %s", self.request.headers.get("Host"), self.request.remote_ip
        )
        raise errors.Forbidden(reason or "this host name is not allowed (auth.allowed_hosts)")


class SocketHandler(websocket.WebSocketHandler):
    """Base of carnet's WebSockets: the services, authentication before the upgrade, Origin.

    tornado's WebSocketHandler cannot share BaseHandler's ``prepare``; this gives every
    WebSocket the same checks. A refused handshake gets the JSON error of any handler.
    """

    services: Services

    def initialize(self, services: Services) -> None:
        self.services = services

    async def preflight(self, **kwargs: Any) -> None:
        """Check the handshake's target before the upgrade; raise a CarnetError to refuse."""

    async def get(self, *args: Any, **kwargs: Any) -> None:
        try:
            if request_user(self.services, self.request) is None:
                raise errors.Unauthorized("authentication required")
            await self.preflight(**kwargs)
        except errors.CarnetError as exc:
            self.set_status(status_for(exc))
            self.set_header("Content-Type", "application/json")
            self.finish(dumps({"message": exc.message, "reason": exc.reason}))
            return
        await super().get(*args, **kwargs)

    def check_origin(self, origin: str) -> bool:
        # Browsers send Origin; a page on another site must not ride on the login cookie.
        return websocket_allowed(self.services, self.request)

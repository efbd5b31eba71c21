"""Every URL carnet answers, on one screen.

Paths are relative to the base URL. ``PATH`` matches a contents path: empty, or
``/`` followed by path segments (percent-decoded by the handler, exactly once).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from carnet.web import (
    api,
    channels,
    contents,
    documents,
    export,
    files,
    kernels,
    kernelspecs,
    login,
    pages,
    proxycheck,
    sessions,
)

if TYPE_CHECKING:
    from carnet.services import Services

PATH = r"(?P<path>(?:/[^/]+)*/?)"
ID = r"(?P<{}>[^/]+)"


def routes(services: Services, base_url: str) -> list[tuple[str, type[Any], dict[str, Any]]]:
    """The URL table, each pattern prefixed with ``base_url`` (which ends in '/')."""
    kernel = ID.format("kernel_id")
    table: list[tuple[str, type[Any]]] = [
        (r"", pages.RootHandler),
        (r"tree" + PATH, pages.TreeHandler),
        (r"notebooks" + PATH, pages.NotebookHandler),
        (r"edit" + PATH, pages.EditHandler),
        (r"static/(?P<path>.+)", pages.StaticHandler),
        (r"login", login.LoginHandler),
        (r"logout", login.LogoutHandler),
        (r"proxy-check", proxycheck.ProxyCheckHandler),
        (r"proxy-check\.js", proxycheck.ProxyCheckScriptHandler),
        (r"proxy-check/ws", proxycheck.ProxyCheckSocketHandler),
        (r"api/?", api.ApiHandler),
        (r"api/status", api.StatusHandler),
        (r"api/me", api.MeHandler),
        (r"api/spec\.yaml", api.SpecHandler),
        (r"api/contents" + PATH + r"/checkpoints", contents.CheckpointsHandler),
        (
            r"api/contents" + PATH + r"/checkpoints/" + ID.format("checkpoint_id"),
            contents.CheckpointHandler,
        ),
        (r"api/contents" + PATH, contents.ContentsHandler),
        (r"api/kernelspecs/?", kernelspecs.KernelSpecsHandler),
        (r"api/kernelspecs/" + ID.format("name") + r"/?", kernelspecs.KernelSpecHandler),
        (
            r"kernelspecs/" + ID.format("name") + r"/(?P<resource>.+)",
            kernelspecs.KernelSpecResourceHandler,
        ),
        (r"api/kernels/?", kernels.KernelsHandler),
        (r"api/kernels/" + kernel + r"/?", kernels.KernelHandler),
        (
            r"api/kernels/" + kernel + r"/(?P<action>interrupt|restart)/?",
            kernels.KernelActionHandler,
        ),
        (r"api/kernels/" + kernel + r"/channels", channels.ChannelsHandler),
        (r"api/sessions/?", sessions.SessionsHandler),
        (r"api/sessions/" + ID.format("session_id") + r"/?", sessions.SessionHandler),
        (r"files" + PATH, files.FilesHandler),
        (r"carnet/sandbox", pages.SandboxHandler),
        (r"carnet/api/documents/ws", documents.DocumentSocketHandler),
        (r"carnet/api/documents/events", documents.DocumentEventsHandler),
        (r"carnet/api/documents/send", documents.DocumentSendHandler),
        (r"carnet/api/documents/output", documents.DocumentOutputHandler),
        (r"carnet/api/export" + PATH, export.ExportHandler),
    ]
    return [(base_url + pattern, handler, {"services": services}) for pattern, handler in table]

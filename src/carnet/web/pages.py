"""The browser's pages: HTML shells that load the UI bundle, and the static assets.

A page carries its configuration in a ``<script type="application/json">`` block, never
in inline script, so the Content-Security-Policy can forbid inline script outright.
The bundle's file names are content-hashed by ``frontend/build.mjs``; the page learns
them from ``static/manifest.json``. Static assets need no authentication; pages do.
"""

from __future__ import annotations

import functools
import html
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import orjson
from tornado import web

from carnet import errors
from carnet.web.base import BaseHandler, token_from_request
from carnet.web.errors import status_for

if TYPE_CHECKING:
    from carnet.services import Services

STATIC_DIR = Path(__file__).parent / "static"
MANIFEST = STATIC_DIR / "manifest.json"

CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)


FAVICON = "data:image/svg+xml," + quote(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
    '<rect width="32" height="32" rx="7" fill="#1f63d6"/>'
    '<path d="M21 11.5a7 7 0 1 0 0 9" fill="none" stroke="#fff" stroke-width="3.5"'
    ' stroke-linecap="round"/></svg>'
)


class UiNotBuilt(errors.CarnetError):
    """static/manifest.json is missing: the package was installed without its UI."""

    reason = "UI not built"


def manifest() -> dict[str, dict[str, str]]:
    """The bundle files of each page; re-read when the file changes (``npm run watch``)."""
    try:
        return _read_manifest(MANIFEST.stat().st_mtime_ns)
    except (OSError, orjson.JSONDecodeError) as exc:
        raise UiNotBuilt(
            "the web UI is not built: run `make serve`, or `npm ci && npm run build` in frontend/"
        ) from exc


@functools.lru_cache(maxsize=1)
def _read_manifest(mtime_ns: int) -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = orjson.loads(MANIFEST.read_bytes())
    return data


def json_for_html(obj: Any) -> str:
    """JSON that is safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` survive."""
    text = orjson.dumps(obj).decode("utf-8")
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class PageHandler(BaseHandler):
    """A page for people: strict security headers, and errors as HTML for browsers."""

    login_redirect = True

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.set_header("Content-Security-Policy", CSP)
        self.set_header("X-Frame-Options", "DENY")
        self.set_header("Cross-Origin-Opener-Policy", "same-origin")

    def page_token(self) -> dict[str, str]:
        """The credential the page's script sends with its API calls, for its config block.

        A browser signed in by cookie gets ``{"xsrf": ...}`` (the cookie goes along by
        itself; writes add the XSRF token). A request carrying the token in a header (a
        script, not a browser) gets ``{"token": ...}``. No credential at all: ``{}``.
        """
        if self.current_user == "session":
            xsrf = self.xsrf_for_page()
            return {"xsrf": xsrf} if xsrf else {}
        if self.current_user == "token":
            token = token_from_request(self.request)
            return {"token": token} if token else {}
        return {}

    def link_query(self) -> str:
        """The query string that keeps links to other pages authenticated (see page_token)."""
        token = self.page_token().get("token")
        return "?" + urlencode({"token": token}) if token else ""

    def render_page(
        self,
        title: str,
        body: str,
        config: dict[str, Any] | None = None,
        entry: str = "dashboard",
    ) -> None:
        base = self.services.base_url
        head = [
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="color-scheme" content="light dark">',
            '<meta name="referrer" content="no-referrer">',
            f"<title>{html.escape(title)}</title>",
            # An icon in the page, so browsers don't ask for /favicon.ico outside the base URL.
            f'<link rel="icon" href="{FAVICON}">',
        ]
        try:
            files = manifest().get(entry, {})
        except UiNotBuilt:
            if config is not None:
                raise
            files = {}
        if "css" in files:
            css = html.escape(base + "static/" + files["css"])
            head.append(f'<link rel="stylesheet" href="{css}">')
        if config is not None:
            data = json_for_html(config)
            head.append(f'<script type="application/json" id="carnet-config">{data}</script>')
            js = html.escape(base + "static/" + files["js"])
            head.append(f'<script type="module" src="{js}"></script>')
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(
            '<!doctype html>\n<html lang="en"><head>'
            + "".join(head)
            + "</head><body>"
            + body
            + "</body></html>\n"
        )

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # Browsers ask for HTML; API clients and scripts keep the JSON error body.
        if "text/html" not in self.request.headers.get("Accept", ""):
            super().write_error(status_code, **kwargs)
            return
        exc_info = kwargs.get("exc_info")
        exc = exc_info[1] if exc_info else None
        if isinstance(exc, errors.CarnetError):
            status_code = status_for(exc)
            message = exc.message
        else:
            message = self._reason if status_code < 500 else "internal server error"
        if isinstance(exc, errors.Unauthorized):
            message = (
                "Sign in, or open the address with its token that carnet printed when it "
                "started (it ends in ?token=...)."
            )
        if isinstance(exc, UiNotBuilt):
            status_code = 503
        self.set_status(status_code)
        self.clear_header("Content-Disposition")
        self.render_page(
            "carnet",
            f'<main class="notice"><h1>{html.escape(self._reason)}</h1>'
            f"<p>{html.escape(message)}</p></main>",
        )


class RootHandler(PageHandler):
    """The base URL: on to the dashboard, keeping the query (it may hold the token)."""

    def get(self) -> None:
        query = self.request.query
        self.redirect(self.services.base_url + "tree/" + ("?" + query if query else ""))


class TreeHandler(PageHandler):
    """The dashboard of the directory at ``path``."""

    def get(self, path: str) -> None:
        rel = self.url_path(path).strip("/")
        config = {"baseUrl": self.services.base_url, **self.page_token(), "path": rel}
        title = (rel.rsplit("/", 1)[-1] if rel else "Files") + " · carnet"
        self.render_page(
            title, "<noscript>The carnet dashboard needs JavaScript.</noscript>", config
        )


def editor_policy() -> tuple[str, str]:
    """A fresh style nonce and the page policy that allows it.

    CodeMirror writes its styles into a ``<style>`` element: the nonce allows those,
    and no style that a file or an output brings.
    """
    nonce = secrets.token_urlsafe(18)
    return nonce, CSP.replace("style-src 'self'", f"style-src 'self' 'nonce-{nonce}'")


class EditHandler(PageHandler):
    """The text editor of the file at ``path``; notebooks and folders go to their own page."""

    async def get(self, path: str) -> None:
        rel = self.url_path(path).strip("/")
        model = await self.services.contents.get(rel, content=False)
        if model["type"] != "file":
            page = "notebooks/" if model["type"] == "notebook" else "tree/"
            self.redirect(self.services.base_url + page + quote(rel) + self.link_query())
            return
        nonce, policy = editor_policy()
        self.set_header("Content-Security-Policy", policy)
        config = {
            "baseUrl": self.services.base_url,
            **self.page_token(),
            "path": rel,
            "styleNonce": nonce,
        }
        self.render_page(
            f"{model['name']} · carnet",
            "<noscript>The carnet text editor needs JavaScript.</noscript>",
            config,
            entry="editor",
        )


class NotebookHandler(PageHandler):
    """The notebook editor of the notebook at ``path``.

    Outputs of a notebook are untrusted: the page's policy keeps script to the bundle,
    and only carnet's sandbox page (a separate, opaque origin) may be framed.
    """

    async def get(self, path: str) -> None:
        rel = self.url_path(path).strip("/")
        model = await self.services.contents.get(rel, content=False)
        if model["type"] != "notebook":
            raise errors.InvalidInput(f"{rel} is not a notebook")
        nonce, policy = editor_policy()
        self.set_header("Content-Security-Policy", policy + "; frame-src 'self'")
        config = {
            "baseUrl": self.services.base_url,
            **self.page_token(),
            "path": rel,
            "styleNonce": nonce,
        }
        name = rel.rsplit("/", 1)[-1]
        self.render_page(
            f"{name} · carnet",
            "<noscript>The carnet notebook editor needs JavaScript.</noscript>",
            config,
            entry="notebook",
        )


SANDBOX_CSP = "; ".join(
    [
        # An opaque origin even when opened directly: no cookies, no access to carnet.
        "sandbox allow-scripts",
        "default-src 'none'",
        "script-src 'unsafe-inline' 'unsafe-eval' https: data: blob:",
        "style-src 'unsafe-inline' https: data:",
        "img-src https: data: blob:",
        "font-src https: data:",
        "media-src https: data: blob:",
        "connect-src 'none'",
        "form-action 'none'",
        "frame-ancestors 'self'",
    ]
)

# Shows the HTML its parent posts, and reports its height so the frame can fit it.
SANDBOX_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><meta name="color-scheme" content="light dark">
<script>
addEventListener("message", function (event) {
  if (event.source !== parent || !event.data || typeof event.data.html !== "string") return;
  document.open();
  document.write(event.data.html);
  document.close();
  var report = function () {
    parent.postMessage({ height: document.documentElement.scrollHeight }, "*");
  };
  new ResizeObserver(report).observe(document.documentElement);
  report();
}, { once: true });
</script></head><body></body></html>
"""


class SandboxHandler(BaseHandler):
    """The page that runs script-bearing output, framed by the notebook with ``sandbox``.

    It holds no data and needs no credentials; its CSP makes it an opaque origin.
    """

    requires_auth = False

    def get(self) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Content-Security-Policy", SANDBOX_CSP)
        self.set_header("Cache-Control", "public, max-age=3600")
        self.set_header("Referrer-Policy", "no-referrer")
        self.finish(SANDBOX_PAGE)


class StaticHandler(web.StaticFileHandler):
    """The UI's assets, without authentication; hashed names are cached for a year."""

    def initialize(self, services: Services) -> None:  # type: ignore[override]
        super().initialize(path=os.fspath(STATIC_DIR))

    def set_default_headers(self) -> None:
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Cross-Origin-Resource-Policy", "same-origin")

    def get_cache_time(self, path: str, modified: Any, mime_type: str) -> int:
        # build.mjs names every bundle file name-HASH.ext; only manifest.json keeps its name.
        return 0 if path == "manifest.json" else self.CACHE_MAX_AGE

    def set_extra_headers(self, path: str) -> None:
        if path == "manifest.json":
            self.set_header("Cache-Control", "no-cache")
        else:
            self.set_header("Cache-Control", f"public, max-age={self.CACHE_MAX_AGE}, immutable")

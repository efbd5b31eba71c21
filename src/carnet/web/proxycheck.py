"""``<base_url>proxy-check``: does a WebSocket get through the proxy in front, and if not, why.

The page shows what the server saw of the request (Host, scheme, forwarded headers)
next to what the browser sees, then opens a WebSocket to ``proxy-check/ws``, which
answers ``pong`` to ``ping``. Its script is a fixed file served from here, since the
pages' Content-Security-Policy forbids inline script.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from carnet.web.base import SocketHandler, scheme_of
from carnet.web.pages import PageHandler, json_for_html

if TYPE_CHECKING:
    from carnet.services import Services

SCRIPT = r"""
"use strict";
(() => {
  const config = JSON.parse(document.getElementById("proxy-check-config").textContent);
  const out = document.getElementById("proxy-check-result");
  const advice = document.getElementById("proxy-check-advice");
  const say = (list, text) => {
    const li = document.createElement("li");
    li.textContent = text;
    list.appendChild(li);
  };
  const tips = [];
  if (!location.pathname.startsWith(config.baseUrl)) {
    tips.push(`The address ${location.pathname} is not under carnet's base URL ` +
      `${config.baseUrl}: start carnet with --base-url set to the prefix the proxy forwards.`);
  }
  if (config.host !== location.host) {
    tips.push(`The proxy sends Host "${config.host}" but your browser uses "${location.host}": ` +
      "forward the browser's Host header (nginx: proxy_set_header Host $http_host;).");
  }
  const browserScheme = location.protocol.replace(":", "");
  if (browserScheme !== config.scheme) {
    tips.push(`carnet sees ${config.scheme} but your browser uses ${browserScheme}: send ` +
      "X-Forwarded-Proto from the proxy (nginx: proxy_set_header X-Forwarded-Proto $scheme;) " +
      "and start carnet with --behind-proxy.");
  }
  const wsTips = [
    "The proxy must pass WebSocket upgrades. For nginx, in the location block:",
    "proxy_http_version 1.1;",
    "proxy_set_header Upgrade $http_upgrade;",
    "proxy_set_header Connection \"upgrade\";",
    "proxy_read_timeout 1d;  (so idle notebooks are not cut off)",
  ];
  const finish = (ok, text) => {
    out.textContent = text;
    out.className = ok ? "ok" : "error";
    for (const tip of ok ? tips : tips.concat(wsTips)) say(advice, tip);
    if (!advice.childElementCount) say(advice, "Nothing to change.");
    document.body.dataset.result = ok ? "ok" : "failed";
  };
  const wsUrl = (browserScheme === "https" ? "wss://" : "ws://") + location.host +
    config.baseUrl + "proxy-check/ws";
  let done = false;
  let socket;
  try {
    socket = new WebSocket(wsUrl);
  } catch (err) {
    finish(false, `WebSockets cannot be opened here: ${err}`);
    return;
  }
  const timer = setTimeout(() => {
    if (done) return;
    done = true;
    socket.close();
    finish(false, "No WebSocket answer within 10 seconds: the proxy holds it back.");
  }, 10000);
  socket.onopen = () => socket.send("ping");
  socket.onmessage = (event) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    socket.close();
    finish(event.data === "pong", event.data === "pong"
      ? "WebSockets get through: notebooks and kernels will work."
      : `Unexpected answer over the WebSocket: ${event.data}`);
  };
  socket.onerror = () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    finish(false, "The WebSocket was refused or cut: the proxy does not pass it through.");
  };
})();
"""


class ProxyCheckHandler(PageHandler):
    """The check page: what the server saw, and the script that tries a WebSocket."""

    def get(self) -> None:
        headers = self.request.headers
        seen = {
            "baseUrl": self.services.base_url,
            "host": headers.get("Host", ""),
            "scheme": scheme_of(self.services, self.request),
        }
        rows = [
            ("Host header carnet received", seen["host"]),
            ("Scheme carnet believes", seen["scheme"]),
            ("X-Forwarded-Proto", headers.get("X-Forwarded-Proto", "(none)")),
            ("X-Forwarded-For", headers.get("X-Forwarded-For", "(none)")),
            ("--behind-proxy", "on" if self.services.settings.auth.behind_proxy else "off"),
            ("Base URL", self.services.base_url),
        ]
        table = "".join(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows
        )
        script = html.escape(self.services.base_url + "proxy-check.js")
        self.render_page(
            "Proxy check · carnet",
            '<main class="notice"><h1>Does your proxy pass WebSockets?</h1>'
            '<p id="proxy-check-result">Checking…</p>'
            '<h2>What to change</h2><ul id="proxy-check-advice"></ul>'
            f"<h2>What carnet saw</h2><table>{table}</table></main>"
            '<script type="application/json" id="proxy-check-config">'
            f"{json_for_html(seen)}</script>"
            f'<script src="{script}"></script>'
            "<noscript>The check needs JavaScript.</noscript>",
        )


class ProxyCheckScriptHandler(PageHandler):
    """The page's script; public, like the other static assets."""

    requires_auth = False
    login_redirect = False

    def get(self) -> None:
        self.set_header("Content-Type", "text/javascript; charset=utf-8")
        self.set_header("Cache-Control", "no-cache")
        self.finish(SCRIPT)


class ProxyCheckSocketHandler(SocketHandler):
    """Answers ``pong`` to ``ping``: proof that WebSocket frames make the round trip."""

    services: Services

    def on_message(self, message: str | bytes) -> None:
        if message == "ping":
            self.write_message("pong")

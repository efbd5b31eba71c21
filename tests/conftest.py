"""Fixtures shared by every test: a real carnet server on a free loopback port."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

TOKEN = "test-token-0123456789abcdef"
URL_LINE = re.compile(r"^\s+((https?)://127\.0\.0\.1:(\d+)\S*)$")


@dataclass
class RunningServer:
    """A carnet process started by a test, and an HTTP client that sends its token."""

    proc: subprocess.Popen[str]
    root: Path
    port: int
    token: str
    base_url: str
    output: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None
    scheme: str = "http"
    #: The server's own $XDG_STATE_HOME and $XDG_CONFIG_HOME (login sessions, certificates).
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{self.base_url}"

    @property
    def ws_url(self) -> str:
        ws = "wss" if self.scheme == "https" else "ws"
        return f"{ws}://127.0.0.1:{self.port}{self.base_url}"

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"token {self.token}"},
            timeout=60,
            **kwargs,  # type: ignore[arg-type]
        )

    def log(self) -> str:
        return "".join(self.output)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Signal the server, wait for it, and release its output pipe."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait(timeout=10)
        if self.reader is not None:
            self.reader.join(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return code


def start_server(
    root: Path,
    *extra: str,
    token: str = TOKEN,
    base_url: str = "/",
    env: dict[str, str] | None = None,
    home: Path | None = None,
    timeout: float = 30,
) -> RunningServer:
    """Start ``python -m carnet serve ROOT`` on a free port; wait until it prints its URL.

    Unless ``env`` says otherwise, the server keeps its state and config beside ``root``
    (``.xdg-<root name>/``), never in the real home: the same root means the same state,
    as for one person restarting carnet.
    """
    full_env = {k: v for k, v in os.environ.items() if k != "SSH_CONNECTION"}
    xdg = root.parent / f".xdg-{root.name}"
    own_env = {
        "XDG_STATE_HOME": str(xdg / "state"),
        "XDG_CONFIG_HOME": str(xdg / "config"),
    }
    own_env.update(env or {})
    full_env.update(own_env)
    if home is not None:
        full_env.update(
            HOME=str(home),
            JUPYTER_DATA_DIR=str(home / ".local/share/jupyter"),
            JUPYTER_RUNTIME_DIR=str(home / ".local/share/jupyter/runtime"),
            JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
            IPYTHONDIR=str(home / ".ipython"),
        )
    cmd = [
        sys.executable,
        "-m",
        "carnet",
        "serve",
        str(root),
        "--port",
        "0",
        "--token",
        token,
        "--no-browser",
        "--base-url",
        base_url,
        *extra,
    ]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=full_env,
        start_new_session=True,
    )
    assert proc.stdout is not None
    output: list[str] = []
    port: list[int] = []
    scheme: list[str] = []
    ready = threading.Event()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            output.append(line)
            m = URL_LINE.match(line.rstrip("\n"))
            if m and not port:
                scheme.append(m.group(2))
                port.append(int(m.group(3)))
                ready.set()
        ready.set()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout
    while not ready.wait(0.05):
        if time.monotonic() > deadline:
            break
    if not port:
        proc.kill()
        proc.wait(timeout=10)
        reader.join(timeout=10)
        proc.stdout.close()
        raise RuntimeError("carnet did not start; its output:\n" + "".join(output))
    return RunningServer(
        proc=proc,
        root=root,
        port=port[0],
        token=token,
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        output=output,
        reader=reader,
        scheme=scheme[0],
        env={k: own_env[k] for k in ("XDG_STATE_HOME", "XDG_CONFIG_HOME")},
    )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    """A fresh server on an empty root directory; its log is printed if the test fails."""
    root = tmp_path / "root"
    root.mkdir()
    srv = start_server(root)
    yield srv
    srv.stop()
    sys.stdout.write(srv.log())


BROWSER_FIXTURES = frozenset({"page", "context", "browser", "browser_type", "playwright"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the tests that drive a browser last.

    Playwright's sync API keeps an event loop running in the main thread from the first
    browser test to the end of the session, and every later ``asyncio.run()`` would fail.
    """
    items.sort(key=lambda item: bool(BROWSER_FIXTURES & set(getattr(item, "fixturenames", ()))))

"""Build every service from Settings; ``async with open_services(settings)`` owns them.

The services are plain async Python objects. The web layer receives the one
``Services`` value and calls into it; nothing here knows about HTTP.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from carnet.auth.setup import AuthServices, build_auth
from carnet.contents import ContentStore, make_store
from carnet.documents.service import DocumentService
from carnet.kernels import KernelService
from carnet.sessions import SessionService
from carnet.settings import Settings, default_state_dir, normalized_base_url


@dataclass
class Activity:
    """When the server last did something a user asked for, and how many clients are on."""

    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    last: datetime = field(default_factory=lambda: datetime.now(UTC))
    connections: int = 0
    _last_mono: float = field(default_factory=time.monotonic)

    def touch(self) -> None:
        now = time.monotonic()
        # datetime.now costs a syscall and an allocation: refresh at most every 50 ms.
        if now - self._last_mono > 0.05:
            self._last_mono = now
            self.last = datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    contents: ContentStore
    kernels: KernelService
    sessions: SessionService
    activity: Activity
    documents: DocumentService
    auth: AuthServices

    @property
    def base_url(self) -> str:
        return normalized_base_url(self.settings.server.base_url)


@asynccontextmanager
async def open_services(settings: Settings, port: int | None = None) -> AsyncIterator[Services]:
    """Start every service; on exit, shut kernels down and close everything, in order.

    ``port`` is the port the server actually listens on, for services that announce it.
    """
    notifier = None
    if settings.notify.configured:
        from carnet.notify.watcher import make_server_notifier

        notifier = make_server_notifier(settings, port)
    root = settings.root
    contents = make_store(settings.contents, root)
    kernels = KernelService(settings.kernels, root, default_state_dir() / "kernels")
    await kernels.adopt()
    sessions = SessionService(kernels, default_state_dir() / "sessions.json")
    sessions.load()
    documents = DocumentService(settings.documents, contents, sessions, kernels)
    # Before the first request: the output of a resumed run arrives from now on.
    await documents.reattach()
    auth = build_auth(settings, default_state_dir())
    services = Services(
        settings=settings,
        contents=contents,
        kernels=kernels,
        sessions=sessions,
        activity=Activity(),
        documents=documents,
        auth=auth,
    )
    try:
        if notifier is not None:
            notifier.start(settings.notify.interval_minutes * 60)
        yield services
    finally:
        if notifier is not None:
            await notifier.aclose()
        # Open notebooks are written and their runs recorded before their kernels stop.
        try:
            await documents.aclose()
        finally:
            await kernels.aclose()

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

from carnet.contents import ContentStore, make_store
from carnet.kernels import KernelService
from carnet.sessions import SessionService
from carnet.settings import Settings, normalized_base_url


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

    @property
    def base_url(self) -> str:
        return normalized_base_url(self.settings.server.base_url)


@asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """Start every service; on exit, shut kernels down and close everything, in order."""
    root = settings.root
    contents = make_store(settings.contents, root)
    kernels = KernelService(settings.kernels, root)
    sessions = SessionService(kernels)
    services = Services(
        settings=settings,
        contents=contents,
        kernels=kernels,
        sessions=sessions,
        activity=Activity(),
    )
    try:
        yield services
    finally:
        await kernels.aclose()

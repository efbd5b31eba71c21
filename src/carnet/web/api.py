"""``/api``, ``/api/status``, ``/api/me`` and ``/api/spec.yaml``."""

from __future__ import annotations

from importlib import resources

import orjson

from carnet import __version__, errors
from carnet.web.base import BaseHandler

# Every resource of the Jupyter Server authorization model, all granted: the one user
# who holds the token or password owns the server.
RESOURCES = ("contents", "kernels", "kernelspecs", "sessions", "api", "server", "status")
ACTIONS = ("read", "write", "execute")


class ApiHandler(BaseHandler):
    def get(self) -> None:
        self.send_json({"version": __version__, "server": "carnet"})


class StatusHandler(BaseHandler):
    def get(self) -> None:
        activity = self.services.activity
        kernels = self.services.kernels.list()
        last = max(
            [activity.last, *(k.last_activity for k in kernels)],
        )
        self.send_json(
            {
                "started": activity.started,
                "last_activity": last,
                "connections": activity.connections,
                "kernels": len(kernels),
            }
        )


class MeHandler(BaseHandler):
    def get(self) -> None:
        identity = {
            "username": "carnet",
            "name": "carnet",
            "display_name": "carnet",
            "initials": "C",
            "avatar_url": None,
            "color": None,
        }
        model: dict[str, object] = {"identity": identity}
        raw = self.query("permissions")
        if raw is not None:
            try:
                wanted = orjson.loads(raw) if raw else {}
            except orjson.JSONDecodeError as exc:
                raise errors.InvalidInput("permissions must be a JSON object") from exc
            if not isinstance(wanted, dict) or not all(
                isinstance(v, list) and all(isinstance(a, str) for a in v) for v in wanted.values()
            ):
                raise errors.InvalidInput("permissions must map resource names to lists of actions")
            model["permissions"] = {
                resource: [a for a in actions if a in ACTIONS]
                for resource, actions in wanted.items()
            }
        self.send_json(model)


class SpecHandler(BaseHandler):
    def get(self) -> None:
        spec = resources.files("carnet.web").joinpath("api.yaml").read_bytes()
        self.set_header("Content-Type", "text/x-yaml")
        self.finish(spec)

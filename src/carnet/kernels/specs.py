"""Installed kernel specs, found on jupyter_client's search path.

Any kernel installed with ``python -m ipykernel install --user --name X`` (or by
IRkernel, IJulia, ...) appears here. jupyter_client is imported on first use only:
it costs more than the whole server's cold start.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carnet.errors import NotFound

log = logging.getLogger("carnet.kernels")

#: Files of a spec's directory that clients may fetch, besides the ``logo-*`` images.
RESOURCE_FILES = ("kernel.js", "kernel.css")


@dataclass(frozen=True)
class KernelSpecInfo:
    """One installed kernel spec: its name, its kernel.json and its resource files."""

    name: str
    spec: dict[str, Any]
    resource_dir: Path
    #: File names in ``resource_dir`` that clients may fetch (kernel.js, logo-64x64.png, ...).
    resources: tuple[str, ...]


class KernelSpecs:
    """The kernel specs installed on this machine, and which one is the default."""

    def __init__(self, default_name: str) -> None:
        self._default_name = default_name
        self._manager_obj: Any = None

    def manager(self) -> Any:
        """jupyter_client's KernelSpecManager, shared by every kernel this server starts."""
        if self._manager_obj is None:
            from jupyter_client.kernelspec import KernelSpecManager

            self._manager_obj = KernelSpecManager()
        return self._manager_obj

    def all(self) -> list[KernelSpecInfo]:
        """Every installed spec, sorted by name; unreadable specs are logged and left out."""
        found = self.manager().get_all_specs()
        specs = []
        for name in sorted(found):
            entry = found[name]
            specs.append(_info(name, entry["spec"], Path(entry["resource_dir"])))
        return specs

    def default(self, specs: list[KernelSpecInfo] | None = None) -> str:
        """The configured default spec when installed, else python3, else the first one."""
        names = [s.name for s in (specs if specs is not None else self.all())]
        for candidate in (self._default_name, "python3"):
            if candidate in names:
                return candidate
        return names[0] if names else self._default_name

    def get(self, name: str) -> KernelSpecInfo:
        """The spec called ``name``; NotFound when no such spec is installed."""
        from jupyter_client.kernelspec import NoSuchKernel

        try:
            spec = self.manager().get_kernel_spec(name)
        except NoSuchKernel:
            raise NotFound(f"no such kernel spec: {name}") from None
        except (OSError, ValueError) as exc:
            log.warning("kernel spec %s is unreadable: %s", name, exc)
            raise NotFound(f"kernel spec {name} cannot be read") from exc
        return _info(name, spec.to_dict(), Path(spec.resource_dir))

    def resource(self, name: str, resource: str) -> Path:
        """The file ``resource`` of spec ``name``, confined to the spec's resource directory."""
        info = self.get(name)
        if resource not in info.resources:
            raise NotFound(f"kernel spec {name} has no resource {resource}")
        base = info.resource_dir.resolve()
        path = (base / resource).resolve()
        if not path.is_relative_to(base) or not path.is_file():
            raise NotFound(f"kernel spec {name} has no resource {resource}")
        return path


def _info(name: str, spec: dict[str, Any], resource_dir: Path) -> KernelSpecInfo:
    try:
        names = sorted(p.name for p in resource_dir.iterdir() if p.is_file())
    except OSError:
        names = []
    resources = tuple(n for n in names if n in RESOURCE_FILES or n.startswith("logo-"))
    return KernelSpecInfo(name=name, spec=spec, resource_dir=resource_dir, resources=resources)

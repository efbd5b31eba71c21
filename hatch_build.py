"""Build the web UI (frontend/) into src/carnet/web/static/ when a wheel or sdist is built.

The built assets are not in git; they are built here when missing or older than their
sources, so `pip install .` and `pip install -e .` give a server with its UI. An sdist
carries the built files, so installing from it needs no Node. CARNET_SKIP_FRONTEND=1
skips the build (for Python-only work; pages then say the UI is not built).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

ROOT = Path(__file__).parent
FRONTEND = ROOT / "frontend"
MANIFEST = ROOT / "src" / "carnet" / "web" / "static" / "manifest.json"


def _newest_source() -> float:
    sources = [FRONTEND / "package-lock.json", FRONTEND / "build.mjs", FRONTEND / "tsconfig.json"]
    sources += [p for p in (FRONTEND / "src").rglob("*") if p.is_file()]
    return max(p.stat().st_mtime for p in sources if p.exists())


def _stale() -> bool:
    if not MANIFEST.exists():
        return True
    # An sdist has the built files but no frontend sources: nothing to rebuild from.
    if not (FRONTEND / "src").is_dir():
        return False
    return MANIFEST.stat().st_mtime < _newest_source()


def _run(*cmd: str) -> None:
    try:
        subprocess.run(cmd, cwd=FRONTEND, check=True)
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"building the web UI failed: `{' '.join(cmd)}` in frontend/") from exc


class FrontendBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if os.environ.get("CARNET_SKIP_FRONTEND") == "1" or not _stale():
            return
        if not (FRONTEND / "package.json").exists():
            raise RuntimeError(
                "the web UI is not built and frontend/ is missing; "
                "set CARNET_SKIP_FRONTEND=1 to install without it"
            )
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError(
                "building carnet's web UI needs Node.js 20+ and npm (install them, e.g. "
                "`apt-get install nodejs npm`), or set CARNET_SKIP_FRONTEND=1 to install "
                "without the UI"
            )
        if not (FRONTEND / "node_modules").is_dir():
            _run(npm, "ci", "--no-audit", "--no-fund")
        _run(npm, "run", "build")

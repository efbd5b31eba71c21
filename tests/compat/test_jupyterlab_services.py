"""@jupyterlab/services, the client library of JupyterLab and Notebook 7, drives carnet."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import RunningServer

HERE = Path(__file__).parent / "jlab"


@pytest.fixture(scope="module")
def jlab_client() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed to run @jupyterlab/services")
    if not (HERE / "node_modules").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=HERE,
            check=True,
            timeout=300,
            capture_output=True,
        )
    return HERE / "client.mjs"


def test_jupyterlab_services_client(server: RunningServer, jlab_client: Path) -> None:
    proc = subprocess.run(
        ["node", str(jlab_client), server.url, server.token],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert proc.returncode == 0, proc.stderr + proc.stdout
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["defaultSpec"] == "python3"
    assert "python3" in seen["specNames"]
    assert seen["untitled"] == "Untitled.ipynb"
    assert seen["nbformat"] == 4
    assert seen["renamed"] == "compat.ipynb"
    assert seen["replyStatus"] == "ok"
    assert seen["outputs"] == ["2\n", "42"]
    assert seen["language"] == "python"
    assert seen["afterRestart"] == "ok"
    assert seen["sessions"] == ["compat.ipynb"]
    assert seen["kernelsAfter"] == 0
    assert not (server.root / "compat.ipynb").exists()

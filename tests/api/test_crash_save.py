"""A server killed at any moment of a save leaves the old notebook or the new one, whole."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import nbformat

from tests.conftest import RunningServer, start_server

ROUNDS = 10


def big_notebook(tag: str, cells: int = 600) -> dict[str, Any]:
    """A notebook of a few MB whose every cell says which version it is."""
    nb = nbformat.v4.new_notebook()
    for i in range(cells):
        cell = nbformat.v4.new_code_cell(f"# version {tag}\nx = {i}")
        cell.id = f"c{i}"
        text = "".join(f"{tag} {i} {j} " + "y" * 60 + "\n" for j in range(80))
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
        nb.cells.append(cell)
    return json.loads(json.dumps(nb))


def file_bytes(nb: dict[str, Any]) -> bytes:
    return (nbformat.writes(nbformat.from_dict(nb)) + "\n").encode()


def test_killed_mid_save_leaves_old_or_new(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    versions = {tag: big_notebook(tag) for tag in "AB"}
    payloads = {
        tag: json.dumps({"type": "notebook", "content": nb}).encode()
        for tag, nb in versions.items()
    }
    expected = {tag: file_bytes(nb) for tag, nb in versions.items()}
    assert len(expected["A"]) > 3_000_000
    target = root / "big.ipynb"
    target.write_bytes(expected["A"])
    current = "A"
    save_time = 0.0
    outcomes: list[str] = []

    for round_number in range(ROUNDS):
        server = start_server(root)
        try:
            with server.client() as c:
                names = [m["name"] for m in c.get("api/contents").json()["content"]]
                assert names == ["big.ipynb"], server.log()
            new = "B" if current == "A" else "A"
            errors: list[BaseException] = []

            def put(
                srv: RunningServer = server, tag: str = new, errors: list[BaseException] = errors
            ) -> None:
                try:
                    with httpx.Client(
                        base_url=srv.url,
                        timeout=60,
                        headers={"Authorization": f"token {srv.token}"},
                    ) as client:
                        client.put("api/contents/big.ipynb", content=payloads[tag])
                except httpx.HTTPError as exc:
                    errors.append(exc)

            started = time.monotonic()
            if round_number == 0:
                # A whole save, to learn how long one takes on this machine.
                put()
                save_time = time.monotonic() - started
                assert not errors
                server.stop(signal.SIGKILL)
            else:
                thread = threading.Thread(target=put)
                thread.start()
                # Spread the kill over the save: from the upload to the final rename.
                time.sleep(save_time * 1.3 * round_number / ROUNDS)
                server.stop(signal.SIGKILL)
                thread.join(timeout=60)
                assert not thread.is_alive()
        finally:
            server.stop(signal.SIGKILL)
        data = target.read_bytes()
        if data == expected[new]:
            outcomes.append("new")
            current = new
        else:
            assert data == expected[current], f"round {round_number}: a torn file"
            outcomes.append("old")
        nbformat.reads(data.decode(), as_version=4)
        leftovers = [n for n in os.listdir(root) if n != "big.ipynb"]
        assert all(n.startswith(".~carnet-") for n in leftovers), leftovers
    print("outcomes:", outcomes, "save time", round(save_time, 3))
    assert outcomes[0] == "new"

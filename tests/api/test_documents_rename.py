"""An open notebook renamed, moved or deleted through the REST API."""

from __future__ import annotations

import time
from pathlib import Path

from tests.api.test_documents import (
    cell_text,
    client,
    notebook,
    poll,
    read_notebook,
    running,
    write_notebook,
)


def test_renamed_open_notebook_keeps_working_at_its_new_path(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    write_notebook(root / "a.ipynb", notebook("print('first')", "x = 1"))
    with (
        running(root, tmp_path / "state") as srv,
        client(srv, "a.ipynb", "ws") as a,
        client(srv, "a.ipynb", "sse") as b,
        srv.client() as http,
    ):
        assert a.run(["cell0"], 60)
        assert a.wait_acked(a.set_source("cell1", "x = 2  # before the move"), 10)
        r = http.patch("/api/contents/a.ipynb", json={"path": "sub/b.ipynb"})
        assert r.status_code == 200, r.text
        assert r.json()["path"] == "sub/b.ipynb"
        assert a.wait_for(lambda: a.path == "sub/b.ipynb", 10)
        assert b.wait_for(lambda: b.path == "sub/b.ipynb", 10)

        # Both clients go on editing and running; the file at the new path gets it all.
        assert b.wait_acked(b.set_source("cell1", "x = 3  # after the move"), 10)
        assert a.wait_for(lambda: a.source("cell1") == "x = 3  # after the move", 10)
        assert a.run(["cell0"], 60)
        assert a.text("cell0") == "first\n"

        def written() -> bool:
            if not (root / "sub/b.ipynb").exists():
                return False
            nb = read_notebook(root / "sub/b.ipynb")
            source = "".join(nb["cells"][1]["source"])
            return source == "x = 3  # after the move" and cell_text(nb, "cell0") == "first\n"

        assert poll(written, 15)
        time.sleep(1)
        assert not (root / "a.ipynb").exists(), "something wrote to the old path"
        sessions = http.get("/api/sessions").json()
        assert [s["path"] for s in sessions] == ["sub/b.ipynb"]

        # A client that reconnects asks for the new path and finds everything.
        a.close()
        a.connect()
        assert a.source("cell1") == "x = 3  # after the move"
        assert http.get("/api/contents/a.ipynb").status_code == 404

    # Reopened by a new server at its new path, nothing was lost.
    with running(root, tmp_path / "state") as again, client(again, "sub/b.ipynb") as c:
        assert c.source("cell1") == "x = 3  # after the move"
        assert c.text("cell0") == "first\n"
    assert not (root / "a.ipynb").exists()


def test_moving_the_directory_moves_the_notebooks_in_it(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "old").mkdir(parents=True)
    write_notebook(root / "old/n.ipynb", notebook("y = 1"))
    with (
        running(root, tmp_path / "state") as srv,
        client(srv, "old/n.ipynb") as a,
        srv.client() as http,
    ):
        r = http.patch("/api/contents/old", json={"path": "new"})
        assert r.status_code == 200, r.text
        assert a.wait_for(lambda: a.path == "new/n.ipynb", 10)
        assert a.wait_acked(a.set_source("cell0", "y = 2"), 10)
        assert poll(
            lambda: "".join(read_notebook(root / "new/n.ipynb")["cells"][0]["source"]) == "y = 2",
            15,
        )
        assert not (root / "old").exists()


def test_deleted_open_notebook_is_closed_and_never_written_again(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    path = root / "gone.ipynb"
    write_notebook(path, notebook("z = 1"))
    with (
        running(root, tmp_path / "state") as srv,
        client(srv, "gone.ipynb", "ws") as a,
        client(srv, "gone.ipynb", "sse") as b,
        srv.client() as http,
    ):
        # An edit not yet written (autosave comes later) when the file is deleted.
        assert a.wait_acked(a.set_source("cell0", "z = 2  # unsaved"), 10)
        r = http.delete("/api/contents/gone.ipynb")
        assert r.status_code == 204, r.text
        assert a.wait_for(lambda: a.deleted and not a.connected, 10)
        assert b.wait_for(lambda: b.deleted and not b.connected, 10)
        # Past the autosave delay and a file check: nothing brought the file back.
        time.sleep(4)
        assert not path.exists()
        assert http.get("/api/contents/gone.ipynb").status_code == 404
    assert not path.exists(), "closing the server wrote the deleted notebook"

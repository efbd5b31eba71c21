"""The document protocol when things go wrong: a killed server, a file changed by someone else."""

from __future__ import annotations

import json
import shutil
import signal
import sys
from pathlib import Path

from tests.api.test_documents import (
    cell_text,
    client,
    notebook,
    poll,
    print_lines,
    read_notebook,
    running,
    serve,
    write_notebook,
)


# -- 4. kill -9 during a run, start again ----------------------------------------------------
def test_killed_server_keeps_acknowledged_edits_and_received_outputs(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    state = tmp_path / "state"
    write_notebook(root / "crash.ipynb", notebook(print_lines(2000, 0.01), "x = 1"))
    srv = serve(root, state)
    try:
        with client(srv, "crash.ipynb") as a:
            edit = a.set_source("cell1", "x = 2  # acknowledged")
            assert a.wait_acked(edit, 10)
            a.execute(["cell0"])
            assert a.wait_for(lambda: "line 00100" in a.text("cell0"), 60)
            srv.stop(signal.SIGKILL)
            received = a.text("cell0")
    finally:
        srv.stop()
        sys.stdout.write(srv.log())
    assert received.startswith("line 00000\n")

    with running(root, state) as again, client(again, "crash.ipynb") as b:
        assert b.source("cell1") == "x = 2  # acknowledged"
        kept = b.text("cell0")
        assert kept.startswith(received), "an output the server had received was lost"
        assert kept.count("line 00000") == 1
        # The kernel outlived the server: the cell goes on to its end.
        assert b.wait_for(lambda: b.state("cell0") == "finished", 60)
        assert b.text("cell0").endswith("line 01999\n")
        assert not [o for o in b.outputs("cell0") if o["output_type"] == "error"]
        # Reopened, the notebook works: run the other cell.
        assert b.run(["cell1"], 60)
        assert b.state("cell1") == "finished"

        def written() -> bool:
            nb = read_notebook(root / "crash.ipynb")
            source = "".join(nb["cells"][1]["source"])
            return source == "x = 2  # acknowledged" and cell_text(nb, "cell0").startswith(received)

        # The file gets both, from the server alone.
        assert poll(written, 10)


# -- 5. another program changes the file while it is open ------------------------------------
def test_file_changed_on_disk_is_never_overwritten_silently(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    path = root / "shared.ipynb"
    write_notebook(path, notebook("a = 1"))
    with running(root, tmp_path / "state") as srv, client(srv, "shared.ipynb", "sse") as a:
        outside = notebook("a = 'from another program'")
        write_notebook(path, outside)
        assert a.wait_for(lambda: a.file_changed is not None, 10)
        ack = a.set_source("cell0", "a = 'mine'")
        assert a.wait_acked(ack, 10)
        a.save()
        assert a.wait_for(
            lambda: any("changed on disk" in m.get("message", "") for m in a.messages), 10
        )
        # Autosave is due within 2 s: the other program's file must still be there after it.
        assert not poll(lambda: json.loads(path.read_text()) != outside, 3)

        a.choose("keep")
        assert a.wait_for(lambda: a.file_changed is None, 10)
        resolved = next(a.iter_messages("file_resolved"))
        assert resolved["choice"] == "keep"
        beside = root / resolved["copy"]
        assert read_notebook(beside)["cells"][0]["source"] == outside["cells"][0]["source"]
        assert "".join(read_notebook(path)["cells"][0]["source"]) == "a = 'mine'"

        write_notebook(path, notebook("b = 'reload me'"))
        assert a.wait_for(lambda: a.file_changed is not None, 10)
        a.choose("reload")
        assert a.wait_for(lambda: a.source("cell0") == "b = 'reload me'", 10)
        assert a.wait_for(lambda: a.file_changed is None, 10)
        # Reloaded, the notebook is written again as usual.
        ack = a.set_source("cell0", "b = 'edited after reload'")
        assert a.wait_acked(ack, 10)
        assert poll(lambda: "edited after reload" in path.read_text(), 10)


def test_a_client_of_lost_state_is_reset_not_merged_into_duplicates(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    state = tmp_path / "state"
    write_notebook(root / "n.ipynb", notebook("a = 1", "b = 2"))
    with running(root, state) as srv, client(srv, "n.ipynb") as a:
        assert a.cell_ids() == ["cell0", "cell1"]
        old_epoch = a.epoch
        a.close()
        srv.stop()
        # The server's state is gone (a new machine, a wiped state directory).
        shutil.rmtree(state)
        with running(root, state) as again:
            a.base_url = again.url
            a.connect()
            assert a.epoch != old_epoch
            assert a.cell_ids() == ["cell0", "cell1"]
            assert a.source("cell0") == "a = 1"

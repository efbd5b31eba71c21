"""A client's replica of the outputs must end where the server's journal replay ends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from carnet.documents.journal import OutputJournal
from carnet.documents.replica import OutputsReplica

RECORDS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("a", "e1", "carnet.state", {"state": "queued"}),
    ("a", "e1", "execute_input", {"code": "x", "execution_count": 3}),
    ("a", "e1", "stream", {"name": "stdout", "text": "one\n"}),
    ("a", "e1", "stream", {"name": "stdout", "text": "two\n"}),
    ("a", "e1", "stream", {"name": "stderr", "text": "warn\n"}),
    (
        "a",
        "e1",
        "display_data",
        {"data": {"text/plain": "d1"}, "metadata": {}, "transient": {"display_id": "D"}},
    ),
    (
        "b",
        "e2",
        "display_data",
        {"data": {"text/plain": "d1"}, "metadata": {}, "transient": {"display_id": "D"}},
    ),
    (
        "a",
        "e1",
        "update_display_data",
        {"data": {"text/plain": "d2"}, "metadata": {}, "transient": {"display_id": "D"}},
    ),
    ("a", "e1", "clear_output", {"wait": True}),
    ("a", "e1", "stream", {"name": "stdout", "text": "after clear\n"}),
    (
        "a",
        "e1",
        "execute_result",
        {"data": {"text/plain": "3"}, "metadata": {}, "execution_count": 3},
    ),
    ("a", "e1", "execute_reply", {"status": "ok", "execution_count": 3}),
    ("c", "e3", "error", {"ename": "E", "evalue": "v", "traceback": ["t"]}),
    ("c", "e3", "execute_reply", {"status": "error", "execution_count": 4}),
    ("c", "e4", "stream", {"name": "stdout", "text": "new run\n"}),
    ("b", "e2", "carnet.clear", {}),
]


def _comparable(outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keep = ("output_type", "name", "text", "data", "ename", "evalue", "traceback")
    return [{k: v for k, v in o.items() if k in keep} for o in outputs]


def test_replica_applies_records_like_the_journal(tmp_path: Path) -> None:
    journal = OutputJournal(tmp_path)
    replica = OutputsReplica()
    for cell_id, execution_id, msg_type, content in RECORDS:
        seq = journal.append(cell_id, execution_id, msg_type, content)
        replica.apply(
            {
                "type": "output",
                "seq": seq,
                "cell_id": cell_id,
                "execution_id": execution_id,
                "msg_type": msg_type,
                "content": content,
            }
        )
    for cell_id in ("a", "b", "c"):
        assert _comparable(replica.outputs(cell_id)) == _comparable(journal.outputs(cell_id))
        run = journal.execution(cell_id)
        assert replica.cells[cell_id].state == run.state
        assert replica.cells[cell_id].execution_count == run.execution_count
    assert replica.last_seq == journal.last_seq
    assert [o["text"] for o in replica.outputs("a") if o["output_type"] == "stream"] == [
        "after clear\n"
    ]
    journal.close()

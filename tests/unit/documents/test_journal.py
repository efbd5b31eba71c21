"""OutputJournal on real files: exact replay, coalescing, states, torn tails, compaction."""

from __future__ import annotations

import asyncio
import struct
from pathlib import Path
from typing import Any

import pytest

from carnet.documents.framing import CorruptState
from carnet.documents.journal import FILE_NAME, OutputJournal
from carnet.errors import Conflict, InvalidInput, NotFound


def stream(text: str, name: str = "stdout") -> dict[str, Any]:
    return {"name": name, "text": text}


def display(text: str, display_id: str | None = None) -> dict[str, Any]:
    content: dict[str, Any] = {"data": {"text/plain": text}, "metadata": {}}
    if display_id is not None:
        content["transient"] = {"display_id": display_id}
    return content


def fill(journal: OutputJournal) -> None:
    journal.set_state("a", "x1", "queued")
    journal.append("a", "x1", "execute_input", {"code": "print(1)", "execution_count": 1})
    journal.append("a", "x1", "stream", stream("one\n"))
    journal.append("b", "x2", "stream", stream("b-out\n"))
    journal.append("a", "x1", "stream", stream("two\n"))
    journal.append("a", "x1", "execute_result", {**display("3"), "execution_count": 1})
    journal.append("a", "x1", "execute_reply", {"status": "ok", "execution_count": 1})


def test_read_from_gives_exactly_the_records_after_a_seq_across_reopen(tmp_path: Path) -> None:
    journal = OutputJournal(tmp_path)
    fill(journal)
    before = list(journal.read_from(0))
    journal.close()

    reopened = OutputJournal(tmp_path)
    records = list(reopened.read_from(0))
    assert records == before
    assert [r.seq for r in records] == list(range(1, 8))
    assert records[2].content == stream("one\n")
    assert records[3].cell_id == "b"
    for seq in range(8):
        assert [r.seq for r in reopened.read_from(seq)] == list(range(seq + 1, 8))
    # Appending after a reopen continues the numbering.
    assert reopened.append("b", "x2", "stream", stream("more\n")) == 8
    assert [r.content["text"] for r in reopened.read_from(7)] == ["more\n"]
    reopened.close()


def test_read_from_stops_at_the_last_record_of_the_call(tmp_path: Path) -> None:
    journal = OutputJournal(tmp_path)
    fill(journal)
    records = journal.read_from(5)
    journal.append("a", "x1", "stream", stream("late\n"))
    assert [r.seq for r in records] == [6, 7]
    assert [r.seq for r in journal.read_from(7)] == [8]
    journal.close()


def test_streams_are_coalesced_per_name_and_broken_by_other_outputs(tmp_path: Path) -> None:
    journal = OutputJournal(tmp_path)
    for msg_type, content in [
        ("stream", stream("a")),
        ("stream", stream("b\n")),
        ("stream", stream("warn\n", "stderr")),
        ("stream", stream("c\n")),
        ("stream", stream("d\n")),
        ("display_data", display("pic")),
        ("stream", stream("e\n")),
    ]:
        journal.append("c", "x", msg_type, content)
    expected = [
        {"output_type": "stream", "name": "stdout", "text": "ab\n"},
        {"output_type": "stream", "name": "stderr", "text": "warn\n"},
        {"output_type": "stream", "name": "stdout", "text": "c\nd\n"},
        {"output_type": "display_data", "data": {"text/plain": "pic"}, "metadata": {}},
        {"output_type": "stream", "name": "stdout", "text": "e\n"},
    ]
    assert journal.outputs("c") == expected
    journal.close()
    assert OutputJournal(tmp_path).outputs("c") == expected


def test_execution_states_and_counts(tmp_path: Path) -> None:
    journal = OutputJournal(tmp_path)
    assert journal.execution("a").state == "idle"
    journal.set_state("a", "x1", "queued")
    assert journal.execution("a").state == "queued"
    journal.append("a", "x1", "execute_input", {"code": "", "execution_count": 4})
    assert (journal.execution("a").state, journal.execution("a").execution_count) == ("running", 4)
    journal.append("a", "x1", "error", {"ename": "E", "evalue": "v", "traceback": ["t"]})
    journal.append("a", "x1", "execute_reply", {"status": "error", "execution_count": 4})
    state = journal.execution("a")
    assert (state.execution_id, state.state, state.execution_count) == ("x1", "error", 4)
    assert journal.outputs("a") == [
        {"output_type": "error", "ename": "E", "evalue": "v", "traceback": ["t"]}
    ]
    with pytest.raises(InvalidInput):
        journal.set_state("a", "x1", "sleeping")
    journal.close()
    assert OutputJournal(tmp_path).execution("a") == state


def test_new_execution_and_clears_replace_outputs_exactly_on_replay(tmp_path: Path) -> None:
    journal = OutputJournal(tmp_path)
    journal.append("a", "x1", "stream", stream("old\n"))
    journal.append("a", "x2", "stream", stream("new\n"))
    assert journal.outputs("a") == [{"output_type": "stream", "name": "stdout", "text": "new\n"}]
    journal.clear("a")
    assert journal.outputs("a") == []
    journal.append("b", "y", "stream", stream("1\n"))
    journal.append("b", "y", "clear_output", {"wait": True})
    # A waiting clear keeps the old output until the next one arrives.
    assert journal.outputs("b") != []
    journal.append("b", "y", "stream", stream("2\n"))
    assert journal.outputs("b") == [{"output_type": "stream", "name": "stdout", "text": "2\n"}]
    journal.append("b", "y", "clear_output", {"wait": False})
    assert journal.outputs("b") == []
    journal.append("b", "y", "stream", stream("3\n"))
    journal.close()
    reopened = OutputJournal(tmp_path)
    assert reopened.outputs("a") == []
    assert reopened.outputs("b") == [{"output_type": "stream", "name": "stdout", "text": "3\n"}]
    reopened.close()


def test_update_display_data_changes_the_output_with_that_display_id(tmp_path: Path) -> None:
    journal = OutputJournal(tmp_path)
    journal.append("a", "x", "display_data", display("0%", "bar"))
    journal.append("a", "x", "display_data", display("other"))
    journal.append("b", "y", "update_display_data", display("100%", "bar"))
    expected = [
        {"output_type": "display_data", "data": {"text/plain": "100%"}, "metadata": {}},
        {"output_type": "display_data", "data": {"text/plain": "other"}, "metadata": {}},
    ]
    assert journal.outputs("a") == expected
    journal.compact()
    assert journal.outputs("a") == expected
    journal.close()
    assert OutputJournal(tmp_path).outputs("a") == expected


def record_starts(data: bytes) -> list[int]:
    """Where each record begins in a journal file (after the 8-byte magic)."""
    starts, pos = [], 8
    while pos < len(data):
        starts.append(pos)
        pos += 8 + struct.unpack_from("<I", data, pos)[0]
    return starts


@pytest.mark.parametrize("cut", [1, 4, 7, 9, 20, -1])
def test_a_torn_last_record_is_dropped_and_the_rest_kept(tmp_path: Path, cut: int) -> None:
    journal = OutputJournal(tmp_path)
    fill(journal)
    journal.close()
    path = tmp_path / FILE_NAME
    data = path.read_bytes()
    last = record_starts(data)[-1]
    # A partial write of the last record: header only in part, header without body, ...
    path.write_bytes(data[: last + cut] if cut > 0 else data[:-1])

    reopened = OutputJournal(tmp_path)
    assert [r.seq for r in reopened.read_from(0)] == list(range(1, 7))
    assert reopened.execution("a").state == "running"
    assert path.stat().st_size == last
    assert reopened.append("a", "x1", "stream", stream("after\n")) == 7
    reopened.close()
    again = OutputJournal(tmp_path)
    assert [r.seq for r in again.read_from(0)] == list(range(1, 8))
    assert again.outputs("a")[-1] == {"output_type": "stream", "name": "stdout", "text": "after\n"}
    again.close()


def test_a_flipped_bit_in_the_last_record_drops_it(tmp_path: Path) -> None:
    journal = OutputJournal(tmp_path)
    fill(journal)
    journal.close()
    path = tmp_path / FILE_NAME
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x01
    path.write_bytes(bytes(data))
    reopened = OutputJournal(tmp_path)
    assert [r.seq for r in reopened.read_from(0)] == list(range(1, 7))
    reopened.close()


def test_garbage_after_the_last_record_is_dropped(tmp_path: Path) -> None:
    journal = OutputJournal(tmp_path)
    fill(journal)
    journal.close()
    path = tmp_path / FILE_NAME
    size = path.stat().st_size
    with path.open("ab") as f:
        f.write(b"\x10\x00\x00\x00garbage-that-is-not-a-record")
    reopened = OutputJournal(tmp_path)
    assert [r.seq for r in reopened.read_from(0)] == list(range(1, 8))
    assert path.stat().st_size == size
    reopened.close()


def test_a_file_that_is_not_a_journal_is_refused(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_bytes(b"{not a journal at all}")
    with pytest.raises(CorruptState):
        OutputJournal(tmp_path)


def test_flush_makes_every_record_durable(tmp_path: Path) -> None:
    async def run() -> tuple[int, int]:
        journal = OutputJournal(tmp_path, fsync_interval=60)
        for i in range(50):
            journal.append("a", "x", "stream", stream(f"{i}\n"))
        before = journal.durable_seq
        await journal.flush()
        after = journal.durable_seq
        await journal.aclose()
        return before, after

    before, after = asyncio.run(run())
    assert before < 50
    assert after == 50


def test_records_are_fsynced_within_the_interval_without_flush(tmp_path: Path) -> None:
    async def run() -> int:
        journal = OutputJournal(tmp_path, fsync_interval=0.05)
        journal.append("a", "x", "stream", stream("x\n"))
        for _ in range(100):
            if journal.durable_seq == 1:
                break
            await asyncio.sleep(0.02)
        durable = journal.durable_seq
        await journal.aclose()
        return durable

    assert asyncio.run(run()) == 1


def test_compaction_keeps_current_outputs_and_numbering(tmp_path: Path) -> None:
    journal = OutputJournal(tmp_path)
    for run in range(5):
        journal.set_state("a", f"x{run}", "queued")
        for i in range(200):
            journal.append("a", f"x{run}", "stream", stream(f"run {run} line {i}\n"))
        journal.append("a", f"x{run}", "execute_reply", {"status": "ok", "execution_count": run})
    journal.append("b", "y", "stream", stream("big\n" * 1000))
    journal.clear("b")
    journal.append("b", "y", "stream", stream("small\n"))
    outputs = {c: journal.outputs(c) for c in ("a", "b")}
    states = {c: journal.execution(c) for c in ("a", "b")}
    last = journal.last_seq
    size = journal.disk_size()

    journal.compact()
    assert journal.disk_size() < size / 4
    assert {c: journal.outputs(c) for c in ("a", "b")} == outputs
    assert {c: journal.execution(c) for c in ("a", "b")} == states
    assert journal.last_seq == last
    assert journal.append("b", "y", "stream", stream("next\n")) == last + 1
    # A client that saw everything up to the end still gets exactly what is new.
    assert [r.seq for r in journal.read_from(last)] == [last + 1]
    with pytest.raises(Conflict):
        list(journal.read_from(1))
    journal.close()

    reopened = OutputJournal(tmp_path)
    assert reopened.last_seq == last + 1
    assert reopened.execution("a") == states["a"]
    assert reopened.outputs("a") == outputs["a"]
    reopened.close()


def test_no_output_and_bad_ranges_are_errors(tmp_path: Path) -> None:
    journal = OutputJournal(tmp_path)
    journal.append("a", "x", "stream", stream("hello\n"))
    with pytest.raises(NotFound):
        journal.view("a", 1)
    with pytest.raises(NotFound):
        journal.read_range("nope", 0, 0, 1)
    with pytest.raises(InvalidInput):
        journal.read_range("a", 0, 3, 1)
    assert journal.read_range("a", 0, 1, 4) == b"ell"
    assert journal.read_range("a", 0, 4, 100) == b"o\n"
    journal.close()


def test_a_closed_journal_refuses_appends(tmp_path: Path) -> None:
    journal = OutputJournal(tmp_path)
    journal.append("a", "x", "stream", stream("early\n"))
    journal.close()
    with pytest.raises(Conflict):
        journal.append("a", "x", "stream", stream("late\n"))
    assert [r.content["text"] for r in OutputJournal(tmp_path).read_from(0)] == ["early\n"]


def test_malformed_messages_are_recorded_without_breaking_the_journal(tmp_path: Path) -> None:
    journal = OutputJournal(tmp_path)
    journal.append("a", "x", "carnet.state", {"state": 5})
    journal.append("a", "x", "execute_input", {"execution_count": "seven"})
    journal.append("a", "x", "update_display_data", {"transient": {"display_id": ["no"]}})
    journal.append("a", "x", "status", {"execution_state": "busy"})
    journal.append("a", "x", "stream", stream("ok\n"))
    journal.close()
    reopened = OutputJournal(tmp_path)
    assert [r.msg_type for r in reopened.read_from(0)][-1] == "stream"
    assert reopened.execution("a").execution_count is None
    assert reopened.outputs("a") == [{"output_type": "stream", "name": "stdout", "text": "ok\n"}]
    reopened.close()

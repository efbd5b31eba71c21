"""A huge output is kept whole on disk, costs little memory, and is served in bounded pieces."""

from __future__ import annotations

from pathlib import Path

from carnet.documents.journal import OutputJournal

CHUNK = 64 * 1024
CHUNKS = 763  # 763 x 64 KiB: a 50 MB burst


def chunk(i: int) -> str:
    return (f"{i:08d}" * (CHUNK // 8))[: CHUNK - 1] + "\n"


def expected_range(start: int, end: int) -> bytes:
    out = []
    for i in range(start // CHUNK, (end - 1) // CHUNK + 1):
        piece = chunk(i).encode()
        lo = max(start - i * CHUNK, 0)
        hi = min(end - i * CHUNK, CHUNK)
        out.append(piece[lo:hi])
    return b"".join(out)


def rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def test_a_50_mb_output_is_kept_completely_with_bounded_memory(tmp_path: Path) -> None:
    journal = OutputJournal(tmp_path)
    journal.set_state("big", "x", "running")
    before = rss_bytes()
    for i in range(CHUNKS):
        journal.append("big", "x", "stream", {"name": "stdout", "text": chunk(i)})
    grown = rss_bytes() - before
    total = CHUNKS * CHUNK
    # Holding the output in memory would cost 50 MB and more; the index costs kilobytes.
    assert grown < 16 * 1024 * 1024, grown
    assert journal.output_size("big", 0) == total

    view = journal.view("big", 0, limit=16 * 1024)
    assert view["truncated"] is True
    assert view["size"] == total
    assert view["output"] == {"output_type": "stream", "name": "stdout"}
    assert view["head"].encode() == expected_range(0, 16 * 1024)
    assert view["tail"].encode() == expected_range(total - 16 * 1024, total)

    for start, end in [(0, 10), (CHUNK - 5, CHUNK + 5), (1234567, 7654321), (total - 3, total)]:
        assert journal.read_range("big", 0, start, end) == expected_range(start, end)
    assert journal.read_range("big", 0, total - 3, total + 100) == expected_range(total - 3, total)
    journal.close()

    reopened = OutputJournal(tmp_path)
    assert reopened.output_size("big", 0) == total
    assert reopened.read_range("big", 0, 5_000_000, 5_100_000) == expected_range(
        5_000_000, 5_100_000
    )
    [whole] = reopened.outputs("big")
    assert len(whole["text"]) == total
    assert whole["text"].endswith(chunk(CHUNKS - 1))
    reopened.close()


def test_200000_lines_coalesce_into_one_output_served_as_a_view(tmp_path: Path) -> None:
    journal = OutputJournal(tmp_path)
    before = rss_bytes()
    for i in range(200_000):
        journal.append("c", "x", "stream", {"name": "stdout", "text": f"line {i}\n"})
    grown = rss_bytes() - before
    text = "".join(f"line {i}\n" for i in range(200_000)).encode()
    assert grown < 32 * 1024 * 1024, grown
    assert journal.output_size("c", 0) == len(text)
    view = journal.view("c", 0, limit=1000)
    assert view["truncated"] is True
    assert view["head"].encode() == text[:1000]
    assert view["tail"].encode() == text[-1000:]
    assert journal.read_range("c", 0, 500_000, 600_000) == text[500_000:600_000]
    journal.close()


def test_a_small_output_view_is_the_output_itself(tmp_path: Path) -> None:
    journal = OutputJournal(tmp_path)
    journal.append("c", "x", "stream", {"name": "stdout", "text": "héllo\n"})
    journal.append("c", "x", "display_data", {"data": {"text/plain": "x"}, "metadata": {}})
    assert journal.view("c", 0) == {
        "truncated": False,
        "size": len("héllo\n".encode()),
        "output": {"output_type": "stream", "name": "stdout", "text": "héllo\n"},
    }
    assert journal.view("c", 1)["output"]["data"] == {"text/plain": "x"}
    # A view cut inside a multi-byte character drops the broken half, nothing else.
    view = journal.view("c", 0, limit=2)
    assert view["truncated"] is True
    assert (view["head"], view["tail"]) == ("h", "o\n")
    journal.close()


def test_a_huge_rich_output_is_kept_and_readable(tmp_path: Path) -> None:
    journal = OutputJournal(tmp_path)
    big = "x" * (3 * 1024 * 1024)
    content = {"data": {"text/plain": big}, "metadata": {}, "execution_count": 2}
    journal.append("c", "x", "execute_result", content)
    journal.close()
    reopened = OutputJournal(tmp_path)
    [out] = reopened.outputs("c")
    assert out == {
        "output_type": "execute_result",
        "data": {"text/plain": big},
        "metadata": {},
        "execution_count": 2,
    }
    view = reopened.view("c", 0, limit=1024)
    assert view["truncated"] is True
    assert view["size"] > len(big)
    assert view["head"].startswith('{"data":{"text/plain":"xxx')
    reopened.close()

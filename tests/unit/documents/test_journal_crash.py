"""A process appending to a journal is killed with SIGKILL: nothing acknowledged is lost."""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from carnet.documents.journal import OutputJournal

# The child appends messages of varied sizes (some big enough to be written in several
# pieces, so a kill can tear a record) and prints the durable seq after each flush.
CHILD = """
import asyncio, sys
from pathlib import Path
from carnet.documents.journal import OutputJournal

def text(i):
    size = (1, 300, 70_000, 5, 1_500_000)[i % 5]
    return (str(i) + ":" + "y" * size + "\\n")

async def main():
    journal = OutputJournal(Path(sys.argv[1]), fsync_interval=0.01)
    for i in range(1, 200_000):
        journal.append(f"c{i % 3}", "x", "stream", {"name": "stdout", "text": text(i)})
        if i % 7 == 0:
            await journal.flush()
            print(journal.durable_seq, flush=True)

asyncio.run(main())
"""


def text(i: int) -> str:
    size = (1, 300, 70_000, 5, 1_500_000)[i % 5]
    return str(i) + ":" + "y" * size + "\n"


def run_and_kill(directory: Path, rng: random.Random) -> int:
    """Start the child, kill it at a random moment; return the last acknowledged seq."""
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(directory)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    acked = 0
    try:
        wanted = rng.randint(1, 20)
        deadline = time.monotonic() + 30
        lines = 0
        buffer = b""
        while lines < wanted and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 1)
            if not ready:
                continue
            data = os.read(proc.stdout.fileno(), 4096)
            if not data:
                break
            buffer += data
            *done, buffer = buffer.split(b"\n")
            for line in done:
                acked = max(acked, int(line))
                lines += 1
        time.sleep(rng.random() * 0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        proc.stdout.close()
        assert proc.stderr is not None
        err = proc.stderr.read().decode()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, err
    assert acked > 0, "the child acknowledged nothing before it was killed"
    return acked


def test_sigkill_at_random_moments_leaves_a_prefix_with_every_acknowledged_record(
    tmp_path: Path,
) -> None:
    rng = random.Random(20261122)
    for round_ in range(5):
        directory = tmp_path / f"round{round_}"
        acked = run_and_kill(directory, rng)
        journal = OutputJournal(directory)
        records = list(journal.read_from(0))
        seqs = [r.seq for r in records]
        assert seqs == list(range(1, len(seqs) + 1))
        assert len(seqs) >= acked
        for record in records:
            assert record.content == {"name": "stdout", "text": text(record.seq)}
            assert record.cell_id == f"c{record.seq % 3}"
        # The reopened journal takes appends where the intact records end.
        assert journal.append("c0", "x", "stream", {"name": "stdout", "text": "z\n"}) == (
            len(seqs) + 1
        )
        journal.close()


# The child limits its own file size (RLIMIT_FSIZE), so that an append fails half way as
# on a full disk, then lifts the limit and goes on appending.
FULL_DISK_CHILD = """
import resource, signal, sys
from pathlib import Path
from carnet.documents.framing import CorruptState
from carnet.documents.journal import OutputJournal

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
journal = OutputJournal(Path(sys.argv[1]))
journal.append("c", "x", "stream", {"name": "stdout", "text": "before\\n"})
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (journal.disk_size() + 1000, hard))
try:
    journal.append("c", "x", "stream", {"name": "stdout", "text": "z" * 100_000})
except CorruptState:
    print("failed", flush=True)
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
journal.append("c", "x", "stream", {"name": "stdout", "text": "after\\n"})
journal.close()
"""


def test_a_failed_append_does_not_hide_the_records_after_it(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", FULL_DISK_CHILD, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "failed\n"
    journal = OutputJournal(tmp_path)
    texts = [r.content["text"] for r in journal.read_from(0)]
    assert texts == ["before\n", "after\n"]
    assert journal.outputs("c") == [
        {"output_type": "stream", "name": "stdout", "text": "before\nafter\n"}
    ]
    journal.close()

"""Runs: one execute request for one cell, and what is known of runs a dead server sent.

A run a server sent before it was killed can be resumed by the next one when its
kernel was adopted (``carnet.documents.execution``). Its ``execute_reply`` went to
the dead server's socket; what the journal holds stands in for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from carnet.documents.outputs import STATE

if TYPE_CHECKING:
    from carnet.documents.journal import OutputJournal
    from carnet.documents.live import OpenNotebook

#: Prefix of the journal cell id of a run that a newer run of the same cell replaced.
SUPERSEDED = "superseded:"

#: Kernel messages about a run that the journal records.
RECORDED = frozenset(
    {
        "stream",
        "display_data",
        "execute_result",
        "error",
        "update_display_data",
        "clear_output",
        "execute_input",
    }
)


@dataclass
class Run:
    """One execute request sent to the kernel for one cell."""

    cell_id: str
    execution_id: str
    reply: dict[str, Any] | None = None
    idle: bool = False
    #: Sent by an earlier server process: its reply is lost, its ``idle`` ends it.
    resumed: bool = False


def unfinished(journal: OutputJournal) -> list[Run]:
    """The runs the journal holds as queued or running, as resumed runs."""
    runs = []
    for cell_id in journal.cell_ids():
        execution = journal.execution(cell_id)
        if execution.state in ("queued", "running"):
            runs.append(Run(cell_id, execution.execution_id, resumed=True))
    return runs


def resumed_reply(journal: OutputJournal, run: Run) -> dict[str, Any]:
    """The reply a resumed run never received: an error if it recorded one, else ok."""
    failed = any(o.get("output_type") == "error" for o in journal.outputs(run.cell_id))
    reply: dict[str, Any] = {"status": "error" if failed else "ok"}
    count = journal.execution(run.cell_id).execution_count
    if count is not None:
        reply["execution_count"] = count
    return reply


def record_lost(nb: OpenNotebook, run: Run) -> None:
    """A resumed run had ended before this server could hear how: say so in its output."""
    reason = "the cell ended while the server was down; how it ended is not known"
    error = {"ename": "ServerRestarted", "evalue": reason, "traceback": [reason]}
    nb.record(run.cell_id, run.execution_id, "error", error)
    nb.record(run.cell_id, run.execution_id, STATE, {"state": "error"})
    nb.schedule_save(min(0.5, nb.settings.autosave_delay))

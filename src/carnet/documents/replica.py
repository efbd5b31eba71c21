"""A client's copy of a notebook's outputs, rebuilt from the messages the server sends.

The same rules as the server's journal replay (``docs/documents.md``): a new
execution id starts a cell afresh, consecutive streams of one name are one output,
``clear_output`` may wait for the next output, ``update_display_data`` changes every
output showing that display. Outputs the server elided keep their size and are
marked ``truncated``; their head and tail come with a view.
"""

from __future__ import annotations

from typing import Any

_OUTPUTS = frozenset({"stream", "display_data", "execute_result", "error"})


class CellOutputs:
    """One cell's current execution as the client has been told about it."""

    def __init__(self) -> None:
        self.execution_id = ""
        self.state = "idle"
        self.execution_count: int | None = None
        self.outputs: list[dict[str, Any]] = []
        self.clear_pending = False

    def reset(self, execution_id: str) -> None:
        """A new run: nothing of the previous one is kept."""
        self.__init__()  # type: ignore[misc]
        self.execution_id = execution_id


class OutputsReplica:
    """Every cell's outputs and execution state as one client has been told them."""

    def __init__(self) -> None:
        self.cells: dict[str, CellOutputs] = {}
        self.last_seq = 0

    def cell(self, cell_id: str, execution_id: str) -> CellOutputs:
        """The cell's outputs, started afresh when ``execution_id`` is a new run."""
        cell = self.cells.setdefault(cell_id, CellOutputs())
        if execution_id != cell.execution_id:
            cell.reset(execution_id)
        return cell

    def snapshot(self, msg: dict[str, Any]) -> None:
        """Take an ``outputs`` snapshot: every cell's state and bounded outputs."""
        self.cells = {}
        for cell_id, data in msg["cells"].items():
            cell = self.cell(cell_id, data["execution_id"])
            cell.state = data["state"]
            cell.execution_count = data["execution_count"]
            for view in data["outputs"]:
                out = dict(view["output"])
                if out.get("output_type") == "stream":
                    out["text"] = [out.get("text", "")]
                out["size"] = view["size"]
                if view["truncated"]:
                    out.update(truncated=True, head=view["head"], tail=view["tail"])
                cell.outputs.append(out)
        self.last_seq = max(self.last_seq, int(msg["last_seq"]))

    def view(self, msg: dict[str, Any]) -> None:
        """The bounded view of an output this client was not sent whole."""
        cell = self.cells.get(msg["cell_id"])
        view = msg["view"]
        if cell is None or cell.execution_id != msg["execution_id"]:
            return
        if not 0 <= msg["index"] < len(cell.outputs):
            return
        if not view["truncated"]:
            whole = {**view["output"], "size": view["size"]}
            if whole.get("output_type") == "stream":
                whole["text"] = [whole.get("text", "")]
            cell.outputs[msg["index"]] = whole
            return
        out = cell.outputs[msg["index"]]
        out.update(truncated=True, size=view["size"], head=view["head"], tail=view["tail"])

    def apply(self, msg: dict[str, Any]) -> None:
        """Replay one journal record, with the server's rules (``docs/documents.md``)."""
        self.last_seq = max(self.last_seq, int(msg["seq"]))
        cell = self.cell(msg["cell_id"], msg["execution_id"])
        kind, content = msg["msg_type"], msg["content"]
        elided = msg.get("elided")
        if kind in _OUTPUTS and cell.clear_pending:
            cell.outputs, cell.clear_pending = [], False
        if kind == "stream":
            last = cell.outputs[-1] if cell.outputs else None
            if not (last and last["output_type"] == "stream" and last["name"] == content["name"]):
                last = {"output_type": "stream", "name": content["name"], "text": [], "size": 0}
                cell.outputs.append(last)
            if elided is not None:
                last["truncated"] = True
                last["size"] += elided
            else:
                # Pieces are joined when read: appending to one string is quadratic.
                last["text"].append(content["text"])
                last["size"] += len(content["text"].encode("utf-8"))
        elif kind in _OUTPUTS:
            out = {"output_type": kind, **content}
            if elided is not None:
                out.update(truncated=True, size=elided)
            cell.outputs.append(out)
        elif kind == "update_display_data":
            display = (content.get("transient") or {}).get("display_id")
            for other in self.cells.values():
                for out in other.outputs:
                    if display and (out.get("transient") or {}).get("display_id") == display:
                        out["data"], out["metadata"] = content.get("data"), content.get("metadata")
        elif kind == "clear_output":
            if content.get("wait"):
                cell.clear_pending = True
            else:
                cell.outputs = []
        elif kind == "carnet.clear":
            cell.outputs = []
        elif kind in ("carnet.state", "execute_input", "execute_reply"):
            if kind == "carnet.state":
                cell.state = content.get("state", cell.state)
            elif kind == "execute_input":
                cell.state = "running"
            else:
                cell.state = "finished" if content.get("status") == "ok" else "error"
            count = content.get("execution_count")
            if isinstance(count, int):
                cell.execution_count = count

    def set_state(self, msg: dict[str, Any]) -> None:
        """Take a ``cell_state`` message."""
        cell = self.cell(msg["cell_id"], msg["execution_id"])
        cell.state = msg["state"]
        cell.execution_count = msg["execution_count"]

    def outputs(self, cell_id: str) -> list[dict[str, Any]]:
        """Copies of a cell's outputs, stream text joined."""
        cell = self.cells.get(cell_id)
        outputs = [dict(o) for o in cell.outputs] if cell is not None else []
        for out in outputs:
            if isinstance(out.get("text"), list):
                out["text"] = "".join(out["text"])
        return outputs

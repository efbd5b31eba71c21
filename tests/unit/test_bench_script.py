"""bench/run.py's target table, read from harness runs recorded on the project machine.

``diag-jupyter-nodelay.json`` is a real A/B run (jupyter_server against the same server
with TCP_NODELAY); ``anchor-jupyter-run1.json`` the recorded anchor run, in which
jupyter_server dropped 94 % of the 50 MB stream. Either second server stands in for
carnet here, so the verdicts below are facts about those recorded figures.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"


def _load_run() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", REPO / "bench" / "run.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look the module up by name while the class bodies run.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


run = _load_run()


def _report(name: str) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((DATA / name).read_text())
    return report


def _by_name(rows: list[Any]) -> dict[str, Any]:
    return {row.name: row for row in rows}


def test_ratios_and_verdicts_of_a_recorded_ab_run() -> None:
    rows = _by_name(run.target_rows(_report("diag-jupyter-nodelay.json"), "jupyter-nodelay"))
    # exec_rtt: 6.74 ms against 47.83 ms is 0.141, inside the 0.15 target.
    assert (rows["exec_rtt_ms"].ratio, rows["exec_rtt_ms"].verdict) == ("0.141", "✓")
    assert rows["exec_rtt_ms"].base == "47.83"
    # conc_exec_ms is judged on p99, not the median: 1140 / 1076 ms.
    p99 = rows["conc_exec_ms p99"]
    assert (p99.base, p99.carnet, p99.ratio, p99.verdict) == ("1076", "1140", "1.059", "✗")
    # Higher is better for throughput: 1.193x misses the 1.5x target.
    assert rows["conc_throughput_eps"].verdict == "✗"
    assert rows["conc_throughput_eps"].ratio == "1.193"
    # That run measured only exec and conc: the rest is not judged.
    assert rows["cold_start_s"].verdict == "n/a"
    assert rows["stream_big bytes lost (worst run)"].verdict == "n/a"


def test_output_loss_fails_the_loss_target_and_marks_the_timings() -> None:
    rows = _by_name(run.target_rows(_report("anchor-jupyter-run1.json"), "jupyter"))
    lost = rows["stream_big bytes lost (worst run)"]
    assert lost.carnet == "47,054,848 (94.102 %)"
    assert lost.verdict == "✗"
    # No jupyter-nolimit in the run: the throughput target has no baseline.
    big = rows["stream_big_mbps"]
    assert big.verdict == "n/a"
    assert big.carnet.endswith("†")
    # All 200 images arrived, so png_s is a fair comparison (and a server equal to the
    # anchor misses a target that asks for 0.8x).
    assert "†" not in rows["png_s"].carnet
    assert (rows["png_s"].ratio, rows["png_s"].verdict) == ("1.000", "✗")


def test_a_candidate_that_failed_its_tests_misses_the_targets() -> None:
    report = _report("anchor-jupyter-run1.json")
    report["servers"]["carnet"] = {}
    report["results"]["carnet"] = {"metrics": {}, "output": {}, "errors": ["round 1: boom"]}
    rows = run.target_rows(report)
    assert {row.verdict for row in rows} == {"✗", "n/a"}
    assert _by_name(rows)["stream_big_mbps"].verdict == "n/a"
    table = run.report_table(report)
    assert "0 of 14 measured targets met" in table
    assert "- [carnet] round 1: boom" in table


def test_report_option_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    code = run.main(["--report", str(DATA / "diag-jupyter-nodelay.json")])
    out = capsys.readouterr().out
    assert code == 0
    assert "| exec_rtt_ms | 47.83 | - | - | ≤ 0.15 | n/a |" in out
    assert "mode default" in out


def test_harness_command_runs_both_servers_with_their_interpreters(tmp_path: Path) -> None:
    args = run.parse_args(["--quick", "--nolimit", "--only", "exec", "--", "--set", "x=1"])
    cmd = run.harness_command(
        args, Path("/h/python"), Path("/a/python"), tmp_path / "o.json", tmp_path / "o.md"
    )
    servers = [cmd[i + 1] for i, word in enumerate(cmd) if word == "--server"]
    pythons = [cmd[i + 1] for i, word in enumerate(cmd) if word == "--python"]
    assert servers[0] == "jupyter"
    assert servers[1].startswith("carnet={python} -m carnet serve {root} --port {port}")
    assert servers[2] == "jupyter-nolimit"
    assert pythons == [
        "jupyter=/a/python",
        f"carnet={REPO / '.venv' / 'bin' / 'python'}",
        "jupyter-nolimit=/a/python",
    ]
    assert cmd[-2:] == ["--set", "x=1"]
    assert cmd[cmd.index("--only") : cmd.index("--only") + 2] == ["--only", "exec"]
    assert "--quick" in cmd

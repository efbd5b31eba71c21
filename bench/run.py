"""Benchmark carnet against jupyter_server in one run and check the targets.

The measuring is done by the shared harness (``../shared/bench/harness.py`` beside this
repository), which launches each server in turn (A B A B ...) and writes one JSON. This
script only prepares what the harness needs, runs it, and reads its JSON back:

* ``bench/.venv-harness`` (the harness's own requirements) and ``bench/.venv-anchor``
  (jupyter_server and ipykernel at the pinned anchor versions) are created if missing;
* carnet runs from this repository's ``.venv``;
* results go to ``bench/results/`` (full runs) or ``bench/.runs/`` (quick or partial runs,
  git-ignored);
* the last thing printed is the table of carnet/jupyter_server ratios against the targets.

    .venv/bin/python bench/run.py                 # full A/B run, ~6 min on a quiet machine
    .venv/bin/python bench/run.py --quick         # smoke run, ~2-3 min
    .venv/bin/python bench/run.py --nolimit       # add jupyter-nolimit (needed for stream_big)
    .venv/bin/python bench/run.py --report FILE   # the target table of a saved harness JSON

See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DEFAULT_HARNESS = REPO.parent / "shared" / "bench" / "harness.py"
CARNET_PYTHON = REPO / ".venv" / "bin" / "python"
CARNET_CMD = "{python} -m carnet serve {root} --port {port} --token {token} --no-browser"

ANCHOR = "jupyter"
CANDIDATE = "carnet"
NOLIMIT = "jupyter-nolimit"
NODELAY = "jupyter-nodelay"
ANCHOR_PRESETS = (ANCHOR, NOLIMIT, NODELAY)


# -- targets -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One goal: carnet's figure divided by an anchor's, compared with ``bound``.

    ``lost_bytes`` targets instead require that carnet lost no output in that test.
    """

    metric: str
    op: str  # "<=", ">=" or "lost"
    bound: float = 0.0
    stat: str = "median"
    baseline: str = ANCHOR

    @property
    def name(self) -> str:
        if self.op == "lost":
            return f"{self.metric} bytes lost (worst run)"
        return self.metric if self.stat == "median" else f"{self.metric} {self.stat}"

    @property
    def wanted(self) -> str:
        if self.op == "lost":
            return "0"
        text = {"<=": "≤", ">=": "≥"}[self.op] + f" {self.bound:g}"
        return text if self.baseline == ANCHOR else f"{text} x {self.baseline}"


TARGETS: tuple[Target, ...] = (
    Target("cold_start_s", "<=", 0.25),
    Target("rss_idle_start_mb", "<=", 0.6),
    Target("kernel_start_s", "<=", 1.0),
    Target("exec_rtt_ms", "<=", 0.15),
    Target("stream_big", "lost"),
    Target("stream_big_mbps", ">=", 1.5, baseline=NOLIMIT),
    Target("png_s", "<=", 0.8),
    Target("contents_list_s", "<=", 0.1),
    Target("nb_get_s", "<=", 0.5),
    Target("nb_put_s", "<=", 0.5),
    Target("file_create_ms", "<=", 0.7),
    Target("file_rename_ms", "<=", 0.7),
    Target("file_delete_ms", "<=", 0.7),
    Target("conc_throughput_eps", ">=", 1.5),
    Target("conc_exec_ms", "<=", 0.5, stat="p99"),
)

# Output tests of the harness whose timings mean nothing when the server dropped output.
LOSSY = {
    "stream_lines": ("stream_lines_s", "stream_lines_mbps"),
    "stream_big": ("stream_big_s", "stream_big_mbps"),
    "png": ("png_s", "png_mbps"),
}


@dataclass(frozen=True)
class Row:
    """One line of the target table, already formatted."""

    name: str
    baseline: str
    base: str
    carnet: str
    ratio: str
    wanted: str
    verdict: str  # "✓", "✗" or "n/a" (not measured in this run)


def _lost_bytes(report: dict[str, Any], label: str, test: str) -> tuple[int, float] | None:
    """The most output one run of ``test`` lost: bytes and percent of what was sent."""
    runs = report["results"].get(label, {}).get("output", {}).get(test)
    if not runs:
        return None
    worst = max(runs, key=lambda run: int(run["lost_bytes"]))
    return int(worst["lost_bytes"]), float(worst["lost_pct"])


def _stat(report: dict[str, Any], label: str, metric: str, stat: str) -> float | None:
    summary = report["results"].get(label, {}).get("metrics", {}).get(metric)
    if summary is None:
        return None
    value = summary.get(stat)
    return float(value) if value is not None else None


def _lossy(report: dict[str, Any], label: str, metric: str) -> bool:
    for test, metrics in LOSSY.items():
        lost = _lost_bytes(report, label, test)
        if metric in metrics and lost is not None and lost[0] > 0:
            return True
    return False


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "ms":
        return f"{value:.2f}" if value < 100 else f"{value:.0f}"
    if unit == "s":
        return f"{value:.3f}" if value < 10 else f"{value:.1f}"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"


def target_rows(report: dict[str, Any], candidate: str = CANDIDATE) -> list[Row]:
    """Compare ``candidate`` with the anchors of a harness report, one row per target.

    A target whose figures are missing from the report (the test was skipped, or the
    baseline server was not in the run) gets "n/a"; a candidate that failed a test it
    should have run (the baseline has the figure, the candidate has none) gets ✗.
    A timing taken while a server dropped output is not a throughput: marked † and,
    for the candidate, counted as a miss.
    """
    units = {k: v.get("unit", "") for k, v in report.get("metric_defs", {}).items()}
    servers = report.get("servers", {})
    judged = candidate in servers
    rows: list[Row] = []
    for t in TARGETS:
        if t.op == "lost":
            base_lost = _lost_bytes(report, t.baseline, t.metric)
            cand_lost = _lost_bytes(report, candidate, t.metric)
            ran = base_lost is not None or cand_lost is not None
            ok = cand_lost is not None and cand_lost[0] == 0
            verdict = "n/a" if not (ran and judged) else "✓" if ok else "✗"
            rows.append(
                Row(
                    t.name, t.baseline, _bytes(base_lost), _bytes(cand_lost), "-", t.wanted, verdict
                )
            )
            continue
        unit = units.get(t.metric, "")
        base = _stat(report, t.baseline, t.metric, t.stat)
        cand = _stat(report, candidate, t.metric, t.stat)
        base_text = _fmt(base, unit) + (" †" if _lossy(report, t.baseline, t.metric) else "")
        cand_text = _fmt(cand, unit) + (" †" if _lossy(report, candidate, t.metric) else "")
        if base is None or t.baseline not in servers or not judged:
            rows.append(Row(t.name, t.baseline, base_text, cand_text, "-", t.wanted, "n/a"))
            continue
        if cand is None or base == 0:
            rows.append(Row(t.name, t.baseline, base_text, cand_text, "-", t.wanted, "✗"))
            continue
        ratio = cand / base
        met = ratio <= t.bound if t.op == "<=" else ratio >= t.bound
        if _lossy(report, candidate, t.metric):
            met = False
        comparable = not _lossy(report, t.baseline, t.metric)
        # Three decimals, so that a ratio just past its bound does not print as the bound.
        ratio_text = f"{ratio:.3f}" if ratio < 10 else f"{ratio:.1f}"
        ratio_text += "" if comparable else " †"
        rows.append(
            Row(t.name, t.baseline, base_text, cand_text, ratio_text, t.wanted, "✓" if met else "✗")
        )
    return rows


def _bytes(lost: tuple[int, float] | None) -> str:
    if lost is None:
        return "-"
    return f"{lost[0]:,} ({lost[1]:g} %)" if lost[0] else "0"


def render(rows: Sequence[Row], candidate: str = CANDIDATE) -> str:
    """The rows as a Markdown table (also readable as plain text)."""
    head = [
        "metric",
        "jupyter_server median",
        f"{candidate} median",
        f"{candidate}/jupyter_server",
        "target",
        "",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        base = r.base if r.baseline == ANCHOR else f"{r.base} ({r.baseline})"
        lines.append(
            "| " + " | ".join([r.name, base, r.carnet, r.ratio, r.wanted, r.verdict]) + " |"
        )
    met = sum(r.verdict == "✓" for r in rows)
    judged = sum(r.verdict != "n/a" for r in rows)
    lines.append("")
    lines.append(f"{met} of {judged} measured targets met ({len(rows) - judged} not measured).")
    if any("†" in r.base or "†" in r.carnet for r in rows):
        lines.append("† that server dropped output in this test: its time is not a throughput.")
    return "\n".join(lines)


# -- environments --------------------------------------------------------------------------


def _venv_ok(venv: Path, probe: str) -> bool:
    python = venv / "bin" / "python"
    if not python.exists():
        return False
    return subprocess.run([python, "-c", probe], capture_output=True).returncode == 0


def ensure_venv(venv: Path, requirements: Path, probe: str) -> Path:
    """Create ``venv`` from ``requirements`` unless it already imports ``probe``."""
    python = venv / "bin" / "python"
    if _venv_ok(venv, probe):
        return python
    print(f"creating {venv.relative_to(REPO)} from {requirements.name} ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    subprocess.run([python, "-m", "pip", "install", "-q", "-r", requirements], check=True)
    if not _venv_ok(venv, probe):
        sys.exit(f"{venv}: installed, but `{probe}` still fails")
    return python


# -- running -------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--harness",
        type=Path,
        default=DEFAULT_HARNESS,
        help="the shared harness.py (default: ../shared/bench/harness.py)",
    )
    ap.add_argument("--quick", action="store_true", help="the harness's smoke sizes, one round")
    ap.add_argument("--only", default="", help="comma list of harness tests to run")
    ap.add_argument("--skip", default="", help="comma list of harness tests to skip")
    ap.add_argument("--rounds", type=int, default=0, help="workload rounds per server")
    ap.add_argument(
        "--nolimit",
        action="store_true",
        help="also run jupyter-nolimit (iopub limiter off): the stream_big baseline",
    )
    ap.add_argument(
        "--nodelay",
        action="store_true",
        help="also run jupyter-nodelay (TCP_NODELAY): how much of exec_rtt is Nagle",
    )
    ap.add_argument(
        "--no-carnet", action="store_true", help="measure the anchors only (to check the set-up)"
    )
    ap.add_argument(
        "--out-dir",
        type=Path,
        default=None,
        help="where the JSON and Markdown go (default: results/ for a full run, else .runs/)",
    )
    ap.add_argument(
        "--max-minutes", type=float, default=45.0, help="hard limit for the harness run"
    )
    ap.add_argument(
        "--report",
        type=Path,
        default=None,
        metavar="JSON",
        help="run nothing: print the target table of a saved harness JSON",
    )
    ap.add_argument(
        "harness_args",
        nargs="*",
        help="more harness options after `--` (e.g. -- --set exec_runs=100)",
    )
    return ap.parse_args(argv)


def harness_command(
    args: argparse.Namespace, harness_python: Path, anchor_python: Path, out: Path, md: Path
) -> list[str]:
    """The harness invocation: anchors first (A), then carnet; ratios are X/A."""
    cmd = [
        str(harness_python),
        str(args.harness),
        "--server",
        ANCHOR,
        "--python",
        f"{ANCHOR}={anchor_python}",
    ]
    if not args.no_carnet:
        cmd += ["--server", f"{CANDIDATE}={CARNET_CMD}", "--python", f"{CANDIDATE}={CARNET_PYTHON}"]
    for flag, preset in ((args.nolimit, NOLIMIT), (args.nodelay, NODELAY)):
        if flag:
            cmd += ["--server", preset, "--python", f"{preset}={anchor_python}"]
    if args.quick:
        cmd.append("--quick")
    for name in ("only", "skip"):
        if getattr(args, name):
            cmd += [f"--{name}", getattr(args, name)]
    if args.rounds:
        cmd += ["--rounds", str(args.rounds)]
    cmd += ["--max-minutes", f"{args.max_minutes:g}", "--out", str(out), "--md", str(md)]
    return cmd + list(args.harness_args)


def _scrub(path: Path) -> None:
    """Keep this machine's checkout path out of files that may be committed."""
    text = path.read_text()
    path.write_text(text.replace(str(REPO), "<repo>"))


def _revision() -> str:
    """The commit carnet was measured at, ``+changes`` when the tree had uncommitted work."""
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "an unknown revision"
    return f"commit {head}" + (" +changes" if dirty else "")


def report_table(report: dict[str, Any]) -> str:
    """The heading and target table for one harness report."""
    started = report.get("started_utc", "?")
    mode = report.get("mode", "?")
    busy = report.get("machine", {}).get("during_run", {}).get("cpu_busy_pct", {})
    head = (
        f"carnet targets: run of {started}, mode {mode}, rounds {report.get('rounds')}, "
        f"machine CPU busy median {busy.get('median', '?')} %"
    )
    text = head + "\n\n" + render(target_rows(report))
    errors = [
        f"- [{label}] {error.splitlines()[0][:300]}"
        for label, result in report.get("results", {}).items()
        for error in result.get("errors", [])
        if error.strip()
    ]
    if errors:
        text += "\n\nErrors during the run:\n" + "\n".join(errors)
    return text


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report is not None:
        print(report_table(json.loads(args.report.read_text())))
        return 0
    harness = args.harness.resolve()
    if not harness.is_file():
        sys.exit(
            f"harness not found: {harness}\n"
            "it lives in shared/bench/ beside this repository; pass --harness PATH"
        )
    if not args.no_carnet and not CARNET_PYTHON.exists():
        sys.exit(f"{CARNET_PYTHON} is missing: run `make setup` first")
    reqs = harness.parent
    harness_python = ensure_venv(
        BENCH / ".venv-harness", reqs / "requirements.txt", "import aiohttp"
    )
    anchor_python = ensure_venv(
        BENCH / ".venv-anchor", reqs / "requirements-anchor.txt", "import jupyter_server, ipykernel"
    )

    partial = args.quick or args.only or args.skip or args.no_carnet
    out_dir = args.out_dir or BENCH / (".runs" if partial else "results")
    revision = _revision()
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + ("-quick" if args.quick else "")
    out, md, harness_md = (
        out_dir / f"{stem}.json",
        out_dir / f"{stem}.md",
        out_dir / f".{stem}.harness.md",
    )
    cmd = harness_command(args, harness_python, anchor_python, out, harness_md)
    print("running:", " ".join(cmd), flush=True)
    # Every path given to the harness is absolute; the folder only shortens what it prints.
    rc = subprocess.run(cmd, cwd=BENCH).returncode
    if not out.exists():
        print(f"the harness wrote no results (exit {rc})", file=sys.stderr)
        return rc or 1
    _scrub(out)
    report = json.loads(out.read_text())
    table = report_table(report)
    details = harness_md.read_text() if harness_md.exists() else ""
    harness_md.unlink(missing_ok=True)
    md.write_text(
        f"# Benchmark {stem}\n\ncarnet at {revision}\n\n{table}\n\n## All figures\n\n{details}"
    )
    _scrub(md)
    print("\n" + table)
    print(f"\nJSON: {out.relative_to(REPO)}\nMarkdown: {md.relative_to(REPO)}")
    return rc


if __name__ == "__main__":
    sys.exit(main())

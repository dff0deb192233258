#!/usr/bin/env python3
"""Side-by-side benchmark: our matching solver vs kep_solver (the open kidney-exchange peer).

One run solves, one after the other (never in parallel, 2 shared cores):

* the shared kidney instances of ``../shared/benchmarks/kidney`` (originals: PrefLib
  ``.wmd``, kidney_solver ``.input[.gz]``, and the generated UK-like ``.kep.json``);
* generated territories of 1,000 / 5,000 / 20,000 dwellings (``fixtures.generate``),
  whose compatibility graph (``matching.graph.build_instance``) is exported to
  kep-common/1 with ``matching.kep.write_kep``.

Ours runs as ``exchange solve-graph`` in a child process; the peer runs as
``../shared/tools/peer_kep.py FILE CYCLE K`` in a separate virtualenv
``benchmarks/.peer-venv`` (created here if missing: kep_solver is AGPL and is never a
dependency of our package). Caps: our chain cap counts moves, kep_solver's counts donors
including the altruist, so K = ours + 1. kep_solver maximises the number of transplants
(moves), so objectives are compared with unit weights; on territories ours also runs
with the policy points (peer columns empty). Both "seconds" exclude reading the file
(ours: solve; peer: model build + solve).

Usage::

    .venv/bin/python benchmarks/matching.py --quick
    .venv/bin/python benchmarks/matching.py --only uk2022 --timeout 600
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
KIDNEY = SHARED / "benchmarks" / "kidney"
PEER_SCRIPT = SHARED / "tools" / "peer_kep.py"
PEER_VENV = ROOT / "benchmarks" / ".peer-venv"
WORK = ROOT / "benchmarks" / ".work"
RESULTS = ROOT / "benchmarks" / "results"
RECORDED = KIDNEY / "peer-results" / "kep_solver_4.0.2_cbc.jsonl"
# This script is called matching.py: keep its folder off sys.path so that `import matching` finds the package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

KIDNEY_GLOBS = [
    "preflib-00036/*.wmd",
    "preflib-md00001/*.wmd",
    "kidneyexchange-jl/*.wmd",
    "trimble-kidney-solver/*.input",
    "klimentova-pedroso-small/*.input.gz",
    "generated-uk2022/*.kep.json",
]
QUICK_MAX_PAIRS = 300
TERRITORY_SIZES = (1_000, 5_000, 20_000)
QUICK_TERRITORY_SIZES = (1_000,)


@dataclass
class Run:
    """Outcome of one child process."""

    ok: bool
    data: dict[str, Any] = field(default_factory=dict)
    wall: float = 0.0
    max_rss_mb: float = 0.0
    error: str = ""


@dataclass
class Row:
    """One line of the table."""

    instance: str
    pairs: int
    altruists: int
    arcs: int
    max_cycle: int
    max_chain: int
    weights: str  # "unit" or "points"
    ours: Run
    peer: Run | None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.peer is None or not (self.ours.ok and self.peer.ok):
            return None
        peer_s = float(self.peer.data["seconds"])
        # Recorded peer times have 2 decimals: below 0.01 s a ratio means nothing.
        return float(self.ours.data["seconds"]) / peer_s if peer_s >= 0.01 else None


# -- child processes ----------------------------------------------------------------------------


def _run(cmd: list[str], timeout: float) -> Run:
    """Run ``cmd``; parse the last stdout line as JSON; measure wall time and peak RSS of the child."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=ROOT, start_new_session=True)
        deadline = t0 + timeout
        status, usage = 0, None
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)  # the peer's CBC runs in a child process: kill them all
                _, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = -9
                return Run(
                    False, wall=time.perf_counter() - t0, max_rss_mb=usage.ru_maxrss / 1024, error="timeout"
                )
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        rss = usage.ru_maxrss / 1024 if usage else 0.0
        out.seek(0)
        err.seek(0)
        lines = out.read().decode().strip().splitlines()
        if proc.returncode != 0 or not lines:
            tail = err.read().decode().strip().splitlines()[-3:]
            return Run(False, wall=wall, max_rss_mb=rss, error=f"exit {proc.returncode}: {' | '.join(tail)}")
        return Run(True, json.loads(lines[-1]), wall, rss)


def ensure_peer_venv() -> Path:
    """Create ``benchmarks/.peer-venv`` with kep-solver if it is missing; return its python."""
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        print(f"création de {PEER_VENV} (kep-solver)…", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "kep-solver"], check=True)
    return python


def run_ours(path: Path, max_cycle: int, max_chain: int, *, unit: bool, args: argparse.Namespace) -> Run:
    cmd = [
        sys.executable,
        "-c",
        "from exchange.cli import main; main()",
        "solve-graph",
        str(path),
        "--max-cycle",
        str(max_cycle),
        "--max-chain",
        str(max_chain),
        "--time-limit",
        str(args.time_limit),
        "--workers",
        str(args.workers),
    ]
    if unit:
        cmd.append("--unit-weights")
    return _run(cmd, args.time_limit + 120)


def run_peer(python: Path, path: Path, max_cycle: int, max_chain: int, args: argparse.Namespace) -> Run:
    cmd = [
        str(python),
        str(PEER_SCRIPT),
        str(path),
        str(max_cycle),
        str(max_chain + 1),
        "--model",
        args.peer_model,
    ]
    return _run(cmd, args.timeout)


def recorded_peer() -> dict[tuple[str, int, int], Run]:
    """Peer runs already measured on this machine (``peer-results/*.jsonl``), fastest model per key.

    Key: (instance path relative to the kidney folder, cycle cap, chain cap in donors).
    """
    found: dict[tuple[str, int, int], Run] = {}
    if not RECORDED.exists():
        return found
    for line in RECORDED.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        data = json.loads(line)
        key = (data["instance"], int(data["cycle_cap"]), int(data["chain_cap_donors"]))
        run = Run(True, data, float(data["seconds"]), 0.0)
        if key not in found or run.wall < found[key].wall:
            found[key] = run
    return found


# -- instances ----------------------------------------------------------------------------------


def kidney_instances(quick: bool) -> list[tuple[str, Path, int, int, int]]:
    """(label, path, pairs, altruists, arcs) of the shared kidney instances."""
    from matching.kep import read_graph

    found = []
    for pattern in KIDNEY_GLOBS:
        for path in sorted(KIDNEY.glob(pattern)):
            graph = read_graph(path)
            if quick and graph.n_pairs > QUICK_MAX_PAIRS:
                continue
            label = str(path.relative_to(KIDNEY))
            found.append((label, path, graph.n_pairs, graph.n_altruists, graph.n_arcs))
    return found


def territory_instance(dwellings: int, seed: int) -> tuple[str, Path, int, int, int, str]:
    """Generate a territory, build its graph, export it; (label, path, pairs, vacancies, arcs, note)."""
    from fixtures.generate import generate_territory
    from matching.config import PolicyConfig
    from matching.graph import build_instance
    from matching.kep import write_kep

    generated: Any = generate_territory(seed, dwellings)
    config = PolicyConfig()
    if isinstance(generated, dict):  # an interchange document: validate it like `exchange match`
        from exchange.loading import territory_from_document

        job = generated.get("territory", {}).get("job_distance_km")
        if job is not None:
            config = PolicyConfig(job_distance_km=float(job))
        territory = territory_from_document(generated)
    else:
        territory = generated
    t0 = time.perf_counter()
    instance = build_instance(territory, config)
    graph_s = time.perf_counter() - t0
    WORK.mkdir(parents=True, exist_ok=True)
    label = f"territory-{dwellings}-s{seed}"
    path = WORK / f"{label}.kep.json"
    write_kep(instance, path)
    note = f"{len(territory.requests)} demandes, graphe {graph_s:.2f} s"
    return label, path, len(instance.households), len(instance.vacancies), len(instance.moves), note


# -- table --------------------------------------------------------------------------------------


def _fmt_obj(run: Run | None) -> str:
    if run is None:
        return "—"
    if not run.ok:
        return run.error.split(":")[0]
    if "transplants" in run.data:  # peer
        # kep_solver raises unless its MIP ends optimal; sol_status 2 would be a time-limited feasible one.
        flag = " (non prouvé)" if run.data.get("mip_sol_status") == 2 else ""
        return f"{run.data['transplants']}{flag}"
    obj = run.data["objective"]
    if run.data["status"] == "optimal":
        return f"{obj}"
    return f"{obj} ({run.data['status']}, bound {run.data['bound']:g})"


def _fmt_s(run: Run | None) -> str:
    if run is None:
        return "—"
    if not run.ok:
        return f"> {run.wall:.0f}" if run.error == "timeout" else "erreur"
    return f"{float(run.data['seconds']):.2f}"


def _same(row: Row) -> str:
    if row.peer is None or not (row.ours.ok and row.peer.ok):
        return ""
    return "oui" if row.ours.data["objective"] == row.peer.data["transplants"] else "**NON**"


def render(rows: list[Row], args: argparse.Namespace, total_s: float) -> str:
    ratios = [r.ratio for r in rows if r.ratio is not None]
    lines = [
        f"# Matching benchmark, {date.today().isoformat()}",
        "",
        f"Ours: `exchange solve-graph` (OR-Tools: GLOP column generation, CP-SAT/CBC MIPs, time limit "
        f"{args.time_limit:g} s). Peer: kep_solver via `shared/tools/peer_kep.py FILE C K "
        f"--model {args.peer_model}` (CBC bundled with PuLP, separate venv), killed after "
        f"{args.timeout:g} s. Peak RSS of a child includes the benchmark process's own size at spawn.",
        "Caps: `C/L` = max households per cycle / max moves per chain (ours); the peer gets K = L + 1",
        "(donors incl. the altruist). kep_solver maximises transplants, so `unit` rows compare counts",
        "of moves (peer column = its `transplants`); `points` rows solve the policy points (ours only).",
        "Seconds exclude reading the file (ours: solve; peer: model build + solve). Ratio = ours / peer",
        "(none when the peer took under 0.01 s; `< x` when only ours finished, proving its optimum).",
        "",
        "| instance | pairs | altr. | arcs | caps | weights | objective ours | objective peer | same | "
        "s ours | s peer | ratio | RSS MB ours/peer | note |",
        "|---|---:|---:|---:|---|---|---:|---:|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        ratio = f"{r.ratio:.3f}" if r.ratio is not None else ""
        proven = r.ours.ok and r.ours.data.get("status") == "optimal"
        if r.ratio is None and r.peer is not None and not r.peer.ok and proven:
            ratio = f"< {float(r.ours.data['seconds']) / r.peer.wall:.3f}"
        rss = f"{r.ours.max_rss_mb:.0f}/" + (f"{r.peer.max_rss_mb:.0f}" if r.peer else "—")
        lines.append(
            f"| {r.instance} | {r.pairs} | {r.altruists} | {r.arcs} | {r.max_cycle}/{r.max_chain} | "
            f"{r.weights} | {_fmt_obj(r.ours)} | {_fmt_obj(r.peer)} | {_same(r)} | {_fmt_s(r.ours)} | "
            f"{_fmt_s(r.peer)} | {ratio} | {rss} | {r.note} |"
        )
    lines.append("")
    if ratios:
        lines.append(
            f"Median ratio ours/peer over {len(ratios)} instances both solved: "
            f"**{statistics.median(ratios):.3f}** (max {max(ratios):.3f})."
        )
    mismatches = [r.instance for r in rows if _same(r) == "**NON**"]
    lines.append(f"Objective mismatches: {', '.join(mismatches) if mismatches else 'none'}.")
    lines.append(f"Total wall time of the benchmark: {total_s:.0f} s.")
    return "\n".join(lines) + "\n"


# -- main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small instances only")
    ap.add_argument("--only", default=None, help="glob on instance labels, e.g. '*uk2022*' or 'territory-*'")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per peer run before killing it")
    ap.add_argument("--time-limit", type=float, default=600.0, help="our solver's time limit")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--peer-model", choices=["cc", "picef"], default="picef")
    ap.add_argument("--kidney-chain", type=int, default=2, help="our chain cap (moves) on kidney files")
    ap.add_argument("--territory-chain", type=int, default=3, help="our chain cap (moves) on territories")
    ap.add_argument("--sizes", default=None, help="territory sizes, e.g. 1000,5000 (default by mode)")
    ap.add_argument("--seed", type=int, default=2026, help="seed of the generated territories")
    ap.add_argument("--no-peer", action="store_true", help="run ours only")
    ap.add_argument(
        "--recorded-peer",
        action="store_true",
        help="reuse peer results recorded in shared/benchmarks/kidney/peer-results (live run when missing)",
    )
    ap.add_argument("--output", type=Path, default=None, help="markdown file (default benchmarks/results/)")
    args = ap.parse_args(argv)

    def wanted(label: str) -> bool:
        return args.only is None or fnmatch.fnmatch(label, args.only) or args.only in label

    t_start = time.perf_counter()
    peer_python = None if args.no_peer else ensure_peer_venv()
    rows: list[Row] = []
    recorded = recorded_peer() if args.recorded_peer and not args.no_peer else {}

    def report(row: Row) -> None:
        rows.append(row)
        print(
            f"{row.instance} [{row.weights} {row.max_cycle}/{row.max_chain}]: ours {_fmt_obj(row.ours)} "
            f"in {_fmt_s(row.ours)} s, peer {_fmt_obj(row.peer)} in {_fmt_s(row.peer)} s",
            file=sys.stderr,
            flush=True,
        )

    for label, path, pairs, alts, arcs in kidney_instances(args.quick):
        if not wanted(label):
            continue
        ours = run_ours(path, 3, args.kidney_chain, unit=True, args=args)
        note = ""
        peer = recorded.get((label, 3, args.kidney_chain + 1))
        if peer is not None:
            note = f"peer recorded ({peer.data.get('model', '?')})"
        elif peer_python is not None:
            peer = run_peer(peer_python, path, 3, args.kidney_chain, args)
            note = f"peer live ({args.peer_model})"
        report(Row(label, pairs, alts, arcs, 3, args.kidney_chain, "unit", ours, peer, note))

    sizes = (
        tuple(int(s) for s in args.sizes.split(","))
        if args.sizes
        else (QUICK_TERRITORY_SIZES if args.quick else TERRITORY_SIZES)
    )
    for size in sizes:
        if not wanted(f"territory-{size}-s{args.seed}"):
            continue
        label, path, pairs, alts, arcs, note = territory_instance(size, args.seed)
        chain = args.territory_chain
        ours = run_ours(path, 3, chain, unit=True, args=args)
        peer = None if peer_python is None else run_peer(peer_python, path, 3, chain, args)
        report(Row(label, pairs, alts, arcs, 3, chain, "unit", ours, peer, note))
        ours_points = run_ours(path, 3, chain, unit=False, args=args)
        report(Row(label, pairs, alts, arcs, 3, chain, "points", ours_points, None, note))

    table = render(rows, args, time.perf_counter() - t_start)
    print(table)
    out = args.output
    if out is None:
        suffix = "-quick" if args.quick else ""
        suffix += "-only" if args.only else ""
        out = RESULTS / f"matching-{date.today().isoformat()}{suffix}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table, encoding="utf-8")
    print(f"écrit : {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

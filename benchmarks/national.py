#!/usr/bin/env python3
"""Benchmark of a simulated national night on Dask: territories of both shapes solved on 1 and 2 workers.

Draws territory sizes like French EPCIs (log-normal, both shapes: Centre Littoral and metropolitan,
the largest metropolitan), generates each territory (``fixtures.generate``) and builds its graph in
this process (the coordinator's share), then solves every territory as one task of a LocalCluster
on 1 and on 2 workers, and prints each task's time and its worker's peak memory, and the speed-up.
Each task solves its territory's parts in turn (``exchange.runs.solve_prepared`` without an
executor), so that its time is its own. From the 1-worker times it fits, per shape,
seconds ≈ a·dwellings^b (and the coordinator's build time likewise), predicts each task of the full
night (about 1 million dwellings over 100 territories, each capped by its time limit) and computes
the makespan on 1 to 128 workers (longest task first; a territory whose parts spread over several
workers only shortens it), and the fewest workers whose night fits in 4 hours.

The default night is small (a few minutes here); ``--full`` runs the whole national night (hours,
and several GB per worker: a cluster's job, not a laptop's).

Usage::

    .venv/bin/python benchmarks/national.py
    .venv/bin/python benchmarks/national.py --territories 12 --dwellings 6000 --time-limit 120
    .venv/bin/python benchmarks/national.py --full --scheduler tcp://HOST:8786
"""

from __future__ import annotations

import argparse
import heapq
import math
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# benchmarks/ holds a script called matching.py: keep this folder off sys.path
# so that `import matching` finds the package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

NATIONAL_TERRITORIES = 100
NATIONAL_DWELLINGS = 1_000_000
NIGHT_S = 4 * 3600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--territories", type=int, default=10, help="territories of the simulated night")
    parser.add_argument("--dwellings", type=int, default=6000, help="dwellings of the night, all territories")
    parser.add_argument("--full", action="store_true", help="the whole national night (100 territories, 1M)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="solver time limit per territory (s)")
    parser.add_argument(
        "--full-time-limit",
        type=float,
        default=600.0,
        help="time limit assumed for the full night's tasks (s)",
    )
    parser.add_argument("--seed", type=int, default=2026, help="seed of the sizes and of the generator")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="local workers to measure")
    parser.add_argument("--scheduler", default=None, help="an existing cluster instead of local ones")
    args = parser.parse_args()
    if args.full:
        args.territories, args.dwellings = NATIONAL_TERRITORIES, NATIONAL_DWELLINGS

    night = _night(args.territories, args.dwellings, args.seed)
    print(f"# Simulated night: {len(night)} territories, {sum(n for _, n, _ in night)} dwellings\n")
    instances = _prepare(night, args.seed)
    measured: dict[int, list[dict[str, Any]]] = {}
    walls: dict[int, float] = {}
    for workers in [None] if args.scheduler else args.workers:
        wall, tasks = _solve_all(instances, args.time_limit, workers, args.scheduler)
        key = workers or 0
        measured[key], walls[key] = tasks, wall
    _print_tasks(night, instances, measured)
    _print_speedup(walls, measured)
    base = measured[min(measured)]
    _print_extrapolation(night, base, instances, args)


def _night(territories: int, dwellings: int, seed: int) -> list[tuple[str, int, str]]:
    """``(code, dwellings, shape)`` of each territory: log-normal sizes summing to ``dwellings``."""
    import numpy as np

    rng = np.random.default_rng(seed)
    raw = rng.lognormal(mean=0.0, sigma=0.9, size=territories)
    sizes = np.maximum(60, np.round(raw / raw.sum() * dwellings)).astype(int)
    order = np.argsort(-sizes)
    metropolitan = set(order[: max(1, territories * 3 // 10)].tolist())  # the largest are cities
    return [
        (f"N{i:03d}", int(size), "metropole" if i in metropolitan else "littoral")
        for i, size in enumerate(sizes.tolist())
    ]


def _prepare(night: list[tuple[str, int, str]], seed: int) -> list[tuple[Any, float]]:
    """Generate, read and build each territory (the coordinator's share): its instance and seconds."""
    from exchange.loading import read_document
    from fixtures.generate import generate_territory
    from matching.graph import build_instance

    built = []
    for i, (code, size, shape) in enumerate(night):
        doc = generate_territory(seed + i, size, shape=shape, code=code, name=code)
        t0 = time.perf_counter()
        plain, config = read_document(doc)
        built.append((build_instance(plain, config), time.perf_counter() - t0))
    return built


def _measured_task(instance: Any, params: Any) -> dict[str, Any]:
    """On a worker: one territory's task, with its time and its worker's memory."""
    import resource

    import psutil

    from exchange.runs import solve_prepared

    rss = psutil.Process().memory_info().rss
    solution, seconds = solve_prepared(instance, params)
    return {
        "seconds": seconds,
        "rss_before_mb": rss / 2**20,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "objective": solution.objective,
        "status": solution.status,
    }


def _solve_all(
    instances: list[tuple[Any, float]], time_limit: float, workers: int | None, scheduler: str | None
) -> tuple[float, list[dict[str, Any]]]:
    """Every territory's task on one cluster: the makespan and each task's measures."""
    from exchange.cluster import connect
    from matching.types import SolveParams

    params = SolveParams(time_limit_s=time_limit, workers=1)
    with connect(scheduler, workers=workers) as client:
        t0 = time.perf_counter()
        futures = [client.submit(_measured_task, inst, params, pure=False) for inst, _ in instances]
        tasks = client.gather(futures)
        return time.perf_counter() - t0, tasks


def _print_tasks(
    night: list[tuple[str, int, str]],
    instances: list[tuple[Any, float]],
    measured: dict[int, list[dict[str, Any]]],
) -> None:
    keys = sorted(measured)
    print("## Tasks\n")
    head = " | ".join(f"{k or 'cluster'} w: s | peak MB" for k in keys)
    print(f"| territory | shape | dwellings | requests | moves | build s | {head} | objective |")
    print("|---|---|---:|---:|---:|---:|" + "---:|---:|" * len(keys) + "---:|")
    for i, (code, size, shape) in enumerate(night):
        inst, build_s = instances[i]
        cells = " | ".join(f"{measured[k][i]['seconds']:.1f} | {measured[k][i]['peak_mb']:.0f}" for k in keys)
        objectives = {measured[k][i]["objective"] for k in keys}
        objective = "/".join(str(o) for o in sorted(objectives))  # one value when the runs agree
        print(
            f"| {code} | {shape} | {size} | {len(inst.households)} | {len(inst.moves)} | {build_s:.2f} "
            f"| {cells} | {objective} ({measured[keys[0]][i]['status']}) |"
        )
    print()


def _print_speedup(walls: dict[int, float], measured: dict[int, list[dict[str, Any]]]) -> None:
    print("## Makespan measured\n")
    print("| workers | makespan s | sum of task s | speed-up |")
    print("|---:|---:|---:|---:|")
    base = walls[min(walls)]
    for k in sorted(walls):
        total = sum(t["seconds"] for t in measured[k])
        print(f"| {k or 'cluster'} | {walls[k]:.1f} | {total:.1f} | {base / walls[k]:.2f} |")
    print()


def _fit(sizes: list[int], seconds: list[float]) -> tuple[float, float]:
    """Least squares of log(seconds) = log(a) + b·log(dwellings): ``(a, b)``."""
    xs = [math.log(s) for s in sizes]
    ys = [math.log(max(t, 1e-3)) for t in seconds]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var if var else 1.0
    return math.exp(my - b * mx), b


def makespan(durations: list[float], workers: int) -> float:
    """Longest task first, each to the worker free first (Graham's LPT list scheduling)."""
    free = [0.0] * workers
    for d in sorted(durations, reverse=True):
        heapq.heappush(free, heapq.heappop(free) + d)
    return max(free)


def _predict(
    night: list[tuple[str, int, str]], seconds: list[float], full: list[tuple[str, int, str]]
) -> tuple[list[float], str]:
    """Each full-night territory's seconds, from a fit per shape on the measured ones; and the fits."""
    predicted, fits = [0.0] * len(full), []
    for shape in sorted({s for _, _, s in full}):
        points = [(n, t) for (_, n, s), t in zip(night, seconds, strict=True) if s == shape]
        if len(points) < 2:  # too few of this shape: every measured task
            points = [(n, t) for (_, n, _), t in zip(night, seconds, strict=True)]
        a, b = _fit([n for n, _ in points], [t for _, t in points])
        fits.append(f"{shape}: {a:.3g} × dwellings^{b:.2f}")
        for i, (_, n, s) in enumerate(full):
            if s == shape:
                predicted[i] = a * n**b
    return predicted, "; ".join(fits)


def _print_extrapolation(
    night: list[tuple[str, int, str]],
    base: list[dict[str, Any]],
    instances: list[tuple[Any, float]],
    args: Any,
) -> None:
    full = _night(NATIONAL_TERRITORIES, NATIONAL_DWELLINGS, args.seed)
    measured = [t["seconds"] for t in base]
    solve_s, solve_fit = _predict(night, measured, full)
    predicted = [min(t, args.full_time_limit) for t in solve_s]
    build_s, build_fit = _predict(night, [b for _, b in instances], full)
    print("## Extrapolated makespan\n")
    print(
        f"Full night: {len(full)} territories, {sum(n for _, n, _ in full)} dwellings, largest "
        f"{max(n for _, n, _ in full)}; each task capped at its time limit ({args.full_time_limit:.0f} s). "
        f"Task seconds fitted per shape on the measured ones ({solve_fit}); the coordinator builds "
        f"every graph in turn ({build_fit}): {sum(build_s):.0f} s for the full night, before or "
        "while the workers solve.\n"
    )
    print("| workers | this night s | full night s | full night fits 4 h |")
    print("|---:|---:|---:|---|")
    for workers in (1, 2, 8, 32, 128):
        span = makespan(predicted, workers)
        fits = "yes" if span <= NIGHT_S else "no"
        print(f"| {workers} | {makespan(measured, workers):.1f} | {span:.0f} | {fits} |")
    fewest = next((w for w in range(1, 129) if makespan(predicted, w) <= NIGHT_S), None)
    print(f"\nFewest workers for the full night in 4 hours: {fewest or 'more than 128'}")


if __name__ == "__main__":
    main()

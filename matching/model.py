"""Integer programme of one component: enumerated cycles plus position-indexed chain arcs (PICEF).

Variables: ``x_c`` for each cycle of at most ``max_cycle`` households; ``y_{u,v,k}`` when the move
``u -> v`` (household ``v`` takes the dwelling of ``u``) is the ``k``-th move of a chain. Arcs out
of a vacancy only take position 1; an arc out of a household at chain depth ``d`` takes positions
``d+1 .. max_chain``. Constraints: each household moves at most once (cycles and chain arcs into
it); each vacancy starts at most one chain; a household passes its dwelling on at position
``k+1`` only if it moved in at position ``k``.

Solved in three exact steps (weights are integers, so every solution's value is an integer):

1. the LP relaxation (GLOP): its value ``z`` bounds the optimum, ``floor(z)`` too; when its
   solution is integral it is optimal;
2. an incumbent: the MIP restricted to the variables the LP uses (its support), solved fast;
3. reduced-cost fixing: a variable of reduced cost ``d`` (for a maximisation, ``d <= 0`` at its
   lower bound) is in no solution worth more than ``z + d``; every variable with
   ``z + d < incumbent + 1`` is dropped, and the MIP over what is left (its weakly connected parts,
   each on its own) either finds a better solution or proves the incumbent optimal.

References
----------
Dickerson, Manlove, Plaut, Sandholm, Trimble, "Position-indexed formulations for kidney exchange",
EC 2016. Nemhauser, Wolsey, *Integer and Combinatorial Optimization*, 1988 (reduced-cost fixing).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from ortools.linear_solver import pywraplp

__all__ = ["ChainArc", "ComponentResult", "solve_component"]


@dataclass(frozen=True, slots=True)
class ChainArc:
    """Move ``source -> target`` worth ``weight`` as the ``position``-th move of a chain."""

    source: int
    target: int
    weight: int
    position: int


@dataclass(frozen=True, slots=True)
class ComponentResult:
    """Chosen cycles and chain arcs of one component, with its objective and proven bound."""

    cycles: tuple[int, ...]  # indices into the component's cycle list
    arcs: tuple[ChainArc, ...]
    objective: int
    bound: float
    status: str  # "optimal" | "feasible" | "unknown"
    stats: dict[str, float] | None = None


_STATUS = {
    pywraplp.Solver.OPTIMAL: "optimal",
    pywraplp.Solver.FEASIBLE: "feasible",
    pywraplp.Solver.INFEASIBLE: "infeasible",
    pywraplp.Solver.NOT_SOLVED: "unknown",
}
_INTEGRAL = 1e-6


@dataclass(slots=True)
class _Model:
    """Sparse columns: variable ``j`` has weight ``weights[j]`` and entries ``(row, coef)`` in ``cols[j]``."""

    weights: list[int]
    cols: list[list[tuple[int, float]]]
    rhs: list[float]


def _model(cycles: Sequence[tuple[tuple[int, ...], int]], arcs: Sequence[ChainArc]) -> _Model:
    rows: dict[tuple[str, int, int], int] = {}
    rhs: list[float] = []

    def row(key: tuple[str, int, int], bound: float) -> int:
        r = rows.get(key)
        if r is None:
            r = rows[key] = len(rhs)
            rhs.append(bound)
        return r

    weights: list[int] = []
    cols: list[list[tuple[int, float]]] = []
    for members, w in cycles:
        weights.append(w)
        cols.append([(row(("once", h, 0), 1.0), 1.0) for h in members])
    # Position 1 arcs leave a vacancy; later ones leave a household, which must have moved in just before.
    passes_on = {(a.source, a.position) for a in arcs if a.position > 1}
    for a in arcs:
        weights.append(a.weight)
        col = [(row(("once", a.target, 0), 1.0), 1.0)]
        if a.position == 1:  # a vacancy starts one chain at most
            col.append((row(("vacancy", a.source, 0), 1.0), 1.0))
        else:
            col.append((row(("flow", a.source, a.position), 0.0), 1.0))
        if (a.target, a.position + 1) in passes_on:
            col.append((row(("flow", a.target, a.position + 1), 0.0), -1.0))
        cols.append(col)
    return _Model(weights, cols, rhs)


def _build(
    backend: str, model: _Model, active: Sequence[int], *, integer: bool, rhs: Sequence[float] | None = None
) -> tuple[pywraplp.Solver, list[pywraplp.Variable]]:
    solver = pywraplp.Solver.CreateSolver(backend)
    if solver is None:
        raise ValueError(f"backend: OR-Tools solver {backend!r} is not available")
    infinity = solver.infinity()
    constraints: dict[int, pywraplp.Constraint] = {}
    objective = solver.Objective()
    variables = []
    for j in active:
        var = solver.IntVar(0.0, 1.0, "") if integer else solver.NumVar(0.0, 1.0, "")
        variables.append(var)
        objective.SetCoefficient(var, float(model.weights[j]))
        for r, coef in model.cols[j]:
            c = constraints.get(r)
            if c is None:
                c = constraints[r] = solver.Constraint(-infinity, (rhs or model.rhs)[r])
            c.SetCoefficient(var, coef)
    objective.SetMaximization()
    return solver, variables


def _set_limits(solver: pywraplp.Solver, backend: str, seconds: float, seed: int, workers: int) -> None:
    solver.SetTimeLimit(max(1, int(seconds * 1000)))
    if backend == "SCIP":
        solver.SetSolverSpecificParametersAsString(f"randomization/randomseedshift = {seed}")
    elif backend == "CP_SAT":
        solver.SetSolverSpecificParametersAsString(f"random_seed:{seed} num_workers:{max(1, workers)}")


def _components(model: _Model, active: Sequence[int]) -> list[list[int]]:
    """Split variables into groups sharing no constraint (union-find over rows)."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        root = x
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    for j in active:
        rs = [r for r, _ in model.cols[j]]
        first = find(rs[0])
        for r in rs[1:]:
            other = find(r)
            if other != first:
                parent[max(first, other)] = min(first, other)
                first = min(first, other)
    groups: dict[int, list[int]] = {}
    for j in active:
        groups.setdefault(find(model.cols[j][0][0]), []).append(j)
    return sorted(groups.values())


def _mip(
    model: _Model,
    active: Sequence[int],
    *,
    backend: str,
    seconds: float,
    seed: int,
    workers: int,
    rhs: Sequence[float] | None = None,
) -> tuple[list[int], float, str]:
    """Solve the MIP over ``active``; (chosen variables, proven bound, status).

    Weights are integers: the solver stops once its bound is less than 1 above its best
    solution (a relative gap below ``1 / total``), which proves that solution optimal.
    """
    if not active:
        return [], 0.0, "optimal"
    solver, variables = _build(backend, model, active, integer=True, rhs=rhs)
    _set_limits(solver, backend, seconds, seed, workers)
    total = sum(abs(model.weights[j]) for j in active)
    parameters = pywraplp.MPSolverParameters()
    parameters.SetDoubleParam(parameters.RELATIVE_MIP_GAP, 0.5 / (total + 1))
    name = _STATUS.get(solver.Solve(parameters), "unknown")
    if name not in ("optimal", "feasible"):
        return [], float(total), name
    chosen = [j for j, var in zip(active, variables, strict=True) if var.solution_value() > 0.5]
    value = sum(model.weights[j] for j in chosen)
    best_bound = solver.Objective().BestBound()
    bound = float(value) if name == "optimal" else max(float(value), math.floor(best_bound + 1e-6))
    return chosen, bound, "optimal" if bound <= value else "feasible"


def solve_component(
    cycles: Sequence[tuple[tuple[int, ...], int]],
    arcs: Sequence[ChainArc],
    *,
    time_limit_s: float,
    backend: str = "CBC",
    seed: int = 0,
    workers: int = 1,
    lp_backend: str = "GLOP",
) -> ComponentResult:
    """Maximise the points of chosen cycles and chain arcs of one component.

    Parameters
    ----------
    cycles
        ``(households, points)`` for each candidate cycle.
    arcs
        Position-indexed chain arcs; a vacancy is any source that never appears as a target.
    time_limit_s
        Wall-clock budget.
    backend
        OR-Tools MIP solver id (``CBC``, ``HIGHS``, ``SCIP``, ``CP_SAT``).
    seed, workers
        Passed to backends that take them.
    lp_backend
        OR-Tools LP solver id of the relaxation (``GLOP``, ``HIGHS_LP``, ``CLP``, ``PDLP``).

    Returns
    -------
    ComponentResult
        The best solution found, its objective and the best bound.

    Examples
    --------
    >>> r = solve_component([((0, 1), 10), ((0, 1, 2), 12)], [], time_limit_s=5)
    >>> r.cycles, r.objective, r.status
    ((1,), 12, 'optimal')
    """
    start = time.perf_counter()
    deadline = start + time_limit_s
    if not cycles and not arcs:
        return ComponentResult((), (), 0, 0.0, "optimal")
    model = _model(cycles, arcs)
    n = len(model.weights)
    every = range(n)
    stats: dict[str, float] = {"variables": n}

    # 1. LP relaxation.
    lp, lp_vars = _build(lp_backend, model, every, integer=False)
    lp.SetTimeLimit(max(1, int(max(0.05, deadline - time.perf_counter()) * 1000)))
    lp_status = lp.Solve()
    stats["lp_s"] = time.perf_counter() - start
    if lp_status != pywraplp.Solver.OPTIMAL:  # no LP bound: plain MIP
        plain, plain_bound, name = _mip(
            model, every, backend=backend, seconds=deadline - time.perf_counter(), seed=seed, workers=workers
        )
        return _result(model, cycles, arcs, plain, plain_bound, name, stats)
    z = lp.Objective().Value()
    eps = 1e-7 * abs(z) + 1e-6
    top = math.floor(z + eps)  # integral weights: no solution is worth more
    values = [v.solution_value() for v in lp_vars]
    reduced = [v.reduced_cost() for v in lp_vars]
    stats["lp_bound"] = z
    if all(val < _INTEGRAL or val > 1 - _INTEGRAL for val in values):
        rounded = [j for j in every if values[j] > 0.5]
        if sum(model.weights[j] for j in rounded) >= top:
            stats["stage"] = 1
            return _result(model, cycles, arcs, rounded, float(top), "optimal", stats)

    # 2. MIPs over growing sets of variables of small reduced cost. A solution using a variable of
    # reduced cost d < -delta is worth less than z - delta (an integer), so once the best solution
    # found over the kept set is worth z - delta - 1 or more, it is optimal. delta grows (x4) until
    # then; at z - best - 1 this is exact reduced-cost fixing with the best solution as incumbent.
    slack = [min(0.0, d) for d in reduced]
    chosen: list[int] = []
    best = 0
    delta = eps
    rounds = 0
    while True:
        rounds += 1
        delta = min(delta, z - best - 1 + eps)
        keep = [j for j in every if slack[j] >= -delta - eps]
        found: list[int] = []
        bound = 0.0
        status = "optimal"
        for group in _components(model, keep):
            left = deadline - time.perf_counter()
            if left <= 0.01:
                status = "feasible"
                bound += sum(model.weights[j] for j in group if model.weights[j] > 0)
                continue
            part, part_bound, name = _mip(
                model, group, backend=backend, seconds=left, seed=seed, workers=workers
            )
            found.extend(part)
            bound += part_bound
            if name != "optimal":
                status = "feasible"
        value = sum(model.weights[j] for j in found)
        if value > best:
            best, chosen = value, found
        stats[f"round{rounds}_kept"] = len(keep)
        stats[f"round{rounds}_s"] = time.perf_counter() - start
        if best + 1 >= z - delta - eps:  # outside the kept set: integers below z - delta, so <= best
            return _done(model, cycles, arcs, chosen, float(best), "optimal", stats, rounds)
        if status != "optimal":  # out of time: what is outside the kept set is worth at most z - delta
            proven = min(float(top), max(float(best), bound, math.floor(z - delta + eps)))
            return _done(model, cycles, arcs, chosen, proven, "feasible", stats, rounds)
        delta = max(1.0, 4 * delta)


def _done(
    model: _Model,
    cycles: Sequence[tuple[tuple[int, ...], int]],
    arcs: Sequence[ChainArc],
    chosen: Sequence[int],
    bound: float,
    status: str,
    stats: dict[str, float],
    rounds: int,
) -> ComponentResult:
    stats["stage"] = 2
    stats["rounds"] = rounds
    return _result(model, cycles, arcs, chosen, bound, status, stats)


def _result(
    model: _Model,
    cycles: Sequence[tuple[tuple[int, ...], int]],
    arcs: Sequence[ChainArc],
    chosen: Sequence[int],
    bound: float,
    status: str,
    stats: dict[str, float],
) -> ComponentResult:
    n_cycles = len(cycles)
    chosen = sorted(chosen)
    value = sum(model.weights[j] for j in chosen)
    if status not in ("optimal", "feasible"):
        status = "feasible" if chosen else status
    return ComponentResult(
        tuple(j for j in chosen if j < n_cycles),
        tuple(arcs[j - n_cycles] for j in chosen if j >= n_cycles),
        value,
        max(bound, float(value)),
        status,
        stats,
    )

"""Integer programme of one component: enumerated cycles plus position-indexed chain arcs (PICEF).

Variables: ``x_c`` for each cycle of at most ``max_cycle`` households; ``y_{u,v,k}`` when the move
``u -> v`` (household ``v`` takes the dwelling of ``u``) is the ``k``-th move of a chain. Arcs out
of a vacancy only take position 1; an arc out of a household at chain depth ``d`` takes positions
``d+1 .. max_chain``. Constraints: each household moves at most once (cycles and chain arcs into
it); each vacancy starts at most one chain; a household passes its dwelling on at position
``k+1`` only if it moved in at position ``k``.

References
----------
Dickerson, Manlove, Plaut, Sandholm, Trimble, "Position-indexed formulations for kidney exchange",
EC 2016.
"""

from __future__ import annotations

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


_STATUS = {
    pywraplp.Solver.OPTIMAL: "optimal",
    pywraplp.Solver.FEASIBLE: "feasible",
    pywraplp.Solver.INFEASIBLE: "infeasible",
    pywraplp.Solver.NOT_SOLVED: "unknown",
}


def solve_component(
    cycles: Sequence[tuple[tuple[int, ...], int]],
    arcs: Sequence[ChainArc],
    *,
    time_limit_s: float,
    backend: str = "CBC",
    seed: int = 0,
) -> ComponentResult:
    """Maximise the points of chosen cycles and chain arcs of one component.

    Parameters
    ----------
    cycles
        ``(households, points)`` for each candidate cycle.
    arcs
        Position-indexed chain arcs; a vacancy is any source that never appears as a target.
    time_limit_s
        Wall-clock budget of the solver.
    backend
        An OR-Tools linear solver id (``CBC``, ``HIGHS``, ``SCIP``, ``CP_SAT``).
    seed
        Random seed passed to backends that take one.

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
    solver = pywraplp.Solver.CreateSolver(backend)
    if solver is None:
        raise ValueError(f"backend: OR-Tools solver {backend!r} is not available")
    if not cycles and not arcs:
        return ComponentResult((), (), 0, 0.0, "optimal")
    x = [solver.BoolVar(f"x{i}") for i in range(len(cycles))]
    y = [solver.BoolVar(f"y{i}") for i in range(len(arcs))]
    moves_into: dict[int, list[tuple[pywraplp.Variable, float]]] = {}
    for var, (members, _) in zip(x, cycles, strict=True):
        for h in members:
            moves_into.setdefault(h, []).append((var, 1.0))
    into_at: dict[tuple[int, int], list[pywraplp.Variable]] = {}
    out_at: dict[tuple[int, int], list[pywraplp.Variable]] = {}
    targets = {a.target for a in arcs}
    for var, arc in zip(y, arcs, strict=True):
        moves_into.setdefault(arc.target, []).append((var, 1.0))
        into_at.setdefault((arc.target, arc.position), []).append(var)
        out_at.setdefault((arc.source, arc.position), []).append(var)
    for h, terms in moves_into.items():
        if len(terms) > 1:
            solver.Add(solver.Sum([v for v, _ in terms]) <= 1, f"once_{h}")
    for (u, k), outs in out_at.items():
        if u not in targets and k == 1:
            if len(outs) > 1:
                solver.Add(solver.Sum(outs) <= 1, f"vacancy_{u}")
            continue
        ins = into_at.get((u, k - 1), [])
        solver.Add(solver.Sum(outs) <= solver.Sum(ins), f"flow_{u}_{k}")
    objective = solver.Objective()
    for var, (_, w) in zip(x, cycles, strict=True):
        objective.SetCoefficient(var, float(w))
    for var, arc in zip(y, arcs, strict=True):
        objective.SetCoefficient(var, float(arc.weight))
    objective.SetMaximization()
    solver.SetTimeLimit(max(1, int(time_limit_s * 1000)))
    if backend in ("SCIP", "CP_SAT"):
        solver.SetSolverSpecificParametersAsString(
            f"randomization/randomseedshift = {seed}" if backend == "SCIP" else f"random_seed:{seed} num_workers:1"
        )
    status = solver.Solve()
    name = _STATUS.get(status, "unknown")
    if name not in ("optimal", "feasible"):
        return ComponentResult((), (), 0, float(sum(w for _, w in cycles) + sum(a.weight for a in arcs)), name)
    chosen_cycles = tuple(i for i, var in enumerate(x) if var.solution_value() > 0.5)
    chosen_arcs = tuple(arc for var, arc in zip(y, arcs, strict=True) if var.solution_value() > 0.5)
    value = sum(cycles[i][1] for i in chosen_cycles) + sum(a.weight for a in chosen_arcs)
    bound = float(value) if name == "optimal" else max(float(value), objective.BestBound())
    return ComponentResult(chosen_cycles, chosen_arcs, value, bound, name)

"""The LP relaxation of a component, by column generation: a proven bound, duals and reduced costs.

The restricted master is seeded with the heaviest columns and each household's few heaviest;
every column is priced at once with numpy from the master's duals, and the best columns of
positive reduced cost join the master until none is left. Its value ``z`` bounds the optimum
(``floor(z)`` too, the weights being integers), and the reduced costs drive the proof
(:mod:`matching.proof`) and the search (:mod:`matching.search`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.linear_solver import pywraplp

from matching import tuning
from matching.backends import create_solver, native_output_silenced
from matching.program import IntArray, Program, packing_entries, reduced_costs, to_proto

__all__ = ["Relaxation", "relax"]


@dataclass(slots=True)
class Relaxation:
    """The LP optimum over every column: a proven bound, column values, reduced costs (all <= 0).

    For duals ``pi >= 0`` every solution ``x`` satisfies ``w.x = z - pi.s - sum_j (-d_j) x_j``,
    where ``s = b - Ax >= 0`` are the rows' slacks and ``d_j <= 0`` the reduced costs. A solution
    worth at least ``target`` thus has a budget of ``z - target`` for both terms: it uses only the
    columns of :meth:`usable` and leaves no slack in the rows of :meth:`tight`.

    References
    ----------
    Nemhauser, Wolsey, *Integer and Combinatorial Optimization*, 1988 (reduced-cost fixing).
    """

    value: float
    values: npt.NDArray[np.float64]
    reduced: npt.NDArray[np.float64]
    duals: npt.NDArray[np.float64]  # one per row (all >= 0), then a 0 for the dummy row
    columns: int  # how many columns the restricted master ended with
    iterations: int

    @property
    def eps(self) -> float:
        """The tolerance of comparisons with the LP's value."""
        return 1e-7 * abs(self.value) + 1e-6

    @property
    def top(self) -> int:
        """The LP bound rounded down: weights are integers, so no solution is worth more."""
        return math.floor(self.value + self.eps)

    def usable(self, target: int) -> IntArray:
        """The columns a solution worth ``target`` or more may use: reduced cost at least ``target - z``."""
        return np.flatnonzero(self.reduced >= -(self.value - target) - self.eps)

    def tight(self, target: int) -> npt.NDArray[np.bool_]:
        """The rows a solution worth ``target`` or more leaves without slack: dual above ``z - target``."""
        exact: npt.NDArray[np.bool_] = self.duals > (self.value - target) + self.eps
        exact[-1] = False  # the dummy row
        return exact


def _best_per_row(model: Program, k: int) -> IntArray:
    """The ``k`` heaviest columns of each household and vacancy row (ties: lowest index first)."""
    entry = packing_entries(model)
    column = np.broadcast_to(np.arange(len(model.w))[:, None], model.rows.shape)[entry]
    row = model.rows[entry]
    order = np.lexsort((-model.w[column], row))
    row = row[order]
    rank = np.arange(len(row)) - np.searchsorted(row, row)
    best: IntArray = column[order][rank < k]
    return best


def relax(model: Program, backend: str, deadline: float) -> Relaxation | None:
    """Solve the LP relaxation by column generation over the enumerated columns.

    The restricted master starts with the heaviest columns; each round prices every column at once
    (numpy) with the master's duals and adds those of positive reduced cost (the best first, at most
    half as many as there are rows per round, at least 200). When none is left the master's
    optimum is the full LP's, and its duals give every column's reduced cost.

    Parameters
    ----------
    model
        The programme.
    backend
        OR-Tools LP solver id (``GLOP``, ``HIGHS_LP``, ``CLP``, ``PDLP``).
    deadline
        ``time.perf_counter()`` value to stop at.

    Returns
    -------
    Relaxation or None
        ``None`` when the LP solver fails or time runs out.

    Raises
    ------
    ValueError
        When OR-Tools has no solver ``backend``.

    Examples
    --------
    Three 2-cycles on a triangle, worth 3 each: every cycle at 1/2.

    >>> from matching.program import Columns, build_program
    >>> program = build_program(Columns.of([((0, 1), 3), ((1, 2), 3), ((0, 2), 3)], []))
    >>> relaxation = relax(program, "GLOP", time.perf_counter() + 10)
    >>> round(relaxation.value, 6), relaxation.values.round(6).tolist()
    (4.5, [0.5, 0.5, 0.5])

    References
    ----------
    Desrosiers, Lübbecke, "A primer in column generation", in *Column Generation*, 2005.
    """
    n = len(model.weights)
    n_rows = len(model.rhs)
    # Start: the heaviest columns and each household's (and vacancy's) three heaviest, loaded at once
    # as a proto (every row, in order): the heaviest alone may all crowd around a few households.
    per_round = max(200, n_rows // 2)
    order = np.argsort(-model.w, kind="stable")
    seeded = np.zeros(n, dtype=bool)  # not np.union1d: that would import numpy.ma
    seeded[order[: min(n, per_round)]] = True
    seeded[_best_per_row(model, tuning.SEED_PER_ROW)] = True
    first = np.flatnonzero(seeded)
    solver = create_solver(
        backend, to_proto(model, first.tolist(), integer=False, all_rows=True), "lp_backend"
    )
    constraints = solver.constraints()
    objective = solver.Objective()
    in_master = np.zeros(n, dtype=bool)
    in_master[first] = True
    variables: dict[int, pywraplp.Variable] = dict(zip(first.tolist(), solver.variables(), strict=True))

    def add(columns: npt.NDArray[np.int64]) -> None:
        for j in columns.tolist():
            var = solver.NumVar(0.0, solver.infinity(), "")  # x <= 1 follows from its household's row
            variables[j] = var
            objective.SetCoefficient(var, model.weights[j])
            for r, coef in model.col(j):
                constraints[r].SetCoefficient(var, coef)
        in_master[columns] = True

    if backend == "GLOP":  # keep the basis between rounds (presolve would start afresh each time)
        solver.SetSolverSpecificParametersAsString("use_preprocessing:false")
    duals = np.zeros(n_rows + 1)
    iterations = 0
    while True:
        iterations += 1
        solver.SetTimeLimit(max(1, int(max(0.05, deadline - time.perf_counter()) * 1000)))
        with native_output_silenced():
            solved = solver.Solve()
        if solved != pywraplp.Solver.OPTIMAL:
            return None
        duals[:n_rows] = [c.dual_value() for c in constraints]
        reduced = reduced_costs(model, duals)
        candidates = np.flatnonzero((reduced > 1e-7) & ~in_master)
        if candidates.size == 0:
            break
        if time.perf_counter() > deadline:
            return None
        if candidates.size > per_round:
            candidates = candidates[np.argpartition(-reduced[candidates], per_round)[:per_round]]
        add(np.sort(candidates))
    values = np.zeros(n)
    for j, var in variables.items():
        values[j] = var.solution_value()
    # The bound reduced-cost fixing relies on, valid whatever the LP solver's tolerances: for duals
    # pi >= 0 and any solution x in [0, 1] (every column has a household row, so x <= 1),
    # w.x = pi.A x + (w - pi A).x <= pi.b + sum of the positive reduced costs, and a solution using
    # column j is worth at most that plus j's (negative) reduced cost.
    duals = np.maximum(duals, 0.0)
    reduced = reduced_costs(model, duals)
    value = float(np.dot(duals[:n_rows], np.asarray(model.rhs)) + reduced[reduced > 0].sum())
    return Relaxation(value, values, np.minimum(reduced, 0.0), duals, int(in_master.sum()), iterations)

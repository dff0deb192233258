"""One LP or MIP proto solved by one OR-Tools backend (HiGHS through MathOpt, the others through pywraplp).

A backend's own status is reported as is; :mod:`matching.mip` trusts only its bound.
"""

from __future__ import annotations

import contextlib
import datetime
import math
import os
import sys
import time
from collections.abc import Iterator
from types import MappingProxyType

import numpy as np
from ortools.linear_solver import linear_solver_pb2, pywraplp

__all__ = ["Answer", "create_solver", "native_output_silenced", "solve_proto"]

_STATUS = MappingProxyType(
    {
        pywraplp.Solver.OPTIMAL: "optimal",
        pywraplp.Solver.FEASIBLE: "feasible",
        pywraplp.Solver.INFEASIBLE: "infeasible",
        pywraplp.Solver.NOT_SOLVED: "unknown",
    }
)


Answer = tuple[str, list[int], float, float]
"""A MIP's status, the indices of its variables at 1, its best bound, its solution's value."""


def create_solver(backend: str, proto: linear_solver_pb2.MPModelProto, what: str) -> pywraplp.Solver:
    """A pywraplp solver ``backend`` loaded with ``proto``.

    Parameters
    ----------
    backend
        OR-Tools solver id (``GLOP``, ``CBC``, ``SCIP``, ``CP_SAT``...).
    proto
        The model.
    what
        The parameter ``backend`` came from, named in the error.

    Returns
    -------
    pywraplp.Solver
        Ready to solve.

    Raises
    ------
    ValueError
        When OR-Tools has no solver ``backend``.

    Examples
    --------
    >>> proto = linear_solver_pb2.MPModelProto(maximize=True)
    >>> create_solver("GLOP", proto, "lp_backend").NumVariables()
    0
    >>> create_solver("NO_SUCH", proto, "backend")
    Traceback (most recent call last):
    ...
    ValueError: backend: OR-Tools solver 'NO_SUCH' is not available
    """
    solver = pywraplp.Solver.CreateSolver(backend)
    if solver is None:
        raise ValueError(f"{what}: OR-Tools solver {backend!r} is not available")
    error = solver.LoadModelFromProto(proto)
    if error:  # pragma: no cover - the proto is built above from checked arrays
        raise RuntimeError(f"OR-Tools rejected the model: {error}")
    return solver


@contextlib.contextmanager
def native_output_silenced() -> Iterator[None]:
    """Send what native solvers print (CBC's "N slacks added", CLP's "row inf") to /dev/null.

    Python's own ``sys.stdout``/``sys.stderr`` objects are flushed first and keep working; only the
    process-level descriptors 1 and 2 point elsewhere while the block runs.

    Examples
    --------
    >>> with native_output_silenced():
    ...     os.write(1, b"CBC says hello")
    14
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    try:
        saved = [os.dup(1), os.dup(2)]
    except OSError:  # no descriptors to redirect (embedded interpreter)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)


def _set_limits(
    solver: pywraplp.Solver,
    backend: str,
    seconds: float,
    seed: int,
    workers: int,
    *,
    search: bool = False,
) -> None:
    solver.SetTimeLimit(max(1, int(seconds * 1000)))
    if backend == "SCIP":
        solver.SetSolverSpecificParametersAsString(f"randomization/randomseedshift = {seed}")
    elif backend == "CP_SAT":
        # Search MIPs (at most tuning.SMALL variables) skip probing and presolve, which pay only on
        # larger models, and keep the full LP relaxation in the search, which proves small ones fast.
        extra = " cp_model_probing_level:0 linearization_level:2 cp_model_presolve:false" if search else ""
        text = f"random_seed:{seed} num_workers:{max(1, workers)}{extra}"
        solver.SetSolverSpecificParametersAsString(text)


def solve_proto(
    proto: linear_solver_pb2.MPModelProto,
    backend: str,
    until: float,
    seed: int,
    workers: int,
    search: bool,
    gap: float | None,
) -> Answer:
    """Solve a MIP proto with ``backend`` until ``until``.

    Parameters
    ----------
    proto
        A maximisation over binary variables with integral weights.
    backend
        OR-Tools MIP solver id (``CBC``, ``HIGHS``, ``SCIP``, ``CP_SAT``).
    until
        ``time.perf_counter()`` value to stop at; the clock runs while the model loads.
    seed, workers
        Passed to the backends that take them.
    search
        Tune CP-SAT to find rather than prove (small search MIPs).
    gap
        Relative gap to stop at; ``None``: a gap under which the best solution is proven optimal.

    Returns
    -------
    Answer
        The status, the indices of the variables at 1, the solver's best bound, the solution's value.

    Raises
    ------
    ValueError
        When OR-Tools has no solver ``backend``.

    Examples
    --------
    >>> from matching.program import Columns, build_program, to_proto
    >>> program = build_program(Columns.of([((0, 1), 10), ((1, 2), 4), ((2, 3), 7)], []))
    >>> proto = to_proto(program, [0, 1, 2], integer=True)
    >>> solve_proto(proto, "CBC", time.perf_counter() + 10, 0, 1, False, None)
    ('optimal', [0, 2], 17.0, 17.0)
    """
    total = sum(abs(variable.objective_coefficient) for variable in proto.variable)
    relative_gap = 0.5 / (total + 1) if gap is None else gap
    if backend == "HIGHS":
        return _solve_highs(proto, until, seed, relative_gap)
    solver = create_solver(backend, proto, "backend")
    # The clock runs while the model is loaded (seconds on hundreds of thousands of columns).
    _set_limits(solver, backend, max(0.01, until - time.perf_counter()), seed, workers, search=search)
    parameters = pywraplp.MPSolverParameters()
    parameters.SetDoubleParam(parameters.RELATIVE_MIP_GAP, relative_gap)
    with native_output_silenced():
        name = _STATUS.get(solver.Solve(parameters), "unknown")
    if name not in ("optimal", "feasible"):
        return name, [], math.inf, -math.inf
    picked = [i for i, var in enumerate(solver.variables()) if var.solution_value() > 0.5]
    value = sum(proto.variable[i].objective_coefficient for i in picked)
    return name, picked, solver.Objective().BestBound(), value


def _solve_highs(
    proto: linear_solver_pb2.MPModelProto, until: float, seed: int, relative_gap: float
) -> Answer:
    """:func:`solve_proto` for HiGHS (with its relative gap), through MathOpt rather than pywraplp.

    pywraplp loses HiGHS's incumbent when the time limit is reached (OR-Tools 9.15: status 99, "No
    solution exists"; google/or-tools#5016 and #5372); MathOpt returns it, with the dual bound.
    """
    # Imported here: a slow import that only raced MIPs (or backend HIGHS) should pay.
    from ortools.math_opt import model_pb2
    from ortools.math_opt.python import mathopt
    from ortools.math_opt.python import model as mathopt_model

    n = len(proto.variable)
    model = model_pb2.ModelProto()
    model.variables.ids.extend(range(n))
    model.variables.lower_bounds.extend([0.0] * n)
    model.variables.upper_bounds.extend([1.0] * n)
    model.variables.integers.extend([True] * n)
    model.objective.maximize = True
    model.objective.linear_coefficients.ids.extend(range(n))
    model.objective.linear_coefficients.values.extend(v.objective_coefficient for v in proto.variable)
    sizes = [len(ct.var_index) for ct in proto.constraint]
    rows = np.repeat(np.arange(len(sizes)), sizes)
    columns = np.fromiter((j for ct in proto.constraint for j in ct.var_index), np.int64, len(rows))
    coefficients = np.fromiter((a for ct in proto.constraint for a in ct.coefficient), float, len(rows))
    order = np.lexsort((columns, rows))  # MathOpt wants the entries row by row, columns ascending
    model.linear_constraints.ids.extend(range(len(sizes)))
    model.linear_constraints.lower_bounds.extend(ct.lower_bound for ct in proto.constraint)
    model.linear_constraints.upper_bounds.extend(ct.upper_bound for ct in proto.constraint)
    model.linear_constraint_matrix.row_ids.extend(rows[order].tolist())
    model.linear_constraint_matrix.column_ids.extend(columns[order].tolist())
    model.linear_constraint_matrix.coefficients.extend(coefficients[order].tolist())
    built = mathopt_model.Model.from_model_proto(model)
    params = mathopt.SolveParameters(
        time_limit=datetime.timedelta(seconds=max(0.01, until - time.perf_counter())),
        random_seed=seed,
        relative_gap_tolerance=relative_gap,
        absolute_gap_tolerance=0.5,  # integral weights: a bound less than 1 above the best proves it
    )
    result = mathopt.solve(built, mathopt.SolverType.HIGHS, params=params)
    reason = result.termination.reason
    bound = result.termination.objective_bounds.dual_bound
    if reason == mathopt.TerminationReason.INFEASIBLE:
        return "infeasible", [], -math.inf, -math.inf
    if not result.has_primal_feasible_solution():
        return "unknown", [], math.inf, -math.inf
    variables = [built.get_variable(j) for j in range(n)]
    picked = [j for j, x in enumerate(result.variable_values(variables)) if x > 0.5]
    value = sum(proto.variable[j].objective_coefficient for j in picked)
    name = "optimal" if reason == mathopt.TerminationReason.OPTIMAL else "feasible"
    return name, picked, bound if math.isfinite(bound) else math.inf, value

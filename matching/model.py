"""Integer programme of one component: enumerated cycles plus position-indexed chain arcs (PICEF).

Variables: ``x_c`` for each cycle of at most ``max_cycle`` households; ``y_{u,v,k}`` when the move
``u -> v`` (household ``v`` takes the dwelling of ``u``) is the ``k``-th move of a chain. Arcs out
of a vacancy only take position 1; an arc out of a household at chain depth ``d`` takes positions
``d+1 .. max_chain``. Constraints: each household moves at most once (cycles and chain arcs into
it); each vacancy starts at most one chain; a household passes its dwelling on at position
``k+1`` only if it moved in at position ``k``.

Solved in three exact steps (weights are integers, so every solution's value is an integer):

1. the LP relaxation (GLOP) by column generation: a restricted master seeded with the heaviest
   columns and each household's three heaviest, every column priced at once with numpy, the best
   columns of positive reduced cost added until none is left; its value ``z`` bounds the optimum,
   ``floor(z)`` too; when its solution is integral it is optimal;
2. incumbents: short MIPs over the LP's support, then over its integral part plus the columns of
   zero reduced cost that touch none of its households (with half the time left when no proof MIP
   of step 3 would fit); a solution worth ``floor(z)`` is optimal;
3. reduced-cost fixing: a variable of reduced cost ``d`` (for a maximisation, ``d <= 0`` at its
   lower bound) is in no solution worth more than ``z + d``; a solution worth ``target`` or more uses
   only variables with ``z + d >= target`` and leaves no slack in a row whose dual exceeds
   ``z - target`` (complementary slackness with a budget), so the MIP over those variables, with
   those rows as equalities (its weakly connected parts, each on its own), either finds one or
   proves that none exists. With ``target = incumbent + 1`` that proves the incumbent optimal; when
   that set is too large, targets start at ``floor(z)`` and go down, and after each refuted target a
   short search looks for a solution worth the new bound.

No MIP is built over more than ``_MIP_MAX`` variables: on such sizes CBC does not stop at its time
limit. When step 3 would need one, the time left goes to large-neighbourhood search (MIPs over the
incumbent plus the zero-reduced-cost columns around a region of households), and the LP bound is
reported.

MIP solvers' own statuses are not trusted: a solution is reported optimal only when the solver's
best bound, rounded down, does not exceed it. With two workers, mid-sized MIPs race CBC against
HiGHS in two child processes (both solvers are single-threaded); the first conclusive answer wins.
Runs are then deterministic up to that race, as they are up to time limits: a settled MIP has the
same optimum whichever solver settles it, but not always the same optimal solution.

References
----------
Dickerson, Manlove, Plaut, Sandholm, Trimble, "Position-indexed formulations for kidney exchange",
EC 2016. Nemhauser, Wolsey, *Integer and Combinatorial Optimization*, 1988 (reduced-cost fixing).
"""

from __future__ import annotations

import contextlib
import datetime
import math
import multiprocessing
import multiprocessing.connection
import multiprocessing.popen_fork  # noqa: F401 - what a first fork imports (no import while solving)
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from ortools.linear_solver import linear_solver_pb2, pywraplp

__all__ = ["ChainArc", "Columns", "ComponentResult", "solve_component"]


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
_SMALL = 2000  # search MIPs up to this many variables go to CP-SAT,
_SMALL_SECONDS = 0.5  # for at most this long each (CP-SAT finds fast but may prove slowly)
_SEARCH_SECONDS = 5.0  # a search round's budget, unless the time limit is tight (see _search_budget)
_SEED_PER_ROW = 3  # columns per household row in the first restricted master
_MIP_MAX = 150_000  # no MIP over more variables: CBC does not stop on time (613k: 191 s for 57 s)
_AROUND_MAX = 60_000  # columns of the second search round at most (see _around_integral)
_PROOF_DIRECT = 50_000  # straight to the incumbent's proof MIP up to this many columns (see step 3),
_PROOF_GROWTH = 1.25  # or up to this many times as many as the next target's
_REGION = 300  # households freed by one large-neighbourhood round (see _neighbourhoods)
_REGION_SECONDS = 3.0  # and its MIP's budget
_AROUND_SHARE = 0.5  # of the time left for the second search round when no proof MIP fits (see step 2)
_GOAL_SHARE = 0.25  # of the time left for a search after a refuted target (see step 3)
_TINY = 8  # parts of at most this many variables are enumerated (no solver start-up)
_RACE_MIN = 10_000  # with two workers, MIPs of at least this many variables race a second backend,
_RACE_MAX = 100_000  # but not beyond this many (territory-20000 points: a 143,194-variable proof MIP;
# alone, CBC gave up after 88 s and the region search used the rest; raced, HiGHS held the 180 s left)
_RACE_PARTNER = {"CBC": "HIGHS"}  # this one (see _race),
_RACE_GRACE = 2.0  # and each racer is killed this long after the deadline at the latest


IntArray = npt.NDArray[np.int64]
_Answer = tuple[str, list[int], float, float]  # a MIP's status, variables at 1, best bound, value


@dataclass(frozen=True, slots=True)
class Columns:
    """One component's candidate columns as arrays.

    Cycles: ``members[i]`` lists cycle ``i``'s households (padded with ``-1``), worth ``points[i]``.
    Chain arcs: ``source[k] -> target[k]`` worth ``weight[k]`` as the ``position[k]``-th move.
    """

    members: IntArray
    points: IntArray
    source: IntArray
    target: IntArray
    weight: IntArray
    position: IntArray

    @classmethod
    def of(cls, cycles: Sequence[tuple[tuple[int, ...], int]], arcs: Sequence[ChainArc]) -> Columns:
        """From lists of ``(households, points)`` and :class:`ChainArc`."""
        width = max((len(c) for c, _ in cycles), default=2)
        members = np.full((len(cycles), width), -1, dtype=np.int64)
        for i, (c, _) in enumerate(cycles):
            members[i, : len(c)] = c
        table = np.asarray([(a.source, a.target, a.weight, a.position) for a in arcs], dtype=np.int64)
        table = table.reshape(len(arcs), 4)
        points = np.asarray([p for _, p in cycles], dtype=np.int64)
        return cls(members, points, table[:, 0], table[:, 1], table[:, 2], table[:, 3])

    @property
    def n_cycles(self) -> int:
        """How many cycle columns come first."""
        return len(self.points)

    def arc(self, k: int) -> ChainArc:
        """Chain arc ``k`` as a :class:`ChainArc`."""
        return ChainArc(int(self.source[k]), int(self.target[k]), int(self.weight[k]), int(self.position[k]))


@dataclass(slots=True)
class _Model:
    """Columns as dense numpy arrays: variable ``j`` has weight ``w[j]`` and entries
    ``(rows[j, i], coefs[i, j])``, padded with the dummy row ``len(rhs)`` (coefficient 0, dual 0).
    """

    weights: list[int]
    rhs: list[float]
    rows: IntArray
    coefs: npt.NDArray[np.float64]
    w: npt.NDArray[np.float64]
    _lists: tuple[list[list[int]], list[list[float]]] | None = None

    def col(self, j: int) -> list[tuple[int, float]]:
        """The non-zero entries ``(row, coef)`` of column ``j``."""
        if self._lists is None:
            self._lists = (self.rows.tolist(), self.coefs.tolist())
        pad = len(self.rhs)
        return [(r, c) for r, c in zip(self._lists[0][j], self._lists[1][j], strict=True) if r != pad]


def _model(columns: Columns) -> _Model:
    """Rows numbered in order of first use (cycles' households, then each arc's entries).

    Row kinds: a household moves at most once (``<= 1``), a vacancy starts one chain at most
    (``<= 1``), a household passes its dwelling on at position ``k + 1`` only if it moved in at
    position ``k`` (``y_out - y_in <= 0``). Keys encode ``(kind, node, position)``.
    """
    members = columns.members
    n_c = len(members)
    src, dst, pos = columns.source, columns.target, columns.position
    n_a = len(src)
    top = int(max(members.max(initial=0), src.max(initial=0), dst.max(initial=0))) + 1
    levels = int(pos.max(initial=1)) + 2

    def key(kind: int, node: IntArray, level: IntArray | int) -> IntArray:
        return (kind * top + node) * levels + level

    width = max(members.shape[1], 3)
    keys = np.full((n_c + n_a, width), -1, dtype=np.int64)
    coefs = np.zeros((n_c + n_a, width), dtype=np.float64)
    real = members >= 0
    keys[:n_c, : members.shape[1]] = np.where(real, key(0, np.maximum(members, 0), 0), -1)
    coefs[:n_c, : members.shape[1]] = real
    if n_a:
        keys[n_c:, 0] = key(0, dst, 0)
        first = pos == 1
        keys[n_c:, 1] = np.where(first, key(1, src, 0), key(2, src, pos))
        onward = key(2, dst, pos + 1)
        passes = np.isin(onward, keys[n_c:, 1][~first])  # (np.unique would import numpy.ma: 30 ms)
        keys[n_c:, 2] = np.where(passes, onward, -1)
        coefs[n_c:, :2] = 1.0
        coefs[n_c:, 2] = np.where(passes, -1.0, 0.0)
    flat = keys.ravel()
    used = flat >= 0
    uniq, first_at, inverse = np.unique(flat[used], return_index=True, return_inverse=True)
    order = np.argsort(first_at, kind="stable")  # rows in order of first appearance
    rank = np.empty(len(uniq), dtype=np.int64)
    rank[order] = np.arange(len(uniq))
    rows = np.full(flat.shape, len(uniq), dtype=np.int64)
    rows[used] = rank[inverse.ravel()]
    kinds = uniq[order] // levels // top
    rhs = np.where(kinds == 2, 0.0, 1.0).tolist()
    weights = np.concatenate([columns.points, columns.weight]).astype(np.int64)
    return _Model(weights.tolist(), rhs, rows.reshape(keys.shape), coefs, weights.astype(np.float64))


def _reduced_costs(model: _Model, duals: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """``w_j - sum_r a_rj * pi_r`` for every column (``duals`` has one extra 0 for the dummy row)."""
    reduced: npt.NDArray[np.float64] = model.w - (model.coefs * duals[model.rows]).sum(axis=1)
    return reduced


def _proto(
    model: _Model,
    active: Sequence[int],
    *,
    integer: bool,
    all_rows: bool = False,
    exact: npt.NDArray[np.bool_] | None = None,
) -> linear_solver_pb2.MPModelProto:
    """The programme over the columns ``active`` (in that order) as a model proto.

    Four to five times faster than one solver call per coefficient (the rows are filled from numpy,
    one call each). Rows: those the columns use, in order of first use; every row, in row order, with
    ``all_rows``. Rows flagged in ``exact`` are equalities (see step 3 of :func:`solve_component`).
    """
    proto = linear_solver_pb2.MPModelProto(maximize=True)
    upper = 1.0 if integer else math.inf
    add = proto.variable.add
    for j in active:
        add(lower_bound=0.0, upper_bound=upper, objective_coefficient=model.weights[j], is_integer=integer)
    index = np.asarray(active, dtype=np.int64)
    n_rows = len(model.rhs)
    rows = model.rows[index]
    used = rows < n_rows
    r = rows[used]
    c = model.coefs[index][used]
    v = np.broadcast_to(np.arange(len(index))[:, None], rows.shape)[used]
    order = np.argsort(r, kind="stable")
    r, c, v = r[order], c[order], v[order]
    if all_rows:
        kept = np.arange(n_rows)
    else:  # rows in order of first use by the columns, as a solver built column by column has them
        first_use = rows[used]  # column-major: the order columns meet their rows
        seen, at = np.unique(first_use, return_index=True)
        kept = seen[np.argsort(at, kind="stable")]
    starts = np.searchsorted(r, kept).tolist()
    ends = np.searchsorted(r, kept, side="right").tolist()
    var_index, coefficient = v.tolist(), c.tolist()
    tight = np.zeros(len(kept), dtype=bool) if exact is None else exact[kept]
    for row, a, b, equal in zip(kept.tolist(), starts, ends, tight.tolist(), strict=True):
        rhs = model.rhs[row]
        ct = proto.constraint.add(lower_bound=rhs if equal else -math.inf, upper_bound=rhs)
        ct.var_index.extend(var_index[a:b])
        ct.coefficient.extend(coefficient[a:b])
    return proto


def _solver(backend: str, proto: linear_solver_pb2.MPModelProto, what: str) -> pywraplp.Solver:
    solver = pywraplp.Solver.CreateSolver(backend)
    if solver is None:
        raise ValueError(f"{what}: OR-Tools solver {backend!r} is not available")
    error = solver.LoadModelFromProto(proto)
    if error:  # pragma: no cover - the proto is built above from checked arrays
        raise RuntimeError(f"OR-Tools rejected the model: {error}")
    return solver


@dataclass(slots=True)
class _Relaxation:
    """The LP optimum over every column: a proven bound, column values, reduced costs (all <= 0)."""

    value: float
    values: npt.NDArray[np.float64]
    reduced: npt.NDArray[np.float64]
    duals: npt.NDArray[np.float64]  # one per row (all >= 0), then a 0 for the dummy row
    columns: int  # how many columns the restricted master ended with
    iterations: int


def _packing_rows(model: _Model) -> npt.NDArray[np.bool_]:
    """Which rows are household or vacancy rows (``<= 1``); one flag per row, the dummy row's False."""
    return np.append(np.asarray(model.rhs) > 0, False)


def _packing(model: _Model) -> npt.NDArray[np.bool_]:
    """Which entries ``(j, i)`` of ``model.rows`` are household or vacancy rows (``<= 1``, coefficient 1)."""
    packing: npt.NDArray[np.bool_] = (model.coefs > 0) & _packing_rows(model)[model.rows]
    return packing


def _covered(model: _Model, packing: npt.NDArray[np.bool_], columns: IntArray) -> npt.NDArray[np.bool_]:
    """The household and vacancy rows that ``columns`` use (one flag per row, the dummy row's False)."""
    covered = np.zeros(len(model.rhs) + 1, dtype=bool)
    covered[model.rows[columns][packing[columns]]] = True
    return covered


def _best_per_row(model: _Model, k: int) -> IntArray:
    """The ``k`` heaviest columns of each household and vacancy row (ties: lowest index first)."""
    entry = _packing(model)
    column = np.broadcast_to(np.arange(len(model.w))[:, None], model.rows.shape)[entry]
    row = model.rows[entry]
    order = np.lexsort((-model.w[column], row))
    row = row[order]
    rank = np.arange(len(row)) - np.searchsorted(row, row)
    best: IntArray = column[order][rank < k]
    return best


def _column_generation(model: _Model, backend: str, deadline: float) -> _Relaxation | None:
    """Solve the LP relaxation by column generation over the enumerated columns.

    The restricted master starts with the heaviest columns; each round prices every column at once
    (numpy) with the master's duals and adds those of positive reduced cost (the best first, at most
    half as many as there are rows per round, at least 200). When none is left the master's
    optimum is the full LP's, and its duals give every column's reduced cost. ``None`` when the LP
    solver fails or time runs out.
    """
    n = len(model.weights)
    n_rows = len(model.rhs)
    # Start: the heaviest columns and each household's (and vacancy's) three heaviest, loaded at once
    # as a proto (every row, in order). The heaviest alone may all crowd around a few households
    # (unit weights: the first 1,008 of 124k 3-cycles were worth 30 together, and the LP took 28
    # rounds, 5 s; with each row's best three, 16 rounds, 2 s).
    per_round = max(200, n_rows // 2)
    order = np.argsort(-model.w, kind="stable")
    seeded = np.zeros(n, dtype=bool)  # (np.union1d would import numpy.ma: 17 ms on a first call)
    seeded[order[: min(n, per_round)]] = True
    seeded[_best_per_row(model, _SEED_PER_ROW)] = True
    first = np.flatnonzero(seeded)
    solver = _solver(backend, _proto(model, first.tolist(), integer=False, all_rows=True), "lp_backend")
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
        with _native_output_silenced():
            solved = solver.Solve()
        if solved != pywraplp.Solver.OPTIMAL:
            return None
        duals[:n_rows] = [c.dual_value() for c in constraints]
        reduced = _reduced_costs(model, duals)
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
    reduced = _reduced_costs(model, duals)
    value = float(np.dot(duals[:n_rows], np.asarray(model.rhs)) + reduced[reduced > 0].sum())
    return _Relaxation(value, values, np.minimum(reduced, 0.0), duals, int(in_master.sum()), iterations)


def _around_integral(
    model: _Model, values: npt.NDArray[np.float64], slack: npt.NDArray[np.float64], eps: float, seed: int
) -> list[int]:
    """The LP's columns at 1, and the columns of zero reduced cost that touch none of their households.

    A search set, not a proof: it keeps the LP's integral part and lets the MIP repair the rest. When
    there are more than ``_AROUND_MAX`` (unit weights on 2,000 pairs: 222,946, on which CBC found
    worse than on the LP's support alone), the LP's support plus a sample of the others (``seed``).
    """
    at_one = values > 1 - _INTEGRAL
    covered = _covered(model, _packing(model), np.flatnonzero(at_one))
    touches = ((model.coefs > 0) & covered[model.rows]).any(axis=1)
    around = np.flatnonzero(at_one | ((slack >= -eps) & ~touches))
    if len(around) > _AROUND_MAX:
        support = values > _INTEGRAL
        others = around[~support[around]]
        size = min(len(others), max(0, _AROUND_MAX - int(support.sum())))
        sample = np.random.default_rng(seed).choice(others, size, replace=False)
        around = np.sort(np.concatenate([np.flatnonzero(support), sample]))
    return around.tolist()


@contextlib.contextmanager
def _native_output_silenced() -> Iterator[None]:
    """Send what native solvers print (CBC's "N slacks added", CLP's "row inf") to /dev/null.

    Python's own ``sys.stdout``/``sys.stderr`` objects are flushed first and keep working; only the
    process-level descriptors 1 and 2 point elsewhere while the block runs.
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
        # Search MIPs (at most _SMALL variables) skip probing (2-3x faster to their optimum on 400-1,500
        # variables), keep the full LP relaxation in the search (linearization level 2: at the default
        # level one worker spent its whole 0.5 s budget on a 100-variable support without proving it,
        # 12 ms with it) and skip presolve (1,322 variables on 37 rows: 124 ms -> 28 ms; 311 variables:
        # 373 -> 170 ms; it pays only on much larger models, which go to CBC).
        tuning = " cp_model_probing_level:0 linearization_level:2 cp_model_presolve:false" if search else ""
        text = f"random_seed:{seed} num_workers:{max(1, workers)}{tuning}"
        solver.SetSolverSpecificParametersAsString(text)


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
        rs = [r for r, _ in model.col(j)]
        first = find(rs[0])
        for r in rs[1:]:
            other = find(r)
            if other != first:
                parent[max(first, other)] = min(first, other)
                first = min(first, other)
    groups: dict[int, list[int]] = {}
    for j in active:
        groups.setdefault(find(model.col(j)[0][0]), []).append(j)
    return sorted(groups.values())


def _mip(
    model: _Model,
    active: Sequence[int],
    *,
    backend: str,
    seconds: float,
    seed: int,
    workers: int,
    search: bool = False,
    exact: npt.NDArray[np.bool_] | None = None,
    gap: float | None = None,
) -> tuple[list[int], float, str]:
    """Solve the MIP over ``active``; (chosen variables, proven bound, status).

    Weights are integers: the solver stops once its bound is less than 1 above its best
    solution (a relative gap below ``1 / total``), which proves that solution optimal. Rows flagged
    in ``exact`` are equalities; the status is ``infeasible`` when the solver proves that no choice
    meets them. With ``gap``, the solver stops at that relative gap instead (a search, not a proof).
    With two workers, a MIP of ``_RACE_MIN`` to ``_RACE_MAX`` variables races a second backend (see
    :func:`_race`).
    """
    if not active:
        return [], 0.0, "optimal"
    until = time.perf_counter() + seconds
    proto = _proto(model, active, integer=True, exact=exact)
    total = sum(abs(model.weights[j]) for j in active)
    partner = _RACE_PARTNER.get(backend)
    if workers >= 2 and partner and _RACE_MIN <= len(active) <= _RACE_MAX and _can_fork():
        name, picked, best_bound, _ = _race(proto, (backend, partner), until, seed, search, gap)
    else:
        name, picked, best_bound, _ = _solve_proto(proto, backend, until, seed, workers, search, gap)
    if name == "infeasible" and exact is None:  # choosing nothing is feasible: a solver failure
        name = "unknown"
    if name not in ("optimal", "feasible"):
        return [], float(total), name
    chosen = [active[i] for i in picked]
    value = sum(model.weights[j] for j in chosen)
    # Trust the solver's bound, not its status: a backend may stop at its own default gap.
    if not math.isfinite(best_bound):
        best_bound = float(total)
    bound = max(float(value), math.floor(best_bound + 1e-6))
    return chosen, bound, "optimal" if bound <= value else "feasible"


def _solve_proto(
    proto: linear_solver_pb2.MPModelProto,
    backend: str,
    until: float,
    seed: int,
    workers: int,
    search: bool,
    gap: float | None,
) -> _Answer:
    """Solve a MIP proto with ``backend`` until ``until``: (status, indices of the variables at 1,
    the solver's best bound, the solution's value). ``gap`` as in :func:`_mip`."""
    total = sum(abs(variable.objective_coefficient) for variable in proto.variable)
    relative_gap = 0.5 / (total + 1) if gap is None else gap
    if backend == "HIGHS":
        return _solve_highs(proto, until, seed, relative_gap)
    solver = _solver(backend, proto, "backend")
    # The clock runs while the model is loaded (seconds on hundreds of thousands of columns).
    _set_limits(solver, backend, max(0.01, until - time.perf_counter()), seed, workers, search=search)
    parameters = pywraplp.MPSolverParameters()
    parameters.SetDoubleParam(parameters.RELATIVE_MIP_GAP, relative_gap)
    with _native_output_silenced():
        name = _STATUS.get(solver.Solve(parameters), "unknown")
    if name not in ("optimal", "feasible"):
        return name, [], math.inf, -math.inf
    picked = [i for i, var in enumerate(solver.variables()) if var.solution_value() > 0.5]
    value = sum(proto.variable[i].objective_coefficient for i in picked)
    return name, picked, solver.Objective().BestBound(), value


def _solve_highs(
    proto: linear_solver_pb2.MPModelProto, until: float, seed: int, relative_gap: float
) -> _Answer:
    """:func:`_solve_proto` for HiGHS (with its relative gap), through MathOpt rather than pywraplp.

    pywraplp loses HiGHS's incumbent when the time limit is reached (OR-Tools 9.15: status 99, "No
    solution exists"; google/or-tools#5016 and #5372): territory-20000 unit weights, the 37,487
    columns of the second search round, HiGHS had 3791 after 77 s of 120 and pywraplp returned
    nothing. MathOpt returns it (3790 at a 45 s limit), with the dual bound.
    """
    # Imported here: 0.23 s that only MIPs of at least _RACE_MIN variables (or backend HIGHS) pay.
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


def _can_fork() -> bool:
    """Whether :func:`_race` may start child processes (POSIX ``fork``, and not from a daemon process)."""
    return "fork" in multiprocessing.get_all_start_methods() and not multiprocessing.current_process().daemon


def _race(
    proto: linear_solver_pb2.MPModelProto,
    backends: Sequence[str],
    until: float,
    seed: int,
    search: bool,
    gap: float | None,
) -> _Answer:
    """Solve one MIP with several backends at once, one child process each; the first to settle it wins.

    MIP times are heavy-tailed and the solvers' tails differ (territory-5000 unit weights, the search
    for 997 after 998 is refuted: CBC 49 s, HiGHS 20 s, 22 s or 68 s by seed), and CBC and HiGHS use
    one core each while the machine has two. Processes, not threads: pywraplp cannot interrupt CBC
    or HiGHS, a child can be killed. The loser is killed as soon as one answer is conclusive
    (optimal, or infeasible); otherwise at ``until`` plus ``_RACE_GRACE`` (CBC does not always stop
    on time), and the answers received are merged (the best solution, the lowest bound).
    """
    context = multiprocessing.get_context("fork")
    runs = []
    for backend in backends:
        receive, send = context.Pipe(duplex=False)
        child = context.Process(
            target=_race_entry, args=(send, proto, backend, until, seed, search, gap), daemon=True
        )
        child.start()
        send.close()
        runs.append((child, receive))
    answers: list[_Answer] = []
    pending = [receive for _, receive in runs]
    try:
        while pending:
            ready = multiprocessing.connection.wait(
                pending, max(0.0, until + _RACE_GRACE - time.perf_counter())
            )
            if not ready:
                break
            for receive in pending[:]:
                if receive not in ready:
                    continue
                pending.remove(receive)
                try:
                    answers.append(receive.recv())
                except EOFError:  # the child died without an answer
                    continue
            if any(answer[0] in ("optimal", "infeasible") for answer in answers):
                break
    finally:
        for child, receive in runs:
            if child.is_alive():
                child.kill()
            child.join()
            receive.close()
    for answer in answers:
        if answer[0] in ("optimal", "infeasible"):
            return answer
    solved = [answer for answer in answers if answer[0] == "feasible"]
    if not solved:
        return "unknown", [], math.inf, -math.inf
    best = max(solved, key=lambda answer: answer[3])  # the first backend's on a tie
    return "feasible", best[1], min(answer[2] for answer in solved), best[3]  # every bound holds


def _race_entry(
    send: multiprocessing.connection.Connection,
    proto: linear_solver_pb2.MPModelProto,
    backend: str,
    until: float,
    seed: int,
    search: bool,
    gap: float | None,
) -> None:
    """A racing child: solve and send the answer (``unknown`` on any error).

    The child never touches the inherited ``sys.stdout``/``sys.stderr``: they may be another
    thread's proxies (a rich spinner redirects them), whose lock that thread may hold at the fork.
    """
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - closed when the child exits
    try:
        answer = _solve_proto(proto, backend, until, seed, 1, search, gap)
    except Exception:  # noqa: BLE001 - the parent only needs to know there is no answer
        answer = ("unknown", [], math.inf, -math.inf)
    send.send(answer)
    send.close()


def solve_component(
    cycles: Columns | Sequence[tuple[tuple[int, ...], int]],
    arcs: Sequence[ChainArc] = (),
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
        ``(households, points)`` for each candidate cycle, or every column at once as
        :class:`Columns` (then ``arcs`` is ignored).
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
    columns = cycles if isinstance(cycles, Columns) else Columns.of(cycles, arcs)
    if columns.n_cycles + len(columns.source) == 0:
        return ComponentResult((), (), 0, 0.0, "optimal")
    model = _model(columns)
    n = len(model.weights)
    every = range(n)
    stats: dict[str, float] = {"variables": n}

    # 1. LP relaxation, by column generation.
    relaxation = _column_generation(model, lp_backend, deadline)
    stats["lp_s"] = time.perf_counter() - start
    if relaxation is None:  # no LP bound: plain MIP
        plain, plain_bound, name = _mip(
            model, every, backend=backend, seconds=deadline - time.perf_counter(), seed=seed, workers=workers
        )
        return _result(model, columns, plain, plain_bound, name, stats)
    z = relaxation.value
    eps = 1e-7 * abs(z) + 1e-6
    top = math.floor(z + eps)  # integral weights: no solution is worth more
    values = relaxation.values
    slack = relaxation.reduced
    stats["lp_bound"] = z
    stats["lp_columns"] = relaxation.columns
    stats["lp_iterations"] = relaxation.iterations
    support = np.flatnonzero(values > _INTEGRAL)
    if bool(np.all(values[support] > 1 - _INTEGRAL)):
        rounded = support.tolist()
        if sum(model.weights[j] for j in rounded) >= top:
            stats["stage"] = 1
            return _result(model, columns, rounded, float(top), "optimal", stats)

    # 2. Search: MIPs over small sets that usually hold an optimal solution, each with a short time
    # budget (their proofs are not needed): the LP's support, then its integral part plus the columns
    # of zero reduced cost around it.
    chosen: list[int] = []
    best = 0

    def keep_better(found: list[int]) -> None:
        nonlocal best, chosen
        value = sum(model.weights[j] for j in found)
        if value > best:
            best, chosen = value, found

    def kept(target: int) -> IntArray:
        """The columns a solution worth ``target`` or more may use (step 3)."""
        return np.flatnonzero(slack >= -(z - target) - eps)

    # When even the smallest proof MIP (target ``top``, see step 3) is over _MIP_MAX variables, the
    # time left goes to search only; the second round's MIP is then the best use of a large share of
    # it (territory-20000 unit weights, the largest part: CBC over the 37,487 columns of that round
    # reached 3797 in 120 s; large-neighbourhood search from 3783 was still at 3788 after 1,000 s).
    hopeless = len(kept(top)) > _MIP_MAX
    rounds = 0
    for name, keep in (("support", support.tolist()), ("around", None)):
        if best >= top:
            break
        if keep is None:
            keep = _around_integral(model, values, slack, eps, seed)
        rounds += 1
        stats[f"round{rounds}_{name}_kept"] = len(keep)
        if len(keep) > _MIP_MAX:
            continue
        left = deadline - time.perf_counter()
        budget = _AROUND_SHARE * left if name == "around" and hopeless else _search_budget(left)
        until = min(deadline, time.perf_counter() + budget)
        found, _, _ = _mip_parts(model, keep, backend, until, seed, workers, search=True)
        keep_better(found)
        stats[f"round{rounds}_s"] = time.perf_counter() - start
    if best >= top:
        return _done(model, columns, chosen, float(best), "optimal", stats, rounds)

    # 3. Proof by reduced-cost fixing, with a target. For duals pi >= 0, every solution x satisfies
    # w.x = z - pi.s - sum_j (-d_j) x_j, where s = b - Ax >= 0 are the rows' slacks and d_j <= 0 the
    # reduced costs (z as computed by _column_generation). A solution worth at least ``target`` thus
    # has a budget of z - target for both terms: it uses only columns with d_j >= -(z - target), and
    # leaves no slack (s_r is 0 or 1) in a row whose dual exceeds the budget: those rows are
    # equalities. The MIP over those columns and equalities either finds such a solution, which is
    # then optimal (any better one would be feasible for it too), or proves that none exists: no
    # solution is worth more than target - 1. The equalities make that proof much faster
    # (territory-5000 unit weights, target 998: CBC 64 s without them, 11 s with them).
    # With target = best + 1 one MIP proves the incumbent optimal; when that set is much larger than
    # the one of target = top (a poor incumbent on a big instance), targets start at top and go down
    # (top, top - 1, top - 4, top - 13, ...): smaller, more constrained MIPs that often find the
    # optimum, then prove it. (territory-5000 unit weights: the 41,447 columns of target top prove
    # 997 optimal; its 68,500 for best + 1 did not finish in 225 s.)
    n_rows = len(model.rhs)
    duals = relaxation.duals
    packing = _packing(model)
    packing_rows = _packing_rows(model)

    def unmet(exact: npt.NDArray[np.bool_], proof: IntArray) -> bool:
        """Whether a household or vacancy row must be filled and no column of ``proof`` fills it."""
        return bool((exact & packing_rows & ~_covered(model, packing, proof)).any())

    def tight(target: int) -> npt.NDArray[np.bool_]:
        exact: npt.NDArray[np.bool_] = duals > (z - target) + eps
        exact[n_rows] = False
        return exact

    target = top
    proven = float(top)  # the best bound so far
    solved: tuple[int, int] = (-1, -1)  # how many columns and equalities the last proof MIP had
    while True:
        rounds += 1
        target = max(target, best + 1)
        proof = kept(target)
        if target > best + 1:  # straight to the proof when it costs little more than the next step
            last = kept(best + 1)
            if len(last) <= max(_PROOF_DIRECT, _PROOF_GROWTH * len(proof)):
                target, proof = best + 1, last
        stats[f"round{rounds}_proof_kept"] = len(proof)
        if len(proof) > _MIP_MAX:  # hopeless, and the solver would not stop on time: search instead
            chosen = _neighbourhoods(model, chosen, relaxation, int(proven), deadline, backend, seed, workers)
            best = sum(model.weights[j] for j in chosen)
            stats[f"round{rounds}_s"] = time.perf_counter() - start
            final = "optimal" if best >= proven else "feasible"
            return _done(model, columns, chosen, max(proven, float(best)), final, stats, rounds)
        exact = tight(target)
        size = (len(proof), int(exact.sum()))
        if size == solved:  # the same (nested) MIP as the last one: its optimum is known
            status = "optimal"
        elif unmet(exact, proof):
            status = "infeasible"  # a household or vacancy that must move, and no column moves it
        else:
            found, bound, status = _mip_parts(
                model, proof.tolist(), backend, deadline, seed, workers, exact=exact
            )
            keep_better(found)
            solved = size
        stats[f"round{rounds}_s"] = time.perf_counter() - start
        if best >= top or (status in ("optimal", "infeasible") and best >= target - 1):
            return _done(model, columns, chosen, float(best), "optimal", stats, rounds)
        if status not in ("optimal", "infeasible"):  # out of time, or the solver gave up early
            proven = min(proven, max(float(best), bound, float(target - 1)))
            if best < proven and deadline - time.perf_counter() > 1.0:  # what is left goes to search
                # (territory-20000 points: a proof MIP over 143,194 columns stopped after 88 s with
                # 1,056, 60 s before the deadline)
                chosen = _neighbourhoods(
                    model, chosen, relaxation, int(proven), deadline, backend, seed, workers
                )
                best = sum(model.weights[j] for j in chosen)
                stats[f"round{rounds}_search_s"] = time.perf_counter() - start
            final = "optimal" if proven <= best else "feasible"
            return _done(model, columns, chosen, proven, final, stats, rounds)
        proven = min(proven, float(target - 1))  # no solution reaches target
        goal = int(proven)
        exact = tight(goal)
        again = (len(proof), int(exact.sum())) == solved  # the MIP just solved: nothing new to find
        if best < goal and not again and not unmet(exact, proof):
            # A solution worth ``goal`` would be optimal: look for one among the columns just tried,
            # with the equalities of target ``goal`` (a search: the full set is kept(goal)), stopping
            # as soon as one is found. territory-5000 unit weights, after 998 is refuted: 997 in 21 s
            # there (21 s to 50 s from run to run); 58 s over the same columns without equalities; not in
            # 94 s over kept(997). Points: 89 s in vain on the sixth target, hence a share of the time left.
            until = min(deadline, time.perf_counter() + _GOAL_SHARE * (deadline - time.perf_counter()))
            gap = (z - goal) / max(1, goal) + 1e-9
            found, _, _ = _mip_parts(
                model, proof.tolist(), backend, until, seed, workers, exact=exact, gap=gap
            )
            keep_better(found)
            stats[f"round{rounds}_goal_s"] = time.perf_counter() - start
            if best >= goal:
                return _done(model, columns, chosen, float(best), "optimal", stats, rounds)
        target -= max(1, 3 * (top - target))


def _neighbourhoods(
    model: _Model,
    chosen: list[int],
    relaxation: _Relaxation,
    top: int,
    deadline: float,
    backend: str,
    seed: int,
    workers: int,
) -> list[int]:
    """Improve ``chosen`` until the deadline (or ``top``) by large-neighbourhood search.

    For models too large for a proof MIP (the 2,000-pair file's 613,495 columns), so that the time
    left still serves. Each round picks a region of about ``_REGION`` households, grown along shared
    households from a place where ``chosen`` wastes LP value, and solves the MIP over ``chosen`` plus
    the pool's columns that touch the region and otherwise only households ``chosen`` leaves unmoved:
    it may undo the region's moves and redo them better. (2,000 pairs, 40 s from 1489: 1529; MIPs
    over ``chosen`` plus random samples of 60,000 pool columns, as before: still 1489.)

    The pool holds every column a better solution may use: reduced cost at least ``-(z - best - 1)``,
    so it shrinks as ``best`` grows. Only the columns of zero reduced cost, as before, cap what the
    search can reach far below the LP: territory-5000 points, 60 s from 154,120: 154,120 with them,
    154,327 with the full pool (optimum 154,538); territory-20000, 90 s: points 584,231 against
    586,137, unit weights 3784 against 3796 (the MIP over the zero-reduced-cost columns alone is
    worth at most 154,217 on territory-5000, 586,551 on territory-20000).

    Where to start: with the LP's duals, ``z - value = pi.s + sum of -d_j over its columns`` (step 3
    of :func:`solve_component`), where ``pi.s`` is mostly the duals of the household and vacancy
    rows ``chosen`` leaves idle (chain flow rows count too; they are not used as starts). So a better
    solution must fill some idle row of positive dual or drop some column of negative reduced cost.
    A round starts from one of those, drawn in proportion to what it wastes; from a random pool
    column when there is none. (2,000 pairs, 30 s from 1496, five seeds: 1533, 1532, 1529, 1529, 1531; from
    random columns: 1529, 1528, 1530, 1524, 1530. territory-20000, 60 s: unit 3780 against 3777,
    points 583,743 against 583,390.) Deterministic for a seed up to the solvers' time limits.
    """
    rng = np.random.default_rng(seed)
    n_rows = len(model.rhs)
    packing = _packing(model)
    best = sum(model.weights[j] for j in chosen)
    duals = relaxation.duals
    defect = _packing_rows(model) & (duals > _INTEGRAL)
    z = relaxation.value
    eps = 1e-7 * abs(z) + 1e-6
    pool_for = -1
    while best < top and deadline - time.perf_counter() > 1.0:
        if pool_for != best:  # the columns a better solution may use (step 3 of solve_component)
            pool = np.flatnonzero(relaxation.reduced >= -(z - (best + 1)) - eps)
            pool_rows = np.where(packing[pool], model.rows[pool], n_rows)  # padded with the dummy row
            pool_for = best
            if not len(pool):
                break
        mine = np.asarray(chosen, dtype=np.int64)
        covered = _covered(model, packing, mine)
        idle = np.flatnonzero(defect & ~covered)
        costly = mine[relaxation.reduced[mine] < -_INTEGRAL]
        waste = np.concatenate([duals[idle], -relaxation.reduced[costly]])
        if len(waste):
            pick = int(rng.choice(len(waste), p=waste / waste.sum()))
            if pick < len(idle):
                start = idle[pick : pick + 1]
            else:  # a chosen column's households and vacancy
                column = costly[pick - len(idle)]
                start = model.rows[column][packing[column]]
        else:
            start = pool_rows[rng.integers(len(pool))]
        region = _region(pool_rows, start, rng, n_rows)
        allowed = ~covered | region
        allowed[n_rows] = True
        inside = np.flatnonzero(allowed[pool_rows].all(axis=1) & region[pool_rows].any(axis=1))
        if len(inside) > _AROUND_MAX:
            inside = rng.choice(inside, _AROUND_MAX, replace=False)
        kept = np.zeros(len(model.weights), dtype=bool)
        kept[pool[inside]] = True
        kept[mine] = True
        until = min(deadline, time.perf_counter() + _REGION_SECONDS)
        found, _, _ = _mip_parts(
            model, np.flatnonzero(kept).tolist(), backend, until, seed, workers, search=True
        )
        value = sum(model.weights[j] for j in found)
        if value > best:
            best, chosen = value, found
    return chosen


def _region(
    pool_rows: IntArray, start: IntArray, rng: np.random.Generator, n_rows: int
) -> npt.NDArray[np.bool_]:
    """About ``_REGION`` household rows reached from ``start`` through the columns of ``pool_rows``."""
    region = np.zeros(n_rows + 1, dtype=bool)
    frontier = start[start < n_rows]
    while frontier.size:
        room = _REGION - int(region.sum())
        if frontier.size >= room:
            region[rng.choice(frontier, room, replace=False)] = True
            break
        region[frontier] = True
        reached = np.zeros(n_rows + 1, dtype=bool)
        reached[pool_rows[region[pool_rows].any(axis=1)]] = True
        reached[n_rows] = False
        frontier = np.flatnonzero(reached & ~region)
    return region


def _search_budget(left: float) -> float:
    """Seconds for one search round with ``left`` seconds to go.

    A twentieth of the time left, at least ``_SEARCH_SECONDS``, never more than a quarter of it. With
    a plain 5 %, a 60 s limit gave 3 s, too short for the 36,800-variable search of a 1,000-pair
    file that needs 3.2 s, so the slower proof rounds ran: 24 s instead of 9 s.
    """
    return max(0.5, min(0.25 * left, max(_SEARCH_SECONDS, 0.05 * left)))


def _mip_parts(
    model: _Model,
    keep: Sequence[int],
    backend: str,
    deadline: float,
    seed: int,
    workers: int,
    *,
    search: bool = False,
    exact: npt.NDArray[np.bool_] | None = None,
    gap: float | None = None,
) -> tuple[list[int], float, str]:
    """The MIP over ``keep``, one independent part after the other: (chosen, bound, status).

    With ``search``, parts of at most ``_SMALL`` variables go to CP-SAT on one worker
    (deterministic; a few milliseconds where CBC spends 10-60 ms getting started). Rows flagged in
    ``exact`` are equalities: when a part cannot meet them, nothing can, and the answer is
    ``([], -inf, "infeasible")`` (every flagged row must be used by some column of ``keep``).
    """
    found: list[int] = []
    bound = 0.0
    status = "optimal"
    nothing: tuple[list[int], float, str] = ([], -math.inf, "infeasible")
    # Smallest parts first: a hard part takes the time the others leave. (Taken in index order, the
    # 1,109-column part of the 2,000-pair file's LP support spent the whole round and its 173 small
    # parts, worth 435, were skipped: 1071 instead of 1506.)
    for group in sorted(_components(model, keep), key=len):
        left = deadline - time.perf_counter()
        if left <= 0.01:
            status = "feasible"
            bound += sum(model.weights[j] for j in group if model.weights[j] > 0)
            continue
        if len(group) <= _TINY:
            part = _enumerate(model, group, exact)
            if part is None:
                return nothing
            found.extend(part)
            bound += sum(model.weights[j] for j in part)
            continue
        small = search and len(group) <= _SMALL
        part, part_bound, name = _mip(
            model,
            group,
            backend="CP_SAT" if small else backend,
            seconds=min(left, _SMALL_SECONDS) if small else left,
            seed=seed,
            workers=1 if small else workers,
            search=small,
            exact=exact,
            gap=gap,
        )
        if small and name not in ("optimal", "infeasible") and deadline - time.perf_counter() > 0.5:
            # CP-SAT did not settle it: a hard part (the 1,109-column LP support of the 2,000-pair
            # file: nothing in 0.5 s, CBC 1506 in 5 s); the backend gets the time left, the better wins
            retry, retry_bound, name = _mip(
                model,
                group,
                backend=backend,
                seconds=deadline - time.perf_counter(),
                seed=seed,
                workers=workers,
                exact=exact,
                gap=gap,
            )
            if sum(model.weights[j] for j in retry) >= sum(model.weights[j] for j in part):
                part = retry
            part_bound = min(part_bound, retry_bound)
        if name == "infeasible":
            return nothing
        found.extend(part)
        bound += part_bound
        if name != "optimal":
            status = "feasible"
    return found, bound, status


def _enumerate(
    model: _Model, group: Sequence[int], exact: npt.NDArray[np.bool_] | None = None
) -> list[int] | None:
    """The best feasible subset of a tiny group, by depth-first branch and bound (exact).

    A MIP solver costs about a millisecond per call to start; LP supports split into many parts of
    one to a few columns. Rows with only non-negative coefficients (households, vacancies) prune at
    once; chain flow rows (``y_out - y_in <= 0``) and the equalities of ``exact`` are checked on
    complete choices. ``None`` when no subset meets the equalities.
    """
    cols = [(model.weights[j], model.col(j)) for j in group]
    equal = [] if exact is None else sorted({r for _, entries in cols for r, _ in entries if exact[r]})
    order = sorted(range(len(cols)), key=lambda i: -cols[i][0])
    rhs = model.rhs
    load: dict[int, float] = {}
    best: list[int] = []
    best_value = -1
    chosen: list[int] = []
    rest = [0] * (len(order) + 1)
    for k in range(len(order) - 1, -1, -1):
        rest[k] = rest[k + 1] + max(0, cols[order[k]][0])

    def feasible() -> bool:
        fits = all(v <= rhs[r] + 1e-9 for r, v in load.items())
        return fits and all(abs(load.get(r, 0.0) - rhs[r]) < 1e-9 for r in equal)

    # visit gets itself as an argument: a closure naming itself would be a reference cycle, left for
    # the cyclic collector that solves pause (one per call, thousands per neighbourhood round)
    def visit(k: int, value: int, again: Callable[[int, int, Any], None]) -> None:
        nonlocal best, best_value
        if value + rest[k] <= best_value:
            return
        if k == len(order):
            if feasible():
                best, best_value = list(chosen), value
            return
        weight, entries = cols[order[k]]
        fits = all(load.get(r, 0.0) + c <= rhs[r] + 1e-9 for r, c in entries if c > 0 and rhs[r] > 0)
        if fits:
            for r, c in entries:
                load[r] = load.get(r, 0.0) + c
            chosen.append(group[order[k]])
            again(k + 1, value + weight, again)
            chosen.pop()
            for r, c in entries:
                load[r] -= c
        again(k + 1, value, again)

    visit(0, 0, visit)
    return best if best_value >= 0 else None


def _done(
    model: _Model,
    columns: Columns,
    chosen: Sequence[int],
    bound: float,
    status: str,
    stats: dict[str, float],
    rounds: int,
) -> ComponentResult:
    stats["stage"] = 2
    stats["rounds"] = rounds
    return _result(model, columns, chosen, bound, status, stats)


def _result(
    model: _Model,
    columns: Columns,
    chosen: Sequence[int],
    bound: float,
    status: str,
    stats: dict[str, float],
) -> ComponentResult:
    n_cycles = columns.n_cycles
    chosen = sorted(chosen)
    value = sum(model.weights[j] for j in chosen)
    if status not in ("optimal", "feasible"):
        status = "feasible" if chosen else status
    return ComponentResult(
        tuple(j for j in chosen if j < n_cycles),
        tuple(columns.arc(j - n_cycles) for j in chosen if j >= n_cycles),
        value,
        max(bound, float(value)),
        status,
        stats,
    )

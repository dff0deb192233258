"""Finding good solutions fast: short MIPs over small column sets, and large-neighbourhood search.

A search proves nothing; :mod:`matching.proof` does. The first solution comes from short MIPs
over the LP's support, then over its integral part plus the columns of zero reduced cost around
it (:func:`first_solution`). When no proof MIP fits, the time left goes to MIPs over the
incumbent plus the columns around a region of households (:func:`neighbourhoods`); on an executor
of several workers, several disjoint regions a round, solved as its tasks and merged
(:class:`Regions`, :func:`merge`).

References
----------
Shaw, "Using constraint programming and local search methods to solve vehicle routing problems",
CP 1998 (large-neighbourhood search).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, Future, wait
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from matching import mip, tuning
from matching.lp import Relaxation
from matching.program import IntArray, Program, covered_rows, packing_entries, packing_rows

__all__ = [
    "Incumbent",
    "Progress",
    "Regions",
    "around_integral",
    "feasible",
    "first_solution",
    "merge",
    "neighbourhoods",
    "search_budget",
    "solve_region",
    "sub_program",
]


@dataclass(slots=True)
class Incumbent:
    """The best solution found so far: its columns and their total weight.

    >>> best = Incumbent()
    >>> best.offer([3, 5], 12), best.offer([4], 12), best.chosen
    (True, False, [3, 5])
    """

    chosen: list[int] = field(default_factory=list)
    value: int = 0

    def offer(self, found: list[int], value: int) -> bool:
        """Keep ``found``, worth ``value``, when it is strictly better; whether it was."""
        if value <= self.value:
            return False
        self.chosen, self.value = found, value
        return True


@dataclass(slots=True)
class Progress:
    """What one component's solve records as it goes: sizes and times by round, in ``stats``.

    >>> progress = Progress(time.perf_counter(), {})
    >>> progress.next_round(), progress.next_round()
    (1, 2)
    """

    start: float  # time.perf_counter() when the solve began
    stats: dict[str, float]
    rounds: int = 0

    def next_round(self) -> int:
        """Count one more round; its number."""
        self.rounds += 1
        return self.rounds

    def lap(self, key: str) -> None:
        """Record under ``key`` the seconds since the solve began."""
        self.stats[key] = time.perf_counter() - self.start


def first_solution(
    model: Program,
    relaxation: Relaxation,
    deadline: float,
    backend: str,
    seed: int,
    workers: int,
    progress: Progress,
) -> Incumbent:
    """The best of two short MIPs: over the LP's support, then around its integral part.

    Each has a short budget (:func:`search_budget`): these sets usually hold an optimal solution,
    and their proofs are not needed. When even the smallest proof MIP (target ``floor(z)``) is over
    ``tuning.MIP_MAX`` variables, the second round gets ``tuning.AROUND_SHARE`` of the time left
    instead: no proof will follow, and its MIP is the best use of that time.

    Parameters
    ----------
    model
        The programme.
    relaxation
        Its LP relaxation.
    deadline
        ``time.perf_counter()`` value to stop at.
    backend, seed, workers
        As for :func:`matching.mip.solve_parts`.
    progress
        Counts the rounds and records their sizes and times.

    Returns
    -------
    Incumbent
        Empty when neither round found anything; the second round is skipped once the first
        reaches ``floor(z)``.

    Examples
    --------
    >>> from matching.lp import relax
    >>> from matching.program import Columns, build_program
    >>> program = build_program(Columns.of([((0, 1), 3), ((1, 2), 3), ((0, 2), 3), ((0, 1, 2), 4)], []))
    >>> relaxation = relax(program, "GLOP", time.perf_counter() + 10)
    >>> first_solution(program, relaxation, time.perf_counter() + 10, "CBC", 0, 1, Progress(0.0, {}))
    Incumbent(chosen=[0], value=3)

    (The 3-cycle worth 4 has a negative reduced cost: it is left to the proof.)
    """
    top = relaxation.top
    support = np.flatnonzero(relaxation.values > tuning.INTEGRAL).tolist()
    hopeless = len(relaxation.usable(top)) > tuning.MIP_MAX
    incumbent = Incumbent()
    rounds: Sequence[tuple[str, list[int] | None]] = (("support", support), ("around", None))
    for name, keep in rounds:
        if incumbent.value >= top:
            break
        if keep is None:
            keep = around_integral(model, relaxation.values, relaxation.reduced, relaxation.eps, seed)
        number = progress.next_round()
        progress.stats[f"round{number}_{name}_kept"] = len(keep)
        if len(keep) > tuning.MIP_MAX:
            continue
        left = deadline - time.perf_counter()
        budget = tuning.AROUND_SHARE * left if name == "around" and hopeless else search_budget(left)
        until = min(deadline, time.perf_counter() + budget)
        found, _, _ = mip.solve_parts(model, keep, backend, until, seed, workers, search=True)
        incumbent.offer(found, sum(model.weights[j] for j in found))
        progress.lap(f"round{number}_s")
    return incumbent


def around_integral(
    model: Program, values: npt.NDArray[np.float64], slack: npt.NDArray[np.float64], eps: float, seed: int
) -> list[int]:
    """The LP's columns at 1, and the columns of zero reduced cost that touch none of their households.

    A search set, not a proof: it keeps the LP's integral part and lets the MIP repair the rest. When
    there are more than ``tuning.AROUND_MAX``, the LP's support plus a sample of the others (``seed``).

    Parameters
    ----------
    model
        The programme.
    values, slack
        The LP's column values and reduced costs.
    eps
        The tolerance of a zero reduced cost.
    seed
        Seeds the sample.

    Returns
    -------
    list of int
        Column indices, ascending.

    Examples
    --------
    Cycle 0 at 1 in the LP; cycle 1 shares its household 1, cycle 2 does not.

    >>> from matching.program import Columns, build_program
    >>> program = build_program(Columns.of([((0, 1), 5), ((1, 2), 5), ((3, 4), 5)], []))
    >>> around_integral(program, np.array([1.0, 0.0, 0.0]), np.zeros(3), 1e-6, 0)
    [0, 2]
    """
    at_one = values > 1 - tuning.INTEGRAL
    covered = covered_rows(model, packing_entries(model), np.flatnonzero(at_one))
    touches = ((model.coefs > 0) & covered[model.rows]).any(axis=1)
    around = np.flatnonzero(at_one | ((slack >= -eps) & ~touches))
    if len(around) > tuning.AROUND_MAX:
        support = values > tuning.INTEGRAL
        others = around[~support[around]]
        size = min(len(others), max(0, tuning.AROUND_MAX - int(support.sum())))
        sample = np.random.default_rng(seed).choice(others, size, replace=False)
        around = np.sort(np.concatenate([np.flatnonzero(support), sample]))
    return around.tolist()


def neighbourhoods(
    model: Program,
    chosen: list[int],
    relaxation: Relaxation,
    top: int,
    deadline: float,
    backend: str,
    seed: int,
    workers: int,
    *,
    regions: Regions | None = None,
    stop: Callable[[int], bool] | None = None,
) -> list[int]:
    """Improve ``chosen`` until the deadline (or ``top``, or ``stop``) by large-neighbourhood search.

    For models too large for a proof MIP, so that the time left still serves. Each round picks a
    region of households, grown along shared households from a place where ``chosen`` wastes LP
    value, and solves the MIP over ``chosen`` plus the pool's columns whose households all lie in
    the region (a chain arc's source household included): it may undo the region's moves and redo
    them better. That MIP goes to CP-SAT with ``chosen`` as a hint (:func:`matching.mip.improve`),
    so a round that runs out of time loses nothing. The region starts at ``tuning.REGION``
    households, grows while its MIPs settle without improving and shrinks when they time out: on
    dense territories a few hundred households already hold tens of thousands of cycles.

    The pool holds every column a better solution may use (:meth:`Relaxation.usable` of
    ``best + 1``), so it shrinks as ``best`` grows; the columns of zero reduced cost alone would cap
    what the search can reach far below the LP.

    Where to start: with the LP's duals, ``z - value = pi.s + sum of -d_j over its columns``
    (:class:`matching.lp.Relaxation`), where ``pi.s`` is mostly the duals of the household and
    vacancy rows ``chosen`` leaves idle (chain flow rows count too; they are not used as starts). So
    a better solution must fill some idle row of positive dual or drop some column of negative
    reduced cost. A round starts from one of those, drawn in proportion to what it wastes; from a
    random pool column when there is none. Deterministic for a seed up to the solvers' time limits.

    With ``regions`` holding an executor of several workers, a round grows that many regions
    disjoint in households and vacancies (each later one started away from the earlier ones),
    solves their MIPs at once as executor tasks and merges every improvement that keeps the
    solution feasible (:class:`Regions`); the region's size then grows when all settled without
    gain and shrinks when one did not settle. Deterministic only up to the tasks' timing.

    Parameters
    ----------
    model
        The programme.
    chosen
        The incumbent's columns.
    relaxation
        The LP relaxation: duals, reduced costs and bound.
    top
        Stop once a solution is worth this much.
    deadline
        ``time.perf_counter()`` value to stop at (no round starts in its last second).
    backend, seed, workers
        As for :func:`matching.mip.solve_parts` (the rounds' MIPs go to CP-SAT on ``workers``
        workers whatever ``backend``); ``seed`` also draws the regions.
    regions
        Where the rounds solve their regions (by default one a round, in this process); with an
        executor of several workers, several disjoint regions a round as its tasks
        (:class:`Regions`). Counts the rounds and regions.
    stop
        Called with each better value found; the search returns as soon as it answers true (the
        proof uses it to start once its MIP fits, :mod:`matching.proof`).

    Returns
    -------
    list of int
        The best columns found, ``chosen`` itself when no round improved on it.

    Examples
    --------
    Three 2-cycles on a triangle, worth 3 each, and their 3-cycle worth 4: from one 2-cycle, the
    search finds the 3-cycle (of negative reduced cost).

    >>> from matching.lp import relax
    >>> from matching.program import Columns, build_program
    >>> program = build_program(Columns.of([((0, 1), 3), ((1, 2), 3), ((0, 2), 3), ((0, 1, 2), 4)], []))
    >>> relaxation = relax(program, "GLOP", time.perf_counter() + 10)
    >>> neighbourhoods(program, [0], relaxation, 4, time.perf_counter() + 5, "CBC", 0, 1)
    [3]

    References
    ----------
    Shaw, CP 1998 (large-neighbourhood search).
    """
    began = time.perf_counter()
    rng = np.random.default_rng(seed)
    regions = regions if regions is not None else Regions()
    n_rows = len(model.rhs)
    packing = packing_entries(model)
    touched = _touched_rows(model, packing)
    best = sum(model.weights[j] for j in chosen)
    if not regions.rounds:
        regions.start = best
    duals = relaxation.duals
    defect = packing_rows(model) & (duals > tuning.INTEGRAL)
    z = relaxation.value
    eps = 1e-7 * abs(z) + 1e-6
    pool_for = -1
    size = tuning.REGION
    while best < top and deadline - time.perf_counter() > 1.0:
        if pool_for != best:  # the columns a better solution may use (Relaxation.usable)
            pool = np.flatnonzero(relaxation.reduced >= -(z - (best + 1)) - eps)
            pool_rows = touched[pool]
            pool_for = best
            if not len(pool):
                break
        mine = np.asarray(chosen, dtype=np.int64)
        covered = covered_rows(model, packing, mine)
        idle = np.flatnonzero(defect & ~covered)
        costly = mine[relaxation.reduced[mine] < -tuning.INTEGRAL]
        waste = np.concatenate([duals[idle], -relaxation.reduced[costly]])
        where = _Where(model, packing, pool, pool_rows, idle, costly, waste, rng)
        regions.rounds += 1
        if regions.spread:
            found, settled = _round_at_once(model, chosen, where, size, deadline, seed, workers, regions)
        else:
            region = _region(pool_rows, where.start(), rng, n_rows, size)
            kept = where.kept(region, mine)
            until = min(deadline, time.perf_counter() + tuning.REGION_SECONDS)
            found, settled = mip.improve(model, kept.tolist(), chosen, until, seed, workers)
            regions.solved += 1
            regions.merged += sum(model.weights[j] for j in found) > best
        value = sum(model.weights[j] for j in found)
        if value > best:
            best, chosen = value, found
            if stop is not None and stop(best):
                break
        elif settled:  # nothing better within reach: look wider
            size = min(tuning.REGION_MAX, round(size * 1.25))
        if not settled:  # the MIP ran out of time: look narrower
            size = max(tuning.REGION // 2, round(size * 0.8))
    regions.seconds += time.perf_counter() - began
    return chosen


@dataclass(slots=True)
class _Where:
    """One round's places to start from, and the pool's columns a region may free (:func:`neighbourhoods`)."""

    model: Program
    packing: npt.NDArray[np.bool_]
    pool: IntArray
    pool_rows: IntArray
    idle: IntArray
    costly: IntArray
    waste: npt.NDArray[np.float64]
    rng: np.random.Generator

    def start(self, taken: npt.NDArray[np.bool_] | None = None) -> IntArray:
        """Rows to grow a region from: an idle row or a costly column's, drawn by what it wastes.

        With ``taken`` (the rows of the round's other regions), only among places outside them, or
        from a pool column outside them when they waste nothing; empty when there is none.
        """
        if taken is not None:
            return self._start_outside(taken)
        if len(self.waste):
            pick = int(self.rng.choice(len(self.waste), p=self.waste / self.waste.sum()))
            if pick < len(self.idle):
                return self.idle[pick : pick + 1]
            column = self.costly[pick - len(self.idle)]  # a chosen column's households and vacancy
            start: IntArray = self.model.rows[column][self.packing[column]]
            return start
        at: IntArray = self.pool_rows[self.rng.integers(len(self.pool))]
        return at

    def _start_outside(self, taken: npt.NDArray[np.bool_]) -> IntArray:
        """:meth:`start` away from the rows ``taken``."""
        waste = self.waste.copy()
        waste[: len(self.idle)][taken[self.idle]] = 0.0
        rows = self.model.rows[self.costly]
        waste[len(self.idle) :][(taken[rows] & self.packing[self.costly]).any(axis=1)] = 0.0
        if waste.sum() > 0:
            pick = int(self.rng.choice(len(waste), p=waste / waste.sum()))
            if pick < len(self.idle):
                return self.idle[pick : pick + 1]
            column = self.costly[pick - len(self.idle)]
            start: IntArray = self.model.rows[column][self.packing[column]]
            return start
        free = np.flatnonzero(~taken[self.pool_rows].any(axis=1))
        if not len(free):
            return np.zeros(0, dtype=np.int64)
        at: IntArray = self.pool_rows[free[self.rng.integers(len(free))]]
        return at

    def inside(self, region: npt.NDArray[np.bool_]) -> IntArray:
        """The pool's columns whose households all lie in ``region`` (a sample of ``tuning.AROUND_MAX``)."""
        allowed = region.copy()
        allowed[-1] = True  # the dummy row
        inside = np.flatnonzero(allowed[self.pool_rows].all(axis=1) & region[self.pool_rows].any(axis=1))
        if len(inside) > tuning.AROUND_MAX:
            inside = self.rng.choice(inside, tuning.AROUND_MAX, replace=False)
        columns: IntArray = self.pool[inside]
        return columns

    def kept(self, region: npt.NDArray[np.bool_], mine: IntArray) -> IntArray:
        """The columns of a region's MIP: the incumbent's and the pool's inside ``region``, ascending."""
        kept = np.zeros(len(self.model.weights), dtype=bool)
        kept[self.inside(region)] = True
        kept[mine] = True
        return np.flatnonzero(kept)


@dataclass(slots=True)
class Regions:
    """Where the large-neighbourhood rounds solve their regions, and what they counted.

    By default one region a round, solved in this process. With an ``executor`` (a
    :class:`concurrent.futures.Executor`: a process pool, a Dask client's executor) and a ``width``
    of 2 or more, each round grows ``width`` regions disjoint in households and vacancies and
    solves their MIPs at once as executor tasks (:func:`solve_region`, on plain arrays: the region's
    columns, never the whole programme), then merges every improvement into the incumbent as long as
    the result stays feasible (:func:`merge`). A task that fails, or is not back
    ``tuning.REGION_GRACE`` seconds after its deadline, gives nothing; once
    ``tuning.REGION_LOST_ROUNDS`` rounds in a row lost every task, or the executor refuses work
    (shut down, broken), the rounds go on in this process.

    >>> Regions().spread, Regions(width=2).spread
    (False, False)
    """

    executor: Executor | None = None
    width: int = 1
    start: int = 0  # the incumbent's value when the search began
    rounds: int = 0  # rounds of the search
    solved: int = 0  # region MIPs solved, here or as tasks
    tasks: int = 0  # executor tasks submitted
    lost: int = 0  # tasks that failed or came back too late: their regions gave nothing
    merged: int = 0  # regions whose improvement joined the incumbent
    refused: int = 0  # improvements left out: merged with the others, they would over-use a row
    lost_rounds: int = 0  # rounds in a row whose every task was lost
    seconds: float = 0.0  # spent in the search

    @property
    def spread(self) -> bool:
        """Whether rounds solve several regions at once as executor tasks."""
        return self.executor is not None and self.width >= 2

    def stats(self) -> dict[str, float]:
        """The counts under ``lns_`` keys (:class:`Progress` stats; empty when no round ran).

        >>> Regions(rounds=3, solved=5, tasks=6, lost=1).stats()["lns_regions"]
        5.0
        """
        if not self.rounds:
            return {}
        counts = {
            "lns_start": self.start,
            "lns_rounds": self.rounds,
            "lns_regions": self.solved,
            "lns_tasks": self.tasks,
            "lns_lost": self.lost,
            "lns_merged": self.merged,
            "lns_refused": self.refused,
        }
        return {"lns_s": self.seconds} | {key: float(value) for key, value in counts.items()}


def _round_at_once(
    model: Program,
    chosen: list[int],
    where: _Where,
    size: int,
    deadline: float,
    seed: int,
    workers: int,
    regions: Regions,
) -> tuple[list[int], bool]:
    """One round of ``regions.width`` disjoint regions (fewer on a small part) solved as executor tasks.

    Returns the merged solution (``chosen`` when nothing better came back) and whether every
    region's MIP settled (a lost task did not).
    """
    n_rows = len(model.rhs)
    mine = np.asarray(chosen, dtype=np.int64)
    taken = np.zeros(n_rows + 1, dtype=bool)
    jobs: list[IntArray] = []
    # No more regions than the households and vacancies hold (a large cluster, a mid-sized part).
    wanted = max(1, min(regions.width, int(packing_rows(model).sum()) // size))
    for _ in range(3 * wanted):  # a start inside a region already grown is drawn again
        if len(jobs) == wanted:
            break
        start = where.start(taken if taken.any() else None)  # the first as a round of one draws it
        region = _region(where.pool_rows, start, where.rng, n_rows, size, taken)
        if not region.any():
            continue
        kept = where.kept(region, mine)
        taken |= region
        if len(kept) > len(mine):  # some column the incumbent does not hold
            jobs.append(kept)
    until = min(deadline, time.perf_counter() + tuning.REGION_SECONDS)
    wall = time.time() + (until - time.perf_counter())  # the tasks may run on other machines
    futures: list[tuple[IntArray, Future[tuple[list[int], bool]]]] = []
    executor = regions.executor
    if executor is None:  # regions.spread holds: not reached
        return chosen, False
    for kept in jobs:
        program, hint = sub_program(model, kept, mine)
        try:
            futures.append((kept, executor.submit(solve_region, program, hint, wall, seed, workers)))
        except Exception:  # shut down or broken: the rounds go on in this process
            regions.executor = None
            break
        regions.tasks += 1
    if not futures:
        return chosen, False
    done, _ = wait(
        [f for _, f in futures], timeout=max(0.0, until - time.perf_counter()) + tuning.REGION_GRACE
    )
    answers: list[list[int]] = []
    settled = True
    for kept, future in futures:
        try:
            if future not in done:
                future.cancel()
                raise TimeoutError
            positions, region_settled = future.result()
            at = np.asarray(positions, dtype=np.int64)
            if at.ndim != 1 or not bool(np.all((at >= 0) & (at < len(kept)))):
                raise ValueError("a region task answered positions outside its columns")
        except Exception:  # failed, lost with its worker, or late: this region gives nothing
            regions.lost += 1
            settled = False
            continue
        regions.solved += 1
        settled = settled and bool(region_settled)
        answers.append(kept[at].tolist())
    regions.lost_rounds = 0 if answers else regions.lost_rounds + 1
    if regions.lost_rounds >= tuning.REGION_LOST_ROUNDS:
        regions.executor = None
    merged, kept_count, refused = merge(model, chosen, answers)
    regions.merged += kept_count
    regions.refused += refused
    return merged, settled


def sub_program(model: Program, kept: IntArray, chosen: IntArray) -> tuple[Program, list[int]]:
    """A region's MIP as plain arrays for a task: the columns ``kept`` and where ``chosen`` lies among them.

    The rows the columns use are renumbered in ascending order (the dummy row last), which leaves
    :func:`matching.program.to_proto` the same model: its rows keep their order of first use.

    >>> from matching.program import Columns, build_program
    >>> program = build_program(Columns.of([((0, 1), 10), ((1, 2), 4), ((7, 8), 7)], []))
    >>> sub, hint = sub_program(program, np.array([1, 2]), np.array([2]))
    >>> sub.weights, sub.rhs, sub.rows.tolist(), hint
    ([4, 7], [1.0, 1.0, 1.0, 1.0], [[0, 1, 4], [2, 3, 4]], [1])
    """
    n_rows = len(model.rhs)
    rows = model.rows[kept]
    used = rows < n_rows
    ids = np.unique(rows[used])
    local = np.full(rows.shape, len(ids), dtype=np.int64)
    local[used] = np.searchsorted(ids, rows[used])
    rhs = np.asarray(model.rhs)[ids].tolist()
    weights = model.w[kept].astype(np.int64).tolist()
    program = Program(weights, rhs, local, model.coefs[kept], model.w[kept])
    return program, np.searchsorted(kept, chosen).tolist()


def solve_region(
    program: Program, hint: Sequence[int], until: float, seed: int, workers: int
) -> tuple[list[int], bool]:
    """One region's MIP, an executor task: :func:`matching.mip.improve` over every column of ``program``.

    ``until`` is a wall-clock time (``time.time()``): the task may run on another machine. Returns
    the positions of the columns chosen (``hint`` itself when nothing better was found) and whether
    the MIP settled.

    >>> from matching.program import Columns, build_program
    >>> program = build_program(Columns.of([((0, 1), 10), ((1, 2), 4), ((2, 3), 7)], []))
    >>> solve_region(program, [1], time.time() + 10, 0, 1)
    ([0, 2], True)
    """
    left = until - time.time()
    columns = range(len(program.weights))
    return mip.improve(program, columns, hint, time.perf_counter() + left, seed, workers)


def merge(
    model: Program, chosen: Sequence[int], found: Sequence[Sequence[int]]
) -> tuple[list[int], int, int]:
    """``chosen`` with the improvements ``found`` that keep it feasible; (columns, merged, refused).

    Each of ``found`` is a solution that differs from ``chosen`` around one region. Best first, each
    drops what it left out of ``chosen`` and adds its own columns; it is merged only when the result
    uses no row beyond its right-hand side (:func:`feasible`) and is worth more. Regions disjoint in
    households and vacancies combine, unless a chosen column spanning two of them (a chain through
    both) was dropped by one and kept by the other.

    Examples
    --------
    From the 2-cycle (0, 1), one region found (0, 1) and (2, 3), another (4, 5), a third (1, 2):

    >>> from matching.program import Columns, build_program
    >>> program = build_program(Columns.of([((0, 1), 5), ((2, 3), 5), ((4, 5), 5), ((1, 2), 9)], []))
    >>> merge(program, [0], [[0, 1], [0, 2], [3]])
    ([0, 1, 2], 2, 1)
    """
    base = set(chosen)
    weights = model.weights
    start = sum(weights[j] for j in base)
    gains = sorted((-(sum(weights[j] for j in f) - start), i) for i, f in enumerate(found))
    current, value = set(base), start
    merged = refused = 0
    for minus_gain, i in gains:
        if minus_gain >= 0:
            break
        mine = set(found[i])
        candidate = (current - (base - mine)) | (mine - base)
        worth = sum(weights[j] for j in candidate)
        if worth > value and feasible(model, candidate):
            current, value = candidate, worth
            merged += 1
        else:
            refused += 1
    return sorted(current), merged, refused


def feasible(model: Program, columns: Iterable[int]) -> bool:
    """Whether choosing ``columns`` (each once) keeps every row within its right-hand side.

    >>> from matching.program import Columns, build_program
    >>> program = build_program(Columns.of([((0, 1), 5), ((1, 2), 5)], []))
    >>> feasible(program, [0]), feasible(program, [0, 1])
    (True, False)
    """
    index = np.asarray(sorted(set(columns)), dtype=np.int64)
    n_rows = len(model.rhs)
    load = np.bincount(model.rows[index].ravel(), weights=model.coefs[index].ravel(), minlength=n_rows + 1)
    return bool(np.all(load[:n_rows] <= np.asarray(model.rhs) + 1e-9))


def _touched_rows(model: Program, packing: npt.NDArray[np.bool_]) -> IntArray:
    """Each column's household and vacancy rows, a chain arc's source household included.

    A chain arc out of a household at position ``k`` holds that household's flow row, not its
    household row; the arcs into it at position ``k - 1`` hold both, which maps one to the other.
    Other entries are the dummy row.
    """
    n_rows = len(model.rhs)
    household_of = np.full(n_rows + 1, n_rows, dtype=np.int64)
    onward = model.coefs[:, 2] < 0  # an arc into a household that may pass its dwelling on
    household_of[model.rows[onward, 2]] = model.rows[onward, 0]
    touched: IntArray = np.where(packing, model.rows, household_of[model.rows])
    return touched


def _region(
    pool_rows: IntArray,
    start: IntArray,
    rng: np.random.Generator,
    n_rows: int,
    size: int,
    taken: npt.NDArray[np.bool_] | None = None,
) -> npt.NDArray[np.bool_]:
    """About ``size`` household rows reached from ``start`` through the columns of ``pool_rows``.

    Rows flagged in ``taken`` (another region's) are never reached.
    """
    region = np.zeros(n_rows + 1, dtype=bool)
    frontier = start[start < n_rows]
    if taken is not None:
        frontier = frontier[~taken[frontier]]
    while frontier.size:
        room = size - int(region.sum())
        if frontier.size >= room:
            region[rng.choice(frontier, room, replace=False)] = True
            break
        region[frontier] = True
        reached = np.zeros(n_rows + 1, dtype=bool)
        reached[pool_rows[region[pool_rows].any(axis=1)]] = True
        reached[n_rows] = False
        if taken is not None:
            reached &= ~taken
        frontier = np.flatnonzero(reached & ~region)
    return region


def search_budget(left: float) -> float:
    """Seconds for one search round with ``left`` seconds to go.

    A twentieth of the time left, at least ``tuning.SEARCH_SECONDS``, never more than a quarter of
    it: a plain twentieth is too short for the search of a mid-sized file under a short limit.

    >>> search_budget(60.0), search_budget(400.0), search_budget(8.0)
    (5.0, 20.0, 2.0)
    """
    return max(0.5, min(0.25 * left, max(tuning.SEARCH_SECONDS, 0.05 * left)))

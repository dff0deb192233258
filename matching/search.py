"""Finding good solutions fast: short MIPs over small column sets, and large-neighbourhood search.

A search proves nothing; :mod:`matching.proof` does. The first solution comes from short MIPs
over the LP's support, then over its integral part plus the columns of zero reduced cost around
it (:func:`first_solution`). When no proof MIP fits, the time left goes to MIPs over the
incumbent plus the columns around a region of households (:func:`neighbourhoods`).

References
----------
Shaw, "Using constraint programming and local search methods to solve vehicle routing problems",
CP 1998 (large-neighbourhood search).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from matching import mip, tuning
from matching.lp import Relaxation
from matching.program import IntArray, Program, covered_rows, packing_entries, packing_rows

__all__ = ["Incumbent", "Progress", "around_integral", "first_solution", "neighbourhoods", "search_budget"]


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
    rng = np.random.default_rng(seed)
    n_rows = len(model.rhs)
    packing = packing_entries(model)
    touched = _touched_rows(model, packing)
    best = sum(model.weights[j] for j in chosen)
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
        if len(waste):
            pick = int(rng.choice(len(waste), p=waste / waste.sum()))
            if pick < len(idle):
                start = idle[pick : pick + 1]
            else:  # a chosen column's households and vacancy
                column = costly[pick - len(idle)]
                start = model.rows[column][packing[column]]
        else:
            start = pool_rows[rng.integers(len(pool))]
        region = _region(pool_rows, start, rng, n_rows, size)
        allowed = region.copy()
        allowed[n_rows] = True
        inside = np.flatnonzero(allowed[pool_rows].all(axis=1) & region[pool_rows].any(axis=1))
        if len(inside) > tuning.AROUND_MAX:
            inside = rng.choice(inside, tuning.AROUND_MAX, replace=False)
        kept = np.zeros(len(model.weights), dtype=bool)
        kept[pool[inside]] = True
        kept[mine] = True
        until = min(deadline, time.perf_counter() + tuning.REGION_SECONDS)
        found, settled = mip.improve(model, np.flatnonzero(kept).tolist(), chosen, until, seed, workers)
        value = sum(model.weights[j] for j in found)
        if value > best:
            best, chosen = value, found
            if stop is not None and stop(best):
                break
        elif settled:  # nothing better within reach: look wider
            size = min(tuning.REGION_MAX, round(size * 1.25))
        if not settled:  # the MIP ran out of time: look narrower
            size = max(tuning.REGION // 2, round(size * 0.8))
    return chosen


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
    pool_rows: IntArray, start: IntArray, rng: np.random.Generator, n_rows: int, size: int
) -> npt.NDArray[np.bool_]:
    """About ``size`` household rows reached from ``start`` through the columns of ``pool_rows``."""
    region = np.zeros(n_rows + 1, dtype=bool)
    frontier = start[start < n_rows]
    while frontier.size:
        room = size - int(region.sum())
        if frontier.size >= room:
            region[rng.choice(frontier, room, replace=False)] = True
            break
        region[frontier] = True
        reached = np.zeros(n_rows + 1, dtype=bool)
        reached[pool_rows[region[pool_rows].any(axis=1)]] = True
        reached[n_rows] = False
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

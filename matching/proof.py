"""Proving a component's incumbent optimal, or finding a better one, by reduced-cost fixing with targets.

A solution worth ``target`` or more uses only the columns of ``Relaxation.usable(target)`` and
leaves no slack in the rows of ``Relaxation.tight(target)`` (complementary slackness with a
budget), so the MIP over those columns, with those rows as equalities, either finds such a
solution, which is then optimal (any better one would be feasible for it too), or proves that
none exists: no solution is worth more than ``target - 1``. The equalities make that proof much
faster than the columns alone.

With ``target = incumbent + 1`` one MIP proves the incumbent optimal. When that set is much larger
than the one of ``target = floor(z)`` (a poor incumbent on a big instance), targets start at
``floor(z)`` and go down (``top``, ``top - 1``, ``top - 4``, ``top - 13``, ...): smaller, more
constrained MIPs that often find the optimum, then prove it; after each refuted target a short
search looks for a solution worth the new bound. No MIP is built over more than
``tuning.PROOF_MAX`` variables: then the time left goes to large-neighbourhood search, which stops
as soon as the proof MIP of its incumbent fits (reduced-cost fixing against the improved incumbent:
``usable(best + 1)`` shrinks as ``best`` nears ``z``); that proof then gets the time left.

References
----------
Nemhauser, Wolsey, *Integer and Combinatorial Optimization*, 1988 (reduced-cost fixing).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from matching import mip, search, tuning
from matching.lp import Relaxation
from matching.program import IntArray, Program, covered_rows, packing_entries, packing_rows
from matching.search import Incumbent, Progress, Regions

__all__ = ["prove"]


def prove(
    model: Program,
    relaxation: Relaxation,
    incumbent: Incumbent,
    deadline: float,
    backend: str,
    seed: int,
    workers: int,
    progress: Progress,
    regions: Regions | None = None,
) -> tuple[float, str]:
    """Prove ``incumbent`` optimal or improve it, by proof MIPs of descending targets; (bound, status).

    Parameters
    ----------
    model
        The programme.
    relaxation
        Its LP relaxation: the bound ``z``, duals and reduced costs.
    incumbent
        The best solution so far; replaced in place by any better one found.
    deadline
        ``time.perf_counter()`` value to stop at.
    backend, seed, workers
        As for :func:`matching.mip.solve_parts`.
    progress
        Counts the rounds and records their sizes and times.
    regions
        Where a large-neighbourhood search solves its regions (:class:`matching.search.Regions`).

    Returns
    -------
    tuple
        A proven bound on every solution, and ``optimal`` when ``incumbent`` reaches it, else
        ``feasible``.

    Examples
    --------
    Five disjoint triangles of 2-cycles worth 2: LP 15, optimum 10.

    >>> from matching.lp import relax
    >>> from matching.program import Columns, build_program
    >>> cycles = [((3 * t + a, 3 * t + b), 2) for t in range(5) for a, b in ((0, 1), (1, 2), (0, 2))]
    >>> program = build_program(Columns.of(cycles, []))
    >>> relaxation = relax(program, "GLOP", time.perf_counter() + 10)
    >>> incumbent = Incumbent()
    >>> prove(program, relaxation, incumbent, time.perf_counter() + 10, "CBC", 0, 1, Progress(0.0, {}))
    (10.0, 'optimal')
    >>> incumbent.value
    10
    """
    top = relaxation.top
    target = top
    proven = float(top)  # the best bound so far
    solved: tuple[int, int] = (-1, -1)  # how many columns and equalities the last proof MIP had
    while True:
        number = progress.next_round()
        target, proof = _proof_set(relaxation, target, incumbent.value)
        progress.stats[f"round{number}_proof_kept"] = len(proof)
        if len(proof) > tuning.PROOF_MAX:  # too large to settle: search until the incumbent's proof fits
            fits = _fits(relaxation)
            _search_rest(
                model, relaxation, incumbent, int(proven), deadline, backend, seed, workers, regions, fits
            )
            progress.lap(f"round{number}_s")
            if incumbent.value < proven and fits(incumbent.value) and deadline - time.perf_counter() > 1.0:
                progress.stats["proof_from"] = incumbent.value
                target = incumbent.value + 1  # reduced-cost fixing against the improved incumbent
                continue
            final = "optimal" if incumbent.value >= proven else "feasible"
            return max(proven, float(incumbent.value)), final
        exact = relaxation.tight(target)
        size = (len(proof), int(exact.sum()))
        if size == solved:  # the same (nested) MIP as the last one: its optimum is known
            status = "optimal"
        elif _unmet(model, exact, proof):
            status = "infeasible"  # a household or vacancy that must move, and no column moves it
        else:
            found, bound, status = mip.solve_parts(
                model, proof.tolist(), backend, deadline, seed, workers, exact=exact
            )
            incumbent.offer(found, sum(model.weights[j] for j in found))
            solved = size
        progress.lap(f"round{number}_s")
        best = incumbent.value
        if best >= top or (status in ("optimal", "infeasible") and best >= target - 1):
            return float(best), "optimal"
        if status not in ("optimal", "infeasible"):  # out of time, or the solver gave up early
            proven = min(proven, max(float(best), bound, float(target - 1)))
            if best < proven and deadline - time.perf_counter() > 1.0:  # what is left goes to search
                _search_rest(
                    model, relaxation, incumbent, int(proven), deadline, backend, seed, workers, regions
                )
                progress.lap(f"round{number}_search_s")
            return proven, "optimal" if proven <= incumbent.value else "feasible"
        proven = min(proven, float(target - 1))  # no solution reaches target
        if _goal_search(
            model, relaxation, incumbent, int(proven), proof, solved, deadline, backend, seed, workers
        ):
            progress.lap(f"round{number}_goal_s")
            if incumbent.value >= int(proven):
                return float(incumbent.value), "optimal"
        target -= max(1, 3 * (top - target))


def _proof_set(relaxation: Relaxation, target: int, best: int) -> tuple[int, IntArray]:
    """The next target and its columns: ``target``, or ``best + 1`` when that set costs little more."""
    target = max(target, best + 1)
    proof = relaxation.usable(target)
    if target > best + 1:  # straight to the proof when it costs little more than the next step
        last = relaxation.usable(best + 1)
        if len(last) <= max(tuning.PROOF_DIRECT, tuning.PROOF_GROWTH * len(proof)):
            return best + 1, last
    return target, proof


def _fits(relaxation: Relaxation) -> Callable[[int], bool]:
    """Whether the proof MIP of an incumbent worth ``value`` (target ``value + 1``) fits ``tuning.PROOF_MAX``.

    Its columns are those of reduced cost at least ``value + 1 - z`` (every column of the component is
    priced, not only those of the LP's master), so they are fewer the closer ``value`` is to ``z``.
    """

    def fits(value: int) -> bool:
        return len(relaxation.usable(value + 1)) <= tuning.PROOF_MAX

    return fits


def _unmet(model: Program, exact: npt.NDArray[np.bool_], proof: IntArray) -> bool:
    """Whether a household or vacancy row must be filled and no column of ``proof`` fills it."""
    covered = covered_rows(model, packing_entries(model), proof)
    return bool((exact & packing_rows(model) & ~covered).any())


def _search_rest(
    model: Program,
    relaxation: Relaxation,
    incumbent: Incumbent,
    top: int,
    deadline: float,
    backend: str,
    seed: int,
    workers: int,
    regions: Regions | None,
    stop: Callable[[int], bool] | None = None,
) -> None:
    """Spend the time left on large-neighbourhood search from ``incumbent``, up to ``top`` (or ``stop``)."""
    chosen = search.neighbourhoods(
        model, incumbent.chosen, relaxation, top, deadline, backend, seed, workers, regions=regions, stop=stop
    )
    incumbent.chosen, incumbent.value = chosen, sum(model.weights[j] for j in chosen)


def _goal_search(
    model: Program,
    relaxation: Relaxation,
    incumbent: Incumbent,
    goal: int,
    proof: IntArray,
    solved: tuple[int, int],
    deadline: float,
    backend: str,
    seed: int,
    workers: int,
) -> bool:
    """After a refuted target, look for a solution worth the new bound ``goal``; whether a search ran.

    Such a solution would be optimal: look among the columns just tried, with the equalities of
    ``goal`` (a search: the full set is ``usable(goal)``), stopping as soon as one is found, for a
    share of the time left (such searches may run long in vain).
    """
    exact = relaxation.tight(goal)
    again = (len(proof), int(exact.sum())) == solved  # the MIP just solved: nothing new to find
    if incumbent.value >= goal or again or _unmet(model, exact, proof):
        return False
    until = min(deadline, time.perf_counter() + tuning.GOAL_SHARE * (deadline - time.perf_counter()))
    gap = (relaxation.value - goal) / max(1, goal) + 1e-9
    found, _, _ = mip.solve_parts(model, proof.tolist(), backend, until, seed, workers, exact=exact, gap=gap)
    incumbent.offer(found, sum(model.weights[j] for j in found))
    return True

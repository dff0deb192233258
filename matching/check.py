"""Independent checker: recompute a solution's validity and objective from the instance alone.

It shares no code with the solver: it reads the instance's moves directly. With the objective
``expected`` it recomputes each proposal's expected points from ``instance.chances`` (a cycle counts
when all its moves complete, a chain's move when it and the moves before it do; a household's move
at least its ``instance.floors`` share of its points), in thousandths.
"""

from __future__ import annotations

from matching.errors import InvalidSolution
from matching.types import EXPECTED_SCALE, Instance, Proposal, Solution, SolveParams

__all__ = ["problems", "verify"]


def problems(instance: Instance, solution: Solution, params: SolveParams | None = None) -> list[str]:
    """Every rule the solution breaks, in plain words (empty when valid).

    Examples
    --------
    >>> from matching.types import Instance, Move, Proposal, Solution
    >>> inst = Instance({"H1": "D1", "H2": "D2"}, (), (Move("H1", "D2", 5), Move("H2", "D1", 4)))
    >>> cycle = Proposal("cycle", (Move("H1", "D2", 5), Move("H2", "D1", 4)))
    >>> problems(inst, Solution((cycle,), 9, 9.0, "optimal"))
    []
    >>> problems(inst, Solution((cycle,), 10, 10.0, "optimal"))
    ['objective 10 differs from the sum of the moves 9']
    >>> half = Instance(inst.households, (), inst.moves, chances={("H1", "D2"): 0.5})
    >>> problems(half, Solution((cycle,), 4500, 4500.0, "optimal"), SolveParams(objective="expected"))
    []
    """
    found: list[str] = []
    allowed = {(m.household, m.dwelling): m.points for m in instance.moves}
    freed = instance.households
    vacancies = set(instance.vacancies)
    seen_households: set[str] = set()
    seen_dwellings: set[str] = set()
    total = 0
    expected = params is not None and params.objective == "expected"
    for number, proposal in enumerate(solution.proposals):
        where = f"proposal {number} ({proposal.kind})"
        moves = proposal.moves
        if not moves:
            found.append(f"{where}: no move")
            continue
        for move in moves:
            key = (move.household, move.dwelling)
            if key not in allowed:
                found.append(f"{where}: move {key} is not allowed")
            elif allowed[key] != move.points:
                found.append(f"{where}: move {key} is worth {allowed[key]}, not {move.points}")
            if move.household in seen_households:
                found.append(f"{where}: household {move.household} moves twice")
            if move.dwelling in seen_dwellings:
                found.append(f"{where}: dwelling {move.dwelling} is given twice")
            seen_households.add(move.household)
            seen_dwellings.add(move.dwelling)
            if not expected:
                total += move.points
        if expected:
            keep_prefix = params is None or params.keep_prefix
            total += _expected_thousandths(instance, proposal, keep_prefix=keep_prefix)
        if proposal.kind == "cycle":
            if len(moves) < 2 or (params and len(moves) > params.max_cycle):
                found.append(f"{where}: {len(moves)} households is outside the cycle cap")
            for i, move in enumerate(moves):
                previous = moves[i - 1].household
                if freed.get(previous) != move.dwelling:
                    found.append(f"{where}: {move.household} does not take the dwelling freed by {previous}")
        elif proposal.kind == "chain":
            if params and len(moves) > params.max_chain:
                found.append(f"{where}: {len(moves)} moves is above the chain cap {params.max_chain}")
            if moves[0].dwelling not in vacancies:
                found.append(f"{where}: does not start at an offered vacancy ({moves[0].dwelling})")
            for i in range(1, len(moves)):
                previous = moves[i - 1].household
                if freed.get(previous) != moves[i].dwelling:
                    found.append(
                        f"{where}: {moves[i].household} does not take the dwelling freed by {previous}"
                    )
        else:
            found.append(f"{where}: unknown kind")
    if total != solution.objective:
        what = "expected value of the proposals" if expected else "sum of the moves"
        found.append(f"objective {solution.objective} differs from the {what} {total}")
    if solution.bound + 1e-6 < solution.objective:
        found.append(f"bound {solution.bound} is below the objective {solution.objective}")
    return found


def _expected_thousandths(instance: Instance, proposal: Proposal, *, keep_prefix: bool) -> int:
    """The proposal's expected points in thousandths: all-or-nothing for a cycle, by prefix for a chain
    that keeps its prefix."""
    alive = 1.0
    value = 0.0
    floors = [float(instance.floors.get(move.household, 0.0)) for move in proposal.moves]
    for move, floor in zip(proposal.moves, floors, strict=True):
        alive *= instance.chances.get((move.household, move.dwelling), 1.0)
        value += move.points * max(alive, floor)
    if proposal.kind == "cycle" or not keep_prefix:
        if any(f > 0 for f in floors):
            value = 0.0
            for move, floor in zip(proposal.moves, floors, strict=True):
                value += move.points * max(alive, floor)
        else:
            value = alive * proposal.points
    return round(value * EXPECTED_SCALE)


def verify(instance: Instance, solution: Solution, params: SolveParams | None = None) -> None:
    """Raise :class:`InvalidSolution` listing every broken rule; return quietly when valid."""
    found = problems(instance, solution, params)
    if found:
        raise InvalidSolution(found)

"""Independent checker: recompute a solution's validity and objective from the instance alone.

It shares no code with the solver: it reads the instance's moves directly.
"""

from __future__ import annotations

from matching.errors import InvalidSolution
from matching.types import Instance, Solution, SolveParams

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
    """
    found: list[str] = []
    allowed = {(m.household, m.dwelling): m.points for m in instance.moves}
    freed = instance.households
    vacancies = set(instance.vacancies)
    seen_households: set[str] = set()
    seen_dwellings: set[str] = set()
    total = 0
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
            total += move.points
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
        found.append(f"objective {solution.objective} differs from the sum of the moves {total}")
    if solution.bound + 1e-6 < solution.objective:
        found.append(f"bound {solution.bound} is below the objective {solution.objective}")
    return found


def verify(instance: Instance, solution: Solution, params: SolveParams | None = None) -> None:
    """Raise :class:`InvalidSolution` listing every broken rule; return quietly when valid."""
    found = problems(instance, solution, params)
    if found:
        raise InvalidSolution(found)

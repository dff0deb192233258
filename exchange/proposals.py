"""The proposals document of FORMAT.md (what a matching run returns), built from a solution.

A proposal (proposition) is a swap (``cycle``, échange) or a vacancy chain (``chain``,
chaîne de vacance); each move (mouvement) names the household, the dwelling it leaves
(``from``) and the dwelling it gets (``to``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from matching.types import EXPECTED_SCALE, Instance, Proposal, Solution

__all__ = ["proposal_document", "proposals_document", "solver_summary", "summary_line"]


def proposal_document(instance: Instance, proposal: Proposal) -> dict[str, Any]:
    """One proposal as FORMAT.md shows it (a chain's moves in order from the vacancy).

    Raises ``ValueError`` when a move's household is not a requesting household of ``instance``.
    """
    moves = []
    for move in proposal.moves:
        if move.household not in instance.households:
            raise ValueError(f"household {move.household!r}: not in the instance")
        moves.append(
            {
                "household": move.household,
                "from": instance.households[move.household],
                "to": move.dwelling,
                "points": move.points,
            }
        )
    return {"kind": proposal.kind, "points": proposal.points, "moves": moves}


def proposals_document(
    instance: Instance,
    solution: Solution,
    *,
    as_of: date,
    max_cycle: int,
    max_chain: int,
    objective: str = "points",
) -> dict[str, Any]:
    """The whole proposals document: run parameters, objective, every proposal, and what the solver
    proved (``solver``: the value it maximised, ``points`` or ``expected`` points, its proven upper
    bound and the relative gap between them; 0 when the optimum is proven).

    Proposals are sorted by decreasing points, then by their first household, so that
    the document does not depend on the solver's internal order.
    """
    proposals = sorted(
        (proposal_document(instance, p) for p in solution.proposals),
        key=lambda p: (-p["points"], p["moves"][0]["household"] if p["moves"] else ""),
    )
    return {
        "as_of": as_of.isoformat(),
        "max_cycle": max_cycle,
        "max_chain": max_chain,
        "objective": sum(p["points"] for p in proposals),
        "solver": solver_summary(solution, objective),
        "proposals": proposals,
    }


def solver_summary(solution: Solution, objective: str = "points") -> dict[str, Any]:
    """What the solver maximised and proved: ``objective``, ``value``, ``bound``, ``gap``, ``status``.

    Expected points are given in points (the solver counts thousandths).

    >>> from matching.types import Solution
    >>> solver_summary(Solution((), 950, 1000.0, "feasible"))
    {'objective': 'points', 'status': 'feasible', 'value': 950, 'bound': 1000, 'gap': 0.05}
    """
    scale = EXPECTED_SCALE if objective == "expected" else 1
    value, bound = solution.objective / scale, solution.bound / scale
    return {
        "objective": objective,
        "status": solution.status,
        "value": round(value, 3) if scale > 1 else int(value),
        "bound": round(bound, 3) if scale > 1 else int(bound + 1e-6),
        "gap": round(solution.gap, 6),
    }


def summary_line(document: dict[str, Any], *, status: str, seconds: float) -> str:
    """One French line summing a proposals document up (for the command line).

    >>> doc = {"objective": 1873, "proposals": [
    ...     {"kind": "cycle", "moves": [{}, {}]}, {"kind": "chain", "moves": [{}]}]}
    >>> summary_line(doc, status="optimal", seconds=1.5)
    '2 propositions (1 échange, 1 chaîne), 3 mouvements, 1873 points, optimum prouvé, 1,5 s'
    >>> doc["solver"] = {"objective": "points", "value": 1873, "bound": 1900, "gap": 0.01421}
    >>> summary_line(doc, status="feasible", seconds=240.0).split(", ")[3:6]
    ['1873 points', 'borne 1900', 'écart 1,42 %']
    """
    proposals = document["proposals"]
    cycles = sum(1 for p in proposals if p["kind"] == "cycle")
    chains = len(proposals) - cycles
    moves = sum(len(p["moves"]) for p in proposals)
    state = {"optimal": "optimum prouvé", "feasible": "non prouvé optimal (limite de temps)"}.get(
        status, status
    )
    solver = document.get("solver")
    proof = ""
    if solver is not None and status != "optimal":
        unit = " points espérés" if solver["objective"] == "expected" else ""
        proof = f"borne {solver['bound']}{unit}, écart {100 * solver['gap']:.2f} %, "
    return (
        f"{_count(len(proposals), 'proposition')} ({_count(cycles, 'échange')}, "
        f"{_count(chains, 'chaîne')}), {_count(moves, 'mouvement')}, "
        f"{document['objective']} points, {proof}{state}, {seconds:.1f} s".replace(".", ",")
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n > 1 else ''}"

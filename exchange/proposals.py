"""The proposals document of FORMAT.md (what a matching run returns), built from a solution.

A proposal (proposition) is a swap (``cycle``, échange) or a vacancy chain (``chain``,
chaîne de vacance); each move (mouvement) names the household, the dwelling it leaves
(``from``) and the dwelling it gets (``to``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from matching.types import Instance, Proposal, Solution

__all__ = ["proposal_document", "proposals_document", "summary_line"]


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
    instance: Instance, solution: Solution, *, as_of: date, max_cycle: int, max_chain: int
) -> dict[str, Any]:
    """The whole proposals document: run parameters, objective and every proposal.

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
        "proposals": proposals,
    }


def summary_line(document: dict[str, Any], *, status: str, seconds: float) -> str:
    """One French line summing a proposals document up (for the command line).

    >>> doc = {"objective": 1873, "proposals": [
    ...     {"kind": "cycle", "moves": [{}, {}]}, {"kind": "chain", "moves": [{}]}]}
    >>> summary_line(doc, status="optimal", seconds=1.5)
    '2 propositions (1 échange, 1 chaîne), 3 mouvements, 1873 points, optimum prouvé, 1,5 s'
    """
    proposals = document["proposals"]
    cycles = sum(1 for p in proposals if p["kind"] == "cycle")
    chains = len(proposals) - cycles
    moves = sum(len(p["moves"]) for p in proposals)
    state = {"optimal": "optimum prouvé", "feasible": "non prouvé optimal (limite de temps)"}.get(
        status, status
    )
    return (
        f"{_count(len(proposals), 'proposition')} ({_count(cycles, 'échange')}, "
        f"{_count(chains, 'chaîne')}), {_count(moves, 'mouvement')}, "
        f"{document['objective']} points, {state}, {seconds:.1f} s".replace(".", ",")
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n > 1 else ''}"

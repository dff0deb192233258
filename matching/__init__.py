"""Matching core on plain data: compatibility graph, cycles and chains, optimisation, checker.

Never imports the database or the web (``exchange`` and ``web`` import it, not the reverse).
"""

from __future__ import annotations

from matching.check import verify
from matching.config import PolicyConfig
from matching.graph import build_instance, to_networkx
from matching.policy import Points, criteria_in, move_allowed, points, reference_instance
from matching.solve import solve
from matching.territory import (
    CRITERIA,
    PRIORITIES,
    Dwelling,
    Household,
    Member,
    Point,
    Request,
    Territory,
)
from matching.types import Instance, Move, Proposal, Solution, SolveParams

__all__ = [
    "CRITERIA",
    "PRIORITIES",
    "Dwelling",
    "Household",
    "Instance",
    "Member",
    "Move",
    "Point",
    "PolicyConfig",
    "Proposal",
    "Request",
    "Solution",
    "SolveParams",
    "Territory",
    "build_instance",
    "criteria_in",
    "move_allowed",
    "points",
    "Points",
    "reference_instance",
    "solve",
    "verify",
    "to_networkx",
]

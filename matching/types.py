"""Frozen input and output types of the optimisation (plain data, no database).

An :class:`Instance` is a compatibility graph: requesting households (each
giving up its current dwelling when it moves), vacant dwellings offered to the
exchange (chain sources), and the allowed moves, each already scored.

Reading of kidney-exchange data (kep-common/1): a pair is a household whose
dwelling has the same name as the household, an altruist is a vacant dwelling,
and an arc ``u -> v`` of weight ``w`` is the move "household v goes to the
dwelling of u" worth ``w`` points.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

ProposalKind = Literal["cycle", "chain"]
SolveStatus = Literal["optimal", "feasible", "infeasible", "unknown"]
Objective = Literal["points", "expected"]

OBJECTIVES: tuple[Objective, ...] = ("points", "expected")
"""``points``: the points of the proposals made; ``expected``: the expected points of completed moves."""

EXPECTED_SCALE = 1000
"""Objectives ``expected`` are counted in thousandths of a point (integers, like ``points``)."""


@dataclass(frozen=True, slots=True)
class Move:
    """Household ``household`` goes to dwelling ``dwelling``, worth ``points``."""

    household: str  # "H000001"
    dwelling: str  # "D000040", where the household would go
    points: int  # already scored by the policy


@dataclass(frozen=True, slots=True)
class Instance:
    """What one matching run optimises.

    ``households`` maps each requesting household to the dwelling it frees when
    it moves; ``vacancies`` are offered vacant dwellings (chain sources);
    ``moves`` are the allowed, scored moves. Every move's dwelling is either a
    vacancy or the dwelling of a household of ``households``. ``chances`` maps
    ``(household, dwelling)`` to the estimated chance that the move is accepted by
    the household and its CALEOL (1.0 when absent); only the objective
    ``expected`` reads it. ``floors`` maps a household to the least share of
    its move's points that ``expected`` counts whatever the chances (0 when
    absent): the territory's floor for its priority households.
    """

    households: dict[str, str]
    vacancies: tuple[str, ...]
    moves: tuple[Move, ...]
    name: str = ""
    chances: Mapping[tuple[str, str], float] = field(default_factory=dict)
    floors: Mapping[str, float] = field(default_factory=dict)

    def chance(self, household: str, dwelling: str) -> float:
        """The estimated chance of the move ``household -> dwelling`` (1.0 when unknown)."""
        return float(self.chances.get((household, dwelling), 1.0))

    def __hash__(self) -> int:  # dict field: hash by identity of content that is hashable
        return hash((self.name, self.vacancies, self.moves))


@dataclass(frozen=True, slots=True)
class Proposal:
    """A cycle (swap) or a chain started by a vacancy, as an ordered list of moves.

    Cycle: each move's dwelling is the dwelling freed by the previous move's
    household (the first move takes the last household's dwelling).
    Chain: the first move goes into the vacancy; each next move goes into the
    dwelling freed by the previous household.
    """

    kind: ProposalKind
    moves: tuple[Move, ...]

    @property
    def points(self) -> int:
        """Sum of the points of the proposal's moves."""
        return sum(m.points for m in self.moves)


@dataclass(frozen=True, slots=True)
class SolveParams:
    """How to solve: caps, limits, determinism.

    ``keep_prefix`` (objective ``expected`` only): a chain keeps the moves before its first
    refusal, as the workflow does when it repairs failures; without repair a chain completes
    whole or not at all, like a cycle.
    """

    max_cycle: int = 3
    max_chain: int = 3
    time_limit_s: float = 600.0
    workers: int = 2
    seed: int = 0
    objective: Objective = "points"
    keep_prefix: bool = True

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective: must be one of {', '.join(OBJECTIVES)}, got {self.objective!r}")
        if not 2 <= self.max_cycle <= 5:
            raise ValueError(f"max_cycle: must be between 2 and 5, got {self.max_cycle!r}")
        if not 0 <= self.max_chain <= 6:
            raise ValueError(f"max_chain: must be between 0 and 6, got {self.max_chain!r}")
        if self.time_limit_s <= 0:
            raise ValueError(f"time_limit_s: must be > 0, got {self.time_limit_s!r}")


@dataclass(frozen=True, slots=True)
class Solution:
    """Chosen proposals with the objective, a proven upper bound and timings (seconds).

    With the objective ``expected``, ``objective`` and ``bound`` count thousandths of a point
    (:data:`EXPECTED_SCALE`): each proposal's expected points, rounded to the nearest thousandth.
    """

    proposals: tuple[Proposal, ...]
    objective: int
    bound: float
    status: SolveStatus
    timings: dict[str, float] = field(default_factory=dict)

    def __hash__(self) -> int:
        return hash((self.proposals, self.objective, self.bound, self.status))

    @property
    def gap(self) -> float:
        """Relative gap between bound and objective (0.0 when proven optimal)."""
        return relative_gap(self.objective, self.bound)


def relative_gap(objective: float, bound: float) -> float:
    """How far ``objective`` stands below its proven upper ``bound``, as a share of the bound.

    >>> relative_gap(950, 1000.0), relative_gap(5, 0.0)
    (0.05, 0.0)
    """
    if bound <= 0:
        return 0.0
    return max(0.0, (bound - objective) / bound)

"""Every number of POLICY.md, as one frozen per-territory configuration.

The defaults are exactly POLICY.md's; a territory may override any of them
(stored by ``exchange``, edited from the portal). ``matching`` only reads it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

RANGES: dict[str, tuple[int, int]] = {
    "adult_age": (0, 120),
    "minors_per_bedroom": (1, 10),
    "rooms_single_or_couple": (1, 10),
    "living_rooms": (0, 10),
    "under_occupation_extra_rooms": (0, 10),
    "max_extra_rooms": (0, 10),
    "max_cycle": (2, 5),
    "max_chain": (0, 6),
}
"""Allowed range (both ends included) of the settings that have one; the others must be >= 0."""


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    """Thresholds and weights of the harmonised mutation policy (politique harmonisée)."""

    # §1 household measures: bedrooms and rooms needed.
    adult_age: int = 18  # other members (child, other) this old or older get a bedroom each
    minors_per_bedroom: int = 2  # younger other members share a bedroom by this many
    rooms_single_or_couple: int = 1  # rooms needed by a head alone or a head and a partner
    living_rooms: int = 1  # rooms added to bedrooms_needed for any other household
    # §1 household measures: decency surface threshold (seuil de décence).
    surface_single_m2: float = 9.0
    surface_couple_m2: float = 16.0
    surface_per_extra_person_m2: float = 9.0
    surface_cap_m2: float = 70.0
    # §2 criteria.
    under_occupation_extra_rooms: int = 1  # under-occupation: more than n + this many rooms
    job_distance_km: float = 30.0
    earth_radius_km: float = 6371.0
    # §3 allowed moves, rule 3: at most n + this many rooms in the new dwelling.
    max_extra_rooms: int = 1
    # §4 points.
    points_move: int = 100
    points_autonomy: int = 60
    points_overcrowding: int = 50
    points_under_occupation: int = 40
    points_job_distance: int = 30
    points_handicap: int = 30
    points_violence: int = 25
    points_unfit_housing: int = 20
    points_dalo: int = 30
    points_per_month: int = 1
    seniority_cap_months: int = 60
    # Mixity goals (L.441-1 CCH), off by default: points added to a move that serves one.
    points_mixity_out_of_qpv: int = 0  # a first-quartile household leaving a QPV for a dwelling outside
    points_mixity_into_qpv: int = 0  # a household outside the first quartile moving into a QPV
    # §5 run shape.
    max_cycle: int = 3
    max_chain: int = 3

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value < 0:
                raise ValueError(f"{f.name}: must be >= 0, got {value!r}")
        for name, (low, high) in RANGES.items():
            value = getattr(self, name)
            if not low <= value <= high:
                raise ValueError(f"{name}: must be between {low} and {high}, got {value!r}")
        if self.earth_radius_km <= 0:
            raise ValueError(f"earth_radius_km: must be > 0, got {self.earth_radius_km!r}")

    def criterion_points(self, criterion: str) -> int:
        """Points earned when ``criterion`` (an active criterion) is solved by a move."""
        return int(getattr(self, f"points_{criterion}"))

    def priority_points(self, flag: str) -> int:
        """Points of one priority flag (dalo, handicap, violence, unfit_housing)."""
        return int(getattr(self, f"points_{flag}"))

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of every setting, for storage and export."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PolicyConfig:
        """Build from a (possibly partial) dict; missing keys take POLICY.md's defaults.

        Raises ``ValueError`` naming an unknown key or a bad value.
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"{unknown[0]}: unknown policy setting")
        return cls(**data)

"""Plain, frozen territory data the policy and the graph builder work on.

These types mirror FORMAT.md (the territory interchange document) without any
database or web concern: ``exchange`` converts ORM rows or JSON into them,
``matching`` turns them into an optimisation :class:`~matching.types.Instance`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

Accessibility = Literal["none", "accessible", "adapted"]
Mobility = Literal["none", "reduced", "wheelchair"]
Role = Literal["head", "partner", "child", "other"]
Priority = Literal["dalo", "handicap", "violence", "unfit_housing"]
Criterion = Literal["overcrowding", "under_occupation", "autonomy", "job_distance"]

CRITERIA: tuple[Criterion, ...] = ("overcrowding", "under_occupation", "autonomy", "job_distance")
PRIORITIES: tuple[Priority, ...] = ("dalo", "handicap", "violence", "unfit_housing")


@dataclass(frozen=True, slots=True)
class Point:
    """A place on earth in decimal degrees (WGS 84)."""

    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Dwelling:
    """A dwelling (logement) as the policy sees it."""

    ref: str
    landlord: str
    sector: str
    commune: str
    qpv: bool
    rooms: int
    surface_m2: float
    floor: int
    elevator: bool
    accessibility: Accessibility
    rent: float
    charges: float
    lat: float
    lon: float

    @property
    def cost(self) -> float:
        """Monthly rent plus charges, in euros."""
        return self.rent + self.charges


@dataclass(frozen=True, slots=True)
class Member:
    """One person of a household (membre du ménage)."""

    role: Role
    age: int


@dataclass(frozen=True, slots=True)
class Household:
    """A household (ménage) living in ``dwelling`` (a dwelling ref, or None)."""

    ref: str
    dwelling: str | None
    members: tuple[Member, ...]
    monthly_resources: float
    mobility: Mobility = "none"
    priority: frozenset[Priority] = frozenset()
    workplace: Point | None = None


@dataclass(frozen=True, slots=True)
class Request:
    """An open mutation request (demande de mutation) of one household."""

    household: str
    filed_on: date
    max_cost: float
    communes: frozenset[str] = frozenset()
    accept_qpv: bool = True
    min_rooms: int | None = None
    max_rooms: int | None = None


@dataclass(frozen=True, slots=True)
class Territory:
    """Everything a matching run reads: the territory at one date.

    ``offers`` are refs of vacant dwellings offered to the exchange;
    ``exclusions`` are (household ref, dwelling ref) pairs never to propose
    (past refusals, committee rejections, pairs in a proposal under review);
    ``first_quartile_eur`` the first-quartile threshold in force (yearly resources per
    consumption unit, L.441-1 CCH; None when the territory has not set one).
    """

    code: str
    as_of: date
    dwellings: tuple[Dwelling, ...]
    households: tuple[Household, ...]
    requests: tuple[Request, ...]
    offers: tuple[str, ...] = ()
    exclusions: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    first_quartile_eur: float | None = None

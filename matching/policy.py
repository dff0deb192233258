"""The harmonised mutation policy (politique harmonisée), scalar reference implementation.

Everything of POLICY.md on the plain types of :mod:`matching.territory`, one
household and one dwelling at a time, every number from a
:class:`~matching.config.PolicyConfig`: household measures (§1), the four
criteria (§2), the hard rules of an allowed move (§3) and its points (§4).
This module is meant to be read next to POLICY.md and to be obviously right;
:mod:`matching.graph` builds the same moves fast and is tested against
:func:`reference_instance`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Literal

from matching.config import PolicyConfig
from matching.territory import (
    CRITERIA,
    PRIORITIES,
    Criterion,
    Dwelling,
    Household,
    Priority,
    Request,
    Territory,
)
from matching.types import Instance, Move

Rule = Literal[
    "same_dwelling",
    "overcrowding",
    "under_occupation",
    "mobility",
    "cost",
    "commune",
    "qpv",
    "rooms_wish",
    "no_worse",
    "excluded",
]
"""Code of one failed hard rule of POLICY.md §3 (``commune``, ``qpv``, ``rooms_wish`` are rule 6)."""

RULES: tuple[Rule, ...] = (
    "same_dwelling",
    "overcrowding",
    "under_occupation",
    "mobility",
    "cost",
    "commune",
    "qpv",
    "rooms_wish",
    "no_worse",
    "excluded",
)

DEFAULT_CONFIG = PolicyConfig()


# §1 Household measures -------------------------------------------------------------------------


def household_size(household: Household) -> int:
    """``n``: the number of members of the household (all members live in the home).

    >>> from matching.territory import Member
    >>> household_size(Household("H1", "D1", (Member("head", 40), Member("child", 3)), 1500.0))
    2
    """
    return len(household.members)


def bedrooms_needed(household: Household, config: PolicyConfig = DEFAULT_CONFIG) -> int:
    """Bedrooms the household needs (POLICY.md §1).

    One for the head (with a partner if any), one for each other member (``child``
    or ``other``) aged ``adult_age`` (18) or more, and one for every ``minors_per_bedroom``
    (two) other members under that age, rounded up.

    >>> from matching.territory import Member
    >>> kids = (Member("head", 40), Member("partner", 38), Member("child", 12), Member("child", 9))
    >>> bedrooms_needed(Household("H1", "D1", kids, 1800.0))
    2
    """
    others = [m for m in household.members if m.role in ("child", "other")]
    adults = sum(1 for m in others if m.age >= config.adult_age)
    minors = len(others) - adults
    return 1 + adults + -(-minors // config.minors_per_bedroom)


def rooms_needed(household: Household, config: PolicyConfig = DEFAULT_CONFIG) -> int:
    """Main rooms the household needs: 1 for a head alone or a couple, else bedrooms + living room.

    The numbers are ``rooms_single_or_couple`` (1) and ``living_rooms`` (1).

    >>> from matching.territory import Member
    >>> rooms_needed(Household("H1", "D1", (Member("head", 40), Member("partner", 38)), 1800.0))
    1
    >>> rooms_needed(Household("H1", "D1", (Member("head", 40), Member("child", 8)), 1800.0))
    3
    """
    if all(m.role in ("head", "partner") for m in household.members):
        return config.rooms_single_or_couple
    return bedrooms_needed(household, config) + config.living_rooms


def min_surface(n: int, config: PolicyConfig = DEFAULT_CONFIG) -> float:
    """Decency surface threshold in m² for ``n`` people: 9 alone, 16 + 9 per extra person, at most 70.

    >>> [min_surface(n) for n in (1, 2, 3, 7, 8, 9)]
    [9.0, 16.0, 25.0, 61.0, 70.0, 70.0]
    """
    if n < 1:
        raise ValueError(f"n: a household has at least one member, got {n!r}")
    if n == 1:
        return config.surface_single_m2
    return min(config.surface_couple_m2 + config.surface_per_extra_person_m2 * (n - 2), config.surface_cap_m2)


# §2 Criteria -----------------------------------------------------------------------------------


def haversine_km(
    lat1: float, lon1: float, lat2: float, lon2: float, radius_km: float = DEFAULT_CONFIG.earth_radius_km
) -> float:
    """Great-circle distance in km between two points given in decimal degrees.

    >>> round(haversine_km(0.0, 0.0, 0.0, 1.0), 3)
    111.195
    """
    phi1 = math.radians(lat1)
    phi2 = math.radians(lat2)
    dphi = math.radians(lat2 - lat1)
    dlam = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 2 * radius_km * math.asin(math.sqrt(min(1.0, a)))


def work_distance_km(
    household: Household, dwelling: Dwelling, config: PolicyConfig = DEFAULT_CONFIG
) -> float | None:
    """Straight-line distance from ``dwelling`` to the household's workplace, None without a workplace."""
    if household.workplace is None:
        return None
    w = household.workplace
    return haversine_km(dwelling.lat, dwelling.lon, w.lat, w.lon, config.earth_radius_km)


def is_overcrowded(household: Household, dwelling: Dwelling, config: PolicyConfig = DEFAULT_CONFIG) -> bool:
    """Criterion ``overcrowding`` (suroccupation): too small a surface or too few rooms."""
    n = household_size(household)
    return dwelling.surface_m2 < min_surface(n, config) or dwelling.rooms < rooms_needed(household, config)


def is_under_occupied(
    household: Household, dwelling: Dwelling, config: PolicyConfig = DEFAULT_CONFIG
) -> bool:
    """Criterion ``under_occupation`` (sous-occupation, art. L.621-2 CCH): more than n + 1 rooms.

    The 1 is ``under_occupation_extra_rooms``.
    """
    return dwelling.rooms > household_size(household) + config.under_occupation_extra_rooms


def lacks_autonomy(household: Household, dwelling: Dwelling) -> bool:
    """Criterion ``autonomy``: the dwelling does not suit the household's loss of autonomy."""
    if household.mobility == "wheelchair":
        return dwelling.accessibility != "adapted"
    if household.mobility == "reduced":
        return dwelling.accessibility == "none" and dwelling.floor > 0 and not dwelling.elevator
    return False


def is_too_far_from_work(
    household: Household, dwelling: Dwelling, config: PolicyConfig = DEFAULT_CONFIG
) -> bool:
    """Criterion ``job_distance``: the workplace is more than ``job_distance_km`` away."""
    distance = work_distance_km(household, dwelling, config)
    return distance is not None and distance > config.job_distance_km


def criteria_in(
    household: Household, dwelling: Dwelling, config: PolicyConfig = DEFAULT_CONFIG
) -> frozenset[Criterion]:
    """The criteria of POLICY.md §2 true for ``household`` living in ``dwelling``.

    >>> from matching.territory import Member
    >>> h = Household("H1", "D1", (Member("head", 70),), 900.0)
    >>> d = Dwelling("D1", "L", "S", "C", False, 4, 80.0, 0, False, "none", 400.0, 50.0, 0.0, 0.0)
    >>> sorted(criteria_in(h, d))
    ['under_occupation']
    """
    true: set[Criterion] = set()
    if is_overcrowded(household, dwelling, config):
        true.add("overcrowding")
    if is_under_occupied(household, dwelling, config):
        true.add("under_occupation")
    if lacks_autonomy(household, dwelling):
        true.add("autonomy")
    if is_too_far_from_work(household, dwelling, config):
        true.add("job_distance")
    return frozenset(true)


def active_criteria(
    household: Household, current: Dwelling, config: PolicyConfig = DEFAULT_CONFIG
) -> frozenset[Criterion]:
    """A household's active criteria: those true in its current dwelling (none: a convenience request)."""
    return criteria_in(household, current, config)


# §3 Allowed moves ------------------------------------------------------------------------------


def mobility_allows(household: Household, dwelling: Dwelling) -> bool:
    """Rule 4: the dwelling suits the household's mobility; adapted dwellings only for those who need them."""
    if dwelling.accessibility == "adapted" and household.mobility not in ("reduced", "wheelchair"):
        return False
    if household.mobility == "wheelchair":
        return dwelling.accessibility == "adapted"
    if household.mobility == "reduced":
        return dwelling.accessibility in ("accessible", "adapted") or dwelling.floor == 0 or dwelling.elevator
    return True


def move_allowed(
    household: Household,
    request: Request,
    current: Dwelling,
    dwelling: Dwelling,
    config: PolicyConfig = DEFAULT_CONFIG,
    *,
    excluded: bool = False,
) -> list[Rule]:
    """Rules 1–8 of POLICY.md §3 that the move ``household -> dwelling`` breaks (empty: allowed).

    ``current`` is the household's current dwelling; ``excluded`` says whether the pair is
    among the territory's exclusions (rule 8). Whether ``dwelling`` is a candidate at all
    (dwelling of another requesting household, or an offered vacancy) is the caller's concern.

    >>> from matching.territory import Member
    >>> h = Household("H1", "D1", (Member("head", 70),), 900.0)
    >>> big = Dwelling("D1", "L", "S", "C", False, 4, 80.0, 0, False, "none", 400.0, 50.0, 0.0, 0.0)
    >>> small = Dwelling("D2", "L", "S", "C", False, 2, 40.0, 0, False, "none", 300.0, 40.0, 0.0, 0.0)
    >>> r = Request("H1", date(2026, 1, 5), max_cost=400.0)
    >>> move_allowed(h, r, big, small), move_allowed(h, r, small, big)
    ([], ['under_occupation', 'cost', 'no_worse'])
    """
    failed: list[Rule] = []
    n = household_size(household)
    if dwelling.ref == current.ref:  # rule 1
        failed.append("same_dwelling")
    if is_overcrowded(household, dwelling, config):  # rule 2
        failed.append("overcrowding")
    if dwelling.rooms > n + config.max_extra_rooms:  # rule 3
        failed.append("under_occupation")
    if not mobility_allows(household, dwelling):  # rule 4
        failed.append("mobility")
    if not dwelling.rent + dwelling.charges <= request.max_cost:  # rule 5
        failed.append("cost")
    if request.communes and dwelling.commune not in request.communes:  # rule 6
        failed.append("commune")
    if not request.accept_qpv and dwelling.qpv:
        failed.append("qpv")
    if (request.min_rooms is not None and dwelling.rooms < request.min_rooms) or (
        request.max_rooms is not None and dwelling.rooms > request.max_rooms
    ):
        failed.append("rooms_wish")
    active = active_criteria(household, current, config)  # rule 7
    after = criteria_in(household, dwelling, config)
    if not after <= active or (active and not active - after):
        failed.append("no_worse")
    if excluded:  # rule 8
        failed.append("excluded")
    return failed


# §4 Points -------------------------------------------------------------------------------------


def full_months(start: date, end: date) -> int:
    """Full months from ``start`` to ``end``: day D of a month to day D of the next (0 if end < start).

    A month whose day D does not exist is completed only when day D is reached in a later
    month, or when the month after begins: 31 January to 28 February is not a full month,
    31 January to 1 March is one.

    >>> full_months(date(2026, 1, 31), date(2026, 2, 28)), full_months(date(2026, 1, 31), date(2026, 3, 31))
    (0, 2)
    """
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if end.day < start.day:
        months -= 1
    return max(0, months)


@dataclass(frozen=True, slots=True)
class Points:
    """Points of one move and where they come from (POLICY.md §4)."""

    base: int
    criteria: tuple[tuple[Criterion, int], ...]  # active criteria the move solves, in CRITERIA order
    priorities: tuple[tuple[Priority, int], ...]  # the household's priority flags, in PRIORITIES order
    seniority_months: int  # full months counted, capped
    seniority: int
    mixity: int = 0  # a mixity goal the move serves (0 unless the territory turned the option on)

    @property
    def total(self) -> int:
        """The move's points: base + solved criteria + priority flags + seniority + mixity."""
        return (
            self.base
            + sum(p for _, p in self.criteria)
            + sum(p for _, p in self.priorities)
            + self.seniority
            + self.mixity
        )


def seniority_points(request: Request, as_of: date, config: PolicyConfig = DEFAULT_CONFIG) -> tuple[int, int]:
    """(months counted, points) for the request's seniority at ``as_of``."""
    months = min(full_months(request.filed_on, as_of), config.seniority_cap_months)
    return months, months * config.points_per_month


def consumption_units(household: Household) -> float:
    """INSEE's consumption units (modified OECD scale): 1 for the head, 0.5 for each other person
    aged 14 or more, 0.3 for each younger one.

    >>> from matching.territory import Member
    >>> family = (Member("head", 40), Member("partner", 38), Member("child", 9))
    >>> consumption_units(Household("H", None, family, 0.0))
    1.8
    """
    others = [m for m in household.members if m.role != "head"]
    if len(others) == len(household.members):  # no head recorded: the first person counts as one
        others = others[1:]
    return round(1.0 + sum(0.5 if m.age >= 14 else 0.3 for m in others), 2)


def in_first_quartile(household: Household, threshold_eur: float | None) -> bool | None:
    """Whether the household's yearly resources per consumption unit are below the first-quartile
    threshold (L.441-1 CCH); None when the territory has set no threshold.

    >>> from matching.territory import Member
    >>> single = Household("H", None, (Member("head", 40),), 800.0)
    >>> [in_first_quartile(single, threshold) for threshold in (10_000.0, 9_600.0, None)]
    [True, False, None]
    """
    if threshold_eur is None:
        return None
    return household.monthly_resources * 12 / consumption_units(household) < threshold_eur


def mixity_points(
    household: Household,
    current: Dwelling,
    dwelling: Dwelling,
    threshold_eur: float | None,
    config: PolicyConfig = DEFAULT_CONFIG,
) -> int:
    """Points of the mixity goal a move serves: a first-quartile household leaving a QPV for a
    dwelling outside one, or a household outside the first quartile moving into a QPV (0 when no
    threshold is set or the options are off)."""
    quartile = in_first_quartile(household, threshold_eur)
    if quartile is None:
        return 0
    if quartile and current.qpv and not dwelling.qpv:
        return config.points_mixity_out_of_qpv
    if not quartile and not current.qpv and dwelling.qpv:
        return config.points_mixity_into_qpv
    return 0


def points(
    household: Household,
    request: Request,
    current: Dwelling,
    dwelling: Dwelling,
    as_of: date,
    config: PolicyConfig = DEFAULT_CONFIG,
    *,
    first_quartile_eur: float | None = None,
) -> Points:
    """Points of the move ``household -> dwelling`` with their breakdown (the move is assumed allowed).

    >>> from matching.territory import Member
    >>> h = Household("H1", "D1", (Member("head", 70),), 900.0, priority=frozenset({"dalo"}))
    >>> big = Dwelling("D1", "L", "S", "C", False, 4, 80.0, 0, False, "none", 400.0, 50.0, 0.0, 0.0)
    >>> small = Dwelling("D2", "L", "S", "C", False, 2, 40.0, 0, False, "none", 300.0, 40.0, 0.0, 0.0)
    >>> p = points(h, Request("H1", date(2025, 12, 5), 400.0), big, small, date(2026, 3, 4))
    >>> p.criteria, p.priorities, p.seniority, p.total
    ((('under_occupation', 40),), (('dalo', 30),), 2, 172)
    """
    active = active_criteria(household, current, config)
    after = criteria_in(household, dwelling, config)
    solved = tuple((c, config.criterion_points(c)) for c in CRITERIA if c in active and c not in after)
    flags = tuple((f, config.priority_points(f)) for f in PRIORITIES if f in household.priority)
    months, seniority = seniority_points(request, as_of, config)
    mixity = mixity_points(household, current, dwelling, first_quartile_eur, config)
    return Points(config.points_move, solved, flags, months, seniority, mixity)


# Candidates and the reference instance ---------------------------------------------------------


def _index(territory: Territory) -> tuple[dict[str, Dwelling], dict[str, Household], dict[str, Request]]:
    dwellings = {d.ref: d for d in territory.dwellings}
    households = {h.ref: h for h in territory.households}
    requests: dict[str, Request] = {}
    for r in territory.requests:
        if r.household in requests:
            raise ValueError(f"requests: household {r.household!r} has more than one open request")
        household = households.get(r.household)
        if household is None:
            raise ValueError(f"requests: unknown household {r.household!r}")
        if household.dwelling is None or household.dwelling not in dwellings:
            raise ValueError(
                f"requests: household {r.household!r} does not live in a dwelling of the territory"
            )
        requests[r.household] = r
    return dwellings, households, requests


def candidate_dwellings(territory: Territory) -> dict[str, str | None]:
    """Each candidate dwelling (POLICY.md §3) mapped to the requesting household living there, or None.

    Raises ``ValueError`` for an offer of an unknown or occupied dwelling, or a request that
    cannot be read (unknown household, household without a dwelling, two requests).
    """
    dwellings, households, requests = _index(territory)
    occupied = {h.dwelling for h in territory.households if h.dwelling is not None}
    candidates: dict[str, str | None] = {}
    for ref in requests:
        dwelling = households[ref].dwelling
        assert dwelling is not None  # checked by _index
        candidates[dwelling] = ref
    for ref in territory.offers:
        if ref not in dwellings:
            raise ValueError(f"offers: unknown dwelling {ref!r}")
        if ref in occupied:
            raise ValueError(f"offers: dwelling {ref!r} is occupied")
        candidates[ref] = None
    return candidates


def household_moves(
    territory: Territory, household_ref: str, config: PolicyConfig = DEFAULT_CONFIG
) -> list[tuple[Dwelling, Points]]:
    """Allowed moves of one requesting household with their points, best first (then by dwelling ref)."""
    dwellings, households, requests = _index(territory)
    household = households[household_ref]
    request = requests[household_ref]
    assert household.dwelling is not None
    current = dwellings[household.dwelling]
    found = []
    for ref in sorted(candidate_dwellings(territory)):
        target = dwellings[ref]
        excluded = (household_ref, ref) in territory.exclusions
        if not move_allowed(household, request, current, target, config, excluded=excluded):
            p = points(
                household,
                request,
                current,
                target,
                territory.as_of,
                config,
                first_quartile_eur=territory.first_quartile_eur,
            )
            found.append((target, p))
    found.sort(key=lambda pair: (-pair[1].total, pair[0].ref))
    return found


def reference_instance(territory: Territory, config: PolicyConfig = DEFAULT_CONFIG) -> Instance:
    """The territory's compatibility graph by a direct double loop over (household, candidate) pairs.

    Slow and obviously right; :func:`matching.graph.build_instance` must return the same.
    """
    dwellings, households, requests = _index(territory)
    candidates = candidate_dwellings(territory)
    moves: list[Move] = []
    for h_ref in sorted(requests):
        household = households[h_ref]
        assert household.dwelling is not None
        current = dwellings[household.dwelling]
        for d_ref in sorted(candidates):
            target = dwellings[d_ref]
            excluded = (h_ref, d_ref) in territory.exclusions
            if move_allowed(household, requests[h_ref], current, target, config, excluded=excluded):
                continue
            p = points(
                household,
                requests[h_ref],
                current,
                target,
                territory.as_of,
                config,
                first_quartile_eur=territory.first_quartile_eur,
            )
            moves.append(Move(h_ref, d_ref, p.total))
    return Instance(
        households={ref: _dwelling_of(households[ref]) for ref in sorted(requests)},
        vacancies=tuple(sorted(ref for ref, owner in candidates.items() if owner is None)),
        moves=tuple(moves),
        name=territory.code,
    )


def _dwelling_of(household: Household) -> str:
    assert household.dwelling is not None
    return household.dwelling

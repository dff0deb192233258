"""POLICY.md at and around every threshold, one table per rule."""

from __future__ import annotations

import math
from datetime import date

import pytest

from matching.config import PolicyConfig
from matching.policy import (
    active_criteria,
    bedrooms_needed,
    criteria_in,
    full_months,
    haversine_km,
    household_moves,
    min_surface,
    move_allowed,
    points,
    rooms_needed,
)
from matching.territory import Dwelling, Household, Member, Point, Request, Territory

ADULT, PARTNER = Member("head", 40), Member("partner", 38)


def kid(age: int) -> Member:
    return Member("child", age)


def other(age: int) -> Member:
    return Member("other", age)


def household(*others: Member, **overrides: object) -> Household:
    """A household of a head plus ``others``."""
    values: dict[str, object] = dict(
        ref="H1", dwelling="D0", members=(ADULT, *others), monthly_resources=1500.0
    )
    values.update(overrides)
    return Household(**values)  # type: ignore[arg-type]


def dwelling(rooms: int = 3, surface_m2: float = 60.0, **overrides: object) -> Dwelling:
    values: dict[str, object] = dict(
        ref="D1",
        landlord="L",
        sector="S",
        commune="Cayenne",
        qpv=False,
        rooms=rooms,
        surface_m2=surface_m2,
        floor=0,
        elevator=False,
        accessibility="none",
        rent=350.0,
        charges=60.0,
        lat=4.93,
        lon=-52.33,
    )
    values.update(overrides)
    return Dwelling(**values)  # type: ignore[arg-type]


def request(**overrides: object) -> Request:
    values: dict[str, object] = dict(household="H1", filed_on=date(2026, 1, 1), max_cost=1000.0)
    values.update(overrides)
    return Request(**values)  # type: ignore[arg-type]


# A current dwelling that puts a household of up to 8 people in overcrowding (so moves are "better").
CRAMPED = dwelling(rooms=1, surface_m2=8.0, ref="D0")
# A current dwelling without any criterion for a couple.
FINE_FOR_COUPLE = dwelling(rooms=2, surface_m2=45.0, ref="D0")


# §1 Household measures ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("others", "bedrooms", "rooms"),
    [
        ((), 1, 1),  # head alone
        ((PARTNER,), 1, 1),  # couple
        ((kid(5),), 2, 3),  # single parent, one child
        ((PARTNER, kid(5)), 2, 3),
        ((PARTNER, kid(5), kid(9)), 2, 3),  # two children under 18 share
        ((PARTNER, kid(5), kid(9), kid(12)), 3, 4),  # ceil(3 / 2) = 2
        ((PARTNER, kid(17), kid(18)), 3, 4),  # 18: a bedroom of its own; 17: shares
        ((kid(18), kid(19)), 3, 4),
        ((other(80),), 2, 3),  # an adult "other" member (a parent) has a bedroom
        ((other(10), kid(10)), 2, 3),  # an under-18 "other" shares with a child
        ((PARTNER, kid(1), kid(2), kid(3), kid(4), kid(5)), 4, 5),
    ],
)
def test_bedrooms_and_rooms_needed(others: tuple[Member, ...], bedrooms: int, rooms: int) -> None:
    h = household(*others)
    assert (bedrooms_needed(h), rooms_needed(h)) == (bedrooms, rooms)


@pytest.mark.parametrize(
    ("n", "surface"),
    [(1, 9.0), (2, 16.0), (3, 25.0), (4, 34.0), (7, 61.0), (8, 70.0), (9, 70.0), (12, 70.0)],
)
def test_min_surface(n: int, surface: float) -> None:
    assert min_surface(n) == surface


def test_min_surface_refuses_an_empty_household() -> None:
    with pytest.raises(ValueError, match="n"):
        min_surface(0)


# §2 Criteria ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("others", "rooms", "surface", "expected"),
    [
        ((PARTNER,), 2, 16.0, frozenset()),  # exactly the decency threshold for two
        ((PARTNER,), 2, 15.9, {"overcrowding"}),
        ((), 1, 9.0, frozenset()),  # single: 9 m²
        ((), 1, 8.9, {"overcrowding"}),
        ((PARTNER, kid(3), kid(4), kid(5), kid(6), kid(7), kid(8)), 5, 70.0, frozenset()),  # 8 people: cap 70
        ((PARTNER, kid(3), kid(4), kid(5), kid(6), kid(7), kid(8)), 5, 69.9, {"overcrowding"}),
        (
            (PARTNER, kid(3), kid(4), kid(5), kid(6), kid(7), kid(8), kid(9)),
            6,
            70.0,
            frozenset(),
        ),  # 9: still 70
        ((kid(8),), 2, 40.0, {"overcrowding"}),  # 3 rooms needed
        ((kid(8),), 3, 40.0, frozenset()),
        ((), 2, 40.0, frozenset()),  # rooms = n + 1
        ((), 3, 60.0, {"under_occupation"}),  # rooms = n + 2
        ((PARTNER,), 3, 60.0, frozenset()),
        ((PARTNER,), 4, 80.0, {"under_occupation"}),
    ],
)
def test_size_criteria(others: tuple[Member, ...], rooms: int, surface: float, expected: set[str]) -> None:
    assert criteria_in(household(*others), dwelling(rooms, surface)) == frozenset(expected)


@pytest.mark.parametrize(
    ("mobility", "accessibility", "floor", "elevator", "autonomy"),
    [
        ("wheelchair", "adapted", 3, False, False),
        ("wheelchair", "accessible", 0, True, True),
        ("wheelchair", "none", 0, False, True),
        ("reduced", "none", 1, False, True),
        ("reduced", "none", 0, False, False),  # ground floor
        ("reduced", "none", 4, True, False),  # elevator
        ("reduced", "accessible", 4, False, False),
        ("reduced", "adapted", 4, False, False),
        ("none", "none", 9, False, False),
    ],
)
def test_autonomy_criterion(
    mobility: str, accessibility: str, floor: int, elevator: bool, autonomy: bool
) -> None:
    h = household(PARTNER, mobility=mobility)
    d = dwelling(2, 40.0, accessibility=accessibility, floor=floor, elevator=elevator)
    assert ("autonomy" in criteria_in(h, d)) is autonomy


# 0.269796° of latitude is 30.0 km on a 6371 km sphere; these are due north of the dwelling.
@pytest.mark.parametrize(
    ("dlat", "far"),
    [(0.0, False), (0.2695, False), (0.26979, False), (0.2698, True), (0.2699, True), (1.0, True)],
)
def test_job_distance_criterion_at_30_km(dlat: float, far: bool) -> None:
    h = household(PARTNER, workplace=Point(4.93 + dlat, -52.33))
    assert ("job_distance" in criteria_in(h, dwelling(2, 40.0))) is far


@pytest.mark.parametrize(
    ("lat2", "lon2", "km"),
    [
        (4.93, -52.33, 0.0),
        (4.93 + 0.26979, -52.33, 29.9993),
        (4.93 + 0.2699, -52.33, 30.0115),
        (5.93, -52.33, 111.1949),
    ],
)
def test_haversine(lat2: float, lon2: float, km: float) -> None:
    assert haversine_km(4.93, -52.33, lat2, lon2) == pytest.approx(km, abs=5e-5)


def _north_of_origin(km: float) -> Point:
    """A workplace due north of (0, 0) at ``km`` on the 6371 km sphere (haversine gives ``km`` exactly)."""
    return Point(math.degrees(km / 6371.0), 0.0)


@pytest.mark.parametrize(
    ("config", "km", "far"),
    [
        (PolicyConfig(), 29.99, False),
        (PolicyConfig(), 30.0, False),  # "greater than 30 km": 30 km is not too far
        (PolicyConfig(), 30.01, True),
        (PolicyConfig(job_distance_km=25.0), 25.0, False),
        (PolicyConfig(job_distance_km=25.0), 25.01, True),
        (PolicyConfig(job_distance_km=25.0), 30.0, True),
        (PolicyConfig(job_distance_km=40.0), 30.01, False),
    ],
)
def test_job_distance_30_km_against_30_01_km(config: PolicyConfig, km: float, far: bool) -> None:
    at_origin = dwelling(2, 40.0, lat=0.0, lon=0.0)
    workplace = _north_of_origin(km)
    assert haversine_km(0.0, 0.0, workplace.lat, workplace.lon) == pytest.approx(km, abs=1e-9)
    h = household(PARTNER, workplace=workplace)
    assert ("job_distance" in criteria_in(h, at_origin, config)) is far
    # A move from a dwelling 100 km away solves the criterion only if the target is within the threshold.
    away = dwelling(1, 8.0, ref="D0", lat=math.degrees(100 / 6371.0) * 2, lon=0.0)
    p = points(h, request(), away, at_origin, date(2026, 1, 1), config)
    assert (("job_distance", 30) in p.criteria) is not far


@pytest.mark.parametrize(
    ("config", "n", "surface", "overcrowded"),
    [
        (PolicyConfig(surface_single_m2=12.0), 1, 12.0, False),
        (PolicyConfig(surface_single_m2=12.0), 1, 11.9, True),
        (PolicyConfig(surface_couple_m2=18.0), 2, 18.0, False),
        (PolicyConfig(surface_couple_m2=18.0), 2, 17.9, True),
        (PolicyConfig(surface_per_extra_person_m2=10.0), 3, 26.0, False),
        (PolicyConfig(surface_per_extra_person_m2=10.0), 3, 25.9, True),
        (PolicyConfig(surface_cap_m2=50.0), 8, 50.0, False),
        (PolicyConfig(surface_cap_m2=50.0), 8, 49.9, True),
    ],
)
def test_custom_surface_thresholds(config: PolicyConfig, n: int, surface: float, overcrowded: bool) -> None:
    others = (PARTNER, *(kid(10) for _ in range(n - 2))) if n >= 2 else ()
    roomy = dwelling(10, surface)  # rooms never the reason here
    assert ("overcrowding" in criteria_in(household(*others), roomy, config)) is overcrowded


@pytest.mark.parametrize(
    ("config", "filed_on", "seniority"),
    [
        (PolicyConfig(seniority_cap_months=12), date(2025, 1, 1), 12),
        (PolicyConfig(seniority_cap_months=12), date(2025, 1, 2), 11),
        (PolicyConfig(points_per_month=2, seniority_cap_months=12), date(2025, 1, 1), 24),
        (PolicyConfig(points_per_month=2, seniority_cap_months=12), date(2025, 1, 2), 22),
        (PolicyConfig(points_per_month=0), date(2020, 1, 1), 0),
    ],
)
def test_custom_seniority(config: PolicyConfig, filed_on: date, seniority: int) -> None:
    p = points(
        household(PARTNER), request(filed_on=filed_on), CRAMPED, dwelling(2, 40.0), date(2026, 1, 1), config
    )
    assert p.seniority == seniority


def test_no_workplace_is_never_too_far() -> None:
    assert criteria_in(household(PARTNER), dwelling(2, 40.0, lat=-40.0, lon=100.0)) == frozenset()


# §3 Allowed moves -----------------------------------------------------------------------------------


def failures(h: Household, d: Dwelling, current: Dwelling = CRAMPED, **req: object) -> list[str]:
    return list(move_allowed(h, request(**req), current, d))


@pytest.mark.parametrize(
    ("others", "rooms", "surface", "failed"),
    [
        ((PARTNER,), 2, 16.0, []),
        ((PARTNER,), 2, 15.9, ["overcrowding", "no_worse"]),  # still overcrowded
        ((), 1, 9.0, []),
        ((), 1, 8.9, ["overcrowding", "no_worse"]),
        ((), 2, 30.0, []),  # rooms = n + 1 allowed
        ((), 3, 50.0, ["under_occupation", "no_worse"]),  # rooms = n + 2: a new criterion
        ((PARTNER, kid(5), kid(9)), 3, 34.0, []),  # family of four: 3 rooms, 34 m²
        ((PARTNER, kid(5), kid(9)), 3, 33.9, ["overcrowding", "no_worse"]),
        ((PARTNER, kid(5), kid(9)), 2, 60.0, ["overcrowding", "no_worse"]),
        ((PARTNER, kid(5), kid(9)), 5, 90.0, []),
        ((PARTNER, kid(5), kid(9)), 6, 100.0, ["under_occupation", "no_worse"]),
        ((PARTNER, kid(3), kid(4), kid(5), kid(6), kid(7), kid(8)), 5, 70.0, []),  # cap 70 at 8 people
        ((PARTNER, kid(3), kid(4), kid(5), kid(6), kid(7), kid(8)), 5, 69.9, ["overcrowding", "no_worse"]),
    ],
)
def test_size_rules(others: tuple[Member, ...], rooms: int, surface: float, failed: list[str]) -> None:
    current = dwelling(1, 8.0, ref="D0")
    assert failures(household(*others), dwelling(rooms, surface), current) == failed


@pytest.mark.parametrize(
    ("mobility", "accessibility", "floor", "elevator", "allowed"),
    [
        ("wheelchair", "adapted", 2, False, True),
        ("wheelchair", "accessible", 0, True, False),
        ("reduced", "adapted", 2, False, True),  # adapted goes to reduced mobility too
        ("reduced", "accessible", 2, False, True),
        ("reduced", "none", 0, False, True),
        ("reduced", "none", 2, True, True),
        ("reduced", "none", 2, False, False),
        ("none", "adapted", 0, True, False),  # adapted dwellings are kept for those who need them
        ("none", "accessible", 0, False, True),
        ("none", "none", 5, False, True),
    ],
)
def test_mobility_rule(mobility: str, accessibility: str, floor: int, elevator: bool, allowed: bool) -> None:
    h = household(PARTNER, mobility=mobility)
    d = dwelling(2, 40.0, accessibility=accessibility, floor=floor, elevator=elevator)
    # Current dwelling: cramped and on the ground floor with an adapted access, so autonomy is not active.
    current = dwelling(1, 8.0, ref="D0", accessibility="adapted")
    assert ("mobility" not in failures(h, d, current)) is allowed


@pytest.mark.parametrize(
    ("rent", "charges", "max_cost", "allowed"),
    [
        (350.0, 60.0, 410.0, True),
        (350.0, 60.01, 410.0, False),
        (350.0, 60.0, 409.99, False),
        (0.1, 0.2, 0.3, False),
    ],
)
def test_cost_rule(rent: float, charges: float, max_cost: float, allowed: bool) -> None:
    # 0.1 + 0.2 > 0.3 in floating point: the rule compares rent + charges as given, no rounding.
    d = dwelling(2, 40.0, rent=rent, charges=charges)
    assert ("cost" not in failures(household(PARTNER), d, max_cost=max_cost)) is allowed


@pytest.mark.parametrize(
    ("wish", "d_overrides", "failed"),
    [
        ({"communes": frozenset({"Cayenne", "Kourou"})}, {}, []),
        ({"communes": frozenset({"Kourou"})}, {}, ["commune"]),
        ({"communes": frozenset()}, {"commune": "Anywhere"}, []),
        ({"accept_qpv": False}, {"qpv": True}, ["qpv"]),
        ({"accept_qpv": False}, {"qpv": False}, []),
        ({"accept_qpv": True}, {"qpv": True}, []),
        ({"min_rooms": 3}, {"rooms": 3}, []),
        ({"min_rooms": 3}, {"rooms": 2}, ["rooms_wish"]),
        ({"max_rooms": 2}, {"rooms": 2}, []),
        ({"max_rooms": 2}, {"rooms": 3}, ["rooms_wish"]),
        ({"min_rooms": 2, "max_rooms": 2}, {"rooms": 2}, []),
    ],
)
def test_wishes(wish: dict[str, object], d_overrides: dict[str, object], failed: list[str]) -> None:
    values: dict[str, object] = {"rooms": 2, "surface_m2": 50.0, **d_overrides}
    assert failures(household(PARTNER), dwelling(**values), **wish) == failed


def test_same_dwelling_is_not_a_move() -> None:
    current = dwelling(2, 12.0, ref="D0")  # overcrowded
    assert failures(household(PARTNER), current, current) == ["same_dwelling", "overcrowding", "no_worse"]


def test_exclusion_rule() -> None:
    h, d = household(PARTNER), dwelling(2, 40.0)
    assert move_allowed(h, request(), CRAMPED, d, excluded=True) == ["excluded"]
    assert move_allowed(h, request(), CRAMPED, d, excluded=False) == []


FAR_WORK = Point(4.93 + 1.0, -52.33)  # 111 km north of every test dwelling at lat 4.93
NEAR_HOME = {"lat": 4.93 + 0.9, "lon": -52.33}  # 11 km from FAR_WORK


@pytest.mark.parametrize(
    ("current", "target", "workplace", "no_worse"),
    [
        # Convenience request (no active criterion): allowed if no criterion appears.
        (FINE_FOR_COUPLE, dwelling(2, 40.0), None, True),
        (
            dwelling(2, 45.0, ref="D0", **NEAR_HOME),
            dwelling(2, 40.0),
            FAR_WORK,
            False,
        ),  # job_distance appears
        (dwelling(2, 45.0, ref="D0", **NEAR_HOME), dwelling(2, 40.0, **NEAR_HOME), FAR_WORK, True),
        # Only job_distance active: must be solved.
        (FINE_FOR_COUPLE, dwelling(2, 40.0), FAR_WORK, False),
        (FINE_FOR_COUPLE, dwelling(2, 40.0, **NEAR_HOME), FAR_WORK, True),
        # job_distance stays true while overcrowding is solved: allowed.
        (CRAMPED, dwelling(2, 40.0), FAR_WORK, True),
        # under-occupation active, solved, job_distance appears: not allowed.
        (dwelling(4, 90.0, ref="D0", **NEAR_HOME), dwelling(2, 40.0), FAR_WORK, False),
        (dwelling(4, 90.0, ref="D0", **NEAR_HOME), dwelling(2, 40.0, **NEAR_HOME), FAR_WORK, True),
    ],
)
def test_no_worse_rule(current: Dwelling, target: Dwelling, workplace: Point | None, no_worse: bool) -> None:
    h = household(PARTNER, workplace=workplace)
    assert ("no_worse" not in failures(h, target, current)) is no_worse


def test_autonomy_solved_move_for_a_wheelchair_user() -> None:
    h = household(PARTNER, mobility="wheelchair")
    current = dwelling(2, 45.0, ref="D0", accessibility="accessible")
    assert active_criteria(h, current) == {"autonomy"}
    assert failures(h, dwelling(2, 40.0, accessibility="adapted"), current) == []
    assert failures(h, dwelling(2, 40.0, accessibility="accessible"), current) == ["mobility", "no_worse"]


# §4 Points ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (date(2026, 1, 31), date(2026, 2, 28), 0),  # day 31 not reached in February
        (date(2026, 1, 31), date(2026, 3, 1), 1),
        (date(2026, 1, 31), date(2026, 3, 30), 1),
        (date(2026, 1, 31), date(2026, 3, 31), 2),
        (date(2026, 1, 15), date(2026, 2, 14), 0),
        (date(2026, 1, 15), date(2026, 2, 15), 1),
        (date(2024, 2, 29), date(2025, 2, 28), 11),  # leap day: no 29 Feb in 2025
        (date(2024, 2, 29), date(2025, 3, 1), 12),
        (date(2024, 2, 29), date(2028, 2, 29), 48),
        (date(2024, 1, 29), date(2024, 2, 29), 1),  # leap year: 29 Feb exists
        (date(2023, 1, 29), date(2023, 2, 28), 0),
        (date(2025, 12, 31), date(2026, 1, 31), 1),  # across a year
        (date(2026, 5, 1), date(2026, 5, 1), 0),
        (date(2026, 5, 2), date(2026, 5, 1), 0),  # filed after as_of: no negative seniority
    ],
)
def test_full_months(start: date, end: date, months: int) -> None:
    assert full_months(start, end) == months


@pytest.mark.parametrize(
    ("filed_on", "seniority"),
    [
        (date(2021, 1, 1), 60),  # 72 months, capped
        (date(2021, 7, 1), 60),  # exactly 60
        (date(2021, 7, 2), 59),
        (date(2026, 6, 30), 0),
    ],
)
def test_seniority_is_capped_at_60(filed_on: date, seniority: int) -> None:
    p = points(household(PARTNER), request(filed_on=filed_on), CRAMPED, dwelling(2, 40.0), date(2026, 7, 1))
    assert (p.seniority, p.total) == (seniority, 100 + 50 + seniority)


@pytest.mark.parametrize(
    ("priority", "flags_points"),
    [
        (frozenset(), 0),
        (frozenset({"handicap"}), 30),
        (frozenset({"violence"}), 25),
        (frozenset({"unfit_housing"}), 20),
        (frozenset({"dalo"}), 30),
        (frozenset({"dalo", "handicap", "violence", "unfit_housing"}), 105),
    ],
)
def test_priority_flags_count_once(priority: frozenset[str], flags_points: int) -> None:
    h = household(PARTNER, priority=priority)
    p = points(h, request(filed_on=date(2026, 7, 1)), CRAMPED, dwelling(2, 40.0), date(2026, 7, 1))
    assert p.total == 100 + 50 + flags_points
    assert sum(v for _, v in p.priorities) == flags_points


def test_points_breakdown_with_every_criterion_solved() -> None:
    h = household(PARTNER, mobility="wheelchair", workplace=FAR_WORK, priority=frozenset({"dalo"}))
    current = dwelling(1, 8.0, ref="D0")  # overcrowded, not adapted, far from work
    target = dwelling(2, 40.0, accessibility="adapted", **NEAR_HOME)
    assert active_criteria(h, current) == {"overcrowding", "autonomy", "job_distance"}
    assert move_allowed(h, request(), current, target) == []
    p = points(h, request(filed_on=date(2025, 12, 31)), current, target, date(2026, 3, 30))
    assert p.criteria == (("overcrowding", 50), ("autonomy", 60), ("job_distance", 30))
    assert (p.base, p.priorities, p.seniority_months, p.seniority) == (100, (("dalo", 30),), 2, 2)
    assert p.total == 272


def test_job_distance_left_unsolved_earns_nothing() -> None:
    h = household(PARTNER, workplace=FAR_WORK)
    p = points(h, request(filed_on=date(2026, 1, 1)), CRAMPED, dwelling(2, 40.0), date(2026, 1, 1))
    assert p.criteria == (("overcrowding", 50),)
    assert p.total == 150


def test_under_occupation_points() -> None:
    h = household()
    p = points(
        h,
        request(filed_on=date(2026, 1, 1)),
        dwelling(3, 60.0, ref="D0"),
        dwelling(2, 30.0),
        date(2026, 1, 1),
    )
    assert (p.criteria, p.total) == ((("under_occupation", 40),), 140)


# Custom configuration -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "surface", "allowed"),
    [
        (PolicyConfig(), 15.9, False),
        (PolicyConfig(surface_couple_m2=15.0), 15.9, True),
        (PolicyConfig(surface_couple_m2=15.0), 14.9, False),
    ],
)
def test_custom_surface_threshold(config: PolicyConfig, surface: float, allowed: bool) -> None:
    result = move_allowed(household(PARTNER), request(), CRAMPED, dwelling(2, surface), config)
    assert (result == []) is allowed


@pytest.mark.parametrize(
    ("config", "dlat", "far"),
    [
        (PolicyConfig(), 0.2, False),
        (PolicyConfig(job_distance_km=20.0), 0.2, True),
        (PolicyConfig(), 0.3, True),
    ],
)
def test_custom_job_distance(config: PolicyConfig, dlat: float, far: bool) -> None:
    h = household(PARTNER, workplace=Point(4.93 + dlat, -52.33))
    assert ("job_distance" in criteria_in(h, dwelling(2, 40.0), config)) is far


def test_custom_points_change_the_total() -> None:
    config = PolicyConfig(
        points_move=10, points_overcrowding=7, points_dalo=3, points_per_month=2, seniority_cap_months=4
    )
    h = household(PARTNER, priority=frozenset({"dalo"}))
    p = points(h, request(filed_on=date(2025, 1, 1)), CRAMPED, dwelling(2, 40.0), date(2026, 1, 1), config)
    assert (p.seniority_months, p.seniority, p.total) == (4, 8, 10 + 7 + 3 + 8)


def test_household_moves_lists_candidates_best_first() -> None:
    couple = household(PARTNER, dwelling="D0")
    other_household = Household("H2", "D2", (Member("head", 70),), 900.0)
    territory = Territory(
        code="T",
        as_of=date(2026, 1, 1),
        dwellings=(
            CRAMPED,
            dwelling(2, 40.0, ref="D2"),
            dwelling(2, 40.0, ref="V1"),
            dwelling(1, 30.0, ref="V2"),
        ),
        households=(couple, other_household),
        requests=(request(filed_on=date(2025, 1, 1)), request(household="H2")),
        offers=("V1", "V2"),
        exclusions=frozenset({("H1", "V1")}),
    )
    moves = household_moves(territory, "H1")
    assert [(d.ref, p.total) for d, p in moves] == [("D2", 162), ("V2", 162)]


# Custom household measures and room rules -----------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "others", "bedrooms", "rooms"),
    [
        (PolicyConfig(), (kid(16), kid(17)), 2, 3),  # two minors share
        (PolicyConfig(adult_age=16), (kid(16), kid(17)), 3, 4),  # now two adults: a bedroom each
        (PolicyConfig(adult_age=21), (kid(18), kid(20)), 2, 3),  # under 21: they share
        (PolicyConfig(), (kid(5), kid(7), kid(9)), 3, 4),  # ceil(3 / 2)
        (PolicyConfig(minors_per_bedroom=1), (kid(5), kid(7), kid(9)), 4, 5),
        (PolicyConfig(minors_per_bedroom=3), (kid(5), kid(7), kid(9)), 2, 3),
        (PolicyConfig(minors_per_bedroom=3), (kid(5), kid(7), kid(9), kid(11)), 3, 4),  # ceil(4 / 3)
        (PolicyConfig(rooms_single_or_couple=2), (PARTNER,), 1, 2),
        (PolicyConfig(rooms_single_or_couple=2), (), 1, 2),
        (PolicyConfig(rooms_single_or_couple=2), (kid(5),), 2, 3),  # not a couple: bedrooms + living room
        (PolicyConfig(living_rooms=0), (kid(5),), 2, 2),
        (PolicyConfig(living_rooms=2), (PARTNER, kid(5)), 2, 4),
        (PolicyConfig(living_rooms=2), (PARTNER,), 1, 1),  # a couple needs rooms_single_or_couple
    ],
)
def test_custom_bedrooms_and_rooms_needed(
    config: PolicyConfig, others: tuple[Member, ...], bedrooms: int, rooms: int
) -> None:
    h = household(*others)
    assert (bedrooms_needed(h, config), rooms_needed(h, config)) == (bedrooms, rooms)


@pytest.mark.parametrize(
    ("config", "rooms", "under_occupied"),
    [
        (PolicyConfig(), 2, False),  # a single person: at most 1 + 1 rooms
        (PolicyConfig(), 3, True),
        (PolicyConfig(under_occupation_extra_rooms=0), 1, False),
        (PolicyConfig(under_occupation_extra_rooms=0), 2, True),
        (PolicyConfig(under_occupation_extra_rooms=2), 3, False),
        (PolicyConfig(under_occupation_extra_rooms=2), 4, True),
    ],
)
def test_custom_under_occupation_threshold(config: PolicyConfig, rooms: int, under_occupied: bool) -> None:
    found = criteria_in(household(), dwelling(rooms, 80.0), config)
    assert ("under_occupation" in found) is under_occupied


@pytest.mark.parametrize(
    ("config", "rooms", "failed"),
    [
        (PolicyConfig(), 3, []),  # a couple: at most 2 + 1 rooms
        (PolicyConfig(), 4, ["under_occupation", "no_worse"]),
        (PolicyConfig(max_extra_rooms=0), 3, ["under_occupation"]),  # at most 2 rooms, not under-occupied
        (PolicyConfig(max_extra_rooms=0), 2, []),
        # Rule 3 admits up to 5 rooms, but the couple would be under-occupied in a T4 (rule 7).
        (PolicyConfig(max_extra_rooms=3), 4, ["no_worse"]),
        (PolicyConfig(max_extra_rooms=3, under_occupation_extra_rooms=2), 4, []),
        (
            PolicyConfig(max_extra_rooms=3, under_occupation_extra_rooms=2),
            6,
            ["under_occupation", "no_worse"],
        ),
    ],
)
def test_custom_rule_3(config: PolicyConfig, rooms: int, failed: list[str]) -> None:
    h = household(PARTNER)
    assert move_allowed(h, request(), CRAMPED, dwelling(rooms, 90.0), config) == failed


def test_a_move_may_leave_under_occupation_unsolved_when_rule_3_admits_it() -> None:
    """Under-occupied and too far from work: a smaller dwelling still too big but near work solves one."""
    config = PolicyConfig(max_extra_rooms=3)
    h = household(workplace=Point(4.93, -52.33))  # a single person
    current = dwelling(5, 90.0, ref="D0", lat=5.60)
    assert active_criteria(h, current, config) == {"under_occupation", "job_distance"}
    target = dwelling(4, 80.0)
    assert move_allowed(h, request(), current, target, config) == []
    assert move_allowed(h, request(), current, target) == ["under_occupation"]
    p = points(h, request(), current, target, date(2026, 1, 1), config)
    assert p.criteria == (("job_distance", 30),)
    assert p.total == 130


def _two_teenagers_territory() -> Territory:
    """A head with children of 16 and 17 in a cramped T1, and an offered T3 and T4."""
    family = household(kid(16), kid(17), dwelling="D0")
    return Territory(
        code="T",
        as_of=date(2026, 1, 1),
        dwellings=(CRAMPED, dwelling(3, 80.0, ref="V3"), dwelling(4, 80.0, ref="V4")),
        households=(family,),
        requests=(request(),),
        offers=("V3", "V4"),
    )


@pytest.mark.parametrize(
    ("config", "targets"),
    [
        (PolicyConfig(), ["V3", "V4"]),  # 3 rooms needed, at most 4
        (PolicyConfig(adult_age=16), ["V4"]),  # two adults: 4 rooms needed
        (PolicyConfig(living_rooms=0, max_extra_rooms=0), ["V3"]),  # 2 rooms needed, at most 3
        (PolicyConfig(minors_per_bedroom=1, max_extra_rooms=0), []),  # 4 needed, at most 3
    ],
)
def test_room_settings_change_the_arcs(config: PolicyConfig, targets: list[str]) -> None:
    from matching.graph import build_instance
    from matching.policy import reference_instance

    territory = _two_teenagers_territory()
    assert [d.ref for d, _ in household_moves(territory, "H1", config)] == targets
    assert [m.dwelling for m in reference_instance(territory, config).moves] == targets
    assert [m.dwelling for m in build_instance(territory, config).moves] == targets


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"adult_age": -1}, "adult_age"),
        ({"adult_age": 121}, "adult_age"),
        ({"minors_per_bedroom": 0}, "minors_per_bedroom"),
        ({"rooms_single_or_couple": 0}, "rooms_single_or_couple"),
        ({"living_rooms": 11}, "living_rooms"),
        ({"under_occupation_extra_rooms": -1}, "under_occupation_extra_rooms"),
        ({"max_extra_rooms": 11}, "max_extra_rooms"),
    ],
)
def test_room_settings_out_of_range_are_refused(changes: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PolicyConfig(**changes)


def test_defaults_are_policy_md() -> None:
    config = PolicyConfig()
    assert (config.adult_age, config.minors_per_bedroom) == (18, 2)
    assert (config.rooms_single_or_couple, config.living_rooms) == (1, 1)
    assert (config.under_occupation_extra_rooms, config.max_extra_rooms) == (1, 1)

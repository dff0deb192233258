"""Mixity goals in the matching (L.441-1 CCH): extra points, off by default, same in both builders."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_graph import CONFIGS, territories

from matching.config import PolicyConfig
from matching.graph import build_instance
from matching.policy import consumption_units, household_moves, in_first_quartile, points, reference_instance
from matching.territory import Dwelling, Household, Member, Request, Territory
from matching.types import Move

MIXITY = PolicyConfig(points_mixity_out_of_qpv=35, points_mixity_into_qpv=20)


def _flat(ref: str, qpv: bool) -> Dwelling:
    return Dwelling(ref, "L", "S", "C", qpv, 3, 60.0, 0, False, "none", 300.0, 50.0, 4.9, -52.3)


# A couple with a 9-year-old: 1.8 consumption units. 750 €/month is 5,000 € a year per unit,
# under the 6,000 € threshold; 1,500 €/month is 10,000 €, above it.
FAMILY = (Member("head", 40), Member("partner", 38), Member("child", 9))
POOR = Household("H1", "Q1", FAMILY, 750.0)  # lives in a QPV
RICH = Household("H2", "O1", FAMILY, 1500.0)  # lives outside
STORY = Territory(
    "T",
    date(2026, 3, 1),
    (_flat("O1", False), _flat("Q1", True)),
    (POOR, RICH),
    (Request("H1", date(2026, 3, 1), 500.0), Request("H2", date(2026, 3, 1), 500.0)),
    first_quartile_eur=6000.0,
)


def test_consumption_units_and_quartile_by_hand() -> None:
    assert consumption_units(POOR) == 1.8
    assert in_first_quartile(POOR, 6000.0) is True  # 750 × 12 / 1.8 = 5,000 €
    assert in_first_quartile(RICH, 6000.0) is False  # 1,500 × 12 / 1.8 = 10,000 €
    assert in_first_quartile(POOR, 5000.0) is False  # strictly below the threshold only


def test_swap_out_of_and_into_a_qpv_earns_the_mixity_points_by_hand() -> None:
    # Off by default: 100 points each (no criterion, no seniority).
    assert reference_instance(STORY).moves == (Move("H1", "O1", 100), Move("H2", "Q1", 100))
    # On: H1 (first quartile) leaves the QPV, +35; H2 (outside it) moves into one, +20.
    expected = (Move("H1", "O1", 135), Move("H2", "Q1", 120))
    assert reference_instance(STORY, MIXITY).moves == expected
    assert build_instance(STORY, MIXITY).moves == expected
    detail = points(
        POOR,
        STORY.requests[0],
        _flat("Q1", True),
        _flat("O1", False),
        STORY.as_of,
        MIXITY,
        first_quartile_eur=6000.0,
    )
    assert (detail.mixity, detail.total) == (35, 135)


def test_no_mixity_points_without_a_threshold_or_against_the_goal() -> None:
    no_threshold = replace(STORY, first_quartile_eur=None)
    assert [m.points for m in build_instance(no_threshold, MIXITY).moves] == [100, 100]
    # Everyone in the first quartile: H2 moving into the QPV serves no goal.
    low = replace(STORY, first_quartile_eur=20_000.0)
    assert build_instance(low, MIXITY).moves == (Move("H1", "O1", 135), Move("H2", "Q1", 100))
    ((dwelling, p),) = household_moves(low, "H1", MIXITY)
    assert (dwelling.ref, p.mixity) == ("O1", 35)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(territories(), CONFIGS, st.sampled_from((None, 3000.0, 9000.0, 20_000.0)), st.integers(0, 50))
def test_build_instance_equals_the_reference_with_mixity(
    territory: Territory, config: PolicyConfig, threshold: float | None, bonus: int
) -> None:
    territory = replace(territory, first_quartile_eur=threshold)
    config = replace(config, points_mixity_out_of_qpv=bonus, points_mixity_into_qpv=50 - bonus)
    assert build_instance(territory, config) == reference_instance(territory, config)

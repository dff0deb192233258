"""« Ma situation » (exchange.portal.situation): points, fitting dwellings and widenings, median wait.

The counts are checked on a small territory built by hand (each dwelling stands for one rule), then
against a brute force with matching.policy on a generated territory.
"""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from factories import make_document, make_dwelling, make_household, make_member, make_request
from sqlalchemy import select

from exchange import models as m
from exchange import portal
from exchange.attributions import load_attributions
from exchange.interchange import import_document
from exchange.loading import load_territory
from exchange.models.workflow import Proposal, ProposalMove
from exchange.portal.situation import completed_waits
from exchange.settings import policy_config
from fixtures.generate import generate_territory
from matching import policy
from matching.diagnosis import WISHES, widen

TODAY = date(2026, 1, 5)


def _flat(ref: str, sector: str = "MAT-01", **overrides: Any) -> dict[str, Any]:
    """A 3-room flat of 64.5 m² at 410 € a month."""
    return make_dwelling(ref, sector=sector, **overrides)


def _single(ref: str, dwelling: str | None) -> dict[str, Any]:
    return make_household(ref, dwelling, members=[make_member("head", 70)], monthly_resources=1100.0)


def hand_document() -> dict[str, Any]:
    """H1 (a couple and a child, overcrowded in D1: 2 rooms) wants 3 rooms in Matoury, at most 500 €,
    no QPV. Each other dwelling stands for one case of POLICY.md §3:

    - D2 (H2's, who would take D1) and D11 (vacant, offered) fit;
    - D3 (H3's, in Cayenne, QPV) breaks two wishes: no widening of one wish opens it;
    - D4 (4 rooms, vacant) only the rooms wish; D5 (700 €, vacant) only the cost;
    - D6 (H6's, in Rémire) only the communes; D7 (H7's, a QPV sector of Matoury) only the QPV refusal;
    - D8 is H8's, who does not ask to move: not a candidate;
    - D9 (vacant) was refused by H1 before (rule 8); D10 (1 room, vacant) is too small.
    """
    return make_document(
        territory={"code": "SIT", "name": "Territoire de la situation", "job_distance_km": 30},
        sectors=[
            {"code": "CAY-01", "commune": "Cayenne", "name": "Centre", "qpv": True},
            {"code": "MAT-01", "commune": "Matoury", "name": "Bourg", "qpv": False},
            {"code": "MAT-02", "commune": "Matoury", "name": "Balata", "qpv": True},
            {"code": "REM-01", "commune": "Rémire", "name": "Bourg", "qpv": False},
        ],
        dwellings=[
            make_dwelling("D1", sector="CAY-01", rooms=2, surface_m2=45.0),
            _flat("D2"),
            _flat("D3", sector="CAY-01"),
            _flat("D4", rooms=4, surface_m2=80.0),
            _flat("D5", rent=650.0),
            _flat("D6", sector="REM-01"),
            _flat("D7", sector="MAT-02"),
            _flat("D8"),
            _flat("D9"),
            _flat("D10", rooms=1, surface_m2=30.0),
            _flat("D11", bailleur="SOLA"),
        ],
        households=[
            make_household("H1", "D1", priority=["violence"]),
            _single("H2", "D2"),
            _single("H3", "D3"),
            _single("H6", "D6"),
            _single("H7", "D7"),
            _single("H8", "D8"),
            *(_single(f"H{n}", None) for n in range(20, 27)),
        ],
        requests=[
            make_request(
                "H1",
                filed_on="2025-06-03",
                communes=["Matoury"],
                max_cost=500.0,
                accept_qpv=False,
                min_rooms=3,
                max_rooms=3,
            ),
            make_request("H2", communes=[], max_cost=600.0),
            make_request("H3", communes=["Cayenne"], max_cost=600.0),
            make_request("H6", communes=["Rémire"], max_cost=600.0),
            make_request("H7", communes=["Matoury"], max_cost=600.0),
        ],
        offers=[{"dwelling": ref} for ref in ("D4", "D5", "D9", "D10", "D11")],
        exclusions=[{"household": "H1", "dwelling": "D9"}],
    )


def _ids(session: Any, model: Any, territory_id: int) -> dict[str, int]:
    return dict(session.execute(select(model.ref, model.id).where(model.territory_id == territory_id)).all())


def _account(territory: Any, household_id: int) -> Any:
    return SimpleNamespace(
        territory_code=territory.code, territory_id=territory.id, household_id=household_id
    )


@pytest.fixture
def hand(session):
    portal.clear_cache()
    import_document(session, hand_document())
    territory = session.scalars(select(m.Territory).where(m.Territory.code == "SIT")).one()
    yield {
        "territory": territory,
        "h": _ids(session, m.Household, territory.id),
        "d": _ids(session, m.Dwelling, territory.id),
    }
    portal.clear_cache()


def test_points_and_seniority_are_the_policys(session, hand):
    found = portal.tenant_situation(session, _account(hand["territory"], hand["h"]["H1"]), today=TODAY)
    assert found.has_request and found.filed_on == date(2025, 6, 3)
    assert found.seniority_months == 7  # 3 June to 3 January, and 5 January is past the 3rd
    assert [(p.code, p.points) for p in found.points] == [
        ("base", 100),
        ("overcrowding", 50),
        ("violence", 25),
        ("seniority", 7),
    ]
    assert found.points_total == 182
    # Every move that fits solves the overcrowding: the run would score each 182.
    assert (found.points_low, found.points_high) == (182, 182)
    assert "suroccupation" in found.points[1].text and "7 mois complets" in found.points[3].text


def test_fitting_dwellings_and_each_widened_wish_on_the_hand_built_territory(session, hand):
    found = portal.tenant_situation(session, _account(hand["territory"], hand["h"]["H1"]), today=TODAY)
    assert (found.fitting, found.fitting_vacant, found.fitting_swappable) == (2, 1, 1)  # D2 (H2's), D11
    assert {w.wish: w.dwellings for w in found.widenings} == {"communes": 3, "rooms": 3, "cost": 3, "qpv": 3}
    texts = {w.wish: w.text for w in found.widenings}
    communes = "si vous acceptiez toutes les communes du territoire : 3 logements au lieu de 2"
    assert texts["communes"] == communes
    assert texts["qpv"].startswith("si vous acceptiez aussi les quartiers prioritaires (QPV) : 3 logements")


def test_only_the_wishes_the_request_sets_are_widened(session, hand):
    row = session.scalars(select(m.Request).where(m.Request.household_id == hand["h"]["H1"])).one()
    row.communes, row.min_rooms, row.max_rooms, row.accept_qpv = [], None, None, True
    session.flush()
    portal.clear_cache()
    found = portal.tenant_situation(session, _account(hand["territory"], hand["h"]["H1"]), today=TODAY)
    # Now D3 (Cayenne, QPV), D4 (4 rooms), D6 (Rémire), D7 (QPV) fit too; D5 only without a cost ceiling.
    assert found.fitting == 6
    assert [(w.wish, w.dwellings) for w in found.widenings] == [("cost", 7)]


def test_a_paused_request_is_shown_with_its_counts(session, hand):
    row = session.scalars(select(m.Request).where(m.Request.household_id == hand["h"]["H1"])).one()
    row.status, row.paused_why = "paused", "silences"
    session.flush()
    portal.clear_cache()
    found = portal.tenant_situation(session, _account(hand["territory"], hand["h"]["H1"]), today=TODAY)
    assert found.paused and found.has_request
    # H1's dwelling is no longer a candidate; what fits H1, and who could take D1, does not change.
    assert (found.fitting, found.fitting_vacant, found.fitting_swappable, found.points_total) == (
        2,
        1,
        1,
        182,
    )


def test_the_household_that_does_not_ask_to_move_gets_no_counts(session, hand):
    found = portal.tenant_situation(session, _account(hand["territory"], hand["h"]["H8"]), today=TODAY)
    assert not found.has_request
    assert (found.fitting, found.points, found.points_total, found.widenings) == (None, (), None, ())


def _completed(
    session: Any, hand: dict[str, Any], household: str, days: int, rooms_of: str, criteria: list[str]
) -> None:
    """A completed move of ``household`` into ``rooms_of``, ``days`` after its (closed) request was filed."""
    territory_id = hand["territory"].id
    moved = date(2025, 9, 1)
    filed = moved - timedelta(days=days)
    household_id = hand["h"][household]
    session.add(
        m.Request(
            territory_id=territory_id,
            household_id=household_id,
            filed_on=filed,
            max_cost=600.0,
            status="closed",
            closed_on=moved,
        )
    )
    proposal = Proposal(
        territory_id=territory_id,
        kind="chain",
        points=150,
        status="completed",
        notified_on=moved - timedelta(days=40),
        answer_deadline=moved - timedelta(days=30),
        move_date=moved,
    )
    proposal.moves.append(
        ProposalMove(
            position=0,
            household_id=household_id,
            from_dwelling_id=hand["d"]["D8"],
            to_dwelling_id=hand["d"][rooms_of],
            points=150,
            criteria_before=criteria,
            criteria_after=[],
            live=False,
        )
    )
    session.add(proposal)
    session.flush()
    portal.clear_cache()


def _wait(session: Any, hand: dict[str, Any]) -> Any:
    return portal.tenant_situation(session, _account(hand["territory"], hand["h"]["H1"]), today=TODAY).wait


def test_the_median_wait_falls_back_then_masks_small_counts(session, hand):
    # No completed move yet: no figure.
    assert _wait(session, hand).comparison == "none"
    # Four overcrowded households moved into a T3 (D2), one into a T4 (D4): fewer than 5 of the same
    # criterion and typology, 5 of the same criterion.
    for household, days in (("H20", 100), ("H21", 200), ("H22", 300), ("H23", 400)):
        _completed(session, hand, household, days, "D2", ["overcrowding"])
    wait = _wait(session, hand)
    assert (wait.comparison, wait.months, wait.cases) == ("none", None, 0)
    assert wait.text.startswith("pas assez de cas comparables")
    _completed(session, hand, "H24", 1000, "D4", ["overcrowding", "job_distance"])
    wait = _wait(session, hand)
    assert (wait.comparison, wait.cases, wait.months) == ("criterion", 5, 10)  # median 300 days
    assert "toutes typologies" in wait.text
    # An under-occupying household's move counts only among all moves.
    _completed(session, hand, "H25", 30, "D2", ["under_occupation"])
    assert _wait(session, hand).comparison == "criterion"
    _completed(session, hand, "H26", 250, "D2", ["overcrowding"])
    wait = _wait(session, hand)
    assert (wait.comparison, wait.cases, wait.months) == ("criterion_typology", 5, 8)  # median 250 days
    assert "(suroccupation) et de même typologie (T3)" in wait.text
    assert "Délai médian entre le dépôt de la demande et le déménagement" in wait.definition


def test_the_waits_are_those_the_yearly_statistics_count(session, hand):
    for household, days, criteria in (
        ("H20", 100, ["overcrowding"]),
        ("H21", 45, []),
        ("H22", 9, ["autonomy"]),
    ):
        _completed(session, hand, household, days, "D2", criteria)
    tid = hand["territory"].id
    counted = [
        (() if a.motives == ("convenience",) else a.motives, a.typology, a.wait_days)
        for a in load_attributions(session, tid, None, None)
        if a.wait_days is not None  # H22's request was filed after its proposal: no wait known
    ]
    assert completed_waits(session, tid) == counted
    assert len(counted) == 2


def test_the_situation_names_no_one_and_shows_no_chance(session, hand):
    found = portal.tenant_situation(session, _account(hand["territory"], hand["h"]["H1"]), today=TODAY)
    text = repr(found)
    for ref in ("H2", "H6", "H7", "D2", "D11", "SOLA", "OYAP"):
        assert f"'{ref}'" not in text and f" {ref} " not in text
    assert "chance" not in text


# Against a brute force on a generated territory -------------------------------------------------------


def _brute_force(plain: Any, config: Any, household_ref: str) -> dict[str, Any]:
    households = {h.ref: h for h in plain.households}
    requests = {r.household: r for r in plain.requests}
    dwellings = {d.ref: d for d in plain.dwellings}
    household, request = households[household_ref], requests[household_ref]
    current = dwellings[household.dwelling]
    candidates = policy.candidate_dwellings(plain)

    def fits(req: Any) -> set[str]:
        return {
            ref
            for ref in candidates
            if ref != current.ref
            and not policy.move_allowed(
                household,
                req,
                current,
                dwellings[ref],
                config,
                excluded=(household_ref, ref) in plain.exclusions,
            )
        }

    base = fits(request)
    swappable = 0
    for ref in base:
        occupant = candidates[ref]
        if occupant is None:
            continue
        other = households[occupant]
        if not policy.move_allowed(
            other,
            requests[occupant],
            dwellings[ref],
            current,
            config,
            excluded=(occupant, current.ref) in plain.exclusions,
        ):
            swappable += 1
    widened = {wish: len(fits(widen(request, wish))) for wish in WISHES if widen(request, wish) != request}
    totals = [p.total for _d, p in policy.household_moves(plain, household_ref, config)]
    return {
        "fitting": len(base),
        "vacant": sum(1 for ref in base if candidates[ref] is None),
        "swappable": swappable,
        "widened": widened,
        "points": (min(totals, default=None), max(totals, default=None)),
    }


@pytest.mark.parametrize("shape", ["littoral", "metropole"])
def test_the_counts_match_a_brute_force_with_the_policy(session, shape):
    portal.clear_cache()
    doc = generate_territory(7, 400, shape=shape)
    import_document(session, doc)
    code = doc["territory"]["code"]
    territory = session.scalars(select(m.Territory).where(m.Territory.code == code)).one()
    plain = load_territory(session, code, as_of=TODAY)
    config = policy_config(session, code)
    ids = _ids(session, m.Household, territory.id)
    checked = 0
    for request in plain.requests[:40]:
        found = portal.tenant_situation(session, _account(territory, ids[request.household]), today=TODAY)
        expected = _brute_force(plain, config, request.household)
        assert (found.fitting, found.fitting_vacant, found.fitting_swappable) == (
            expected["fitting"],
            expected["vacant"],
            expected["swappable"],
        ), request.household
        assert {w.wish: w.dwellings for w in found.widenings} == expected["widened"]
        assert all(w.dwellings >= found.fitting for w in found.widenings)
        assert (found.points_low, found.points_high) == expected["points"]
        checked += found.fitting > 0
    assert checked >= 5  # the comparison is not only of zeros
    portal.clear_cache()

"""The inter-landlord commission's proposal: candidates on the graph, the checker's refusal, the workflow."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import workflow_scenario as scenario
from sqlalchemy import select

from exchange import commission, runs, settings, workflow
from exchange.errors import InvalidArgument
from exchange.models import Household
from exchange.models.workflow import AuditEvent

RUN_DAY = date(2026, 1, 5)
DAY = datetime(2026, 1, 7, 10, 0)


@pytest.fixture
def freed(session):
    """After the run, H4 refuses its swap with H5: H5 and H6 are free and blocked (30 days of waiting)."""
    territory = scenario.load(session)
    users = scenario.users(session, territory)
    run = runs.run_territory(session, territory.code, as_of=RUN_DAY, now=datetime(2026, 1, 5, 2, 30))
    households = {v: k for k, v in scenario.ids(session, territory.id, Household).items()}
    move = next(m for p in run.proposals for m in p.moves if households[m.household_id] == "H4")
    workflow.answer_move(session, move, users["H4"], accepted=False, reason="location", now=DAY)
    settings.set_delays(session, territory.code, blocked_after_days=30)
    return territory, users, households


def test_the_page_offers_the_swap_of_two_blocked_households(session, freed):
    territory, _, _ = freed
    found = commission.candidates(session, territory.code, as_of=DAY.date())
    assert [(c.kind, c.text) for c in found] == [("cycle", "H6 D5, H5 D6")]


def test_an_invalid_proposal_is_refused_with_the_rule_it_breaks(session, freed):
    territory, _, _ = freed
    with pytest.raises(InvalidArgument) as refused:
        commission.propose(session, territory.code, [("H4", "D5"), ("H5", "D4")], reason="cas", now=DAY)
    assert "H4 → D5 : refusé auparavant ou écarté par une commission" in refused.value.messages["moves"]
    with pytest.raises(InvalidArgument) as broken:
        commission.propose(session, territory.code, [("H6", "D5"), ("H5", "D4")], reason="x", now=DAY)
    assert broken.value.messages["moves"]
    with pytest.raises(InvalidArgument, match="motive"):
        commission.propose(session, territory.code, [("H6", "D5"), ("H5", "D6")], reason=" ", now=DAY)


def test_the_commission_proposal_goes_through_answers_and_both_decisions(session, freed):
    territory, users, households = freed
    settings.set_delays(session, territory.code, calendar="973")
    proposal = commission.propose(
        session, territory.code, commission.parse_moves("H6 D5, H5 D6"), reason="blocage long", now=DAY
    )
    assert (proposal.origin, proposal.run_id, proposal.commission_reason) == (
        "commission",
        None,
        "blocage long",
    )
    assert proposal.kind == "cycle" and proposal.answer_deadline == date(2026, 1, 19)  # 17th is a Saturday
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "proposal.commission")).one()
    assert event.actor == "system" and event.after["reason"] == "blocage long"
    for move in proposal.moves:
        workflow.answer_move(session, move, users[households[move.household_id]], accepted=True, now=DAY)
    assert proposal.status == "deciding"
    for move in proposal.moves:
        landlord = "BETA"  # D5 and D6 are BETA's
        workflow.decide_move(session, move, users[landlord], kind="attribution", reason="accord", now=DAY)
    assert proposal.status == "confirmed"

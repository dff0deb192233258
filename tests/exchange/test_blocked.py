"""Blocked requests on the workflow scenario, and the territory's calendar in a run's deadlines."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import workflow_scenario as scenario
from sqlalchemy import select

from exchange import runs, settings
from exchange.blocked import blocked_requests
from exchange.loading import load_territory
from exchange.models import Landlord

RUN_DAY = date(2026, 1, 5)


def test_the_territory_calendar_moves_a_run_deadline_off_10_june(session):
    territory = scenario.load(session)
    with pytest.raises(ValueError, match="calendrier inconnu"):
        settings.set_delays(session, territory.code, calendar="999")
    assert settings.set_delays(session, territory.code, calendar="973").calendar == "973"
    run = runs.run_territory(session, territory.code, as_of=date(2026, 5, 31), now=datetime(2026, 5, 31, 2))
    assert run.proposals and {p.answer_deadline for p in run.proposals} == {date(2026, 6, 11)}


def test_a_request_left_out_run_after_run_is_blocked_with_a_diagnosis(session):
    territory = scenario.load(session)
    waited = blocked_requests(session, territory.code, as_of=RUN_DAY)  # no run yet: only the wait counts
    assert waited.requests and all(r.waited_days >= 365 for r in waited.requests)
    assert all(r.runs_without_proposal == 0 for r in waited.requests)
    settings.set_delays(session, territory.code, blocked_after_days=3650)
    assert blocked_requests(session, territory.code, as_of=RUN_DAY).requests == ()
    runs.run_territory(session, territory.code, as_of=RUN_DAY, now=datetime(2026, 1, 5, 2, 30))
    assert blocked_requests(session, territory.code, as_of=RUN_DAY).requests == ()  # 1 run < 3
    settings.set_delays(session, territory.code, blocked_after_runs=1)
    report = blocked_requests(session, territory.code, as_of=RUN_DAY)
    assert [(r.household, r.runs_without_proposal) for r in report.requests] == [("H6", 1)]
    assert report.requests[0].diagnosis.motive in {"no_fitting_dwelling", "no_taker", "no_structure"}
    assert sum(n for _, n in report.by_motive) == 1
    landlords = {
        code: lid
        for code, lid in session.execute(
            select(Landlord.code, Landlord.id).where(Landlord.territory_id == territory.id)
        )
    }
    own = report.requests[0].landlord
    other = next(code for code in landlords if code != own)
    assert (
        blocked_requests(session, territory.code, as_of=RUN_DAY, landlord_id=landlords[other]).requests == ()
    )
    mine = blocked_requests(session, territory.code, as_of=RUN_DAY, landlord_id=landlords[own])
    assert [r.household for r in mine.requests] == ["H6"]


def test_on_a_generated_territory_every_unmatched_request_is_blocked_with_a_diagnosis(session):
    from exchange.interchange import import_document
    from exchange.models import Household
    from exchange.models.workflow import ProposalMove
    from fixtures.generate import generate_territory
    from matching.diagnosis import MOTIVES

    doc = generate_territory(7, 400)
    import_document(session, doc)
    code, day = doc["territory"]["code"], date.fromisoformat(doc["as_of"])
    settings.set_delays(session, code, blocked_after_runs=1, blocked_after_days=3650)
    run = runs.run_territory(session, code, as_of=day, now=datetime(2026, 11, 22, 2))
    matched = set(
        session.scalars(
            select(Household.ref)
            .join(ProposalMove, ProposalMove.household_id == Household.id)
            .where(ProposalMove.live)
        ).all()
    )
    report = blocked_requests(session, code, as_of=day)
    unmatched = {r.household for r in load_territory(session, code).requests} - matched
    assert run.requests > 0 and unmatched
    assert {r.household for r in report.requests} == unmatched
    for item in report.requests:
        d = item.diagnosis
        assert d.motive in MOTIVES
        assert (d.motive == "no_fitting_dwelling") <= (d.fitting == 0)
        assert (d.motive == "outscored") == (d.structures > 0)
        assert sum(n for _, n in report.by_motive) == len(report.requests)

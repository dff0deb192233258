"""The occupancy review (L.442-5-2 CCH) on the workflow story: who is listed, outcomes, the bilan."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import workflow_scenario as scenario
from sqlalchemy import select

from exchange.errors import InvalidArgument, NotFound
from exchange.models import Household, Request
from exchange.review import record_review, review_counts, review_list

NOW = datetime(2026, 3, 2, 10, 0)
T = "TWF"


@pytest.fixture
def story(session):
    """H1 (ALPHA, a single in 4 rooms) and H2 (BETA, a family of four in 2 rooms) closed their requests;
    H6's is paused (it still has one); the others are open."""
    territory = scenario.load(session)
    ids = scenario.ids(session, territory.id, Household)
    for ref, status in (("H1", "closed"), ("H2", "closed"), ("H6", "paused")):
        request = session.scalars(select(Request).where(Request.household_id == ids[ref])).one()
        request.status = status
        request.closed_on = date(2026, 2, 1) if status == "closed" else None
    session.flush()
    return territory


def test_the_review_lists_exactly_the_mismatched_households_without_a_request(session, story):
    listed = review_list(session, T)
    assert [(i.household, i.landlord, i.situations, i.outcome) for i in listed] == [
        ("H1", "ALPHA", ("under_occupation",), None),
        ("H2", "BETA", ("overcrowding",), None),
    ]
    assert [i.household for i in review_list(session, T, landlord="ALPHA")] == ["H1"]
    assert [i.household for i in review_list(session, T, landlord="BETA")] == ["H2"]


def test_outcomes_are_recorded_a_request_filed_and_counted_for_the_bilan(session, story):
    with pytest.raises(NotFound):
        record_review(session, T, "ALPHA", "H2", "invited", recorded_by="alpha", now=NOW)
    with pytest.raises(InvalidArgument):
        record_review(session, T, "BETA", "H2", "request_filed", recorded_by="beta", now=NOW)
    with pytest.raises(InvalidArgument):
        record_review(session, T, "BETA", "H2", "moved_out", recorded_by="beta", now=NOW)
    record_review(session, T, "ALPHA", "H1", "invited", recorded_by="alpha", note="courrier", now=NOW)
    assert review_list(session, T, landlord="ALPHA")[0].outcome == "invited"
    record_review(session, T, "BETA", "H2", "request_filed", recorded_by="beta", max_cost=700, now=NOW)
    assert [i.household for i in review_list(session, T)] == ["H1"]  # H2 has a request now
    filed = session.scalars(
        select(Request).where(Request.status == "open", Request.filed_on == NOW.date())
    ).one()
    assert filed.max_cost == 700.0
    assert review_counts(session, T) == {
        "overcrowding": {"request_filed": 1},
        "under_occupation": {"invited": 1},
        "autonomy": {},
    }
    assert review_counts(session, T, landlord="BETA")["under_occupation"] == {}

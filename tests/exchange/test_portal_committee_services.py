"""exchange.portal's CALEOL services (committee, followup), called directly as the web calls them."""

from __future__ import annotations

from datetime import date, timedelta

import portal_world
import pytest
from sqlalchemy import select

from exchange import glossary, portal, settings
from exchange.errors import InvalidInput, NotFound
from exchange.models import Request
from exchange.models.workflow import CommitteeDecision


@pytest.fixture
def world(session):
    yield portal_world.build(session)
    portal.clear_cache()


def _accept(session, world, *households: str) -> None:
    for ref in households:
        account = world["account"][ref]
        portal.record_answer(
            session, account, world["move"][ref].proposal_id, accepted=True, reason=None, comment=None
        )


def test_the_queue_holds_the_moves_into_the_landlords_dwellings_once_accepted(session, world):
    assert portal.committee_queue(session, world["account"]["BETA"]) == []  # nothing accepted yet
    _accept(session, world, "H1", "H2")
    beta = portal.committee_queue(session, world["account"]["BETA"])
    alpha = portal.committee_queue(session, world["account"]["ALPHA"])
    assert [(q.household_ref, q.dwelling_ref, q.household_size) for q in beta] == [("H1", "D2", 1)]
    assert [(q.household_ref, q.dwelling_ref, q.household_size) for q in alpha] == [("H2", "D1", 4)]
    assert not beta[0].overdue and beta[0].decision_due is not None


def test_the_dossier_is_the_destination_landlords_only(session, world):
    _accept(session, world, "H1", "H2")
    move_id = world["move"]["H2"].id  # H2 -> D1, an ALPHA dwelling
    dossier = portal.move_dossier(session, world["account"]["ALPHA"], move_id)
    assert (dossier.household_ref, dossier.from_ref, dossier.dwelling_ref) == ("H2", "D2", "D1")
    assert dossier.members == (("titulaire", 40), ("conjoint", 38), ("enfant", 10), ("enfant", 8))
    assert dossier.criteria_before == ("Suroccupation",) and dossier.can_decide
    assert dossier.effort_rate == round(100 * 550.0 / 2100.0, 1)
    for stranger in ("BETA", "H2", "admin"):
        with pytest.raises(NotFound, match=f"mouvement inconnu : {move_id}"):
            portal.move_dossier(session, world["account"][stranger], move_id)


def test_record_decision_writes_it_and_the_minutes_list_it(session, world):
    _accept(session, world, "H1", "H2")
    alpha = world["account"]["ALPHA"]
    move_id = world["move"]["H2"].id
    portal.record_decision(session, alpha, move_id, kind="attribution", reason="dossier complet")
    decision = session.scalars(select(CommitteeDecision).where(CommitteeDecision.move_id == move_id)).one()
    assert (decision.kind, decision.reason) == ("attribution", "dossier complet")
    dossier = portal.move_dossier(session, alpha, move_id)
    assert dossier.decision is not None and not dossier.can_decide
    today = date.today()
    minutes = portal.session_minutes(session, alpha, today, today)
    assert minutes.landlord == "Alpha Habitat"
    assert [(r.household_ref, r.dwelling_ref, r.typology) for r in minutes.rows] == [("H2", "D1", "T4")]
    assert minutes.summary == ((glossary.DECISION_KINDS["attribution"], 1),)
    assert portal.session_minutes(session, alpha, today + timedelta(1), today + timedelta(2)).rows == ()


def test_a_decision_with_a_bad_value_names_its_field(session, world):
    _accept(session, world, "H1", "H2")
    with pytest.raises(InvalidInput) as refused:
        portal.record_decision(
            session, world["account"]["ALPHA"], world["move"]["H2"].id, kind="ranked", reason="x"
        )
    assert list(refused.value.messages) == ["rank"]


def test_a_conditional_decision_is_followed_until_its_condition_is_met(session, world):
    _accept(session, world, "H1", "H2")
    alpha, beta = world["account"]["ALPHA"], world["account"]["BETA"]
    due = date.today() + timedelta(days=20)
    portal.record_decision(
        session,
        alpha,
        world["move"]["H2"].id,
        kind="conditional",
        reason="pièces",
        condition="bail",
        condition_due=due,
    )
    portal.record_decision(session, beta, world["move"]["H1"].id, kind="attribution", reason="ok")
    followup = portal.move_followup(session, alpha, world["move"]["H2"].id)
    assert (followup.condition_pending, followup.can_lift, followup.condition_due) == (True, True, due)
    portal.lift_condition(session, alpha, world["move"]["H2"].id)
    followup = portal.move_followup(session, alpha, world["move"]["H2"].id)
    assert (followup.condition_pending, followup.proposal_status, followup.can_set_date) == (
        False,
        "confirmed",
        True,
    )
    planned = portal.planned_moves(session, world["account"]["admin"])
    assert [(p.proposal_id, p.landlords) for p in planned] == [
        (world["move"]["H2"].proposal_id, ("Alpha Habitat", "Beta Logement"))
    ]
    assert portal.planned_moves(session, alpha)[0].my_moves == (world["move"]["H2"].id,)
    assert portal.planned_moves(session, world["account"]["H1"]) == []


def test_an_inadmissible_request_waits_for_its_landlord_to_reopen_it(session, world):
    _accept(session, world, "H1", "H2")
    alpha, beta = world["account"]["ALPHA"], world["account"]["BETA"]
    portal.record_decision(
        session, beta, world["move"]["H1"].id, kind="inadmissible", reason="pièces manquantes"
    )
    paused = portal.paused_requests(session, alpha)  # H1 lives in D1, an ALPHA dwelling
    assert [(p.household_ref, p.why) for p in paused] == [("H1", "inadmissible")]
    assert portal.paused_requests(session, beta) == []
    with pytest.raises(NotFound):
        portal.reopen_request(session, beta, paused[0].request_id)
    assert portal.reopen_request(session, alpha, paused[0].request_id) == "H1"
    assert session.get(Request, paused[0].request_id).status == "open"


def test_the_awaited_answers_are_those_not_yet_given(session, world):
    code = world["territory"].code
    awaited = portal.awaited_answers(session, code)
    assert sorted(a.household_ref for a in awaited) == ["H1", "H2", "H3", "H4", "H5"]
    _accept(session, world, "H1")
    alpha_id = world["account"]["ALPHA"].landlord_id
    assert sorted(a.household_ref for a in portal.awaited_answers(session, code, landlord_id=alpha_id)) == [
        "H3",
        "H4",
    ]
    for a in awaited:
        assert a.deadline == world["move"][a.household_ref].proposal.answer_deadline
        assert (
            a.days_left == (a.deadline - date.today()).days >= settings.get_delays(session, code).answer_days
        )


@pytest.mark.parametrize(
    ("days", "label"), [(0, "dernier jour"), (1, "encore 1 jour"), (3, "encore 3 jours")]
)
def test_days_left_label(days, label):
    assert portal.days_left_label(days) == label

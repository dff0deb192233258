"""A landlord's staff records the answer one of its own tenants gave at the agency, by phone or by letter
(DOMAIN.md §2, §4: the digital divide), on the hand-made scenario, SQLite and PostgreSQL.

The staff of the landlord the household lives with may; another landlord's staff may not (404 on the
portal, as for filing a request). The answer says how it came (the channel) and who entered it in the
audit trail; the tracker says « réponse enregistrée par l'agence (par téléphone) » and never who. Deadline,
notifications, exclusions and repair are those of the household's own answer.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
import workflow_scenario as scenario
from sqlalchemy import select

from exchange import accounts, portal, runs, workflow
from exchange.errors import InvalidArgument, InvalidInput, NotFound
from exchange.models import Exclusion, Household
from exchange.models.notification import OutboxMessage
from exchange.models.workflow import AuditEvent
from exchange.portal.tracker import party_steps
from exchange.workflow import DeadlinePassed, NotAllowed

RUN_DAY = date(2026, 1, 5)  # Monday; answer deadline: Thursday 15 January 2026
DAY = datetime(2026, 1, 7, 10, 0)
LATE = datetime(2026, 1, 16, 0, 5)


@pytest.fixture
def world(session):
    territory = scenario.load(session)
    users = scenario.users(session, territory)
    for ref, account in users.items():
        account.email = f"{ref.lower()}@exemple.test"
    session.flush()
    run = runs.run_territory(session, territory.code, as_of=RUN_DAY, now=datetime(2026, 1, 5, 2, 30))
    households = scenario.ids(session, territory.id, Household)
    refs = {i: ref for ref, i in households.items()}
    moves = {refs[m.household_id]: m for p in run.proposals for m in p.moves}
    yield {"territory": territory, "users": users, "h": households, "move": moves}
    portal.clear_cache()


def _outbox(session, kind: str) -> list[str]:
    rows = session.scalars(
        select(OutboxMessage.recipient).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
    ).all()
    return [r.split("@")[0] for r in rows]


def test_the_households_landlord_records_its_answer_with_the_channel(session, world):
    users, move = world["users"], world["move"]["H1"]  # H1 lives in D1, an ALPHA dwelling
    workflow.answer_move(session, move, users["ALPHA"], accepted=True, channel="phone", now=DAY)
    assert (move.answer, move.answered_by_id, move.answered_at) == ("accepted", users["ALPHA"].id, DAY)
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "move.accepted")).one()
    assert (event.actor, event.actor_id, event.entity_id) == ("twf-staff-alpha", users["ALPHA"].id, move.id)
    assert event.after == {
        "answer": "accepted",
        "reason": None,
        "note": None,
        "entered_by": "landlord",
        "channel": "phone",
    }
    # Each party's tracker says how the answer came, never who entered it.
    proposal = move.proposal
    seen_by_h2 = party_steps(session, proposal, today=DAY.date(), household_id=world["h"]["H2"])
    seen_by_beta = party_steps(session, proposal, today=DAY.date(), landlord_id=users["BETA"].landlord_id)
    assert (
        seen_by_h2[0].note
        == "a accepté le mercredi 7 janvier 2026 ; réponse enregistrée par l'agence (par téléphone)"
    )
    assert seen_by_beta[0].note == seen_by_h2[0].note
    assert "alpha" not in " ".join(f"{s.label} {s.note}" for s in seen_by_h2 + seen_by_beta).lower()
    # The household itself reads that its agency recorded its answer.
    h1 = accounts.get_account(session, users["H1"].id)
    mine = portal.tenant_proposal(session, h1, proposal.id, now=DAY)
    assert mine.my_answer == "vous avez accepté ; réponse enregistrée par l'agence (par téléphone)"
    # A household's own answer says nothing more.
    workflow.answer_move(session, world["move"]["H2"], users["H2"], accepted=True, now=DAY)
    steps = party_steps(session, proposal, today=DAY.date(), household_id=world["h"]["H1"])
    assert steps[1].note == "a accepté le mercredi 7 janvier 2026"


def test_another_landlords_staff_may_not_answer_and_nothing_is_written(session, world):
    users, h1 = world["users"], world["h"]["H1"]
    move = world["move"]["H1"]
    with pytest.raises(NotAllowed, match="logé par votre bailleur"):
        workflow.answer_move(session, move, users["BETA"], accepted=True, channel="desk", now=DAY)
    beta = accounts.get_account(session, users["BETA"].id)
    with pytest.raises(NotFound, match="ménage inconnu"):  # the portal: as if H1 did not exist
        portal.record_tenant_answer(
            session, beta, h1, move.proposal_id, accepted=True, reason=None, comment=None, channel="desk"
        )
    # ALPHA's staff only for ALPHA's tenants, and only for a proposal made to that household.
    alpha = accounts.get_account(session, users["ALPHA"].id)
    with pytest.raises(NotFound, match="proposition inconnue"):
        portal.record_tenant_answer(
            session,
            alpha,
            h1,
            world["move"]["H4"].proposal_id,
            accepted=True,
            reason=None,
            comment=None,
            channel="desk",
        )
    assert move.answer is None
    assert session.scalars(select(AuditEvent.id).where(AuditEvent.entity == "move")).all() == []


def test_an_answer_entered_for_a_household_says_how_it_came(session, world):
    users, move = world["users"], world["move"]["H1"]
    for who in ("ALPHA", "admin"):
        with pytest.raises(InvalidArgument) as refused:
            workflow.answer_move(session, move, users[who], accepted=True, now=DAY)
        assert refused.value.messages == {
            "channel": ["Indiquez comment le ménage a répondu : au guichet, par téléphone ou par courrier."]
        }
    with pytest.raises(InvalidArgument) as refused:
        workflow.answer_move(session, move, users["ALPHA"], accepted=True, channel="fax", now=DAY)
    assert (
        list(refused.value.messages) == ["channel"]
        and "canal attendu" in refused.value.messages["channel"][0]
    )
    with pytest.raises(InvalidArgument, match="canal"):  # the household's own answer comes by the portal
        workflow.answer_move(session, move, users["H1"], accepted=True, channel="phone", now=DAY)
    # The portal: the refusal's rules of the household's own answer, keyed by the form's fields.
    alpha = accounts.get_account(session, users["ALPHA"].id)
    with pytest.raises(InvalidInput) as refused:
        portal.record_tenant_answer(
            session,
            alpha,
            world["h"]["H1"],
            move.proposal_id,
            accepted=False,
            reason="other",
            comment=None,
            channel="mail",
        )
    assert list(refused.value.messages) == ["comment"]
    assert move.answer is None
    # The territory records an answer for a household too, with its channel.
    workflow.answer_move(session, move, users["admin"], accepted=True, channel="desk", now=DAY)
    steps = party_steps(session, move.proposal, today=DAY.date(), household_id=world["h"]["H2"])
    assert steps[0].note.endswith("réponse enregistrée par le territoire (au guichet)")


def test_after_the_deadline_the_staff_is_refused_as_the_household_is(session, world):
    users = world["users"]
    with pytest.raises(DeadlinePassed) as by_staff:
        workflow.answer_move(
            session, world["move"]["H3"], users["ALPHA"], accepted=True, channel="phone", now=LATE
        )
    with pytest.raises(DeadlinePassed) as by_household:
        workflow.answer_move(session, world["move"]["H1"], users["H1"], accepted=True, now=LATE)
    assert str(by_staff.value) == str(by_household.value)
    expected = "le délai de réponse est dépassé (il expirait le jeudi 15 janvier 2026 à minuit)"
    assert str(by_staff.value) == expected
    assert world["move"]["H3"].answer is None


def _refuse(session, world, who: str, **channel: str) -> dict:
    """H4 (an ALPHA tenant, offered D5) refuses, in a savepoint rolled back; what it changed."""
    savepoint = session.begin_nested()
    move = world["move"]["H4"]
    workflow.answer_move(
        session,
        move,
        world["users"][who],
        accepted=False,
        reason="location",
        note="trop loin",
        now=DAY,
        **channel,
    )
    proposal = move.proposal
    outcome = {
        "status": (proposal.status, proposal.failure, move.answer, move.refusal_reason, move.answer_note),
        "exclusions": session.execute(
            select(Exclusion.household_id, Exclusion.dwelling_id, Exclusion.reason)
        ).all(),
        "changed": _outbox(session, "changed"),
        "repaired": _outbox(session, "repaired"),
        "events": session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity == "proposal").order_by(AuditEvent.id)
        ).all(),
    }
    savepoint.rollback()
    session.expire_all()
    return outcome


def test_a_refusal_recorded_by_the_staff_fails_and_notifies_as_the_households_own(session, world):
    own = _refuse(session, world, "H4")
    recorded = _refuse(session, world, "ALPHA", channel="mail")
    assert recorded == own
    assert own["status"] == ("failed", "refused", "refused", "location", "trop loin")
    assert own["exclusions"] == [(world["h"]["H4"], world["move"]["H4"].to_dwelling_id, "refused")]
    assert own["changed"] == ["h5"]  # the other household is told; the one that refused is not


def test_the_last_acceptance_recorded_by_the_staff_sends_the_proposal_to_the_caleols(session, world):
    users = world["users"]
    workflow.answer_move(session, world["move"]["H2"], users["H2"], accepted=True, now=DAY)
    workflow.answer_move(session, world["move"]["H1"], users["ALPHA"], accepted=True, channel="desk", now=DAY)
    proposal = world["move"]["H1"].proposal
    assert proposal.status == "deciding" and all(m.decision_due for m in proposal.moves)
    assert _outbox(session, "changed") == ["h2"]  # as when H1 answers itself: H2 hears of it, H1 does not

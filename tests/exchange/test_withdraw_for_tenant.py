"""A landlord's staff records the withdrawal (désistement) one of its own tenants gave at the agency, by phone
or by letter, from a proposal it accepted (DOMAIN.md §2, §4: the digital divide), on the hand-made
scenario, SQLite and PostgreSQL.

As for an answer recorded for a household: the staff of the landlord the household lives with may, another
landlord's staff may not (404 on the portal); the withdrawal's reason follows the household's own rule
(``WithdrawSchema``), the channel is required; the audit trail keeps who entered it and the channel; the
tracker says « retrait enregistré par l'agence (par téléphone) » and never who. Exclusion, notifications,
reopened requests and repair are those of the household's own withdrawal.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
import workflow_scenario as scenario
from sqlalchemy import select

from exchange import accounts, portal, runs, workflow
from exchange.errors import InvalidArgument, InvalidInput, NotFound
from exchange.models import Exclusion, Household, Request
from exchange.models.notification import OutboxMessage
from exchange.models.workflow import AuditEvent
from exchange.portal.tracker import party_steps
from exchange.workflow import NotAllowed

RUN_DAY = date(2026, 1, 5)  # Monday; answer deadline: Thursday 15 January 2026
DAY = datetime(2026, 1, 7, 10, 0)
LATER = datetime(2026, 1, 9, 11, 0)


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


def _accept_h1_h2(session, world) -> None:
    for ref in ("H1", "H2"):
        workflow.answer_move(session, world["move"][ref], world["users"][ref], accepted=True, now=DAY)


def test_the_households_landlord_records_its_withdrawal_with_the_channel(session, world):
    users, move = world["users"], world["move"]["H1"]  # H1 lives in D1, an ALPHA dwelling
    _accept_h1_h2(session, world)
    workflow.withdraw_move(
        session, move, users["ALPHA"], reason="timing", note="rentrée scolaire", channel="phone", now=LATER
    )
    proposal = move.proposal
    assert (proposal.status, proposal.failure) == ("failed", "withdrawn")
    assert (move.answer, move.refusal_reason, move.answer_note) == ("refused", "timing", "rentrée scolaire")
    assert (move.answered_by_id, move.answered_at) == (users["ALPHA"].id, LATER)
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "move.withdrawn")).one()
    assert (event.actor, event.actor_id, event.entity_id) == ("twf-staff-alpha", users["ALPHA"].id, move.id)
    assert event.before == {"answer": "accepted"}
    assert event.after == {
        "answer": "refused",
        "reason": "timing",
        "note": "rentrée scolaire",
        "entered_by": "landlord",
        "channel": "phone",
    }
    # Each party's tracker says how the withdrawal came, never who entered it.
    seen_by_h2 = party_steps(session, proposal, today=LATER.date(), household_id=world["h"]["H2"])
    seen_by_beta = party_steps(session, proposal, today=LATER.date(), landlord_id=users["BETA"].landlord_id)
    assert seen_by_h2[0].note == "a refusé ; retrait enregistré par l'agence (par téléphone)"
    assert seen_by_beta[0].note == seen_by_h2[0].note
    assert seen_by_h2[1].note.startswith("a accepté") and "enregistr" not in seen_by_h2[1].note
    shown = " ".join(f"{s.label} {s.note}" for s in seen_by_h2 + seen_by_beta).lower()
    assert "staff" not in shown and "twf" not in shown  # the CALEOLs are named, the staff member never
    # The household itself reads that its agency recorded its withdrawal.
    h1 = accounts.get_account(session, users["H1"].id)
    mine = portal.tenant_proposal(session, h1, proposal.id, now=LATER)
    assert mine.my_answer == "vous avez refusé ; retrait enregistré par l'agence (par téléphone)"


def test_the_latest_entry_tells_an_acceptance_recorded_then_an_own_withdrawal(session, world):
    users, move = world["users"], world["move"]["H1"]
    workflow.answer_move(session, move, users["ALPHA"], accepted=True, channel="desk", now=DAY)
    workflow.withdraw_move(session, move, users["H1"], reason="timing", now=LATER)
    steps = party_steps(session, move.proposal, today=LATER.date(), household_id=world["h"]["H2"])
    assert steps[0].note == "a refusé"  # the household withdrew itself: nothing « enregistré par l'agence »


def test_another_landlords_staff_may_not_withdraw_and_nothing_is_written(session, world):
    users, h1 = world["users"], world["h"]["H1"]
    move = world["move"]["H1"]
    _accept_h1_h2(session, world)
    accepted_events = session.scalars(select(AuditEvent.id).where(AuditEvent.entity == "move")).all()
    with pytest.raises(NotAllowed, match="logé par votre bailleur"):
        workflow.withdraw_move(session, move, users["BETA"], reason="timing", channel="desk", now=LATER)
    beta = accounts.get_account(session, users["BETA"].id)
    with pytest.raises(NotFound, match="ménage inconnu"):  # the portal: as if H1 did not exist
        portal.record_tenant_withdrawal(
            session, beta, h1, move.proposal_id, reason="timing", comment=None, channel="desk"
        )
    # ALPHA's staff only for ALPHA's tenants, and only for a proposal made to that household.
    alpha = accounts.get_account(session, users["ALPHA"].id)
    with pytest.raises(NotFound, match="proposition inconnue"):
        portal.record_tenant_withdrawal(
            session,
            alpha,
            h1,
            world["move"]["H4"].proposal_id,
            reason="timing",
            comment=None,
            channel="desk",
        )
    assert move.answer == "accepted" and move.proposal.status == "deciding"
    assert session.scalars(select(AuditEvent.id).where(AuditEvent.entity == "move")).all() == accepted_events


def test_a_withdrawal_entered_for_a_household_says_how_it_came_and_why(session, world):
    users, move = world["users"], world["move"]["H1"]
    with pytest.raises(workflow.WorkflowError, match="pas accepté"):  # nothing to withdraw from yet
        workflow.withdraw_move(session, move, users["ALPHA"], reason="timing", channel="desk", now=DAY)
    _accept_h1_h2(session, world)
    for who in ("ALPHA", "admin"):
        with pytest.raises(InvalidArgument) as refused:
            workflow.withdraw_move(session, move, users[who], reason="timing", now=LATER)
        assert refused.value.messages == {
            "channel": ["Indiquez comment le ménage a répondu : au guichet, par téléphone ou par courrier."]
        }
    with pytest.raises(InvalidArgument) as refused:
        workflow.withdraw_move(session, move, users["ALPHA"], reason="timing", channel="fax", now=LATER)
    assert (
        list(refused.value.messages) == ["channel"]
        and "canal attendu" in refused.value.messages["channel"][0]
    )
    with pytest.raises(InvalidArgument, match="canal"):  # the household's own withdrawal comes by the portal
        workflow.withdraw_move(session, move, users["H1"], reason="timing", channel="phone", now=LATER)
    # The portal: the rules of the household's own withdrawal, keyed by the form's fields.
    alpha = accounts.get_account(session, users["ALPHA"].id)
    for reason, comment, field in ((None, None, "reason"), ("other", None, "comment")):
        with pytest.raises(InvalidInput) as refused:
            portal.record_tenant_withdrawal(
                session,
                alpha,
                world["h"]["H1"],
                move.proposal_id,
                reason=reason,
                comment=comment,
                channel="mail",
            )
        assert list(refused.value.messages) == [field]
    assert move.answer == "accepted"
    # The territory records a withdrawal for a household too, with its channel.
    workflow.withdraw_move(session, move, users["admin"], reason="cost", channel="desk", now=LATER)
    steps = party_steps(session, move.proposal, today=LATER.date(), household_id=world["h"]["H2"])
    assert steps[0].note == "a refusé ; retrait enregistré par le territoire (au guichet)"


def _withdraw(session, world, who: str, *, confirmed: bool, **channel: str) -> dict:
    """H1 (an ALPHA tenant) withdraws after both accepted (and, if ``confirmed``, both CALEOLs attributed),
    in a savepoint rolled back; what it changed."""
    savepoint = session.begin_nested()
    users = world["users"]
    _accept_h1_h2(session, world)
    if confirmed:
        for ref, caleol in (("H1", "BETA"), ("H2", "ALPHA")):
            workflow.decide_move(
                session, world["move"][ref], users[caleol], kind="attribution", reason="complet", now=DAY
            )
    move = world["move"]["H1"]
    workflow.withdraw_move(
        session, move, users[who], reason="location", note="trop loin", now=LATER, **channel
    )
    proposal = move.proposal
    outcome = {
        "status": (proposal.status, proposal.failure, move.answer, move.refusal_reason, move.answer_note),
        "exclusions": session.execute(
            select(Exclusion.household_id, Exclusion.dwelling_id, Exclusion.reason)
        ).all(),
        "requests": session.execute(
            select(Request.household_id, Request.status, Request.closed_on).order_by(Request.household_id)
        ).all(),
        "changed": _outbox(session, "changed"),
        "repaired": _outbox(session, "repaired"),
        "events": session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity != "move").order_by(AuditEvent.id)
        ).all(),
    }
    savepoint.rollback()
    session.expire_all()
    return outcome


@pytest.mark.parametrize("confirmed", [False, True], ids=["deciding", "confirmed"])
def test_a_withdrawal_recorded_by_the_staff_is_the_households_own(session, world, confirmed):
    own = _withdraw(session, world, "H1", confirmed=confirmed)
    recorded = _withdraw(session, world, "ALPHA", confirmed=confirmed, channel="mail")
    assert recorded == own
    assert own["status"] == ("failed", "withdrawn", "refused", "location", "trop loin")
    assert own["exclusions"] == [(world["h"]["H1"], world["move"]["H1"].to_dwelling_id, "refused")]
    assert own["changed"][-1:] == ["h2"]  # the withdrawal is told to H2, not to H1 who withdrew
    reopened = own["events"].count("request.reopened")
    assert reopened == (2 if confirmed else 0)  # after the confirmation both requests open again

"""Visits with contact reveal (DOMAIN.md §4–5): asked by the household offered a dwelling, accepted by
the one living in it; contacts only once both accept; date and outcome; the other household is told."""

from __future__ import annotations

from datetime import date, timedelta

import portal_world
import pytest
from sqlalchemy import select

from exchange import accounts, portal
from exchange.errors import InvalidInput, NotFound
from exchange.models.notification import OutboxMessage
from exchange.models.visit import Visit
from exchange.models.workflow import AuditEvent
from exchange.workflow import NotAllowed


@pytest.fixture
def world(session):
    built = portal_world.build(session)
    for ref in ("H1", "H2", "H3"):
        row = built["rows"][ref]
        built["account"][ref] = accounts.set_email(session, row.id, f"{ref.lower()}@exemple.fr")
    yield built
    portal.clear_cache()


def _messages(session, account_id):
    return list(
        session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "visit", OutboxMessage.account_id == account_id)
        )
    )


def test_contacts_appear_for_both_only_once_the_visit_is_accepted(session, world):
    h1, h2 = world["account"]["H1"], world["account"]["H2"]
    proposal_id = world["move"]["H1"].proposal_id
    assert portal.tenant_visits(session, h1, proposal_id).can_ask

    portal.ask_visit(session, h1, proposal_id, phone="06 12 34 56 78")
    mine = portal.tenant_visits(session, h1, proposal_id)
    assert not mine.can_ask and mine.ask_note == "la visite est déjà demandée"
    (asked,) = mine.visits
    assert (asked.role, asked.other, asked.status, asked.contact) == ("visitor", "ménage A", "asked", None)
    (hosted,) = portal.tenant_visits(session, h2, proposal_id).visits
    assert (hosted.role, hosted.can_answer, hosted.contact) == ("host", True, None)
    (told,) = _messages(session, h2.id)
    assert told.context == {"proposal_id": proposal_id, "event": "asked", "visit_on": None}

    portal.answer_visit(session, h2, proposal_id, hosted.id, accept=True, phone=None)
    (seen_by_h1,) = portal.tenant_visits(session, h1, proposal_id).visits
    (seen_by_h2,) = portal.tenant_visits(session, h2, proposal_id).visits
    assert seen_by_h1.contact == portal.visits.Contact(("h2@exemple.fr",), None)
    assert seen_by_h2.contact == portal.visits.Contact(("h1@exemple.fr",), "06 12 34 56 78")
    assert [m.context["event"] for m in _messages(session, h1.id)] == ["accepted"]
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity == "visit").order_by(AuditEvent.id)
    )
    assert list(actions) == ["visit.asked", "visit.accepted"]
    tracker = portal.tenant_proposal(session, h1, proposal_id).tracker
    assert tracker[2].label == "Visites" and tracker[2].note == "1 visite demandée ; 1 acceptée"


def test_a_declined_visit_reveals_nothing(session, world):
    h1, h2 = world["account"]["H1"], world["account"]["H2"]
    proposal_id = world["move"]["H2"].proposal_id
    portal.ask_visit(session, h2, proposal_id, phone=None)
    (visit,) = portal.tenant_visits(session, h1, proposal_id).visits
    with pytest.raises(NotAllowed):
        portal.answer_visit(session, h2, proposal_id, visit.id, accept=True, phone=None)  # not the host
    portal.answer_visit(session, h1, proposal_id, visit.id, accept=False, phone="0612345678")
    (seen,) = portal.tenant_visits(session, h2, proposal_id).visits
    assert (seen.status, seen.contact, seen.can_report) == ("declined", None, False)
    assert session.get(Visit, visit.id).host_phone is None
    with pytest.raises(NotAllowed, match="déjà répondu"):
        portal.answer_visit(session, h1, proposal_id, visit.id, accept=True, phone=None)


def test_a_vacant_dwelling_and_strangers(session, world):
    h3 = world["account"]["H3"]
    chain_id = world["move"]["H3"].proposal_id
    note = portal.tenant_visits(session, h3, chain_id)
    assert not note.can_ask and "vacant" in note.ask_note
    with pytest.raises(NotAllowed, match="vacant"):
        portal.ask_visit(session, h3, chain_id, phone=None)
    swap_id = world["move"]["H1"].proposal_id
    portal.ask_visit(session, world["account"]["H1"], swap_id, phone=None)
    visit_id = session.scalar(select(Visit.id))
    with pytest.raises(NotFound):
        portal.tenant_visits(session, h3, swap_id)
    with pytest.raises(NotFound):
        portal.answer_visit(session, h3, chain_id, visit_id, accept=True, phone=None)


def test_the_phone_is_checked_and_the_outcome_waits_for_the_date(session, world):
    h1, h2 = world["account"]["H1"], world["account"]["H2"]
    proposal_id = world["move"]["H1"].proposal_id
    with pytest.raises(InvalidInput) as refused:
        portal.ask_visit(session, h1, proposal_id, phone="appelez-moi")
    assert list(refused.value.messages) == ["phone"]
    portal.ask_visit(session, h1, proposal_id, phone="+33 6 12 34 56 78")
    (visit,) = portal.tenant_visits(session, h2, proposal_id).visits
    with pytest.raises(NotAllowed, match="pas acceptée"):
        portal.report_visit(session, h1, proposal_id, visit.id, visit_on=date.today(), outcome=None)
    portal.answer_visit(session, h2, proposal_id, visit.id, accept=True, phone="06.12.34.56.78")
    later = date.today() + timedelta(days=3)
    with pytest.raises(InvalidInput) as early:
        portal.report_visit(session, h1, proposal_id, visit.id, visit_on=later, outcome="done")
    assert list(early.value.messages) == ["outcome"]
    portal.report_visit(session, h1, proposal_id, visit.id, visit_on=later, outcome=None)
    portal.report_visit(session, h2, proposal_id, visit.id, visit_on=date.today(), outcome="done")
    (seen,) = portal.tenant_visits(session, h1, proposal_id).visits
    assert (seen.visit_on, seen.outcome_label) == (date.today(), "visite effectuée")
    tracker = portal.tenant_proposal(session, h2, proposal_id).tracker
    assert tracker[2].note == "1 visite demandée ; 1 acceptée ; 1 effectuée"


@pytest.mark.parametrize("event", ["asked", "accepted", "declined"])
def test_the_visit_mail_is_french_and_names_nobody(event):
    from datetime import datetime

    from exchange.mail_compose import Letter, render

    letter = Letter(
        1, 7, "visit", "h2@exemple.fr", {"proposal_id": 4, "event": event, "visit_on": None}, datetime.now()
    )
    subject, text, html = render(letter, portal_url="https://bourse.example.org", secret="s")
    assert subject == "Visite de logement : proposition n° 4"
    assert "https://bourse.example.org/locataire/propositions/4" in text and "propositions/4" in html
    assert ("demande à visiter" if event == "asked" else "habite le logement") in text
    assert "h1@" not in text and "H1" not in text

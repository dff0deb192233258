"""exchange.portal's tenant services (tenant, offers), called directly as the web calls them."""

from __future__ import annotations

import portal_world
import pytest
from sqlalchemy import select

from exchange import portal
from exchange.errors import InvalidInput, NotFound
from exchange.models import Request
from exchange.models.workflow import AuditEvent


@pytest.fixture
def world(session):
    yield portal_world.build(session)
    portal.clear_cache()


def test_the_overview_explains_the_household_and_shows_its_live_proposal(session, world):
    h2 = world["account"]["H2"]
    overview = portal.tenant_overview(session, h2)
    picture = overview.picture
    assert (picture.size, picture.rooms_needed) == (4, 3)
    assert picture.composition == "2 adultes et 2 enfants de moins de 18 ans (4 personnes)"
    assert [c.code for c in picture.criteria if c.active] == ["overcrowding"]
    assert picture.current.landlord == "Beta Logement"
    assert overview.request is not None and overview.request.status_label == "en cours"
    assert overview.request.communes == ("Xville",)
    assert overview.live_proposal is not None
    assert overview.live_proposal.id == world["move"]["H2"].proposal_id
    assert overview.live_proposal.kind_label == "Échange"
    assert overview.replies.label == ""  # no answer was ever due


def test_a_proposal_shows_the_household_its_move_and_no_one_elses(session, world):
    h2 = world["account"]["H2"]
    proposal_id = world["move"]["H2"].proposal_id
    detail = portal.tenant_proposal(session, h2, proposal_id, now=None)
    assert detail.can_answer and detail.my_answer is None
    assert (detail.mine.from_card.rooms, detail.mine.to_card.rooms) == (2, 4)
    assert sorted(step.label for step in detail.steps) == ["A", "vous"]  # the other household: a letter
    assert detail.mine.why[0].endswith("points : tout mouvement qui aboutit.")
    assert [step.state for step in detail.tracker] == ["done", "current", "todo", "todo"]
    with pytest.raises(NotFound, match=f"proposition inconnue : {proposal_id}"):
        portal.tenant_proposal(session, world["account"]["H3"], proposal_id, now=None)


def test_record_answer_writes_the_answer_and_its_audit(session, world):
    h2 = world["account"]["H2"]
    proposal_id = world["move"]["H2"].proposal_id
    portal.record_answer(session, h2, proposal_id, accepted=True, reason=None, comment=None)
    assert world["move"]["H2"].answer == "accepted"
    assert session.scalar(
        select(AuditEvent.id).where(
            AuditEvent.action.like("move.%"), AuditEvent.entity_id == world["move"]["H2"].id
        )
    )
    detail = portal.tenant_proposal(session, h2, proposal_id)
    assert (detail.my_answer, detail.can_answer, detail.can_withdraw) == ("vous avez accepté", False, True)


def test_a_refusal_needs_a_known_reason(session, world):
    with pytest.raises(InvalidInput) as refused:
        portal.record_answer(
            session,
            world["account"]["H1"],
            world["move"]["H1"].proposal_id,
            accepted=False,
            reason="météo",
            comment=None,
        )
    assert list(refused.value.messages) == ["reason"]
    assert world["move"]["H1"].answer is None


def test_record_withdrawal_after_an_acceptance(session, world):
    h2 = world["account"]["H2"]
    proposal_id = world["move"]["H2"].proposal_id
    portal.record_answer(session, h2, proposal_id, accepted=True, reason=None, comment=None)
    reason = portal.refusal_reasons()[0][0]
    portal.record_withdrawal(session, h2, proposal_id, reason=reason, comment="changement de situation")
    move = world["move"]["H2"]
    assert (move.answer, move.refusal_reason, move.answer_note) == (
        "refused",
        reason,
        "changement de situation",
    )
    detail = portal.tenant_proposal(session, h2, proposal_id)
    assert (detail.status, detail.can_withdraw) == ("failed", False)
    assert detail.tracker[-1].note.startswith("un ménage s'est désisté après avoir accepté")


def test_save_request_updates_the_wishes_in_place(session, world):
    h2 = world["account"]["H2"]
    wishes = portal.Wishes(("Xville", "Yville"), 3, 4, 800.0, False)
    assert portal.save_request(session, h2, wishes) is False  # the open request is updated, none is filed
    row = session.scalars(select(Request).where(Request.household_id == h2.household_id)).one()
    assert (sorted(row.communes), row.min_rooms, row.max_rooms, row.max_cost, row.accept_qpv) == (
        ["Xville", "Yville"],
        3,
        4,
        800.0,
        False,
    )
    with pytest.raises(InvalidInput) as refused:
        portal.save_request(session, h2, portal.Wishes((), 4, 3, 800.0, True))
    assert list(refused.value.messages) == ["max_rooms"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"max_cost": 800, "colour": "blue"}, "colour"),
        ({"max_cost": 0}, "max_cost"),
        ({"max_cost": 800, "communes": ["Atlantis"]}, "communes"),
        ({"max_cost": 800, "min_rooms": 4, "max_rooms": 2}, "max_rooms"),
        ({"max_cost": 800, "accept_qpv": "yes"}, "accept_qpv"),
    ],
)
def test_load_wishes_names_each_bad_field(session, world, data, field):
    with pytest.raises(InvalidInput) as refused:
        portal.load_wishes(session, world["account"]["H2"], data)
    assert list(refused.value.messages) == [field]


def test_offers_leave_out_the_households_own_dwelling_and_mark_what_suits_it(session, world):
    h2 = world["account"]["H2"]
    page = portal.list_offers(session, h2, portal.OfferFilters(per_page=50))
    assert page.total == 6  # the six other candidate dwellings: five requesting households' and D9
    assert sum(item.vacant for item in page.items) == 1
    suited = portal.list_offers(session, h2, portal.OfferFilters(compatible=True))
    assert suited.total == page.compatible_total == 1
    assert [(i.card.commune, i.card.rooms, i.compatible) for i in suited.items] == [("Xville", 4, True)]
    by_rooms = portal.list_offers(session, h2, portal.OfferFilters(rooms=4, sort="-cost"))
    assert {item.card.rooms for item in by_rooms.items} == {4}


def test_confirm_request_reopens_a_request_paused_after_silences(session, world):
    h2 = world["account"]["H2"]
    row = session.scalars(select(Request).where(Request.household_id == h2.household_id)).one()
    row.status, row.paused_why, row.silences = "paused", "silences", 2
    session.flush()
    assert portal.tenant_overview(session, h2).request.confirmable
    portal.confirm_request(session, h2)
    session.refresh(row)
    assert (row.status, row.silences) == ("open", 0)

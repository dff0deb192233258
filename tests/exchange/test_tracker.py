"""One tracker for every party (DOMAIN.md §4–5): answers, visits, each CALEOL's decision, the move date,
who is waiting and the time left, overdue decisions flagged; anonymised for households and staff."""

from __future__ import annotations

from datetime import date, timedelta

import portal_world
import pytest

from exchange import portal
from exchange.portal.tracker import party_steps


@pytest.fixture
def world(session):
    yield portal_world.build(session)
    portal.clear_cache()


def _lines(steps):
    return [f"{s.label} — {s.note} [{s.state}]" for s in steps]


def test_households_see_each_other_as_letters_and_who_is_waiting(session, world):
    h1, h2 = world["account"]["H1"], world["account"]["H2"]
    proposal_id = world["move"]["H1"].proposal_id
    portal.record_answer(session, h2, proposal_id, accepted=True, reason=None, comment=None)
    lines = _lines(portal.tenant_proposal(session, h1, proposal_id).parties)
    assert lines[0].startswith("Réponse : votre ménage — réponse attendue au plus tard le ")
    assert lines[0].endswith("jours restants [current]")
    assert lines[1].startswith("Réponse : ménage A — a accepté le ") and lines[1].endswith("[done]")
    assert len(lines) == 2  # no CALEOL step before every household accepted
    text = " ".join(lines)
    assert "H2" not in text and "H1" not in text


def test_the_second_landlord_sees_the_first_landlords_decision_and_overdue_ones(session, world):
    h1, h2 = world["account"]["H1"], world["account"]["H2"]
    alpha, beta = world["account"]["ALPHA"], world["account"]["BETA"]
    move_h1, move_h2 = world["move"]["H1"], world["move"]["H2"]
    proposal_id = move_h1.proposal_id
    for account in (h1, h2):
        portal.record_answer(session, account, proposal_id, accepted=True, reason=None, comment=None)
    portal.record_decision(session, alpha, move_h2.id, kind="attribution", reason="dossier complet")
    dossier = portal.move_dossier(session, beta, move_h1.id)
    lines = _lines(dossier.parties)
    mine = f"ménage {move_h1.position + 1} (vers votre logement)"
    assert lines[:2] == [
        f"Réponse : {mine} — a accepté le {_long(move_h1)} [done]",
        f"Réponse : ménage {move_h2.position + 1} — a accepté le {_long(move_h2)} [done]",
    ]
    decided = next(line for line in lines if "Alpha" in line)
    assert "attribution le " in decided and decided.endswith("[done]")
    waiting = next(line for line in lines if "Beta" in line)
    assert "décision attendue au plus tard le " in waiting and waiting.endswith("[current]")
    late = date.today() + timedelta(days=400)
    overdue = party_steps(session, move_h1.proposal, today=late, landlord_id=beta.landlord_id)
    (flagged,) = [s for s in overdue if s.state == "overdue"]
    assert "Beta" in flagged.label and "décision en retard de " in flagged.note
    seen_by_h1 = _lines(portal.tenant_proposal(session, h1, proposal_id).parties)
    assert any("Alpha" in line and "attribution le " in line for line in seen_by_h1)
    assert "dossier complet" not in " ".join(seen_by_h1)  # the CALEOL's reason stays with the landlords


def _long(move):
    from exchange import wording

    return wording.long_date(move.answered_at)


def test_a_visit_shows_in_every_partys_tracker(session, world):
    h1, h2 = world["account"]["H1"], world["account"]["H2"]
    proposal_id = world["move"]["H1"].proposal_id
    portal.ask_visit(session, h1, proposal_id, phone=None)
    seen_by_h2 = _lines(portal.tenant_proposal(session, h2, proposal_id).parties)
    assert any(line.startswith("Visite du logement proposé au ménage A — demandée") for line in seen_by_h2)
    beta = world["account"]["BETA"]
    staff = _lines(
        party_steps(session, world["move"]["H1"].proposal, today=date.today(), landlord_id=beta.landlord_id)
    )
    assert any(line.startswith("Visite du logement proposé au ménage") for line in staff)
    with pytest.raises(ValueError):
        party_steps(session, world["move"]["H1"].proposal, today=date.today())

"""The whole journey through the test client: request, offers, proposal, answers, CALEOL decisions, move."""

from __future__ import annotations

import re

import pytest
from portal_helpers import login, run_scenario
from sqlalchemy import select

from exchange import models as m
from exchange.models.workflow import CommitteeDecision, Proposal, ProposalMove


def _proposal_of(db, ref):
    hid = db.scalar(select(m.Household.id).where(m.Household.ref == ref))
    return db.scalars(select(Proposal).join(ProposalMove).where(ProposalMove.household_id == hid)).first()


def _move(db, ref):
    hid = db.scalar(select(m.Household.id).where(m.Household.ref == ref))
    return db.scalars(select(ProposalMove).where(ProposalMove.household_id == hid)).first()


def test_tenant_edits_request_and_db_changes(client, db):
    login(client, "h1")
    page = client.get("/locataire/demande").get_data(as_text=True)
    assert "Sous-occupation" in page and "Critère rempli" in page
    response = client.post(
        "/locataire/demande",
        data={
            "communes": ["Xville", "Yville"],
            "min_rooms": "1",
            "max_rooms": "3",
            "max_cost": "750",
            "accept_qpv": "y",
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == "/locataire/"
    home = client.get("/locataire/").get_data(as_text=True)
    assert "Votre demande a été mise à jour." in home
    hid = db.scalar(select(m.Household.id).where(m.Household.ref == "H1"))
    row = db.scalars(select(m.Request).where(m.Request.household_id == hid, m.Request.status == "open")).one()
    assert (row.communes, row.min_rooms, row.max_rooms, row.max_cost) == (["Xville", "Yville"], 1, 3, 750.0)


def test_request_form_errors_are_tied_to_fields(client):
    login(client, "h1")
    response = client.post("/locataire/demande", data={"min_rooms": "4", "max_rooms": "2", "max_cost": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'aria-describedby="[^"]*max_rooms-erreur"', page) and 'id="max_rooms-erreur"' in page
    assert "Le maximum doit être supérieur ou égal au minimum." in page
    assert "Indiquez le coût maximum." in page


def test_offers_are_anonymised_filtered_and_marked(client):
    login(client, "h1")
    page = client.get("/locataire/offres").get_data(as_text=True)
    for secret in ("H2", "D2", "H3", "D9", "D1"):
        assert not re.search(rf"\b{secret}\b", page), secret
    assert "Compatible avec votre ménage" in page  # D2 suits H1 (single person, 2 rooms, Xville)
    only = client.get("/locataire/offres?compatible=1").get_data(as_text=True)
    assert "1 logement ·" in only and "Xville" in only
    yville = client.get("/locataire/offres?commune=Yville&sort=-cost").get_data(as_text=True)
    assert "Zville" not in yville.split("<tbody>")[1]


def test_journey_accept_decide_confirm(client, engine, db):
    run_scenario(engine)
    proposal = _proposal_of(db, "H1")
    assert proposal is not None and proposal.status == "proposed"
    login(client, "h1")
    page = client.get(f"/locataire/propositions/{proposal.id}").get_data(as_text=True)
    assert "Ménage A" in page and "H2" not in page and "Votre réponse" in page
    assert "40 points : le critère « sous-occupation » est résolu." in page
    response = client.post(f"/locataire/propositions/{proposal.id}", data={"answer": "accept"})
    assert response.status_code == 302
    assert "Vous avez accepté la proposition." in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    client.post("/deconnexion")
    login(client, "h2")
    response = client.post(f"/locataire/propositions/{proposal.id}", data={"answer": "accept"})
    assert "Vous avez accepté la proposition." in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    db.rollback()
    assert db.get(Proposal, proposal.id).status == "deciding"
    client.post("/deconnexion")
    for staff, ref in (("alpha", "H2"), ("beta", "H1")):  # H2 moves into ALPHA's D1, H1 into BETA's D2
        login(client, staff)
        move = _move(db, ref)
        queue = client.get("/caleol/").get_data(as_text=True)
        assert f"Dossier n° {move.id}" in queue
        dossier = client.get(f"/caleol/mouvements/{move.id}").get_data(as_text=True)
        assert "Ressources mensuelles" in dossier
        response = client.post(
            f"/caleol/mouvements/{move.id}", data={"kind": "attribution", "reason": "Dossier complet."}
        )
        assert response.status_code == 302
        client.post("/deconnexion")
    db.rollback()
    confirmed = db.get(Proposal, proposal.id)
    assert confirmed.status == "confirmed" and confirmed.move_date is not None
    assert (
        db.scalar(select(CommitteeDecision.kind).where(CommitteeDecision.move_id == _move(db, "H1").id))
        == "attribution"
    )
    login(client, "h1")
    page = client.get(f"/locataire/propositions/{proposal.id}").get_data(as_text=True)
    assert "Date du déménagement" in page and "confirmée" in page


def test_tenant_refuses_with_reason(client, engine, db):
    run_scenario(engine)
    proposal = _proposal_of(db, "H1")
    login(client, "h1")
    bad = client.post(f"/locataire/propositions/{proposal.id}", data={"answer": "refuse", "reason": "other"})
    assert bad.status_code == 200 and "Précisez le motif « autre »." in bad.get_data(as_text=True)
    asked = client.post(f"/locataire/propositions/{proposal.id}", data={"answer": "refuse", "reason": "cost"})
    page = asked.get_data(as_text=True)
    assert (
        asked.status_code == 200
        and "Confirmer votre refus" in page
        and "(motif : coût (loyer et charges du nouveau bail))" in page
    )
    db.rollback()
    assert db.get(Proposal, proposal.id).status == "proposed" and _move(db, "H1").answer is None
    ok = client.post(
        f"/locataire/propositions/{proposal.id}",
        data={"answer": "refuse", "reason": "cost", "confirmed": "1"},
    )
    assert ok.status_code == 302
    db.rollback()
    assert db.get(Proposal, proposal.id).status == "failed"
    assert _move(db, "H1").refusal_reason == "cost"


@pytest.mark.parametrize("kind", ["non_attribution"])
def test_staff_cannot_decide_before_acceptance(client, engine, db, kind):
    run_scenario(engine)
    move = _move(db, "H1")  # into BETA's D2
    login(client, "beta")
    response = client.post(f"/caleol/mouvements/{move.id}", data={"kind": kind, "reason": "x"})
    assert response.status_code == 302
    assert "ne peut plus être décidé" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db.scalar(select(CommitteeDecision.id)) is None

"""Staff filing for a tenant on the portal and in the API: consent required, another landlord's tenant
is a 404; the shared tracker in the dossier shows the other landlord's decision."""

from __future__ import annotations

import html

import pytest
from portal_helpers import PASSWORD, login, run_scenario
from sqlalchemy import select

from exchange import models as m
from exchange.models.workflow import AuditEvent


@pytest.fixture
def ids(engine, db):
    run_scenario(engine)
    return dict(db.execute(select(m.Household.ref, m.Household.id)).all())


def _text(response):
    return html.unescape(response.get_data(as_text=True))


def test_staff_edit_their_tenants_request_only_with_its_consent(client, db, ids):
    login(client, "beta")
    listing = _text(client.get("/caleol/locataires"))
    assert "H6" in listing and "H1" not in listing  # H1 lives in an ALPHA dwelling
    path = f"/caleol/locataires/{ids['H6']}/demande"
    assert "Modifier la demande du ménage H6" in _text(client.get(path))
    wishes = {"communes": ["Yville"], "max_cost": "640", "accept_qpv": "y"}
    refused = _text(client.post(path, data=wishes))
    assert "le ménage doit avoir donné son accord" in refused
    done = client.post(path, data={**wishes, "consent": "y"})
    assert done.status_code == 302
    db.rollback()
    request = db.scalars(select(m.Request).where(m.Request.household_id == ids["H6"])).one()
    assert float(request.max_cost) == 640.0
    assert db.scalar(select(AuditEvent.actor).where(AuditEvent.action == "request.edited_by_staff")) == "beta"
    assert client.get(f"/caleol/locataires/{ids['H1']}/demande").status_code == 404


@pytest.mark.usefixtures("api_conformance")
def test_the_api_files_for_a_tenant(client, ids):
    token = client.post("/api/v1/tokens", json={"login": "beta", "password": PASSWORD}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    tenants = client.get("/api/v1/tenants", headers=headers).get_json()["tenants"]
    assert "H6" in {t["household_ref"] for t in tenants}
    body = {"communes": ["Yville"], "max_cost": 600, "consent": False}
    refused = client.put(f"/api/v1/tenants/{ids['H6']}/request", headers=headers, json=body)
    assert refused.status_code == 422 and list(refused.get_json()["messages"]) == ["consent"]
    body["consent"] = True
    done = client.put(f"/api/v1/tenants/{ids['H6']}/request", headers=headers, json=body)
    assert done.status_code == 200 and done.get_json()["request"]["max_cost"] == 600
    assert client.put(f"/api/v1/tenants/{ids['H1']}/request", headers=headers, json=body).status_code == 404


def test_the_dossier_tracker_shows_the_other_landlords_decision(client, db, ids):
    from exchange.models.workflow import ProposalMove

    moves = {mv.household_id: mv.id for mv in db.scalars(select(ProposalMove))}
    for name in ("h1", "h2"):
        login(client, name)
        proposal = db.scalar(
            select(ProposalMove.proposal_id).where(ProposalMove.household_id == ids[name.upper()])
        )
        assert (
            client.post(f"/locataire/propositions/{proposal}", data={"answer": "accept"}).status_code == 302
        )
        client.post("/deconnexion")
    login(client, "alpha")  # H2 moves into D1, an ALPHA dwelling
    decided = client.post(
        f"/caleol/mouvements/{moves[ids['H2']]}", data={"kind": "attribution", "reason": "Dossier complet."}
    )
    assert decided.status_code == 302
    client.post("/deconnexion")
    login(client, "beta")
    page = _text(client.get(f"/caleol/mouvements/{moves[ids['H1']]}"))
    assert "Où en est chaque partie" in page
    assert "CALEOL de Alpha Habitat : logement proposé au ménage 2 — attribution le " in page
    assert "Dossier complet." not in page.split("Où en est chaque partie")[1]

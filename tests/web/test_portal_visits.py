"""Visits on the proposal page and in the API: ask, accept, contacts for both only then, date and outcome."""

from __future__ import annotations

import html
from datetime import date

import pytest
from portal_helpers import PASSWORD, login, run_scenario
from sqlalchemy import select, update

from exchange import models as m
from exchange.models.visit import Visit
from exchange.models.workflow import ProposalMove


@pytest.fixture
def swap(engine, db):
    run_scenario(engine)
    db.execute(update(m.UserAccount).where(m.UserAccount.login == "h1").values(email="h1@exemple.fr"))
    db.execute(update(m.UserAccount).where(m.UserAccount.login == "h2").values(email="h2@exemple.fr"))
    db.commit()
    h1 = db.scalar(select(m.Household.id).where(m.Household.ref == "H1"))
    return db.scalar(select(ProposalMove.proposal_id).where(ProposalMove.household_id == h1))


def _page(client, proposal_id):
    return html.unescape(client.get(f"/locataire/propositions/{proposal_id}").get_data(as_text=True))


def test_a_visit_asked_then_accepted_on_the_proposal_page(app, db, swap):
    h1, h2 = app.test_client(), app.test_client()
    login(h1, "h1"), login(h2, "h2")
    assert "Demander à visiter le logement proposé" in _page(h1, swap)
    asked = h1.post(f"/locataire/propositions/{swap}/visite", data={"visite-phone": "06 11 22 33 44"})
    assert asked.status_code == 302
    page = _page(h1, swap)
    assert "Votre demande de visite est envoyée" in page and "h2@exemple.fr" not in page
    hosted = _page(h2, swap)
    assert "Visite de votre logement par le ménage A" in hosted and "h1@exemple.fr" not in hosted
    assert "06 11 22 33 44" not in hosted
    db.rollback()  # a fresh snapshot (SQLite): the visit was written by the request
    visit_id = db.scalar(select(Visit.id))
    h2.post(
        f"/locataire/propositions/{swap}/visites/{visit_id}/reponse",
        data={f"visite{visit_id}-answer": "accept", f"visite{visit_id}-phone": ""},
    )
    hosted = _page(h2, swap)
    assert "h1@exemple.fr" in hosted and "06 11 22 33 44" in hosted
    assert "h2@exemple.fr" in _page(h1, swap)
    h1.post(
        f"/locataire/propositions/{swap}/visites/{visit_id}/compte-rendu",
        data={
            f"compte-rendu{visit_id}-visit_on": date.today().isoformat(),
            f"compte-rendu{visit_id}-outcome": "done",
        },
    )
    assert "Visites — 1 visite demandée ; 1 acceptée ; 1 effectuée" in _page(h2, swap)
    stranger = app.test_client()
    login(stranger, "h3")
    assert stranger.post(f"/locataire/propositions/{swap}/visite", data={}).status_code == 404


@pytest.mark.usefixtures("api_conformance")
def test_the_api_asks_answers_and_reveals_contacts_only_then(app, db, swap):
    client = app.test_client()

    def token(name):
        answer = client.post("/api/v1/tokens", json={"login": name, "password": PASSWORD})
        return {"Authorization": f"Bearer {answer.get_json()['token']}"}

    h1, h2 = token("h1"), token("h2")
    base = f"/api/v1/proposals/{swap}/visits"
    assert client.get(base, headers=h1).get_json()["can_ask"] is True
    bad = client.post(base, headers=h1, json={"phone": "appelez-moi"})
    assert bad.status_code == 422 and list(bad.get_json()["messages"]) == ["phone"]
    asked = client.post(base, headers=h1, json={}).get_json()
    (visit,) = asked["visits"]
    assert (visit["status"], visit["contact"]) == ("asked", None)
    again = client.post(base, headers=h1, json={})
    assert again.status_code == 409
    assert client.post(f"{base}/{visit['id']}/answer", headers=h1, json={"accept": True}).status_code == 409
    answered = client.post(
        f"{base}/{visit['id']}/answer", headers=h2, json={"accept": True, "phone": "0611223344"}
    )
    assert answered.get_json()["visits"][0]["contact"] == {"emails": ["h1@exemple.fr"], "phone": None}
    seen = client.get(base, headers=h1).get_json()["visits"][0]
    assert seen["contact"] == {"emails": ["h2@exemple.fr"], "phone": "0611223344"}
    report = client.put(
        f"{base}/{visit['id']}/report",
        headers=h2,
        json={"visit_on": date.today().isoformat(), "outcome": "done"},
    )
    assert report.status_code == 200 and report.get_json()["visits"][0]["outcome"] == "done"
    assert client.get(base, headers=token("h3")).status_code == 404

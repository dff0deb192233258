"""After the decisions: suspensive condition lifted, move date changed, moves recorded (pages and API)."""

from __future__ import annotations

import html
from datetime import date, timedelta

import pytest
from portal_helpers import PASSWORD, login, run_scenario
from sqlalchemy import select

from exchange import models as m
from exchange.models.workflow import CommitteeDecision, Proposal, ProposalMove

pytestmark = pytest.mark.usefixtures("api_conformance")


def _moves(db):
    refs = dict(db.execute(select(m.Household.id, m.Household.ref)).all())
    return {refs[mv.household_id]: mv for mv in db.scalars(select(ProposalMove)).all()}


def _text(response):
    return html.unescape(response.get_data(as_text=True))


def _accept_and_decide(client, moves, *, alpha_kind="conditional"):
    """H1 and H2 accept their swap; ALPHA decides on H2's move (into D1), BETA attributes D2 to H1."""
    pid = moves["H1"].proposal_id
    for user in ("h1", "h2"):
        login(client, user)
        client.post(f"/locataire/propositions/{pid}", data={"answer": "accept"})
        client.post("/deconnexion")
    login(client, "alpha")
    due = (date.today() + timedelta(days=5)).isoformat()
    data = {"kind": alpha_kind, "reason": "Dossier à compléter.", "condition": "Avis d'imposition"}
    response = client.post(f"/caleol/mouvements/{moves['H2'].id}", data={**data, "condition_due": due})
    assert response.status_code == 302
    client.post("/deconnexion")
    login(client, "beta")
    response = client.post(
        f"/caleol/mouvements/{moves['H1'].id}", data={"kind": "attribution", "reason": "OK."}
    )
    assert response.status_code == 302
    client.post("/deconnexion")
    return pid


def test_condition_lifted_then_date_changed_then_moves_recorded(client, engine, db):
    run_scenario(engine)
    moves = _moves(db)
    pid = _accept_and_decide(client, moves)
    db.rollback()
    assert db.get(Proposal, pid).status == "deciding"  # ALPHA's condition is still pending

    login(client, "beta")  # BETA cannot lift ALPHA's condition
    assert client.post(f"/caleol/mouvements/{moves['H2'].id}/condition").status_code == 404
    client.post("/deconnexion")

    login(client, "alpha")
    dossier = _text(client.get(f"/caleol/mouvements/{moves['H2'].id}"))
    assert "Condition suspensive en attente : Avis d'imposition" in dossier
    lifted = client.post(f"/caleol/mouvements/{moves['H2'].id}/condition")
    assert lifted.status_code == 302
    assert "La condition suspensive est levée" in _text(client.get(lifted.headers["Location"]))
    db.rollback()
    proposal = db.get(Proposal, pid)
    assert proposal.status == "confirmed" and proposal.move_date is not None
    assert db.scalar(
        select(CommitteeDecision.condition_status).where(CommitteeDecision.move_id == moves["H2"].id)
    ) == ("met")

    past = client.post(
        f"/caleol/mouvements/{moves['H2'].id}/date",
        data={"move_date": (date.today() - timedelta(days=1)).isoformat()},
    )
    assert "la date du déménagement ne peut pas être passée" in _text(client.get(past.headers["Location"]))
    today = date.today()
    client.post(f"/caleol/mouvements/{moves['H2'].id}/date", data={"move_date": today.isoformat()})
    db.rollback()
    assert db.get(Proposal, pid).move_date == today
    planned = _text(client.get("/caleol/demenagements"))
    assert f"n° {pid}" in planned and f"Dossier n° {moves['H2'].id}" in planned
    assert f"Dossier n° {moves['H1'].id}" not in planned  # BETA's dossier
    client.post("/deconnexion")

    login(client, "h1")
    tracker = _text(client.get(f"/locataire/propositions/{pid}"))
    assert "confirmée, déménagement programmé" in tracker and "Date du déménagement" in tracker
    client.post("/deconnexion")

    login(client, "admin")
    listing = _text(client.get("/territoire/demenagements"))
    assert f"n° {pid}" in listing and "Alpha Habitat, Beta Logement" in listing
    assert f'<label for="move_date-{pid}">' in listing
    done = client.post(f"/territoire/demenagements/{pid}/effectue")
    assert done.status_code == 302
    assert f"Les déménagements de la proposition n° {pid} sont enregistrés." in _text(
        client.get("/territoire/demenagements")
    )
    db.rollback()
    assert db.get(Proposal, pid).status == "completed"
    where = dict(
        db.execute(
            select(m.Household.ref, m.Dwelling.ref).join(m.Dwelling, m.Dwelling.id == m.Household.dwelling_id)
        ).all()
    )
    assert where["H1"] == "D2" and where["H2"] == "D1"
    client.post("/deconnexion")

    login(client, "h1")
    assert "déménagement effectué" in _text(client.get(f"/locataire/propositions/{pid}"))


def test_followup_is_refused_to_other_roles(client, engine, db):
    run_scenario(engine)
    moves = _moves(db)
    pid = _accept_and_decide(client, moves, alpha_kind="attribution")
    login(client, "alpha")  # staff do not record completed moves
    assert client.post(f"/territoire/demenagements/{pid}/effectue").status_code == 403
    assert client.get("/territoire/demenagements").status_code == 403
    client.post("/deconnexion")
    login(client, "h1")
    for url in (
        f"/caleol/mouvements/{moves['H1'].id}/date",
        f"/caleol/mouvements/{moves['H1'].id}/condition",
    ):
        assert client.post(url, data={"move_date": date.today().isoformat()}).status_code == 403
    assert client.get("/caleol/demenagements").status_code == 403
    db.rollback()
    assert db.get(Proposal, pid).status == "confirmed"


def _token(client, name):
    response = client.post("/api/v1/tokens", json={"login": name, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_followup_through_the_api(client, engine, db):
    run_scenario(engine)
    moves = _moves(db)
    pid = _accept_and_decide(client, moves)
    alpha, beta, admin, tenant = (_token(client, n) for n in ("alpha", "beta", "admin", "h1"))
    assert client.post(f"/api/v1/moves/{moves['H2'].id}/condition-met", headers=beta).status_code == 404
    assert client.post(f"/api/v1/moves/{moves['H2'].id}/condition-met", headers=tenant).status_code == 403
    state = client.post(f"/api/v1/moves/{moves['H2'].id}/condition-met", headers=alpha)
    assert state.status_code == 200 and state.get_json()["proposal_status"] == "confirmed"
    again = client.post(f"/api/v1/moves/{moves['H2'].id}/condition-met", headers=alpha)
    assert again.status_code == 409
    bad = client.put(f"/api/v1/moves/{moves['H2'].id}/move-date", headers=alpha, json={"move_date": "demain"})
    assert bad.status_code == 422
    past = client.put(
        f"/api/v1/moves/{moves['H2'].id}/move-date", headers=alpha, json={"move_date": "2020-01-01"}
    )
    assert past.status_code == 422 and "move_date" in past.get_json()["messages"]
    later = (date.today() + timedelta(days=30)).isoformat()
    moved = client.put(f"/api/v1/moves/{moves['H1'].id}/move-date", headers=beta, json={"move_date": later})
    assert moved.status_code == 200 and moved.get_json()["move_date"] == later
    planned = client.get("/api/v1/planned-moves", headers=beta).get_json()["planned"]
    assert [(p["proposal_id"], p["move_date"], p["my_moves"]) for p in planned] == [
        (pid, later, [moves["H1"].id])
    ]
    assert client.get("/api/v1/planned-moves", headers=tenant).status_code == 403
    early = client.post(f"/api/v1/territory/proposals/{pid}/complete", headers=admin)
    assert early.status_code == 409 and "prévu le" in early.get_json()["error"]
    today = date.today().isoformat()
    assert (
        client.put(
            f"/api/v1/territory/proposals/{pid}/move-date", headers=admin, json={"move_date": today}
        ).status_code
        == 200
    )
    assert client.post(f"/api/v1/territory/proposals/{pid}/complete", headers=alpha).status_code == 403
    assert client.post(f"/api/v1/territory/proposals/{pid + 99}/complete", headers=admin).status_code == 404
    done = client.post(f"/api/v1/territory/proposals/{pid}/complete", headers=admin)
    assert done.status_code == 200 and done.get_json() == {"completed": pid}
    db.rollback()
    assert db.get(Proposal, pid).status == "completed"
    assert client.get(f"/api/v1/proposals/{pid}", headers=tenant).get_json()["status"] == "completed"

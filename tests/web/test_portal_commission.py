"""The commission's pages and API: blocked requests by audience, a proposal by hand, the calendar."""

from __future__ import annotations

import html

from portal_helpers import PASSWORD, login
from sqlalchemy import select

from exchange.models.workflow import AuditEvent, Proposal


def _page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return html.unescape(response.get_data(as_text=True))


def test_the_territory_sees_every_blocked_request_and_proposes_a_swap(client, db):
    login(client, "admin")
    page = _page(client, "/territoire/demandes-bloquees")
    assert "<h1>Demandes bloquées</h1>" in page and "Par motif" in page
    for ref in ("H1", "H4", "H6"):
        assert f"<td>{ref}</td>" in page  # every request has waited more than a year, no run yet
    assert "H6 D5, H5 D6" in page  # a candidate swap of two blocked households
    refused = client.post("/territoire/demandes-bloquees", data={"moves": "H6 D6", "reason": "essai"})
    assert refused.status_code == 422
    assert "H6 → D6 : c'est le logement actuel du ménage" in html.unescape(refused.get_data(as_text=True))
    done = client.post(
        "/territoire/demandes-bloquees", data={"moves": "H6 D5, H5 D6", "reason": "blocage long"}
    )
    assert done.status_code == 302
    db.rollback()
    proposal = db.scalars(select(Proposal).where(Proposal.origin == "commission")).one()
    assert (proposal.run_id, proposal.commission_reason, len(proposal.moves)) == (None, "blocage long", 2)
    assert (
        db.scalars(select(AuditEvent.actor).where(AuditEvent.action == "proposal.commission")).one()
        == "admin"
    )
    assert "<td>H6</td>" not in _page(client, "/territoire/demandes-bloquees")  # in a live proposal now


def test_a_landlord_sees_only_its_own_tenants_and_cannot_propose(client):
    login(client, "alpha")
    page = _page(client, "/caleol/demandes-bloquees")
    assert "<td>H1</td>" in page and "<td>H2</td>" not in page  # D1 is ALPHA's, D2 BETA's
    assert "Proposition de la commission" not in page
    assert client.post("/territoire/demandes-bloquees", data={"moves": "H6 D5"}).status_code == 403
    api = client.get("/api/v1/blocked-requests").get_json()
    assert {r["household"] for r in api["requests"]} and all(
        r["landlord"] == "ALPHA" for r in api["requests"]
    )


def test_the_commission_api_refuses_a_broken_rule_and_stores_a_valid_proposal(client):
    token = client.post("/api/v1/tokens", json={"login": "admin", "password": PASSWORD}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    candidates = client.get("/api/v1/territory/commission/candidates", headers=headers).get_json()
    assert any(c["moves"] == "H6 D5, H5 D6" and c["kind"] == "cycle" for c in candidates["candidates"])
    url = "/api/v1/territory/commission/proposals"
    broken = client.post(url, json={"moves": "H6 D5", "reason": "x"}, headers=headers)
    assert broken.status_code == 422
    assert any("logement libéré par H6" in m for m in broken.get_json()["messages"]["moves"])
    assert client.post(url, json={"moves": "H6 D5"}, headers=headers).status_code == 422
    done = client.post(url, json={"moves": "H6 D5, H5 D6", "reason": "commission du 5"}, headers=headers)
    assert done.status_code == 201 and isinstance(done.get_json()["proposal"], int)


def test_the_calendar_page_shows_and_sets_the_territory_holidays(client, db):
    login(client, "admin")
    page = _page(client, "/territoire/calendrier")
    assert "France métropolitaine" in page and "Abolition de l'esclavage" not in page
    saved = client.post(
        "/territoire/calendrier",
        data={"calendar": "973", "blocked_after_runs": "2", "blocked_after_days": "400"},
    )
    assert saved.status_code == 302
    page = _page(client, "/territoire/calendrier")
    assert "Calendrier actuel : Guyane" in page and "Abolition de l'esclavage" in page
    bad = client.post(
        "/territoire/calendrier",
        data={"calendar": "999", "blocked_after_runs": "0", "blocked_after_days": "1"},
    )
    assert bad.status_code == 422


def test_each_landlord_reviews_only_its_own_tenants_and_files_a_request(client, db):
    from exchange import models as m

    for ref in ("H1", "H2"):  # H1 (ALPHA) and H2 (BETA) no longer have a request
        household = db.scalars(select(m.Household).where(m.Household.ref == ref)).one()
        request = db.scalars(select(m.Request).where(m.Request.household_id == household.id)).one()
        db.delete(request)
    db.commit()
    login(client, "alpha")
    page = _page(client, "/caleol/examen-occupation")
    assert "<td>H1</td>" in page and "<td>H2</td>" not in page and "sous-occupation" in page
    other = client.post("/caleol/examen-occupation", data={"household": "H2", "outcome": "invited"})
    assert other.status_code == 404
    done = client.post(
        "/caleol/examen-occupation", data={"household": "H1", "outcome": "request_filed", "max_cost": "600"}
    )
    assert done.status_code == 302
    page = _page(client, "/caleol/examen-occupation")
    assert "Examen du ménage H1 enregistré." in page and "<td>H1</td>" not in page
    assert "<td>demande déposée</td>" in page  # the bilan counts it
    api = client.get("/api/v1/occupancy-review").get_json()
    assert (
        api["rows"] == []
        and {"situation": "sous-occupation", "outcome": "demande déposée", "count": 1} in api["counts"]
    )
    client.post("/deconnexion")
    login(client, "admin")
    assert "<td>H2</td>" in _page(client, "/territoire/examen-occupation")

"""JSON API /api/v1/: tokens, the OpenAPI description, the same reads and actions and permission rules."""

from __future__ import annotations

import re

import pytest
from portal_helpers import PASSWORD, run_scenario
from sqlalchemy import select

from exchange import models as m
from exchange.models.workflow import CommitteeDecision, Proposal, ProposalMove

pytestmark = pytest.mark.usefixtures("api_conformance")


def _token(client, name):
    response = client.post("/api/v1/tokens", json={"login": name, "password": PASSWORD})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def _moves(db):
    refs = dict(db.execute(select(m.Household.id, m.Household.ref)).all())
    return {refs[mv.household_id]: mv for mv in db.scalars(select(ProposalMove)).all()}


def test_openapi_describes_every_route(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    described = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:int:)?([a-z_]+)>", r"{\1}", rule.rule[len("/api/v1") :])
            served |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert described == served
    for path, ops in doc["paths"].items():
        for op in ops.values():
            for name in re.findall(r"{([a-z_]+)}", path):
                assert any(p["name"] == name and p["in"] == "path" for p in op.get("parameters", [])), path


def test_openapi_document_is_valid_openapi_3_1(client):
    from openapi_spec_validator import validate

    validate(client.get("/api/v1/openapi.json").get_json())


def test_tokens_and_authentication(client):
    anonymous = client.get("/api/v1/me")
    assert anonymous.status_code == 401 and anonymous.get_json()["error"] == "Authentification requise"
    bad = client.post("/api/v1/tokens", json={"login": "h1", "password": "pas-le-bon"})
    assert bad.status_code == 401 and bad.get_json()["error"] == "Identifiant ou mot de passe incorrect."
    assert client.post("/api/v1/tokens", data="pas du json").status_code == 400
    headers = _token(client, "h1")
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert me == {
        "login": "h1",
        "role": "tenant",
        "display_name": "h1",
        "territory": "TWEB",
        "landlord": None,
        "email": None,
    }
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer faux"}).status_code == 401
    renewed = _token(client, "h1")  # a new token replaces the old one
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert client.get("/api/v1/me", headers=renewed).status_code == 200


FORBIDDEN = {
    "h1": [
        ("get", "/api/v1/moves"),
        ("get", "/api/v1/moves/1"),
        ("post", "/api/v1/moves/1/decision"),
        ("get", "/api/v1/minutes?start=2026-01-01&end=2026-12-31"),
        ("get", "/api/v1/paused-requests"),
        ("post", "/api/v1/paused-requests/1/reopen"),
        ("get", "/api/v1/awaited-answers"),
        ("get", "/api/v1/territory"),
        ("post", "/api/v1/territory/import"),
        ("get", "/api/v1/territory/policy"),
        ("put", "/api/v1/territory/policy"),
        ("get", "/api/v1/territory/runs"),
        ("post", "/api/v1/territory/runs"),
        ("get", "/api/v1/territory/runs/1"),
        ("get", "/api/v1/territory/runs/jobs/1"),
        ("get", "/api/v1/territory/stats"),
    ],
    "alpha": [
        ("get", "/api/v1/request"),
        ("get", "/api/v1/situation"),
        ("put", "/api/v1/request"),
        ("post", "/api/v1/request/confirm"),
        ("post", "/api/v1/proposals/1/withdraw"),
        ("get", "/api/v1/offers"),
        ("get", "/api/v1/proposals"),
        ("get", "/api/v1/proposals/1"),
        ("post", "/api/v1/proposals/1/answer"),
        ("get", "/api/v1/territory"),
        ("post", "/api/v1/territory/runs"),
        ("put", "/api/v1/territory/policy"),
    ],
    "admin": [
        ("get", "/api/v1/request"),
        ("get", "/api/v1/situation"),
        ("post", "/api/v1/request/confirm"),
        ("get", "/api/v1/paused-requests"),
        ("get", "/api/v1/awaited-answers"),
        ("get", "/api/v1/offers"),
        ("get", "/api/v1/proposals/1"),
        ("post", "/api/v1/proposals/1/answer"),
        ("get", "/api/v1/moves"),
        ("get", "/api/v1/moves/1"),
        ("post", "/api/v1/moves/1/decision"),
    ],
}


@pytest.mark.parametrize("user", sorted(FORBIDDEN))
def test_each_role_is_refused_the_others_endpoints(client, engine, user):
    run_scenario(engine)
    headers = _token(client, user)
    for method, url in FORBIDDEN[user]:
        response = getattr(client, method)(url, headers=headers, json={})
        assert response.status_code == 403, (method, url)
        assert response.get_json()["error"] == "Accès refusé"
        anonymous = getattr(client, method)(url, json={})
        assert anonymous.status_code == 401, (method, url)


def test_tenant_cannot_read_or_answer_another_households_proposal(client, engine, db):
    run_scenario(engine)
    moves = _moves(db)
    headers = _token(client, "h1")
    other = moves["H4"].proposal_id
    assert client.get(f"/api/v1/proposals/{other}", headers=headers).status_code == 404
    answer = client.post(f"/api/v1/proposals/{other}/answer", headers=headers, json={"accept": True})
    assert answer.status_code == 404
    listed = client.get("/api/v1/proposals", headers=headers).get_json()["proposals"]
    assert [p["id"] for p in listed] == [moves["H1"].proposal_id]
    db.rollback()
    assert db.get(ProposalMove, moves["H4"].id).answer is None


def test_staff_cannot_read_or_decide_another_landlords_move(client, engine, db):
    run_scenario(engine)
    moves = _moves(db)
    for user in ("h1", "h2"):
        response = client.post(
            f"/api/v1/proposals/{moves['H1'].proposal_id}/answer",
            headers=_token(client, user),
            json={"accept": True},
        )
        assert response.status_code == 200
    alpha = _token(client, "alpha")
    beta_move = moves["H1"].id  # H1 moves into BETA's D2
    assert client.get(f"/api/v1/moves/{beta_move}", headers=alpha).status_code == 404
    decision = {"kind": "attribution", "reason": "Dossier complet."}
    assert client.post(f"/api/v1/moves/{beta_move}/decision", headers=alpha, json=decision).status_code == 404
    queue = client.get("/api/v1/moves", headers=alpha).get_json()["moves"]
    assert [q["move_id"] for q in queue] == [moves["H2"].id]
    db.rollback()
    assert db.scalar(select(CommitteeDecision.id)) is None


def test_api_journey_request_offers_answer_decide(client, engine, db):
    tenant = _token(client, "h1")
    got = client.get("/api/v1/request", headers=tenant).get_json()
    assert [c["code"] for c in got["household"]["criteria"] if c["active"]] == ["under_occupation"]
    invalid = client.put(
        "/api/v1/request",
        headers=tenant,
        json={"communes": ["Atlantide"], "min_rooms": 4, "max_rooms": 2, "max_cost": -1, "extra": 1},
    )
    assert invalid.status_code == 422
    assert set(invalid.get_json()["messages"]) == {"communes", "max_rooms", "max_cost", "extra"}
    saved = client.put(
        "/api/v1/request",
        headers=tenant,
        json={"communes": ["Xville"], "min_rooms": 1, "max_rooms": 3, "max_cost": 800, "accept_qpv": False},
    )
    assert saved.status_code == 200 and saved.get_json()["request"]["max_cost"] == 800.0
    offers = client.get("/api/v1/offers?per_page=2&sort=-cost", headers=tenant).get_json()
    assert offers["per_page"] == 2 and len(offers["items"]) == 2 and offers["total"] == 6
    rows = [(not o["compatible"], -o["card"]["cost"]) for o in offers["items"]]
    assert rows == sorted(rows)  # the compatible ones first, each group by decreasing cost
    flat = str(offers)
    for secret in ("H2", "D2", "D9", "ref", "lat", "lon"):
        assert secret not in flat, secret
    compatible = client.get("/api/v1/offers?compatible=1", headers=tenant).get_json()
    assert compatible["total"] == 1 and compatible["items"][0]["card"]["commune"] == "Xville"

    run_scenario(engine)
    moves = _moves(db)
    pid = moves["H1"].proposal_id
    refused = client.post(f"/api/v1/proposals/{pid}/answer", headers=tenant, json={"accept": False})
    assert refused.status_code == 422 and "reason" in refused.get_json()["messages"]
    detail = client.post(f"/api/v1/proposals/{pid}/answer", headers=tenant, json={"accept": True}).get_json()
    assert detail["my_answer"] == "vous avez accepté" and detail["can_answer"] is False
    again = client.post(f"/api/v1/proposals/{pid}/answer", headers=tenant, json={"accept": True})
    assert again.status_code == 409
    client.post(f"/api/v1/proposals/{pid}/answer", headers=_token(client, "h2"), json={"accept": True})
    for staff, ref in (("alpha", "H2"), ("beta", "H1")):
        headers = _token(client, staff)
        bad = client.post(f"/api/v1/moves/{moves[ref].id}/decision", headers=headers, json={"kind": "ranked"})
        assert bad.status_code == 422 and set(bad.get_json()["messages"]) == {"reason", "rank"}
        dossier = client.post(
            f"/api/v1/moves/{moves[ref].id}/decision",
            headers=headers,
            json={"kind": "attribution", "reason": "Dossier complet."},
        ).get_json()
        assert dossier["decision"]["kind"] == "attribution"
    db.rollback()
    assert db.get(Proposal, pid).status == "confirmed"
    tracked = client.get(f"/api/v1/proposals/{pid}", headers=tenant).get_json()
    assert tracked["status"] == "confirmed" and tracked["move_date"] is not None
    minutes = client.get(
        "/api/v1/minutes?start=2000-01-01&end=2100-01-01", headers=_token(client, "beta")
    ).get_json()
    assert [r["move_id"] for r in minutes["rows"]] == [moves["H1"].id]


def test_api_territory_policy_and_runs(client, db):
    admin = _token(client, "admin")
    assert client.get("/api/v1/territory", headers=admin).get_json()["open_requests"] == 6
    bad = client.put("/api/v1/territory/policy", headers=admin, json={"max_cycle": 9, "inconnu": 1})
    assert bad.status_code == 422 and set(bad.get_json()["messages"]) == {"max_cycle", "inconnu"}
    ok = client.put("/api/v1/territory/policy", headers=admin, json={"points_dalo": 75})
    assert ok.status_code == 200 and ok.get_json()["points_dalo"] == 75
    started = client.post("/api/v1/territory/runs", headers=admin, json={"as_of": "2026-01-05"})
    assert started.status_code == 202  # solved within the request in these tests (RUNS_IN_BACKGROUND off)
    job = client.get(started.headers["Location"], headers=admin).get_json()
    assert job == started.get_json()
    assert (job["status"], job["as_of"], job["requested_by"], job["error"]) == (
        "finished",
        "2026-01-05",
        "admin",
        None,
    )
    run = client.get(f"/api/v1/territory/runs/{job['run_id']}", headers=admin)
    assert run.status_code == 200 and len(run.get_json()["proposals"]) >= 1
    assert client.get(f"/api/v1/territory/runs/{job['run_id'] + 99}", headers=admin).status_code == 404
    assert client.get(f"/api/v1/territory/runs/jobs/{job['id'] + 99}", headers=admin).status_code == 404
    stats = client.get("/api/v1/territory/stats", headers=admin).get_json()
    assert stats["proposals"]["made"] == len(run.get_json()["proposals"])
    bad_date = client.post("/api/v1/territory/runs", headers=admin, json={"as_of": "05/01/2026"})
    assert bad_date.status_code == 422 and bad_date.get_json()["messages"] == {
        "as_of": ["date AAAA-MM-JJ attendue."]
    }
    invalid = client.post(
        "/api/v1/territory/import", headers=admin, data="{", content_type="application/json"
    )
    assert invalid.status_code == 422


def test_session_writes_through_the_api_need_the_csrf_token(engine):
    from exchange import portal
    from web import create_app

    portal.clear_cache()
    app = create_app({"TESTING": True, "SECRET_KEY": "k", "ENGINE": engine, "DATABASE_URL": "sqlite://"})
    client = app.test_client()
    page = client.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/connexion", data={"login": "h1", "password": PASSWORD, "csrf_token": token})
    assert client.get("/api/v1/request").status_code == 200  # reads with the session cookie
    body = {"communes": [], "max_cost": 700}
    assert client.put("/api/v1/request", json=body).status_code == 400
    assert client.put("/api/v1/request", json=body, headers={"X-CSRFToken": token}).status_code == 200


def test_api_paused_requests_and_awaited_answers(client, engine, db):
    run_scenario(engine)  # every household has a live proposal
    refs = dict(db.execute(select(m.Household.ref, m.Household.id)).all())
    request = db.scalars(select(m.Request).where(m.Request.household_id == refs["H2"])).one()
    request.status, request.paused_why, request.silences = "paused", "silences", 2
    landlord = db.scalar(
        select(m.Landlord.code)
        .join(m.Dwelling, m.Dwelling.landlord_id == m.Landlord.id)
        .join(m.Household, m.Household.dwelling_id == m.Dwelling.id)
        .where(m.Household.id == refs["H2"])
    )
    db.commit()
    staff, other = (
        _token(client, landlord.lower()),
        _token(client, "beta" if landlord == "ALPHA" else "alpha"),
    )
    awaited = client.get("/api/v1/awaited-answers", headers=staff).get_json()["awaited"]
    assert "H2" in {a["household_ref"] for a in awaited} and {a["landlord"] for a in awaited} == {landlord}
    assert all(a["days_left"] == 10 and a["reply_label"] == "" for a in awaited)
    assert client.get("/api/v1/paused-requests", headers=other).get_json() == {"paused": []}
    paused = client.get("/api/v1/paused-requests", headers=staff).get_json()["paused"]
    assert [(p["household_ref"], p["why"], p["silences"]) for p in paused] == [("H2", "silences", 2)]
    assert client.post(f"/api/v1/paused-requests/{request.id}/reopen", headers=other).status_code == 404
    # The household confirms it itself; then a second confirmation is refused (409), and the
    # landlord has nothing left to reopen (404).
    tenant = _token(client, "h2")
    confirmed = client.post("/api/v1/request/confirm", headers=tenant)
    assert confirmed.status_code == 200 and confirmed.get_json()["request"]["status"] == "open"
    again = client.post("/api/v1/request/confirm", headers=tenant)
    assert again.status_code == 409 and again.get_json()["error"] == "cette demande n'est pas en pause"
    assert client.post(f"/api/v1/paused-requests/{request.id}/reopen", headers=staff).status_code == 404


def test_api_withdrawal(client, engine, db):
    run_scenario(engine)
    mine = _moves(db)["H1"]
    url = f"/api/v1/proposals/{mine.proposal_id}"
    tenant = _token(client, "h1")
    early = client.post(f"{url}/withdraw", headers=tenant, json={"reason": "timing"})
    assert early.status_code == 409 and "pas accepté" in early.get_json()["error"]
    assert client.post(f"{url}/answer", headers=tenant, json={"accept": True}).get_json()["can_withdraw"]
    bad = client.post(f"{url}/withdraw", headers=tenant, json={"reason": "no_answer"})
    assert bad.status_code == 422 and "reason" in bad.get_json()["messages"]
    vague = client.post(f"{url}/withdraw", headers=tenant, json={"reason": "other"})
    assert vague.status_code == 422 and "comment" in vague.get_json()["messages"]
    done = client.post(f"{url}/withdraw", headers=tenant, json={"reason": "other", "comment": "mutation"})
    assert done.status_code == 200
    assert (done.get_json()["status"], done.get_json()["can_withdraw"]) == ("failed", False)
    h4 = _moves(db)["H4"].proposal_id
    assert (
        client.post(f"/api/v1/proposals/{h4}/withdraw", headers=tenant, json={"reason": "timing"}).status_code
        == 404
    )

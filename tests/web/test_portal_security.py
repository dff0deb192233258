"""Role boundaries, CSRF, the sign-in throttle, cookies: each forbidden URL per role gives 403 or 404.

More on the sign-in throttle in test_sign_in_throttle.py; sessions, tokens, body limits in
test_sessions_and_tokens.py.
"""

from __future__ import annotations

import re

import pytest
from databases import on_every_backend
from portal_helpers import PASSWORD, login, run_scenario
from sqlalchemy import select

from exchange import models as m
from exchange.models.workflow import AuditEvent, CommitteeDecision, ProposalMove

TENANT_PAGES = [
    "/locataire/",
    "/locataire/demande",
    "/locataire/situation",
    "/locataire/offres",
    "/locataire/propositions",
]
STAFF_PAGES = [
    "/caleol/",
    "/caleol/proces-verbal",
    "/caleol/demenagements",
    "/caleol/demandes-en-pause",
    "/caleol/locataires",
]
ADMIN_PAGES = [
    "/territoire/",
    "/territoire/import",
    "/territoire/politique",
    "/territoire/appariements",
    "/territoire/statistiques",
    "/territoire/demenagements",
]


@on_every_backend()
@pytest.mark.parametrize(
    ("user", "forbidden"),
    [
        ("h1", STAFF_PAGES + ADMIN_PAGES),
        ("alpha", TENANT_PAGES + ADMIN_PAGES),
        ("admin", TENANT_PAGES + STAFF_PAGES),
    ],
)
def test_other_spaces_are_forbidden(client, user, forbidden):
    login(client, user)
    for url in forbidden:
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("url", TENANT_PAGES + STAFF_PAGES + ADMIN_PAGES)
def test_anonymous_goes_to_connexion(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response.headers["Location"].startswith("/connexion")


def _ids(db):
    moves = {
        db.scalar(select(m.Household.ref).where(m.Household.id == mv.household_id)): mv
        for mv in db.scalars(select(ProposalMove)).all()
    }
    return moves


@on_every_backend()
def test_tenant_cannot_see_or_answer_another_households_proposal(client, engine, db):
    run_scenario(engine)
    moves = _ids(db)
    other = moves["H4"].proposal_id  # H1 is not in the H4 <-> H5 swap
    login(client, "h1")
    assert client.get(f"/locataire/propositions/{other}").status_code == 404
    assert client.post(f"/locataire/propositions/{other}", data={"answer": "accept"}).status_code == 404
    assert client.get(f"/api/v1/proposals/{other}").status_code == 404
    db.rollback()
    assert moves["H4"].answer is None and db.get(ProposalMove, moves["H4"].id).answer is None


@on_every_backend()
def test_staff_cannot_open_or_decide_another_landlords_move(client, engine, db):
    run_scenario(engine)
    moves = _ids(db)
    for ref in ("H1", "H2"):
        login(client, f"h{ref[1]}")
        client.post(f"/locataire/propositions/{moves[ref].proposal_id}", data={"answer": "accept"})
        client.post("/deconnexion")
    login(client, "alpha")  # H1 moves into BETA's D2: not ALPHA's to decide
    assert client.get(f"/caleol/mouvements/{moves['H1'].id}").status_code == 404
    response = client.post(
        f"/caleol/mouvements/{moves['H1'].id}", data={"kind": "attribution", "reason": "x"}
    )
    assert response.status_code == 404
    api = client.post(f"/api/v1/moves/{moves['H1'].id}/decision", json={"kind": "attribution", "reason": "x"})
    assert api.status_code in (
        400,
        404,
    )  # session writes through the API need CSRF; either way nothing is done
    db.rollback()
    assert db.scalar(select(CommitteeDecision.id)) is None
    queue = client.get("/caleol/").get_data(as_text=True)
    assert f"Dossier n° {moves['H2'].id}" in queue and f"Dossier n° {moves['H1'].id}" not in queue


def _desk(db):
    """BETA's tenant H2, in the swap H1 <-> H2 (ALPHA's tenant H1): the URLs of BETA's staff's desk for it."""
    moves = _ids(db)
    base = f"/caleol/locataires/{moves['H2'].household_id}/propositions/{moves['H2'].proposal_id}"
    return moves, {
        "answer": f"{base}/reponse",
        "withdrawal": f"{base}/desistement",
        "letter": f"{base}/courrier",
        "letters": "/caleol/courriers",
        "run_settings": "/territoire/politique/appariements",
    }


# Who may reach each new route: (status of a GET, None for a POST-only route; status of a POST of a body
# that would write). BETA's staff is H2's landlord; ALPHA's is not (H1's); H2 and H1 are tenants.
DESK_MATRIX = {
    "answer": {
        "alpha": (404, 404),
        "h2": (403, 403),
        "h1": (403, 403),
        "admin": (403, 403),
        "beta": (200, 302),
    },
    "withdrawal": {"alpha": (404, 404), "h2": (403, 403), "admin": (403, 403), "beta": (200, 200)},
    "letter": {"alpha": (None, 404), "h2": (None, 403), "admin": (None, 403), "beta": (None, 200)},
    "letters": {"h1": (None, 403), "admin": (None, 403), "alpha": (None, 200)},
    "run_settings": {"h1": (None, 403), "beta": (None, 403), "admin": (None, 302)},
}
DESK_BODIES = {
    "answer": {"answer": "accept", "channel": "phone"},
    "withdrawal": {"reason": "timing", "channel": "desk"},  # the confirmation step: it writes nothing
    "letter": {},
    "letters": {},
    "run_settings": {"objective": "expected", "repair": "y", "priority_floor_pct": "50"},
}


@on_every_backend()
@pytest.mark.parametrize("route", list(DESK_MATRIX))
def test_the_desk_and_run_settings_routes_by_role(client, engine, db, route):
    """The staff's answer, withdrawal and letter for a tenant: its own landlord's staff only (another
    landlord's: 404), a wrong role 403; the latest run's letters: staff only; the run settings: the
    territory only. Those refused write nothing (no answer, no audit event, no setting)."""
    run_scenario(engine)
    moves, urls = _desk(db)
    if route == "withdrawal":  # H2 accepted (at the desk): its withdrawal may now be recorded
        login(client, "beta")
        assert client.post(urls["answer"], data=DESK_BODIES["answer"]).status_code == 302
        client.post("/deconnexion")
    url = urls[route]
    for user, (get_status, post_status) in DESK_MATRIX[route].items():
        db.rollback()
        before = (db.get(ProposalMove, moves["H2"].id).answer, len(db.scalars(select(AuditEvent.id)).all()))
        before_policy = db.scalar(select(m.Territory.policy))
        login(client, user)
        assert client.get(url).status_code == (get_status or 405), (user, url)
        response = client.post(url, data=DESK_BODIES[route])
        assert response.status_code == post_status, (user, url, response.status_code)
        client.post("/deconnexion")
        db.rollback()
        if post_status in (403, 404):
            after = (
                db.get(ProposalMove, moves["H2"].id).answer,
                len(db.scalars(select(AuditEvent.id)).all()),
            )
            assert after == before, (user, url)
            assert db.scalar(select(m.Territory.policy)) == before_policy, (user, url)
    if route == "answer":
        assert db.get(ProposalMove, moves["H2"].id).answer == "accepted"  # BETA's staff recorded it


@pytest.mark.parametrize(
    "url",
    [
        "/caleol/locataires/1/propositions/1/reponse",
        "/caleol/locataires/1/propositions/1/desistement",
        "/caleol/locataires/1/propositions/1/courrier",
        "/caleol/courriers",
        "/territoire/politique/appariements",
    ],
)
def test_anonymous_is_sent_to_connexion_from_the_new_routes(client, url):
    for response in (client.get(url), client.post(url, data={"answer": "accept"})):
        if response.status_code == 405:  # a POST-only route
            continue
        assert response.status_code == 302 and response.headers["Location"].startswith("/connexion"), url


@on_every_backend()
def test_admin_cannot_read_another_territorys_run(client, engine, db):
    run_scenario(engine)
    login(client, "admin")
    assert client.get("/territoire/appariements/999").status_code == 404


@pytest.fixture
def csrf_client(engine):
    from exchange import portal
    from web import create_app

    portal.clear_cache()
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "t",
            "ENGINE": engine,
            "DATABASE_URL": "sqlite://",
            "RATELIMIT_ENABLED": True,
            "LOGIN_FREE_FAILURES": 2,
        }
    )
    return app.test_client()


def test_post_without_csrf_token_is_400(csrf_client):
    response = csrf_client.post("/connexion", data={"login": "h1", "password": PASSWORD})
    assert response.status_code == 400
    assert "jeton de sécurité" in response.get_data(as_text=True)


def _token(client, url="/connexion"):
    import re

    page = client.get(url).get_data(as_text=True)
    tag = re.search(r'<input[^>]*name="csrf_token"[^>]*>', page).group(0)
    return re.search(r'value="([^"]+)"', tag).group(1)


def test_login_with_token_then_logout_needs_token(csrf_client):
    token = _token(csrf_client)
    response = csrf_client.post("/connexion", data={"login": "h1", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert csrf_client.post("/deconnexion").status_code == 400
    assert csrf_client.get("/locataire/").status_code == 200


def test_login_is_rate_limited(csrf_client):
    codes = []
    for _ in range(4):
        token = _token(csrf_client)
        codes.append(
            csrf_client.post(
                "/connexion", data={"login": "h1", "password": "faux-mot-de-passe", "csrf_token": token}
            ).status_code
        )
    assert codes == [200, 200, 200, 429]


def test_wrong_password_flashes_french_message(client):
    page = login(client, "h1", "mauvais-mot-de-passe").get_data(as_text=True)
    assert "Identifiant ou mot de passe incorrect." in page


def test_session_cookie_flags(engine):
    from web import create_app

    app = create_app(
        {"SECRET_KEY": "s", "ENGINE": engine, "DATABASE_URL": "sqlite://", "WTF_CSRF_ENABLED": False}
    )
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_set_cookie_headers_are_secure_outside_debug(engine):
    from web import create_app

    app = create_app(
        {"SECRET_KEY": "s", "ENGINE": engine, "DATABASE_URL": "sqlite://", "WTF_CSRF_ENABLED": False}
    )
    response = app.test_client().post("/connexion", data={"login": "h1", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    debug = create_app({"SECRET_KEY": "s", "ENGINE": engine, "DATABASE_URL": "sqlite://", "DEBUG": True})
    assert debug.config["SESSION_COOKIE_SECURE"] is False


def _login_with_token(client, name):
    response = client.post(
        "/connexion", data={"login": name, "password": PASSWORD, "csrf_token": _token(client)}
    )
    home = {"h1": "/locataire/", "alpha": "/caleol/", "admin": "/territoire/"}[name]
    assert response.status_code == 302 and response.headers["Location"] == home


def test_every_form_refuses_a_post_without_csrf_token(csrf_client, engine, db):
    run_scenario(engine)
    moves = _ids(db)
    desk = f"/caleol/locataires/{moves['H1'].household_id}/propositions/{moves['H1'].proposal_id}"  # ALPHA's
    forms = {
        "h1": [
            "/locataire/demande",
            "/locataire/demande/confirmer",
            "/compte",
            f"/locataire/propositions/{moves['H1'].proposal_id}",
            f"/locataire/propositions/{moves['H1'].proposal_id}/desister",
            "/deconnexion",
        ],
        "alpha": [
            f"/caleol/mouvements/{moves['H2'].id}",
            f"/caleol/mouvements/{moves['H2'].id}/condition",
            f"/caleol/mouvements/{moves['H2'].id}/date",
            "/caleol/demandes/1/rouvrir",
            f"{desk}/reponse",
            f"{desk}/desistement",
            f"{desk}/courrier",
            "/caleol/courriers",
            "/compte",
            "/deconnexion",
        ],
        "admin": [
            "/territoire/import",
            "/territoire/politique",
            "/territoire/politique/appariements",
            "/territoire/appariements",
            f"/territoire/demenagements/{moves['H1'].proposal_id}/date",
            f"/territoire/demenagements/{moves['H1'].proposal_id}/effectue",
            "/deconnexion",
        ],
    }
    for user, urls in forms.items():
        _login_with_token(csrf_client, user)
        for url in urls:
            response = csrf_client.post(
                url,
                data={
                    "answer": "accept",
                    "max_cost": "500",
                    "kind": "attribution",
                    "channel": "desk",
                    "reason": "timing",
                    "confirmed": "1",
                    "objective": "expected",
                    "priority_floor_pct": "10",
                },
            )
            assert response.status_code == 400, url
            assert "jeton de sécurité" in response.get_data(as_text=True)
            bad = csrf_client.post(url, data={"csrf_token": "faux", "answer": "accept"})
            assert bad.status_code == 400, url
        csrf_client.post("/deconnexion", data={"csrf_token": _token(csrf_client, "/page-inexistante")})
    db.rollback()
    assert db.get(ProposalMove, moves["H1"].id).answer is None
    assert db.scalar(select(m.Territory.policy)) in ({}, None)
    assert db.scalar(select(AuditEvent.id).where(AuditEvent.action == "letter.printed")) is None


@on_every_backend()
def test_object_pages_of_other_roles_are_forbidden(client, engine, db):
    run_scenario(engine)
    moves = _ids(db)
    pid, mid = moves["H1"].proposal_id, moves["H2"].id
    checks = {
        "h1": [
            f"/caleol/mouvements/{mid}",
            "/territoire/appariements/1",
            "/territoire/statistiques/propositions.svg",
        ],
        "alpha": [f"/locataire/propositions/{pid}", "/territoire/appariements/1"],
        "admin": [f"/locataire/propositions/{pid}", f"/caleol/mouvements/{mid}"],
    }
    for user, urls in checks.items():
        login(client, user)
        for url in urls:
            assert client.get(url).status_code == 403, (user, url)
            assert client.post(
                url, data={"answer": "accept", "kind": "attribution", "reason": "x"}
            ).status_code in (
                403,
                405,
            ), (user, url)
        client.post("/deconnexion")
    db.rollback()
    assert db.scalar(select(CommitteeDecision.id)) is None
    assert db.get(ProposalMove, moves["H1"].id).answer is None


@pytest.mark.parametrize(
    ("user", "pages"),
    [
        (None, ["/connexion", "/page-inexistante"]),
        ("h1", [*TENANT_PAGES, "/caleol/", "/locataire/propositions/999", "/compte"]),
        ("alpha", [*STAFF_PAGES, "/territoire/"]),
        ("admin", ADMIN_PAGES),
    ],
)
def test_every_page_is_french_with_a_skip_link(client, engine, db, user, pages):
    run_scenario(engine)
    if user:
        login(client, user)
    moves = _ids(db)
    if user == "h1":
        pages = [*pages, f"/locataire/propositions/{moves['H1'].proposal_id}"]
    if user == "alpha":
        pages = [*pages, f"/caleol/mouvements/{moves['H2'].id}"]
    for url in pages:
        page = client.get(url).get_data(as_text=True)
        assert page.startswith('<!doctype html>\n<html lang="fr">'), url
        assert '<a class="skip-link" href="#contenu">Aller au contenu</a>' in page and 'id="contenu"' in page
        headings = [int(h) for h in re.findall(r"<h([1-6])[ >]", page)]
        assert headings and headings[0] == 1 and headings.count(1) == 1, url
        assert all(b - a <= 1 for a, b in zip(headings, headings[1:], strict=False)), (url, headings)
        for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", page):
            field_id = re.search(r'\bid="([^"]+)"', tag)
            if 'type="hidden"' not in tag:
                assert field_id and f'<label for="{field_id.group(1)}"' in page, (url, tag)


def test_the_withdrawal_form_carries_its_prefixed_token(csrf_client, engine, db):
    run_scenario(engine)
    moves = _ids(db)
    url = f"/locataire/propositions/{moves['H1'].proposal_id}"
    _login_with_token(csrf_client, "h1")
    accepted = csrf_client.post(url, data={"answer": "accept", "csrf_token": _token(csrf_client, url)})
    assert accepted.status_code == 302
    page = csrf_client.get(url).get_data(as_text=True)
    assert 'name="desistement-csrf_token"' in page
    token = re.search(r'name="desistement-csrf_token"[^>]*value="([^"]+)"', page).group(1)
    asked = csrf_client.post(
        f"{url}/desister", data={"desistement-csrf_token": token, "desistement-reason": "timing"}
    )
    assert asked.status_code == 200  # the confirmation step, which carries its own token
    confirm = asked.get_data(as_text=True)
    token = re.search(r'name="desistement-csrf_token"[^>]*value="([^"]+)"', confirm).group(1)
    done = csrf_client.post(
        f"{url}/desister",
        data={"desistement-csrf_token": token, "desistement-reason": "timing", "desistement-confirmed": "1"},
    )
    assert done.status_code == 302
    db.rollback()
    assert db.get(ProposalMove, moves["H1"].id).refusal_reason == "timing"

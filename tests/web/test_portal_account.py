"""The account page (« Mon compte »): who is signed in, and a password change that ends the other sessions."""

from __future__ import annotations

import html

import pytest
from portal_helpers import PASSWORD, login
from sqlalchemy import select

from exchange.models.workflow import AuditEvent

NEW = "nouveau-secret-2026"


def _page(client, url: str = "/compte") -> str:
    return html.unescape(client.get(url).get_data(as_text=True))


def _change(client, current: str, new: str, confirm: str | None = None):
    data = {"current_password": current, "new_password": new, "confirm": new if confirm is None else confirm}
    return client.post("/compte", data=data)


@pytest.mark.parametrize(
    ("user", "facts"),
    [
        ("h1", ["locataire", "Ménage", "H1"]),
        ("alpha", ["agent de bailleur (CALEOL)", "Bailleur", "ALPHA"]),
        ("admin", ["administrateur du territoire"]),
    ],
)
def test_every_role_sees_its_account(client, user, facts):
    login(client, user)
    page = _page(client)
    assert "<h1>Mon compte</h1>" in page and f"<dd>{user}</dd>" in page
    assert all(fact in page for fact in facts)
    assert 'autocomplete="current-password"' in page and page.count('autocomplete="new-password"') == 2
    assert 'href="/compte" aria-current="page"' in page  # the header link to the page


def test_anonymous_goes_to_connexion(client):
    response = client.get("/compte")
    assert response.status_code == 302 and response.headers["Location"].startswith("/connexion")


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        ("mauvais-mot", NEW, None, "Le mot de passe actuel est incorrect."),
        (PASSWORD, "court", None, "Le nouveau mot de passe doit compter au moins 8 caractères."),
        (PASSWORD, NEW, "autre-chose-2026", "Les deux saisies du nouveau mot de passe ne sont pas"),
        (PASSWORD, PASSWORD, None, "Choisissez un mot de passe différent de l'actuel."),
        (PASSWORD, "H1", None, "Le nouveau mot de passe doit compter au moins 8 caractères."),
        ("", NEW, None, "Indiquez votre mot de passe actuel."),
    ],
)
def test_a_refused_change_says_why_and_keeps_the_password(client, current, new, confirm, message):
    login(client, "h1")
    response = _change(client, current, new, confirm)
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert message in page and 'class="error-summary"' in page
    client.post("/deconnexion")
    if new != PASSWORD:
        assert login(client, "h1", new).status_code == 200  # refused: the sign-in form again
    assert login(client, "h1").status_code == 302  # the old password still works


def test_the_login_is_not_a_password(db):
    from exchange import accounts

    account = accounts.create_user(
        db, login="gestionnaire", password=PASSWORD, role="admin", territory="TWEB"
    )
    with pytest.raises(accounts.PasswordRejected) as refused:
        accounts.change_password(db, account.id, PASSWORD, "Gestionnaire ")
    assert refused.value.field == "new_password" and "identifiant" in str(refused.value)
    changed = accounts.change_password(db, account.id, PASSWORD, NEW)
    assert changed.session_stamp != account.session_stamp


def test_a_new_password_ends_the_other_sessions_and_is_audited(app, db):
    mine, other = app.test_client(), app.test_client()
    login(mine, "alpha")
    login(other, "alpha")
    assert other.get("/caleol/").status_code == 200
    token = other.post("/api/v1/tokens", json={"login": "alpha", "password": PASSWORD}).get_json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert other.get("/api/v1/me", headers=bearer).status_code == 200
    response = _change(mine, PASSWORD, NEW)
    assert response.status_code == 302 and response.headers["Location"] == "/compte"
    assert "Votre mot de passe a été changé. Vos autres sessions ont été fermées." in _page(mine)
    assert mine.get("/caleol/").status_code == 200  # this session goes on
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 401  # the token is revoked
    ended = other.get("/caleol/")
    assert ended.status_code == 302 and ended.headers["Location"].startswith("/connexion")
    other.post("/deconnexion")
    assert login(other, "alpha").status_code == 200  # the old password no longer signs in
    assert login(other, "alpha", NEW).status_code == 302
    db.rollback()
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "account.password_changed")).one()
    assert (event.actor, event.entity, event.before, event.after) == ("alpha", "account", None, None)

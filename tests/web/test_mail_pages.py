"""The mail pages: the signed link of a mail (no sign-in), « Mon compte », the territory's « Courriels »."""

from __future__ import annotations

import html
import re
from datetime import datetime

import pytest
from portal_helpers import login
from sqlalchemy import select

from exchange import accounts, notifications
from exchange.mail_compose import Letter, compose
from exchange.models import UserAccount
from exchange.models.notification import OutboxMessage


def _account(db, login_name: str) -> UserAccount:
    return db.scalars(select(UserAccount).where(UserAccount.login == login_name)).one()


def _page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _mail_for(db, login_name: str, kind: str = "reminder") -> Letter:
    account = _account(db, login_name)
    context = {"proposal_id": 1, "proposal_kind": "cycle", "households": 2, "deadline": "2026-01-15"}
    return Letter(9, account.id, kind, "h1@exemple.test", {**context, "days_left": 2}, datetime(2026, 1, 12))


def test_the_link_in_a_mail_opens_its_preferences_without_signing_in(client, db):
    message = compose(
        _mail_for(db, "h1"),
        sender="bourse@bourse.test",
        portal_url="http://localhost",
        secret="test",
        now=datetime.now(),
    )
    text = message.get_body(("plain",)).get_content()
    path = re.search(r"http://localhost(/courriels/[\w-]+)", text).group(1)
    page = _page(client.get(path))
    assert "<h1>Préférences de courriels</h1>" in page
    assert (
        "Nouvelle proposition et sa date limite de réponse" in page
    )  # a legal notice, listed as always sent
    assert '<input checked id="reminder" name="reminder" type="checkbox" value="y">' in page  # on by default
    assert 'name="proposal"' not in page  # a legal notice has no box
    response = client.post(path, data={"changed": "y", "digest": "y", "visit": "y"})  # reminder unticked
    assert response.status_code == 302 and response.headers["Location"] == path
    db.rollback()
    assert _account(db, "h1").mail_muted == ["reminder"]
    assert "Vos préférences de courriels sont enregistrées." in _page(client.get(path))


def test_one_click_unsubscribe_from_the_mail_header(client, db):
    message = compose(
        _mail_for(db, "h2"),
        sender="bourse@bourse.test",
        portal_url="http://localhost",
        secret="test",
        now=datetime.now(),
    )
    url = message["List-Unsubscribe"].strip("<>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    response = client.post(url.removeprefix("http://localhost"), data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "Désabonnement enregistré" in _page(response)
    db.rollback()
    assert _account(db, "h2").mail_muted == ["reminder"]


def test_a_legal_notice_has_no_unsubscribe_header(db):
    message = compose(
        _mail_for(db, "h1", "proposal"),
        sender="b@b.test",
        portal_url="http://localhost",
        secret="k",
        now=datetime.now(),
    )
    assert "List-Unsubscribe" not in message


@pytest.mark.parametrize("token", ["1-0000", "abc", "99999-" + "0" * 32])
def test_a_forged_link_is_not_found(client, token):
    assert client.get(f"/courriels/{token}").status_code == 404
    assert client.post(f"/courriels/{token}/desabonnement").status_code == 404


def test_a_link_signed_with_another_key_is_not_found(client, db):
    token = notifications.preferences_token(_account(db, "h1").id, "autre-clé")
    assert client.get(f"/courriels/{token}").status_code == 404


def test_my_account_changes_its_address_with_validation(client, db):
    login(client, "h3")
    page = _page(client.get("/compte"))
    assert '<h2 id="courriels-titre">Courriels</h2>' in page and 'autocomplete="email"' in page
    response = client.post(
        "/compte/courriel", data={"email": "Menage.Trois@Exemple.FR"}, follow_redirects=True
    )
    assert "Vos courriels iront désormais à Menage.Trois@exemple.fr." in _page(response)
    db.rollback()
    assert _account(db, "h3").email == "Menage.Trois@exemple.fr"

    response = client.post("/compte/courriel", data={"email": "pas-une-adresse"}, follow_redirects=True)
    assert "adresse électronique invalide" in _page(response)
    db.rollback()
    assert _account(db, "h3").email == "Menage.Trois@exemple.fr"

    response = client.post("/compte/courriel", data={"email": ""}, follow_redirects=True)
    assert "vous ne recevrez plus de courriels" in _page(response)
    db.rollback()
    assert _account(db, "h3").email is None


def test_my_account_chooses_its_optional_mails(client, db):
    login(client, "alpha")
    response = client.post("/compte/courriels", data={"reminder": "y", "changed": "y", "visit": "y"})
    assert response.status_code == 302
    db.rollback()
    assert _account(db, "alpha").mail_muted == ["digest"]


def _failed_message(db) -> int:
    account = _account(db, "h4")
    accounts.set_email(db, account.id, "h4@exemple.test")
    [row] = notifications.notify(db, "paused", account, {"why": "silences"}, key="t")
    row.status, row.attempts, row.last_error = "failed", 1, "550 5.1.1 no such mailbox"
    db.commit()
    return row.id


def test_the_territory_sees_failed_mails_and_can_retry_them(client, db):
    message_id = _failed_message(db)
    login(client, "admin")
    assert "/territoire/courriels" in _page(client.get("/territoire/"))
    page = _page(client.get("/territoire/courriels"))
    assert "<h1>Courriels du territoire</h1>" in page
    assert (
        "h4@exemple.test" in page and "550 5.1.1 no such mailbox" in page and "demande mise en pause" in page
    )
    response = client.post(f"/territoire/courriels/{message_id}/reessayer")
    assert response.status_code == 302
    db.rollback()
    row = db.get(OutboxMessage, message_id)
    assert (row.status, row.attempts) == ("pending", 0)
    assert client.post(f"/territoire/courriels/{message_id}/reessayer").status_code == 404  # no longer failed


def test_only_the_territory_sees_its_mails(client):
    login(client, "h1")
    assert client.get("/territoire/courriels").status_code == 403

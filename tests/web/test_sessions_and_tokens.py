"""Sessions that end on the server, API tokens that expire and can be revoked, request body limits.

Issue 16.5 (a cookie copied before « Se déconnecter » still opened the account's pages; tokens never
expired and could not be revoked) and 16.6 (every endpoint parsed 64 MiB bodies).
"""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta

import portal_scenario as scenario
from portal_helpers import PASSWORD, login
from sqlalchemy import select, update

from exchange.models import UserAccount
from exchange.models.account import PortalSession

MIB = 1024 * 1024


def _copy_session_cookie(source, app):
    thief = app.test_client()
    thief.set_cookie("session", source.get_cookie("session").value)
    return thief


def test_a_cookie_copied_before_sign_out_opens_nothing_after(app, client, db):
    login(client, "h1")
    thief = _copy_session_cookie(client, app)
    assert thief.get("/locataire/").status_code == 200  # the copy works while the session lives
    assert client.post("/deconnexion").status_code == 302
    replay = thief.get("/locataire/")
    assert replay.status_code == 302 and replay.headers["Location"].startswith("/connexion")
    assert thief.get("/api/v1/me").status_code == 401
    db.rollback()
    assert db.scalars(select(PortalSession.revoked_at)).one() is not None


def test_an_idle_or_too_old_session_ends(app, client, db):
    login(client, "h1")
    assert client.get("/locataire/").status_code == 200
    db.execute(update(PortalSession).values(last_seen_at=datetime.now() - timedelta(minutes=121)))
    db.commit()
    assert client.get("/locataire/").status_code == 302  # idle 2 hours (SESSION_IDLE_MINUTES)
    login(client, "h1")
    db.execute(
        update(PortalSession)
        .where(
            PortalSession.revoked_at.is_(None),
            PortalSession.last_seen_at > datetime.now() - timedelta(hours=1),
        )
        .values(created_at=datetime.now() - timedelta(hours=13))
    )
    db.commit()
    assert client.get("/locataire/").status_code == 302  # 13 hours after sign-in (SESSION_LIFETIME_HOURS)


def test_the_last_request_is_written_every_few_minutes_only(client, db):
    login(client, "h1")
    db.rollback()
    signed_in = db.scalars(select(PortalSession.last_seen_at)).one()
    client.get("/locataire/")
    db.rollback()
    assert db.scalars(select(PortalSession.last_seen_at)).one() == signed_in  # no write per request
    earlier = datetime.now().replace(microsecond=0) - timedelta(minutes=6)
    db.execute(update(PortalSession).values(last_seen_at=earlier))
    db.commit()
    assert client.get("/locataire/").status_code == 200
    db.rollback()
    assert db.scalars(select(PortalSession.last_seen_at)).one() > earlier


def test_a_deactivated_account_is_signed_out(client, db):
    login(client, "h1")
    db.execute(update(UserAccount).where(UserAccount.login == "h1").values(active=False))
    db.commit()
    assert client.get("/locataire/").status_code == 302


def _token(client, name="h1"):
    return client.post("/api/v1/tokens", json={"login": name, "password": PASSWORD})


def test_a_token_expires(app, client, db):
    issued = _token(client)
    assert issued.status_code == 201
    expires = datetime.fromisoformat(issued.get_json()["expires_at"])
    assert timedelta(days=29, hours=23) < expires - datetime.now() <= timedelta(days=30)
    bearer = {"Authorization": f"Bearer {issued.get_json()['token']}"}
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    db.execute(
        update(UserAccount).where(UserAccount.login == "h1").values(api_token_expires_at=datetime.now())
    )
    db.commit()
    expired = client.get("/api/v1/me", headers=bearer)
    assert expired.status_code == 401 and expired.get_json()["error"] == "Authentification requise"


def test_the_token_lifetime_is_configurable(engine):
    from web import create_app

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "t",
            "ENGINE": engine,
            "RATELIMIT_ENABLED": False,
            "API_TOKEN_LIFETIME_DAYS": 1,
        }
    )
    expires = datetime.fromisoformat(_token(app.test_client()).get_json()["expires_at"])
    assert timedelta(hours=23) < expires - datetime.now() <= timedelta(days=1)


def test_a_token_is_revoked_by_delete(client):
    token = _token(client).get_json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.delete("/api/v1/tokens", headers=bearer).status_code == 204
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    assert client.delete("/api/v1/tokens", headers=bearer).status_code == 401  # already revoked
    assert client.delete("/api/v1/tokens").status_code == 401
    fresh = {"Authorization": f"Bearer {_token(client).get_json()['token']}"}
    assert client.get("/api/v1/me", headers=fresh).status_code == 200  # a new one can be asked for


class _CountingStream(io.BytesIO):
    """A request body that counts what the app reads of it."""

    read_bytes = 0

    def read(self, size=-1):
        data = super().read(size)
        self.read_bytes += len(data)
        return data


def test_a_large_body_is_refused_unread_outside_the_import(client):
    body = _CountingStream(b"{" + b" " * (2 * MIB) + b"}")
    response = client.post(
        "/api/v1/tokens",
        input_stream=body,
        content_type="application/json",
        headers={"Content-Length": str(2 * MIB + 2)},
    )
    assert response.status_code == 413 and body.read_bytes == 0
    assert response.get_json() == {
        "error": "Contenu trop volumineux",
        "message": "Le contenu envoyé dépasse la taille permise (1 Mio). Seul l'import d'un territoire"
        " accepte de gros fichiers.",
    }
    page = client.post("/connexion", data={"login": "h1", "password": "x" * (2 * MIB)})
    assert page.status_code == 413 and "dépasse la taille permise (1 Mio)" in page.get_data(as_text=True)


def _large_document() -> str:
    """The scenario territory, padded past the ordinary limit (whitespace: the same document)."""
    return json.dumps(scenario.document(), indent=2) + " " * (2 * MIB)


def test_the_imports_take_a_large_document(client, db):
    login(client, "admin")
    # The multipart body is built here: the test client would spool it to a file it never closes.
    boundary = "----frontiere"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="document"; filename="territoire.json"\r\n'
        f"Content-Type: application/json\r\n\r\n{_large_document()}\r\n--{boundary}--\r\n"
    ).encode()
    assert len(body) > 2 * MIB
    upload = client.post(
        "/territoire/import", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert upload.status_code == 302 and upload.headers["Location"] == "/territoire/"
    client.post("/deconnexion")
    token = _token(client, "admin").get_json()["token"]
    api = client.post(
        "/api/v1/territory/import",
        data=_large_document(),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert api.status_code == 200, api.get_json()
    too_large = client.post(
        "/api/v1/territory/import",
        data=b" " * (64 * MIB + 1),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert too_large.status_code == 413 and "(64 Mio)" in too_large.get_json()["message"]

"""First checks: the app starts, pages are French, anonymous users go to /connexion."""

from __future__ import annotations

from portal_helpers import login


def test_login_page_is_french_and_secured(client):
    response = client.get("/connexion")
    assert response.status_code == 200
    assert b'<html lang="fr">' in response.data
    assert "Connexion" in response.get_data(as_text=True)
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_anonymous_is_redirected(client):
    response = client.get("/locataire/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion")


def test_tenant_logs_in(client):
    response = login(client, "h1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/locataire/"
    page = client.get("/locataire/").get_data(as_text=True)
    assert "Sous-occupation" in page

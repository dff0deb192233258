"""« Ma situation » in the portal and the API: reachable from the tenant's pages, its own data only."""

from __future__ import annotations

import html
import re

import pytest
from portal_helpers import PASSWORD, login, run_scenario
from sqlalchemy import select
from test_portal_french import problems_of

from exchange import models as m

pytestmark = pytest.mark.usefixtures("api_conformance")


def _text(page: str) -> str:
    body = page.split("<main", 1)[-1].split("</main>", 1)[0]
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", body).split()))


def test_the_page_is_linked_from_the_home_and_the_request_pages(client, engine):
    run_scenario(engine)
    login(client, "h1")
    for path in ("/locataire/", "/locataire/demande"):
        page = client.get(path).get_data(as_text=True)
        assert 'href="/locataire/situation"' in page, path


def test_the_tenant_sees_its_points_counts_and_the_wait(client, engine):
    run_scenario(engine)
    login(client, "h1")
    response = client.get("/locataire/situation")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    text = _text(page)
    assert "<h1>Ma situation</h1>" in page
    assert "tout échange qui aboutit" in text and "ancienneté de votre demande" in text
    assert re.search(r"\d+ logements? du territoire correspond", text), text
    assert "Délai médian : pas assez de cas comparables" in text  # no completed move in the scenario
    assert "Délai médian entre le dépôt de la demande et le déménagement" in text
    assert problems_of(page) == []
    # Nothing of another household: no refs, no landlord's dwelling numbers, no chance of acceptance.
    assert not re.search(r"\b[HD]\d+\b", text), text
    assert "chance" not in text.lower()


def test_staff_and_the_territory_have_no_access(client, engine):
    run_scenario(engine)
    for who in ("alpha", "admin"):
        login(client, who)
        assert client.get("/locataire/situation").status_code == 403
        client.post("/deconnexion")
    assert client.get("/locataire/situation").status_code == 302  # to the sign-in page


def _token(client, name):
    response = client.post("/api/v1/tokens", json={"login": name, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_the_api_gives_the_same_situation_to_its_tenant_only(client, engine):
    run_scenario(engine)
    got = client.get("/api/v1/situation", headers=_token(client, "h1"))
    assert got.status_code == 200
    body = got.get_json()
    assert body["has_request"] is True
    assert body["points_total"] == sum(line["points"] for line in body["points"])
    assert body["wait"]["comparison"] == "none" and body["wait"]["months"] is None
    assert all(w["dwellings"] >= body["fitting"] for w in body["widenings"])
    assert "chance" not in str(body)
    with engine.connect() as conn:
        filed = dict(
            conn.execute(
                select(m.Household.ref, m.Request.filed_on).join(
                    m.Household, m.Household.id == m.Request.household_id
                )
            ).all()
        )
    assert filed["H1"] != filed["H2"]
    assert body["filed_on"] == filed["H1"].isoformat()  # its own request, whoever else asks
    other = client.get("/api/v1/situation", headers=_token(client, "h2")).get_json()
    assert other["filed_on"] == filed["H2"].isoformat()
    for who in ("alpha", "admin"):
        assert client.get("/api/v1/situation", headers=_token(client, who)).status_code == 403
    assert client.get("/api/v1/situation").status_code == 401

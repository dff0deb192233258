"""CALEOL space: the paused requests of the landlord's tenants, and reopening them after review."""

from __future__ import annotations

import html
from datetime import datetime

from portal_helpers import login
from sqlalchemy import select

from exchange import models as m
from exchange.models.workflow import AuditEvent

STAFF = {"ALPHA": "alpha", "BETA": "beta"}


def _pause(db, ref: str, why: str | None, silences: int = 0) -> tuple[int, str]:
    """Pause household ``ref``'s request; (request id, the login of its landlord's staff)."""
    household = db.scalars(select(m.Household).where(m.Household.ref == ref)).one()
    request = db.scalars(select(m.Request).where(m.Request.household_id == household.id)).one()
    request.status, request.paused_why, request.silences = "paused", why, silences
    landlord = db.scalar(
        select(m.Landlord.code)
        .join(m.Dwelling, m.Dwelling.landlord_id == m.Landlord.id)
        .where(m.Dwelling.id == household.dwelling_id)
    )
    return request.id, STAFF[landlord]


def test_staff_sees_and_reopens_only_its_own_tenants_paused_requests(client, db):
    first, staff = _pause(db, "H2", "silences", silences=2)
    other = next(ref for ref in ("H1", "H3", "H4", "H5") if _owner(db, ref) != staff)
    second, other_staff = _pause(db, other, "inadmissible")
    db.add(
        AuditEvent(
            territory_id=db.scalar(select(m.Territory.id)),
            at=datetime(2026, 3, 2, 3, 0),
            actor="system",
            action="request.paused",
            entity="request",
            entity_id=first,
            before={"status": "open"},
            after={"status": "paused", "why": "silences"},
        )
    )
    db.commit()
    login(client, staff)
    page = html.unescape(client.get("/caleol/demandes-en-pause").get_data(as_text=True))
    assert "<h1>Demandes en pause" in page and "H2" in page and other not in page.split("<h1>")[1]
    assert "propositions restées sans réponse (2 d'affilée)" in page and "lundi 2 mars 2026" in page
    assert 'aria-label="Rouvrir la demande du ménage H2"' in page
    # Another landlord's request is as if it did not exist.
    assert client.post(f"/caleol/demandes/{second}/rouvrir").status_code == 404
    response = client.post(f"/caleol/demandes/{first}/rouvrir")
    assert response.status_code == 302 and response.headers["Location"] == "/caleol/demandes-en-pause"
    page = html.unescape(client.get("/caleol/demandes-en-pause").get_data(as_text=True))
    assert "La demande est rouverte : elle participera au prochain appariement." in page
    assert "Aucune demande en pause." in page
    db.rollback()
    reopened = db.get(m.Request, first)
    assert (reopened.status, reopened.paused_why, reopened.silences) == ("open", None, 0)
    assert db.get(m.Request, second).status == "paused"
    assert client.post(f"/caleol/demandes/{first}/rouvrir").status_code == 404  # no longer paused
    client.post("/deconnexion")
    login(client, other_staff)
    page = html.unescape(client.get("/caleol/demandes-en-pause").get_data(as_text=True))
    assert "rejet pour irrecevabilité (CALEOL)" in page and other in page


def test_tenants_and_admins_have_no_such_page(client):
    for user in ("h1", "admin"):
        login(client, user)
        assert client.get("/caleol/demandes-en-pause").status_code == 403
        assert client.post("/caleol/demandes/1/rouvrir").status_code == 403
        client.post("/deconnexion")


def _owner(db, ref: str) -> str:
    household = db.scalars(select(m.Household).where(m.Household.ref == ref)).one()
    code = db.scalar(
        select(m.Landlord.code)
        .join(m.Dwelling, m.Dwelling.landlord_id == m.Landlord.id)
        .where(m.Dwelling.id == household.dwelling_id)
    )
    return STAFF[code]


def test_the_caleol_home_lists_its_tenants_awaited_answers(client, engine, db):
    from portal_helpers import run_scenario

    run_scenario(engine)  # every household has a live proposal, ten days to answer
    staff = _owner(db, "H1")
    mine = sorted(ref for ref in ("H1", "H2", "H3", "H4", "H5") if _owner(db, ref) == staff)
    others = sorted(set(("H1", "H2", "H3", "H4", "H5")) - set(mine))
    login(client, staff)
    page = html.unescape(client.get("/caleol/").get_data(as_text=True))
    section = page.split('<h2 id="reponses-titre">')[1]
    rows = section.split("<tbody>")[1].split("</tbody>")[0]
    assert [ref for ref in ("H1", "H2", "H3", "H4", "H5") if f"<td>{ref}</td>" in rows] == mine
    assert others and all(f"<td>{ref}</td>" not in rows for ref in others)
    assert rows.count("(encore 10 jours)") == len(mine) and "première proposition" in rows

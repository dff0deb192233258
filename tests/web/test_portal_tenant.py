"""Tenant space: criteria explained, filing a new request, offers pages (filters, sorting, pagination)."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from portal_helpers import login
from sqlalchemy import select

from exchange import models as m


@pytest.fixture
def paged_app(engine):
    from exchange import portal
    from web import create_app

    portal.clear_cache()
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "t",
            "ENGINE": engine,
            "DATABASE_URL": "sqlite://",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "OFFERS_PER_PAGE": 2,
        }
    )


def _rows(page):
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    return re.findall(r"<tr>(.*?)</tr>", body, re.S)


def _costs(page):
    return [
        float(re.sub(r"[^\d,]", "", c).replace(",", "."))
        for c in re.findall(r'<td class="num">([^<]*€) \+', page)
    ]


def test_offers_are_paginated_sorted_and_filtered(paged_app):
    client = paged_app.test_client()
    login(client, "h1")
    first = client.get("/locataire/offres?sort=-cost").get_data(as_text=True)
    assert "6 logements · page 1 sur 3" in first and len(_rows(first)) == 2
    assert 'rel="next"' in first and 'rel="prev"' not in first
    seen = []
    for page in (1, 2, 3):
        text = client.get(f"/locataire/offres?sort=-cost&page={page}").get_data(as_text=True)
        assert len(_rows(text)) == 2
        seen += re.findall(r"<td>T(\d)</td>", text)
        if page == 3:
            assert 'rel="next"' not in text and 'rel="prev"' in text
    assert len(seen) == 6
    rows = []
    for page in (1, 2, 3):
        text = client.get(f"/locataire/offres?sort=-cost&page={page}").get_data(as_text=True)
        marks = re.findall(r"Compatible avec votre ménage|Non compatible", text)
        rows += [(mark != "Non compatible", cost) for mark, cost in zip(marks, _costs(text), strict=True)]
    # The compatible ones first, then the others, each group by decreasing cost.
    assert rows == sorted(rows, key=lambda r: (not r[0], -r[1])) and len(rows) == 6
    beyond = client.get("/locataire/offres?page=99").get_data(as_text=True)
    assert "page 3 sur 3" in beyond
    links = re.findall(
        r'<a href="([^"]*page=(\d)[^"]*)"( aria-current="page")?><span class="visually-hidden">', beyond
    )
    assert [(n, bool(current)) for _u, n, current in links] == [("1", False), ("2", False), ("3", True)]
    t4 = client.get("/locataire/offres?rooms=4").get_data(as_text=True)
    assert "2 logements" in t4 and set(re.findall(r"<td>T(\d)</td>", t4)) == {"4"}
    cheap = client.get("/locataire/offres?max_cost=420").get_data(as_text=True)
    assert "3 logements" in cheap  # D2, D3 and D5 at 400 € (D1, the tenant's own, is never listed)
    none = client.get("/locataire/offres?commune=Zville&rooms=6").get_data(as_text=True)
    assert "Aucun logement ne correspond à ces filtres." in none
    odd = client.get("/locataire/offres?rooms=abc&page=-4&sort=drop").get_data(as_text=True)
    assert "6 logements · page 1 sur 3" in odd


def test_request_page_explains_criteria_in_french(client):
    login(client, "h2")  # four people in a T2 of 50 m²
    page = html.unescape(client.get("/locataire/demande").get_data(as_text=True))
    assert "votre ménage de 4 personnes a besoin d'au moins 3 pièces" in page
    assert re.search(r"Critère rempli</span>\s*<strong>Suroccupation</strong>", page)
    assert "aucun lieu de travail n'est connu pour votre ménage." in page
    assert '<label for="max_cost">' in page and 'aria-describedby="max_cost-aide"' in page


def test_household_without_request_files_one(client, db):
    hid = db.scalar(select(m.Household.id).where(m.Household.ref == "H3"))
    request = db.scalars(select(m.Request).where(m.Request.household_id == hid)).one()
    request.status, request.closed_on = "closed", date(2026, 1, 2)
    db.commit()
    login(client, "h3")
    home = html.unescape(client.get("/locataire/").get_data(as_text=True))
    assert "Vous n'avez pas de demande d'échange en cours." in home
    page = html.unescape(client.get("/locataire/demande").get_data(as_text=True))
    assert "Déposer une demande d'échange" in page
    offers = client.get("/locataire/offres").get_data(as_text=True)
    assert "Compatible avec votre ménage" not in offers  # no request, no wishes: nothing is marked
    response = client.post("/locataire/demande", data={"communes": ["Zville"], "max_cost": "600"})
    assert response.status_code == 302
    assert "Votre demande a été déposée." in client.get("/locataire/").get_data(as_text=True)
    db.expire_all()
    rows = db.scalars(select(m.Request).where(m.Request.household_id == hid).order_by(m.Request.id)).all()
    assert [r.status for r in rows] == ["closed", "open"]
    assert rows[1].communes == ["Zville"] and rows[1].accept_qpv is False and rows[1].max_cost == 600.0
    unknown = client.post("/locataire/demande", data={"communes": ["Atlantide"], "max_cost": "600"})
    assert unknown.status_code == 200 and 'id="communes-erreur"' in unknown.get_data(as_text=True)
    assert "n&#39;est pas un choix valide" in unknown.get_data(as_text=True)
    typo = html.unescape(
        client.post("/locataire/demande", data={"min_rooms": "deux", "max_cost": "6OO"}).get_data(
            as_text=True
        )
    )
    assert "N'est pas un entier valide." in typo and "N'est pas une valeur décimale valide." in typo


def _request_of(db, ref: str) -> m.Request:
    hid = db.scalar(select(m.Household.id).where(m.Household.ref == ref))
    return db.scalars(select(m.Request).where(m.Request.household_id == hid)).one()


def test_a_request_paused_after_lapsed_proposals_is_confirmed_from_the_home_page(client, db):
    request = _request_of(db, "H2")
    request.status, request.paused_why, request.silences = "paused", "silences", 2
    db.commit()
    login(client, "h2")
    home = html.unescape(client.get("/locataire/").get_data(as_text=True))
    assert "Votre demande est en pause : 2 propositions d'affilée sont restées sans réponse" in home
    assert 'action="/locataire/demande/confirmer"' in home and "Je confirme ma demande" in home
    # Editing the wishes keeps the request paused (and files no second one beside it).
    edited = client.post("/locataire/demande", data={"communes": ["Zville"], "max_cost": "640"})
    assert edited.status_code == 302
    db.rollback()  # a fresh read: the portal wrote in its own session
    again = _request_of(db, "H2")
    assert (again.status, again.max_cost) == ("paused", 640.0)
    response = client.post("/locataire/demande/confirmer")
    assert response.status_code == 302 and response.headers["Location"].endswith("/locataire/")
    home = html.unescape(client.get("/locataire/").get_data(as_text=True))
    assert "Votre demande est confirmée : elle participe de nouveau aux appariements." in home
    assert "Je confirme ma demande" not in home and "· en cours." in home
    db.rollback()  # a fresh read: the portal wrote in its own session
    confirmed = _request_of(db, "H2")
    assert (confirmed.status, confirmed.paused_why, confirmed.silences) == ("open", None, 0)
    client.post("/locataire/demande/confirmer")
    assert "Cette demande n'est pas en pause." in html.unescape(
        client.get("/locataire/").get_data(as_text=True)
    )


def test_a_request_paused_as_inadmissible_cannot_be_confirmed_by_the_household(client, db):
    request = _request_of(db, "H3")
    request.status, request.paused_why = "paused", "inadmissible"
    db.commit()
    login(client, "h3")
    home = html.unescape(client.get("/locataire/").get_data(as_text=True))
    assert "votre bailleur la réexamine" in home and "Je confirme ma demande" not in home
    client.post("/locataire/demande/confirmer")
    home = html.unescape(client.get("/locataire/").get_data(as_text=True))
    assert "attend l'examen du bailleur" in home
    client.post("/deconnexion")
    login(client, "alpha")  # H3's landlord reopens it through its own tools, not the tenant's form
    assert client.post("/locataire/demande/confirmer").status_code == 403
    db.rollback()  # a fresh read: the portal wrote in its own session
    assert _request_of(db, "H3").status == "paused"


def test_one_lapse_is_announced_before_the_pause(client, db):
    request = _request_of(db, "H4")
    request.silences = 1
    db.commit()
    login(client, "h4")
    home = html.unescape(client.get("/locataire/").get_data(as_text=True))
    assert "1 proposition récente est restée sans réponse" in home


def test_the_home_page_counts_down_to_the_answer_deadline_then_shows_the_replies(client, engine, db):
    from portal_helpers import run_scenario

    from exchange.models.workflow import ProposalMove

    run_scenario(engine)  # H1 <-> H2 proposed today, ten days to answer
    login(client, "h1")
    home = html.unescape(client.get("/locataire/").get_data(as_text=True))
    assert "Une proposition attend votre réponse jusqu'au" in home and "(encore 10 jours)" in home
    assert "Vos réponses" not in home  # no answer was ever due
    h1 = db.scalar(select(m.Household.id).where(m.Household.ref == "H1"))
    mine = db.scalars(select(ProposalMove).where(ProposalMove.household_id == h1)).one()
    client.post(f"/locataire/propositions/{mine.proposal_id}", data={"answer": "accept"})
    home = html.unescape(client.get("/locataire/").get_data(as_text=True))
    assert "attend votre réponse" not in home and "Vous avez répondu à votre proposition" in home
    assert "Vos réponses : 1 réponse dans le délai sur 1 proposition." in home
    # The destination CALEOL sees the same record in the move's dossier once both accepted.
    client.post("/deconnexion")
    login(client, "h2")
    client.post(f"/locataire/propositions/{mine.proposal_id}", data={"answer": "accept"})
    client.post("/deconnexion")
    landlord = db.scalar(
        select(m.Landlord.code)
        .join(m.Dwelling, m.Dwelling.landlord_id == m.Landlord.id)
        .where(m.Dwelling.id == mine.to_dwelling_id)
    )
    login(client, landlord.lower())
    dossier = html.unescape(client.get(f"/caleol/mouvements/{mine.id}").get_data(as_text=True))
    assert "<dt>Réponses aux propositions</dt><dd>1 réponse dans le délai sur 1 proposition</dd>" in dossier


def test_the_reply_record_counts_silences_apart():
    from exchange.portal import ReplyRecord

    assert ReplyRecord(0, 0).label == ""
    assert ReplyRecord(1, 1).label == "1 réponse dans le délai sur 1 proposition"
    assert ReplyRecord(3, 4).label == "3 réponses dans le délai sur 4 propositions"


def test_a_tenant_withdraws_from_an_accepted_proposal(client, engine, db):
    from portal_helpers import run_scenario

    from exchange.models.workflow import Proposal, ProposalMove

    run_scenario(engine)
    h1 = db.scalar(select(m.Household.id).where(m.Household.ref == "H1"))
    mine = db.scalars(select(ProposalMove).where(ProposalMove.household_id == h1)).one()
    url = f"/locataire/propositions/{mine.proposal_id}"
    login(client, "h1")
    assert "Se désister" not in html.unescape(client.get(url).get_data(as_text=True))  # not accepted yet
    client.post(url, data={"answer": "accept"})
    page = html.unescape(client.get(url).get_data(as_text=True))
    assert '<h2 id="desistement-titre">Se désister</h2>' in page
    assert '<label for="desistement-reason">Motif du désistement</label>' in page
    missing = client.post(f"{url}/desister", data={"desistement-reason": ""})
    assert missing.status_code == 302
    assert "Indiquez le motif du désistement." in html.unescape(client.get(url).get_data(as_text=True))
    other = client.post(f"{url}/desister", data={"desistement-reason": "other"})
    assert other.status_code == 302
    assert "Précisez le motif « autre »." in html.unescape(client.get(url).get_data(as_text=True))
    # The first step only asks for a confirmation: nothing is recorded yet.
    asked = html.unescape(
        client.post(f"{url}/desister", data={"desistement-reason": "timing"}).get_data(as_text=True)
    )
    assert "Confirmer votre désistement" in asked and "Je confirme mon désistement" in asked
    db.rollback()
    assert db.get(Proposal, mine.proposal_id).status == "proposed"
    done = client.post(f"{url}/desister", data={"desistement-reason": "timing", "desistement-confirmed": "1"})
    assert done.status_code == 302
    page = html.unescape(client.get(url).get_data(as_text=True))
    assert "Votre désistement est enregistré : la proposition est abandonnée pour tous ses ménages." in page
    assert "Se désister" not in page
    db.rollback()
    proposal = db.get(Proposal, mine.proposal_id)
    assert (proposal.status, proposal.failure) == ("failed", "withdrawn")
    late = client.post(f"{url}/desister", data={"desistement-reason": "timing", "desistement-confirmed": "1"})
    assert late.status_code == 302
    assert "Vous ne pouvez plus vous désister" in html.unescape(client.get(url).get_data(as_text=True))
    client.post("/deconnexion")
    login(client, "h2")  # not H2's to withdraw from another proposal
    h4 = db.scalar(select(m.Household.id).where(m.Household.ref == "H4"))
    theirs = db.scalar(select(ProposalMove.proposal_id).where(ProposalMove.household_id == h4))
    assert (
        client.post(
            f"/locataire/propositions/{theirs}/desister", data={"desistement-reason": "timing"}
        ).status_code
        == 404
    )

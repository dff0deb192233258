"""Issue 23's findings, one test each: what a French tenant or landlord agent met on the way."""

from __future__ import annotations

import html
import io
import re

import matplotlib
from journey_state import bring_to_journey_state
from portal_helpers import login
from sqlalchemy import select

from exchange import models as m
from exchange.models.workflow import AuditEvent, CommitteeDecision, Proposal, ProposalMove


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_a_confirmed_exchange_shows_its_move_date_and_next_steps_and_files_no_new_request(client, engine, db):
    ids = bring_to_journey_state(client, engine)
    login(client, "h3")  # H3's chain is confirmed: its request was closed
    home = _text(client.get("/locataire/"))
    assert "Votre échange est confirmé : déménagement prévu le" in home and "Prochaines étapes" in home
    assert "signer le nouveau bail" in home and "état des lieux de sortie" in home
    assert "Déposer une demande" not in home and "Une proposition vous attend" not in home
    assert home.index("Mon échange") < home.index("Mon ménage et mon logement actuel")
    refused = client.post("/locataire/demande", data={"max_cost": "600"}, follow_redirects=True)
    refusal = "Votre échange est confirmé : une nouvelle demande pourra être déposée après le déménagement."
    assert refusal in _text(refused)  # the workflow's refusal, as a sentence of the page
    db.rollback()
    hid = db.scalar(select(m.Household.id).where(m.Household.ref == "H3"))
    assert [r.status for r in db.scalars(select(m.Request).where(m.Request.household_id == hid))] == [
        "closed"
    ]
    assert db.get(Proposal, ids["proposal_h3"]).status == "confirmed"


def test_the_pending_proposal_and_its_answer_form_come_first(client, engine):
    ids = bring_to_journey_state(client, engine)
    login(client, "h1")
    home = _text(client.get("/locataire/"))
    assert home.index("Une proposition attend votre réponse") < home.index("Ma demande d'échange")
    page = _text(client.get(f"/locataire/propositions/{ids['proposal_h1']}"))
    assert page.index("Vous avez jusqu'au") < page.index("Suivi") < page.index("Ce qui change pour vous")
    assert page.index('name="answer"') < page.index("Ce qui change pour vous")
    # The tracker does not count the reader among the others, and its plurals are French.
    assert "votre réponse est attendue ; 1 autre ménage n'a pas encore répondu ; 10 jours restants" in page


def test_a_too_long_comment_is_refused_not_cut(client, engine, db):
    ids = bring_to_journey_state(client, engine)
    login(client, "h1")
    url = f"/locataire/propositions/{ids['proposal_h1']}"
    assert not re.search(
        r"\smaxlength=", client.get(url).get_data(as_text=True)
    )  # the browser would cut silently
    long = client.post(
        url, data={"answer": "refuse", "reason": "cost", "comment": "x" * 5000, "confirmed": "1"}
    )
    assert long.status_code == 200 and "1\u202f000 caractères au plus." in _text(long)
    db.rollback()
    assert db.get(ProposalMove, ids["move_h1"]).answer is None


def test_numbers_are_french_in_forms_and_a_comma_is_accepted(client, db):
    login(client, "h1")
    page = _text(client.get("/locataire/demande"))
    assert re.search(r'id="max_cost"[^>]*value="\d+,00"', page)
    assert 'type="number"' not in page and 'id="communes-0" name="communes" type="checkbox"' in page
    assert client.post("/locataire/demande", data={"max_cost": "612,5"}).status_code == 302
    db.rollback()
    assert 612.5 in [float(r.max_cost) for r in db.scalars(select(m.Request))]
    client.post("/deconnexion")
    login(client, "admin")
    policy = _text(client.get("/territoire/politique"))
    assert "Par défaut : 9." in policy and "9.0" not in policy
    assert "earth_radius_km" not in policy and "Rayon terrestre" not in policy
    values = dict(
        re.findall(r'<input[^>]*id="([a-z_0-9]+)"[^>]*inputmode="[a-z]+"[^>]*value="([^"]*)"', policy)
    )
    assert client.post("/territoire/politique", data={**values, "job_distance_km": "2,5"}).status_code == 302
    db.rollback()
    assert db.scalar(select(m.Territory.policy))["job_distance_km"] == 2.5
    bad = _text(client.post("/territoire/politique", data={**values, "max_cycle": "9"}))
    error = re.search(r'<p class="error" id="max_cycle-erreur">([^<]*)</p>', bad).group(1)
    assert error == "Indiquez une valeur entre 2 et 5."  # the range, and no label repeated


def test_the_offers_filter_reports_a_bad_amount_in_french(client):
    login(client, "h1")
    page = _text(client.get("/locataire/offres?max_cost=beaucoup"))
    assert "« beaucoup » n'est pas un montant" in page and 'aria-invalid="true"' in page
    assert "novalidate" in page and 'type="number"' not in page
    counted = re.compile(r"(\d+ logements?) · page")
    typed = counted.search(_text(client.get("/locataire/offres?max_cost=420,50"))).group(1)
    assert typed == counted.search(_text(client.get("/locataire/offres?max_cost=420"))).group(1)


def test_the_run_report_explains_its_figures(client, engine):
    ids = bring_to_journey_state(client, engine)
    login(client, "admin")
    report = _text(client.get(f"/territoire/appariements/{ids['run']}"))
    assert "Mouvements possibles" in report and "(arcs)" not in report
    assert "Borne" not in report and "Points (objectif)" not in report
    assert "le calcul cherche le plus grand total" in report


def test_a_decided_dossier_no_longer_awaits_and_its_decision_can_be_corrected(client, engine, db):
    ids = bring_to_journey_state(client, engine)
    login(client, "beta")
    url = f"/caleol/mouvements/{ids['move_h4']}"
    page = _text(client.get(url))
    assert "décision attendue avant" not in page and "décision prise le" in page
    assert "<strong>Attribution</strong> le" in page and "Corriger la décision" in page
    missing = client.post(
        f"{url}/correction", data={"correction-kind": "non_attribution", "correction-reason": "x"}
    )
    assert missing.status_code == 422 and "Indiquez pourquoi la décision est corrigée." in _text(missing)
    done = client.post(
        f"{url}/correction",
        data={
            "correction-kind": "conditional",
            "correction-reason": "Attribution sous réserve de l'avis d'imposition.",
            "correction-condition": "avis d'imposition",
            "correction-condition_due": "2099-01-31",
            "correction-correction": "Erreur de saisie : la commission a posé une condition.",
        },
    )
    assert done.status_code == 302
    db.rollback()
    decision = db.scalars(select(CommitteeDecision).where(CommitteeDecision.move_id == ids["move_h4"])).one()
    assert (decision.kind, decision.condition_status) == ("conditional", "pending")
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "move.decision_corrected")).one()
    assert event.before["decision"] == "attribution" and event.after["correction"].startswith("Erreur")
    page = _text(client.get(url))
    assert "Décision corrigée le" in page and "elle remplace : attribution" in page
    # A confirmed proposal's decisions are final.
    confirmed = f"/caleol/mouvements/{ids['move_h3']}"
    assert "Corriger la décision" not in _text(client.get(confirmed))
    late = client.post(
        f"{confirmed}/correction",
        data={"correction-kind": "attribution", "correction-reason": "x", "correction-correction": "x"},
        follow_redirects=True,
    )
    assert "ne peut plus être corrigée" in _text(late)


def test_the_api_corrects_a_decision_until_the_proposal_is_confirmed(app, engine, api_conformance):
    client = app.test_client()
    ids = bring_to_journey_state(client, engine)
    token = client.post("/api/v1/tokens", json={"login": "beta", "password": "motdepasse-test"}).get_json()
    headers = {"Authorization": f"Bearer {token['token']}"}
    body = {"kind": "non_attribution", "reason": "Ressources trop élevées.", "correction": "Mauvais bouton."}
    corrected = client.post(f"/api/v1/moves/{ids['move_h4']}/decision/correction", json=body, headers=headers)
    assert corrected.status_code == 200 and corrected.get_json()["decision"]["kind"] == "non_attribution"
    assert corrected.get_json()["status"] == "failed"  # a refusal settles the proposal at once
    again = client.post(f"/api/v1/moves/{ids['move_h4']}/decision/correction", json=body, headers=headers)
    assert again.status_code == 409
    no_why = client.post(
        f"/api/v1/moves/{ids['move_h3']}/decision/correction",
        json={**body, "correction": " "},
        headers=headers,
    )
    assert no_why.status_code == 422 and "correction" in no_why.get_json()["messages"]


def test_the_awaited_answers_come_a_page_at_a_time(client, engine, monkeypatch):
    import web.committee

    bring_to_journey_state(client, engine)
    monkeypatch.setattr(web.committee, "AWAITED_PER_PAGE", 1)
    login(client, "beta")  # H2 (in BETA's D2) has still to answer the swap with H1
    login(client, "alpha")  # H1 (in ALPHA's D1) too
    page = _text(client.get("/caleol/"))
    rows = page.split('id="reponses-titre"')[1].split("</tbody>")[0].count("<tr>")
    assert rows == 2  # the header and one answer
    assert "Page 1 sur" in page or "Réponses attendues de vos locataires (1)" in page


def test_the_statistics_show_the_flows_after_decisions_with_whole_ticks(client, engine):
    bring_to_journey_state(client, engine)
    login(client, "admin")
    stats = _text(client.get("/territoire/statistiques"))
    flows = stats.split("Flux entre bailleurs")[2].split("</table>")[0]  # after the title and caption
    assert re.search(r'<th scope="row">ALPHA</th><td>0</td><td>1</td>', flows)  # H3: ALPHA's D3 -> BETA's D9
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # tick labels as text, to read them
        svg = client.get("/territoire/statistiques/decisions-caleol.svg").get_data(as_text=True)
    ticks = re.findall(r">([\d.,−-]+)</text>", svg)
    assert ticks and all(re.fullmatch(r"[−-]?\d+", t) for t in ticks), ticks


def test_an_unreadable_file_is_reported_without_the_parsers_english(client):
    login(client, "admin")
    response = client.post(
        "/territoire/import",
        data={"document": (io.BytesIO(b"{} x"), "territoire.json")},
        content_type="multipart/form-data",
    )
    page = _text(response)
    assert response.status_code == 422 and "JSON illisible (ligne 1, colonne 4)." in page
    assert "Extra data" not in page and "(char" not in page

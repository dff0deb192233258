"""Territory space: import (all or nothing, errors per field), policy, runs and reports, statistics."""

from __future__ import annotations

import io
import json
import re

import portal_scenario as scenario
from portal_helpers import login
from sqlalchemy import func, select

from exchange import models as m
from exchange.models.workflow import Proposal, Run


def _upload(client, document, name="territoire.json"):
    data = document if isinstance(document, bytes) else json.dumps(document).encode()
    return client.post(
        "/territoire/import",
        data={"document": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_import_updates_the_territory(client, db):
    login(client, "admin")
    doc = scenario.document()
    doc["territory"]["name"] = "Territoire renommé"
    doc["dwellings"][6]["rent"] = 431.0  # D9, the offered vacancy
    response = _upload(client, doc)
    assert response.status_code == 302 and response.headers["Location"] == "/territoire/"
    page = client.get("/territoire/").get_data(as_text=True)
    assert "Territoire TWEB mis à jour" in page and "Territoire renommé" in page
    assert db.scalar(select(m.Territory.name)) == "Territoire renommé"
    assert db.scalar(select(m.Dwelling.rent).where(m.Dwelling.ref == "D9")) == 431.0


def test_invalid_import_shows_each_error_and_changes_nothing(client, db):
    login(client, "admin")
    doc = scenario.document()
    doc["territory"]["name"] = "Ne doit pas être enregistré"
    doc["households"][0]["members"][0]["age"] = -3
    doc["dwellings"][1]["rooms"] = "trois"
    response = _upload(client, doc)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Le fichier a été refusé : 2 problèmes" in page
    assert "households[0].members[0].age" in page and "dwellings[1].rooms" in page
    assert db.scalar(select(m.Territory.name)) == "Territoire du portail"
    assert db.scalar(select(m.Dwelling.rooms).where(m.Dwelling.ref == "D2")) == 2


def test_import_of_another_territory_or_bad_json_is_refused(client, db):
    login(client, "admin")
    other = _upload(client, scenario.document(code="AUTRE"))
    assert other.status_code == 422 and "territory.code" in other.get_data(as_text=True)
    garbage = _upload(client, b"{pas du json")
    assert garbage.status_code == 422 and "JSON illisible" in garbage.get_data(as_text=True)
    missing = client.post("/territoire/import", data={}, content_type="multipart/form-data")
    text = missing.get_data(as_text=True)
    assert "Choisissez un fichier." in text and 'aria-describedby="document-aide document-erreur"' in text
    assert db.scalar(select(func.count()).select_from(m.Territory)) == 1


def test_policy_form_validates_and_stores(client, db):
    login(client, "admin")
    page = client.get("/territoire/politique").get_data(as_text=True)
    assert re.search(r'<label for="job_distance_km">Distance maximale', page)
    assert 'id="job_distance_km"' in page and 'value="30' in page  # the scenario's own threshold
    values = {
        name: re.search(rf'id="{name}"[^>]*value="([^"]*)"', page).group(1)
        for name in re.findall(r'<input[^>]*id="([a-z_0-9]+)"[^>]*inputmode="(?:numeric|decimal)"', page)
    }
    assert "max_cycle" in values and "points_overcrowding" in values
    bad = client.post("/territoire/politique", data={**values, "max_cycle": "9"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert re.search(
        r'id="max_cycle"[^>]*aria-describedby="max_cycle-aide max_cycle-erreur"', text
    ) or re.search(r'aria-describedby="max_cycle-aide max_cycle-erreur"[^>]*id="max_cycle"', text)
    assert "Indiquez une valeur entre 2 et 5." in text
    db.rollback()
    assert (db.scalar(select(m.Territory.policy)) or {}).get("max_cycle") is None
    ok = client.post("/territoire/politique", data={**values, "job_distance_km": "25", "points_dalo": "80"})
    assert ok.status_code == 302
    db.rollback()
    stored = db.scalar(select(m.Territory.policy))
    assert stored["job_distance_km"] == 25.0 and stored["points_dalo"] == 80
    missing = client.post("/territoire/politique", data={**values, "points_move": ""})
    assert missing.status_code == 422 and "Indiquez une valeur." in missing.get_data(as_text=True)


def test_admin_starts_a_run_and_reads_its_report(client, db):
    login(client, "admin")
    response = client.post("/territoire/appariements", data={"as_of": "2026-01-05"})
    assert response.status_code == 302
    job_page = response.headers["Location"]
    assert job_page.startswith("/territoire/appariements/lancements/")
    run_id = db.scalar(select(Run.id))
    finished = client.get(job_page)  # solved within the request here (RUNS_IN_BACKGROUND off)
    assert (
        finished.status_code == 302 and finished.headers["Location"] == f"/territoire/appariements/{run_id}"
    )
    report = client.get(finished.headers["Location"]).get_data(as_text=True)
    assert "Rapport de l'appariement" in report and "optimal" in report
    proposals = db.scalar(select(func.count()).select_from(Proposal).where(Proposal.run_id == run_id))
    assert proposals >= 1
    assert report.count("en attente des réponses des ménages") == proposals
    listing = client.get("/territoire/appariements").get_data(as_text=True)
    assert f"Appariement n° {run_id}" in listing
    home = client.get("/territoire/").get_data(as_text=True)
    assert f'href="/territoire/appariements/{run_id}"' in home


def test_statistics_page_and_charts(client):
    login(client, "admin")
    client.post("/territoire/appariements", data={"as_of": "2026-01-05"})
    page = client.get("/territoire/statistiques").get_data(as_text=True)
    charts = re.findall(r'<img class="chart" src="([^"]+)" alt="([^"]+)"', page)
    assert len(charts) >= 2 and all(alt.startswith("Diagramme en barres") for _src, alt in charts)
    for src, _alt in charts:
        svg = client.get(src.replace("&amp;", "&"))
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    assert client.get("/territoire/statistiques/inconnu.svg").status_code == 404
    assert "Flux entre bailleurs" in page


def test_minutes_list_the_sessions_decisions(client, engine, db):
    from portal_helpers import run_scenario

    from exchange.models.workflow import ProposalMove

    run_scenario(engine)
    hid = {ref: i for ref, i in db.execute(select(m.Household.ref, m.Household.id)).all()}
    moves = {mv.household_id: mv for mv in db.scalars(select(ProposalMove)).all()}
    h1, h2 = moves[hid["H1"]], moves[hid["H2"]]
    for user in ("h1", "h2"):
        login(client, user)
        client.post(f"/locataire/propositions/{h1.proposal_id}", data={"answer": "accept"})
        client.post("/deconnexion")
    login(client, "alpha")  # H2 moves into ALPHA's D1
    missing = client.post(f"/caleol/mouvements/{h2.id}", data={"kind": "ranked", "reason": "Classement."})
    assert missing.status_code == 422 and "Indiquez le rang du candidat." in missing.get_data(as_text=True)
    decided = client.post(
        f"/caleol/mouvements/{h2.id}", data={"kind": "non_attribution", "reason": "Ressources insuffisantes."}
    )
    assert decided.status_code == 302
    minutes = client.get("/caleol/proces-verbal").get_data(as_text=True)
    assert "Procès-verbal de la CALEOL — Alpha Habitat" in minutes
    assert (
        f"n° {h2.id}" in minutes and "Ressources insuffisantes." in minutes and "D1 (T4, Xville)" in minutes
    )
    assert f"n° {h1.id}" not in minutes  # BETA's move is not in ALPHA's minutes
    assert "data-print" in minutes and 'class="filters no-print"' in minutes and "Signatures" in minutes
    with client.get("/static/style.css") as response:
        css = response.get_data(as_text=True)
    assert "@media print" in css and ".no-print" in css.split("@media print")[1]
    empty = client.get("/caleol/proces-verbal?start=2020-01-01&end=2020-01-31").get_data(as_text=True)
    assert "Aucune décision sur cette période." in empty

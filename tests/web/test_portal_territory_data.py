"""Territory space: CSV upload (RPLS, demand register) all or nothing, and the yearly settings form."""

from __future__ import annotations

import html
import io
import json
import re

from databases import on_every_backend
from portal_helpers import PASSWORD, login
from sqlalchemy import func, select

from exchange import models as m
from exchange.models.yearly import LandlordYear, TerritoryYear

pytestmark = on_every_backend()

MAPPING = {
    "communes": {"97100": {"qpv": "X-Q", "hors_qpv": "X-C"}, "97200": "Y-C"},
    "dwellings": {
        "columns": {
            "ref": "NUMLOG",
            "bailleur": "BAILLEUR",
            "commune": "DEPCOM",
            "qpv": "QPV",
            "rooms": "NBPIECE",
            "surface_m2": "SURFHAB",
            "floor": "ETAGE",
            "elevator": "ASCENSEUR",
            "rent": "LOYER",
            "lat": "LAT",
            "lon": "LON",
        },
        "defaults": {"charges": 50},
    },
}
HEADER = "NUMLOG;BAILLEUR;DEPCOM;QPV;NBPIECE;SURFHAB;ETAGE;ASCENSEUR;LOYER;LAT;LON"


def _upload(client, rows, mapping=MAPPING):
    csv = "\n".join((HEADER, *rows)).encode("utf-8")
    return client.post(
        "/territoire/import/csv",
        data={
            "mapping": (io.BytesIO(json.dumps(mapping).encode()), "correspondance.json"),
            "dwellings": (io.BytesIO(csv), "rpls.csv"),
        },
        content_type="multipart/form-data",
    )


def _text(response):
    return html.unescape(response.get_data(as_text=True))


def _dwellings(db):
    db.rollback()  # a new snapshot: the portal wrote through its own session
    return db.scalar(select(func.count()).select_from(m.Dwelling))


def test_a_csv_upload_adds_dwellings_in_the_sector_of_their_commune(client, db):
    login(client, "admin")
    before = _dwellings(db)
    page = _text(client.get("/territoire/import"))
    assert "Importer des fichiers CSV (RPLS, fichier de la demande)" in page
    response = _upload(
        client,
        ["D100;ALPHA;97100;oui;T3;64,5;2;O;350;4,9;-52,3", "D101;BETA;97200;non;2;45;0;N;260;4,9;-52,3"],
    )
    assert response.status_code == 302 and response.headers["Location"] == "/territoire/"
    assert "Territoire TWEB mis à jour" in _text(client.get("/territoire/"))
    assert _dwellings(db) == before + 2
    sectors = dict(
        db.execute(
            select(m.Dwelling.ref, m.Sector.code).join(m.Sector).where(m.Dwelling.ref.in_(["D100", "D101"]))
        ).all()
    )
    assert sectors == {"D100": "X-Q", "D101": "Y-C"}


def test_a_bad_csv_upload_lists_lines_and_columns_and_changes_nothing(client, db):
    login(client, "admin")
    before = _dwellings(db)
    response = _upload(
        client,
        [
            "D100;ALPHA;97999;non;T3;64,5;2;O;350;4,9;-52,3",
            "D100;ALPHA;97100;non;3;45;0;N;;4,9;-52,3",
            "D102;GAMMA;97100;non;3;45;0;N;300;4,9;-52,3",
        ],
    )
    page = _text(response)
    assert response.status_code == 422
    assert "Les fichiers ont été refusés : 4 problèmes" in page
    assert "rpls.csv, ligne 2, colonne DEPCOM" in page and "commune inconnue : 97999" in page
    assert "rpls.csv, ligne 3, colonne NUMLOG" in page and "D100 en double (déjà ligne 2)" in page
    assert "rpls.csv, ligne 3, colonne LOYER" in page and "valeur manquante" in page
    assert "rpls.csv, ligne 4, colonne BAILLEUR" in page and "bailleur inconnu : GAMMA" in page
    assert _dwellings(db) == before


def test_a_bad_mapping_or_no_csv_file_is_refused(client, db):
    login(client, "admin")
    bad = _upload(client, [], mapping={"dwellings": {"columns": {"pieces": "NBPIECE"}}})
    assert bad.status_code == 422 and "correspondance dwellings.columns.pieces" in _text(bad)
    alone = client.post(
        "/territoire/import/csv",
        data={"mapping": (io.BytesIO(b"{}"), "correspondance.json")},
        content_type="multipart/form-data",
    )
    assert alone.status_code == 422 and "Choisissez au moins un fichier CSV." in _text(alone)


def test_the_yearly_settings_form_stores_the_threshold_and_attributions(client, db):
    login(client, "admin")
    assert client.get("/territoire/annee").headers["Location"].startswith("/territoire/annee/20")
    assert client.get("/territoire/annee?annee=2031").headers["Location"] == "/territoire/annee/2031"
    page = _text(client.get("/territoire/annee/2026"))
    assert "Réglages de l'année 2026" in page and "Attributions de l'année : ALPHA" in page
    fields = dict(re.findall(r'<label for="(attributions_\d)">Attributions de l\'année : (\w+)', page))
    by_code = {code: name for name, code in fields.items()}
    response = client.post(
        "/territoire/annee/2026",
        data={"first_quartile_eur": "9 876,5", by_code["ALPHA"]: "420", by_code["BETA"]: ""},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/territoire/annee/2026"
    assert "Les réglages de 2026 sont enregistrés." in client.get("/territoire/annee/2026").get_data(
        as_text=True
    )
    assert db.scalar(select(TerritoryYear.first_quartile_eur).where(TerritoryYear.year == 2026)) == 9876.5
    stored = dict(db.execute(select(m.Landlord.code, LandlordYear.attributions).join(LandlordYear)).all())
    assert stored == {"ALPHA": 420}


def test_the_yearly_settings_form_says_what_is_wrong_beside_each_field(client, db):
    login(client, "admin")
    page = _text(client.get("/territoire/annee/2027"))
    fields = dict(re.findall(r'<label for="(attributions_\d)">Attributions de l\'année : (\w+)', page))
    by_code = {code: name for name, code in fields.items()}
    response = client.post(
        "/territoire/annee/2027",
        data={"first_quartile_eur": "-5", by_code["ALPHA"]: "-3", by_code["BETA"]: "douze"},
    )
    page = _text(response)
    assert response.status_code == 422
    assert "N'est pas un entier valide" in page
    assert db.scalar(select(func.count()).select_from(TerritoryYear)) == 0
    response = client.post(
        "/territoire/annee/2027", data={"first_quartile_eur": "-5", by_code["ALPHA"]: "-3"}
    )
    page = _text(response)
    assert response.status_code == 422
    assert "Un montant en euros strictement positif" in page
    assert re.search(r"Un nombre entier entre 0 et \d+ pour ALPHA, reçu -3", page)
    assert db.scalar(select(func.count()).select_from(TerritoryYear)) == 0
    assert db.scalar(select(func.count()).select_from(LandlordYear)) == 0
    assert client.get("/territoire/annee/1999").status_code == 404


def test_the_new_forms_need_the_csrf_token(engine):
    from exchange import portal
    from web import create_app

    portal.clear_cache()
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "ENGINE": engine, "RATELIMIT_ENABLED": False})
    client = app.test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', _text(client.get("/connexion")))
    assert client.post(
        "/connexion", data={"login": "admin", "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert client.post("/territoire/annee/2026", data={"first_quartile_eur": "9000"}).status_code == 400
    assert client.post("/territoire/import/csv", data={}).status_code == 400

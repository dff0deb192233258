"""The objective and repair settings on the « Politique » page, and the objective's unit on the run page."""

from __future__ import annotations

import html
import re

from portal_helpers import login, run_scenario
from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange import models as m
from exchange.models.workflow import Run
from exchange.settings import run_settings


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_policy_page_sets_the_objective_and_the_repair(client, db) -> None:
    login(client, "admin")
    page = _text(client.get("/territoire/politique"))
    assert "Appariements et réparation" in page
    assert re.search(r'<input[^>]*checked[^>]*value="points"|<input[^>]*value="points"[^>]*checked', page)
    assert re.search(r'<input(?=[^>]*id="repair")[^>]*checked', page)
    code = db.scalar(select(m.Territory.code))
    bad = client.post("/territoire/politique/appariements", data={"objective": "moves"})
    assert bad.status_code == 422 and "Le formulaire contient" in _text(bad)
    db.rollback()
    assert run_settings(db, code).objective == "points"
    ok = client.post("/territoire/politique/appariements", data={"objective": "expected"})
    assert ok.status_code == 302 and ok.headers["Location"] == "/territoire/politique"
    db.rollback()
    stored = run_settings(db, code)
    assert (stored.objective, stored.repair) == ("expected", False)  # an unticked box turns repair off
    assert stored.priority_floor_pct == 100  # not sent: unchanged
    again = _text(client.get("/territoire/politique"))
    assert re.search(
        r'<input[^>]*value="expected"[^>]*checked|<input[^>]*checked[^>]*value="expected"', again
    )
    assert re.search(r'<input(?=[^>]*id="priority_floor_pct")[^>]*value="100"', again)
    assert "Plancher des ménages prioritaires (DALO, handicap) (%)" in again
    wrong = client.post(
        "/territoire/politique/appariements", data={"objective": "expected", "priority_floor_pct": "120"}
    )
    assert wrong.status_code == 422 and "Un pourcentage entre 0 et 100." in _text(wrong)
    db.rollback()
    assert run_settings(db, code).priority_floor_pct == 100
    floor = {"objective": "expected", "repair": "y", "priority_floor_pct": "50"}
    assert client.post("/territoire/politique/appariements", data=floor).status_code == 302
    db.rollback()
    assert run_settings(db, code).priority_floor_pct == 50


def test_run_page_shows_the_objective_in_its_unit(client, engine) -> None:
    run_scenario(engine)
    with Session(engine) as session, session.begin():
        run = session.scalars(select(Run)).one()
        run.params, run.objective, run.bound = {"objective": "expected"}, 123456, 150000.0
        run_id = run.id
    login(client, "admin")
    page = _text(client.get(f"/territoire/appariements/{run_id}"))
    assert "espérance des points des mouvements menés à bien" in page
    assert re.search(r"Total atteint \(points espérés\)\s*</dt>\s*<dd>123,5<", page), page
    assert re.search(r"Meilleur total possible \(points espérés\)\s*</dt>\s*<dd>150,0<", page)
    assert "Points (objectif)" not in page
    listing = _text(client.get("/territoire/appariements"))
    assert '<td class="num">123,5</td>' in listing

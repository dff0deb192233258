"""Runs started from the portal solve in the background: the request returns at once, the page shows
« en cours » then the report, or « échec » with its reason and nothing written; one at a time."""

from __future__ import annotations

import html
import threading
import time
from datetime import date, datetime, timedelta

import pytest
from portal_helpers import PASSWORD, login
from sqlalchemy import func, select

from exchange import models as m
from exchange import runs
from exchange.errors import ExchangeError
from exchange.models.workflow import AuditEvent, Proposal, Run, RunJob, RunLock
from web import background


def _count(db, model):
    db.rollback()  # see what the other connections committed
    return db.scalar(select(func.count()).select_from(model))


def _text(response):
    return html.unescape(response.get_data(as_text=True))


def _poll_until_done(client, job_page, *, attempts=600):
    """GET the job page until it leaves « en cours » (bounded: ``attempts`` × 50 ms at most)."""
    for _ in range(attempts):
        response = client.get(job_page)
        if response.status_code != 200 or "en cours" not in response.get_data(as_text=True):
            return response
        time.sleep(0.05)
    raise AssertionError(f"{job_page} still « en cours » after {attempts} polls")


def test_a_run_solves_in_a_thread_and_a_second_one_is_refused_meanwhile(app, client, db, monkeypatch):
    app.config["RUNS_IN_BACKGROUND"] = True
    reached, release = threading.Event(), threading.Event()

    def hold(stage):  # the run stops once it holds the territory's lock, until the test lets it go
        if stage == "locked":
            reached.set()
            release.wait(timeout=60)

    monkeypatch.setattr(runs, "_checkpoint", hold)
    token = client.post("/api/v1/tokens", json={"login": "admin", "password": PASSWORD}).get_json()["token"]
    api = {"Authorization": f"Bearer {token}"}  # taken before: on SQLite the run holds the write lock
    login(client, "admin")
    try:
        response = client.post("/territoire/appariements", data={"as_of": "2026-01-05"})
        assert response.status_code == 302  # returned while the run is still held
        job_page = response.headers["Location"]
        assert reached.wait(timeout=60), "the background run never started"
        page = _text(client.get(job_page))
        assert "<dd>en cours</dd>" in page and "Le calcul se poursuit en arrière-plan" in page
        assert "L'appariement est lancé" in page
        assert f"{date.today().year} à" in page  # « Lancé le lundi 23 novembre 2026 à 14 h 05 »
        listing = client.get("/territoire/appariements").get_data(as_text=True)
        assert "Un appariement est en cours depuis le" in listing and "<td>en cours</td>" in listing
        home = _text(client.get("/territoire/"))
        assert f'<dt>Appariement en cours</dt><dd><a href="{job_page}">lancé le' in home
        second = client.post("/territoire/appariements", data={"as_of": "2026-01-05"})
        assert second.status_code == 409
        text = _text(second)
        assert "Appariement non lancé : un appariement est déjà en cours pour ce territoire (lancé le" in text
        job_id = int(job_page.rsplit("/", 1)[1])
        api_job = client.get(f"/api/v1/territory/runs/jobs/{job_id}", headers=api).get_json()
        assert (api_job["status"], api_job["run_id"], api_job["finished_at"]) == ("running", None, None)
        api_second = client.post("/api/v1/territory/runs", headers=api, json={})
        assert api_second.status_code == 409
        assert api_second.get_json()["error"].startswith(
            "un appariement est déjà en cours pour ce territoire"
        )
        assert _count(db, RunJob) == 1 and _count(db, Run) == 0
    finally:
        release.set()
    done = _poll_until_done(client, job_page)
    db.rollback()
    run_id = db.scalar(select(Run.id))
    assert done.status_code == 302 and done.headers["Location"] == f"/territoire/appariements/{run_id}"
    with app.app_context():
        for thread in background.threads():
            thread.join(timeout=60)
            assert not thread.is_alive()
    db.rollback()
    job = db.scalars(select(RunJob)).one()
    assert (job.status, job.run_id, job.requested_by, job.error) == ("finished", run_id, "admin", None)
    assert _count(db, Proposal) >= 1
    listing = _text(client.get("/territoire/appariements"))
    assert (
        f'terminé : <a href="/territoire/appariements/{run_id}">appariement n°\u00a0{run_id}</a>' in listing
    )
    assert "Un appariement est en cours" not in listing
    assert "Appariement en cours" not in _text(client.get("/territoire/"))


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (RuntimeError("panne du solveur"), runs.INTERNAL_REASON),
        (
            ExchangeError("le territoire n'a aucune demande ouverte"),
            "le territoire n'a aucune demande ouverte",
        ),
    ],
)
def test_a_failed_run_shows_its_reason_and_writes_nothing(client, db, monkeypatch, error, shown):
    audit = _count(db, AuditEvent)

    def broken(*_args, **_kwargs):
        raise error

    monkeypatch.setattr(runs, "build_instance", broken)  # after the lock, the silences and the load
    login(client, "admin")
    response = client.post("/territoire/appariements", data={"as_of": "2026-01-05"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    text = _text(page)
    assert "<dd>échec</dd>" in text and f"Échec de l'appariement : {shown}." in text
    assert "Aucune proposition n'a été enregistrée" in text
    assert (_count(db, Run), _count(db, Proposal), _count(db, RunLock)) == (0, 0, 0)
    assert _count(db, AuditEvent) == audit
    job = db.scalars(select(RunJob)).one()
    assert job.status == "failed" and job.finished_at is not None
    listing = _text(client.get("/territoire/appariements"))
    assert f"échec : {shown}" in listing
    monkeypatch.undo()
    again = client.post("/territoire/appariements", data={"as_of": "2026-01-05"})  # not blocked
    assert client.get(again.headers["Location"]).status_code == 302
    assert _count(db, Run) == 1


def test_a_run_left_running_by_a_dead_server_turns_stale(client, db):
    tid = db.scalar(select(m.Territory.id))
    long_ago = datetime.now() - timedelta(hours=2)
    db.add(
        RunJob(
            territory_id=tid,
            as_of=date(2026, 1, 5),
            status="running",
            started_at=long_ago,
            stale_after=long_ago + timedelta(minutes=25),
        )
    )
    db.commit()
    login(client, "admin")
    listing = client.get("/territoire/appariements").get_data(as_text=True)
    assert "échec : le calcul a été interrompu" in listing and "Un appariement est en cours" not in listing
    response = client.post("/territoire/appariements", data={"as_of": "2026-01-05"})
    assert response.status_code == 302
    db.rollback()
    statuses = db.execute(select(RunJob.status, RunJob.error).order_by(RunJob.id)).all()
    assert statuses == [("failed", runs.STALE_REASON), ("finished", None)]


def test_only_the_territorys_admins_see_its_runs(client, db):
    login(client, "admin")
    job_page = client.post("/territoire/appariements", data={"as_of": "2026-01-05"}).headers["Location"]
    client.post("/deconnexion")
    for user in ("h1", "alpha"):
        login(client, user)
        assert client.get(job_page).status_code == 403, user
        assert client.post("/territoire/appariements", data={}).status_code == 403, user
        client.post("/deconnexion")
    other = m.Territory(code="AUTRE", name="Autre territoire", as_of=date(2026, 1, 1))
    db.add(other)
    db.flush()
    db.add(
        RunJob(
            territory_id=other.id,
            as_of=date(2026, 1, 5),
            status="running",
            started_at=datetime.now(),
            stale_after=datetime.now() + timedelta(hours=1),
        )
    )
    db.commit()
    foreign = db.scalar(select(RunJob.id).where(RunJob.territory_id == other.id))
    login(client, "admin")
    assert client.get(f"/territoire/appariements/lancements/{foreign}").status_code == 404
    listing = _text(client.get("/territoire/appariements"))
    assert "Lancement n°\u00a01<" in listing  # the admin's own job
    assert f"Lancement n°\u00a0{foreign}<" not in listing and "Un appariement est en cours" not in listing
    assert client.get("/territoire/appariements/lancements/9999").status_code == 404

"""SQLite: a tenant's answer during another writer's transaction (a run) waits, then says the truth.

Issue 16.7: the answer failed at once with « quelqu'un vient de modifier cette proposition… ».
A write request now takes the database's write lock before it reads anything, so it really waits
(``SQLITE_WRITE_WAIT_SECONDS``); past that it answers 503, « le calcul des propositions ».
"""

from __future__ import annotations

import threading
import time

import pytest
from portal_helpers import login, run_scenario
from sqlalchemy import select, text

from exchange import models as m
from exchange.models.workflow import ProposalMove


@pytest.fixture
def waiting_app(engine):
    from exchange import portal
    from web import create_app

    def make(seconds: float):
        portal.clear_cache()
        return create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "t",
                "ENGINE": engine,
                "WTF_CSRF_ENABLED": False,
                "RATELIMIT_ENABLED": False,
                "SQLITE_WRITE_WAIT_SECONDS": seconds,
            }
        )

    return make


def _h1_move(db):
    h1 = db.scalar(select(m.Household.id).where(m.Household.ref == "H1"))
    return db.scalars(select(ProposalMove).where(ProposalMove.household_id == h1)).one()


def _hold_write_lock(engine, release: threading.Event, taken: threading.Event) -> None:
    """Another writer, as a run is: the write lock taken and kept until ``release``."""
    with engine.connect() as conn:
        conn.execute(text("UPDATE run_lock SET locked_at = locked_at WHERE 1 = 0"))
        taken.set()
        release.wait(timeout=30)
        conn.rollback()


def _answer_while_locked(engine, client, url, hold_s: float):
    release, taken = threading.Event(), threading.Event()
    writer = threading.Thread(target=_hold_write_lock, args=(engine, release, taken))
    writer.start()
    taken.wait(timeout=10)
    timer = threading.Timer(hold_s, release.set)
    timer.start()
    try:
        return client.post(url, data={"answer": "accept"})
    finally:
        release.set()
        timer.cancel()
        writer.join(timeout=30)


def test_an_answer_waits_for_the_other_writer(engine, waiting_app, db):
    run_scenario(engine)
    move = _h1_move(db)
    client = waiting_app(10).test_client()
    login(client, "h1")
    url = f"/locataire/propositions/{move.proposal_id}"
    started = time.monotonic()
    response = _answer_while_locked(engine, client, url, hold_s=0.5)
    assert time.monotonic() - started >= 0.5  # it waited for the writer's end, then wrote
    assert response.status_code == 302 and response.headers["Location"] == url
    db.rollback()
    assert db.get(ProposalMove, move.id).answer == "accepted"


def test_past_the_wait_the_answer_says_a_run_is_writing(engine, waiting_app, db):
    run_scenario(engine)
    move = _h1_move(db)
    client = waiting_app(0.2).test_client()
    login(client, "h1")
    response = _answer_while_locked(engine, client, f"/locataire/propositions/{move.proposal_id}", hold_s=5)
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"] == "120"
    assert "le plus souvent le calcul des propositions" in page and "réessayez dans quelques minutes" in page
    assert "vient de modifier" not in page
    db.rollback()
    assert db.get(ProposalMove, move.id).answer is None
    assert client.get("/locataire/").status_code == 200  # reading goes on meanwhile

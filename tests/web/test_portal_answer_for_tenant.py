"""« Enregistrer la réponse du ménage »: a landlord's staff records the answer one of its tenants gave at the
agency, by phone or by letter (page and API), with French errors by field, a confirmation before a refusal,
CSRF; another landlord's staff gets a 404, a tenant the staff space's 403; the tracker names no one."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
from databases import on_every_backend
from portal_helpers import PASSWORD, login, run_scenario
from sqlalchemy import select, update

from exchange import models as m
from exchange.models.workflow import AuditEvent, Proposal, ProposalMove
from exchange.wording import long_date

pytestmark = on_every_backend()


@pytest.fixture
def ids(engine, db):
    run_scenario(engine)
    households = dict(db.execute(select(m.Household.ref, m.Household.id)).all())
    proposals = {
        ref: db.scalar(select(ProposalMove.proposal_id).where(ProposalMove.household_id == hid))
        for ref, hid in households.items()
    }
    return households, proposals


def _text(response) -> str:
    """The page's text: tags dropped, every run of spaces as one."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def _move(db, households, ref: str) -> ProposalMove:
    db.rollback()
    return db.scalars(select(ProposalMove).where(ProposalMove.household_id == households[ref])).one()


def _url(households, proposals, ref: str = "H1") -> str:
    return f"/caleol/locataires/{households[ref]}/propositions/{proposals[ref]}/reponse"


def test_staff_record_a_refusal_for_their_tenant_after_confirming_it(client, db, ids):
    households, proposals = ids
    login(client, "alpha")
    url = _url(households, proposals)
    listing = client.get("/caleol/locataires").get_data(as_text=True)
    assert f'href="{url}"' in listing and "Enregistrer la réponse du ménage" in listing
    assert f'href="{url}"' in client.get("/caleol/").get_data(as_text=True)  # « Réponses attendues » too
    page = _text(client.get(url))
    assert "Enregistrer la réponse du ménage H1" in page and "Comment le ménage a répondu" in page
    assert "Par téléphone" in page and "Au guichet" in page and "Par courrier" in page
    # Nothing chosen, then a refusal without reason or channel: each field says what is missing.
    empty = _text(client.post(url, data={}))
    assert "Choisissez si le ménage accepte ou refuse." in empty
    refused = _text(client.post(url, data={"answer": "refuse", "reason": ""}))
    assert "Motif du refus : Indiquez le motif du refus." in refused
    assert (
        "Comment le ménage a répondu : Indiquez comment le ménage a répondu : au guichet, par téléphone ou "
        "par courrier." in refused
    )
    other = _text(client.post(url, data={"answer": "refuse", "reason": "other", "channel": "phone"}))
    assert "Précisez le motif « autre »." in other
    # A refusal is confirmed first; nothing is written before.
    data = {"answer": "refuse", "reason": "cost", "comment": "loyer trop cher", "channel": "phone"}
    confirm = _text(client.post(url, data=data))
    assert "Confirmer le refus du ménage H1" in confirm and "(par téléphone), motif : coût" in confirm
    assert _move(db, households, "H1").answer is None
    done = client.post(url, data={**data, "confirmed": "1"}, follow_redirects=True)
    assert done.request.path == "/caleol/locataires"
    assert (
        f"La réponse du ménage H1 est enregistrée (par téléphone) : il refuse la proposition n° "
        f"{proposals['H1']}." in _text(done)
    )
    move = _move(db, households, "H1")
    assert (move.answer, move.refusal_reason, move.answer_note) == ("refused", "cost", "loyer trop cher")
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "move.refused")).one()
    assert (event.actor, event.after["entered_by"], event.after["channel"]) == ("alpha", "landlord", "phone")
    assert "n'attend plus la réponse du ménage H1" in _text(client.get(url))
    # The other household's tracker says how the answer came, never who entered it.
    client.post("/deconnexion")
    login(client, "h2")
    seen = _text(client.get(f"/locataire/propositions/{proposals['H2']}"))
    assert "a refusé ; réponse enregistrée par l'agence (par téléphone)" in seen and "alpha" not in seen


def test_staff_record_an_acceptance_and_the_household_reads_it(client, db, ids):
    households, proposals = ids
    login(client, "alpha")
    done = client.post(
        _url(households, proposals), data={"answer": "accept", "channel": "desk"}, follow_redirects=True
    )
    assert "La réponse du ménage H1 est enregistrée (au guichet) : il accepte la proposition" in _text(done)
    assert _move(db, households, "H1").answer == "accepted"
    client.post("/deconnexion")
    login(client, "h1")
    mine = _text(client.get(f"/locataire/propositions/{proposals['H1']}"))
    assert "Votre réponse : vous avez accepté ; réponse enregistrée par l'agence (au guichet) ." in mine


def test_after_the_deadline_the_answer_is_refused_in_french(client, db, ids):
    households, proposals = ids
    db.execute(
        update(Proposal)
        .where(Proposal.id == proposals["H1"])
        .values(answer_deadline=date.today() - timedelta(days=1))
    )
    db.commit()
    login(client, "alpha")
    url = _url(households, proposals)
    page = _text(client.post(url, data={"answer": "accept", "channel": "phone"}, follow_redirects=True))
    expired = long_date(date.today() - timedelta(days=1))
    assert (
        f"Le délai de réponse est dépassé (il expirait le {expired} à minuit)." in page
    )  # as the household's
    assert "n'attend plus la réponse du ménage H1" in page
    assert _move(db, households, "H1").answer is None


def test_another_landlord_gets_404_and_other_roles_403(client, db, ids):
    households, proposals = ids
    url = _url(households, proposals)
    login(client, "beta")  # H1 lives in an ALPHA dwelling
    assert client.get(url).status_code == 404
    assert client.post(url, data={"answer": "accept", "channel": "phone"}).status_code == 404
    assert "ménage H1" not in client.get("/caleol/locataires").get_data(as_text=True)
    # ALPHA's staff, for a proposal that is not H1's: 404 as well.
    client.post("/deconnexion")
    login(client, "alpha")
    not_h1 = f"/caleol/locataires/{households['H1']}/propositions/{proposals['H4']}/reponse"
    assert client.get(not_h1).status_code == 404
    for role in ("h1", "admin"):
        client.post("/deconnexion")
        login(client, role)
        assert client.post(url, data={"answer": "accept", "channel": "phone"}).status_code == 403
    assert _move(db, households, "H1").answer is None
    assert db.scalars(select(AuditEvent.id).where(AuditEvent.entity == "move")).all() == []


@pytest.fixture
def csrf_client(engine):
    from exchange import portal
    from web import create_app

    portal.clear_cache()
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "t",
            "ENGINE": engine,
            "DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "RATELIMIT_ENABLED": False,
        }
    )
    return app.test_client()


def _token(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    tag = re.search(r'<input[^>]*name="csrf_token"[^>]*>', page)
    assert tag is not None
    found = re.search(r'value="([^"]+)"', tag.group(0))
    assert found is not None
    return found.group(1)


def test_the_form_needs_its_csrf_token(csrf_client, db, ids):
    households, proposals = ids
    client = csrf_client
    client.post(
        "/connexion",
        data={"login": "alpha", "password": PASSWORD, "csrf_token": _token(client, "/connexion")},
    )
    url = _url(households, proposals)
    data = {"answer": "accept", "channel": "phone"}
    assert client.post(url, data=data).status_code == 400
    assert _move(db, households, "H1").answer is None
    token = _token(client, url)
    assert client.post(url, data={**data, "csrf_token": token}).status_code == 302
    assert _move(db, households, "H1").answer == "accepted"


@pytest.mark.usefixtures("api_conformance")
def test_the_api_records_the_answer_for_the_landlords_tenant(client, db, ids):
    households, proposals = ids

    def token(name: str) -> dict[str, str]:
        response = client.post("/api/v1/tokens", json={"login": name, "password": PASSWORD})
        return {"Authorization": f"Bearer {response.get_json()['token']}"}

    path = f"/api/v1/tenants/{households['H1']}/proposals/{proposals['H1']}/answer"
    beta, alpha = token("beta"), token("alpha")
    assert client.post(path, json={"accept": True, "channel": "phone"}, headers=beta).status_code == 404
    assert (
        client.post(path, json={"accept": True, "channel": "phone"}, headers=token("h1")).status_code == 403
    )
    missing = client.post(path, json={"accept": False, "reason": "cost"}, headers=alpha)
    assert missing.status_code == 422
    assert missing.get_json()["messages"] == {
        "channel": ["Indiquez comment le ménage a répondu : au guichet, par téléphone ou par courrier."]
    }
    answered = client.post(path, json={"accept": True, "channel": "mail"}, headers=alpha)
    assert answered.status_code == 200, answered.get_json()
    body = answered.get_json()
    assert body["id"] == proposals["H1"] and body["can_answer"] is False
    assert body["my_answer"] == "vous avez accepté ; réponse enregistrée par l'agence (par courrier)"
    again = client.post(path, json={"accept": True, "channel": "mail"}, headers=alpha)
    assert again.status_code == 409 and "a déjà répondu" in again.get_json()["error"]

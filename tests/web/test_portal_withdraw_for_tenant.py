"""« Enregistrer le retrait du ménage »: a landlord's staff records the withdrawal (désistement) one of its
tenants gave at the agency, by phone or by letter, from a proposal it accepted (page and API), with French
errors by field, a confirmation step, CSRF; another landlord's staff gets a 404, a tenant the staff
space's 403; the tracker names no one."""

from __future__ import annotations

import html
import re

import pytest
from databases import on_every_backend
from portal_helpers import PASSWORD, login, run_scenario
from sqlalchemy import select

from exchange import models as m
from exchange.models.workflow import AuditEvent, Proposal, ProposalMove

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
    return f"/caleol/locataires/{households[ref]}/propositions/{proposals[ref]}/desistement"


def _accept(client, proposals, ref: str = "H1") -> None:
    """The household accepts its proposal itself, on the portal."""
    client.post("/deconnexion")
    login(client, ref.lower())
    done = client.post(f"/locataire/propositions/{proposals[ref]}", data={"answer": "accept"})
    assert done.status_code == 302
    client.post("/deconnexion")


def test_staff_record_a_withdrawal_for_their_tenant_after_confirming_it(client, db, ids):
    households, proposals = ids
    url = _url(households, proposals)
    login(client, "alpha")
    assert f'href="{url}"' not in client.get("/caleol/locataires").get_data(as_text=True)  # not accepted
    assert "ne peut plus se désister" in _text(client.get(url))
    _accept(client, proposals)
    login(client, "alpha")
    listing = client.get("/caleol/locataires").get_data(as_text=True)
    assert f'href="{url}"' in listing and "Enregistrer le retrait du ménage" in listing
    answered = client.get(url.replace("/desistement", "/reponse")).get_data(as_text=True)
    assert f'href="{url}"' in answered  # the answer page, once accepted, leads to the withdrawal
    page = _text(client.get(url))
    assert "Enregistrer le retrait du ménage H1" in page and "Comment le ménage s'est désisté" in page
    assert "Par téléphone" in page and "Au guichet" in page and "Par courrier" in page
    # Nothing chosen: each field says what is missing; « autre » needs its précision.
    empty = _text(client.post(url, data={"reason": ""}))
    assert "Motif du désistement : Indiquez le motif du désistement." in empty
    assert (
        "Comment le ménage s'est désisté : Indiquez comment le ménage a répondu : au guichet, par téléphone "
        "ou par courrier." in empty
    )
    other = _text(client.post(url, data={"reason": "other", "channel": "phone"}))
    assert "Précisez le motif « autre »." in other
    # The withdrawal is confirmed first; nothing is written before.
    data = {"reason": "timing", "comment": "rentrée scolaire", "channel": "phone"}
    confirm = _text(client.post(url, data=data))
    assert "Confirmer le retrait du ménage H1" in confirm and "(par téléphone), motif : calendrier" in confirm
    assert _move(db, households, "H1").answer == "accepted"
    done = client.post(url, data={**data, "confirmed": "1"}, follow_redirects=True)
    assert done.request.path == "/caleol/locataires"
    assert (
        f"Le retrait du ménage H1 est enregistré (par téléphone) : la proposition n° {proposals['H1']} est "
        "abandonnée pour tous ses ménages." in _text(done)
    )
    move = _move(db, households, "H1")
    assert (move.answer, move.refusal_reason, move.answer_note) == ("refused", "timing", "rentrée scolaire")
    assert db.get(Proposal, proposals["H1"]).failure == "withdrawn"
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "move.withdrawn")).one()
    assert (event.actor, event.after["entered_by"], event.after["channel"]) == ("alpha", "landlord", "phone")
    assert "ne peut plus se désister" in _text(client.get(url))
    again = _text(client.post(url, data={**data, "confirmed": "1"}, follow_redirects=True))
    assert "Le ménage H1 ne peut plus se désister de cette proposition." in again
    # The other household's tracker says how the withdrawal came, never who entered it.
    client.post("/deconnexion")
    login(client, "h2")
    seen = _text(client.get(f"/locataire/propositions/{proposals['H2']}"))
    assert "a refusé ; retrait enregistré par l'agence (par téléphone)" in seen and "alpha" not in seen


def test_another_landlord_gets_404_and_other_roles_403(client, db, ids):
    households, proposals = ids
    url = _url(households, proposals)
    _accept(client, proposals)
    data = {"reason": "timing", "channel": "phone", "confirmed": "1"}
    login(client, "beta")  # H1 lives in an ALPHA dwelling
    assert client.get(url).status_code == 404
    assert client.post(url, data=data).status_code == 404
    # ALPHA's staff, for a proposal that is not H1's: 404 as well.
    client.post("/deconnexion")
    login(client, "alpha")
    not_h1 = f"/caleol/locataires/{households['H1']}/propositions/{proposals['H4']}/desistement"
    assert client.get(not_h1).status_code == 404
    for role in ("h1", "admin"):
        client.post("/deconnexion")
        login(client, role)
        assert client.post(url, data=data).status_code == 403
    assert _move(db, households, "H1").answer == "accepted"
    assert db.scalars(select(AuditEvent.id).where(AuditEvent.action == "move.withdrawn")).all() == []


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


def test_the_form_needs_its_csrf_token(client, csrf_client, db, ids):
    households, proposals = ids
    _accept(client, proposals)
    client = csrf_client
    client.post(
        "/connexion",
        data={"login": "alpha", "password": PASSWORD, "csrf_token": _token(client, "/connexion")},
    )
    url = _url(households, proposals)
    data = {"reason": "timing", "channel": "phone", "confirmed": "1"}
    assert client.post(url, data=data).status_code == 400
    assert _move(db, households, "H1").answer == "accepted"
    token = _token(client, url)
    assert client.post(url, data={**data, "csrf_token": token}).status_code == 302
    assert _move(db, households, "H1").answer == "refused"


@pytest.mark.usefixtures("api_conformance")
def test_the_api_records_the_withdrawal_for_the_landlords_tenant(client, db, ids):
    households, proposals = ids
    _accept(client, proposals)

    def token(name: str) -> dict[str, str]:
        response = client.post("/api/v1/tokens", json={"login": name, "password": PASSWORD})
        return {"Authorization": f"Bearer {response.get_json()['token']}"}

    path = f"/api/v1/tenants/{households['H1']}/proposals/{proposals['H1']}/withdraw"
    beta, alpha = token("beta"), token("alpha")
    body = {"reason": "timing", "channel": "phone"}
    assert client.post(path, json=body, headers=beta).status_code == 404
    assert client.post(path, json=body, headers=token("h1")).status_code == 403
    missing = client.post(path, json={"reason": "timing"}, headers=alpha)
    assert missing.status_code == 422
    assert missing.get_json()["messages"] == {
        "channel": ["Indiquez comment le ménage a répondu : au guichet, par téléphone ou par courrier."]
    }
    for bad, field in (({"channel": "desk"}, "reason"), ({**body, "comment": {}}, "comment")):
        refused = client.post(path, json=bad, headers=alpha)
        assert refused.status_code == 422 and field in refused.get_json()["messages"]
    withdrawn = client.post(path, json={**body, "channel": "mail"}, headers=alpha)
    assert withdrawn.status_code == 200, withdrawn.get_json()
    got = withdrawn.get_json()
    assert got["id"] == proposals["H1"] and got["status"] == "failed" and got["can_withdraw"] is False
    assert got["my_answer"] == "vous avez refusé ; retrait enregistré par l'agence (par courrier)"
    again = client.post(path, json=body, headers=alpha)
    assert again.status_code == 409 and "n'est plus en cours" in again.get_json()["error"]

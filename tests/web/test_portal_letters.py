"""Paper proposal letters on the portal: « Imprimer le courrier » on « Mes locataires » for a tenant with a
proposal awaiting its answer (PDF, recorded), the batch of the queue page for the households no e-mail
reaches; another landlord's staff gets a 404, a tenant the staff space's 403."""

from __future__ import annotations

import html
import io
import re

import pytest
from databases import on_every_backend
from portal_helpers import login, run_scenario
from pypdf import PdfReader
from sqlalchemy import select, update

from exchange import models as m
from exchange.models.workflow import AuditEvent, ProposalMove

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


def _pdf_text(response) -> str:
    reader = PdfReader(io.BytesIO(response.get_data()))
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in reader.pages))


def test_staff_print_the_letter_of_their_own_tenant(client, db, ids):
    households, proposals = ids
    login(client, "alpha")
    listing = _text(client.get("/caleol/locataires"))
    assert "Imprimer le courrier" in listing
    assert f"Proposition n° {proposals['H1']} · sans courriel · courrier pas encore imprimé" in listing
    url = f"/caleol/locataires/{households['H1']}/propositions/{proposals['H1']}/courrier"
    assert client.get(url).status_code == 405  # printing is recorded: a form's POST, never a GET
    printed = client.post(url)
    assert printed.status_code == 200 and printed.mimetype == "application/pdf"
    assert (
        f'filename="courrier-proposition-{proposals["H1"]}-H1.pdf"' in printed.headers["Content-Disposition"]
    )
    text = _pdf_text(printed)
    assert "Alpha Habitat" in text and "ménage n° H1" in text and "Xville centre" in text
    assert "portail de la bourse, http://localhost," in text  # how to answer on the portal
    assert "H2" not in text and "D2" not in text
    db.rollback()
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "letter.printed")).one()
    assert (event.actor, event.after["household"]) == ("alpha", "H1")
    assert "courrier imprimé le " in _text(client.get("/caleol/locataires"))
    # A household with no proposal awaiting it has nothing to print.
    none = client.post(f"/caleol/locataires/{households['H1']}/propositions/{proposals['H4']}/courrier")
    assert none.status_code == 404


def test_another_landlord_gets_404_and_a_tenant_403(client, db, ids):
    households, proposals = ids
    url = f"/caleol/locataires/{households['H1']}/propositions/{proposals['H1']}/courrier"
    login(client, "beta")  # H1 lives in an ALPHA dwelling
    assert client.post(url).status_code == 404
    assert "ménage H1" not in client.get("/caleol/locataires").get_data(as_text=True)
    client.post("/deconnexion")
    login(client, "h1")
    assert client.post(url).status_code == 403  # the staff space as a whole, whatever the household
    assert client.post("/caleol/courriers").status_code == 403
    db.rollback()
    assert db.scalar(select(AuditEvent.id).where(AuditEvent.action == "letter.printed")) is None


def test_the_queue_prints_the_letters_of_the_households_without_mail(client, db, ids):
    households, _proposals = ids
    db.execute(update(m.UserAccount).where(m.UserAccount.login == "h4").values(email="h4@example.org"))
    db.commit()
    login(client, "alpha")
    queue = _text(client.get("/caleol/"))
    assert "Courriers de proposition à imprimer" in queue
    assert "2 ménages de votre parc doivent répondre" in queue  # H1 and H3; H4 gets mail
    run = re.search(r'name="run" value="(\d+)"', client.get("/caleol/").get_data(as_text=True))
    assert run is not None
    printed = client.post("/caleol/courriers", data={"run": run.group(1)})
    assert printed.status_code == 200 and printed.mimetype == "application/pdf"
    text = _pdf_text(printed)
    assert "ménage n° H1" in text and "ménage n° H3" in text and "ménage n° H4" not in text
    db.rollback()
    printed_for = db.scalars(
        select(AuditEvent.after).where(AuditEvent.action == "letter.printed").order_by(AuditEvent.id)
    ).all()
    assert [after["household"] for after in printed_for] == ["H1", "H3"]
    # An unknown run is refused in French, nothing printed.
    refused = client.post("/caleol/courriers", data={"run": "999999"}, follow_redirects=True)
    assert "Appariement inconnu dans le territoire du bailleur : 999999." in _text(refused)

"""Paper proposal letters (DOMAIN.md §4, the digital divide): the landlord's staff prints the letter of a
proposal for one of its own tenants; a batch after a run holds exactly the households no e-mail reaches;
the letter shows the dwelling, the deadline in words and no trace of the other households (§5)."""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path

import portal_world
import pytest
import workflow_scenario as scenario
from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from exchange import portal, wording
from exchange.cli import cli
from exchange.db import get_engine
from exchange.errors import InvalidInput, NotFound
from exchange.models import Household, UserAccount
from exchange.models.workflow import AuditEvent, Proposal
from exchange.workflow import NotAllowed

URL = "https://bourse.example.org"


@pytest.fixture
def world(session):
    yield portal_world.build(session)
    portal.clear_cache()


def _text(pdf: bytes) -> str:
    """The PDF's text with every run of spaces (narrow no-break ones included) as one space."""
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def _pages(pdf: bytes) -> list[str]:
    return [re.sub(r"\s+", " ", p.extract_text()) for p in PdfReader(io.BytesIO(pdf)).pages]


def _same(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _mail(session, world, ref: str, email: str | None, *, active: bool = True) -> None:
    session.execute(
        update(UserAccount).where(UserAccount.id == world["rows"][ref].id).values(email=email, active=active)
    )
    session.flush()


def test_the_letter_shows_the_dwelling_the_deadline_and_nothing_of_the_other_household(session, world):
    alpha = world["account"]["ALPHA"]
    _mail(session, world, "H2", "famille.deux@example.org")  # H2's contact must never print
    proposal = world["move"]["H1"].proposal_id  # the swap H1 (D1, ALPHA) <-> H2 (D2, BETA)
    pdf, name = portal.tenant_letter(session, alpha, world["h"]["H1"], proposal, portal_url=URL)
    assert pdf.startswith(b"%PDF") and name == f"courrier-proposition-{proposal}-H1.pdf"
    text = _text(pdf)
    deadline = session.get(Proposal, proposal).answer_deadline
    for expected in (
        "Alpha Habitat",  # the sending landlord
        f"Référence : proposition n° {proposal}, ménage H1",
        "Logement n° D1",  # its own tenant's dwelling number
        f"au plus tard le {wording.long_date(deadline)} à minuit",
        "Madame, Monsieur,",
        "échange entre 2 ménages",
        "Xville centre",  # the offered dwelling's sector and commune, not QPV
        "Quartier prioritaire (QPV) oui non",
        "T2, 50 m²",
        "rez-de-chaussée, non accessible",
        _same(wording.money(350)),  # its rent, beside the current one
        _same(wording.money(400)),  # rent and charges of the new lease
        "Beta Logement",  # the offered dwelling's landlord
        "R.441-10",
        "« Mes propositions »",
        URL,
        "CALEOL",
        "refuser n'a pas d'autre conséquence",
        "Une absence de réponse compte comme un refus. Après 2 propositions restées sans réponse",
    ):
        assert expected in text, expected
    for secret in ("H2", "D2", "tps-tenant-h2", "famille.deux@example.org", "DALO"):
        assert secret not in text, secret
    assert len(PdfReader(io.BytesIO(pdf)).pages) <= 2
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "letter.printed")).one()
    assert (event.actor, event.entity, event.entity_id) == ("tps-staff-alpha", "move", world["move"]["H1"].id)
    assert event.after == {"household": "H1", "proposal": proposal, "run": None, "batch": False}
    # « Mes locataires » reads it back.
    row = next(t for t in portal.landlord_tenants(session, alpha) if t.household_ref == "H1")
    assert (row.letter_proposal, row.has_mail) == (proposal, False)
    assert row.letter_printed_at == event.at


def test_a_dalo_household_gets_the_warning_and_a_chain_says_so(session, world):
    session.execute(update(Household).where(Household.id == world["h"]["H3"]).values(priority_dalo=True))
    proposal = world["move"]["H3"].proposal_id  # the chain H3 -> D9 (vacant, BETA)
    pdf, _name = portal.tenant_letter(
        session, world["account"]["ALPHA"], world["h"]["H3"], proposal, portal_url=URL
    )
    text = _text(pdf)
    assert "un logement vacant de Beta Logement, proposé à votre seul ménage" in text
    assert "la visite s'organise avec son bailleur, Beta Logement" in text
    assert "droit au logement opposable (DALO)" in text and "R.441-16-3" in text


def test_only_the_households_landlord_prints_its_letter(session, world):
    proposal = world["move"]["H1"].proposal_id
    h1 = world["h"]["H1"]
    for who in ("BETA", "H1", "admin"):  # another landlord, the tenant itself, the territory
        with pytest.raises(NotFound):
            portal.tenant_letter(session, world["account"][who], h1, proposal, portal_url=URL)
    other = world["move"]["H4"].proposal_id  # a proposal H1 is not in
    with pytest.raises(NotFound):
        portal.tenant_letter(session, world["account"]["ALPHA"], h1, other, portal_url=URL)
    assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "letter.printed")) is None


def test_no_letter_once_the_household_answered(session, world):
    from exchange import workflow

    move = world["move"]["H1"]
    workflow.answer_move(session, move, world["rows"]["H1"], accepted=True)
    with pytest.raises(NotAllowed):
        portal.tenant_letter(
            session, world["account"]["ALPHA"], world["h"]["H1"], move.proposal_id, portal_url=URL
        )


def test_the_batch_holds_exactly_the_households_no_mail_reaches(session, world):
    # ALPHA's tenants with a proposal: H1, H3, H4. H4 gets mail; H3's only account with an address is
    # inactive (no mail reaches it); H1 has none. BETA's H2 and H5 are not ALPHA's.
    _mail(session, world, "H4", "h4@example.org")
    _mail(session, world, "H3", "h3@example.org", active=False)
    alpha_row = world["rows"]["ALPHA"]
    assert portal.letters_due(session, world["account"]["ALPHA"]) == (world["run"].id, 2)
    batch = portal.landlord_letters(session, "ALPHA", actor=alpha_row, portal_url=URL)
    assert (batch.landlord, batch.run_id, batch.household_refs) == ("ALPHA", world["run"].id, ("H1", "H3"))
    pages = _pages(batch.content)
    firsts = [p for p in pages if "À l'attention du ménage" in p]
    assert len(firsts) == 2 and "ménage n° H1" in firsts[0] and "ménage n° H3" in firsts[1]
    assert not any("ménage n° H4" in p or "H2" in p or "H5" in p for p in pages)
    events = session.execute(
        select(AuditEvent.actor, AuditEvent.after)
        .where(AuditEvent.action == "letter.printed")
        .order_by(AuditEvent.id)
    ).all()
    assert [(actor, after["household"], after["batch"]) for actor, after in events] == [
        ("tps-staff-alpha", "H1", True),
        ("tps-staff-alpha", "H3", True),
    ]
    # Another landlord's staff cannot print ALPHA's batch; unknown landlord and run are named.
    with pytest.raises(NotFound):
        portal.landlord_letters(session, "ALPHA", actor=world["rows"]["BETA"], portal_url=URL)
    with pytest.raises(InvalidInput) as unknown:
        portal.landlord_letters(session, "GAMMA", portal_url=URL)
    assert list(unknown.value.messages) == ["landlord"]
    with pytest.raises(InvalidInput) as run:
        portal.landlord_letters(session, "ALPHA", run_id=world["run"].id + 1000, portal_url=URL)
    assert list(run.value.messages) == ["run"]
    # Once H1 answers, its letter leaves the batch.
    from exchange import workflow

    workflow.answer_move(session, world["move"]["H1"], world["rows"]["H1"], accepted=True)
    again = portal.landlord_letters(session, "ALPHA", portal_url=URL)
    assert again.household_refs == ("H3",)


def _cli(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_the_cli_writes_the_batch_and_names_a_bad_option(fresh_db_url, tmp_path: Path):
    from exchange import runs

    engine = get_engine(fresh_db_url)
    with Session(engine) as session, session.begin():
        territory = scenario.load(session, "TLT")
        scenario.users(session, territory)
        run = runs.run_territory(session, "TLT", as_of=portal_world.RUN_DAY, now=datetime.now())
        run_id = run.id
        h5 = session.scalar(select(Household.id).where(Household.ref == "H5"))
        session.execute(
            update(UserAccount).where(UserAccount.household_id == h5).values(email="h5@example.org")
        )
    out = tmp_path / "courriers.pdf"
    done = _cli("letters", "--landlord", "BETA", "--output", str(out))
    assert done.exit_code == 0, done.output
    assert f"1 courrier écrit dans {out} (appariement n° {run_id}) : H2" in done.output
    text = _text(out.read_bytes())
    assert "Beta Logement" in text and "ménage n° H2" in text and "H1" not in text
    with Session(engine) as session:
        actors = session.scalars(select(AuditEvent.actor).where(AuditEvent.action == "letter.printed")).all()
    assert actors == ["system"]

    unknown = _cli("letters", "--landlord", "GAMMA", "--output", str(tmp_path / "x.pdf"))
    assert (
        unknown.exit_code == 2
        and "--landlord" in unknown.output
        and "bailleur inconnu : GAMMA" in unknown.output
    )
    bad_run = _cli(
        "letters", "--landlord", "BETA", "--run", str(run_id + 99), "--output", str(tmp_path / "y.pdf")
    )
    assert bad_run.exit_code == 2 and "--run" in bad_run.output and "appariement inconnu" in bad_run.output
    for huge in ("2147483648", "9" * 30):  # beyond the database's integers: no run, not a crash
        beyond = _cli("letters", "--landlord", "BETA", "--run", huge, "--output", str(tmp_path / "y.pdf"))
        assert beyond.exit_code == 2 and "appariement inconnu" in beyond.output, beyond.output
    territory = _cli(
        "letters", "--landlord", "BETA", "--territory", "NOPE", "--output", str(tmp_path / "z.pdf")
    )
    assert territory.exit_code == 2 and "--territory" in territory.output
    assert not (tmp_path / "x.pdf").exists() and not (tmp_path / "y.pdf").exists()
    # Every household of ALPHA gets mail: nothing to print, no file.
    with Session(engine) as session, session.begin():
        session.execute(update(UserAccount).where(UserAccount.role == "tenant").values(email="x@example.org"))
    none = _cli("letters", "--landlord", "ALPHA", "--output", str(tmp_path / "vide.pdf"))
    assert none.exit_code == 0 and "Aucun courrier à imprimer pour le bailleur ALPHA" in none.output
    assert not (tmp_path / "vide.pdf").exists()

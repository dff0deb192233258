"""Landlord staff in a real browser: ALPHA files a request for its tenant H7 (no internet) with the
household's consent; BETA's dossier tracker shows ALPHA's decision on the other move of the swap; ALPHA
prints paper letters, and records by keyboard the refusal H1 gave by phone, which H2's tracker shows, and
H1's withdrawal after an acceptance recorded at the desk."""

from __future__ import annotations

import re
from typing import Any

import pytest
from browser_support import BLOCKING_IMPACTS, format_violations
from sqlalchemy import select
from sqlalchemy.orm import Session

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _accessible(v: Any) -> None:
    violations = [x for x in v.axe_violations() if x["impact"] in BLOCKING_IMPACTS]
    assert not violations, format_violations(violations)


def test_staff_file_a_request_for_a_tenant_with_its_consent(visitor_factory, serve, tmp_path, axe_source):
    with serve(tmp_path) as base_url:
        v = visitor_factory(base_url, axe_source)
        page = v.page
        v.login("alpha")
        nav = page.get_by_role("navigation", name="Navigation principale")
        v.follow(nav.get_by_role("link", name="Mes locataires"))
        _accessible(v)
        v.follow(page.get_by_role("link", name="Déposer la demande du ménage H7"))
        assert page.get_by_role("heading", level=1).inner_text() == "Déposer la demande du ménage H7"
        page.get_by_role("group", name="Communes souhaitées").get_by_label("Xville").check()
        page.get_by_label("Coût mensuel maximum").fill("700")
        v.follow(page.get_by_role("button", name="Enregistrer la demande du ménage"))
        assert "le ménage doit avoir donné son accord" in page.locator("main").inner_text()
        _accessible(v)
        page.get_by_label("Le ménage a donné son accord").check()
        v.follow(page.get_by_role("button", name="Enregistrer la demande du ménage"))
        page.wait_for_url(re.compile(r".*/caleol/locataires$"))
        assert "La demande du ménage H7 a été déposée." in v.flash()
        row = page.get_by_role("row").filter(has_text="H7")
        assert "en cours" in row.inner_text()
        v.logout()
        # The household finds the request as its own.
        v.login("h7")
        v.goto("/locataire/demande")
        assert page.get_by_label("Coût mensuel maximum").input_value() == "700,00"


def _swap_accepted_and_alpha_decided(client: Any) -> None:
    from portal_helpers import login

    from exchange import models as m
    from exchange.models.workflow import ProposalMove

    with Session(client.application.extensions["exchange_engine"]) as db:
        hid = dict(db.execute(select(m.Household.ref, m.Household.id)).all())
        moves = {
            ref: db.scalars(select(ProposalMove).where(ProposalMove.household_id == hid[ref])).one()
            for ref in ("H1", "H2")
        }
        proposal, move_h2 = moves["H1"].proposal_id, moves["H2"].id
    for name in ("h1", "h2"):
        login(client, name)
        assert (
            client.post(f"/locataire/propositions/{proposal}", data={"answer": "accept"}).status_code == 302
        )
        client.post("/deconnexion")
    login(client, "alpha")  # H2 moves into D1, an ALPHA dwelling
    decided = client.post(
        f"/caleol/mouvements/{move_h2}", data={"kind": "attribution", "reason": "Dossier complet."}
    )
    assert decided.status_code == 302
    client.post("/deconnexion")


def test_the_second_landlord_sees_the_first_landlords_decision(visitor_factory, serve, tmp_path, axe_source):
    with serve(tmp_path, prepare=_swap_accepted_and_alpha_decided) as base_url:
        v = visitor_factory(base_url, axe_source)
        page = v.page
        v.login("beta")
        v.follow(page.get_by_role("link", name=re.compile(r"Dossier n°")).first)
        tracker = page.get_by_role("region", name="Où en est chaque partie")
        text = tracker.inner_text()
        assert "CALEOL de Alpha Habitat : logement proposé au ménage 2 — attribution le " in text
        assert re.search(
            r"CALEOL de Beta Logement : logement proposé au ménage 1 \(vers votre logement\)"
            r" — décision attendue",
            text,
        )
        assert "Dossier complet." not in text
        v.screenshot("suivi-partage-caleol")
        _accessible(v)


def _pdf_text(path: Any) -> str:
    from pathlib import Path

    from pypdf import PdfReader

    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(Path(path)).pages))


def test_staff_print_a_paper_letter_and_the_batch(visitor_factory, serve, tmp_path, axe_source):
    with serve(tmp_path) as base_url:
        v = visitor_factory(base_url, axe_source)
        page = v.page
        v.login("alpha")
        nav = page.get_by_role("navigation", name="Navigation principale")
        v.follow(nav.get_by_role("link", name="Mes locataires"))
        row = page.get_by_role("row").filter(has_text="H1")
        assert "courrier pas encore imprimé" in row.inner_text()
        with page.expect_download() as got:
            row.get_by_role("button", name=re.compile(r"^Imprimer le courrier .* au ménage H1$")).click()
        letter = got.value
        assert re.fullmatch(r"courrier-proposition-\d+-H1\.pdf", letter.suggested_filename)
        text = _pdf_text(letter.path())
        assert "À l'attention du ménage n° H1" in text and "au plus tard le " in text and "H2" not in text
        v.goto("/caleol/locataires")
        assert "courrier imprimé le " in page.get_by_role("row").filter(has_text="H1").inner_text()
        v.screenshot("locataires-courrier")
        _accessible(v)
        # The batch from the staff's home: every ALPHA household awaiting an answer without e-mail.
        v.goto("/caleol/")
        letters = page.get_by_role("region", name="Courriers de proposition à imprimer")
        assert "de votre parc doivent répondre" in letters.inner_text()
        _accessible(v)
        with page.expect_download() as got:
            letters.get_by_role("button", name="Imprimer les courriers des ménages sans courriel").click()
        batch = got.value
        assert re.fullmatch(r"courriers-ALPHA-appariement-\d+\.pdf", batch.suggested_filename)
        text = _pdf_text(batch.path())
        assert "ménage n° H1" in text and "ménage n° H3" in text
        v.screenshot("courriers-a-imprimer")


def test_staff_record_a_tenants_answer_by_keyboard(visitor_factory, serve, tmp_path, axe_source):
    with serve(tmp_path) as base_url:
        v = visitor_factory(base_url, axe_source)
        page = v.page
        v.login("alpha")
        nav = page.get_by_role("navigation", name="Navigation principale")
        v.follow(nav.get_by_role("link", name="Mes locataires"))
        row = page.get_by_role("row").filter(has_text="H1")
        v.follow(
            row.get_by_role("link", name=re.compile(r"^Enregistrer la réponse du ménage H1 à la proposition"))
        )
        assert page.get_by_role("heading", level=1).inner_text() == "Enregistrer la réponse du ménage H1"
        _accessible(v)
        # Sent empty: each missing choice is named, the summary links to its field.
        v.follow(page.get_by_role("button", name="Enregistrer la réponse du ménage"))
        assert "Choisissez si le ménage accepte ou refuse." in page.locator("main").inner_text()
        _accessible(v)
        v.screenshot("reponse-menage-erreurs")
        # By keyboard only: the refusal, its reason, the channel (arrow keys within the group), then Enter.
        page.get_by_role("radio", name="Le ménage accepte la proposition").focus()
        page.keyboard.press("ArrowDown")
        assert page.get_by_role("radio", name="Le ménage refuse la proposition").is_checked()
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "reason"
        page.get_by_label("Motif du refus").select_option("timing")
        page.get_by_role("radio", name="Au guichet").focus()
        page.keyboard.press("ArrowDown")
        assert page.get_by_role("radio", name="Par téléphone").is_checked()
        page.get_by_role("button", name="Enregistrer la réponse du ménage").focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        confirm = page.get_by_role("region", name="Confirmer le refus du ménage")
        assert "(par téléphone), motif : calendrier" in confirm.inner_text()
        _accessible(v)
        v.screenshot("reponse-menage-confirmer")
        v.follow(confirm.get_by_role("button", name="Je confirme le refus du ménage"))
        page.wait_for_url(re.compile(r".*/caleol/locataires$"))
        assert "La réponse du ménage H1 est enregistrée (par téléphone) : il refuse" in v.flash()
        row = page.get_by_role("row").filter(has_text="H1")
        assert row.get_by_role("link", name=re.compile("Enregistrer la réponse")).count() == 0
        v.logout()
        # The other household of the swap reads how the answer came, and no one's name.
        v.login("h2")
        v.goto("/locataire/propositions")
        v.follow(page.get_by_role("link", name=re.compile(r"^Voir la proposition")).first)
        text = page.locator("main").inner_text()
        assert "réponse enregistrée par l'agence (par téléphone)" in text and "alpha" not in text  # the login
        _accessible(v)


def test_staff_record_a_tenants_withdrawal_by_keyboard(visitor_factory, serve, tmp_path, axe_source):
    with serve(tmp_path) as base_url:
        v = visitor_factory(base_url, axe_source)
        page = v.page
        v.login("alpha")
        nav = page.get_by_role("navigation", name="Navigation principale")
        v.follow(nav.get_by_role("link", name="Mes locataires"))
        # H1 accepted at the desk: its staff records the acceptance first.
        row = page.get_by_role("row").filter(has_text="H1")
        v.follow(row.get_by_role("link", name=re.compile(r"^Enregistrer la réponse du ménage H1")))
        page.get_by_role("radio", name="Le ménage accepte la proposition").check()
        page.get_by_role("radio", name="Au guichet").check()
        v.follow(page.get_by_role("button", name="Enregistrer la réponse du ménage"))
        page.wait_for_url(re.compile(r".*/caleol/locataires$"))
        # Then H1 phones: it no longer wants the dwelling.
        row = page.get_by_role("row").filter(has_text="H1")
        v.follow(
            row.get_by_role(
                "link", name=re.compile(r"^Enregistrer le retrait du ménage H1 de la proposition")
            )
        )
        assert page.get_by_role("heading", level=1).inner_text() == "Enregistrer le retrait du ménage H1"
        _accessible(v)
        # Sent empty: each missing field is named, the summary links to it.
        v.follow(page.get_by_role("button", name="Enregistrer le retrait du ménage"))
        main = page.locator("main").inner_text()
        assert "Indiquez le motif du désistement." in main and "Indiquez comment le ménage a répondu" in main
        _accessible(v)
        v.screenshot("retrait-menage-erreurs")
        # By keyboard only: the reason, the channel (arrow keys within the group), then Enter.
        page.get_by_label("Motif du désistement").focus()
        page.get_by_label("Motif du désistement").select_option("timing")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "comment"
        page.keyboard.type("Rentrée scolaire")
        page.get_by_role("radio", name="Au guichet").focus()
        page.keyboard.press("ArrowDown")
        assert page.get_by_role("radio", name="Par téléphone").is_checked()
        page.get_by_role("button", name="Enregistrer le retrait du ménage").focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        confirm = page.get_by_role("region", name="Confirmer le retrait du ménage")
        assert "(par téléphone), motif : calendrier" in confirm.inner_text()
        _accessible(v)
        v.screenshot("retrait-menage-confirmer")
        confirm.get_by_role("button", name="Je confirme le retrait du ménage").focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r".*/caleol/locataires$"))
        assert "Le retrait du ménage H1 est enregistré (par téléphone)" in v.flash()
        row = page.get_by_role("row").filter(has_text="H1")
        assert row.get_by_role("link", name=re.compile("Enregistrer le retrait")).count() == 0
        _accessible(v)
        v.logout()
        # The other household of the swap reads how the withdrawal came, and no one's name.
        v.login("h2")
        v.goto("/locataire/propositions")
        v.follow(page.get_by_role("link", name=re.compile(r"^Voir la proposition")).first)
        text = page.locator("main").inner_text()
        assert "retrait enregistré par l'agence (par téléphone)" in text and "alpha" not in text  # the login
        _accessible(v)

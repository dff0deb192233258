"""Visits in a real browser: H1 asks to visit the dwelling H2 lives in; contacts appear for both only
once H2 accepts, and the tracker shows the visit; axe-core checks the pages on the way."""

from __future__ import annotations

import re
from typing import Any

import pytest
from browser_support import BLOCKING_IMPACTS, format_violations
from sqlalchemy import update
from sqlalchemy.orm import Session

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _addresses(client: Any) -> None:
    """H1 and H2 have an e-mail address (their accounts' contact)."""
    from exchange import models as m

    with Session(client.application.extensions["exchange_engine"]) as db:
        for name in ("h1", "h2"):
            db.execute(
                update(m.UserAccount).where(m.UserAccount.login == name).values(email=f"{name}@exemple.fr")
            )
        db.commit()


def _accessible(v: Any) -> None:
    violations = [x for x in v.axe_violations() if x["impact"] in BLOCKING_IMPACTS]
    assert not violations, format_violations(violations)


def test_a_visit_asked_and_accepted_reveals_both_contacts_and_not_before(
    visitor_factory, serve, tmp_path, axe_source
):
    with serve(tmp_path, prepare=_addresses) as base_url:
        v = visitor_factory(base_url, axe_source)
        page = v.page
        v.login("h1")
        v.follow(page.get_by_role("link", name="Propositions", exact=True))
        v.follow(page.get_by_role("link", name=re.compile("Voir")).first)
        proposal_url = page.url
        visits = page.get_by_role("region", name="Visites")
        visits.get_by_label("Votre téléphone (facultatif)").fill("06 11 22 33 44")
        v.follow(visits.get_by_role("button", name="Demander à visiter le logement proposé"))
        assert "Votre demande de visite est envoyée" in v.flash()
        visits = page.get_by_role("region", name="Visites")
        assert "h2@exemple.fr" not in visits.inner_text()
        _accessible(v)
        v.logout()

        v.login("h2")
        page.goto(proposal_url)
        visits = page.get_by_role("region", name="Visites")
        assert "Visite de votre logement par le ménage A" in visits.inner_text()
        assert "h1@exemple.fr" not in visits.inner_text() and "06 11 22 33 44" not in visits.inner_text()
        _accessible(v)
        visits.get_by_label("J'accepte la visite").check()
        v.follow(visits.get_by_role("button", name="Envoyer ma réponse"))
        assert "vos coordonnées sont échangées" in v.flash()
        visits = page.get_by_role("region", name="Visites")
        assert "h1@exemple.fr" in visits.inner_text() and "06 11 22 33 44" in visits.inner_text()
        v.screenshot("parcours-visite-acceptee")
        _accessible(v)
        v.logout()

        v.login("h1")
        page.goto(proposal_url)
        visits = page.get_by_role("region", name="Visites")
        assert "h2@exemple.fr" in visits.inner_text()
        assert (
            "Visites — 1 visite demandée ; 1 acceptée"
            in page.get_by_role("region", name="Suivi").inner_text()
        )

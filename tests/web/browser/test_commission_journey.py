"""The inter-landlord commission in a real browser: a proposal by hand for two blocked households.

Before the server starts, H4 refuses its swap with H5 (the scenario's run): H5 and H6 are free, and
both have waited more than a year, so they are blocked (H6 gets an account). The territory takes the
swap the page offers, motivates it and proposes it; both households accept; BETA's CALEOL attributes
both moves (D5 and D6 are BETA's); the proposal is confirmed.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _h4_refuses(client: Any) -> None:
    """H4 refuses its swap; H6 gets an account."""
    from portal_helpers import PASSWORD, login

    from exchange import accounts
    from exchange import models as m
    from exchange.models.workflow import ProposalMove

    with Session(client.application.extensions["exchange_engine"]) as db:
        h4 = db.scalar(select(m.Household.id).where(m.Household.ref == "H4"))
        proposal = db.scalars(select(ProposalMove.proposal_id).where(ProposalMove.household_id == h4)).one()
        accounts.create_user(
            db, login="h6", password=PASSWORD, role="tenant", territory="TWEB", household="H6"
        )
        db.commit()
    login(client, "h4")
    refused = client.post(
        f"/locataire/propositions/{proposal}",
        data={"answer": "refuse", "reason": "location", "confirmed": "1"},
    )
    assert refused.status_code == 302
    client.post("/deconnexion")


def test_the_commission_proposes_a_swap_of_two_blocked_households_through_to_confirmation(
    visitor_factory, scenario_template, tmp_path
):
    from browser_support import live_server

    with live_server(tmp_path, _h4_refuses, template=scenario_template) as base_url:
        v = visitor_factory(base_url)
        page = v.page
        v.login("admin")
        nav = page.get_by_role("navigation", name="Navigation principale")
        v.follow(nav.get_by_role("link", name="Demandes bloquées"))
        assert page.get_by_role("heading", level=1).inner_text() == "Demandes bloquées"
        v.screenshot("commission-demandes-bloquees")

        # A wrong proposal is refused with the rule it breaks.
        page.get_by_label(re.compile(r"^Déménagements")).fill("H6 D6")
        page.get_by_label("Décision motivée de la commission").fill("Essai")
        v.follow(page.get_by_role("button", name="Proposer"))
        assert "c'est le logement actuel du ménage" in page.locator("#moves-erreur").inner_text()
        assert [e.split(":")[0] for e in v.console_errors] == ["HTTP 422"]  # the refusal, and nothing else
        v.console_errors.clear()

        # The swap offered on the graph, taken as is.
        v.follow(page.get_by_role("link", name="Reprendre échange H6 D5, H5 D6"))
        assert page.get_by_label(re.compile(r"^Déménagements")).input_value() == "H6 D5, H5 D6"
        page.get_by_label("Décision motivée de la commission").fill("Ménages bloqués depuis plus d'un an.")
        v.follow(page.get_by_role("button", name="Proposer"))
        message = v.flash()
        assert "de la commission enregistrée" in message, message
        number = re.search(r"n° (\d+)", message).group(1)
        v.logout()

        for name in ("h5", "h6"):
            v.login(name)
            v.goto(f"/locataire/propositions/{number}")
            page.get_by_label("J'accepte cette proposition").check()
            v.follow(page.get_by_role("button", name="Envoyer ma réponse"))
            assert "Vous avez accepté la proposition." in v.flash()
            v.logout()

        v.login("beta")
        for _ in range(2):
            v.goto("/caleol/")
            v.follow(page.get_by_role("link", name=re.compile(r"^Dossier n° \d+$")).first)
            page.get_by_label("Attribution", exact=True).check()
            page.get_by_label("Motif").fill("Accord de la commission, dossier complet.")
            v.follow(page.get_by_role("button", name="Enregistrer la décision"))
            assert "La décision de la CALEOL est enregistrée." in v.flash()
        v.goto("/caleol/")
        assert page.get_by_role("link", name=re.compile(r"^Dossier n° \d+$")).count() == 0
        v.logout()

        v.login("h6")
        v.goto(f"/locataire/propositions/{number}")
        main = page.inner_text("main")
        assert "Date du déménagement" in main and "confirmée" in main, main
        assert v.console_errors == []

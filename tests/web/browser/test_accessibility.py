"""Automated accessibility check (axe-core, WCAG 2.x A/AA) of every main page, with a screenshot of each.

The database is first brought to a state where every page has content: the swap H4 <-> H5 is accepted
by both households and BETA's CALEOL has attributed H4's move (so ALPHA has a move to decide, and BETA's
procès-verbal lists a decision); the chain H3 -> D9 is accepted and attributed by BETA (a confirmed,
planned move); the swap H1 <-> H2 still waits for answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from browser_support import BLOCKING_IMPACTS, Visitor, format_violations, live_server
from sqlalchemy import select
from sqlalchemy.orm import Session

# One Chromium per xdist worker would do; but with pytest 9.2 --dist loadgroup no longer groups
# (pytest-xdist issue #1386), so both workers may run some of these tests, each with its own fixtures.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

# (screenshot name, account or None for anonymous, path with {placeholders} filled from the ids)
PAGES = [
    ("connexion", None, "/connexion"),
    ("locataire-accueil", "h1", "/locataire/"),
    ("locataire-demande", "h1", "/locataire/demande"),
    ("locataire-situation", "h1", "/locataire/situation"),
    ("locataire-offres", "h1", "/locataire/offres"),
    ("locataire-offres-filtrees", "h1", "/locataire/offres?commune=Yville&sort=-cost&compatible=1"),
    ("locataire-propositions", "h1", "/locataire/propositions"),
    ("locataire-proposition", "h1", "/locataire/propositions/{proposal_h1}"),
    ("locataire-proposition-acceptee", "h4", "/locataire/propositions/{proposal_h4}"),
    ("locataire-proposition-visite-acceptee", "h2", "/locataire/propositions/{proposal_h1}"),
    ("locataire-accueil-en-pause", "h2", "/locataire/"),
    ("locataire-situation-en-pause", "h2", "/locataire/situation"),
    ("compte", "h1", "/compte"),
    ("caleol-file", "alpha", "/caleol/"),
    ("caleol-dossier", "alpha", "/caleol/mouvements/{move_h5}"),
    ("caleol-dossier-decide", "beta", "/caleol/mouvements/{move_h4}"),
    ("caleol-dossier-confirme", "beta", "/caleol/mouvements/{move_h3}"),
    ("caleol-proces-verbal", "beta", "/caleol/proces-verbal"),
    ("caleol-demenagements", "beta", "/caleol/demenagements"),
    ("caleol-demandes-en-pause", "beta", "/caleol/demandes-en-pause"),
    ("caleol-bilan", "alpha", "/caleol/bilan"),
    ("caleol-locataires", "beta", "/caleol/locataires"),
    ("caleol-locataire-demande", "beta", "/caleol/locataires/{household_h6}/demande"),
    (
        "caleol-locataire-reponse",
        "alpha",
        "/caleol/locataires/{household_h1}/propositions/{proposal_h1}/reponse",
    ),
    (
        "caleol-locataire-desistement",
        "alpha",
        "/caleol/locataires/{household_h4}/propositions/{proposal_h4}/desistement",
    ),
    ("territoire-accueil", "admin", "/territoire/"),
    ("territoire-import", "admin", "/territoire/import"),
    ("territoire-politique", "admin", "/territoire/politique"),
    ("territoire-appariements", "admin", "/territoire/appariements"),
    ("territoire-appariement", "admin", "/territoire/appariements/{run}"),
    ("territoire-lancement-echec", "admin", "/territoire/appariements/lancements/{job}"),
    ("territoire-statistiques", "admin", "/territoire/statistiques"),
    ("territoire-demenagements", "admin", "/territoire/demenagements"),
    ("territoire-demandes-bloquees", "admin", "/territoire/demandes-bloquees"),
    ("territoire-calendrier", "admin", "/territoire/calendrier"),
    ("caleol-demandes-bloquees", "beta", "/caleol/demandes-bloquees"),
    ("caleol-examen-occupation", "alpha", "/caleol/examen-occupation"),
]


def _prepare(ids: dict[str, int]) -> Any:
    def prepare(client: Any) -> None:
        from portal_helpers import login

        from exchange import models as m
        from exchange.models.visit import Visit
        from exchange.models.workflow import Proposal, ProposalMove, Run, RunJob
        from exchange.runs import STALE_REASON

        with Session(client.application.extensions["exchange_engine"]) as db:
            hid = dict(db.execute(select(m.Household.ref, m.Household.id)).all())
            moves = {
                ref: db.scalars(select(ProposalMove).where(ProposalMove.household_id == hid[ref])).one()
                for ref in ("H1", "H3", "H4", "H5")
            }
            # H2 (a BETA tenant) let two proposals lapse: its home page and BETA's list show the pause.
            paused = db.scalars(select(m.Request).where(m.Request.household_id == hid["H2"])).one()
            paused.status, paused.paused_why, paused.silences = "paused", "silences", 2
            db.commit()
            ids.update(
                proposal_h1=moves["H1"].proposal_id,
                proposal_h4=moves["H4"].proposal_id,
                proposal_h3=moves["H3"].proposal_id,
                move_h3=moves["H3"].id,
                move_h4=moves["H4"].id,
                move_h5=moves["H5"].id,
                run=db.scalar(select(Run.id)),
                household_h6=hid["H6"],
                household_h1=hid["H1"],
                household_h4=hid["H4"],
            )
        for name, proposal in (("h4", "proposal_h4"), ("h5", "proposal_h4"), ("h3", "proposal_h3")):
            login(client, name)
            assert (
                client.post(f"/locataire/propositions/{ids[proposal]}", data={"answer": "accept"}).status_code
                == 302
            )
            client.post("/deconnexion")
        # H1 asks to visit the dwelling H2 lives in, H2 accepts: both see the other's contact details.
        login(client, "h1")
        asked = client.post(
            f"/locataire/propositions/{ids['proposal_h1']}/visite", data={"visite-phone": "0611223344"}
        )
        assert asked.status_code == 302
        client.post("/deconnexion")
        login(client, "h2")
        with Session(client.application.extensions["exchange_engine"]) as db:
            visit = db.scalar(select(Visit.id))
        answered = client.post(
            f"/locataire/propositions/{ids['proposal_h1']}/visites/{visit}/reponse",
            data={f"visite{visit}-answer": "accept"},
        )
        assert answered.status_code == 302
        client.post("/deconnexion")
        login(client, "beta")
        for move in ("move_h4", "move_h3"):
            assert (
                client.post(
                    f"/caleol/mouvements/{ids[move]}",
                    data={"kind": "attribution", "reason": "Dossier complet."},
                ).status_code
                == 302
            )
        client.post("/deconnexion")
        with Session(client.application.extensions["exchange_engine"]) as db:
            assert db.get(Proposal, ids["proposal_h4"]).status == "deciding"
            assert db.get(Proposal, ids["proposal_h3"]).status == "confirmed"
            # A lancement that failed and one that finished: the runs page lists them, the first has a page.
            run = db.get(Run, ids["run"])
            started = run.started_at - timedelta(minutes=5)
            for status, run_id, error in (("failed", None, STALE_REASON), ("finished", run.id, None)):
                db.add(
                    RunJob(
                        territory_id=run.territory_id,
                        as_of=run.as_of,
                        requested_by="admin",
                        status=status,
                        started_at=started,
                        stale_after=started + timedelta(minutes=25),
                        finished_at=started + timedelta(minutes=1),
                        run_id=run_id,
                        error=error,
                    )
                )
            db.commit()
            ids["job"] = db.scalar(select(RunJob.id).where(RunJob.status == "failed"))

    return prepare


@pytest.fixture(scope="module")
def a11y_site(
    tmp_path_factory: pytest.TempPathFactory, scenario_template: Any
) -> Iterator[tuple[str, dict[str, int]]]:
    ids: dict[str, int] = {}
    with live_server(tmp_path_factory.mktemp("a11y"), _prepare(ids), template=scenario_template) as base_url:
        yield base_url, ids


@pytest.fixture(scope="module")
def visitors(
    browser: Any, screenshot_dir: Any, axe_source: str, a11y_site: tuple[str, dict[str, int]]
) -> Iterator[dict[str | None, Visitor]]:
    """One browser context per account, signed in once."""
    opened: dict[str | None, Visitor] = {}
    for account in {a for _, a, _ in PAGES}:
        visitor = Visitor(browser, a11y_site[0], screenshot_dir, axe_source)
        opened[account] = visitor
        if account is not None:
            visitor.login(account)
    yield opened
    for visitor in opened.values():
        visitor.close()


def _check(visitor: Visitor, name: str) -> None:
    visitor.screenshot(name)
    blocking = [v for v in visitor.axe_violations() if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"{name} ({visitor.page.url}):\n{format_violations(blocking)}"
    assert visitor.page.locator("html").get_attribute("lang") == "fr"
    assert visitor.page.get_by_role("heading", level=1).count() == 1
    assert visitor.console_errors == [], visitor.console_errors  # e.g. a CSP violation


@pytest.mark.parametrize(("name", "account", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_page_has_no_serious_accessibility_violation(visitors, a11y_site, name, account, path):
    visitor = visitors[account]
    visitor.goto(path.format(**a11y_site[1]))
    _check(visitor, name)


def test_forms_with_errors_are_accessible(visitors, a11y_site):
    """The error states: a failed sign-in, a request form rejected field by field, the staff's answer and
    withdrawal for a tenant sent incomplete, the run settings refused."""
    anonymous = visitors[None]
    anonymous.goto("/connexion")
    anonymous.follow(anonymous.page.get_by_role("button", name="Se connecter"))
    assert anonymous.page.get_by_role("alert").count() == 1
    _check(anonymous, "connexion-erreurs")

    tenant = visitors["h1"]
    tenant.goto("/locataire/demande")
    tenant.page.get_by_label("Nombre de pièces minimum").fill("5")
    tenant.page.get_by_label("Nombre de pièces maximum").fill("2")
    tenant.page.get_by_label("Coût mensuel maximum").fill("")
    tenant.follow(tenant.page.get_by_role("button", name="Enregistrer ma demande"))
    assert tenant.page.locator("[aria-invalid=true]").count() >= 2
    _check(tenant, "locataire-demande-erreurs")

    # The staff's desk: an answer sent without a choice, then a withdrawal sent without its reason
    # (each page's error summary and the messages beside the fields), and the run settings refused.
    ids = a11y_site[1]
    staff = visitors["alpha"]
    staff.goto(f"/caleol/locataires/{ids['household_h1']}/propositions/{ids['proposal_h1']}/reponse")
    staff.follow(staff.page.get_by_role("button", name="Enregistrer la réponse du ménage"))
    assert staff.page.get_by_role("alert").count() == 1
    _check(staff, "caleol-locataire-reponse-erreurs")
    staff.goto(f"/caleol/locataires/{ids['household_h4']}/propositions/{ids['proposal_h4']}/desistement")
    staff.follow(staff.page.get_by_role("button", name="Enregistrer le retrait du ménage"))
    assert staff.page.get_by_role("alert").count() == 1
    _check(staff, "caleol-locataire-desistement-erreurs")
    territory = visitors["admin"]
    territory.goto("/territoire/politique")
    territory.page.get_by_label(re.compile("Plancher")).fill("150")
    territory.follow(territory.page.get_by_role("button", name="Enregistrer les réglages des appariements"))
    assert territory.page.locator("#priority_floor_pct[aria-invalid=true]").count() == 1
    territory.console_errors.clear()  # the 422 itself is logged by Chromium
    _check(territory, "territoire-politique-reglages-erreurs")


def test_error_page_is_accessible(visitors):
    visitor = visitors["h1"]
    visitor.goto("/locataire/propositions/999999", status=404)
    visitor.console_errors.clear()  # the 404 itself is logged by Chromium
    _check(visitor, "erreur-404")


def _focused(visitor: Visitor) -> str:
    return str(visitor.page.evaluate("(e => e.id || e.textContent.trim())(document.activeElement)"))


def test_the_situation_is_reached_and_read_by_keyboard(visitors, a11y_site):
    """From the home page, Tab reaches « Ma situation » and Enter opens it; there, from the skip link,
    Tab walks the page's links in reading order with a visible focus ring."""
    visitor = visitors["h1"]
    page = visitor.page
    visitor.goto("/locataire/")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Enter")  # into <main>: the links of the page follow
    for _ in range(60):
        page.keyboard.press("Tab")
        if _focused(visitor).startswith("Ma situation :"):
            break
    else:
        pytest.fail("Tab never reached the link to « Ma situation »")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/locataire/situation$"))
    page.keyboard.press("Tab")
    assert _focused(visitor) == "Aller au contenu"
    page.keyboard.press("Enter")
    seen = []
    for _ in range(20):
        page.keyboard.press("Tab")
        seen.append(_focused(visitor))
        if seen[-1] == "Modifier mes souhaits":
            break
    links = [text.strip() for text in page.locator("main a").all_inner_texts()]
    assert seen == links[: len(seen)] and seen[-1] == "Modifier mes souhaits", (seen, links)
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    _check(visitor, "locataire-situation-clavier")

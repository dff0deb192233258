"""Accessibility (axe-core) of the mail pages: a mail's preferences page (no sign-in, then after a
change), « Mon compte » with its mail section after a refused address, and the territory's « Courriels »
with a failed message."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browser_support import BLOCKING_IMPACTS, Visitor, format_violations, live_server
from sqlalchemy import select
from sqlalchemy.orm import Session

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _prepare(ids: dict[str, Any]) -> Any:
    def prepare(client: Any) -> None:
        from exchange import accounts, notifications
        from exchange.models import UserAccount

        with Session(client.application.extensions["exchange_engine"]) as db:
            h1 = db.scalars(select(UserAccount).where(UserAccount.login == "h1")).one()
            accounts.set_email(db, h1.id, "h1@exemple.test")
            [row] = notifications.notify(db, "proposal", h1, {"proposal_id": 1}, key="a11y")
            row.status, row.attempts, row.last_error = "failed", 8, "550 5.1.1 no such mailbox"
            db.commit()
            ids["token"] = notifications.preferences_token(h1.id, "browser-tests")

    return prepare


@pytest.fixture(scope="module")
def mail_site(
    tmp_path_factory: pytest.TempPathFactory, scenario_template: Any
) -> Iterator[tuple[str, dict[str, Any]]]:
    ids: dict[str, Any] = {}
    with live_server(tmp_path_factory.mktemp("mail"), _prepare(ids), template=scenario_template) as base_url:
        yield base_url, ids


def _check(visitor: Visitor, name: str) -> None:
    visitor.screenshot(name)
    blocking = [v for v in visitor.axe_violations() if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"{name} ({visitor.page.url}):\n{format_violations(blocking)}"
    assert visitor.page.locator("html").get_attribute("lang") == "fr"
    assert visitor.page.get_by_role("heading", level=1).count() == 1
    assert visitor.console_errors == [], visitor.console_errors


def test_the_preferences_page_of_a_mail_link_is_accessible(visitor_factory, axe_source, mail_site):
    base_url, ids = mail_site
    visitor = visitor_factory(base_url, axe_source)
    visitor.goto(f"/courriels/{ids['token']}")
    _check(visitor, "courriels-preferences")
    visitor.page.get_by_label("Rappel quelques jours avant la date limite de réponse").uncheck()
    visitor.follow(visitor.page.get_by_role("button", name="Enregistrer mes préférences"))
    assert (
        visitor.page.get_by_label("Rappel quelques jours avant la date limite de réponse").is_checked()
        is False
    )
    _check(visitor, "courriels-preferences-enregistrees")


def test_my_account_and_the_territory_mails_are_accessible(visitor_factory, axe_source, mail_site):
    base_url, _ids = mail_site
    tenant = visitor_factory(base_url, axe_source)
    tenant.login("h2")
    tenant.goto("/compte")
    tenant.page.get_by_label("Adresse électronique").fill("pas-une-adresse")
    tenant.follow(tenant.page.get_by_role("button", name="Enregistrer l'adresse"))
    assert "adresse électronique invalide" in tenant.page.content()
    _check(tenant, "compte-courriels-erreur")

    admin = visitor_factory(base_url, axe_source)
    admin.login("admin")
    admin.goto("/territoire/courriels")
    assert admin.page.get_by_role("button", name="Réessayer le n° 1").count() == 1
    _check(admin, "territoire-courriels")

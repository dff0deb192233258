"""The main journeys of the portal in a real browser (Chromium), on a live server.

A tenant files a request; both households of the swap H1 <-> H2 accept it; the staff of ALPHA and of
BETA attribute the two moves into their dwellings; the tenant sees the confirmed move.
"""

from __future__ import annotations

import re

import pytest

# One Chromium per xdist worker would do; but with pytest 9.2 --dist loadgroup no longer groups
# (pytest-xdist issue #1386), so both workers may run some of these tests, each with its own fixtures.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_tenant_files_request_then_swap_is_accepted_attributed_and_confirmed(
    visitor_factory, serve, tmp_path
):
    with serve(tmp_path) as base_url:
        v = visitor_factory(base_url)
        page = v.page

        # Anonymous visitors are sent to the sign-in page.
        v.goto("/locataire/")
        assert re.search(r"/connexion\?next=", page.url)

        # H7 has no request yet: it files one through the form.
        v.login("h7")
        nav = page.get_by_role("navigation", name="Navigation principale")
        v.follow(nav.get_by_role("link", name="Ma demande"))
        assert page.get_by_role("heading", level=1).inner_text() == "Déposer une demande d'échange"
        v.screenshot("parcours-locataire-demande")
        communes = page.get_by_role("group", name="Communes souhaitées")
        communes.get_by_label("Xville").check()
        communes.get_by_label("Yville").check()
        page.get_by_label("Nombre de pièces minimum").fill("3")
        page.get_by_label("Nombre de pièces maximum").fill("2")
        page.get_by_label("Coût mensuel maximum").fill("800")
        v.follow(page.get_by_role("button", name="Enregistrer ma demande"))
        # A wrong range is reported next to its field, and the summary links to it.
        assert page.locator("#max_rooms").get_attribute("aria-invalid") == "true"
        error = page.locator("#max_rooms-erreur").inner_text()
        assert "Le maximum doit être supérieur ou égal au minimum." in error
        v.screenshot("parcours-locataire-demande-erreurs")
        page.get_by_label("Nombre de pièces maximum").fill("4")
        v.follow(page.get_by_role("button", name="Enregistrer ma demande"))
        page.wait_for_url(re.compile(r".*/locataire/$"))
        assert "Votre demande a été déposée." in v.flash()
        v.goto("/locataire/demande")
        assert page.get_by_role("heading", level=1).inner_text() == "Modifier ma demande d'échange"
        assert page.get_by_label("Coût mensuel maximum").input_value() == "800,00"
        assert page.get_by_role("group", name="Communes souhaitées").get_by_label("Yville").is_checked()
        v.logout()

        # Both households of the swap accept it.
        for name in ("h1", "h2"):
            v.login(name)
            v.follow(page.get_by_role("link", name="Propositions", exact=True))
            v.follow(page.get_by_role("link", name=re.compile(r"^Voir la proposition du")).first)
            assert page.get_by_role("heading", name="Votre réponse").is_visible()
            assert "H1" not in page.inner_text("main") and "H2" not in page.inner_text("main")
            if name == "h1":
                v.screenshot("parcours-locataire-proposition")
            page.get_by_label("J'accepte cette proposition").check()
            v.follow(page.get_by_role("button", name="Envoyer ma réponse"))
            assert "Vous avez accepté la proposition." in v.flash()
            v.logout()

        # The CALEOL of each landlord attributes the move into its own dwelling.
        for staff in ("alpha", "beta"):
            v.login(staff)
            assert page.url.endswith("/caleol/")
            links = page.get_by_role("link", name=re.compile(r"^Dossier n° \d+$"))
            assert links.count() == 1
            if staff == "alpha":
                v.screenshot("parcours-caleol-file")
            v.follow(links.first)
            assert "Ressources mensuelles" in page.inner_text("main")
            page.get_by_label("Attribution", exact=True).check()
            page.get_by_label("Motif").fill("Dossier complet, ressources compatibles.")
            v.follow(page.get_by_role("button", name="Enregistrer la décision"))
            assert "La décision de la CALEOL est enregistrée." in v.flash()
            if staff == "alpha":
                v.screenshot("parcours-caleol-dossier-decide")
            v.goto("/caleol/")
            assert page.get_by_role("link", name=re.compile(r"^Dossier n° \d+$")).count() == 0
            v.logout()

        # The tenant sees the confirmed move and its date.
        v.login("h1")
        v.goto("/locataire/propositions")
        v.follow(page.get_by_role("link", name=re.compile(r"^Voir la proposition du")).first)
        main = page.inner_text("main")
        assert "Date du déménagement" in main and "confirmée" in main, main
        assert page.get_by_role("heading", name="Votre réponse").count() == 0
        v.screenshot("parcours-locataire-proposition-confirmee")
        assert v.console_errors == []


def test_keyboard_skip_link_and_tab_order(visitor_factory, serve, tmp_path):
    with serve(tmp_path) as base_url:
        v = visitor_factory(base_url)
        page = v.page
        v.goto("/connexion")
        # The first Tab stop is the skip link; following it moves focus into <main>.
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent.trim()") == "Aller au contenu"
        assert page.locator(".skip-link").bounding_box()["x"] >= 0  # shown when focused
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "contenu"
        # Then Tab reaches the login fields and the button, in that order; the form works from the keyboard.
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "login"
        page.keyboard.type("h1")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "password"
        from portal_helpers import PASSWORD

        page.keyboard.type(PASSWORD)
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent.trim()") == "Se connecter"
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r".*/locataire/$"))

        # On the request form, Tab from the skip target walks every control of the form.
        v.goto("/locataire/demande")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        seen = []
        for _ in range(40):
            page.keyboard.press("Tab")
            seen.append(page.evaluate("(e => e.id || e.textContent.trim())(document.activeElement)"))
            if seen[-1] == "Enregistrer ma demande":
                break
        seen = [("communes" if s.startswith("communes-") else s) for s in seen]
        seen = [s for i, s in enumerate(seen) if i == 0 or s != seen[i - 1]]  # one stop per commune box
        expected = ["communes", "min_rooms", "max_rooms", "max_cost", "accept_qpv", "Enregistrer ma demande"]
        assert [s for s in seen if s in expected] == expected, seen
        # The focus ring is visible (not outline: none) on a focused control.
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none"


def test_a_refusal_is_confirmed_and_a_long_comment_is_counted_then_refused(visitor_factory, serve, tmp_path):
    with serve(tmp_path) as base_url:
        v = visitor_factory(base_url)
        page = v.page
        v.login("h1")
        v.follow(page.get_by_role("link", name="Voir la proposition et y répondre"))
        page.get_by_label("Je refuse cette proposition").check()
        page.get_by_label("Motif du refus").select_option("other")
        comment = page.get_by_label("Précisions")
        comment.fill("x" * 1200)  # the browser does not cut it: the counter says it is too long

        def counter() -> str:
            return re.sub(r"[\u202f\xa0]", " ", page.locator("#comment-compteur").inner_text())

        assert counter() == "Trop long de 200 caractères : 1 000 au plus."
        v.follow(page.get_by_role("button", name="Envoyer ma réponse"))
        assert "1 000 caractères au plus." in re.sub(
            r"[\u202f\xa0]", " ", page.locator("#comment-erreur").inner_text()
        )
        comment = page.get_by_label("Précisions")
        comment.fill("Trop loin de l'école.")
        assert counter() == "21 caractères sur 1 000"
        v.follow(page.get_by_role("button", name="Envoyer ma réponse"))
        # Nothing is recorded before the confirmation step.
        assert page.get_by_role("heading", name="Confirmer votre refus").is_visible()
        v.screenshot("parcours-locataire-refus-a-confirmer")
        v.follow(page.get_by_role("link", name="Revenir à la proposition sans répondre"))
        assert page.get_by_role("heading", name="Votre réponse").is_visible()
        assert v.console_errors == []

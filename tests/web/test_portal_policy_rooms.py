"""The policy page's room and age settings (POLICY.md §1–§3): labelled, validated, stored, and used."""

from __future__ import annotations

import html
import re

from portal_helpers import login
from sqlalchemy import select

from exchange import models as m
from exchange.glossary import POLICY_SETTINGS as POLICY_LABELS
from matching.config import PolicyConfig
from web.territory import POLICY_GROUPS

NEW = ("adult_age", "minors_per_bedroom", "rooms_single_or_couple", "living_rooms")
ROOM_RULES = ("under_occupation_extra_rooms", "max_extra_rooms")


def test_every_setting_has_a_label_with_a_unit_and_one_place_on_the_page() -> None:
    names = [name for _, group in POLICY_GROUPS for name in group]
    # The earth's radius is a constant of the distance computation, not a territory's choice.
    assert sorted(names) == sorted(set(PolicyConfig().to_dict()) - {"earth_radius_km"})
    assert set(POLICY_LABELS) == set(PolicyConfig().to_dict())
    assert all(unit for _, unit in POLICY_LABELS.values())


def _form_values(page: str) -> dict[str, str]:
    return {
        name: re.search(rf'id="{name}"[^>]*value="([^"]*)"', page).group(1)  # type: ignore[union-attr]
        for name in re.findall(r'<input[^>]*id="([a-z_0-9]+)"[^>]*inputmode="(?:numeric|decimal)"', page)
    }


def test_room_settings_are_shown_validated_and_stored(client, db) -> None:
    login(client, "admin")
    page = html.unescape(client.get("/territoire/politique").get_data(as_text=True))
    assert re.search(r'<label for="adult_age">Âge à partir duquel [^<]*\(ans\)', page)
    assert re.search(r'<label for="max_extra_rooms">[^<]*\(pièces\)', page)
    values = _form_values(page)
    assert {name: values[name] for name in (*NEW, *ROOM_RULES)} == {
        "adult_age": "18",
        "minors_per_bedroom": "2",
        "rooms_single_or_couple": "1",
        "living_rooms": "1",
        "under_occupation_extra_rooms": "1",
        "max_extra_rooms": "1",
    }
    bad = client.post("/territoire/politique", data={**values, "adult_age": "130", "minors_per_bedroom": "0"})
    text = html.unescape(bad.get_data(as_text=True))
    assert bad.status_code == 422
    # Each message gives the range; the label is the field's, not repeated in its message.
    assert '<p class="error" id="adult_age-erreur">Indiquez une valeur entre 0 et 120.</p>' in text
    assert '<p class="error" id="minors_per_bedroom-erreur">Indiquez une valeur entre 1 et 10.</p>' in text
    assert re.search(r'aria-describedby="adult_age-aide adult_age-erreur"', text)
    db.rollback()
    assert not db.scalar(select(m.Territory.policy))
    ok = client.post("/territoire/politique", data={**values, "adult_age": "8", "max_extra_rooms": "2"})
    assert ok.status_code == 302
    db.rollback()
    assert db.scalar(select(m.Territory.policy)) == {"adult_age": 8, "max_extra_rooms": 2}


def test_the_household_page_follows_the_room_settings(client, db) -> None:
    """h2: a couple with children of 10 and 8 in a T2. With adults from 8 years, 3 bedrooms + living room."""
    login(client, "h2")
    before = html.unescape(client.get("/locataire/demande").get_data(as_text=True))
    assert "2 adultes et 2 enfants de moins de 18 ans (4 personnes)" in before
    assert "au moins 3 pièces" in before and "au plus 5 pièces" in before
    territory = db.scalars(select(m.Territory)).one()
    territory.policy = {"adult_age": 8, "max_extra_rooms": 2, "under_occupation_extra_rooms": 3}
    db.commit()
    from exchange import portal

    portal.clear_cache()
    after = html.unescape(client.get("/locataire/demande").get_data(as_text=True))
    assert "4 adultes (4 personnes)" in after
    assert "au moins 4 pièces" in after and "au plus 6 pièces" in after
    assert "sous-occupé quand il a plus de 7 pièces pour 4 personnes" in after

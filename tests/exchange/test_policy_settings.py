"""Per-territory policy settings: validation in French, storage of overrides, never a commit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.orm import Session

from exchange import glossary, settings
from exchange.errors import NotFound
from exchange.models import Base, Territory
from matching.config import PolicyConfig


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    commits: list[object] = []
    with Session(engine) as s:
        event.listen(s, "after_commit", commits.append)
        s.add_all(
            [
                Territory(code="CACL", name="Centre Littoral", as_of=date(2026, 11, 22), policy={}),
                Territory(code="OLD", name="Ancien", as_of=date(2026, 11, 22), policy={"max_cycle": 9}),
            ]
        )
        s.flush()
        yield s
        assert commits == []  # the services never commit
    engine.dispose()


def _stored(session: Session, code: str) -> dict[str, Any]:
    return session.scalars(select(Territory.policy).where(Territory.code == code)).one()


@pytest.mark.parametrize(
    ("changes", "setting", "message"),
    [
        (
            {"job_distance_km": -1},
            "job_distance_km",
            "distance maximale au lieu de travail (à vol d'oiseau) (km) : doit être un nombre",
        ),
        ({"job_distance_km": "30"}, "job_distance_km", "doit être un nombre (reçu : '30')"),
        ({"job_distance_km": True}, "job_distance_km", "doit être un nombre"),
        ({"job_distance_km": float("nan")}, "job_distance_km", "doit être un nombre"),
        ({"points_dalo": 30.5}, "points_dalo", "points : reconnu DALO (points) : doit être un nombre entier"),
        ({"points_dalo": -5}, "points_dalo", "positif ou nul"),
        ({"max_cycle": 6}, "max_cycle", "doit être compris entre 2 et 5"),
        ({"max_cycle": 1}, "max_cycle", "doit être compris entre 2 et 5"),
        ({"max_chain": 7}, "max_chain", "doit être compris entre 0 et 6"),
        ({"earth_radius_km": 0.0}, "earth_radius_km", "doit être strictement positif"),
        ({"bonus": 3}, "bonus", "réglage inconnu"),
        ({"adult_age": 17.5}, "adult_age", "ans) : doit être un nombre entier"),
        ({"adult_age": 121}, "adult_age", "doit être compris entre 0 et 120 (reçu : 121)"),
        (
            {"minors_per_bedroom": 0},
            "minors_per_bedroom",
            "chambre partagée (enfants) : doit être compris entre 1 et 10",
        ),
        ({"rooms_single_or_couple": 0}, "rooms_single_or_couple", "doit être compris entre 1 et 10"),
        ({"living_rooms": -1}, "living_rooms", "pièces de séjour"),
        ({"under_occupation_extra_rooms": 11}, "under_occupation_extra_rooms", "sous-occupation"),
        ({"max_extra_rooms": True}, "max_extra_rooms", "(pièces) : doit être un nombre entier"),
    ],
)
def test_bad_settings_are_refused_with_a_french_message(
    changes: dict[str, Any], setting: str, message: str
) -> None:
    with pytest.raises(settings.InvalidPolicy) as caught:
        settings.validate_policy(changes)
    assert list(caught.value.messages) == [setting]
    assert message in caught.value.messages[setting][0]


@pytest.mark.parametrize(
    ("changes", "attribute", "value"),
    [
        ({"max_cycle": 5}, "max_cycle", 5),
        ({"max_chain": 0}, "max_chain", 0),
        ({"job_distance_km": 25}, "job_distance_km", 25.0),
        ({"points_dalo": 0}, "points_dalo", 0),
        ({}, "surface_couple_m2", 16.0),
        ({"adult_age": 16}, "adult_age", 16),
        ({"minors_per_bedroom": 1}, "minors_per_bedroom", 1),
        ({"rooms_single_or_couple": 2}, "rooms_single_or_couple", 2),
        ({"living_rooms": 0}, "living_rooms", 0),
        ({"under_occupation_extra_rooms": 0}, "under_occupation_extra_rooms", 0),
        ({"max_extra_rooms": 3}, "max_extra_rooms", 3),
    ],
)
def test_good_settings_apply(changes: dict[str, Any], attribute: str, value: object) -> None:
    assert getattr(settings.validate_policy(changes), attribute) == value


def test_every_error_is_reported_at_once() -> None:
    with pytest.raises(settings.InvalidPolicy) as caught:
        settings.validate_policy({"max_cycle": 1, "points_move": -1, "nope": 0})
    assert sorted(caught.value.messages) == ["max_cycle", "nope", "points_move"]
    assert caught.value.lines()[0].startswith("max_cycle: nombre maximal de ménages dans un échange")


def test_every_setting_has_a_french_label() -> None:
    assert set(glossary.POLICY_SETTINGS) == set(PolicyConfig().to_dict())


def test_a_territory_without_settings_has_the_default_policy(session: Session) -> None:
    assert settings.policy_config(session, "CACL") == PolicyConfig()


def test_update_stores_only_the_overrides(session: Session) -> None:
    config = settings.update_policy(session, "CACL", {"job_distance_km": 25.0, "points_dalo": 30})
    assert config == PolicyConfig(job_distance_km=25.0)
    session.flush()
    session.expire_all()
    assert _stored(session, "CACL") == {"job_distance_km": 25.0}
    assert settings.policy_config(session, "CACL").job_distance_km == 25.0
    # Later changes apply on top; a setting back at its default is no longer stored.
    settings.update_policy(session, "CACL", {"max_chain": 2})
    settings.update_policy(session, "CACL", {"job_distance_km": 30.0})
    session.flush()
    session.expire_all()
    assert _stored(session, "CACL") == {"max_chain": 2}


def test_a_refused_update_changes_nothing(session: Session) -> None:
    settings.update_policy(session, "CACL", {"max_chain": 2})
    with pytest.raises(settings.InvalidPolicy):
        settings.update_policy(session, "CACL", {"max_chain": 4, "max_cycle": 8})
    assert settings.policy_config(session, "CACL") == PolicyConfig(max_chain=2)


def test_unknown_territory(session: Session) -> None:
    with pytest.raises(NotFound, match="territoire inconnu : NOPE"):
        settings.policy_config(session, "NOPE")


def test_stored_settings_that_became_invalid_are_reported(session: Session) -> None:
    with pytest.raises(settings.InvalidPolicy, match="1 réglage"):
        settings.policy_config(session, "OLD")


ROOM_SETTINGS = {
    "adult_age": 16,
    "minors_per_bedroom": 3,
    "rooms_single_or_couple": 2,
    "living_rooms": 0,
    "under_occupation_extra_rooms": 2,
    "max_extra_rooms": 3,
}


def test_room_and_age_settings_are_stored_and_read_back(session: Session) -> None:
    config = settings.update_policy(session, "CACL", ROOM_SETTINGS)
    assert config == PolicyConfig(**ROOM_SETTINGS)
    session.flush()
    session.expire_all()
    assert _stored(session, "CACL") == ROOM_SETTINGS
    assert settings.policy_config(session, "CACL") == PolicyConfig(**ROOM_SETTINGS)


def test_room_and_age_settings_travel_in_territory_policy(engine: Engine) -> None:
    """Import, export and read a document: ``territory.policy`` carries the new settings like the others."""
    from factories import make_document

    from exchange.interchange import export_document, import_document
    from exchange.loading import read_document

    info = {"code": "TST", "name": "Territoire de test", "job_distance_km": 30, "policy": ROOM_SETTINGS}
    doc = make_document(territory=info)
    assert read_document(doc)[1] == PolicyConfig(**ROOM_SETTINGS)
    connection = engine.connect()
    outer = connection.begin()
    try:
        with Session(bind=connection, join_transaction_mode="create_savepoint") as db:
            import_document(db, doc)
            db.flush()
            assert settings.policy_config(db, "TST") == PolicyConfig(**ROOM_SETTINGS)
            assert export_document(db, "TST")["territory"]["policy"] == ROOM_SETTINGS
    finally:
        outer.rollback()
        connection.close()


def test_a_bad_room_setting_in_a_document_names_its_path() -> None:
    from factories import make_document

    from exchange.errors import InvalidTerritory
    from exchange.loading import read_document

    info = {"code": "TST", "name": "Territoire de test", "policy": {"minors_per_bedroom": 0}}
    with pytest.raises(InvalidTerritory) as caught:
        read_document(make_document(territory=info))
    assert list(caught.value.messages) == ["territory.policy.minors_per_bedroom"]
    assert (
        "doit être compris entre 1 et 10 (reçu : 0)"
        in caught.value.messages["territory.policy.minors_per_bedroom"][0]
    )


def test_the_explanation_uses_the_room_settings() -> None:
    """``exchange explain``: needs and under-occupation figures follow the territory's numbers."""
    from datetime import date

    from exchange.explain import explain_household, format_explanation
    from matching.territory import Dwelling, Household, Member, Request, Territory

    def flat(ref: str, rooms: int) -> Dwelling:
        return Dwelling(ref, "L", "S", "C", False, rooms, 100.0, 0, False, "none", 300.0, 50.0, 4.9, -52.3)

    family = Household("H1", "D1", (Member("head", 40), Member("child", 17), Member("child", 16)), 1800.0)
    single = Household("H2", "D2", (Member("head", 70),), 900.0)
    territory = Territory(
        "T",
        date(2026, 1, 1),
        (flat("D1", 2), flat("D2", 5)),
        (family, single),
        (Request("H1", date(2025, 1, 1), 900.0), Request("H2", date(2025, 1, 1), 900.0)),
    )
    default = format_explanation(explain_household(territory, "H1"))
    assert "Besoins : 2 chambres, 3 pièces au moins, 4 au plus" in default
    config = PolicyConfig(**ROOM_SETTINGS)  # adults from 16, living rooms 0, up to n + 3 rooms
    custom = format_explanation(explain_household(territory, "H1", config))
    assert "Besoins : 3 chambres, 3 pièces au moins, 6 au plus" in custom
    single_text = format_explanation(explain_household(territory, "H2", config))
    assert "sous-occupation : 5 pièces pour 1 personne, au plus 3" in single_text
    assert "Besoins : 1 chambre, 2 pièces au moins, 4 au plus" in single_text


@pytest.mark.parametrize("name", ["earth_radius_km", "job_distance_km", "surface_cap_m2", "points_dalo"])
def test_a_huge_number_is_refused_without_echoing_it(name: str) -> None:
    with pytest.raises(settings.InvalidPolicy) as caught:
        settings.validate_policy({name: 10**400})
    [message] = caught.value.messages[name]
    assert message.endswith("(reçu : un nombre trop grand)") and len(message) < 200


def test_the_priority_floor_is_a_run_setting(session: Session) -> None:
    assert settings.run_settings(session, "CACL").priority_floor_pct == 100  # on by default
    stored = settings.update_run_settings(session, "CACL", objective="expected", priority_floor_pct=40)
    assert (stored.objective, stored.priority_floor_pct) == ("expected", 40)
    for bad in (-1, 101, 0.5, True):
        with pytest.raises(settings.InvalidPolicy) as refused:
            settings.update_run_settings(session, "CACL", objective="points", priority_floor_pct=bad)  # type: ignore[arg-type]
        assert refused.value.messages == {
            "priority_floor_pct": [
                f"plancher des ménages prioritaires (DALO, handicap) : un pourcentage entier entre 0 et 100 "
                f"(reçu : {bad})"
            ]
        }
    assert settings.run_settings(session, "CACL") == settings.RunSettings("expected", True, 40)  # unchanged

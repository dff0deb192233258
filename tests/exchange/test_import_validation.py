"""A malformed territory document is refused with every problem, each at its path, and writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from factories import make_document, make_dwelling, make_household, make_member, make_request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exchange.errors import InvalidTerritory
from exchange.interchange import export_document, import_document
from exchange.loading import territory_from_document
from exchange.models import Base

Doc = dict[str, Any]


def _set(path: str, value: Any) -> Callable[[Doc], None]:
    """A mutation setting ``doc[a][i][b]... = value`` for ``path`` like ``dwellings.0.rooms``."""

    def mutate(doc: Doc) -> None:
        *parents, last = path.split(".")
        target: Any = doc
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        target[int(last) if last.isdigit() else last] = value

    return mutate


def _drop(path: str) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        *parents, last = path.split(".")
        target: Any = doc
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        del target[last]

    return mutate


def _append(section: str, item: Any) -> Callable[[Doc], None]:
    return lambda doc: doc[section].append(item)


CASES: list[tuple[str, Callable[[Doc], None], str, str]] = [
    # wrong types and values
    ("rooms_zero", _set("dwellings.0.rooms", 0), "dwellings[0].rooms", "doit être compris entre 1 et 20"),
    ("rooms_string", _set("dwellings.1.rooms", "3"), "dwellings[1].rooms", "doit être un nombre entier"),
    ("rooms_float", _set("dwellings.1.rooms", 3.0), "dwellings[1].rooms", "doit être un nombre entier"),
    ("rooms_bool", _set("dwellings.1.rooms", True), "dwellings[1].rooms", "doit être un nombre entier"),
    (
        "surface_string",
        _set("dwellings.0.surface_m2", "64"),
        "dwellings[0].surface_m2",
        "doit être un nombre",
    ),
    ("surface_zero", _set("dwellings.0.surface_m2", 0), "dwellings[0].surface_m2", "doit être > 0"),
    (
        "rent_negative",
        _set("dwellings.2.rent", -1.0),
        "dwellings[2].rent",
        "doit être compris entre 0 et 20000",
    ),
    ("lat_range", _set("dwellings.0.lat", 91.0), "dwellings[0].lat", "doit être compris entre -90 et 90"),
    ("elevator_yes", _set("dwellings.0.elevator", "yes"), "dwellings[0].elevator", "doit être un booléen"),
    (
        "accessibility",
        _set("dwellings.0.accessibility", "ramp"),
        "dwellings[0].accessibility",
        "doit valoir l'une des valeurs : none, accessible, adapted",
    ),
    ("missing_lat", _drop("dwellings.3.lat"), "dwellings[3].lat", "champ obligatoire"),
    (
        "age_negative",
        _set("households.0.members.0.age", -1),
        "households[0].members[0].age",
        "doit être compris entre 0 et 130",
    ),
    (
        "role",
        _set("households.0.members.2.role", "cousin"),
        "households[0].members[2].role",
        "doit valoir l'une des valeurs",
    ),
    (
        "mobility",
        _set("households.1.mobility", "walker"),
        "households[1].mobility",
        "doit valoir l'une des valeurs",
    ),
    (
        "priority",
        _set("households.0.priority", ["violence", "vip"]),
        "households[0].priority[1]",
        "doit valoir l'une des valeurs",
    ),
    (
        "workplace_lon",
        _set("households.0.workplace", {"lat": 5.0, "lon": -190.0}),
        "households[0].workplace.lon",
        "doit être compris entre -180 et 180",
    ),
    (
        "members_empty",
        _set("households.1.members", []),
        "households[1].members",
        "doit compter entre 1 et 30 membres",
    ),
    (
        "resources_null",
        _set("households.1.monthly_resources", None),
        "households[1].monthly_resources",
        "ne peut pas être nul",
    ),
    ("filed_on", _set("requests.0.filed_on", "03/06/2025"), "requests[0].filed_on", "date ISO 8601"),
    ("filed_on_number", _set("requests.0.filed_on", 20250603), "requests[0].filed_on", "date ISO 8601"),
    (
        "communes_not_list",
        _set("requests.0.communes", "Cayenne"),
        "requests[0].communes",
        "doit être une liste",
    ),
    ("rooms_order", _set("requests.1.min_rooms", 3), "requests[1].max_rooms", "doit être >= min_rooms (3)"),
    ("format", _set("format", "bourse-echange/2"), "format", "doit valoir bourse-echange/1"),
    ("bailleurs_not_list", _set("bailleurs", {"code": "OYAP"}), "bailleurs", "doit être une liste"),
    ("territory_missing", _drop("territory"), "territory", "champ obligatoire"),
    # the territory's policy settings (territory.policy)
    (
        "policy_not_object",
        _set("territory.policy", [1]),
        "territory.policy",
        "doit être un objet",
    ),
    (
        "policy_unknown",
        _set("territory.policy", {"points_vip": 10}),
        "territory.policy.points_vip",
        "réglage inconnu",
    ),
    (
        "policy_integer",
        _set("territory.policy", {"points_dalo": 12.5}),
        "territory.policy.points_dalo",
        "points : reconnu DALO (points) : doit être un nombre entier (reçu : 12.5)",
    ),
    (
        "policy_range",
        _set("territory.policy", {"max_cycle": 9}),
        "territory.policy.max_cycle",
        "doit être compris entre 2 et 5",
    ),
    (
        "policy_job_distance",
        _set("territory.policy", {"job_distance_km": 20}),
        "territory.policy.job_distance_km",
        "réglé par territory.job_distance_km",
    ),
    ("job_distance_string", _set("territory.job_distance_km", "30"), "territory.job_distance_km", "nombre"),
    # unknown keys
    ("unknown_top", _set("comment", "x"), "comment", "champ inconnu"),
    (
        "unknown_nested",
        _set("households.1.members.0.name", "Ana"),
        "households[1].members[0].name",
        "champ inconnu",
    ),
    ("unknown_dwelling", _set("dwellings.0.garden", True), "dwellings[0].garden", "champ inconnu"),
    # dangling references
    (
        "dwelling_bailleur",
        _set("dwellings.0.bailleur", "NOPE"),
        "dwellings[0].bailleur",
        "bailleur inconnu : NOPE",
    ),
    ("dwelling_sector", _set("dwellings.1.sector", "X-9"), "dwellings[1].sector", "secteur inconnu : X-9"),
    (
        "household_dwelling",
        _set("households.0.dwelling", "D99"),
        "households[0].dwelling",
        "logement inconnu : D99",
    ),
    (
        "request_household",
        _append("requests", make_request("H9")),
        "requests[2].household",
        "ménage inconnu : H9",
    ),
    (
        "offer_dwelling",
        _append("offers", {"dwelling": "D99"}),
        "offers[1].dwelling",
        "logement inconnu : D99",
    ),
    (
        "exclusion_household",
        _append("exclusions", {"household": "H9", "dwelling": "D1"}),
        "exclusions[1].household",
        "ménage inconnu : H9",
    ),
    (
        "exclusion_dwelling",
        _append("exclusions", {"household": "H1", "dwelling": "D9"}),
        "exclusions[1].dwelling",
        "logement inconnu : D9",
    ),
    # duplicates
    (
        "duplicate_dwelling",
        _append("dwellings", make_dwelling("D2")),
        "dwellings[4].ref",
        "ref en double : D2 (déjà en dwellings[1])",
    ),
    (
        "duplicate_household",
        _append("households", make_household("H1", None)),
        "households[3].ref",
        "ref en double : H1",
    ),
    (
        "duplicate_bailleur",
        _append("bailleurs", {"code": "OYAP", "name": "Autre"}),
        "bailleurs[2].code",
        "code en double : OYAP",
    ),
    (
        "duplicate_sector",
        _append("sectors", {"code": "CAY-01", "commune": "Cayenne", "name": "B", "qpv": False}),
        "sectors[2].code",
        "code en double : CAY-01",
    ),
    ("duplicate_offer", _append("offers", {"dwelling": "D4"}), "offers[1].dwelling", "offre en double : D4"),
    (
        "duplicate_exclusion",
        _append("exclusions", {"household": "H1", "dwelling": "D3"}),
        "exclusions[1]",
        "exclusion en double",
    ),
    # household composition
    (
        "two_heads",
        _set("households.0.members.1.role", "head"),
        "households[0].members",
        "doit compter exactement un chef de ménage (head), trouvé 2",
    ),
    ("no_head", _set("households.1.members", [make_member("child", 9)]), "households[1].members", "trouvé 0"),
    (
        "two_partners",
        _set("households.0.members.2", make_member("partner", 30)),
        "households[0].members",
        "au plus un conjoint (partner), trouvé 2",
    ),
    # occupancy and requests
    (
        "two_households_one_dwelling",
        _set("households.1.dwelling", "D1"),
        "households[1].dwelling",
        "logement D1 déjà occupé par le ménage H1",
    ),
    (
        "request_without_dwelling",
        _set("households.0.dwelling", None),
        "requests[0].household",
        "le ménage H1 n'habite aucun logement du territoire",
    ),
    (
        "two_requests",
        _append("requests", make_request("H1")),
        "requests[2].household",
        "le ménage H1 a déjà une demande ouverte (requests[0])",
    ),
    (
        "offer_occupied",
        _append("offers", {"dwelling": "D2"}),
        "offers[1].dwelling",
        "le logement D2 est occupé par le ménage H2 : seul un logement vacant peut être proposé",
    ),
]


def _snapshot(session: Session) -> tuple[dict[str, int], dict[str, Any]]:
    counts = {
        t.name: session.scalar(select(func.count()).select_from(t)) or 0 for t in Base.metadata.sorted_tables
    }
    return counts, export_document(session, "TST")


@pytest.mark.parametrize(("mutate", "path", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_document_is_refused_at_its_path_and_writes_nothing(
    session: Session, mutate: Callable[[Doc], None], path: str, message: str
) -> None:
    import_document(session, make_document())
    session.flush()
    before = _snapshot(session)
    doc = make_document()
    doc["households"][0]["monthly_resources"] = 2000.0  # a valid change that must not be written either
    mutate(doc)
    with pytest.raises(InvalidTerritory) as caught:
        import_document(session, doc)
    messages = caught.value.messages
    assert path in messages, messages
    assert any(message in m for m in messages[path]), messages[path]
    assert any(line.startswith(f"{path}: ") for line in caught.value.lines())
    assert _snapshot(session) == before


def test_valid_factory_document_has_no_error() -> None:
    plain = territory_from_document(make_document())
    assert [d.ref for d in plain.dwellings] == ["D1", "D2", "D3", "D4"]


def test_every_problem_is_reported_at_once() -> None:
    doc = make_document()
    doc["dwellings"][0]["rooms"] = 0
    doc["households"][1]["members"][0]["age"] = "soixante-dix"
    doc["households"][2]["members"].append(make_member("head", 50))
    doc["offers"].append({"dwelling": "D1"})
    doc["extra"] = 1
    with pytest.raises(InvalidTerritory) as caught:
        territory_from_document(doc)
    assert caught.value.lines() == [
        "dwellings[0].rooms: doit être compris entre 1 et 20",
        "extra: champ inconnu",
        "households[1].members[0].age: doit être un nombre entier",
        "households[2].members: doit compter exactement un chef de ménage (head), trouvé 2",
        "offers[1].dwelling: le logement D1 est occupé par le ménage H1 :"
        " seul un logement vacant peut être proposé",
    ]


@pytest.mark.parametrize("doc", [[], "texte", None, 3])
def test_a_document_that_is_not_an_object(doc: Any) -> None:
    with pytest.raises(InvalidTerritory) as caught:
        territory_from_document(doc)
    assert caught.value.messages == {"document": ["doit être un objet JSON"]}

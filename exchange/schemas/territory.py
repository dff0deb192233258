"""marshmallow schemas of the territory document of FORMAT.md (the interchange format) and its cross-checks.

Every schema refuses unknown keys (``unknown = RAISE``) and speaks French. Field validation comes
first (types, enums, ranges); :func:`cross_reference_errors` then checks what a single field cannot
see (dangling refs, duplicates, one head per household, an offer of an occupied dwelling...).
:func:`validate_territory_document` runs both and raises :class:`~exchange.errors.InvalidTerritory`
with *every* problem, keyed by its path (``households[3].members[0].age``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from exchange.errors import InvalidTerritory
from exchange.schemas import fields as f
from exchange.schemas.fields import flatten_errors

__all__ = [
    "FORMAT_VERSION",
    "BailleurSchema",
    "DwellingSchema",
    "ExclusionSchema",
    "HouseholdSchema",
    "MemberSchema",
    "OfferSchema",
    "RequestSchema",
    "SectorSchema",
    "TerritoryDocumentSchema",
    "TerritoryInfoSchema",
    "cross_reference_errors",
    "validate_territory_document",
]

FORMAT_VERSION = "bourse-echange/1"
ACCESSIBILITY = ("none", "accessible", "adapted")
MOBILITY = ("none", "reduced", "wheelchair")
ROLES = ("head", "partner", "child", "other")
PRIORITIES = ("dalo", "handicap", "violence", "unfit_housing")

# ---------------------------------------------------------------- territory document


def _text(maximum: int = 200, **kwargs: Any) -> f.String:
    return f.String(validate=f.length(1, maximum), **kwargs)


class _Settings(fields.Dict):
    default_error_messages = {**f.COMMON, "invalid": "doit être un objet"}


class TerritoryInfoSchema(f.StrictSchema):
    """The ``territory`` object: code, name, the job-distance threshold and the other policy settings.

    ``policy`` (optional, an extension of FORMAT.md written by ``exchange export`` when the territory
    overrides POLICY.md's numbers) maps a setting of :class:`matching.config.PolicyConfig` to its
    value; ``job_distance_km`` has its own field and is refused there.
    """

    code = f.ref(required=True)
    name = _text(required=True)
    job_distance_km = f.Number(load_default=None, allow_none=True, validate=f.at_least(0))
    policy = _Settings(keys=f.String(), load_default=None, allow_none=True)

    @validates_schema
    def _check_policy(self, data: dict[str, Any], **_kwargs: Any) -> None:
        from exchange.settings import InvalidPolicy, validate_policy

        settings = data.get("policy")
        if not settings:
            return
        messages: dict[str, list[str]] = {}
        if "job_distance_km" in settings:
            messages["job_distance_km"] = ["réglé par territory.job_distance_km, pas ici"]
        try:
            validate_policy({k: v for k, v in settings.items() if k != "job_distance_km"})
        except InvalidPolicy as exc:
            messages.update(exc.messages)
        if messages:
            raise ValidationError({"policy": messages})


class BailleurSchema(f.StrictSchema):
    """A landlord (bailleur)."""

    code = f.ref(required=True)
    name = _text(required=True)


class SectorSchema(f.StrictSchema):
    """A sector of one commune, in a QPV or not."""

    code = f.ref(required=True)
    commune = _text(120, required=True)
    name = _text(required=True)
    qpv = f.Boolean(required=True)


class DwellingSchema(f.StrictSchema):
    """A dwelling (logement)."""

    ref = f.ref(required=True)
    bailleur = f.ref(required=True)
    sector = f.ref(required=True)
    rooms = f.Integer(required=True, validate=f.at_least(1))
    surface_m2 = f.Number(
        required=True,
        validate=validate.Range(0, 1000, min_inclusive=False, error="doit être > {min} et <= {max}"),
    )
    floor = f.Integer(required=True, validate=f.between(0, 200))
    elevator = f.Boolean(required=True)
    accessibility = f.String(required=True, validate=f.one_of(ACCESSIBILITY))
    rent = f.Number(required=True, validate=f.at_least(0))
    charges = f.Number(required=True, validate=f.at_least(0))
    lat = f.Number(required=True, validate=f.between(-90, 90))
    lon = f.Number(required=True, validate=f.between(-180, 180))


class MemberSchema(f.StrictSchema):
    """A member of a household: role and age."""

    role = f.String(required=True, validate=f.one_of(ROLES))
    age = f.Integer(required=True, validate=f.between(0, 130))


class PointSchema(f.StrictSchema):
    """A point (WGS 84 decimal degrees)."""

    lat = f.Number(required=True, validate=f.between(-90, 90))
    lon = f.Number(required=True, validate=f.between(-180, 180))


class HouseholdSchema(f.StrictSchema):
    """A household (ménage), living in ``dwelling`` (a ref, or null)."""

    ref = f.ref(required=True)
    dwelling = f.ref(load_default=None, allow_none=True)
    members = f.List(
        f.Nested(MemberSchema),
        required=True,
        validate=validate.Length(min=1, error="doit compter au moins {min} membre"),
    )
    monthly_resources = f.Number(required=True, validate=f.at_least(0))
    mobility = f.String(load_default="none", validate=f.one_of(MOBILITY))
    priority = f.List(f.String(validate=f.one_of(PRIORITIES)), load_default=list)
    workplace = f.Nested(PointSchema, load_default=None, allow_none=True)


class RequestSchema(f.StrictSchema):
    """An open mutation request (demande de mutation)."""

    household = f.ref(required=True)
    filed_on = f.Date(required=True)
    max_cost = f.Number(required=True, validate=f.at_least(0))
    communes = f.List(_text(120), load_default=list)
    accept_qpv = f.Boolean(load_default=True)
    min_rooms = f.Integer(load_default=None, allow_none=True, validate=f.between(1, 20))
    max_rooms = f.Integer(load_default=None, allow_none=True, validate=f.between(1, 20))


class OfferSchema(f.StrictSchema):
    """A vacant dwelling offered to the exchange."""

    dwelling = f.ref(required=True)


class ExclusionSchema(f.StrictSchema):
    """A move never to propose: ``household`` must not get ``dwelling``."""

    household = f.ref(required=True)
    dwelling = f.ref(required=True)


class TerritoryDocumentSchema(f.StrictSchema):
    """The whole territory document of FORMAT.md."""

    format = f.String(required=True, validate=validate.Equal(FORMAT_VERSION, error="doit valoir {other}"))
    as_of = f.Date(required=True)
    territory = f.Nested(TerritoryInfoSchema, required=True)
    bailleurs = f.List(f.Nested(BailleurSchema), required=True)
    sectors = f.List(f.Nested(SectorSchema), required=True)
    dwellings = f.List(f.Nested(DwellingSchema), required=True)
    households = f.List(f.Nested(HouseholdSchema), required=True)
    requests = f.List(f.Nested(RequestSchema), load_default=list)
    offers = f.List(f.Nested(OfferSchema), load_default=list)
    exclusions = f.List(f.Nested(ExclusionSchema), load_default=list)


# ---------------------------------------------------------------- errors and cross references


def _items(doc: Mapping[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    section = doc.get(key)
    if not isinstance(section, list):
        return []
    return [(i, item) for i, item in enumerate(section) if isinstance(item, dict)]


def _str(item: Mapping[str, Any], key: str) -> str | None:
    value = item.get(key)
    return value if isinstance(value, str) else None


class _Problems:
    def __init__(self) -> None:
        self.messages: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.messages.setdefault(path, []).append(message)


def _index(doc: Mapping[str, Any], section: str, key: str, label: str, problems: _Problems) -> dict[str, int]:
    """First position of each ref/code of ``section``; later duplicates are problems."""
    seen: dict[str, int] = {}
    for i, item in _items(doc, section):
        value = _str(item, key)
        if value is None:
            continue
        if value in seen:
            problems.add(
                f"{section}[{i}].{key}", f"{label} en double : {value} (déjà en {section}[{seen[value]}])"
            )
        else:
            seen[value] = i
    return seen


def cross_reference_errors(doc: Mapping[str, Any]) -> dict[str, list[str]]:
    """Problems between objects of a territory document (raw JSON), keyed by path.

    Tolerant of field errors: a value of the wrong type is skipped here (field validation names it).

    >>> cross_reference_errors({"offers": [{"dwelling": "D9"}], "dwellings": []})
    {'offers[0].dwelling': ['logement inconnu : D9']}
    """
    problems = _Problems()
    landlords = _index(doc, "bailleurs", "code", "code", problems)
    sectors = _index(doc, "sectors", "code", "code", problems)
    dwellings = _index(doc, "dwellings", "ref", "ref", problems)
    households = _index(doc, "households", "ref", "ref", problems)

    for i, item in _items(doc, "dwellings"):
        for key, known, label in (("bailleur", landlords, "bailleur"), ("sector", sectors, "secteur")):
            value = _str(item, key)
            if value is not None and value not in known:
                problems.add(f"dwellings[{i}].{key}", f"{label} inconnu : {value}")

    occupant: dict[str, str] = {}  # dwelling ref -> household ref
    housed: set[str] = set()
    for i, item in _items(doc, "households"):
        _check_members(i, item, problems)
        if item.get("dwelling") is not None and (ref := _str(item, "ref")) is not None:
            housed.add(ref)  # an unknown or ill-typed dwelling is reported on its own path
        value = _str(item, "dwelling")
        if value is None:
            continue
        if value not in dwellings:
            problems.add(f"households[{i}].dwelling", f"logement inconnu : {value}")
        elif value in occupant:
            problems.add(
                f"households[{i}].dwelling", f"logement {value} déjà occupé par le ménage {occupant[value]}"
            )
        else:
            occupant[value] = _str(item, "ref") or f"households[{i}]"

    requested: dict[str, int] = {}
    for i, item in _items(doc, "requests"):
        value = _str(item, "household")
        if value is not None:
            if value not in households:
                problems.add(f"requests[{i}].household", f"ménage inconnu : {value}")
            elif value in requested:
                problems.add(
                    f"requests[{i}].household",
                    f"le ménage {value} a déjà une demande ouverte (requests[{requested[value]}])",
                )
            elif value not in housed:
                problems.add(
                    f"requests[{i}].household", f"le ménage {value} n'habite aucun logement du territoire"
                )
            requested.setdefault(value, i)
        low, high = item.get("min_rooms"), item.get("max_rooms")
        if isinstance(low, int) and isinstance(high, int) and low > high:
            problems.add(f"requests[{i}].max_rooms", f"doit être >= min_rooms ({low})")

    offered: dict[str, int] = {}
    for i, item in _items(doc, "offers"):
        value = _str(item, "dwelling")
        if value is None:
            continue
        if value not in dwellings:
            problems.add(f"offers[{i}].dwelling", f"logement inconnu : {value}")
        elif value in offered:
            problems.add(
                f"offers[{i}].dwelling", f"offre en double : {value} (déjà en offers[{offered[value]}])"
            )
        elif value in occupant:
            problems.add(
                f"offers[{i}].dwelling",
                f"le logement {value} est occupé par le ménage {occupant[value]} : seul un logement vacant"
                " peut être proposé",
            )
        offered.setdefault(value, i)

    pairs: dict[tuple[str, str], int] = {}
    for i, item in _items(doc, "exclusions"):
        household, dwelling = _str(item, "household"), _str(item, "dwelling")
        if household is not None and household not in households:
            problems.add(f"exclusions[{i}].household", f"ménage inconnu : {household}")
        if dwelling is not None and dwelling not in dwellings:
            problems.add(f"exclusions[{i}].dwelling", f"logement inconnu : {dwelling}")
        if household is not None and dwelling is not None:
            if (household, dwelling) in pairs:
                problems.add(
                    f"exclusions[{i}]",
                    f"exclusion en double (déjà en exclusions[{pairs[household, dwelling]}])",
                )
            pairs.setdefault((household, dwelling), i)
    return problems.messages


def _check_members(i: int, item: Mapping[str, Any], problems: _Problems) -> None:
    members = item.get("members")
    if not isinstance(members, list) or not members:
        return
    roles = Counter(m.get("role") for m in members if isinstance(m, dict))
    if roles["head"] != 1:
        problems.add(
            f"households[{i}].members",
            f"doit compter exactement un chef de ménage (head), trouvé {roles['head']}",
        )
    if roles["partner"] > 1:
        problems.add(f"households[{i}].members", f"au plus un conjoint (partner), trouvé {roles['partner']}")


def validate_territory_document(doc: Any) -> dict[str, Any]:
    """The territory document loaded (dates parsed, defaults filled), or :class:`InvalidTerritory`.

    Every problem is reported at once: field errors and cross-reference errors together.
    """
    if not isinstance(doc, dict):
        raise InvalidTerritory({"document": ["doit être un objet JSON"]})
    messages: dict[str, list[str]] = {}
    loaded: dict[str, Any] = {}
    try:
        loaded = TerritoryDocumentSchema().load(doc)
    except ValidationError as exc:
        messages = flatten_errors(exc.messages)
    for path, found in cross_reference_errors(doc).items():
        messages.setdefault(path, []).extend(found)
    if messages:
        raise InvalidTerritory(messages)
    return loaded

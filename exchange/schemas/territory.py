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
from datetime import date
from typing import Any, NamedTuple

from marshmallow import ValidationError, fields, validate, validates_schema

from exchange.errors import InvalidTerritory
from exchange.schemas import fields as f
from exchange.schemas.fields import flatten_errors, shown

__all__ = [
    "BOUNDS",
    "EARLIEST",
    "FORMAT_VERSION",
    "LATEST",
    "LENGTHS",
    "Bound",
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


class Bound(NamedTuple):
    """The accepted range of a number of the document (``low`` excluded when ``open_low``)."""

    low: float
    high: float
    open_low: bool = False

    def validator(self) -> validate.Range:
        """The marshmallow check of this range, with a French message."""
        if self.open_low:
            return validate.Range(
                self.low, self.high, min_inclusive=False, error="doit être > {min} et <= {max}"
            )
        return f.between(self.low, self.high)


BOUNDS: dict[str, Bound] = {
    "territory.job_distance_km": Bound(0, 20_000),
    "dwellings.rooms": Bound(1, 20),
    "dwellings.surface_m2": Bound(0, 1000, open_low=True),
    "dwellings.floor": Bound(0, 200),
    "dwellings.rent": Bound(0, 20_000),
    "dwellings.charges": Bound(0, 20_000),
    "dwellings.lat": Bound(-90, 90),
    "dwellings.lon": Bound(-180, 180),
    "households.members": Bound(1, 30),
    "households.members.age": Bound(0, 130),
    "households.monthly_resources": Bound(0, 1_000_000),
    "requests.max_cost": Bound(0, 40_000),
    "requests.communes": Bound(0, 200),
    "requests.min_rooms": Bound(1, 20),
    "requests.max_rooms": Bound(1, 20),
}
"""Every number of the territory document and its accepted range, in one place (docs/INTERCHANGE.md).

Euros are monthly; ``households.members`` and ``requests.communes`` bound the length of the list."""

HUGE = f.INT_MAX
"""No setting of ``territory.policy`` is larger (the finer bounds of each setting are exchange.settings's)."""

EARLIEST = date(1950, 1, 1)
"""No ``as_of`` nor ``filed_on`` before this day."""
LATEST = date(2100, 12, 31)
"""No ``as_of`` after this day (a ``filed_on`` is never after the document's ``as_of``)."""


def _column_lengths() -> dict[str, int]:
    from exchange.models import Dwelling, Household, Landlord, Sector, Territory

    def size(column: Any) -> int:
        return int(column.type.length)

    return {
        "territory.code": size(Territory.code),
        "territory.name": size(Territory.name),
        "bailleurs.code": size(Landlord.code),
        "bailleurs.name": size(Landlord.name),
        "sectors.code": size(Sector.code),
        "sectors.commune": size(Sector.commune),
        "sectors.name": size(Sector.name),
        "dwellings.ref": size(Dwelling.ref),
        "households.ref": size(Household.ref),
    }


LENGTHS: dict[str, int] = _column_lengths()
"""The longest text of each field, equal to its database column (a reference to it: the same length)."""


def _bounded(key: str) -> list[validate.Validator]:
    return [BOUNDS[key].validator()]


def _text(key: str, **kwargs: Any) -> f.String:
    return f.String(validate=[f.length(1, LENGTHS[key]), f.not_blank()], **kwargs)


def _ref(key: str, **kwargs: Any) -> f.String:
    return f.ref(LENGTHS[key], **kwargs)


def _number(key: str, **kwargs: Any) -> f.Number:
    return f.Number(validate=_bounded(key), **kwargs)


def _integer(key: str, **kwargs: Any) -> f.Integer:
    return f.Integer(validate=_bounded(key), **kwargs)


def _dated(**kwargs: Any) -> f.Date:
    return f.Date(
        validate=validate.Range(
            EARLIEST, LATEST, error=f"doit être compris entre {EARLIEST:%Y-%m-%d} et {LATEST:%Y-%m-%d}"
        ),
        **kwargs,
    )


# ---------------------------------------------------------------- territory document


class _Settings(fields.Dict):
    default_error_messages = {**f.COMMON, "invalid": "doit être un objet"}


class TerritoryInfoSchema(f.StrictSchema):
    """The ``territory`` object: code, name, the job-distance threshold and the other policy settings.

    ``policy`` (optional, an extension of FORMAT.md written by ``exchange export`` when the territory
    overrides POLICY.md's numbers) maps a setting of :class:`matching.config.PolicyConfig` to its
    value; ``job_distance_km`` has its own field and is refused there.
    """

    code = _ref("territory.code", required=True)
    name = _text("territory.name", required=True)
    job_distance_km = _number("territory.job_distance_km", load_default=None, allow_none=True)
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
        huge = {k for k, v in settings.items() if isinstance(v, int | float) and not abs(v) <= HUGE}
        for name in huge:  # refused before any arithmetic (10**400 is beyond float's range)
            messages[f.shown(name)] = [f"nombre trop grand (au plus {HUGE})"]
        try:
            validate_policy({k: v for k, v in settings.items() if k != "job_distance_km" and k not in huge})
        except InvalidPolicy as exc:
            messages.update(exc.messages)
        if messages:
            raise ValidationError({"policy": messages})


class BailleurSchema(f.StrictSchema):
    """A landlord (bailleur)."""

    code = _ref("bailleurs.code", required=True)
    name = _text("bailleurs.name", required=True)


class SectorSchema(f.StrictSchema):
    """A sector of one commune, in a QPV or not."""

    code = _ref("sectors.code", required=True)
    commune = _text("sectors.commune", required=True)
    name = _text("sectors.name", required=True)
    qpv = f.Boolean(required=True)


class DwellingSchema(f.StrictSchema):
    """A dwelling (logement)."""

    ref = _ref("dwellings.ref", required=True)
    bailleur = _ref("bailleurs.code", required=True)
    sector = _ref("sectors.code", required=True)
    rooms = _integer("dwellings.rooms", required=True)
    surface_m2 = _number("dwellings.surface_m2", required=True)
    floor = _integer("dwellings.floor", required=True)
    elevator = f.Boolean(required=True)
    accessibility = f.String(required=True, validate=f.one_of(ACCESSIBILITY))
    rent = _number("dwellings.rent", required=True)
    charges = _number("dwellings.charges", required=True)
    lat = _number("dwellings.lat", required=True)
    lon = _number("dwellings.lon", required=True)


class MemberSchema(f.StrictSchema):
    """A member of a household: role and age."""

    role = f.String(required=True, validate=f.one_of(ROLES))
    age = _integer("households.members.age", required=True)


class PointSchema(f.StrictSchema):
    """A point (WGS 84 decimal degrees)."""

    lat = _number("dwellings.lat", required=True)
    lon = _number("dwellings.lon", required=True)


class HouseholdSchema(f.StrictSchema):
    """A household (ménage), living in ``dwelling`` (a ref, or null)."""

    ref = _ref("households.ref", required=True)
    dwelling = _ref("dwellings.ref", load_default=None, allow_none=True)
    members = f.List(
        f.Nested(MemberSchema),
        required=True,
        validate=validate.Length(
            int(BOUNDS["households.members"].low),
            int(BOUNDS["households.members"].high),
            error="doit compter entre {min} et {max} membres",
        ),
    )
    monthly_resources = _number("households.monthly_resources", required=True)
    mobility = f.String(load_default="none", validate=f.one_of(MOBILITY))
    priority = f.List(f.String(validate=f.one_of(PRIORITIES)), load_default=list)
    workplace = f.Nested(PointSchema, load_default=None, allow_none=True)


class RequestSchema(f.StrictSchema):
    """An open mutation request (demande de mutation)."""

    household = _ref("households.ref", required=True)
    filed_on = _dated(required=True)
    max_cost = _number("requests.max_cost", required=True)
    communes = f.List(
        _text("sectors.commune"),
        load_default=list,
        validate=validate.Length(max=int(BOUNDS["requests.communes"].high), error="au plus {max} communes"),
    )
    accept_qpv = f.Boolean(load_default=True)
    min_rooms = _integer("requests.min_rooms", load_default=None, allow_none=True)
    max_rooms = _integer("requests.max_rooms", load_default=None, allow_none=True)


class OfferSchema(f.StrictSchema):
    """A vacant dwelling offered to the exchange."""

    dwelling = _ref("dwellings.ref", required=True)


class ExclusionSchema(f.StrictSchema):
    """A move never to propose: ``household`` must not get ``dwelling``."""

    household = _ref("households.ref", required=True)
    dwelling = _ref("dwellings.ref", required=True)


class TerritoryDocumentSchema(f.StrictSchema):
    """The whole territory document of FORMAT.md."""

    format = f.String(required=True, validate=validate.Equal(FORMAT_VERSION, error="doit valoir {other}"))
    as_of = _dated(required=True)
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
                f"{section}[{i}].{key}",
                f"{label} en double : {shown(value)} (déjà en {section}[{seen[value]}])",
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
                problems.add(f"dwellings[{i}].{key}", f"{label} inconnu : {shown(value)}")

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
            problems.add(f"households[{i}].dwelling", f"logement inconnu : {shown(value)}")
        elif value in occupant:
            problems.add(
                f"households[{i}].dwelling",
                f"logement {shown(value)} déjà occupé par le ménage {shown(occupant[value])}",
            )
        else:
            occupant[value] = _str(item, "ref") or f"households[{i}]"

    communes = {c for _, item in _items(doc, "sectors") if (c := _str(item, "commune")) is not None}
    as_of = _day(doc.get("as_of"))
    requested: dict[str, int] = {}
    for i, item in _items(doc, "requests"):
        _check_request(i, item, communes, as_of, problems)
        value = _str(item, "household")
        if value is not None:
            if value not in households:
                problems.add(f"requests[{i}].household", f"ménage inconnu : {shown(value)}")
            elif value in requested:
                problems.add(
                    f"requests[{i}].household",
                    f"le ménage {shown(value)} a déjà une demande ouverte (requests[{requested[value]}])",
                )
            elif value not in housed:
                problems.add(
                    f"requests[{i}].household",
                    f"le ménage {shown(value)} n'habite aucun logement du territoire",
                )
            requested.setdefault(value, i)
        low, high = item.get("min_rooms"), item.get("max_rooms")
        if isinstance(low, int) and isinstance(high, int) and low > high:
            problems.add(f"requests[{i}].max_rooms", f"doit être >= min_rooms ({shown(low)})")

    offered: dict[str, int] = {}
    for i, item in _items(doc, "offers"):
        value = _str(item, "dwelling")
        if value is None:
            continue
        if value not in dwellings:
            problems.add(f"offers[{i}].dwelling", f"logement inconnu : {shown(value)}")
        elif value in offered:
            problems.add(
                f"offers[{i}].dwelling",
                f"offre en double : {shown(value)} (déjà en offers[{offered[value]}])",
            )
        elif value in occupant:
            problems.add(
                f"offers[{i}].dwelling",
                f"le logement {shown(value)} est occupé par le ménage {shown(occupant[value])} :"
                " seul un logement vacant peut être proposé",
            )
        offered.setdefault(value, i)

    pairs: dict[tuple[str, str], int] = {}
    for i, item in _items(doc, "exclusions"):
        household, dwelling = _str(item, "household"), _str(item, "dwelling")
        if household is not None and household not in households:
            problems.add(f"exclusions[{i}].household", f"ménage inconnu : {shown(household)}")
        if dwelling is not None and dwelling not in dwellings:
            problems.add(f"exclusions[{i}].dwelling", f"logement inconnu : {shown(dwelling)}")
        if household is not None and dwelling is not None:
            if (household, dwelling) in pairs:
                problems.add(
                    f"exclusions[{i}]",
                    f"exclusion en double (déjà en exclusions[{pairs[household, dwelling]}])",
                )
            pairs.setdefault((household, dwelling), i)
    return problems.messages


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _check_request(
    i: int, item: Mapping[str, Any], communes: set[str], as_of: date | None, problems: _Problems
) -> None:
    """A request's wished communes are communes of the territory; it was filed by the document's day."""
    wished = item.get("communes")
    if isinstance(wished, list) and communes:
        for j, commune in enumerate(wished):
            if isinstance(commune, str) and commune not in communes:
                problems.add(
                    f"requests[{i}].communes[{j}]",
                    f"commune inconnue : {shown(commune)} (aucun secteur du territoire dans cette commune)",
                )
    filed = _day(item.get("filed_on"))
    if filed is not None and as_of is not None and filed > as_of:
        problems.add(f"requests[{i}].filed_on", f"ne peut pas être postérieure à as_of ({as_of:%Y-%m-%d})")


def _check_members(i: int, item: Mapping[str, Any], problems: _Problems) -> None:
    members = item.get("members")
    if not isinstance(members, list) or not members:
        return
    roles = Counter(m["role"] for m in members if isinstance(m, dict) and isinstance(m.get("role"), str))
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

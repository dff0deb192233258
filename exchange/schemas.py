"""marshmallow schemas of the two documents of FORMAT.md: the territory document and the proposals document.

Every schema refuses unknown keys (``unknown = RAISE``) and speaks French. Field validation comes
first (types, enums, ranges); :func:`cross_reference_errors` then checks what a single field cannot
see (dangling refs, duplicates, one head per household, an offer of an occupied dwelling...).
:func:`validate_territory_document` runs both and raises :class:`~exchange.errors.InvalidTerritory`
with *every* problem, keyed by its path (``households[3].members[0].age``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from datetime import date
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from exchange.errors import InvalidTerritory

__all__ = [
    "FORMAT_VERSION",
    "BailleurSchema",
    "DwellingSchema",
    "ExclusionSchema",
    "HouseholdSchema",
    "MemberSchema",
    "MoveSchema",
    "OfferSchema",
    "ProposalSchema",
    "ProposalsDocumentSchema",
    "RequestSchema",
    "SectorSchema",
    "TerritoryDocumentSchema",
    "TerritoryInfoSchema",
    "cross_reference_errors",
    "flatten_errors",
    "validate_territory_document",
]

FORMAT_VERSION = "bourse-echange/1"
ACCESSIBILITY = ("none", "accessible", "adapted")
MOBILITY = ("none", "reduced", "wheelchair")
ROLES = ("head", "partner", "child", "other")
PRIORITIES = ("dalo", "handicap", "violence", "unfit_housing")

# ---------------------------------------------------------------- strict, French fields

_COMMON = {
    "required": "champ obligatoire",
    "null": "ne peut pas être nul",
    "validator_failed": "valeur invalide",
}


class _Str(fields.String):
    default_error_messages = {**_COMMON, "invalid": "doit être une chaîne de caractères"}


class _Int(fields.Integer):
    """An integer; refuses booleans, floats (even 3.0) and strings."""

    default_error_messages = {
        **_COMMON,
        "invalid": "doit être un nombre entier",
        "too_large": "nombre trop grand",
    }

    def _validated(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid", input=value)
        return value


class _Num(fields.Float):
    """A finite number (an integer or a decimal); refuses booleans and strings."""

    default_error_messages = {
        **_COMMON,
        "invalid": "doit être un nombre",
        "special": "doit être un nombre fini",
        "too_large": "nombre trop grand",
    }

    def _validated(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid", input=value)
        number = float(value)
        if math.isnan(number) or math.isinf(number):
            raise self.make_error("special")
        return number


class _Bool(fields.Boolean):
    """``true`` or ``false`` only (no 0/1, no "yes")."""

    default_error_messages = {**_COMMON, "invalid": "doit être un booléen (true ou false)"}
    truthy = {True}
    falsy = {False}


class _Date(fields.Date):
    """An ISO 8601 date string (AAAA-MM-JJ)."""

    default_error_messages = {
        **_COMMON,
        "invalid": "doit être une date ISO 8601 (AAAA-MM-JJ)",
        "format": "date impossible à écrire : {input}",
    }

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> date:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        result: date = super()._deserialize(value, attr, data, **kwargs)
        return result


class _List(fields.List):  # type: ignore[type-arg]
    default_error_messages = {**_COMMON, "invalid": "doit être une liste"}


class _Nested(fields.Nested):
    default_error_messages = {**_COMMON, "type": "doit être un objet"}


def _ref(**kwargs: Any) -> _Str:
    """A ref or a code: a non-empty string of at most 64 characters."""
    return _Str(
        validate=validate.Length(1, 64, error="doit contenir entre {min} et {max} caractères"), **kwargs
    )


def _text(maximum: int = 200, **kwargs: Any) -> _Str:
    return _Str(
        validate=validate.Length(1, maximum, error="doit contenir entre {min} et {max} caractères"), **kwargs
    )


def _one_of(choices: tuple[str, ...]) -> validate.OneOf:
    return validate.OneOf(choices, error="doit valoir l'une des valeurs : {choices}")


def _at_least(minimum: float) -> validate.Range:
    return validate.Range(min=minimum, error="doit être >= {min}")


def _between(low: float, high: float) -> validate.Range:
    return validate.Range(min=low, max=high, error="doit être compris entre {min} et {max}")


def _positive() -> validate.Range:
    return validate.Range(min=0, min_inclusive=False, error="doit être > {min}")


class _Strict(Schema):
    """Base of every schema: unknown keys are errors, messages in French."""

    class Meta:
        unknown = RAISE

    error_messages = {"unknown": "champ inconnu", "type": "doit être un objet"}


# ---------------------------------------------------------------- territory document


class _Settings(fields.Dict):
    default_error_messages = {**_COMMON, "invalid": "doit être un objet"}


class TerritoryInfoSchema(_Strict):
    """The ``territory`` object: code, name, the job-distance threshold and the other policy settings.

    ``policy`` (optional, an extension of FORMAT.md written by ``exchange export`` when the territory
    overrides POLICY.md's numbers) maps a setting of :class:`matching.config.PolicyConfig` to its
    value; ``job_distance_km`` has its own field and is refused there.
    """

    code = _ref(required=True)
    name = _text(required=True)
    job_distance_km = _Num(load_default=None, allow_none=True, validate=_at_least(0))
    policy = _Settings(keys=_Str(), load_default=None, allow_none=True)

    @validates_schema
    def _check_policy(self, data: dict[str, Any], **_kwargs: Any) -> None:
        from exchange.policy import InvalidPolicy, validate_policy

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


class BailleurSchema(_Strict):
    """A landlord (bailleur)."""

    code = _ref(required=True)
    name = _text(required=True)


class SectorSchema(_Strict):
    """A sector of one commune, in a QPV or not."""

    code = _ref(required=True)
    commune = _text(120, required=True)
    name = _text(required=True)
    qpv = _Bool(required=True)


class DwellingSchema(_Strict):
    """A dwelling (logement)."""

    ref = _ref(required=True)
    bailleur = _ref(required=True)
    sector = _ref(required=True)
    rooms = _Int(required=True, validate=_at_least(1))
    surface_m2 = _Num(
        required=True,
        validate=validate.Range(0, 1000, min_inclusive=False, error="doit être > {min} et <= {max}"),
    )
    floor = _Int(required=True, validate=_between(0, 200))
    elevator = _Bool(required=True)
    accessibility = _Str(required=True, validate=_one_of(ACCESSIBILITY))
    rent = _Num(required=True, validate=_at_least(0))
    charges = _Num(required=True, validate=_at_least(0))
    lat = _Num(required=True, validate=_between(-90, 90))
    lon = _Num(required=True, validate=_between(-180, 180))


class MemberSchema(_Strict):
    """A member of a household: role and age."""

    role = _Str(required=True, validate=_one_of(ROLES))
    age = _Int(required=True, validate=_between(0, 130))


class PointSchema(_Strict):
    """A point (WGS 84 decimal degrees)."""

    lat = _Num(required=True, validate=_between(-90, 90))
    lon = _Num(required=True, validate=_between(-180, 180))


class HouseholdSchema(_Strict):
    """A household (ménage), living in ``dwelling`` (a ref, or null)."""

    ref = _ref(required=True)
    dwelling = _ref(load_default=None, allow_none=True)
    members = _List(
        _Nested(MemberSchema),
        required=True,
        validate=validate.Length(min=1, error="doit compter au moins {min} membre"),
    )
    monthly_resources = _Num(required=True, validate=_at_least(0))
    mobility = _Str(load_default="none", validate=_one_of(MOBILITY))
    priority = _List(_Str(validate=_one_of(PRIORITIES)), load_default=list)
    workplace = _Nested(PointSchema, load_default=None, allow_none=True)


class RequestSchema(_Strict):
    """An open mutation request (demande de mutation)."""

    household = _ref(required=True)
    filed_on = _Date(required=True)
    max_cost = _Num(required=True, validate=_at_least(0))
    communes = _List(_text(120), load_default=list)
    accept_qpv = _Bool(load_default=True)
    min_rooms = _Int(load_default=None, allow_none=True, validate=_between(1, 20))
    max_rooms = _Int(load_default=None, allow_none=True, validate=_between(1, 20))


class OfferSchema(_Strict):
    """A vacant dwelling offered to the exchange."""

    dwelling = _ref(required=True)


class ExclusionSchema(_Strict):
    """A move never to propose: ``household`` must not get ``dwelling``."""

    household = _ref(required=True)
    dwelling = _ref(required=True)


class TerritoryDocumentSchema(_Strict):
    """The whole territory document of FORMAT.md."""

    format = _Str(required=True, validate=validate.Equal(FORMAT_VERSION, error="doit valoir {other}"))
    as_of = _Date(required=True)
    territory = _Nested(TerritoryInfoSchema, required=True)
    bailleurs = _List(_Nested(BailleurSchema), required=True)
    sectors = _List(_Nested(SectorSchema), required=True)
    dwellings = _List(_Nested(DwellingSchema), required=True)
    households = _List(_Nested(HouseholdSchema), required=True)
    requests = _List(_Nested(RequestSchema), load_default=list)
    offers = _List(_Nested(OfferSchema), load_default=list)
    exclusions = _List(_Nested(ExclusionSchema), load_default=list)


# ---------------------------------------------------------------- proposals document


class MoveSchema(_Strict):
    """One move of a proposal: ``household`` leaves ``from`` for ``to``."""

    household = _ref(required=True)
    from_ = _ref(required=True, data_key="from", attribute="from")
    to = _ref(required=True)
    points = _Int(required=True, validate=_at_least(0))


class ProposalSchema(_Strict):
    """A proposal: a cycle (échange) or a chain (chaîne de vacance)."""

    kind = _Str(required=True, validate=_one_of(("cycle", "chain")))
    points = _Int(required=True, validate=_at_least(0))
    moves = _List(
        _Nested(MoveSchema),
        required=True,
        validate=validate.Length(min=1, error="doit compter au moins {min} mouvement"),
    )

    @validates_schema
    def _check_shape(self, data: dict[str, Any], **_kwargs: Any) -> None:
        moves = data["moves"]
        if sum(m["points"] for m in moves) != data["points"]:
            raise ValidationError("doit valoir la somme des points de ses mouvements", "points")
        froms = [m["from"] for m in moves]
        tos = [m["to"] for m in moves]
        if data["kind"] == "cycle":
            if len(moves) < 2 or sorted(froms) != sorted(tos):
                raise ValidationError("un échange rend à chaque ménage le logement d'un autre", "moves")
        elif any(tos[i] != froms[i - 1] for i in range(1, len(moves))) or tos[0] in froms:
            raise ValidationError(
                "une chaîne commence par un logement vacant et chaque mouvement reprend le logement"
                " quitté par le précédent",
                "moves",
            )


class ProposalsDocumentSchema(_Strict):
    """What a matching run returns (FORMAT.md, « Proposals »)."""

    as_of = _Date(required=True)
    max_cycle = _Int(required=True, validate=_between(2, 5))
    max_chain = _Int(required=True, validate=_between(0, 6))
    objective = _Int(required=True, validate=_at_least(0))
    proposals = _List(_Nested(ProposalSchema), required=True)

    @validates_schema
    def _check_objective(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if sum(p["points"] for p in data["proposals"]) != data["objective"]:
            raise ValidationError("doit valoir la somme des points de tous les mouvements", "objective")


# ---------------------------------------------------------------- errors and cross references


def flatten_errors(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested error dict as ``{path: [messages]}``; ``households[3].members[0].age``.

    >>> flatten_errors({"households": {3: {"members": {0: {"age": ["doit être >= 0"]}}}}})
    {'households[3].members[0].age': ['doit être >= 0']}
    """
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            if isinstance(key, int):
                path = f"{prefix}[{key}]"
            elif key == "_schema":
                path = prefix or "document"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            for sub, messages in flatten_errors(value, path).items():
                flat.setdefault(sub, []).extend(messages)
    elif isinstance(errors, list) and all(isinstance(e, str) for e in errors):
        flat[prefix or "document"] = list(errors)
    elif isinstance(errors, list):
        for item in errors:
            for sub, messages in flatten_errors(item, prefix).items():
                flat.setdefault(sub, []).extend(messages)
    else:
        flat[prefix or "document"] = [str(errors)]
    return flat


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

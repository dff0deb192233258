"""Contracts of ``/api/v1/``: the bodies and queries it accepts, and its small answers.

The services check the same rules with the same schemas (a CALEOL decision in
:func:`exchange.workflow.decide_move`, an answer or a withdrawal in ``answer_move`` and
``withdraw_move``), and so do the portal's forms; the OpenAPI description is generated from them.
Bounds follow the columns (PostgreSQL ``INTEGER``, string lengths) and the domain (a rank from 1
to 99, dates between 2000 and 2100).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import EXCLUDE, ValidationError, validate, validates_schema

from exchange.models.visit import VISIT_OUTCOMES
from exchange.models.workflow import ANSWER_CHANNELS, DECISION_KINDS, REFUSAL_REASONS
from exchange.schemas import fields as f

__all__ = [
    "CHANNEL_MISSING",
    "HOUSEHOLD_REASONS",
    "OFFER_SORTS",
    "AccountSchema",
    "AnswerSchema",
    "ChannelSchema",
    "CommissionSchema",
    "CorrectionSchema",
    "DecisionSchema",
    "MinutesQuery",
    "MoveDateSchema",
    "OffersQuery",
    "RunRequestSchema",
    "StaffAnswerSchema",
    "StaffRequestSchema",
    "StaffWithdrawSchema",
    "StatsQuery",
    "TokenRequestSchema",
    "TokenSchema",
    "VisitAnswerSchema",
    "VisitAskSchema",
    "VisitReportSchema",
    "WishesSchema",
    "WithdrawSchema",
]

HOUSEHOLD_REASONS = tuple(r for r in REFUSAL_REASONS if r != "no_answer")
"""The refusal reasons a household may give (``no_answer`` is the system's)."""
OFFER_SORTS = ("cost", "-cost", "-surface", "rooms", "commune")
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


class Day(f.Date):
    """A date AAAA-MM-JJ between 2000 and 2100."""

    default_error_messages = {**f.Date.default_error_messages, "invalid": "date AAAA-MM-JJ attendue."}

    def __init__(self, **kwargs: Any) -> None:
        bounds = validate.Range(FIRST_DAY, LAST_DAY, error="date entre le {min} et le {max} attendue.")
        super().__init__(validate=bounds, **kwargs)


def _text(maximum: int, **kwargs: Any) -> f.String:
    error = f"{maximum:,} caractères au plus.".replace(",", "\u202f")
    return f.String(validate=validate.Length(max=maximum, error=error), **kwargs)


def _choice(choices: tuple[str, ...], what: str) -> validate.OneOf:
    return validate.OneOf(choices, error=f"« {{input}} » : {what} attendu parmi : {{choices}}.")


def _blank(value: Any) -> bool:
    return not (isinstance(value, str) and value.strip())


# Tokens and accounts ------------------------------------------------------------------------------


class TokenRequestSchema(f.StrictSchema):
    """A login and its password, for a bearer token."""

    login = f.String(required=True, validate=f.length(1, 254))
    password = f.String(required=True, validate=f.length(1, 1024))


class TokenSchema(f.StrictSchema):
    """A new bearer token (the account's previous one stops working)."""

    token = f.String(required=True)
    role = f.String(required=True, validate=f.one_of(("tenant", "staff", "admin")))
    expires_at = f.String(
        required=True, metadata={"description": "fin de validité, heure locale ISO 8601 sans fuseau"}
    )


class AccountSchema(f.StrictSchema):
    """The authenticated account."""

    login = f.String(required=True)
    role = f.String(required=True, validate=f.one_of(("tenant", "staff", "admin")))
    display_name = f.String(required=True)
    territory = f.String(required=True)
    landlord = f.String(required=True, allow_none=True)
    email = f.String(required=True, allow_none=True)  # where its notifications go, if anywhere


# Tenant -------------------------------------------------------------------------------------------


class WishesSchema(f.StrictSchema):
    """The wishes of a mutation request; ``communes`` among those of the territory."""

    communes = f.List(f.String(validate=f.length(1, 120)), load_default=list)
    min_rooms = f.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(1, 10, error="entier entre 1 et 10 attendu."),
    )
    max_rooms = f.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(1, 10, error="entier entre 1 et 10 attendu."),
    )
    max_cost = f.Number(
        required=True,
        validate=validate.Range(0, 10000, min_inclusive=False, error="nombre entre 0 et 10 000 attendu."),
    )
    accept_qpv = f.Boolean(load_default=True)

    def __init__(self, *, communes: tuple[str, ...] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.known_communes = communes

    @validates_schema(skip_on_field_errors=False)
    def _check(self, data: dict[str, Any], **_kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        chosen = data.get("communes") or []
        if self.known_communes is not None and (
            unknown := [c for c in chosen if c not in self.known_communes]
        ):
            errors["communes"] = [f"commune inconnue : {', '.join(unknown)}."]
        low, high = data.get("min_rooms"), data.get("max_rooms")
        if low is not None and high is not None and high < low:
            errors["max_rooms"] = ["doit être supérieur ou égal à min_rooms."]
        if errors:
            raise ValidationError(errors)


class _RefusalSchema(f.StrictSchema):
    """A reason of the fixed list, and a comment (required for « other »)."""

    reason = f.String(load_default=None, allow_none=True, validate=_choice(HOUSEHOLD_REASONS, "motif"))
    comment = _text(1000, load_default=None, allow_none=True)

    missing_reason = "Indiquez le motif du refus."

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _check(self, data: dict[str, Any], original: Any, **_kwargs: Any) -> None:
        if not isinstance(original, dict) or data.get("accept", "accept" in self.fields):
            return  # not an object, an acceptance, or no valid answer at all
        if original.get("reason") is None:
            raise ValidationError(self.missing_reason, "reason")
        if data.get("reason") == "other" and _blank(data.get("comment")):
            raise ValidationError(
                "Précisez le motif « autre ». Une précision écrite est obligatoire.", "comment"
            )


class AnswerSchema(_RefusalSchema):
    """A household's answer: accept (``true``), or refuse with a reason of the fixed list."""

    accept = f.Boolean(required=True)


class WithdrawSchema(_RefusalSchema):
    """A household withdraws from a proposal it accepted (désistement), with a reason."""

    missing_reason = "Indiquez le motif du désistement."


CHANNEL_MISSING = "Indiquez comment le ménage a répondu : au guichet, par téléphone ou par courrier."


def _channel() -> f.String:
    return f.String(
        required=True,
        validate=_choice(ANSWER_CHANNELS, "canal"),
        error_messages={"required": CHANNEL_MISSING, "null": CHANNEL_MISSING},
        metadata={"description": "comment la réponse est parvenue : desk (au guichet), phone, mail"},
    )


class ChannelSchema(f.StrictSchema):
    """How the answer of a household, recorded for it by staff, came (the workflow's check)."""

    channel = _channel()


class StaffAnswerSchema(AnswerSchema):
    """The answer of one of the landlord's tenant households, recorded by its staff (at the agency, by
    phone or by letter: ``desk``, ``phone``, ``mail``); the same rules as the household's own answer."""

    channel = _channel()


class StaffWithdrawSchema(WithdrawSchema):
    """The withdrawal of one of the landlord's tenant households from a proposal it accepted, recorded by
    its staff (at the agency, by phone or by letter: ``desk``, ``phone``, ``mail``); the same rules as the
    household's own withdrawal."""

    channel = _channel()


class StaffRequestSchema(WishesSchema):
    """A request a landlord's staff files for one of its tenants: the wishes and the household's consent."""

    consent = f.Boolean(required=True)


# Visits -------------------------------------------------------------------------------------------

PHONE = r"^\+?[0-9][0-9 .-]{5,17}[0-9]$"
"""A phone number: digits, spaces, dots or dashes, an optional leading « + » (8 to 20 characters)."""


def _phone() -> f.String:
    error = "numéro de téléphone attendu (chiffres, par exemple 06 12 34 56 78)."
    return f.String(load_default=None, allow_none=True, validate=validate.Regexp(PHONE, error=error))


class VisitAskSchema(f.StrictSchema):
    """A household asks to visit the dwelling it is offered; its phone, optional, shown once both accept."""

    phone = _phone()


class VisitAnswerSchema(f.StrictSchema):
    """The occupant's answer to a visit: accept (with an optional phone) or decline."""

    accept = f.Boolean(required=True)
    phone = _phone()


class VisitReportSchema(f.StrictSchema):
    """The agreed date of a visit and, once it is past, its outcome."""

    visit_on = Day(required=True)
    outcome = f.String(
        load_default=None, allow_none=True, validate=_choice(VISIT_OUTCOMES, "résultat de la visite")
    )


# CALEOL -------------------------------------------------------------------------------------------


class DecisionSchema(f.StrictSchema):
    """A CALEOL decision (R.441-3 CCH): ``kind`` and its reason; the rank of a ranked attribution,
    the condition and its due date (not past) of a conditional one."""

    kind = f.String(
        required=True,
        validate=_choice(DECISION_KINDS, "décision"),
        error_messages={"required": "Choisissez la décision."},
    )
    reason = f.String(
        required=True,
        validate=validate.Length(max=2000, error="2\u202f000 caractères au plus."),
        error_messages={"required": "Indiquez le motif de la décision : elle doit être motivée."},
    )
    rank = f.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(1, 99, error="Entre 1 et 99."),
        metadata={"description": "rang du candidat (décision ranked)"},
    )
    condition = _text(
        500,
        load_default=None,
        allow_none=True,
        metadata={"description": "pièce ou condition attendue (décision conditional)"},
    )
    condition_due = Day(load_default=None, allow_none=True)

    def __init__(self, *, today: date | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.today = today

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _check(self, data: dict[str, Any], original: Any, **_kwargs: Any) -> None:
        if not isinstance(original, dict):
            return
        errors: dict[str, list[str]] = {}
        kind = data.get("kind")
        if "reason" in data and _blank(data["reason"]):
            errors["reason"] = ["Indiquez le motif de la décision : elle doit être motivée."]
        if kind == "ranked" and original.get("rank") is None:
            errors["rank"] = ["Indiquez le rang du candidat."]
        if kind == "conditional":
            if original.get("condition") is None or ("condition" in data and _blank(data["condition"])):
                errors["condition"] = ["Indiquez la pièce ou la condition attendue."]
            due = data.get("condition_due")
            if original.get("condition_due") is None:
                errors["condition_due"] = ["Indiquez la date limite de la condition suspensive."]
            elif due is not None and due < (self.today or date.today()):
                errors["condition_due"] = ["La date limite de la condition suspensive est passée."]
        if errors:
            raise ValidationError(errors)


class CorrectionSchema(DecisionSchema):
    """A CALEOL decision corrected before the proposal is confirmed: the new decision and why it changed."""

    correction = f.String(
        required=True,
        validate=validate.Length(max=1000, error="1\u202f000 caractères au plus."),
        error_messages={"required": "Indiquez pourquoi la décision est corrigée."},
        metadata={"description": "pourquoi la décision est corrigée (au journal d'audit)"},
    )

    @validates_schema(skip_on_field_errors=False)
    def _check_correction(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if "correction" in data and _blank(data["correction"]):
            raise ValidationError({"correction": ["Indiquez pourquoi la décision est corrigée."]})


class MoveDateSchema(f.StrictSchema):
    """The common move date of a confirmed proposal."""

    move_date = Day(required=True)


class MinutesQuery(f.StrictSchema):
    """The period of the minutes (procès-verbal), both days included."""

    class Meta:
        unknown = EXCLUDE

    start = Day(required=True)
    end = Day(required=True)


# Territory ----------------------------------------------------------------------------------------


class RunRequestSchema(f.StrictSchema):
    """A run to start; ``as_of`` (the reference date) is today when left out."""

    as_of = Day(load_default=None, allow_none=True)


class OffersQuery(f.StrictSchema):
    """Filters, order and page of the offers."""

    class Meta:
        unknown = EXCLUDE

    commune = f.String(load_default=None, validate=f.length(0, 120))
    rooms = f.QueryInteger(load_default=None, validate=f.between(1, 20))
    max_cost = f.QueryInteger(load_default=None, validate=f.between(0, 100000))
    accessible = f.QueryFlag(load_default=False)
    compatible = f.QueryFlag(load_default=False)
    sort = f.String(load_default="cost", validate=_choice(OFFER_SORTS, "tri"))
    page = f.QueryInteger(load_default=1, validate=f.between(1, 100000))
    per_page = f.QueryInteger(load_default=20, validate=f.between(1, 100))


class StatsQuery(f.StrictSchema):
    """The year of the figures (every year when left out)."""

    class Meta:
        unknown = EXCLUDE

    year = f.QueryInteger(load_default=None, validate=f.between(2000, 2100))


class CommissionSchema(f.StrictSchema):
    """A proposal of the inter-landlord commission: its moves (« H6 D5, H5 D6 ») and its reason."""

    moves = f.String(
        required=True,
        validate=validate.Length(min=1, max=2000, error="Entre 1 et 2\u202f000 caractères."),
        error_messages={"required": "Indiquez les déménagements : « MÉNAGE LOGEMENT, … »."},
        metadata={"description": "paires MÉNAGE LOGEMENT dans l'ordre, séparées par des virgules"},
    )
    reason = f.String(
        required=True,
        validate=validate.Length(min=1, max=2000, error="Entre 1 et 2\u202f000 caractères."),
        error_messages={"required": "Motivez la proposition de la commission."},
    )

"""A territory's settings (réglages du territoire): its policy numbers and its workflow delays.

One home for every number a territory may change, read by every caller (runs, workflow, portal, CLI):

- the policy of POLICY.md (``Territory.policy``, a JSON object of the settings it overrides; missing
  keys take POLICY.md's defaults): :func:`policy_config` reads it as a
  :class:`~matching.config.PolicyConfig`, :func:`update_policy` validates changes (French messages
  naming each bad setting) and stores them;
- the workflow delays (answer, notice before the move, each landlord's CALEOL delay, when a request
  pauses), the calendar of public holidays every deadline skips (:data:`exchange.deadlines.CALENDARS`)
  and when an open request counts as blocked: :func:`get_delays`, :func:`set_delays` and one reader
  for each;
- what a run maximises (``objective``: ``points`` or ``expected``) and whether a failed proposal is
  repaired at once (``repair``, on by default): :func:`run_settings`, :func:`update_run_settings`;
- the bilan's yearly settings (first-quartile threshold, each landlord's total attributions):
  :func:`year_settings`, :func:`set_year_settings`, :func:`first_quartile_threshold`.

The rules themselves live in :mod:`matching.policy`. Functions take a SQLAlchemy session and never
commit: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange import glossary, records
from exchange.cache import territory_cache
from exchange.deadlines import CALENDARS, METROPOLITAN, MIN_ANSWER_DAYS
from exchange.errors import InvalidArgument, InvalidInput
from exchange.models import Landlord, Territory, UserAccount
from exchange.models.workflow import (
    RUN_OBJECTIVES,
    AuditEvent,
    LandlordWorkflow,
    TerritoryWorkflow,
)
from exchange.models.yearly import LandlordYear, TerritoryYear
from exchange.schemas.fields import shown
from matching.config import RANGES, PolicyConfig
from matching.territory import Household as PlainHousehold
from matching.types import Objective

__all__ = [
    "DEFAULT_ANSWER_DAYS",
    "DEFAULT_BLOCKED_AFTER_DAYS",
    "DEFAULT_BLOCKED_AFTER_RUNS",
    "DEFAULT_MOVE_NOTICE_DAYS",
    "DEFAULT_PAUSE_AFTER_SILENCES",
    "DEFAULT_REMINDER_DAYS",
    "Delays",
    "InvalidPolicy",
    "PolicyConfig",
    "RunSettings",
    "YearSettings",
    "answer_days",
    "blocked_thresholds",
    "calendar",
    "decision_days",
    "first_quartile_threshold",
    "get_delays",
    "move_notice_days",
    "pause_after_silences",
    "policy_config",
    "policy_overrides",
    "reminder_days",
    "priority_floors",
    "run_settings",
    "set_delays",
    "set_year_settings",
    "update_policy",
    "update_run_settings",
    "validate_policy",
    "year_settings",
]

DEFAULT_ANSWER_DAYS = MIN_ANSWER_DAYS
"""Days a household has to answer a proposal: R.441-10's minimum unless the territory sets more."""
DEFAULT_MOVE_NOTICE_DAYS = 30
"""Days from a proposal's confirmation to its common move date."""
DEFAULT_PAUSE_AFTER_SILENCES = 2
"""Lapsed proposals in a row after which a request pauses, unless the territory sets another number."""
DEFAULT_BLOCKED_AFTER_RUNS = 3
"""Runs in a row without a proposal after which an open request counts as blocked."""
DEFAULT_BLOCKED_AFTER_DAYS = 365
"""Days of waiting after which an open request without a proposal counts as blocked."""
DEFAULT_REMINDER_DAYS = 3
"""Days before an answer deadline when a household that has not answered gets a reminder by mail."""
_MAX_DAYS = 365
_MAX_WAIT_DAYS = 3650
_MAX_SETTING = 100_000  # points and counts are stored in INTEGER columns

# Policy numbers (POLICY.md) ---------------------------------------------------------------------

_DEFAULTS = PolicyConfig()
_INTEGER = {f.name for f in fields(PolicyConfig) if isinstance(getattr(_DEFAULTS, f.name), int)}


class InvalidPolicy(InvalidInput):
    """A policy update was refused; nothing was stored. ``messages`` maps a setting to its messages."""

    noun = ("réglage invalide", "réglages invalides")


def _check(name: str, value: object) -> str | None:
    """The French message for a bad ``value`` of setting ``name``, None when it is fine."""
    if name in _INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            return "doit être un nombre entier"
    elif isinstance(value, bool) or not isinstance(value, int | float) or value != value:  # NaN
        return "doit être un nombre"
    if name in RANGES:
        low, high = RANGES[name]
        if not low <= value <= high:
            return f"doit être compris entre {low} et {high}"
        return None
    if name == "earth_radius_km" and not value > 0:
        return "doit être strictement positif"
    if value < 0 or value == float("inf"):
        return "doit être un nombre positif ou nul, fini"
    if value > _MAX_SETTING:
        return f"doit être au plus {_MAX_SETTING:,}".replace(",", "\u202f")
    return None


def _received(value: object) -> str:
    """The refused value as a message may echo it: short, printable, never a 4,000-digit number."""
    if isinstance(value, int) and value.bit_length() > 64:
        return "un nombre trop grand"
    return shown(repr(value))


def validate_policy(data: Mapping[str, Any], base: PolicyConfig | None = None) -> PolicyConfig:
    """``base`` (POLICY.md's defaults when None) with the settings of ``data`` applied.

    Raises :class:`InvalidPolicy` listing every unknown or bad setting, in French.

    >>> validate_policy({"job_distance_km": 25}).job_distance_km
    25.0
    """
    messages: dict[str, list[str]] = {}
    for name, value in data.items():
        if name not in glossary.POLICY_SETTINGS:
            messages[name] = ["réglage inconnu"]
            continue
        problem = _check(name, value)
        if problem is not None:
            messages[name] = [f"{glossary.setting_label(name)} : {problem} (reçu : {_received(value)})"]
    if messages:
        raise InvalidPolicy(messages)
    merged = (base or _DEFAULTS).to_dict()
    merged.update({name: value if name in _INTEGER else float(value) for name, value in data.items()})
    return PolicyConfig.from_dict(merged)


def policy_overrides(config: PolicyConfig) -> dict[str, Any]:
    """The settings of ``config`` that differ from POLICY.md's defaults (what a territory stores).

    >>> policy_overrides(PolicyConfig(job_distance_km=25.0))
    {'job_distance_km': 25.0}
    """
    defaults = _DEFAULTS.to_dict()
    return {name: value for name, value in config.to_dict().items() if value != defaults[name]}


def _territory_row(session: Session, code: str) -> Territory:
    return records.territory(session, code)


def policy_config(session: Session, territory_code: str) -> PolicyConfig:
    """The policy configuration of a territory: its stored overrides on POLICY.md's defaults.

    Raises :class:`~exchange.errors.NotFound` for an unknown territory and
    :class:`InvalidPolicy` if the stored settings are no longer valid.
    """
    stored = _territory_row(session, territory_code).policy or {}
    return validate_policy(stored)


def update_policy(session: Session, territory_code: str, changes: Mapping[str, Any]) -> PolicyConfig:
    """Validate ``changes`` on the territory's current configuration and store the result (no commit).

    A setting set back to its default is no longer stored. Raises :class:`InvalidPolicy`
    (nothing changed) or :class:`~exchange.errors.NotFound`.
    """
    row = _territory_row(session, territory_code)
    config = validate_policy(changes, validate_policy(row.policy or {}))
    row.policy = policy_overrides(config)  # a new dict, so that the JSON column sees the change
    return config


# Workflow delays (DOMAIN.md §2.1, §2.4, §4) -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Delays:
    """A territory's workflow delays: answer (≥ 10 days), notice before the move, each CALEOL's delay,
    and after how many lapsed proposals in a row a request pauses (0: never).

    ``decision_days`` maps a landlord's code to its committee delay in days; None means one month.
    ``calendar`` names the public holidays the deadlines skip; a request without a proposal is
    blocked after ``blocked_after_runs`` runs in a row or ``blocked_after_days`` days of waiting.
    """

    answer_days: int
    move_notice_days: int
    decision_days: dict[str, int | None]
    pause_after_silences: int = DEFAULT_PAUSE_AFTER_SILENCES
    calendar: str = METROPOLITAN
    blocked_after_runs: int = DEFAULT_BLOCKED_AFTER_RUNS
    blocked_after_days: int = DEFAULT_BLOCKED_AFTER_DAYS
    reminder_days: int = DEFAULT_REMINDER_DAYS


def get_delays(session: Session, code: str) -> Delays:
    """The workflow delays of territory ``code`` (defaults: 10 days, 30 days, one month, 2 lapses)."""
    territory = records.territory(session, code)
    row = session.get(TerritoryWorkflow, territory.id)
    landlords = session.execute(
        select(Landlord.code, LandlordWorkflow.decision_days)
        .outerjoin(LandlordWorkflow, LandlordWorkflow.landlord_id == Landlord.id)
        .where(Landlord.territory_id == territory.id)
        .order_by(Landlord.code)
    ).all()
    return Delays(
        answer_days=DEFAULT_ANSWER_DAYS if row is None else row.answer_days,
        move_notice_days=DEFAULT_MOVE_NOTICE_DAYS if row is None else row.move_notice_days,
        decision_days={c: days for c, days in landlords},
        pause_after_silences=DEFAULT_PAUSE_AFTER_SILENCES if row is None else row.pause_after_silences,
        calendar=METROPOLITAN if row is None else row.calendar,
        blocked_after_runs=DEFAULT_BLOCKED_AFTER_RUNS if row is None else row.blocked_after_runs,
        blocked_after_days=DEFAULT_BLOCKED_AFTER_DAYS if row is None else row.blocked_after_days,
        reminder_days=DEFAULT_REMINDER_DAYS if row is None else row.reminder_days,
    )


def set_delays(
    session: Session,
    code: str,
    *,
    answer_days: int | None = None,
    move_notice_days: int | None = None,
    decision_days: dict[str, int | None] | None = None,
    pause_after_silences: int | None = None,
    calendar: str | None = None,
    blocked_after_runs: int | None = None,
    blocked_after_days: int | None = None,
    reminder_days: int | None = None,
    actor: UserAccount | None = None,
    now: datetime | None = None,
) -> Delays:
    """Change some of the territory's delays (the others are kept); one audit event with before/after.

    New delays apply to proposals notified (answer) or accepted (committee) from now on. Raises
    ``ValueError`` (answer delay under 10 days, negative notice, committee delay under 1 day, unknown
    landlord, negative number of lapses, unknown calendar, blocked thresholds under 1) and
    :class:`NotFound`. A new ``pause_after_silences`` applies to the next lapsed proposal: requests
    already paused stay paused.
    """
    at = now or datetime.now()
    territory = records.territory(session, code)
    problems: dict[str, list[str]] = {}
    if answer_days is not None and not MIN_ANSWER_DAYS <= answer_days <= _MAX_DAYS:
        problems["answer_days"] = [
            f"au moins {MIN_ANSWER_DAYS} jours (R.441-10 CCH) et au plus {_MAX_DAYS}, reçu {answer_days}"
        ]
    if move_notice_days is not None and not 0 <= move_notice_days <= _MAX_DAYS:
        problems["move_notice_days"] = [f"un nombre de jours entre 0 et {_MAX_DAYS}, reçu {move_notice_days}"]
    if pause_after_silences is not None and not 0 <= pause_after_silences <= 99:
        problems["pause_after_silences"] = [
            f"un nombre de propositions entre 0 (jamais) et 99, reçu {pause_after_silences}"
        ]
    if calendar is not None and calendar not in CALENDARS:
        problems["calendar"] = [f"calendrier inconnu : {calendar} (connus : {', '.join(CALENDARS)})"]
    if blocked_after_runs is not None and not 1 <= blocked_after_runs <= 99:
        problems["blocked_after_runs"] = [
            f"un nombre d'appariements entre 1 et 99, reçu {blocked_after_runs}"
        ]
    if blocked_after_days is not None and not 1 <= blocked_after_days <= _MAX_WAIT_DAYS:
        problems["blocked_after_days"] = [
            f"un nombre de jours entre 1 et {_MAX_WAIT_DAYS}, reçu {blocked_after_days}"
        ]
    ids = _landlord_ids(session, territory.id)
    for landlord, days in (decision_days or {}).items():
        if landlord not in ids:
            problems.setdefault("decision_days", []).append(f"bailleur inconnu dans {code} : {landlord}")
        elif days is not None and not 1 <= days <= _MAX_DAYS:
            problems.setdefault("decision_days", []).append(
                f"entre 1 et {_MAX_DAYS} jours pour {landlord}, reçu {days}"
            )
    if reminder_days is not None and not 0 <= reminder_days <= _MAX_DAYS:
        problems["reminder_days"] = [
            f"un nombre de jours entre 0 (jamais) et {_MAX_DAYS}, reçu {reminder_days}"
        ]
    if problems:
        raise InvalidArgument(problems)
    before = get_delays(session, code)
    row = session.get(TerritoryWorkflow, territory.id)
    if row is None:
        row = TerritoryWorkflow(
            territory_id=territory.id,
            answer_days=DEFAULT_ANSWER_DAYS,
            move_notice_days=DEFAULT_MOVE_NOTICE_DAYS,
            pause_after_silences=DEFAULT_PAUSE_AFTER_SILENCES,
            calendar=METROPOLITAN,
            blocked_after_runs=DEFAULT_BLOCKED_AFTER_RUNS,
            blocked_after_days=DEFAULT_BLOCKED_AFTER_DAYS,
            reminder_days=DEFAULT_REMINDER_DAYS,
        )
        session.add(row)
    if answer_days is not None:
        row.answer_days = answer_days
    if move_notice_days is not None:
        row.move_notice_days = move_notice_days
    if pause_after_silences is not None:
        row.pause_after_silences = pause_after_silences
    if calendar is not None:
        row.calendar = calendar
    if blocked_after_runs is not None:
        row.blocked_after_runs = blocked_after_runs
    if blocked_after_days is not None:
        row.blocked_after_days = blocked_after_days
    if reminder_days is not None:
        row.reminder_days = reminder_days
    for landlord, days in (decision_days or {}).items():
        setting = session.get(LandlordWorkflow, ids[landlord])
        if setting is None:
            session.add(LandlordWorkflow(landlord_id=ids[landlord], decision_days=days))
        else:
            setting.decision_days = days
    session.flush()
    after = get_delays(session, code)
    if after != before:
        session.add(
            AuditEvent.by(
                actor,
                territory_id=territory.id,
                at=at,
                action="territory.delays",
                entity="territory",
                entity_id=territory.id,
                before=asdict(before),
                after=asdict(after),
            )
        )
        session.flush()
    return after


def _landlord_ids(session: Session, territory_id: int) -> dict[str, int]:
    """The territory's landlords: code → id."""
    rows = session.execute(select(Landlord.code, Landlord.id).where(Landlord.territory_id == territory_id))
    return {code: landlord_id for code, landlord_id in rows.all()}


def answer_days(session: Session, territory_id: int) -> int:
    """The territory's answer delay in days (:data:`DEFAULT_ANSWER_DAYS` unless configured higher)."""
    row = session.get(TerritoryWorkflow, territory_id)
    return DEFAULT_ANSWER_DAYS if row is None else row.answer_days


def move_notice_days(session: Session, territory_id: int) -> int:
    """Days between a proposal's confirmation and its common move date (before the next working day)."""
    row = session.get(TerritoryWorkflow, territory_id)
    return DEFAULT_MOVE_NOTICE_DAYS if row is None else row.move_notice_days


def pause_after_silences(session: Session, territory_id: int) -> int:
    """Lapsed proposals in a row after which a request pauses (0: never)."""
    row = session.get(TerritoryWorkflow, territory_id)
    return DEFAULT_PAUSE_AFTER_SILENCES if row is None else row.pause_after_silences


def decision_days(session: Session, landlord_id: int) -> int | None:
    """The landlord's CALEOL delay in days; None means one calendar month (the default)."""
    row = session.get(LandlordWorkflow, landlord_id)
    return None if row is None else row.decision_days


def calendar(session: Session, territory_id: int) -> str:
    """The territory's calendar of public holidays (:data:`exchange.deadlines.CALENDARS`)."""
    row = session.get(TerritoryWorkflow, territory_id)
    return METROPOLITAN if row is None else row.calendar


def blocked_thresholds(session: Session, territory_id: int) -> tuple[int, int]:
    """(runs in a row, days of waiting) after which a request without a proposal counts as blocked."""
    row = session.get(TerritoryWorkflow, territory_id)
    if row is None:
        return DEFAULT_BLOCKED_AFTER_RUNS, DEFAULT_BLOCKED_AFTER_DAYS
    return row.blocked_after_runs, row.blocked_after_days


def reminder_days(session: Session, territory_id: int) -> int:
    """Days before an answer deadline when a silent household is reminded by mail (0: never)."""
    row = session.get(TerritoryWorkflow, territory_id)
    return DEFAULT_REMINDER_DAYS if row is None else row.reminder_days


# Run settings: what a run maximises and whether a failed proposal is repaired at once -----------


FLOOR_PRIORITIES = frozenset({"dalo", "handicap"})
"""The priority flags whose households' moves the floor protects (the issue's « ménages prioritaires »)."""


@dataclass(frozen=True, slots=True)
class RunSettings:
    """A territory's ``objective`` (``points`` or ``expected``), ``repair`` (on by default) and
    ``priority_floor_pct``: under ``expected``, the share (0 to 100 %) of a priority household's move
    points that counts whatever its estimated chance (100 by default: its move weighs its full points,
    as under ``points``, while the others' are discounted by their chances; 0: no floor)."""

    objective: Objective = "points"
    repair: bool = True
    priority_floor_pct: int = 100


def priority_floors(households: Iterable[PlainHousehold], floor_pct: int) -> dict[str, float]:
    """Each priority household (DALO, handicap) with its floor, for ``matching.Instance.floors``.

    >>> from matching.territory import Household, Member
    >>> dalo = Household("H1", "D1", (Member("head", 40),), 900.0, priority=frozenset({"dalo"}))
    >>> other = Household("H2", "D2", (Member("head", 40),), 900.0, priority=frozenset({"violence"}))
    >>> priority_floors([dalo, other], 80), priority_floors([dalo, other], 0)
    ({'H1': 0.8}, {})
    """
    if floor_pct <= 0:
        return {}
    return {h.ref: floor_pct / 100 for h in households if h.priority & FLOOR_PRIORITIES}


def _workflow_row(session: Session, territory_id: int) -> TerritoryWorkflow | None:
    return session.get(TerritoryWorkflow, territory_id)


def run_settings(session: Session, territory_code: str) -> RunSettings:
    """The territory's run settings (the defaults when it never set them)."""
    row = _workflow_row(session, _territory_row(session, territory_code).id)
    if row is None:
        return RunSettings()
    return RunSettings(
        "expected" if row.objective == "expected" else "points", bool(row.repair), row.priority_floor_pct
    )


def update_run_settings(
    session: Session,
    territory_code: str,
    *,
    objective: str | None = None,
    repair: bool | None = None,
    priority_floor_pct: int | None = None,
) -> RunSettings:
    """Store a new objective, repair or priority floor setting (no commit); :class:`InvalidPolicy` for a
    bad one, nothing stored."""
    if objective is not None and objective not in RUN_OBJECTIVES:
        raise InvalidPolicy({"objective": [f"objectif inconnu : {objective} (points ou expected)"]})
    if priority_floor_pct is not None and (
        isinstance(priority_floor_pct, bool)
        or not isinstance(priority_floor_pct, int)
        or not 0 <= priority_floor_pct <= 100
    ):
        label = glossary.RUN_SETTINGS["priority_floor_pct"]
        message = f"{label} : un pourcentage entier entre 0 et 100 (reçu : {priority_floor_pct})"
        raise InvalidPolicy({"priority_floor_pct": [message]})
    territory = _territory_row(session, territory_code)
    row = _workflow_row(session, territory.id)
    if row is None:
        row = TerritoryWorkflow(territory_id=territory.id)
        session.add(row)
    if objective is not None:
        row.objective = objective
    if repair is not None:
        row.repair = repair
    if priority_floor_pct is not None:
        row.priority_floor_pct = priority_floor_pct
    session.flush()
    return run_settings(session, territory_code)


# The bilan's yearly settings: first-quartile threshold, each landlord's total attributions --------

_MAX_ATTRIBUTIONS = 1_000_000
_MAX_THRESHOLD_EUR = 1_000_000.0


@dataclass(frozen=True, slots=True)
class YearSettings:
    """One year's settings: the first-quartile threshold (euros of yearly resources per consumption
    unit, None: not set) and each landlord's total attributions (None: not entered)."""

    year: int
    first_quartile_eur: float | None
    attributions: dict[str, int | None]


def year_settings(session: Session, code: str, year: int) -> YearSettings:
    """The settings territory ``code`` entered for ``year`` (None where nothing was entered)."""
    territory = records.territory(session, code)
    row = session.get(TerritoryYear, (territory.id, year))
    landlords = session.execute(
        select(Landlord.code, LandlordYear.attributions)
        .outerjoin(LandlordYear, (LandlordYear.landlord_id == Landlord.id) & (LandlordYear.year == year))
        .where(Landlord.territory_id == territory.id)
        .order_by(Landlord.code)
    ).all()
    return YearSettings(
        year=year,
        first_quartile_eur=None if row is None else row.first_quartile_eur,
        attributions={c: n for c, n in landlords},
    )


def first_quartile_threshold(session: Session, code: str, year: int) -> float | None:
    """The first-quartile threshold in force in ``year``: that year's, else the latest before it."""
    territory = records.territory(session, code)
    return session.scalar(
        select(TerritoryYear.first_quartile_eur)
        .where(
            TerritoryYear.territory_id == territory.id,
            TerritoryYear.year <= year,
            TerritoryYear.first_quartile_eur.is_not(None),
        )
        .order_by(TerritoryYear.year.desc())
        .limit(1)
    )


def set_year_settings(
    session: Session,
    code: str,
    year: int,
    *,
    first_quartile_eur: float | None = None,
    attributions: Mapping[str, int] | None = None,
) -> YearSettings:
    """Store the year's threshold and/or landlords' attributions (the others are kept; no commit).

    Writes: ``territory_year``, ``landlord_year``; the caller commits.

    Raises :class:`~exchange.errors.InvalidArgument` (French messages by field; nothing stored)
    and :class:`~exchange.errors.NotFound`.
    """
    territory = records.territory(session, code)
    problems: dict[str, list[str]] = {}
    if not 2000 <= year <= 2100:
        problems["year"] = [f"une année entre 2000 et 2100, reçu {year}"]
    if first_quartile_eur is not None and not 0 < first_quartile_eur <= _MAX_THRESHOLD_EUR:
        problems["first_quartile_eur"] = [
            f"un montant en euros strictement positif et au plus {_MAX_THRESHOLD_EUR:.0f}, "
            f"reçu {_received(first_quartile_eur)}"
        ]
    ids = _landlord_ids(session, territory.id)
    for landlord, n in (attributions or {}).items():
        if landlord not in ids:
            problems.setdefault("attributions", []).append(f"bailleur inconnu dans {code} : {landlord}")
        elif isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= _MAX_ATTRIBUTIONS:
            problems.setdefault("attributions", []).append(
                f"un nombre entier entre 0 et {_MAX_ATTRIBUTIONS} pour {landlord}, reçu {_received(n)}"
            )
    if problems:
        raise InvalidArgument(problems)
    if first_quartile_eur is not None:
        row = session.get(TerritoryYear, (territory.id, year))
        if row is None:
            session.add(
                TerritoryYear(territory_id=territory.id, year=year, first_quartile_eur=first_quartile_eur)
            )
        else:
            row.first_quartile_eur = first_quartile_eur
    for landlord, n in (attributions or {}).items():
        entry = session.get(LandlordYear, (ids[landlord], year))
        if entry is None:
            session.add(LandlordYear(landlord_id=ids[landlord], year=year, attributions=n))
        else:
            entry.attributions = n
    session.flush()
    territory_cache.invalidate(code)  # the threshold reaches the matching through the loaded territory
    return year_settings(session, code, year)

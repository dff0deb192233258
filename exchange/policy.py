"""Per-territory policy configuration (politique harmonisée du territoire) and the pure policy rules.

Each territory stores the numbers of POLICY.md it overrides as a JSON object on its row
(``Territory.policy``; missing keys take POLICY.md's defaults). :func:`policy_config`
reads them as a :class:`~matching.config.PolicyConfig`; :func:`update_policy` validates
changes (French messages naming each bad field) and stores them. Functions take a
SQLAlchemy session and never commit: the caller owns the transaction.

The rules themselves are :mod:`matching.policy`'s, re-exported here for ``exchange`` and ``web``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from importlib import import_module
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange.errors import InvalidInput, NotFound
from matching.config import RANGES, PolicyConfig
from matching.policy import (
    Points,
    Rule,
    active_criteria,
    bedrooms_needed,
    criteria_in,
    full_months,
    household_moves,
    household_size,
    min_surface,
    move_allowed,
    points,
    rooms_needed,
)

__all__ = [
    "SETTING_LABELS",
    "InvalidPolicy",
    "Points",
    "PolicyConfig",
    "Rule",
    "active_criteria",
    "bedrooms_needed",
    "criteria_in",
    "full_months",
    "household_moves",
    "household_size",
    "min_surface",
    "move_allowed",
    "points",
    "policy_config",
    "policy_overrides",
    "rooms_needed",
    "RunSettings",
    "run_settings",
    "update_policy",
    "update_run_settings",
    "validate_policy",
]

SETTING_LABELS: dict[str, str] = {
    "adult_age": "âge à partir duquel un enfant ou autre membre a sa propre chambre (ans)",
    "minors_per_bedroom": "nombre de mineurs par chambre partagée",
    "rooms_single_or_couple": "pièces nécessaires à une personne seule ou un couple",
    "living_rooms": "pièces de séjour ajoutées aux chambres des autres ménages",
    "surface_single_m2": "surface minimale pour une personne seule (m²)",
    "surface_couple_m2": "surface minimale pour deux personnes (m²)",
    "surface_per_extra_person_m2": "surface supplémentaire par personne au-delà de deux (m²)",
    "surface_cap_m2": "plafond de la surface minimale (m²)",
    "under_occupation_extra_rooms": "sous-occupation : pièces au-delà du nombre de personnes",
    "job_distance_km": "distance maximale au lieu de travail (km)",
    "earth_radius_km": "rayon terrestre du calcul de distance (km)",
    "max_extra_rooms": "pièces au-delà du nombre de personnes admises dans le logement proposé",
    "points_move": "points de tout mouvement",
    "points_autonomy": "points du critère perte d'autonomie résolu",
    "points_overcrowding": "points du critère suroccupation résolu",
    "points_under_occupation": "points du critère sous-occupation résolu",
    "points_job_distance": "points du critère éloignement du travail résolu",
    "points_handicap": "points de la priorité handicap",
    "points_violence": "points de la priorité violences",
    "points_unfit_housing": "points de la priorité habitat indigne",
    "points_dalo": "points de la priorité DALO",
    "points_per_month": "points par mois complet d'ancienneté",
    "seniority_cap_months": "plafond d'ancienneté (mois)",
    "max_cycle": "nombre maximal de ménages d'un échange",
    "max_chain": "nombre maximal de mouvements d'une chaîne",
}
"""French label of every setting of :class:`PolicyConfig` (forms, messages)."""

_DEFAULTS = PolicyConfig()
_INTEGER = {f.name for f in fields(PolicyConfig) if isinstance(getattr(_DEFAULTS, f.name), int)}


class InvalidPolicy(InvalidInput):
    """A policy update was refused; nothing was stored. ``messages`` maps a setting to its messages."""

    noun = "réglage(s) invalide(s)"


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
    return None


def validate_policy(data: Mapping[str, Any], base: PolicyConfig | None = None) -> PolicyConfig:
    """``base`` (POLICY.md's defaults when None) with the settings of ``data`` applied.

    Raises :class:`InvalidPolicy` listing every unknown or bad setting, in French.

    >>> validate_policy({"job_distance_km": 25}).job_distance_km
    25.0
    """
    messages: dict[str, list[str]] = {}
    for name, value in data.items():
        if name not in SETTING_LABELS:
            messages[name] = ["réglage inconnu"]
            continue
        problem = _check(name, value)
        if problem is not None:
            messages[name] = [f"{SETTING_LABELS[name]} : {problem} (reçu : {value!r})"]
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


def _territory_model() -> Any:
    # The persistence layer's territory row: ``code`` and the JSON column ``policy``.
    return import_module("exchange.models").Territory


def _territory_row(session: Session, code: str) -> Any:
    model = _territory_model()
    row = session.scalars(select(model).where(model.code == code)).one_or_none()
    if row is None:
        raise NotFound(f"territoire inconnu : {code}")
    return row


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


# Run settings: what a run maximises and whether a failed proposal is repaired at once -----------


@dataclass(frozen=True, slots=True)
class RunSettings:
    """A territory's ``objective`` (``points`` or ``expected``) and ``repair`` (on by default)."""

    objective: str = "points"
    repair: bool = True


def _workflow_row(session: Session, territory_id: int) -> Any:
    return session.get(import_module("exchange.models.workflow").TerritoryWorkflow, territory_id)


def run_settings(session: Session, territory_code: str) -> RunSettings:
    """The territory's run settings (the defaults when it never set them)."""
    row = _workflow_row(session, _territory_row(session, territory_code).id)
    return RunSettings() if row is None else RunSettings(row.objective, bool(row.repair))


def update_run_settings(
    session: Session, territory_code: str, *, objective: str | None = None, repair: bool | None = None
) -> RunSettings:
    """Store a new objective and/or repair setting (no commit); :class:`InvalidPolicy` for a bad one."""
    objectives = import_module("exchange.models.workflow").RUN_OBJECTIVES
    if objective is not None and objective not in objectives:
        raise InvalidPolicy({"objective": [f"objectif inconnu : {objective} (points ou expected)"]})
    territory = _territory_row(session, territory_code)
    row = _workflow_row(session, territory.id)
    if row is None:
        row = import_module("exchange.models.workflow").TerritoryWorkflow(territory_id=territory.id)
        session.add(row)
    if objective is not None:
        row.objective = objective
    if repair is not None:
        row.repair = repair
    session.flush()
    return RunSettings(row.objective, bool(row.repair))

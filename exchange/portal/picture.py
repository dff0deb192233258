"""What a household is told about itself and its moves (explications), from plain data only.

Its composition and needs, the four criteria of POLICY.md §2 with the figures behind them, and the
points of a proposed move in French. No session: these read :mod:`matching.territory`'s types.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from exchange import glossary
from exchange.portal.views import (
    CriterionExplanation,
    DwellingCard,
    HouseholdPicture,
)
from matching import policy
from matching.config import PolicyConfig
from matching.territory import Dwelling, Household, Request


def _num(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def composition_text(household: Household, config: PolicyConfig = policy.DEFAULT_CONFIG) -> str:
    """``2 adultes et 2 enfants (4 personnes)`` from the members' ages (adults: ``config.adult_age``)."""
    adults = sum(1 for m in household.members if m.age >= config.adult_age)
    minors = len(household.members) - adults
    parts = [f"{adults} adulte{'s' if adults > 1 else ''}"]
    if minors:
        parts.append(f"{minors} enfant{'s' if minors > 1 else ''} de moins de {config.adult_age} ans")
    n = len(household.members)
    return f"{' et '.join(parts)} ({n} personne{'s' if n > 1 else ''})"


def explain_criteria(
    household: Household, current: Dwelling, config: PolicyConfig
) -> tuple[CriterionExplanation, ...]:
    """The four criteria of POLICY.md §2 in ``current``, each with the figures behind it.

    >>> from matching.territory import Member
    >>> h = Household("H1", "D1", (Member("head", 40), Member("child", 8), Member("child", 6)), 1500.0)
    >>> d = Dwelling("D1", "L", "S", "C", False, 2, 30.0, 3, False, "none", 300.0, 50.0, 0.0, 0.0)
    >>> [(c.code, c.active) for c in explain_criteria(h, d, PolicyConfig())][:2]
    [('overcrowding', True), ('under_occupation', False)]
    """
    n = policy.household_size(household)
    need_rooms = policy.rooms_needed(household, config)
    most_rooms = n + config.under_occupation_extra_rooms
    need_surface = policy.min_surface(n, config)
    active = policy.active_criteria(household, current, config)
    texts = {
        "overcrowding": (
            f"votre ménage de {n} personne{'s' if n > 1 else ''} a besoin d'au moins {need_rooms} "
            f"pièce{'s' if need_rooms > 1 else ''} et {_num(need_surface)} m² ; votre logement a "
            f"{current.rooms} pièce{'s' if current.rooms > 1 else ''} et {_num(current.surface_m2)} m²."
        ),
        "under_occupation": (
            f"un logement est sous-occupé quand il a plus de {most_rooms} pièces pour {n} "
            f"personne{'s' if n > 1 else ''} ; le vôtre en a {current.rooms}."
        ),
        "autonomy": _autonomy_text(household, current),
        "job_distance": _distance_text(household, current, config),
    }
    return tuple(
        CriterionExplanation(code, glossary.heading(glossary.CRITERIA[code]), code in active, texts[code])
        for code in ("overcrowding", "under_occupation", "autonomy", "job_distance")
    )


def _autonomy_text(household: Household, current: Dwelling) -> str:
    need = glossary.MOBILITY[household.mobility]
    place = "au rez-de-chaussée" if current.floor == 0 else f"au niveau {current.floor}"
    lift = "avec ascenseur" if current.elevator else "sans ascenseur"
    access = glossary.ACCESSIBILITY[current.accessibility]
    return f"besoin de mobilité : {need} ; votre logement est {place}, {lift}, {access}."


def _distance_text(household: Household, current: Dwelling, config: PolicyConfig) -> str:
    km = policy.work_distance_km(household, current, config)
    if km is None:
        return "aucun lieu de travail n'est connu pour votre ménage."
    return (
        f"votre logement est à {_num(km)} km de votre lieu de travail à vol d'oiseau ; "
        f"le seuil du territoire est de {_num(config.job_distance_km)} km."
    )


def household_picture(
    household: Household, current: Dwelling, card: DwellingCard, config: PolicyConfig
) -> HouseholdPicture:
    """The household's view of itself from plain data."""
    n = policy.household_size(household)
    return HouseholdPicture(
        composition=composition_text(household, config),
        size=n,
        rooms_needed=policy.rooms_needed(household, config),
        max_rooms=n + config.max_extra_rooms,
        min_surface=policy.min_surface(n, config),
        current=card,
        criteria=explain_criteria(household, current, config),
    )


def compatible(
    household: Household,
    request: Request,
    current: Dwelling,
    dwelling: Dwelling,
    config: PolicyConfig,
    *,
    excluded: bool = False,
) -> bool:
    """Whether POLICY.md §3 allows ``household -> dwelling`` (rules 1–8)."""
    return not policy.move_allowed(household, request, current, dwelling, config, excluded=excluded)


def points_lines(detail: Mapping[str, Any]) -> list[str]:
    """The points of a move explained in French, from the stored breakdown.

    >>> detail = {"base": 100, "criteria": {"overcrowding": 50}, "seniority": 3, "seniority_months": 3}
    >>> points_lines(detail)[1]
    '50 points : le critère « suroccupation » est résolu.'
    """
    lines = [f"{detail.get('base', 0)} points : tout mouvement qui aboutit."]
    for code, pts in (detail.get("criteria") or {}).items():
        lines.append(f"{pts} points : le critère « {glossary.CRITERIA.get(code, code)} » est résolu.")
    for code, pts in (detail.get("priorities") or {}).items():
        lines.append(f"{pts} points : situation prioritaire ({glossary.PRIORITIES.get(code, code)}).")
    months = detail.get("seniority_months", 0)
    lines.append(f"{detail.get('seniority', 0)} points : ancienneté de la demande ({months} mois complets).")
    return lines


def why_lines(
    detail: Mapping[str, Any], criteria_before: Sequence[str], criteria_after: Sequence[str]
) -> list[str]:
    """Why a move was proposed to its household: the points, then what stays true."""
    lines = points_lines(detail)
    if not criteria_before:
        lines.append("Votre demande est une demande de confort : aucun critère n'était rempli.")
    remaining = [glossary.CRITERIA.get(c, c) for c in criteria_after]
    if remaining:
        lines.append(f"Critère qui resterait rempli : {', '.join(remaining)}.")
    return lines

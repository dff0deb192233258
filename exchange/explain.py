"""Why a household has these candidate dwellings: its measures, active criteria and points, in French.

Pure functions on the plain types of :mod:`matching.territory`: :func:`explain_household`
gathers the figures, :func:`format_explanation` writes them as text for the command line
(``exchange explain``) or a page of the portal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from exchange import glossary
from matching import policy
from matching.config import PolicyConfig
from matching.territory import (
    CRITERIA,
    PRIORITIES,
    Criterion,
    Dwelling,
    Household,
    Request,
    Territory,
)

MONTHS = (  # French month names, also used by the portal's date filter
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


# French formatting -------------------------------------------------------------------------------


def decimal(value: float, digits: int = 1) -> str:
    """A number with a decimal comma and spaces between thousands.

    >>> decimal(38.0), decimal(1234.5, 2), decimal(-0.04)
    ('38,0', '1 234,50', '-0,0')
    """
    return f"{value:,.{digits}f}".replace(",", " ").replace(".", ",")


def euros(value: float) -> str:
    """An amount in euros, French style.

    >>> euros(410)
    '410,00 €'
    """
    return f"{decimal(value, 2)} €"


def long_date(day: date) -> str:
    """A date written out in French.

    >>> long_date(date(2026, 3, 1)), long_date(date(2025, 6, 3))
    ('1er mars 2026', '3 juin 2025')
    """
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {MONTHS[day.month - 1]} {day.year}"


def floor_label(floor: int) -> str:
    """``rez-de-chaussée``, ``1er étage``, ``3e étage``, ``sous-sol``.

    >>> [floor_label(f) for f in (-1, 0, 1, 3)]
    ['sous-sol', 'rez-de-chaussée', '1er étage', '3e étage']
    """
    if floor < 0:
        return "sous-sol"
    if floor == 0:
        return "rez-de-chaussée"
    return "1er étage" if floor == 1 else f"{floor}e étage"


def _people(n: int) -> str:
    return "1 personne" if n == 1 else f"{n} personnes"


def _rooms(n: int) -> str:
    return "1 pièce" if n == 1 else f"{n} pièces"


# Gathering the figures ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    """One allowed move of the household, with its points."""

    dwelling: Dwelling
    points: policy.Points


@dataclass(frozen=True, slots=True)
class Explanation:
    """Everything ``exchange explain`` shows about one household at ``as_of``."""

    household: Household
    dwelling: Dwelling | None  # current dwelling
    request: Request | None  # open request, if any
    as_of: date
    n: int
    bedrooms_needed: int
    rooms_needed: int
    min_surface: float
    active: frozenset[Criterion]
    distance_km: float | None  # from the current dwelling to the workplace
    candidates: tuple[Candidate, ...]  # every allowed move, best first
    rejected: tuple[tuple[policy.Rule, int], ...]  # other candidate dwellings: how many break each rule
    config: PolicyConfig
    chances: Mapping[str, float] = field(
        default_factory=dict
    )  # dwelling ref -> estimated chance (staff only)


def explain_household(
    territory: Territory,
    household_ref: str,
    config: PolicyConfig = policy.DEFAULT_CONFIG,
    chances: Mapping[str, float] | None = None,
) -> Explanation:
    """The figures behind one household's criteria and candidate dwellings (POLICY.md §1–§4).

    ``chances`` maps candidate dwellings to the move's estimated chance (:mod:`exchange.chances`),
    shown to the staff and never to the household.

    Raises ``KeyError`` when the territory has no household ``household_ref``.
    """
    households = {h.ref: h for h in territory.households}
    if household_ref not in households:
        raise KeyError(household_ref)
    household = households[household_ref]
    dwellings = {d.ref: d for d in territory.dwellings}
    current = dwellings.get(household.dwelling) if household.dwelling is not None else None
    request = next((r for r in territory.requests if r.household == household_ref), None)
    candidates: tuple[Candidate, ...] = ()
    rejected: dict[policy.Rule, int] = {}
    if request is not None and current is not None:
        candidates = tuple(
            Candidate(d, p) for d, p in policy.household_moves(territory, household_ref, config)
        )
        for ref in policy.candidate_dwellings(territory):
            if ref == current.ref:
                continue
            excluded = (household_ref, ref) in territory.exclusions
            for rule in policy.move_allowed(
                household, request, current, dwellings[ref], config, excluded=excluded
            ):
                rejected[rule] = rejected.get(rule, 0) + 1
    n = policy.household_size(household)
    return Explanation(
        household=household,
        dwelling=current,
        request=request,
        as_of=territory.as_of,
        n=n,
        bedrooms_needed=policy.bedrooms_needed(household, config),
        rooms_needed=policy.rooms_needed(household, config),
        min_surface=policy.min_surface(n, config),
        active=frozenset() if current is None else policy.active_criteria(household, current, config),
        distance_km=None if current is None else policy.work_distance_km(household, current, config),
        candidates=candidates,
        rejected=tuple((rule, rejected[rule]) for rule in policy.RULES if rule in rejected),
        config=config,
        chances=dict(chances or {}),
    )


# Writing them ------------------------------------------------------------------------------------


def criterion_figures(explanation: Explanation, criterion: Criterion) -> str:
    """The figures behind one active criterion, e.g. ``38,0 m² pour 5 personnes, minimum 43,0 m² ; …``."""
    e, d, h = explanation, explanation.dwelling, explanation.household
    if d is None:
        return ""
    if criterion == "overcrowding":
        return (
            f"{decimal(d.surface_m2)} m² pour {_people(e.n)}, minimum {decimal(e.min_surface)} m² ; "
            f"{_rooms(d.rooms)} pour {e.rooms_needed} nécessaire{'s' if e.rooms_needed > 1 else ''}"
        )
    if criterion == "under_occupation":
        return f"{_rooms(d.rooms)} pour {_people(e.n)}, au plus {e.n + e.config.under_occupation_extra_rooms}"
    if criterion == "autonomy":
        if h.mobility == "wheelchair":
            access = glossary.ACCESSIBILITY[d.accessibility]
            return f"fauteuil roulant, logement non adapté (accès : {access})"
        return f"mobilité réduite, logement au {floor_label(d.floor)} sans ascenseur ni accès aménagé"
    distance = e.distance_km if e.distance_km is not None else 0.0
    return f"{decimal(distance)} km du lieu de travail, au-delà de {decimal(e.config.job_distance_km)} km"


def points_breakdown(p: policy.Points) -> str:
    """``mouvement 100 + critère suroccupation résolu 50 + DALO 30 + ancienneté 12 mois 12 = 192``."""
    parts = [f"mouvement {p.base}"]
    parts += [f"critère {glossary.CRITERIA[c]} résolu {v}" for c, v in p.criteria]
    parts += [f"{glossary.PRIORITIES[f]} {v}" for f, v in p.priorities]
    parts.append(f"ancienneté {p.seniority_months} mois {p.seniority}")
    if p.mixity:
        parts.append(f"mixité sociale {p.mixity}")
    return " + ".join(parts) + f" = {p.total}"


def _dwelling_line(d: Dwelling) -> str:
    qpv = ", QPV" if d.qpv else ""
    lift = ", ascenseur" if d.elevator else ""
    access = f"{floor_label(d.floor)}{lift}, {glossary.ACCESSIBILITY[d.accessibility]}"
    return (
        f"{d.ref} ({d.landlord}, {d.commune}, secteur {d.sector}{qpv}) : T{d.rooms}, "
        f"{decimal(d.surface_m2)} m², {access}, loyer + charges {euros(d.rent + d.charges)}"
    )


def _request_lines(r: Request, as_of: date, config: PolicyConfig) -> list[str]:
    months, seniority = policy.seniority_points(r, as_of, config)
    communes = ", ".join(sorted(r.communes)) if r.communes else "toutes"
    if r.min_rooms is None and r.max_rooms is None:
        rooms = "indifférent"
    else:
        low = "…" if r.min_rooms is None else r.min_rooms
        high = "…" if r.max_rooms is None else r.max_rooms
        rooms = f"de {low} à {high}"
    return [
        f"Demande déposée le {long_date(r.filed_on)} : "
        f"{months} mois d'ancienneté comptés ({seniority} points)",
        f"  coût maximal {euros(r.max_cost)} ; communes : {communes} ; "
        f"QPV {'acceptés' if r.accept_qpv else 'refusés'} ; pièces : {rooms}",
    ]


def format_explanation(explanation: Explanation, limit: int | None = 10) -> str:
    """The explanation as French text, candidate dwellings best first (at most ``limit``; None: all)."""
    e, h = explanation, explanation.household
    lines = [
        f"Ménage {h.ref} au {long_date(e.as_of)} : {_people(e.n)}, mobilité : {glossary.MOBILITY[h.mobility]}"
    ]
    lines.append(
        f"Besoins : {e.bedrooms_needed} chambre{'s' if e.bedrooms_needed > 1 else ''}, "
        f"{_rooms(e.rooms_needed)} au moins, {e.n + e.config.max_extra_rooms} au plus, "
        f"surface minimale {decimal(e.min_surface)} m²"
    )
    if e.dwelling is None:
        lines.append("Logement actuel : aucun logement du territoire")
    else:
        lines.append(f"Logement actuel : {_dwelling_line(e.dwelling)}")
    if h.priority:
        flags = [f for f in PRIORITIES if f in h.priority]
        lines.append(
            "Priorités : "
            + ", ".join(f"{glossary.PRIORITIES[f]} ({e.config.priority_points(f)} points)" for f in flags)
        )
    if e.active:
        lines.append("Critères actifs :")
        for c in CRITERIA:
            if c in e.active:
                lines.append(f"  - {glossary.CRITERIA[c]} : {criterion_figures(e, c)}")
    elif e.dwelling is not None:
        lines.append(
            "Critères actifs : aucun (demande de confort)" if e.request else "Critères actifs : aucun"
        )
    if e.request is None:
        lines.append(f"Le ménage {h.ref} n'a pas de demande de mutation ouverte : aucun logement candidat.")
        return "\n".join(lines)
    lines += _request_lines(e.request, e.as_of, e.config)
    if e.rejected:
        lines.append(
            "Logements proposables écartés, par règle non respectée "
            "(un logement peut compter plusieurs fois) :"
        )
        lines += [f"  - {glossary.RULES[rule]} : {count}" for rule, count in e.rejected]
    if not e.candidates:
        lines.append("Aucun logement candidat : aucun mouvement autorisé pour ce ménage.")
        return "\n".join(lines)
    shown = e.candidates if limit is None else e.candidates[:limit]
    header = f"Logements candidats : {len(e.candidates)}"
    if len(shown) < len(e.candidates):
        header += " (1 meilleur affiché)" if len(shown) == 1 else f" ({len(shown)} meilleurs affichés)"
    lines.append(header)
    for rank, candidate in enumerate(shown, start=1):
        lines.append(f"  {rank}. {candidate.points.total} points — {_dwelling_line(candidate.dwelling)}")
        lines.append(f"     {points_breakdown(candidate.points)}")
        chance = e.chances.get(candidate.dwelling.ref)
        if chance is not None:
            lines.append(f"     chance estimée d'aboutir (acceptation et CALEOL) : {round(100 * chance)} %")
    return "\n".join(lines)

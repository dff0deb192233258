"""« Ma situation »: what a tenant sees of itself, from plain data only (counts, never another household).

* its points today and where they come from (POLICY.md §4, :mod:`matching.policy`'s numbers: the
  same a run would use), its seniority;
* how many candidate dwellings of the territory (POLICY.md §3: the dwellings of households with an open
  request, and the vacant ones offered) its rules allow, and for each wish it set, how many would if it
  widened that wish (:func:`matching.diagnosis.widen`); among them, how many are vacant and offered, and
  how many are lived in by a household, itself asking to move, that the rules allow into its own
  dwelling (a direct exchange is possible);
* the median wait of similar requests: among the territory's completed moves (those the yearly
  statistics count, as :func:`exchange.attributions.load_attributions` does), from filing to the move, for the
  same main criterion and typology, else the same main criterion, else all; with fewer cases than the
  statistics' small-count threshold (:data:`exchange.bilan_tables.MASK_BELOW`), no figure.

The territory is read through :func:`exchange.loading.load_territory` as a run reads it (open requests,
offers, stored exclusions; households in a live proposal included) and kept a few seconds in
:data:`~exchange.cache.territory_cache`; the household and its request are read fresh (a paused request
is shown too: it takes no part in the runs until it is open again). The model's
acceptance chances (issue 18) are never shown to a tenant, so none is read here.
"""

from __future__ import annotations

import statistics
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exchange import glossary, wording
from exchange import models as m
from exchange.attributions import typology
from exchange.bilan_tables import MASK_BELOW
from exchange.cache import territory_cache
from exchange.loading import load_territory, plain_request
from exchange.models.workflow import Proposal, ProposalMove
from exchange.portal.reading import load_household
from exchange.portal.views import MedianWait, PointsLine, TenantSituation, WideningCount
from exchange.settings import policy_config
from matching import policy
from matching.config import PolicyConfig
from matching.diagnosis import WISHES, Wish, widen
from matching.territory import CRITERIA, PRIORITIES, Dwelling, Household, Request

__all__ = [
    "COMPARISONS",
    "DEFINITION",
    "Fits",
    "TerritoryView",
    "completed_waits",
    "fitting_dwellings",
    "main_criterion",
    "median_wait",
    "points_today",
    "tenant_situation",
    "could_take",
    "territory_view",
    "wanted_typology",
]

COMPARISONS = ("criterion_typology", "criterion", "all", "none")
"""The levels of comparison of the median wait, most similar first (``none``: not enough cases)."""
MONTH_DAYS = 365.25 / 12
DEFINITION = (
    "Délai médian entre le dépôt de la demande et le déménagement, parmi les échanges réalisés sur le "
    "territoire (toutes années) par des ménages de même critère principal arrivés dans un logement de la "
    f"typologie que vous recherchez ; s'il y en a moins de {MASK_BELOW}, parmi ceux de même critère "
    "principal, puis parmi tous les échanges réalisés."
)
"""The median wait's definition, shown with it."""


@dataclass(frozen=True, slots=True)
class TerritoryView:
    """The territory as a run reads it on one day: candidate dwellings, their occupants, exclusions."""

    config: PolicyConfig
    first_quartile_eur: float | None
    candidates: Mapping[str, Dwelling]  # candidate dwellings (POLICY.md §3) by ref
    occupant: Mapping[str, str | None]  # candidate -> the requesting household living there (None: vacant)
    households: Mapping[str, Household]  # the requesting households, by ref
    requests: Mapping[str, Request]  # their open requests
    exclusions: frozenset[tuple[str, str]]  # (household, dwelling) pairs never to propose (rule 8)


def territory_view(session: Session, code: str, day: date) -> TerritoryView:
    """The territory's :class:`TerritoryView` on ``day``, read at most every few seconds."""
    return territory_cache.get(code, ("situation", day), lambda: _build_view(session, code, day))


def _build_view(session: Session, code: str, day: date) -> TerritoryView:
    plain = load_territory(session, code, as_of=day)
    dwellings = {d.ref: d for d in plain.dwellings}
    occupant = policy.candidate_dwellings(plain)
    requests = {r.household: r for r in plain.requests}
    return TerritoryView(
        config=policy_config(session, code),
        first_quartile_eur=plain.first_quartile_eur,
        candidates={ref: dwellings[ref] for ref in occupant},
        occupant=occupant,
        households={h.ref: h for h in plain.households if h.ref in requests},
        requests=requests,
        exclusions=plain.exclusions,
    )


def could_take(view: TerritoryView, other: str, dwelling: Dwelling) -> bool:
    """Whether the requesting household ``other`` may move into ``dwelling`` (POLICY.md §3)."""
    household = view.households[other]
    assert household.dwelling is not None  # a requesting household lives in a dwelling of the territory
    return not policy.move_allowed(
        household,
        view.requests[other],
        view.candidates[household.dwelling],
        dwelling,
        view.config,
        excluded=(other, dwelling.ref) in view.exclusions,
    )


# Fitting dwellings ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fits:
    """The candidate dwellings a household's rules allow, and how many would with each wish widened.

    ``widened`` lists only the wishes the request sets (widening an unset wish changes nothing).
    """

    refs: frozenset[str]
    widened: tuple[tuple[Wish, int], ...]


def fitting_dwellings(
    household: Household,
    request: Request,
    current: Dwelling,
    candidates: Mapping[str, Dwelling],
    config: PolicyConfig,
    *,
    excluded: Collection[str] = (),
) -> Fits:
    """Which of ``candidates`` POLICY.md §3 allows ``household`` to move into, then with each wish widened.

    ``excluded`` are the dwellings of its exclusions (rule 8). Each count with a widened wish is
    :func:`matching.policy.move_allowed` with :func:`matching.diagnosis.widen`'s request, tried on the
    dwellings that break one rule only (a widened wish lifts one rule: a dwelling that breaks two stays
    refused; the tests check this against :func:`~matching.diagnosis.widen` on every candidate).

    >>> from matching.territory import Member
    >>> flat = lambda ref, commune: Dwelling(ref, "L", "S", commune, False, 2, 40.0, 0, False, "none",
    ...                                       300.0, 40.0, 0.0, 0.0)
    >>> h = Household("H1", "D1", (Member("head", 40),), 1500.0)
    >>> mine = Dwelling("D1", "L", "S", "A", False, 1, 20.0, 0, False, "none", 250.0, 30.0, 0.0, 0.0)
    >>> r = Request("H1", date(2026, 1, 5), 400.0, communes=frozenset({"A"}))
    >>> near, far = flat("D2", "A"), flat("D3", "B")
    >>> fits = fitting_dwellings(h, r, mine, {"D2": near, "D3": far}, policy.DEFAULT_CONFIG)
    >>> sorted(fits.refs), fits.widened
    (['D2'], (('communes', 2), ('cost', 1)))
    """
    allowed: set[str] = set()
    refused: list[Dwelling] = []  # those only one rule refuses: widening one wish may open them
    for ref, dwelling in candidates.items():
        if ref == current.ref:
            continue
        broken = policy.move_allowed(household, request, current, dwelling, config, excluded=ref in excluded)
        if not broken:
            allowed.add(ref)
        elif len(broken) == 1:
            refused.append(dwelling)
    widened: list[tuple[Wish, int]] = []
    for wish in WISHES:
        wider = widen(request, wish)
        if wider == request:
            continue
        more = sum(
            1
            for d in refused
            if not policy.move_allowed(household, wider, current, d, config, excluded=d.ref in excluded)
        )
        widened.append((wish, len(allowed) + more))
    return Fits(frozenset(allowed), tuple(widened))


def _widening_text(wish: Wish, wider: int, base: int) -> str:
    """« si vous acceptiez toutes les communes du territoire : 42 logements au lieu de 7 »."""
    label = glossary.WIDENED_WISHES[wish]
    if wider == base:
        return f"{label} : pas un logement de plus ({wording.count(base, 'logement', 'logements')})"
    return f"{label} : {wording.count(wider, 'logement', 'logements')} au lieu de {wording.number(base)}"


# Points --------------------------------------------------------------------------------------------


def points_today(
    household: Household, request: Request, current: Dwelling, day: date, config: PolicyConfig
) -> tuple[PointsLine, ...]:
    """The parts of the points of a move that solves every active criterion, on ``day`` (POLICY.md §4).

    The numbers are the policy's (``config``), as :func:`matching.policy.points` counts them; a move
    that leaves the workplace too far does not get the ``job_distance`` points (said in its line).

    >>> from matching.territory import Member
    >>> h = Household("H1", "D1", (Member("head", 70),), 900.0, priority=frozenset({"dalo"}))
    >>> big = Dwelling("D1", "L", "S", "C", False, 4, 80.0, 0, False, "none", 400.0, 50.0, 0.0, 0.0)
    >>> lines = points_today(h, Request("H1", date(2025, 12, 5), 400.0), big, date(2026, 3, 4),
    ...                      policy.DEFAULT_CONFIG)
    >>> [(p.code, p.points) for p in lines]
    [('base', 100), ('under_occupation', 40), ('dalo', 30), ('seniority', 2)]
    """
    active = policy.active_criteria(household, current, config)
    lines = [PointsLine("base", config.points_move, "tout échange qui aboutit")]
    for code in CRITERIA:
        if code not in active:
            continue
        label = glossary.CRITERIA[code]
        if code == "job_distance":
            km = wording.number(config.job_distance_km)
            text = (
                f"critère « {label} » rempli aujourd'hui ; comptés si le nouveau logement est à "
                f"{km} km au plus de votre lieu de travail"
            )
        else:
            text = f"critère « {label} » rempli aujourd'hui, résolu par tout logement qui vous convient"
        lines.append(PointsLine(code, config.criterion_points(code), text))
    for flag in PRIORITIES:
        if flag in household.priority:
            text = f"situation prioritaire ({glossary.PRIORITIES[flag]})"
            lines.append(PointsLine(flag, config.priority_points(flag), text))
    months, seniority = policy.seniority_points(request, day, config)
    text = f"ancienneté de votre demande : {wording.count(months, 'mois complet', 'mois complets')}"
    if policy.full_months(request.filed_on, day) > config.seniority_cap_months:
        text += f" (au plus {config.seniority_cap_months} mois comptés)"
    lines.append(PointsLine("seniority", seniority, text))
    return tuple(lines)


# Median wait -----------------------------------------------------------------------------------------


def main_criterion(criteria: Iterable[str], config: PolicyConfig) -> str:
    """The criterion worth the most points among ``criteria`` (ties: POLICY.md's order), or ``convenience``.

    >>> config = policy.DEFAULT_CONFIG
    >>> main_criterion({"job_distance", "overcrowding"}, config), main_criterion(("convenience",), config)
    ('overcrowding', 'convenience')
    """
    found = [c for c in CRITERIA if c in set(criteria)]
    return max(found, key=config.criterion_points) if found else "convenience"


def wanted_typology(household: Household, request: Request | None, config: PolicyConfig) -> str:
    """The typology the household looks for: the rooms it needs, or its request's minimum if higher."""
    rooms = policy.rooms_needed(household, config)
    if request is not None and request.min_rooms is not None:
        rooms = max(rooms, request.min_rooms)
    return typology(rooms)


def median_wait(cases: Sequence[tuple[str, str, int]], criterion: str, wanted: str) -> MedianWait:
    """The median wait in months of the completed moves ``cases`` ((main criterion, typology, days)) most
    similar to (``criterion``, ``wanted``) that number at least :data:`MASK_BELOW`.

    >>> cases = [("overcrowding", "T3", 300)] * 4 + [("autonomy", "T2", 30)]
    >>> median_wait(cases, "overcrowding", "T3").comparison, median_wait(cases, "overcrowding", "T3").months
    ('all', 10)
    >>> median_wait([("overcrowding", "T3", 300)] * 4, "overcrowding", "T3").text
    'pas assez de cas comparables (moins de 5 échanges réalisés sur le territoire)'
    """
    label = glossary.MAIN_CRITERIA.get(criterion, criterion)
    levels: tuple[tuple[str, str, list[int]], ...] = (
        (
            "criterion_typology",
            f"échanges réalisés de même critère principal ({label}) et de même typologie ({wanted})",
            [days for c, t, days in cases if c == criterion and t == wanted],
        ),
        (
            "criterion",
            f"échanges réalisés de même critère principal ({label}), toutes typologies",
            [days for c, _t, days in cases if c == criterion],
        ),
        ("all", glossary.WAIT_COMPARISONS["all"], [days for _c, _t, days in cases]),
    )
    for code, comparison, waits in levels:
        if len(waits) >= MASK_BELOW:
            months = round(statistics.median(waits) / MONTH_DAYS)
            said = "moins d'un mois" if months == 0 else f"environ {wording.count(months, 'mois', 'mois')}"
            text = f"{said} (médiane de {wording.number(len(waits))} {comparison})"
            return MedianWait(code, comparison, len(waits), months, text, DEFINITION)
    nothing = glossary.WAIT_COMPARISONS["none"]
    text = f"{nothing} (moins de {MASK_BELOW} échanges réalisés sur le territoire)"
    return MedianWait("none", nothing, 0, None, text, DEFINITION)


def completed_waits(session: Session, territory_id: int) -> list[tuple[tuple[str, ...], str, int]]:
    """(criteria before, typology moved into, days from filing to the move) of each completed move.

    The moves :func:`exchange.attributions.load_attributions` counts (proposal completed), the wait as it
    counts it (the household's latest request filed on or before the proposal, to the move date), read
    in one query: a territory's whole history is read again whenever its cache entry is cleared.
    """
    filed = (
        select(func.max(m.Request.filed_on))
        .where(
            m.Request.household_id == ProposalMove.household_id, m.Request.filed_on <= Proposal.notified_on
        )
        .correlate(ProposalMove, Proposal)
        .scalar_subquery()
    )
    rows = session.execute(
        select(ProposalMove.criteria_before, m.Dwelling.rooms, Proposal.move_date, filed)
        .join(Proposal, Proposal.id == ProposalMove.proposal_id)
        .join(m.Dwelling, m.Dwelling.id == ProposalMove.to_dwelling_id)
        .where(Proposal.territory_id == territory_id, Proposal.status == "completed")
        .order_by(ProposalMove.id)
    ).all()
    return [
        (tuple(sorted(before or ())), typology(rooms), (moved - filed_on).days)
        for before, rooms, moved, filed_on in rows
        if moved is not None and filed_on is not None
    ]


def _similar_cases(session: Session, code: str, territory_id: int, config: PolicyConfig) -> Any:
    """(main criterion, typology, days) of each completed move of the territory, kept a few seconds."""
    return territory_cache.get(
        code,
        "situation-waits",
        lambda: tuple(
            (main_criterion(before, config), kind, days)
            for before, kind, days in completed_waits(session, territory_id)
        ),
    )


# The page --------------------------------------------------------------------------------------------


def _paused_request(session: Session, household_id: int, household_ref: str) -> Request | None:
    row = session.scalars(
        select(m.Request)
        .where(m.Request.household_id == household_id, m.Request.status == "paused")
        .order_by(m.Request.id.desc())
        .limit(1)
    ).first()
    return None if row is None else plain_request(row, household_ref)


def tenant_situation(session: Session, account: Any, *, today: date | None = None) -> TenantSituation:
    """The tenant's « Ma situation » on ``today``: points, seniority, fitting dwellings, median wait.

    Its open request, else its paused one (``paused``), else none: no points, no counts.
    """
    day = today or date.today()
    household, current, request = load_household(session, account.household_id)
    paused = False
    if request is None:
        request = _paused_request(session, account.household_id, household.ref)
        paused = request is not None
    view = territory_view(session, account.territory_code, day)
    config = view.config
    criterion = main_criterion(policy.active_criteria(household, current, config), config)
    cases = _similar_cases(session, account.territory_code, account.territory_id, config)
    wait = median_wait(cases, criterion, wanted_typology(household, request, config))
    if request is None:
        return TenantSituation(False, None, None, (), None, None, None, None, None, None, (), wait)
    fits = fitting_dwellings(
        household,
        request,
        current,
        view.candidates,
        config,
        excluded={d for h, d in view.exclusions if h == household.ref},
    )
    occupied = [(ref, view.occupant.get(ref)) for ref in fits.refs]
    totals = [
        policy.points(
            household,
            request,
            current,
            view.candidates[ref],
            day,
            config,
            first_quartile_eur=view.first_quartile_eur,
        ).total
        for ref in fits.refs
    ]
    lines = points_today(household, request, current, day, config)
    base = len(fits.refs)
    return TenantSituation(
        has_request=True,
        filed_on=request.filed_on,
        seniority_months=policy.full_months(request.filed_on, day),
        points=lines,
        points_total=sum(p.points for p in lines),
        points_low=min(totals, default=None),
        points_high=max(totals, default=None),
        fitting=base,
        fitting_vacant=sum(1 for _ref, other in occupied if other is None),
        fitting_swappable=sum(
            1 for _ref, other in occupied if other is not None and could_take(view, other, current)
        ),
        widenings=tuple(
            WideningCount(wish, wider, _widening_text(wish, wider, base)) for wish, wider in fits.widened
        ),
        wait=wait,
        paused=paused,
    )

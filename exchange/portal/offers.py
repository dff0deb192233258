"""The offers page of a tenant (offres): candidate dwellings, anonymised, filtered, sorted and paged.

The candidates come from the territory snapshot (:mod:`.reading`); which of them suit the household
(POLICY.md §3) is computed once per household and snapshot, and kept in the territory's cache.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange import models as m
from exchange.cache import territory_cache
from exchange.portal.picture import compatible
from exchange.portal.reading import Candidate, TerritorySnapshot, load_household, snapshot
from exchange.portal.views import OfferFilters, OfferItem, OfferPage
from matching.territory import Dwelling, Household, Request

__all__ = ["list_offers"]

_SORT_KEYS: dict[str, Callable[[Candidate], Any]] = {
    "cost": lambda c: (c[0].cost, c[0].commune),
    "-cost": lambda c: (-c[0].cost, c[0].commune),
    "-surface": lambda c: (-c[0].surface_m2, c[0].cost),
    "rooms": lambda c: (c[0].rooms, c[0].cost),
    "commune": lambda c: (c[0].commune, c[0].cost),
}


def _compatible_refs(
    snap: TerritorySnapshot,
    household: Household,
    current: Dwelling,
    request: Request | None,
    excluded: frozenset[str],
) -> frozenset[str]:
    if request is None:
        return frozenset()
    return territory_cache.get(
        snap.code,
        ("compatible", snap.loaded_at, household, request, excluded),
        lambda: frozenset(
            d.ref
            for _card, d, _vacant in snap.candidates
            if d.ref != current.ref
            and compatible(household, request, current, d, snap.config, excluded=d.ref in excluded)
        ),
    )


def _excluded_refs(session: Session, household_id: int) -> frozenset[str]:
    return frozenset(
        session.scalars(
            select(m.Dwelling.ref)
            .join(m.Exclusion, m.Exclusion.dwelling_id == m.Dwelling.id)
            .where(m.Exclusion.household_id == household_id)
        ).all()
    )


def _offer_checks(filters: OfferFilters, fits: frozenset[str]) -> list[Callable[[Candidate], bool]]:
    """One predicate per active filter of the offers list."""
    checks: list[Callable[[Candidate], bool]] = []
    if filters.commune is not None:
        commune = filters.commune
        checks.append(lambda c: c[0].commune == commune)
    if filters.rooms is not None:
        rooms = filters.rooms
        checks.append(lambda c: c[0].rooms == rooms or (rooms >= 6 and c[0].rooms >= 6))
    if filters.max_cost is not None:
        max_cost = filters.max_cost
        checks.append(lambda c: c[0].cost <= max_cost)
    if filters.accessible:
        checks.append(lambda c: c[0].accessibility != "none" or c[0].floor == 0 or c[0].elevator)
    if filters.compatible:
        checks.append(lambda c: c[1].ref in fits)
    return checks


def list_offers(session: Session, account: Any, filters: OfferFilters) -> OfferPage:
    """Dwellings of requesting households and offered vacancies, anonymised, filtered, sorted, paged.

    The ones compatible with the household come first (in the chosen order), then the others.
    """
    snap = snapshot(session, account.territory_code)
    household, current, request = load_household(session, account.household_id)
    excluded = _excluded_refs(session, account.household_id)
    fits = _compatible_refs(snap, household, current, request, excluded)
    rows: Sequence[Candidate] = snap.candidates
    if filters.sort != "cost":
        rows = sorted(rows, key=_SORT_KEYS.get(filters.sort, _SORT_KEYS["cost"]))
    # Only the active filters are tested on each of the (thousands of) candidates: the default page
    # (no filter) is the most requested one.
    checks = _offer_checks(filters, fits)
    own = current.ref
    if checks:
        selected = [c for c in rows if c[1].ref != own and all(check(c) for check in checks)]
    else:
        selected = [c for c in rows if c[1].ref != own]
    if fits and not filters.compatible:
        # The dwellings that suit the household come first, each group in the chosen order.
        selected = sorted(selected, key=lambda c: c[1].ref not in fits)
    per_page = max(1, filters.per_page)
    pages = max(1, math.ceil(len(selected) / per_page))
    page = min(max(1, filters.page), pages)
    chunk = selected[(page - 1) * per_page : page * per_page]
    items = tuple(OfferItem(card, vacant, d.ref in fits) for card, d, vacant in chunk)
    return OfferPage(items, len(selected), page, pages, per_page, len(fits) if request is not None else None)

"""The occupancy review (examen des conditions d'occupation, art. L.442-5-2 CCH): a source of mutations.

For each landlord, the households its data shows overcrowded, under-occupying, or with a reduced
mobility in a dwelling that does not suit (POLICY.md §2, :func:`matching.policy.active_criteria`),
who have no request (open or paused). Staff record the outcome of each review (invited, request
filed, declined, not applicable) and may file the request for the household. The latest outcome of a
household counts; the bilan counts households per situation and outcome. Writes say so; none commits.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange import records, settings
from exchange.errors import InvalidArgument, NotFound
from exchange.loading import load_territory
from exchange.models import Household, Landlord, Request
from exchange.models.review import REVIEW_OUTCOMES, REVIEW_SITUATIONS, OccupancyReview
from matching import policy

__all__ = ["ReviewItem", "record_review", "review_counts", "review_list"]


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """A household in a mismatched dwelling without a request, and its latest review outcome."""

    household: str
    dwelling: str
    landlord: str
    situations: tuple[str, ...]  # in REVIEW_SITUATIONS order
    outcome: str | None
    reviewed_on: date | None


def _landlord_id(session: Session, territory_id: int, code: str) -> int:
    found = session.scalar(
        select(Landlord.id).where(Landlord.territory_id == territory_id, Landlord.code == code)
    )
    if found is None:
        raise NotFound(f"bailleur inconnu : {code}")
    return found


def _latest(session: Session, territory_id: int) -> dict[int, OccupancyReview]:
    rows = session.scalars(
        select(OccupancyReview)
        .where(OccupancyReview.territory_id == territory_id)
        .order_by(OccupancyReview.id)
    ).all()
    return {row.household_id: row for row in rows}


def _mismatched(session: Session, code: str) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(household, dwelling, landlord, situations) of every household in a mismatch and without a request."""
    territory = records.territory(session, code)
    plain = load_territory(session, code)
    config = settings.policy_config(session, code)
    with_request = set(
        session.scalars(
            select(Household.ref)
            .join(Request, Request.household_id == Household.id)
            .where(Household.territory_id == territory.id, Request.status.in_(("open", "paused")))
        ).all()
    )
    dwellings = {d.ref: d for d in plain.dwellings}
    found: list[tuple[str, str, str, tuple[str, ...]]] = []
    for household in plain.households:
        if household.ref in with_request or household.dwelling is None:
            continue
        current = dwellings[household.dwelling]
        active = policy.active_criteria(household, current, config)
        situations = tuple(s for s in REVIEW_SITUATIONS if s in active)
        if situations:
            found.append((household.ref, current.ref, current.landlord, situations))
    return found


def review_list(session: Session, code: str, *, landlord: str | None = None) -> list[ReviewItem]:
    """The households to review, for one landlord (by code) or the whole territory, by household ref."""
    territory = records.territory(session, code)
    latest = _latest(session, territory.id)
    ids = dict(
        session.execute(
            select(Household.ref, Household.id).where(Household.territory_id == territory.id)
        ).all()
    )
    items = []
    for ref, dwelling, owner, situations in _mismatched(session, code):
        if landlord is not None and owner != landlord:
            continue
        row = latest.get(ids[ref])
        items.append(
            ReviewItem(
                ref,
                dwelling,
                owner,
                situations,
                None if row is None else row.outcome,
                None if row is None else row.reviewed_on,
            )
        )
    return items


def record_review(
    session: Session,
    code: str,
    landlord: str,
    household_ref: str,
    outcome: str,
    *,
    recorded_by: str,
    note: str | None = None,
    max_cost: float | None = None,
    now: datetime | None = None,
) -> OccupancyReview:
    """Record the outcome of one household's review; ``request_filed`` files its request (``max_cost``).

    Writes: a review row (and, for ``request_filed``, an open request with every commune and the
    QPV accepted: the household refines it later). Raises :class:`InvalidArgument` (unknown outcome,
    missing cost) and :class:`NotFound` (not a household of this landlord's review).
    """
    at = now or datetime.now()
    if outcome not in REVIEW_OUTCOMES:
        raise InvalidArgument({"outcome": [f"issue inconnue : {outcome}"]})
    if outcome == "request_filed" and (max_cost is None or max_cost <= 0):
        raise InvalidArgument({"max_cost": ["indiquez le coût mensuel maximal de la demande déposée"]})
    territory = records.territory(session, code)
    item = next(
        (i for i in review_list(session, code, landlord=landlord) if i.household == household_ref), None
    )
    if item is None:
        raise NotFound(f"ménage hors de l'examen du bailleur {landlord} : {household_ref}")
    household_id = session.scalar(
        select(Household.id).where(Household.territory_id == territory.id, Household.ref == household_ref)
    )
    assert household_id is not None
    if outcome == "request_filed":
        assert max_cost is not None
        session.add(
            Request(
                territory_id=territory.id,
                household_id=household_id,
                filed_on=at.date(),
                max_cost=float(max_cost),
                communes=[],
                accept_qpv=True,
                status="open",
            )
        )
    row = OccupancyReview(
        territory_id=territory.id,
        landlord_id=_landlord_id(session, territory.id, landlord),
        household_id=household_id,
        situation=item.situations[0],
        outcome=outcome,
        note=note or None,
        reviewed_on=at.date(),
        recorded_at=at,
        recorded_by=recorded_by,
    )
    session.add(row)
    session.flush()
    return row


def review_counts(session: Session, code: str, *, landlord: str | None = None) -> dict[str, dict[str, int]]:
    """For the bilan: per situation, how many reviewed households have each outcome (latest outcome).

    Households still waiting for a review count under ``pending``; those whose request was filed
    leave the list but keep their outcome.
    """
    territory = records.territory(session, code)
    query = (
        select(OccupancyReview)
        .where(OccupancyReview.territory_id == territory.id)
        .order_by(OccupancyReview.id)
    )
    if landlord is not None:
        query = query.where(OccupancyReview.landlord_id == _landlord_id(session, territory.id, landlord))
    latest = {row.household_id: row for row in session.scalars(query).all()}
    counts: dict[str, Counter[str]] = {s: Counter() for s in REVIEW_SITUATIONS}
    for row in latest.values():
        counts[row.situation][row.outcome] += 1
    for item in review_list(session, code, landlord=landlord):
        if item.outcome is None:
            counts[item.situations[0]]["pending"] += 1
    return {s: dict(c) for s, c in counts.items()}

"""The occupancy review's services (examen des conditions d'occupation): each landlord its own tenants.

A landlord's staff see and review their own tenants; the territory sees every landlord's list and the
counts for the bilan. :func:`record_outcome` writes (it says so); none commits, the caller does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from exchange import glossary, review
from exchange.cache import territory_cache
from exchange.models.review import REVIEW_SITUATIONS

__all__ = ["ReviewCount", "ReviewPage", "ReviewRow", "outcome_choices", "record_outcome", "review_page"]


@dataclass(frozen=True, slots=True)
class ReviewRow:
    """A household to review: its dwelling, its situations in French, its latest outcome."""

    household: str
    dwelling: str
    landlord: str
    situations: tuple[str, ...]
    outcome: str | None
    outcome_label: str | None
    reviewed_on: date | None


@dataclass(frozen=True, slots=True)
class ReviewCount:
    """For the bilan: households of one situation with one outcome (``pending``: not reviewed yet)."""

    situation: str
    outcome: str
    count: int


@dataclass(frozen=True, slots=True)
class ReviewPage:
    """The households to review and the counts per situation and outcome."""

    rows: tuple[ReviewRow, ...]
    counts: tuple[ReviewCount, ...]


def outcome_choices() -> list[tuple[str, str]]:
    """The review's outcomes as (code, French label)."""
    return [(code, glossary.heading(label)) for code, label in glossary.REVIEW_OUTCOMES.items()]


def review_page(session: Session, account: Any) -> ReviewPage:
    """The staff's own tenants to review (``staff``), or every landlord's (``admin``), with the counts."""
    landlord = account.landlord_code if account.role == "staff" else None
    rows = tuple(
        ReviewRow(
            i.household,
            i.dwelling,
            i.landlord,
            tuple(glossary.CRITERIA[s] for s in i.situations),
            i.outcome,
            None if i.outcome is None else glossary.REVIEW_OUTCOMES[i.outcome],
            i.reviewed_on,
        )
        for i in review.review_list(session, account.territory_code, landlord=landlord)
    )
    counts = review.review_counts(session, account.territory_code, landlord=landlord)
    return ReviewPage(
        rows,
        tuple(
            ReviewCount(glossary.CRITERIA[s], glossary.REVIEW_OUTCOMES.get(o, "à examiner"), n)
            for s in REVIEW_SITUATIONS
            for o, n in sorted(counts[s].items())
        ),
    )


def record_outcome(
    session: Session,
    account: Any,
    household_ref: str,
    outcome: str,
    *,
    note: str | None = None,
    max_cost: float | None = None,
) -> None:
    """Record the review of one of the landlord's tenants; ``request_filed`` files its request.

    Writes: the review (and the request); the caller commits. Raises
    :class:`~exchange.errors.InvalidArgument` and :class:`~exchange.errors.NotFound` (another landlord's).
    """
    review.record_review(
        session,
        account.territory_code,
        account.landlord_code,
        household_ref,
        outcome,
        recorded_by=account.login,
        note=note,
        max_cost=max_cost,
    )
    territory_cache.invalidate(account.territory_code)

"""The occupancy review (examen des conditions d'occupation, art. L.442-5-2 CCH): one row per outcome.

A landlord reviews the households its data shows in a mismatched dwelling (overcrowded,
under-occupying, or a reduced-mobility member in a dwelling that does not suit) and records what came
of it. The latest row of a household is its current outcome; earlier rows are its history.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from exchange.models.base import Base

__all__ = ["REVIEW_OUTCOMES", "REVIEW_SITUATIONS", "OccupancyReview"]

REVIEW_SITUATIONS = ("overcrowding", "under_occupation", "autonomy")
"""The mismatches the review looks for: POLICY.md §2's criteria that the landlord's data shows."""

REVIEW_OUTCOMES = ("invited", "request_filed", "declined", "not_applicable")
"""invited: the household was invited to file a request; request_filed: it did (or staff filed it);
declined: it does not wish to move; not_applicable: the data was wrong or the situation has changed."""


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class OccupancyReview(Base):
    """The outcome of one household's occupancy review, recorded by its landlord's staff."""

    __tablename__ = "occupancy_review"
    __table_args__ = (
        CheckConstraint(_in("situation", REVIEW_SITUATIONS), name="situation"),
        CheckConstraint(_in("outcome", REVIEW_OUTCOMES), name="outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    landlord_id: Mapped[int] = mapped_column(ForeignKey("landlord.id", ondelete="CASCADE"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"), index=True)
    situation: Mapped[str] = mapped_column(String(32))  # the first mismatch found, in REVIEW_SITUATIONS order
    outcome: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    reviewed_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    recorded_by: Mapped[str] = mapped_column(String(120))  # the staff member's login

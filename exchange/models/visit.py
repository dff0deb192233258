"""Visits (visites): a household asks to visit the dwelling it is offered; its occupant accepts or not.

One row per move of a proposal at most: ``visitor`` is the household of the move, ``host`` the household
living in the dwelling it is offered. Asking counts as the visitor's acceptance; once the host accepts
too (``status = 'accepted'``), each sees the other's contact details (DOMAIN.md §5): the e-mail of its
accounts and the phone it gave here, if any. The agreed date and the outcome are recorded afterwards.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exchange.models.base import Base
from exchange.models.workflow import ProposalMove

__all__ = ["VISIT_OUTCOMES", "VISIT_STATUSES", "Visit"]

VISIT_STATUSES = ("asked", "accepted", "declined")
"""asked: the visitor asked, the host has not answered; accepted: both accepted (contacts shown);
declined: the host declined."""
VISIT_OUTCOMES = ("done", "missed", "cancelled")
"""done: the visit took place; missed: nobody came; cancelled: called off by either household."""


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Visit(Base):
    """The visit of the dwelling offered by one move, between its two households."""

    __tablename__ = "visit"
    __table_args__ = (
        UniqueConstraint("move_id"),
        CheckConstraint(_in("status", VISIT_STATUSES), name="status"),
        CheckConstraint("outcome IS NULL OR " + _in("outcome", VISIT_OUTCOMES), name="outcome"),
        CheckConstraint("outcome IS NULL OR status = 'accepted'", name="outcome_if_accepted"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    move_id: Mapped[int] = mapped_column(ForeignKey("proposal_move.id", ondelete="CASCADE"))
    visitor_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"))
    host_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default=lambda: "asked")
    asked_at: Mapped[datetime] = mapped_column(DateTime)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)  # the host's answer
    visitor_phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    host_phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    visit_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)

    move: Mapped[ProposalMove] = relationship()

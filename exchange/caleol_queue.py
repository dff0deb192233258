"""The CALEOL's queue (file d'attente de la commission): the moves into a landlord's dwellings that wait
for its decision, and which of them are overdue (DOMAIN.md §2.4: flagged, not failed).

Read-only queries shared by the workflow's readers: the CALEOL pages and the staff's daily digest.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange.models import Dwelling
from exchange.models.workflow import CommitteeDecision, Proposal, ProposalMove

__all__ = ["is_overdue", "landlord_queue"]


def landlord_queue(session: Session, landlord_id: int, *, pending_only: bool = True) -> list[ProposalMove]:
    """Moves into the landlord's dwellings that its CALEOL has to decide (all accepted, no decision yet)."""
    query = (
        select(ProposalMove)
        .join(Proposal, Proposal.id == ProposalMove.proposal_id)
        .join(Dwelling, Dwelling.id == ProposalMove.to_dwelling_id)
        .where(Dwelling.landlord_id == landlord_id)
        .order_by(ProposalMove.decision_due, ProposalMove.id)
    )
    if pending_only:
        query = (
            query.where(Proposal.status == "deciding")
            .outerjoin(CommitteeDecision, CommitteeDecision.move_id == ProposalMove.id)
            .where(CommitteeDecision.id.is_(None))
        )
    return list(session.scalars(query).all())


def is_overdue(move: ProposalMove, today: date) -> bool:
    """True when the CALEOL's delay has passed without a decision (flagged, not failed)."""
    return (
        move.proposal.status == "deciding"
        and move.decision is None
        and move.decision_due is not None
        and today > move.decision_due
    )

"""Who may touch what (droits d'accès): the account's rows, and the 404 rule of DOMAIN.md §5.

Each lookup returns the row only when the account may act on it. What is not theirs raises
:class:`~exchange.errors.NotFound` with the same message as what does not exist, so that the portal
(404) never tells a stranger's proposal from a missing one. ``account`` is the signed-in
:class:`~exchange.accounts.Account` (role, household, landlord, territory).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange import models as m
from exchange import workflow
from exchange.errors import InvalidInput, NotFound
from exchange.models.workflow import Proposal, ProposalMove

__all__ = [
    "OnBehalf",
    "account_proposal",
    "household_proposal",
    "form_errors",
    "own_tenant",
    "staff_move",
    "user_row",
]


def user_row(session: Session, account: Any) -> m.UserAccount:
    """The account's own row (the workflow records who acted), for :class:`OnBehalf` the staff member's;
    :class:`NotFound` if it is gone."""
    acting = account.staff if isinstance(account, OnBehalf) else account
    row = None if acting is None else session.get(m.UserAccount, acting.id)
    if row is None:
        raise NotFound("compte introuvable")
    return row


def household_proposal(session: Session, account: Any, proposal_id: int) -> tuple[Proposal, ProposalMove]:
    """A proposal of the tenant's household and the household's move in it."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(f"proposition inconnue : {proposal_id}")
    mine = next((mv for mv in proposal.moves if mv.household_id == account.household_id), None)
    if mine is None:
        raise NotFound(f"proposition inconnue : {proposal_id}")  # not theirs: same answer as unknown
    return proposal, mine


@dataclass(frozen=True, slots=True)
class OnBehalf:
    """What the tenant's services read of an account, for a household its landlord's staff acts for
    (files its request, prints its proposal letter, records its answer); ``staff``: the staff's account,
    whom the workflow records as the one who acted (:func:`user_row`)."""

    household_id: int
    territory_id: int
    territory_code: str
    staff: Any = None


def own_tenant(session: Session, account: Any, household_id: int) -> tuple[m.Household, m.Dwelling]:
    """A household living in a dwelling of the staff's landlord, and that dwelling."""
    row = session.execute(
        select(m.Household, m.Dwelling)
        .join(m.Dwelling, m.Dwelling.id == m.Household.dwelling_id)
        .where(m.Household.id == household_id)
    ).first()
    if account.role != "staff" or row is None or row[1].landlord_id != account.landlord_id:
        raise NotFound(f"ménage inconnu : {household_id}")  # another landlord's tenant: as if unknown
    return row[0], row[1]


def staff_move(session: Session, account: Any, move_id: int) -> ProposalMove:
    """A move into a dwelling of the staff's landlord (its CALEOL decides on it)."""
    move = workflow.get_move(session, move_id)
    landlord_id = session.scalar(select(m.Dwelling.landlord_id).where(m.Dwelling.id == move.to_dwelling_id))
    if account.role != "staff" or landlord_id != account.landlord_id:
        raise NotFound(f"mouvement inconnu : {move_id}")  # another landlord's move: as if it did not exist
    return move


def account_proposal(session: Session, account: Any, proposal_id: int) -> Proposal:
    """A proposal of the admin's territory, or one with a move into the staff's landlord's dwellings."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None or proposal.territory_id != account.territory_id:
        raise NotFound(f"proposition inconnue : {proposal_id}")
    if account.role == "admin":
        return proposal
    if account.role == "staff":
        mine = session.scalar(
            select(ProposalMove.id)
            .join(m.Dwelling, m.Dwelling.id == ProposalMove.to_dwelling_id)
            .where(ProposalMove.proposal_id == proposal_id, m.Dwelling.landlord_id == account.landlord_id)
            .limit(1)
        )
        if mine is not None:
            return proposal
    raise NotFound(f"proposition inconnue : {proposal_id}")


def form_errors(exc: InvalidInput, **renames: str) -> InvalidInput:
    """A service's refusal keyed by the form's field names (``note="comment"``: the service's ``note``
    is the form's ``comment``)."""
    return InvalidInput({renames.get(path, path): texts for path, texts in exc.messages.items()})

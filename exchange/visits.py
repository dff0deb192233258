"""Visits with contact reveal (DOMAIN.md §4–5): ask, answer, date and outcome of a visit.

A household of a live proposal may ask to visit the dwelling it is offered (asking is its acceptance);
the household living there accepts or declines. Only once both have accepted does each see the other's
contact details (:func:`contact_of`): the e-mail of its accounts and the phone it gave, if any. A
dwelling with no household in it (a vacant start of a chain) is visited with its landlord, not here.

Writes: each service adds rows and an audit event in the caller's session and queues the other
household's « visit » notification there; none commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange import notifications
from exchange.errors import InvalidInput
from exchange.models import Household, UserAccount
from exchange.models.visit import Visit
from exchange.models.workflow import AuditEvent, Proposal, ProposalMove
from exchange.schemas import load_or_raise
from exchange.schemas.contracts import VisitAnswerSchema, VisitAskSchema, VisitReportSchema
from exchange.workflow import NotAllowed

__all__ = [
    "OPEN_STATUSES",
    "Contact",
    "answer_visit",
    "ask_visit",
    "contact_of",
    "host_move",
    "report_visit",
    "visits_of_proposal",
]

OPEN_STATUSES = ("proposed", "deciding", "confirmed")
"""A visit may be asked or answered while the proposal is in one of these (before the move)."""


@dataclass(frozen=True, slots=True)
class Contact:
    """What one household of an accepted visit sees of the other: addresses and a phone (coordonnées)."""

    emails: tuple[str, ...]
    phone: str | None


def host_move(proposal: Proposal, move: ProposalMove) -> ProposalMove | None:
    """The move of the household living in the dwelling ``move`` offers; None when it is vacant."""
    return next((mv for mv in proposal.moves if mv.from_dwelling_id == move.to_dwelling_id), None)


def visits_of_proposal(session: Session, proposal_id: int) -> list[Visit]:
    """The visits of a proposal, in the order of its moves."""
    return list(
        session.scalars(
            select(Visit)
            .join(ProposalMove, ProposalMove.id == Visit.move_id)
            .where(Visit.proposal_id == proposal_id)
            .order_by(ProposalMove.position)
        )
    )


def contact_of(session: Session, visit: Visit, household_id: int) -> Contact | None:
    """The contact details of ``household_id`` in ``visit``, or None until both households accepted."""
    if visit.status != "accepted" or household_id not in (visit.visitor_id, visit.host_id):
        return None
    emails = session.scalars(
        select(UserAccount.email)
        .where(
            UserAccount.household_id == household_id,
            UserAccount.role == "tenant",
            UserAccount.active.is_(True),
            UserAccount.email.is_not(None),
        )
        .order_by(UserAccount.id)
    )
    phone = visit.visitor_phone if household_id == visit.visitor_id else visit.host_phone
    return Contact(tuple(e for e in emails if e), phone)


def _check_household(user: UserAccount, household_id: int) -> None:
    if user.role != "tenant" or user.household_id != household_id:
        raise NotAllowed("seul le ménage concerné peut agir sur cette visite")


def _check_open(proposal: Proposal) -> None:
    if proposal.status not in OPEN_STATUSES:
        raise NotAllowed("cette proposition est close : les visites ne peuvent plus être organisées")


def _audit(
    session: Session, visit: Visit, user: UserAccount, action: str, after: dict[str, Any], at: datetime
) -> None:
    session.add(
        AuditEvent.by(
            user,
            territory_id=visit.move.proposal.territory_id,
            at=at,
            action=f"visit.{action}",
            entity="visit",
            entity_id=visit.id,
            after=after,
        )
    )


def _tell(session: Session, visit: Visit, event: str, to: int, at: datetime) -> None:
    household = session.get(Household, to)
    assert household is not None
    context = {"proposal_id": visit.proposal_id, "event": event, "visit_on": visit.visit_on}
    notifications.notify(session, "visit", household, context, key=f"{visit.id}:{event}", now=at)


def ask_visit(
    session: Session, move: ProposalMove, user: UserAccount, *, phone: str | None, now: datetime | None = None
) -> Visit:
    """The household of ``move`` asks to visit the dwelling it is offered; its occupant is told.

    Raises :class:`~exchange.workflow.NotAllowed` (not its move, closed proposal, refused move, vacant
    dwelling, visit already asked) or :class:`~exchange.errors.InvalidInput` (the phone).
    """
    data = load_or_raise(VisitAskSchema(), {"phone": phone})
    at = (now or datetime.now()).replace(microsecond=0)
    proposal = move.proposal
    _check_household(user, move.household_id)
    _check_open(proposal)
    if move.answer == "refused":
        raise NotAllowed("vous avez refusé ce logement : sa visite ne peut plus être demandée")
    host = host_move(proposal, move)
    if host is None:
        raise NotAllowed("ce logement est vacant : sa visite s'organise avec son bailleur")
    if session.scalar(select(Visit.id).where(Visit.move_id == move.id)) is not None:
        raise NotAllowed("la visite de ce logement est déjà demandée")
    visit = Visit(
        proposal_id=proposal.id,
        move_id=move.id,
        visitor_id=move.household_id,
        host_id=host.household_id,
        status="asked",
        asked_at=at,
        visitor_phone=data["phone"],
    )
    session.add(visit)
    session.flush()
    _audit(session, visit, user, "asked", {"status": "asked"}, at)
    _tell(session, visit, "asked", visit.host_id, at)
    return visit


def answer_visit(
    session: Session,
    visit: Visit,
    user: UserAccount,
    *,
    accept: bool,
    phone: str | None,
    now: datetime | None = None,
) -> Visit:
    """The occupant accepts (contacts are then shown to both) or declines the visit; the visitor is told."""
    data = load_or_raise(VisitAnswerSchema(), {"accept": accept, "phone": phone})
    at = (now or datetime.now()).replace(microsecond=0)
    _check_household(user, visit.host_id)
    _check_open(visit.move.proposal)
    if visit.status != "asked":
        raise NotAllowed("vous avez déjà répondu à cette demande de visite")
    visit.status = "accepted" if data["accept"] else "declined"
    visit.answered_at = at
    visit.host_phone = data["phone"] if data["accept"] else None
    session.flush()
    _audit(session, visit, user, visit.status, {"status": visit.status}, at)
    _tell(session, visit, visit.status, visit.visitor_id, at)
    return visit


def report_visit(
    session: Session,
    visit: Visit,
    user: UserAccount,
    *,
    visit_on: date | str,
    outcome: str | None,
    today: date | None = None,
) -> Visit:
    """Either household records the agreed date of an accepted visit and, once it is past, its outcome."""
    data = load_or_raise(VisitReportSchema(), {"visit_on": str(visit_on), "outcome": outcome})
    day = today or date.today()
    if user.role != "tenant" or user.household_id not in (visit.visitor_id, visit.host_id):
        raise NotAllowed("seuls les deux ménages de la visite peuvent en noter la date et le résultat")
    if visit.status != "accepted":
        raise NotAllowed("la visite n'est pas acceptée par les deux ménages")
    if data["outcome"] in ("done", "missed") and data["visit_on"] > day:
        raise InvalidInput(
            {"outcome": ["la visite n'a pas encore eu lieu : indiquez son résultat après cette date."]}
        )
    visit.visit_on, visit.outcome = data["visit_on"], data["outcome"]
    session.flush()
    after = {"visit_on": visit.visit_on.isoformat(), "outcome": visit.outcome}
    _audit(
        session,
        visit,
        user,
        "reported",
        after,
        datetime.combine(day, datetime.now().time()).replace(microsecond=0),
    )
    return visit

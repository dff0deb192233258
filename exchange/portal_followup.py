"""Portal services after the CALEOL decisions (suivi) : suspensive conditions, move date, completed moves.

Each function checks that the account owns what it touches (as :mod:`exchange.portal` does: what is
not theirs is :class:`NotFound`), then calls :mod:`exchange.workflow`. Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange.errors import InvalidInput, NotFound
from exchange.portal import KIND_LABELS, _staff_move, _user_row, clear_cache

__all__ = [
    "AwaitedAnswer",
    "MoveFollowup",
    "PausedRequest",
    "PlannedMove",
    "awaited_answers",
    "days_left_label",
    "complete",
    "lift_condition",
    "move_followup",
    "paused_requests",
    "planned_moves",
    "reopen_request",
    "set_move_date",
]


@dataclass(frozen=True, slots=True)
class MoveFollowup:
    """What the destination CALEOL may still do on a decided move."""

    condition_pending: bool
    condition: str | None
    condition_due: date | None
    can_lift: bool
    proposal_status: str
    move_date: date | None
    can_set_date: bool


def move_followup(session: Session, account: Any, move_id: int, *, today: date | None = None) -> MoveFollowup:
    """The follow-up state of a move into the staff's landlord's dwelling; :class:`NotFound` otherwise."""
    day = today or date.today()
    move = _staff_move(session, account, move_id)
    proposal, decision = move.proposal, move.decision
    pending = decision is not None and decision.condition_status == "pending"
    return MoveFollowup(
        condition_pending=pending,
        condition=decision.condition if decision is not None else None,
        condition_due=decision.condition_due if decision is not None else None,
        can_lift=bool(
            pending
            and proposal.status == "deciding"
            and decision is not None
            and decision.condition_due is not None
            and day <= decision.condition_due
        ),
        proposal_status=proposal.status,
        move_date=proposal.move_date,
        can_set_date=proposal.status == "confirmed",
    )


def _workflow_call(call: Any, *args: Any, **kwargs: Any) -> None:
    try:
        call(*args, **kwargs)
    except ValueError as exc:
        name, _, message = str(exc).partition(":")
        raise InvalidInput({name.strip(): [message.strip() or str(exc)]}) from exc


def lift_condition(session: Session, account: Any, move_id: int, *, now: datetime | None = None) -> None:
    """The staff's CALEOL records that the suspensive condition of its decision is met."""
    from exchange import workflow

    move = _staff_move(session, account, move_id)
    _workflow_call(workflow.lift_condition, session, move, _user_row(session, account), now=now)
    clear_cache(account.territory_code)


def _proposal_of(session: Session, account: Any, proposal_id: int) -> Any:
    """A proposal of the admin's territory, or one with a move into the staff's landlord's dwellings."""
    from exchange import models as m
    from exchange.models.workflow import Proposal, ProposalMove

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


def set_move_date(
    session: Session, account: Any, proposal_id: int, move_date: date, *, now: datetime | None = None
) -> None:
    """Change the common move date of a confirmed proposal (admin, or staff of a landlord involved)."""
    from exchange import workflow

    proposal = _proposal_of(session, account, proposal_id)
    _workflow_call(workflow.set_move_date, session, proposal, _user_row(session, account), move_date, now=now)
    clear_cache(account.territory_code)


def complete(session: Session, account: Any, proposal_id: int, *, now: datetime | None = None) -> None:
    """The territory records that the moves of a confirmed proposal took place (admin only)."""
    from exchange import workflow

    if account.role != "admin":
        raise NotFound(f"proposition inconnue : {proposal_id}")
    proposal = _proposal_of(session, account, proposal_id)
    _workflow_call(workflow.complete_proposal, session, proposal, _user_row(session, account), now=now)
    clear_cache(account.territory_code)


@dataclass(frozen=True, slots=True)
class PlannedMove:
    """A confirmed proposal waiting for its move date."""

    proposal_id: int
    kind_label: str
    size: int
    confirmed_on: date | None
    move_date: date | None
    landlords: tuple[str, ...]
    can_complete: bool
    my_moves: tuple[int, ...] = ()  # staff: the moves into their landlord's dwellings (their dossiers)


def planned_moves(session: Session, account: Any, *, today: date | None = None) -> list[PlannedMove]:
    """Confirmed proposals of the admin's territory (or involving the staff's landlord), by move date."""
    from exchange import models as m
    from exchange.models.workflow import Proposal, ProposalMove

    day = today or date.today()
    query = select(Proposal).where(
        Proposal.territory_id == account.territory_id, Proposal.status == "confirmed"
    )
    if account.role == "staff":
        query = query.where(
            Proposal.id.in_(
                select(ProposalMove.proposal_id)
                .join(m.Dwelling, m.Dwelling.id == ProposalMove.to_dwelling_id)
                .where(m.Dwelling.landlord_id == account.landlord_id)
            )
        )
    elif account.role != "admin":
        return []
    proposals = session.scalars(query.order_by(Proposal.move_date, Proposal.id)).all()
    dwelling_ids = {mv.to_dwelling_id for p in proposals for mv in p.moves}
    rows = session.execute(
        select(m.Dwelling.id, m.Landlord.name, m.Dwelling.landlord_id)
        .join(m.Landlord, m.Landlord.id == m.Dwelling.landlord_id)
        .where(m.Dwelling.id.in_(dwelling_ids))
    ).all()
    names = {dwelling: str(name) for dwelling, name, _landlord in rows}
    owner = {dwelling: landlord for dwelling, _name, landlord in rows}
    return [
        PlannedMove(
            proposal_id=p.id,
            kind_label=KIND_LABELS.get(p.kind, p.kind),
            size=len(p.moves),
            confirmed_on=p.confirmed_on,
            move_date=p.move_date,
            landlords=tuple(sorted({names[mv.to_dwelling_id] for mv in p.moves})),
            can_complete=account.role == "admin" and p.move_date is not None and p.move_date <= day,
            my_moves=tuple(
                mv.id
                for mv in p.moves
                if account.role == "staff" and owner.get(mv.to_dwelling_id) == account.landlord_id
            ),
        )
        for p in proposals
    ]


# Paused requests ----------------------------------------------------------------------------------

PAUSE_LABELS = {
    "inadmissible": "rejet pour irrecevabilité (CALEOL)",
    "silences": "propositions restées sans réponse",
    None: "mise en pause avant son motif enregistré",
}


@dataclass(frozen=True, slots=True)
class PausedRequest:
    """A paused request of one of the landlord's tenants, as its staff sees it."""

    request_id: int
    household_ref: str
    filed_on: date
    why: str | None
    why_label: str
    silences: int
    paused_at: datetime | None  # from the audit trail; None for a request imported paused


def _staff_requests(account: Any) -> Any:
    from exchange.models import Dwelling, Household, Request

    return (
        select(Request, Household.ref)
        .join(Household, Household.id == Request.household_id)
        .join(Dwelling, Dwelling.id == Household.dwelling_id)
        .where(
            Request.status == "paused",
            Request.territory_id == account.territory_id,
            Dwelling.landlord_id == account.landlord_id,
        )
    )


def paused_requests(session: Session, account: Any) -> list[PausedRequest]:
    """The paused requests of households living in the staff's landlord's dwellings, oldest pause first."""
    from sqlalchemy import func

    from exchange.models.workflow import AuditEvent

    if account.role != "staff" or account.landlord_id is None:
        return []
    rows = session.execute(_staff_requests(account)).all()
    ids = [request.id for request, _ in rows]
    paused_at = dict(
        session.execute(
            select(AuditEvent.entity_id, func.max(AuditEvent.at))
            .where(AuditEvent.entity == "request", AuditEvent.action == "request.paused")
            .where(AuditEvent.entity_id.in_(ids))
            .group_by(AuditEvent.entity_id)
        ).all()
    )
    items = [
        PausedRequest(
            request_id=request.id,
            household_ref=ref,
            filed_on=request.filed_on,
            why=request.paused_why,
            why_label=PAUSE_LABELS.get(request.paused_why, str(request.paused_why)),
            silences=request.silences,
            paused_at=paused_at.get(request.id),
        )
        for request, ref in rows
    ]
    return sorted(items, key=lambda r: (r.paused_at or datetime.min, r.request_id))


def reopen_request(session: Session, account: Any, request_id: int, *, now: datetime | None = None) -> str:
    """The staff's landlord reviewed one of its tenants' paused requests: it is open again; returns the
    household's ref. :class:`NotFound` for a request that is not one of them (or not paused)."""
    from exchange import workflow
    from exchange.models import Request

    if account.role != "staff" or account.landlord_id is None:
        raise NotFound(f"demande inconnue : {request_id}")
    found = session.execute(_staff_requests(account).where(Request.id == request_id)).first()
    if found is None:
        raise NotFound(f"demande inconnue : {request_id}")
    request, ref = found
    workflow.reopen_request(session, request.household_id, _user_row(session, account), now=now)
    clear_cache(account.territory_code)
    return str(ref)


# Answers still awaited ------------------------------------------------------------------------------


def days_left_label(days: int) -> str:
    """« dernier jour », « encore 1 jour », « encore 3 jours »: the time left to answer."""
    if days == 0:
        return "dernier jour"
    return f"encore {days} jour{'s' if days > 1 else ''}"


@dataclass(frozen=True, slots=True)
class AwaitedAnswer:
    """A household that has not yet answered a live proposal: its landlord may remind it (by phone)."""

    landlord: str
    household_ref: str
    proposal_id: int
    deadline: date
    days_left: int
    reply_label: str  # its record so far (« 1 réponse dans le délai sur 2 propositions »), or ""


def awaited_answers(
    session: Session,
    territory_code: str,
    *,
    landlord_id: int | None = None,
    within: int | None = None,
    today: date | None = None,
) -> list[AwaitedAnswer]:
    """Households whose answer to a live proposal is still awaited, the nearest deadline first.

    Grouped by the landlord of the dwelling they live in (who knows them and can remind them);
    ``landlord_id`` keeps one landlord's tenants, ``within`` the deadlines at most that many days
    away. Deadlines already past are left out: the next run records those silences.
    """
    from exchange import records
    from exchange.models import Dwelling, Household, Landlord
    from exchange.models.workflow import Proposal, ProposalMove
    from exchange.portal import reply_records

    day = today or date.today()
    territory_id = records.territory(session, territory_code).id
    query = (
        select(Landlord.code, Household.ref, Household.id, Proposal.id, Proposal.answer_deadline)
        .select_from(ProposalMove)
        .join(Proposal, Proposal.id == ProposalMove.proposal_id)
        .join(Household, Household.id == ProposalMove.household_id)
        .join(Dwelling, Dwelling.id == ProposalMove.from_dwelling_id)
        .join(Landlord, Landlord.id == Dwelling.landlord_id)
        .where(
            Proposal.territory_id == territory_id,
            Proposal.status == "proposed",
            ProposalMove.answer.is_(None),
            Proposal.answer_deadline >= day,
        )
    )
    if landlord_id is not None:
        query = query.where(Landlord.id == landlord_id)
    if within is not None:
        query = query.where(Proposal.answer_deadline <= day + timedelta(days=within))
    rows = session.execute(query).all()
    replies = reply_records(session, [row[2] for row in rows])
    return sorted(
        (
            AwaitedAnswer(
                landlord=code,
                household_ref=ref,
                proposal_id=proposal_id,
                deadline=deadline,
                days_left=(deadline - day).days,
                reply_label=replies[household_id].label,
            )
            for code, ref, household_id, proposal_id, deadline in rows
        ),
        key=lambda a: (a.deadline, a.landlord, a.household_ref),
    )

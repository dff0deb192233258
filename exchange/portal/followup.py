"""After the CALEOL decisions (suivi), for the staff and the territory: conditions, move date, completion.

Also the paused requests a landlord reviews and the answers still awaited. Each service checks that
the account owns what it touches (:mod:`.access`: what is not theirs is :class:`NotFound`), then
calls :mod:`exchange.workflow`. The services that write say so; none commits, the caller does.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exchange import glossary, records, wording, workflow
from exchange.cache import territory_cache
from exchange.errors import NotFound
from exchange.models import Dwelling, Household, Landlord, Request
from exchange.models.workflow import AuditEvent, Proposal, ProposalMove
from exchange.portal.access import account_proposal, staff_move, user_row
from exchange.portal.reading import reply_records
from exchange.portal.staff_views import AwaitedAnswer, MoveFollowup, PausedRequest, PlannedMove

__all__ = [
    "awaited_answers",
    "days_left_label",
    "lift_condition",
    "move_followup",
    "paused_requests",
    "planned_moves",
    "record_completion",
    "reopen_request",
    "set_move_date",
]


def move_followup(session: Session, account: Any, move_id: int, *, today: date | None = None) -> MoveFollowup:
    """The follow-up state of a move into the staff's landlord's dwelling; :class:`NotFound` otherwise."""
    day = today or date.today()
    move = staff_move(session, account, move_id)
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


def lift_condition(session: Session, account: Any, move_id: int, *, now: datetime | None = None) -> None:
    """Record that the suspensive condition of the staff's CALEOL decision is met.

    Writes: the decision, the proposal and the audit trail (``workflow.lift_condition``); the caller commits.
    """
    move = staff_move(session, account, move_id)
    workflow.lift_condition(session, move, user_row(session, account), now=now)
    territory_cache.invalidate(account.territory_code)


def set_move_date(
    session: Session, account: Any, proposal_id: int, move_date: date, *, now: datetime | None = None
) -> None:
    """Change the common move date of a confirmed proposal (admin, or staff of a landlord involved).

    Writes: the proposal and the audit trail (``workflow.set_move_date``); the caller commits.
    """
    proposal = account_proposal(session, account, proposal_id)
    workflow.set_move_date(session, proposal, user_row(session, account), move_date, now=now)
    territory_cache.invalidate(account.territory_code)


def record_completion(
    session: Session, account: Any, proposal_id: int, *, now: datetime | None = None
) -> None:
    """Record that the moves of a confirmed proposal took place (admin only).

    Writes: the proposal, who lives where, and the audit trail (``workflow.complete_proposal``); the
    caller commits.
    """
    if account.role != "admin":
        raise NotFound(f"proposition inconnue : {proposal_id}")
    proposal = account_proposal(session, account, proposal_id)
    workflow.complete_proposal(session, proposal, user_row(session, account), now=now)
    territory_cache.invalidate(account.territory_code)


def planned_moves(session: Session, account: Any, *, today: date | None = None) -> list[PlannedMove]:
    """Confirmed proposals of the admin's territory (or involving the staff's landlord), by move date."""
    day = today or date.today()
    query = select(Proposal).where(
        Proposal.territory_id == account.territory_id, Proposal.status == "confirmed"
    )
    if account.role == "staff":
        query = query.where(
            Proposal.id.in_(
                select(ProposalMove.proposal_id)
                .join(Dwelling, Dwelling.id == ProposalMove.to_dwelling_id)
                .where(Dwelling.landlord_id == account.landlord_id)
            )
        )
    elif account.role != "admin":
        return []
    proposals = session.scalars(query.order_by(Proposal.move_date, Proposal.id)).all()
    dwelling_ids = {mv.to_dwelling_id for p in proposals for mv in p.moves}
    rows = session.execute(
        select(Dwelling.id, Landlord.name, Dwelling.landlord_id)
        .join(Landlord, Landlord.id == Dwelling.landlord_id)
        .where(Dwelling.id.in_(dwelling_ids))
    ).all()
    names = {dwelling: str(name) for dwelling, name, _landlord in rows}
    owner = {dwelling: landlord for dwelling, _name, landlord in rows}
    return [
        PlannedMove(
            proposal_id=p.id,
            kind_label=glossary.heading(glossary.PROPOSAL_KINDS.get(p.kind, p.kind)),
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

_NO_PAUSE_REASON = "mise en pause avant son motif enregistré"


def _staff_requests(account: Any) -> Any:
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
            why_label=glossary.PAUSE_REASONS.get(request.paused_why or "", _NO_PAUSE_REASON),
            silences=request.silences,
            paused_at=paused_at.get(request.id),
        )
        for request, ref in rows
    ]
    return sorted(items, key=lambda r: (r.paused_at or datetime.min, r.request_id))


def reopen_request(session: Session, account: Any, request_id: int, *, now: datetime | None = None) -> str:
    """The staff's landlord reviewed one of its tenants' paused requests: it is open again.

    Returns the household's ref; :class:`NotFound` for a request that is not one of them (or not
    paused). Writes: the request and the audit trail (``workflow.reopen_request``); the caller commits.
    """
    if account.role != "staff" or account.landlord_id is None:
        raise NotFound(f"demande inconnue : {request_id}")
    found = session.execute(_staff_requests(account).where(Request.id == request_id)).first()
    if found is None:
        raise NotFound(f"demande inconnue : {request_id}")
    request, ref = found
    workflow.reopen_request(session, request.household_id, user_row(session, account), now=now)
    territory_cache.invalidate(account.territory_code)
    return str(ref)


# Answers still awaited ------------------------------------------------------------------------------


def days_left_label(days: int) -> str:
    """« dernier jour », « encore 1 jour », « encore 3 jours »: the time left to answer."""
    return wording.days_left(days)


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
                household_id=household_id,
            )
            for code, ref, household_id, proposal_id, deadline in rows
        ),
        key=lambda a: (a.deadline, a.landlord, a.household_ref),
    )

"""The life of a proposal (suivi d'une proposition), DOMAIN.md §2, as services.

proposed → every household answers (accepts, or refuses with a reason) before the deadline →
deciding: the CALEOL of each destination dwelling's landlord records one R.441-3 decision →
confirmed (one common move date; the requests close) → completed (the households moved).
A refusal, a silence, a non-attribution, an inadmissibility, a rank other than first or an unmet
suspensive condition fails the whole proposal: the refused pair becomes an exclusion and the
other households go back to the next run. Every transition writes an :class:`AuditEvent`.

Services take the session, lock the proposal row (``FOR UPDATE`` on PostgreSQL) and never commit.
Boundaries (CLI, web) run each step in :func:`write_transaction`, which on SQLite takes the database's
write lock first: two staff deciding the same move at the same moment then queue up, and the second
one gets :class:`AlreadyDecided` instead of a "database is locked" error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from exchange import notifications, records, settings
from exchange.deadlines import decision_deadline, next_working_day
from exchange.errors import ExchangeError, InvalidArgument, NotFound, is_database_busy
from exchange.models import Dwelling, Household, Request, UserAccount
from exchange.models.workflow import (
    AUDIT_SYSTEM,
    AuditEvent,
    CommitteeDecision,
    Proposal,
    ProposalMove,
)
from exchange.repair import repair_failed
from exchange.schemas import load_or_raise
from exchange.schemas.contracts import ChannelSchema, DecisionSchema, WithdrawSchema
from exchange.wording import long_date

__all__ = [
    "AlreadyAnswered",
    "AlreadyDecided",
    "Busy",
    "DeadlinePassed",
    "NotAllowed",
    "ProposalClosed",
    "WorkflowError",
    "answer_move",
    "withdraw_move",
    "complete_proposal",
    "confirm_request",
    "correct_decision",
    "decide_move",
    "decision_corrections",
    "expire_conditions",
    "expire_deadlines",
    "get_move",
    "lift_condition",
    "proposals_of_household",
    "reopen_request",
    "set_move_date",
    "take_write_lock",
    "wait_for_write_lock",
    "write_transaction",
]

SYSTEM = AUDIT_SYSTEM


class WorkflowError(ExchangeError):
    """A workflow step that cannot happen."""


class ProposalClosed(WorkflowError):
    """The proposal is no longer at the step asked for (failed, confirmed, or not yet there)."""


class DeadlinePassed(ProposalClosed):
    """The answer deadline has passed."""


class AlreadyAnswered(WorkflowError):
    """The household has already answered this move."""


class AlreadyDecided(WorkflowError):
    """The CALEOL has already decided this move."""

    def __init__(self, move_id: int) -> None:
        super().__init__(f"mouvement {move_id} : déjà décidé par la CALEOL")


class NotAllowed(WorkflowError):
    """The user may not do this (not their household, not their landlord's dwelling)."""


class Busy(WorkflowError):
    """SQLite only: another writer (a run, most often) holds the database's write lock; nothing was written.

    Raised by :func:`wait_for_write_lock` once its wait is over, and by a transaction that read before
    taking the lock (SQLite cannot make it wait); never inside :func:`write_transaction`.
    """

    def __init__(self) -> None:
        super().__init__(
            "la base de données est occupée par une autre écriture, le plus souvent le calcul des"
            " propositions : rien n'a été enregistré ; réessayez dans quelques minutes"
        )


# Transactions -----------------------------------------------------------------------------------


def take_write_lock(session: Session) -> None:
    """On SQLite, take the database's write lock now (as ``BEGIN IMMEDIATE`` would); no-op elsewhere.

    Call it first in a transaction that will write: SQLite cannot turn a transaction that has already
    read into a writer once another writer has committed meanwhile, so it would fail instead of waiting.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("UPDATE proposal SET id = id WHERE 1 = 0"))


def wait_for_write_lock(session: Session, *, seconds: float) -> None:
    """On SQLite, take the write lock before anything is read, waiting up to ``seconds``; else :class:`Busy`.

    Only a transaction that has not read yet can wait for the lock (SQLite's busy handler); a web
    request that will write calls this before anything else. No-op on other databases.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    raw: Any = session.connection().connection.dbapi_connection
    previous = raw.execute("PRAGMA busy_timeout").fetchone()[0]
    raw.execute(f"PRAGMA busy_timeout = {max(0, int(seconds * 1000))}")
    try:
        take_write_lock(session)
    except OperationalError as exc:
        if not is_database_busy(exc):
            raise
        raise Busy() from exc
    finally:
        raw.execute(f"PRAGMA busy_timeout = {int(previous)}")


@contextmanager
def write_transaction(bind: Engine) -> Iterator[Session]:
    """A session in one transaction for one workflow step: committed at the end, rolled back on error.

    On SQLite the write lock is taken first (:func:`take_write_lock`; the connection waits up to its
    busy timeout for another writer); on PostgreSQL the services' row locks do the queuing.
    """
    with Session(bind, expire_on_commit=False) as session, session.begin():
        take_write_lock(session)
        yield session


# Reading ----------------------------------------------------------------------------------------


def get_move(session: Session, move_id: int) -> ProposalMove:
    """The move ``move_id``; raises :class:`NotFound`."""
    move = session.get(ProposalMove, move_id)
    if move is None:
        raise NotFound(f"mouvement inconnu : {move_id}")
    return move


def proposals_of_household(session: Session, household_id: int) -> list[Proposal]:
    """Every proposal made to a household, newest first."""
    return list(
        session.scalars(
            select(Proposal)
            .join(ProposalMove, ProposalMove.proposal_id == Proposal.id)
            .where(ProposalMove.household_id == household_id)
            .order_by(Proposal.id.desc())
        ).all()
    )


# Helpers ----------------------------------------------------------------------------------------


def _lock(session: Session, proposal_id: int) -> Proposal:
    """The proposal row, locked until the end of the transaction and re-read from the database.

    On SQLite the lock is the database's write lock; a transaction that read before another one
    committed cannot take it any more and gets :class:`Busy`.
    """
    if session.get_bind().dialect.name == "sqlite":
        try:
            with session.begin_nested():
                take_write_lock(session)
        except OperationalError as exc:
            if not is_database_busy(exc):
                raise
            raise Busy() from exc
    proposal = session.scalars(
        select(Proposal)
        .where(Proposal.id == proposal_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if proposal is None:
        raise NotFound(f"proposition inconnue : {proposal_id}")
    for move in session.scalars(
        select(ProposalMove)
        .where(ProposalMove.proposal_id == proposal_id)
        .execution_options(populate_existing=True)
    ):
        session.refresh(move, ["decision"])
    return proposal


def _audit(
    session: Session,
    proposal: Proposal,
    actor: UserAccount | None,
    action: str,
    entity: str,
    entity_id: int,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    at: datetime,
) -> None:
    session.add(
        AuditEvent.by(
            actor,
            territory_id=proposal.territory_id,
            at=at,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=before,
            after=after,
        )
    )


def _state(proposal: Proposal) -> dict[str, Any]:
    return {
        "status": proposal.status,
        "move_date": proposal.move_date.isoformat() if proposal.move_date else None,
    }


def _set_status(
    session: Session,
    proposal: Proposal,
    status: str,
    actor: UserAccount | None,
    at: datetime,
    *,
    answered_for: int | None = None,
    **extra: Any,
) -> None:
    """``answered_for``: the household whose answer (its own, or recorded for it) made this change; it is
    not told of the change its own answer made."""
    before = _state(proposal)
    proposal.status = status
    live = proposal.live
    for move in proposal.moves:
        move.live = live
    session.flush()
    _audit(
        session,
        proposal,
        actor,
        f"proposal.{status}",
        "proposal",
        proposal.id,
        before,
        {**_state(proposal), **extra},
        at,
    )
    notifications.proposal_changed(session, proposal, actor, now=at, answered_for=answered_for)


def _fail(
    session: Session,
    proposal: Proposal,
    actor: UserAccount | None,
    failure: str,
    at: datetime,
    excluded: list[ProposalMove],
    *,
    answered_for: int | None = None,
) -> None:
    """Fail the whole proposal; each move of ``excluded`` becomes an exclusion (household, dwelling)."""
    proposal.failure = failure
    proposal.closed_on = at.date()
    pairs = [[m.household_id, m.to_dwelling_id] for m in excluded]
    _set_status(
        session, proposal, "failed", actor, at, answered_for=answered_for, failure=failure, excluded=pairs
    )
    for move in excluded:
        records.add_exclusion(session, move.household_id, move.to_dwelling_id, reason=failure)


def _check_tenant(move: ProposalMove, user: UserAccount) -> None:
    if user.role == "tenant" and user.household_id == move.household_id:
        return
    if user.role == "admin" and user.territory_id == move.proposal.territory_id:
        return  # staff of the territory filing for a tenant without internet (DOMAIN.md §4)
    raise NotAllowed("vous ne pouvez répondre que pour votre propre ménage")


def _check_answerer(session: Session, move: ProposalMove, user: UserAccount) -> str | None:
    """Who may record the answer of ``move``'s household: the household itself (None), the territory
    (``"territory"``), or the staff of the landlord the household lives with now (``"landlord"``)."""
    if user.role == "staff" and user.landlord_id is not None:
        landlord_id = session.scalar(
            select(Dwelling.landlord_id)
            .join(Household, Household.dwelling_id == Dwelling.id)
            .where(Household.id == move.household_id)
        )
        if landlord_id == user.landlord_id:
            return "landlord"
        raise NotAllowed("vous ne pouvez enregistrer que la réponse d'un ménage logé par votre bailleur")
    _check_tenant(move, user)
    return None if user.role == "tenant" else "territory"


def _check_channel(user: UserAccount, channel: str | None) -> None:
    """An answer recorded for a household says how it came (the contract's ``channel``); the household's
    own answer (on the portal) has none."""
    if user.role == "tenant":
        if channel is not None:
            raise InvalidArgument({"channel": ["seule une réponse enregistrée pour le ménage a un canal"]})
        return
    load_or_raise(ChannelSchema(), {"channel": channel}, error=InvalidArgument)


def _entered(entered_by: str | None, channel: str | None) -> dict[str, Any]:
    """What an answer's audit event adds when it was recorded for the household: by whom and how it came."""
    return {} if entered_by is None else {"entered_by": entered_by, "channel": channel}


def _check_caleol(session: Session, move: ProposalMove, user: UserAccount) -> int:
    landlord_id = session.scalar(select(Dwelling.landlord_id).where(Dwelling.id == move.to_dwelling_id))
    if user.role != "staff" or user.landlord_id is None or user.landlord_id != landlord_id:
        raise NotAllowed(
            "seule la CALEOL du bailleur du logement de destination peut décider de ce mouvement"
        )
    assert landlord_id is not None
    return int(landlord_id)


# Answers ----------------------------------------------------------------------------------------


def _check_reason(reason: str | None, note: str | None) -> None:
    """A household's refusal (or withdrawal) reason: one of the fixed list, « autre » with a note.

    The API's and the portal's rule (:class:`~exchange.schemas.contracts.WithdrawSchema`); raises
    :class:`InvalidArgument` keyed by this function's names (``note`` is the API's ``comment``).
    """
    try:
        load_or_raise(WithdrawSchema(), {"reason": reason, "comment": note}, error=InvalidArgument)
    except InvalidArgument as exc:
        raise InvalidArgument(
            {"note" if path == "comment" else path: texts for path, texts in exc.messages.items()}
        ) from None


def answer_move(
    session: Session,
    move: ProposalMove,
    user: UserAccount,
    *,
    accepted: bool,
    reason: str | None = None,
    note: str | None = None,
    channel: str | None = None,
    now: datetime | None = None,
) -> ProposalMove:
    """Record a household's answer: accept, or refuse with a reason of the fixed list (+ free text).

    ``user`` is the household's account, or, for a household answering at the agency, by phone or by
    letter, the staff of the landlord it lives with (or the territory), with ``channel`` (``desk``,
    ``phone``, ``mail``): the audit event keeps who entered it and how it came, and everything else
    (deadline, notifications, repair) is as for the household's own answer.
    A refusal fails the whole proposal and excludes the pair; the last acceptance sends every move
    to its CALEOL with its decision deadline. Raises :class:`InvalidArgument` (a ``ValueError``: bad reason,
    missing channel), :class:`NotAllowed`, :class:`ProposalClosed`, :class:`DeadlinePassed`,
    :class:`AlreadyAnswered`.
    """
    at = now or datetime.now()
    if accepted and reason is not None:
        raise InvalidArgument({"reason": ["seul un refus a un motif"]})
    if not accepted:
        _check_reason(reason, note)
    _check_channel(user, channel)
    proposal = _lock(session, move.proposal_id)
    entered_by = _check_answerer(session, move, user)
    if proposal.status != "proposed":
        raise ProposalClosed(f"la proposition n° {proposal.id} n'attend plus de réponse")
    if at.date() > proposal.answer_deadline:
        raise DeadlinePassed(
            f"le délai de réponse est dépassé (il expirait le {long_date(proposal.answer_deadline)} à minuit)"
        )
    if move.answer is not None:
        raise AlreadyAnswered(
            f"ce ménage a déjà répondu ({'accepté' if move.answer == 'accepted' else 'refusé'})"
        )
    move.answer = "accepted" if accepted else "refused"
    move.refusal_reason = reason
    move.answer_note = note.strip() if note else None
    move.answered_at = at
    move.answered_by_id = user.id
    session.flush()
    _audit(
        session,
        proposal,
        user,
        f"move.{move.answer}",
        "move",
        move.id,
        {"answer": None},
        {
            "answer": move.answer,
            "reason": reason,
            "note": move.answer_note,
            **_entered(entered_by, channel),
        },
        at,
    )
    # Any answer shows the household is there: its lapsed proposals no longer count.
    session.execute(
        update(Request)
        .where(Request.household_id == move.household_id, Request.status == "open", Request.silences > 0)
        .values(silences=0)
        .execution_options(synchronize_session="fetch")
    )
    if not accepted:
        _fail(session, proposal, user, "refused", at, [move], answered_for=move.household_id)
        repair_failed(session, proposal, user, at)
    elif all(m.answer == "accepted" for m in proposal.moves):
        _to_committees(session, proposal, user, at, answered_for=move.household_id)
    return move


def withdraw_move(
    session: Session,
    move: ProposalMove,
    user: UserAccount,
    *,
    reason: str,
    note: str | None = None,
    channel: str | None = None,
    now: datetime | None = None,
) -> ProposalMove:
    """A household that accepted its move withdraws (désistement), with a reason, until the move is done.

    ``user`` is the household's account, or, for a household withdrawing at the agency, by phone or by
    letter, the staff of the landlord it lives with (or the territory), with ``channel`` (``desk``,
    ``phone``, ``mail``): as for an answer (:func:`answer_move`), the audit event keeps who entered it
    and how it came, and everything else (exclusion, notifications, reopened requests, repair) is as for
    the household's own withdrawal.
    The acceptance becomes a refusal with that reason; the whole proposal fails (``withdrawn``) and the
    pair (household, dwelling) is excluded, as for a refusal. After the confirmation (which closed the
    households' requests) each household's request is open again, unless it has filed another one
    since. Raises :class:`InvalidArgument` (a ``ValueError``: bad reason, missing channel),
    :class:`NotAllowed`, :class:`ProposalClosed` and :class:`WorkflowError` (the household has not
    accepted this move).
    """
    at = now or datetime.now()
    _check_reason(reason, note)
    _check_channel(user, channel)
    proposal = _lock(session, move.proposal_id)
    entered_by = _check_answerer(session, move, user)
    if not proposal.live:
        raise ProposalClosed(f"la proposition n° {proposal.id} n'est plus en cours")
    if move.answer != "accepted":
        raise WorkflowError("ce ménage n'a pas accepté ce mouvement : il peut encore y répondre")
    confirmed_on = proposal.confirmed_on if proposal.status == "confirmed" else None
    move.answer, move.refusal_reason = "refused", reason
    move.answer_note = note.strip() if note else None
    move.answered_at, move.answered_by_id = at, user.id
    session.flush()
    _audit(
        session,
        proposal,
        user,
        "move.withdrawn",
        "move",
        move.id,
        {"answer": "accepted"},
        {
            "answer": "refused",
            "reason": reason,
            "note": move.answer_note,
            **_entered(entered_by, channel),
        },
        at,
    )
    _fail(session, proposal, user, "withdrawn", at, [move], answered_for=move.household_id)
    if confirmed_on is not None:
        for household_id in (m.household_id for m in proposal.moves):
            request_id = records.reopen_closed_request(session, household_id, closed_on=confirmed_on)
            if request_id is not None:
                _audit(
                    session,
                    proposal,
                    user,
                    "request.reopened",
                    "request",
                    request_id,
                    {"status": "closed"},
                    {"status": "open", "why": "withdrawn"},
                    at,
                )
    repair_failed(session, proposal, user, at)
    return move


def _to_committees(
    session: Session,
    proposal: Proposal,
    actor: UserAccount | None,
    at: datetime,
    *,
    answered_for: int | None = None,
) -> None:
    proposal.accepted_on = at.date()
    for move in proposal.moves:
        landlord_id = session.scalars(
            select(Dwelling.landlord_id).where(Dwelling.id == move.to_dwelling_id)
        ).one()
        move.decision_due = decision_deadline(
            at.date(),
            settings.decision_days(session, landlord_id),
            calendar=settings.calendar(session, proposal.territory_id),
        )
    _set_status(session, proposal, "deciding", actor, at, answered_for=answered_for)


def expire_deadlines(session: Session, now: datetime, *, territory_id: int | None = None) -> list[Proposal]:
    """Record silence after the deadline as ``no_answer`` refusals; returns the proposals that failed."""
    query = select(Proposal.id).where(Proposal.status == "proposed", Proposal.answer_deadline < now.date())
    if territory_id is not None:
        query = query.where(Proposal.territory_id == territory_id)
    failed = []
    for proposal_id in session.scalars(query.order_by(Proposal.id)).all():
        proposal = _lock(session, proposal_id)
        if proposal.status != "proposed":
            continue
        silent = [m for m in proposal.moves if m.answer is None]
        for move in silent:
            move.answer, move.refusal_reason, move.answered_at = "refused", "no_answer", now
            session.flush()
            _audit(
                session,
                proposal,
                None,
                "move.refused",
                "move",
                move.id,
                {"answer": None},
                {"answer": "refused", "reason": "no_answer"},
                now,
            )
        _fail(session, proposal, None, "no_answer", now, silent)
        _count_silences(session, proposal, [m.household_id for m in silent], now)
        repair_failed(session, proposal, None, now)
        failed.append(proposal)
    return failed


def _count_silences(session: Session, proposal: Proposal, household_ids: list[int], at: datetime) -> None:
    """One more lapsed proposal for each of these households; a request that reaches the territory's
    ``pause_after_silences`` (0: never) pauses until its household confirms it (DOMAIN.md §4)."""
    threshold = settings.pause_after_silences(session, proposal.territory_id)
    for household_id in household_ids:
        request = session.scalars(
            select(Request).where(Request.household_id == household_id, Request.status == "open")
        ).one_or_none()
        if request is None:
            continue
        request.silences += 1
        session.flush()
        if not threshold or request.silences < threshold:
            continue
        for request_id in records.pause_requests(session, [household_id], why="silences"):
            _audit(
                session,
                proposal,
                None,
                "request.paused",
                "request",
                request_id,
                {"status": "open"},
                {"status": "paused", "why": "silences", "silences": request.silences},
                at,
            )
            notifications.request_paused(session, household_id, request_id, "silences", now=at)


# Committee decisions ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Decision:
    kind: str
    reason: str
    rank: int | None
    condition: str | None
    condition_due: date | None


def _check_decision(d: _Decision, today: date) -> None:
    """The rule of the API and of the portal (:class:`~exchange.schemas.contracts.DecisionSchema`)."""
    data = {**asdict(d), "condition_due": d.condition_due.isoformat() if d.condition_due else None}
    load_or_raise(DecisionSchema(today=today), data, error=InvalidArgument)


def decide_move(
    session: Session,
    move: ProposalMove,
    user: UserAccount,
    *,
    kind: str,
    reason: str,
    rank: int | None = None,
    condition: str | None = None,
    condition_due: date | None = None,
    partner_alone: bool | None = None,
    now: datetime | None = None,
) -> CommitteeDecision:
    """Record the CALEOL decision on one move (once); confirms or fails the proposal when it settles it.

    Raises :class:`InvalidArgument` (a ``ValueError``: incomplete decision), :class:`NotAllowed` (not
    the destination landlord's staff), :class:`ProposalClosed` (not waiting for decisions),
    :class:`AlreadyDecided`.
    """
    at = now or datetime.now()
    decision = _Decision(kind, reason, rank, condition, condition_due)
    _check_decision(decision, at.date())
    landlord_id = _check_caleol(session, move, user)
    proposal = _lock(session, move.proposal_id)
    if move.decision is not None:
        raise AlreadyDecided(move.id)
    if proposal.status != "deciding":
        raise ProposalClosed(f"la proposition n° {proposal.id} n'attend pas de décision de CALEOL")
    row = CommitteeDecision(
        move_id=move.id,
        landlord_id=landlord_id,
        kind=kind,
        reason=reason.strip(),
        rank=rank if kind == "ranked" else None,
        partner_alone=partner_alone,
        condition=condition if kind == "conditional" else None,
        condition_due=condition_due if kind == "conditional" else None,
        condition_status="pending" if kind == "conditional" else None,
        decided_on=at.date(),
        decided_at=at,
        decided_by_id=user.id,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError as exc:  # the unique move_id: another staff member was faster
        raise AlreadyDecided(move.id) from exc
    session.refresh(move, ["decision"])
    _audit(
        session,
        proposal,
        user,
        f"move.decided.{kind}",
        "move",
        move.id,
        {"decision": None},
        {
            "decision": kind,
            "reason": row.reason,
            "rank": row.rank,
            "condition_due": row.condition_due.isoformat() if row.condition_due else None,
        },
        at,
    )
    _settle(session, proposal, user, at)
    notifications.move_decided(session, move, row, now=at)
    return row


def _decision_state(decision: CommitteeDecision) -> dict[str, Any]:
    return {
        "decision": decision.kind,
        "reason": decision.reason,
        "rank": decision.rank,
        "condition": decision.condition,
        "condition_due": decision.condition_due.isoformat() if decision.condition_due else None,
        "condition_status": decision.condition_status,
    }


def correct_decision(
    session: Session,
    move: ProposalMove,
    user: UserAccount,
    *,
    correction: str,
    kind: str,
    reason: str,
    rank: int | None = None,
    condition: str | None = None,
    condition_due: date | None = None,
    now: datetime | None = None,
) -> CommitteeDecision:
    """Replace the CALEOL decision on one move while its proposal still waits for decisions.

    The audit trail keeps the decision replaced, the new one and ``correction`` (why). Once every
    move is attributed the proposal is confirmed and the decisions are final; a refusal fails it at
    once, so it is final too. Raises like :func:`decide_move`, and :class:`ProposalClosed` when
    there is no decision to correct.
    """
    at = now or datetime.now()
    _check_decision(_Decision(kind, reason, rank, condition, condition_due), at.date())
    if not correction.strip():
        raise InvalidArgument({"correction": ["Indiquez pourquoi la décision est corrigée."]})
    _check_caleol(session, move, user)
    proposal = _lock(session, move.proposal_id)
    row = move.decision
    if row is None:
        raise ProposalClosed(f"le mouvement {move.id} n'a pas encore de décision à corriger")
    if proposal.status != "deciding":
        raise ProposalClosed(
            f"la proposition n° {proposal.id} n'attend plus de décision : "
            "la décision ne peut plus être corrigée"
        )
    before = _decision_state(row)
    row.kind, row.reason = kind, reason.strip()
    row.rank = rank if kind == "ranked" else None
    row.condition = condition if kind == "conditional" else None
    row.condition_due = condition_due if kind == "conditional" else None
    row.condition_status = "pending" if kind == "conditional" else None
    row.condition_closed_on = None
    row.decided_on, row.decided_at, row.decided_by_id = at.date(), at, user.id
    session.flush()
    _audit(
        session,
        proposal,
        user,
        "move.decision_corrected",
        "move",
        move.id,
        before,
        {**_decision_state(row), "correction": correction.strip()},
        at,
    )
    _settle(session, proposal, user, at)
    return row


def decision_corrections(session: Session, move_id: int) -> list[AuditEvent]:
    """The corrections of a move's CALEOL decision (audit events), oldest first."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.entity == "move",
                AuditEvent.entity_id == move_id,
                AuditEvent.action == "move.decision_corrected",
            )
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )


def _settle(session: Session, proposal: Proposal, actor: UserAccount | None, at: datetime) -> None:
    """Fail the proposal on the first non-attributed move; confirm it once every move is attributed."""
    outcomes = [(m, None if m.decision is None else m.decision.attributes) for m in proposal.moves]
    refused = [m for m, attributed in outcomes if attributed is False]
    if refused:
        decision = refused[0].decision
        assert decision is not None
        failure = {"conditional": "condition_failed", "ranked": "not_ranked_first"}.get(
            decision.kind, decision.kind
        )
        # A late document is no refusal, and an inadmissible demand is no verdict on the dwelling:
        # only the other "no"s exclude their pair (DOMAIN.md §2.3, §2.5).
        excluded = [
            m for m in refused if m.decision is not None and m.decision.kind in ("non_attribution", "ranked")
        ]
        _fail(session, proposal, actor, failure, at, excluded)
        inadmissible = [m for m in refused if m.decision is not None and m.decision.kind == "inadmissible"]
        for move in inadmissible:
            for request_id in records.pause_requests(session, [move.household_id]):
                _audit(
                    session,
                    proposal,
                    actor,
                    "request.paused",
                    "request",
                    request_id,
                    {"status": "open"},
                    {"status": "paused", "why": "inadmissible"},
                    at,
                )
                notifications.request_paused(session, move.household_id, request_id, "inadmissible", now=at)
        repair_failed(session, proposal, actor, at)
    elif all(attributed for _, attributed in outcomes):
        notice = settings.move_notice_days(session, proposal.territory_id)
        proposal.confirmed_on = at.date()
        proposal.move_date = next_working_day(
            at.date() + timedelta(days=notice), calendar=settings.calendar(session, proposal.territory_id)
        )
        records.close_requests(session, [m.household_id for m in proposal.moves], on=at.date())
        _set_status(session, proposal, "confirmed", actor, at)


def lift_condition(
    session: Session, move: ProposalMove, user: UserAccount, *, now: datetime | None = None
) -> None:
    """The suspensive condition is met (the document came in time): the move is attributed."""
    at = now or datetime.now()
    _check_caleol(session, move, user)
    proposal = _lock(session, move.proposal_id)
    decision = move.decision
    if decision is None or decision.condition_status != "pending":
        raise ProposalClosed("ce mouvement n'a pas de condition suspensive en attente")
    if proposal.status != "deciding":
        raise ProposalClosed(f"la proposition n° {proposal.id} n'attend pas de décision de CALEOL")
    assert decision.condition_due is not None
    if at.date() > decision.condition_due:
        raise DeadlinePassed(
            f"la condition devait être remplie au plus tard le {long_date(decision.condition_due)}"
        )
    decision.condition_status, decision.condition_closed_on = "met", at.date()
    session.flush()
    _audit(
        session,
        proposal,
        user,
        "move.condition_met",
        "move",
        move.id,
        {"condition": "pending"},
        {"condition": "met"},
        at,
    )
    _settle(session, proposal, user, at)


def expire_conditions(session: Session, today: date, *, territory_id: int | None = None) -> list[Proposal]:
    """Fail the moves whose suspensive condition was not met by its date; returns the failed proposals."""
    query = (
        select(CommitteeDecision.id, ProposalMove.proposal_id)
        .join(ProposalMove, ProposalMove.id == CommitteeDecision.move_id)
        .join(Proposal, Proposal.id == ProposalMove.proposal_id)
        .where(
            CommitteeDecision.condition_status == "pending",
            CommitteeDecision.condition_due < today,
            Proposal.status == "deciding",
        )
    )
    if territory_id is not None:
        query = query.where(Proposal.territory_id == territory_id)
    at = datetime.combine(today, datetime.min.time())
    failed: list[Proposal] = []
    for decision_id, proposal_id in session.execute(query.order_by(CommitteeDecision.id)).all():
        proposal = _lock(session, proposal_id)
        decision = session.get(CommitteeDecision, decision_id)
        if proposal.status != "deciding" or decision is None or decision.condition_status != "pending":
            continue
        decision.condition_status, decision.condition_closed_on = "failed", today
        session.flush()
        _audit(
            session,
            proposal,
            None,
            "move.condition_failed",
            "move",
            decision.move_id,
            {"condition": "pending"},
            {"condition": "failed"},
            at,
        )
        _settle(session, proposal, None, at)
        failed.append(proposal)
    return failed


def reopen_request(
    session: Session, household_id: int, user: UserAccount, *, now: datetime | None = None
) -> int:
    """The landlord reviewed a paused request (after a rejection for inadmissibility, or after lapsed
    proposals): it is open again, its count of lapsed proposals back to 0.

    Allowed to the staff of the household's current landlord and to the territory's admins.
    Raises :class:`NotAllowed` and :class:`WorkflowError` (no paused request); returns the request id.
    """
    at = now or datetime.now()
    household = session.get(Household, household_id)
    if household is None:
        raise NotFound(f"ménage inconnu : {household_id}")
    landlord_id = (
        None
        if household.dwelling_id is None
        else session.scalar(select(Dwelling.landlord_id).where(Dwelling.id == household.dwelling_id))
    )
    allowed = (user.role == "admin" and user.territory_id == household.territory_id) or (
        user.role == "staff" and user.landlord_id is not None and user.landlord_id == landlord_id
    )
    if not allowed:
        raise NotAllowed("seul le bailleur du ménage ou le territoire peut rouvrir sa demande")
    request_id = records.reopen_request(session, household_id)
    if request_id is None:
        raise WorkflowError("ce ménage n'a pas de demande en pause")
    _request_event(session, household, user, "request.reopened", request_id, {"status": "paused"}, at)
    return request_id


def _request_event(
    session: Session,
    household: Household,
    user: UserAccount,
    action: str,
    request_id: int,
    before: dict[str, Any],
    at: datetime,
) -> None:
    """Audit a paused request reopened by ``user``."""
    session.add(
        AuditEvent.by(
            user,
            territory_id=household.territory_id,
            at=at,
            action=action,
            entity="request",
            entity_id=request_id,
            before=before,
            after={"status": "open"},
        )
    )
    session.flush()


def confirm_request(
    session: Session, household_id: int, user: UserAccount, *, now: datetime | None = None
) -> int:
    """The household confirms its request, paused after lapsed proposals: it is open again.

    Allowed to the household's tenant, and to the territory's admins filing for a tenant without
    internet. A request paused after a rejection for inadmissibility waits for its landlord
    (:func:`reopen_request`). Raises :class:`NotFound`, :class:`NotAllowed` and
    :class:`WorkflowError`; returns the request id.
    """
    at = now or datetime.now()
    household = session.get(Household, household_id)
    if household is None:
        raise NotFound(f"ménage inconnu : {household_id}")
    allowed = (user.role == "tenant" and user.household_id == household_id) or (
        user.role == "admin" and user.territory_id == household.territory_id
    )
    if not allowed:
        raise NotAllowed("vous ne pouvez confirmer que la demande de votre propre ménage")
    paused = session.scalars(
        select(Request)
        .where(Request.household_id == household_id, Request.status == "paused")
        .order_by(Request.id.desc())
        .limit(1)
    ).first()
    if paused is None:
        raise WorkflowError("cette demande n'est pas en pause")
    if paused.paused_why != "silences":
        raise WorkflowError("cette demande attend l'examen du bailleur, qui seul peut la rouvrir")
    silences = paused.silences
    request_id = records.reopen_request(session, household_id)
    assert request_id == paused.id
    before = {"status": "paused", "why": "silences", "silences": silences}
    _request_event(session, household, user, "request.confirmed", request_id, before, at)
    return request_id


# After confirmation -----------------------------------------------------------------------------


def set_move_date(
    session: Session, proposal: Proposal, user: UserAccount, move_date: date, *, now: datetime | None = None
) -> None:
    """Change the common move date by agreement (a territory admin or staff of a landlord involved)."""
    at = now or datetime.now()
    proposal = _lock(session, proposal.id)
    landlords = set(
        session.scalars(
            select(Dwelling.landlord_id).where(Dwelling.id.in_([m.to_dwelling_id for m in proposal.moves]))
        ).all()
    )
    allowed = (user.role == "admin" and user.territory_id == proposal.territory_id) or (
        user.role == "staff" and user.landlord_id in landlords
    )
    if not allowed:
        raise NotAllowed(
            "seuls les bailleurs concernés ou le territoire peuvent fixer la date du déménagement"
        )
    if proposal.status != "confirmed":
        raise ProposalClosed(f"la proposition n° {proposal.id} n'est pas confirmée")
    if move_date < at.date():
        raise InvalidArgument({"move_date": ["la date du déménagement ne peut pas être passée"]})
    before = _state(proposal)
    proposal.move_date = move_date
    session.flush()
    _audit(
        session, proposal, user, "proposal.move_date", "proposal", proposal.id, before, _state(proposal), at
    )


def complete_proposal(
    session: Session, proposal: Proposal, user: UserAccount | None, *, now: datetime | None = None
) -> None:
    """The moves happened on the common date: each household now lives in its new dwelling."""
    at = now or datetime.now()
    proposal = _lock(session, proposal.id)
    if proposal.status != "confirmed":
        raise ProposalClosed(f"la proposition n° {proposal.id} n'est pas confirmée")
    assert proposal.move_date is not None
    if at.date() < proposal.move_date:
        raise WorkflowError(f"le déménagement est prévu le {long_date(proposal.move_date)}")
    if user is not None and not (user.role == "admin" and user.territory_id == proposal.territory_id):
        raise NotAllowed("seul le territoire enregistre les déménagements effectués")
    records.move_households(session, [(m.household_id, m.to_dwelling_id) for m in proposal.moves])
    proposal.closed_on = at.date()
    _set_status(session, proposal, "completed", user, at)

"""Notifications by e-mail (courriels): what each event puts in the outbox, in the event's transaction.

:func:`notify` is the one entry point: it writes one :class:`~exchange.models.notification.OutboxMessage`
per account to tell, in the caller's session (never committed here), so the message exists exactly when
the event does. The workflow and the run call the small hooks below it (:func:`proposals_stored`,
:func:`proposal_changed`, :func:`move_decided`, :func:`request_paused`); :func:`queue_due` adds the
reminders and the staff's daily digests; ``exchange send-mail`` delivers (:mod:`exchange.mailer`).

What a message may say (DOMAIN.md §5): that there is a proposal, its number, its deadline, a decision
or a status, and a link to the portal. Never a name, an address, a household's composition or any
other household's identity: the context holds numbers, dates and codes only.

Legal notices (:data:`LEGAL_KINDS`) go out whatever the account's preferences: a new or repaired
proposal (its answer delay runs from the notification, R.441-10 CCH), a lapsed deadline and a paused
request (they change the household's rights) and a CALEOL decision (notified in writing, R.441-3).
The others (:data:`OPTIONAL_KINDS`) can be turned off on the preferences page.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange.models import Household, UserAccount
from exchange.models.notification import MAIL_KINDS, OutboxMessage
from exchange.models.workflow import CommitteeDecision, Proposal, ProposalMove

__all__ = [
    "LEGAL_KINDS",
    "OPTIONAL_KINDS",
    "DueCounts",
    "account_for_token",
    "households_with_mail",
    "move_decided",
    "notify",
    "preferences_token",
    "proposal_changed",
    "proposal_repaired",
    "proposals_stored",
    "queue_due",
    "request_paused",
    "set_muted",
]

LEGAL_KINDS = frozenset({"proposal", "repaired", "lapsed", "paused", "decision"})
"""Notices that cannot be turned off: they start a legal delay or tell a decision on the household."""
OPTIONAL_KINDS = tuple(k for k in MAIL_KINDS if k not in LEGAL_KINDS)
"""Notifications an account may turn off: reminders, changes made by others, the staff's digest."""

_DIGEST_LINES = 50  # a digest lists at most this many moves; the portal has the rest


def _json_safe(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def _recipients(session: Session, to: UserAccount | Household) -> list[UserAccount]:
    if isinstance(to, UserAccount):
        rows = [to]
    else:
        rows = list(
            session.scalars(
                select(UserAccount)
                .where(UserAccount.household_id == to.id, UserAccount.role == "tenant")
                .order_by(UserAccount.id)
            )
        )
    return [a for a in rows if a.active and a.email]


def households_with_mail(session: Session, household_ids: Iterable[int]) -> set[int]:
    """The households among ``household_ids`` that :func:`notify` reaches: at least one active tenant
    account with an address. The others learn of a proposal by a paper letter (:mod:`exchange.letters`)."""
    wanted = sorted(set(household_ids))
    if not wanted:
        return set()
    found = session.scalars(
        select(UserAccount.household_id)
        .where(
            UserAccount.household_id.in_(wanted),
            UserAccount.role == "tenant",
            UserAccount.active.is_(True),
            UserAccount.email.is_not(None),
            UserAccount.email != "",
        )
        .distinct()
    )
    return {h for h in found if h is not None}


def notify(
    session: Session,
    kind: str,
    to: UserAccount | Household,
    context: Mapping[str, Any],
    *,
    key: str | None = None,
    now: datetime | None = None,
) -> list[OutboxMessage]:
    """Put a ``kind`` message for ``to`` (an account, or every tenant account of a household) in the outbox.

    ``key`` names the event (e.g. the proposal's id): the same kind, key and account give one message
    only, so a hook may run twice. Accounts without an address, inactive, or that turned an optional
    kind off get nothing. Returns the rows added (flushed, in the caller's transaction).
    """
    if kind not in MAIL_KINDS:
        raise ValueError(f"kind: {kind!r} inconnu (attendu : {', '.join(MAIL_KINDS)})")
    at = (now or datetime.now()).replace(microsecond=0)
    event = key if key is not None else uuid.uuid4().hex
    added: list[OutboxMessage] = []
    for account in _recipients(session, to):
        if kind in OPTIONAL_KINDS and kind in (account.mail_muted or []):
            continue
        dedup = f"{kind}:{event}:a{account.id}"[:120]
        if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedup_key == dedup)) is not None:
            continue
        row = OutboxMessage(
            territory_id=account.territory_id,
            account_id=account.id,
            kind=kind,
            dedup_key=dedup,
            recipient=str(account.email),
            context=_json_safe(dict(context)),
            status="pending",
            attempts=0,
            created_at=at,
            next_attempt_at=at,
        )
        session.add(row)
        added.append(row)
    if added:
        session.flush()
    return added


# Hooks of the workflow and of the run -------------------------------------------------------------


def _household(session: Session, household_id: int) -> Household:
    household = session.get(Household, household_id)
    assert household is not None
    return household


def _proposal_context(proposal: Proposal) -> dict[str, Any]:
    return {
        "proposal_id": proposal.id,
        "proposal_kind": proposal.kind,
        "households": len(proposal.moves),
        "deadline": proposal.answer_deadline,
    }


def proposals_stored(session: Session, proposals: Iterable[Proposal], *, now: datetime) -> int:
    """A run stored these proposals: each of their households gets « nouvelle proposition »; a count."""
    count = 0
    for proposal in proposals:
        for move in proposal.moves:
            household = _household(session, move.household_id)
            count += len(
                notify(
                    session, "proposal", household, _proposal_context(proposal), key=f"{proposal.id}", now=now
                )
            )
    return count


def proposal_repaired(
    session: Session, proposal: Proposal, *, now: datetime, households: Iterable[int] | None = None
) -> int:
    """The proposal was repaired: ``households`` (default: all of its households) get the legal notice
    with its new deadline. The hook of the repair; returns how many messages were queued."""
    wanted = None if households is None else set(households)
    count = 0
    for move in proposal.moves:
        if wanted is None or move.household_id in wanted:
            household = _household(session, move.household_id)
            # The household knows the proposal that failed, not the new number: say both.
            context = {**_proposal_context(proposal), "repairs": proposal.repairs_id or proposal.id}
            key = f"{proposal.id}:{proposal.answer_deadline.isoformat()}"
            count += len(notify(session, "repaired", household, context, key=key, now=now))
    return count


def proposal_changed(
    session: Session,
    proposal: Proposal,
    actor: UserAccount | None,
    *,
    now: datetime,
    answered_for: int | None = None,
) -> None:
    """The proposal changed status: tell its households, but not the one whose own answer changed it
    (``answered_for``, also when its landlord's staff recorded that answer for it; else the acting tenant's).

    On a lapsed deadline the silent households get the legal « délai dépassé »; the others (and every
    household on a CALEOL's outcome) get « proposition modifiée », with the status and the failure's
    reason but never who caused it.
    """
    if proposal.status not in ("deciding", "confirmed", "failed"):
        return
    context = {
        **_proposal_context(proposal),
        "status": proposal.status,
        "failure": proposal.failure,
        "move_date": proposal.move_date,
    }
    own = answered_for
    if own is None and actor is not None and actor.role == "tenant":
        own = actor.household_id
    for move in proposal.moves:
        household = _household(session, move.household_id)
        silent = proposal.failure == "no_answer" and move.refusal_reason == "no_answer"
        if silent:
            notify(session, "lapsed", household, context, key=f"{proposal.id}", now=now)
        elif move.household_id != own:
            notify(session, "changed", household, context, key=f"{proposal.id}:{proposal.status}", now=now)


def move_decided(session: Session, move: ProposalMove, decision: CommitteeDecision, *, now: datetime) -> None:
    """The CALEOL decided ``move``: its household gets the decision (never the free-text reason)."""
    context = {
        **_proposal_context(move.proposal),
        "decision": decision.kind,
        "rank": decision.rank,
        "condition_due": decision.condition_due,
        "status": move.proposal.status,
    }
    notify(session, "decision", _household(session, move.household_id), context, key=f"{move.id}", now=now)


def request_paused(session: Session, household_id: int, request_id: int, why: str, *, now: datetime) -> None:
    """The household's request ``request_id`` paused (``why``: silences or inadmissible)."""
    context = {"request_id": request_id, "why": why}
    notify(
        session,
        "paused",
        _household(session, household_id),
        context,
        key=f"{request_id}:{now:%Y%m%d%H%M%S}",
        now=now,
    )


# Reminders and digests (exchange notify-due) ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DueCounts:
    """What :func:`queue_due` added to the outbox."""

    reminders: int
    digests: int


def _reminders(session: Session, today: date, territory_id: int | None, now: datetime) -> int:
    from exchange import settings

    query = select(Proposal).where(Proposal.status == "proposed", Proposal.answer_deadline >= today)
    if territory_id is not None:
        query = query.where(Proposal.territory_id == territory_id)
    count = 0
    leads: dict[int, int] = {}
    for proposal in session.scalars(query.order_by(Proposal.id)):
        lead = leads.setdefault(proposal.territory_id, settings.reminder_days(session, proposal.territory_id))
        if lead == 0 or proposal.answer_deadline - timedelta(days=lead) > today:
            continue
        context = {**_proposal_context(proposal), "days_left": (proposal.answer_deadline - today).days}
        for move in proposal.moves:
            if move.answer is None:
                household = _household(session, move.household_id)
                count += len(notify(session, "reminder", household, context, key=f"{proposal.id}", now=now))
    return count


def _digests(session: Session, today: date, territory_id: int | None, now: datetime) -> int:
    from exchange.caleol_queue import is_overdue, landlord_queue

    query = select(UserAccount).where(
        UserAccount.role == "staff", UserAccount.active.is_(True), UserAccount.email.is_not(None)
    )
    if territory_id is not None:
        query = query.where(UserAccount.territory_id == territory_id)
    count = 0
    queues: dict[int, list[ProposalMove]] = {}
    for account in session.scalars(query.order_by(UserAccount.id)).all():
        assert account.landlord_id is not None
        moves = queues.setdefault(account.landlord_id, landlord_queue(session, account.landlord_id))
        if not moves:
            continue
        lines = [
            {
                "move_id": m.id,
                "proposal_id": m.proposal_id,
                "decision_due": m.decision_due,
                "overdue": is_overdue(m, today),
            }
            for m in moves
        ]
        overdue = sum(1 for line in lines if line["overdue"])
        context = {"day": today, "awaiting": len(lines), "overdue": overdue, "moves": lines[:_DIGEST_LINES]}
        count += len(notify(session, "digest", account, context, key=today.isoformat(), now=now))
    return count


def queue_due(
    session: Session, today: date, *, territory_id: int | None = None, now: datetime | None = None
) -> DueCounts:
    """Add today's reminders (deadline within the territory's ``reminder_days``) and staff digests.

    Each is said once: a reminder once per proposal and account, a digest once per day and account,
    however often this runs.
    """
    at = now or datetime.combine(today, datetime.now().time())
    return DueCounts(
        reminders=_reminders(session, today, territory_id, at),
        digests=_digests(session, today, territory_id, at),
    )


# Preferences and the signed link of each message -------------------------------------------------


def preferences_token(account_id: int, secret: str) -> str:
    """The token of the account's preferences link: its id and an HMAC-SHA256 under ``secret``.

    >>> preferences_token(7, "s3cret")
    '7-32bcbeab2e78cef0c8095e1f747d15ae'
    """
    if not secret:
        raise ValueError("secret: la clé secrète du portail (EXCHANGE_SECRET_KEY) est obligatoire")
    digest = hmac.new(secret.encode(), f"mail-preferences:{account_id}".encode(), hashlib.sha256)
    return f"{account_id}-{digest.hexdigest()[:32]}"


def account_for_token(token: str, secret: str) -> int | None:
    """The account id a preferences token was signed for, or None (forged, truncated, other key)."""
    head, _, _signature = token.partition("-")
    if not head.isdigit() or not secret:
        return None
    expected = preferences_token(int(head), secret)
    return int(head) if hmac.compare_digest(expected, token) else None


def set_muted(session: Session, account_id: int, muted: Iterable[str]) -> list[str]:
    """Turn off exactly the optional kinds in ``muted`` for the account; pending ones are then cancelled.

    Raises ``ValueError`` for a legal notice or an unknown kind. Returns the muted kinds, sorted.
    """
    wanted = sorted(set(muted))
    bad = [k for k in wanted if k not in OPTIONAL_KINDS]
    if bad:
        raise ValueError(f"muted: ces courriels ne peuvent pas être désactivés : {', '.join(bad)}")
    account = session.get(UserAccount, account_id)
    if account is None:
        from exchange.errors import NotFound

        raise NotFound(f"compte inconnu : {account_id}")
    account.mail_muted = wanted
    for row in session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.account_id == account_id,
            OutboxMessage.status == "pending",
            OutboxMessage.kind.in_(wanted),
        )
    ):
        row.status = "cancelled"
        row.last_error = "désactivé par le destinataire"
    session.flush()
    return wanted

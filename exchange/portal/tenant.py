"""The tenant's services (locataire): the household, its request, its proposals and its answers.

Reads return the frozen views of :mod:`.views`; what a tenant sees is anonymised (DOMAIN.md §5). The
services that write say so in their docstring (« Writes: … »); none commits, the caller does. They
clear the territory's entries of :data:`~exchange.cache.territory_cache`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange import glossary, visits, wording, workflow
from exchange import models as m
from exchange.cache import territory_cache
from exchange.errors import InvalidInput, NotFound
from exchange.models.workflow import Proposal, ProposalMove
from exchange.portal.access import form_errors, household_proposal, user_row
from exchange.portal.picture import household_picture, why_lines
from exchange.portal.reading import (
    card,
    dwellings_by_id,
    load_household,
    open_request_row,
    reply_record,
    snapshot,
    territory_communes,
)
from exchange.portal.tracker import answers_entered, party_steps
from exchange.portal.views import (
    ChainStep,
    MyMove,
    ProposalDetail,
    ProposalSummary,
    RequestView,
    TenantOverview,
    TrackerStep,
    Wishes,
)
from exchange.portal.visits import visits_step
from exchange.schemas import load_or_raise
from exchange.schemas.contracts import WishesSchema

__all__ = [
    "confirm_request",
    "record_answer",
    "record_withdrawal",
    "refusal_reasons",
    "request_view",
    "save_request",
    "tenant_overview",
    "tenant_proposal",
    "tenant_proposals",
    "load_wishes",
]


def request_view(session: Session, household_id: int) -> RequestView | None:
    """The household's request (the open one first, else its latest), or None."""
    row = session.scalars(
        select(m.Request)
        .where(m.Request.household_id == household_id)
        .order_by((m.Request.status == "open").desc(), m.Request.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return RequestView(
        filed_on=row.filed_on,
        communes=tuple(sorted(row.communes or ())),
        min_rooms=row.min_rooms,
        max_rooms=row.max_rooms,
        max_cost=float(row.max_cost),
        accept_qpv=bool(row.accept_qpv),
        status=row.status,
        paused_why=row.paused_why,
        silences=int(row.silences or 0),
    )


def tenant_overview(session: Session, account: Any) -> TenantOverview:
    """The tenant's household, criteria, request and live proposal."""
    snap = snapshot(session, account.territory_code)
    household, current, _request = load_household(session, account.household_id)
    picture = household_picture(household, current, card(snap, current), snap.config)
    summaries = tenant_proposals(session, account)
    live = next((p for p in summaries if p.status in ("proposed", "deciding", "confirmed")), None)
    return TenantOverview(
        picture,
        request_view(session, account.household_id),
        live,
        reply_record(session, account.household_id),
    )


def load_wishes(session: Session, account: Any, data: Any, *, root: str = "(corps)") -> Wishes:
    """The household's wishes from a JSON body, checked by :class:`WishesSchema` (communes of its
    territory); raises :class:`InvalidInput` naming each bad field (``root``: the body as a whole)."""
    known = tuple(territory_communes(session, account.territory_id))
    loaded = load_or_raise(WishesSchema(communes=known), data, root=root)
    return Wishes(
        tuple(loaded["communes"]),
        loaded["min_rooms"],
        loaded["max_rooms"],
        float(loaded["max_cost"]),
        loaded["accept_qpv"],
    )


def save_request(session: Session, account: Any, wishes: Wishes, *, today: date | None = None) -> bool:
    """File the household's request or update its wishes; True when a new request was filed.

    Writes: the household's request row; the caller commits.

    While an exchange is confirmed (the move is scheduled), no request is filed: raises
    :class:`~exchange.workflow.NotAllowed`.

    A paused request keeps its status: its wishes change, but only a confirmation (after lapsed
    proposals) or the landlord's review (after a rejection for inadmissibility) reopens it; filing a
    second request beside it would bypass both.
    """
    if wishes.min_rooms is not None and wishes.max_rooms is not None and wishes.max_rooms < wishes.min_rooms:
        raise InvalidInput({"max_rooms": ["doit être supérieur ou égal au minimum."]})
    if any(p.status == "confirmed" for p in workflow.proposals_of_household(session, account.household_id)):
        raise workflow.NotAllowed(
            "votre échange est confirmé : une nouvelle demande pourra être déposée après le déménagement"
        )
    row = (
        open_request_row(session, account.household_id)
        or session.scalars(
            select(m.Request)
            .where(m.Request.household_id == account.household_id, m.Request.status == "paused")
            .order_by(m.Request.id.desc())
            .limit(1)
        ).first()
    )
    created = row is None
    if row is None:
        household = session.get(m.Household, account.household_id)
        if household is None or household.dwelling_id is None:
            raise NotFound("ménage inconnu ou sans logement")
        row = m.Request(
            territory_id=household.territory_id,
            household_id=household.id,
            filed_on=today or date.today(),
            status="open",
        )
        session.add(row)
    row.communes = sorted(wishes.communes)
    row.min_rooms, row.max_rooms = wishes.min_rooms, wishes.max_rooms
    row.max_cost, row.accept_qpv = wishes.max_cost, wishes.accept_qpv
    session.flush()
    territory_cache.invalidate(account.territory_code)
    return created


def refusal_reasons() -> list[tuple[str, str]]:
    """The fixed refusal reasons a household may give (DOMAIN.md §2.2), as (code, French label)."""
    return [
        (code, glossary.heading(label))
        for code, label in glossary.REFUSAL_REASONS.items()
        if code != "no_answer"
    ]


def _deadline(day: date) -> datetime:
    return datetime.combine(day, datetime.max.time()).replace(microsecond=0)


def tenant_proposals(session: Session, account: Any, *, today: date | None = None) -> list[ProposalSummary]:
    """The household's proposals, newest first."""
    today = today or date.today()
    snap = snapshot(session, account.territory_code)
    proposals = workflow.proposals_of_household(session, account.household_id)
    mine = [next(mv for mv in p.moves if mv.household_id == account.household_id) for p in proposals]
    by_id = dwellings_by_id(session, {mv.to_dwelling_id for mv in mine})
    return [
        ProposalSummary(
            p.id,
            p.kind,
            glossary.heading(glossary.PROPOSAL_KINDS.get(p.kind, p.kind)),
            p.status,
            glossary.PROPOSAL_STATUSES.get(p.status, p.status),
            p.notified_on,
            _deadline(p.answer_deadline),
            card(snap, by_id[mv.to_dwelling_id]),
            awaiting_me=p.status == "proposed" and mv.answer is None and today <= p.answer_deadline,
            days_left=max(0, (p.answer_deadline - today).days),
            move_date=p.move_date,
        )
        for p, mv in zip(proposals, mine, strict=True)
    ]


def _answer_label(move: ProposalMove) -> str:
    if move.answer == "accepted":
        return "A accepté"
    if move.answer == "refused":
        return "A refusé" if move.refusal_reason != "no_answer" else "N'a pas répondu à temps"
    return "N'a pas encore répondu"


def _answers_note(moves: list[ProposalMove], household_id: int, left: timedelta) -> str:
    """« votre réponse est attendue ; 1 autre ménage n'a pas encore répondu ; 10 jours restants »."""
    mine = next(mv for mv in moves if mv.household_id == household_id)
    others = sum(1 for mv in moves if mv.answer is None and mv.household_id != household_id)
    first = "votre réponse est attendue" if mine.answer is None else "vous avez répondu"
    if others:
        second = wording.count(others, "autre ménage n'a", "autres ménages n'ont") + " pas encore répondu"
    else:
        second = "les autres ménages ont répondu"
    days = max(left, timedelta(0)).days
    return f"{first} ; {second} ; " + wording.count(days, "jour restant", "jours restants")


def _tracker(proposal: Proposal, now: datetime, household_id: int) -> tuple[TrackerStep, ...]:
    moves = list(proposal.moves)
    waiting = sum(1 for mv in moves if mv.answer is None)
    status = proposal.status
    failed = status == "failed"
    answered_done = status in ("deciding", "confirmed", "completed") or (failed and waiting == 0)
    left = _deadline(proposal.answer_deadline) - now
    steps = [TrackerStep("Proposition envoyée", "done", f"le {wording.long_date(proposal.notified_on)}")]
    if status == "proposed":
        steps.append(TrackerStep("Réponses des ménages", "current", _answers_note(moves, household_id, left)))
    else:
        steps.append(
            TrackerStep(
                "Réponses des ménages",
                "done" if answered_done else "failed",
                "tous les ménages ont accepté" if answered_done and not failed else "",
            )
        )
    decided = sum(1 for mv in moves if mv.decision is not None)
    if status == "deciding":
        due = [mv.decision_due for mv in moves if mv.decision is None and mv.decision_due]
        note = wording.count(len(moves) - decided, "décision attendue", "décisions attendues")
        note += f" sur {len(moves)}"
        if due:
            note += f", au plus tard le {wording.long_date(min(due))}"
        steps.append(TrackerStep("Décisions des CALEOL", "current", note))
    elif status in ("confirmed", "completed"):
        steps.append(TrackerStep("Décisions des CALEOL", "done", "tous les logements sont attribués"))
    else:
        steps.append(TrackerStep("Décisions des CALEOL", "failed" if failed and answered_done else "todo"))
    if status == "confirmed":
        steps.append(
            TrackerStep(
                "Déménagement",
                "current",
                f"prévu le {wording.long_date(proposal.move_date)}" if proposal.move_date else "",
            )
        )
    elif status == "completed":
        steps.append(TrackerStep("Déménagement", "done", "effectué"))
    else:
        steps.append(TrackerStep("Déménagement", "todo"))
    if failed:
        steps.append(
            TrackerStep(
                "Proposition abandonnée",
                "failed",
                glossary.FAILURES.get(proposal.failure or "", proposal.failure or "")
                + " ; les autres ménages restent candidats aux prochains appariements",
            )
        )
    return tuple(steps)


def _with_visits(
    session: Session, proposal: Proposal, steps: tuple[TrackerStep, ...]
) -> tuple[TrackerStep, ...]:
    """The tracker with its « Visites » step after the answers, when a visit was asked."""
    step = visits_step(visits.visits_of_proposal(session, proposal.id), proposal)
    return steps if step is None else (*steps[:2], step, *steps[2:])


def tenant_proposal(
    session: Session, account: Any, proposal_id: int, *, now: datetime | None = None
) -> ProposalDetail:
    """One proposal of the household; :class:`NotFound` if the household is not in it."""
    at = now or datetime.now()
    proposal, mine = household_proposal(session, account, proposal_id)
    snap = snapshot(session, account.territory_code)
    ids = {mv.from_dwelling_id for mv in proposal.moves} | {mv.to_dwelling_id for mv in proposal.moves}
    by_id = dwellings_by_id(session, ids)
    from_ids = {mv.from_dwelling_id for mv in proposal.moves}
    letters = iter("ABCDEFGHIJ")
    steps = tuple(
        ChainStep(
            label="vous" if mv.household_id == account.household_id else next(letters),
            is_me=mv.household_id == account.household_id,
            from_card=card(snap, by_id[mv.from_dwelling_id]),
            to_card=card(snap, by_id[mv.to_dwelling_id]),
            vacant_start=mv.to_dwelling_id not in from_ids,
            answer_label=_answer_label(mv),
        )
        for mv in proposal.moves
    )
    deadline = _deadline(proposal.answer_deadline)
    my_answer = None
    if mine.answer == "accepted":
        my_answer = "vous avez accepté"
    elif mine.answer == "refused":
        my_answer = "vous avez refusé"
    if my_answer is not None and (entered := answers_entered(session, proposal).get(mine.id)):
        my_answer += f" ; {entered}"
    return ProposalDetail(
        id=proposal.id,
        kind=proposal.kind,
        kind_label=glossary.heading(glossary.PROPOSAL_KINDS.get(proposal.kind, proposal.kind)),
        status=proposal.status,
        status_label=glossary.PROPOSAL_STATUSES.get(proposal.status, proposal.status),
        notified_on=proposal.notified_on,
        deadline=deadline,
        time_left=deadline - at,
        move_date=proposal.move_date,
        can_answer=proposal.status == "proposed" and mine.answer is None and at <= deadline,
        my_answer=my_answer,
        mine=MyMove(
            card(snap, by_id[mine.from_dwelling_id]),
            card(snap, by_id[mine.to_dwelling_id]),
            mine.points,
            tuple(why_lines(mine.points_detail or {}, mine.criteria_before or [], mine.criteria_after or [])),
        ),
        steps=steps,
        tracker=_with_visits(session, proposal, _tracker(proposal, at, account.household_id)),
        can_withdraw=proposal.live and mine.answer == "accepted",
        parties=party_steps(session, proposal, today=at.date(), household_id=account.household_id),
    )


def confirm_request(session: Session, account: Any) -> None:
    """The household confirms its request, paused after lapsed proposals: it is open again.

    Writes: the request and the audit trail (``workflow.confirm_request``); the caller commits.
    """
    workflow.confirm_request(session, account.household_id, user_row(session, account))
    territory_cache.invalidate(account.territory_code)


def record_withdrawal(
    session: Session,
    account: Any,
    proposal_id: int,
    *,
    reason: str | None,
    comment: str | None,
    channel: str | None = None,
) -> None:
    """Record that the household withdraws from a proposal it accepted.

    ``account`` is the household's, or an :class:`~exchange.portal.access.OnBehalf` when its landlord's
    staff records the withdrawal given at the agency, by phone or by letter (``channel``).
    Writes: the move, the proposal and the audit trail (``workflow.withdraw_move``); the caller commits.
    """
    _proposal, mine = household_proposal(session, account, proposal_id)
    try:
        workflow.withdraw_move(
            session,
            mine,
            user_row(session, account),
            reason=reason or "",
            note=comment,
            channel=channel,
        )
    except InvalidInput as exc:
        raise form_errors(exc, note="comment") from exc
    territory_cache.invalidate(account.territory_code)


def record_answer(
    session: Session,
    account: Any,
    proposal_id: int,
    *,
    accepted: bool,
    reason: str | None,
    comment: str | None,
    channel: str | None = None,
) -> None:
    """Record the household's answer (accept or refuse) to its move in the proposal.

    ``account`` is the household's, or an :class:`~exchange.portal.access.OnBehalf` when its landlord's
    staff records the answer given at the agency, by phone or by letter (``channel``).
    Writes: the move, the proposal and the audit trail (``workflow.answer_move``); the caller commits.
    """
    _proposal, mine = household_proposal(session, account, proposal_id)
    try:
        workflow.answer_move(
            session,
            mine,
            user_row(session, account),
            accepted=accepted,
            reason=None if accepted else reason,
            note=comment,
            channel=channel,
        )
    except InvalidInput as exc:
        raise form_errors(exc, note="comment") from exc
    territory_cache.invalidate(account.territory_code)

"""The CALEOL's services (commission d'attribution): its queue, a move's dossier, its decision, minutes.

A staff account sees the moves into its landlord's dwellings only (:func:`.access.staff_move`);
what follows a decision (conditions, move date, paused requests) is :mod:`.followup`'s.
:func:`record_decision` writes (it says so); none commits, the caller does.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exchange import caleol_queue, glossary, workflow
from exchange import models as m
from exchange.cache import territory_cache
from exchange.errors import NotFound
from exchange.glossary import chance_label
from exchange.loading import plain_household
from exchange.models.workflow import CommitteeDecision, ProposalMove
from exchange.portal.access import staff_move, user_row
from exchange.portal.picture import points_lines
from exchange.portal.reading import card, dwellings_by_id, reply_record, snapshot
from exchange.portal.staff_views import (
    DecisionCorrection,
    DecisionView,
    Dossier,
    Minutes,
    MinutesRow,
    QueueItem,
)
from exchange.portal.tracker import party_steps
from matching import policy

__all__ = [
    "committee_queue",
    "correct_decision",
    "decision_kinds",
    "move_dossier",
    "record_decision",
    "session_minutes",
]


def decision_kinds() -> list[tuple[str, str]]:
    """The R.441-3 decision kinds, as (code, French label)."""
    return [(code, glossary.heading(label)) for code, label in glossary.DECISION_KINDS.items()]


def _criteria_labels(codes: Any) -> tuple[str, ...]:
    return tuple(glossary.heading(glossary.CRITERIA.get(c, c)) for c in codes or ())


def _household_refs(session: Session, ids: set[int]) -> dict[int, str]:
    return dict(session.execute(select(m.Household.id, m.Household.ref).where(m.Household.id.in_(ids))).all())


def committee_queue(session: Session, account: Any, *, today: date | None = None) -> list[QueueItem]:
    """Moves into the staff's landlord's dwellings awaiting a decision, overdue first."""
    day = today or date.today()
    snap = snapshot(session, account.territory_code)
    moves = caleol_queue.landlord_queue(session, account.landlord_id)
    dwellings = dwellings_by_id(session, {mv.to_dwelling_id for mv in moves})
    households = _household_refs(session, {mv.household_id for mv in moves})
    sizes: dict[int, int] = dict(
        session.execute(
            select(m.HouseholdMember.household_id, func.count())
            .where(m.HouseholdMember.household_id.in_({mv.household_id for mv in moves}))
            .group_by(m.HouseholdMember.household_id)
        ).all()
    )
    items = [
        QueueItem(
            mv.id,
            mv.proposal_id,
            households[mv.household_id],
            int(sizes.get(mv.household_id, 0)),
            dwellings[mv.to_dwelling_id].ref,
            card(snap, dwellings[mv.to_dwelling_id]),
            mv.points,
            mv.decision_due,
            caleol_queue.is_overdue(mv, day),
        )
        for mv in moves
    ]
    items.sort(key=lambda q: (not q.overdue, q.decision_due or date.max, q.move_id))
    return items


def _decision_view(decision: CommitteeDecision | None) -> DecisionView | None:
    if decision is None:
        return None
    return DecisionView(
        decision.kind,
        glossary.DECISION_KINDS.get(decision.kind, decision.kind),
        decision.reason,
        decision.decided_on,
        decision.rank,
        decision.condition,
        decision.condition_due,
        decision.condition_status,
    )


def move_dossier(session: Session, account: Any, move_id: int, *, today: date | None = None) -> Dossier:
    """The dossier of a move into the staff's landlord's dwellings; :class:`NotFound` otherwise."""
    day = today or date.today()
    move = staff_move(session, account, move_id)
    proposal = move.proposal
    snap = snapshot(session, account.territory_code)
    row = session.get(m.Household, move.household_id)
    if row is None:
        raise NotFound(f"mouvement inconnu : {move_id}")
    household = plain_household(row)
    by_id = dwellings_by_id(session, {move.from_dwelling_id, move.to_dwelling_id})
    current, target = by_id[move.from_dwelling_id], by_id[move.to_dwelling_id]
    distance = policy.work_distance_km(household, target, snap.config)
    if distance is None:
        job = "pas de lieu de travail déclaré"
    elif distance > snap.config.job_distance_km:
        job = "le logement proposé resterait trop loin du lieu de travail"
    else:
        job = "le logement proposé est à distance raisonnable du lieu de travail"
    detail = move.points_detail or {}
    return Dossier(
        move_id=move.id,
        proposal_id=proposal.id,
        kind_label=glossary.heading(glossary.PROPOSAL_KINDS.get(proposal.kind, proposal.kind)),
        size=len(proposal.moves),
        status=proposal.status,
        status_label=glossary.PROPOSAL_STATUSES.get(proposal.status, ""),
        household_ref=household.ref,
        members=tuple((glossary.MEMBER_ROLES.get(mb.role, mb.role), mb.age) for mb in household.members),
        resources=household.monthly_resources,
        effort_rate=round(100 * target.cost / household.monthly_resources, 1)
        if household.monthly_resources
        else 0.0,
        mobility=glossary.MOBILITY.get(household.mobility, household.mobility),
        priorities=tuple(glossary.PRIORITIES.get(p, p) for p in sorted(household.priority)),
        job_distance=job,
        from_ref=current.ref,
        dwelling_ref=target.ref,
        from_card=card(snap, current),
        to_card=card(snap, target),
        criteria_before=_criteria_labels(move.criteria_before),
        criteria_after=_criteria_labels(move.criteria_after),
        points=move.points,
        points_lines=tuple(points_lines(detail)),
        decision_due=move.decision_due,
        overdue=caleol_queue.is_overdue(move, day),
        can_decide=proposal.status == "deciding" and move.decision is None,
        decision=_decision_view(move.decision),
        replies=reply_record(session, move.household_id),
        chance=chance_label(proposal.chance),
        repairs=proposal.repairs_id,
        can_correct=proposal.status == "deciding" and move.decision is not None,
        corrections=tuple(
            DecisionCorrection(
                e.at,
                e.actor,
                glossary.DECISION_KINDS.get((e.before or {}).get("decision", ""), ""),
                str((e.after or {}).get("correction", "")),
            )
            for e in workflow.decision_corrections(session, move.id)
        ),
        parties=party_steps(session, proposal, today=day, landlord_id=account.landlord_id),
    )


def record_decision(
    session: Session,
    account: Any,
    move_id: int,
    *,
    kind: str,
    reason: str,
    rank: int | None = None,
    condition: str | None = None,
    condition_due: date | None = None,
) -> None:
    """Record the CALEOL decision on a move into the staff's landlord's dwelling.

    Writes: the decision, the move, the proposal and the audit trail (``workflow.decide_move``); the
    caller commits.
    """
    move = staff_move(session, account, move_id)
    workflow.decide_move(
        session,
        move,
        user_row(session, account),
        kind=kind,
        reason=reason,
        rank=rank,
        condition=condition,
        condition_due=condition_due,
    )
    territory_cache.invalidate(account.territory_code)


def correct_decision(
    session: Session,
    account: Any,
    move_id: int,
    *,
    correction: str,
    kind: str,
    reason: str,
    rank: int | None = None,
    condition: str | None = None,
    condition_due: date | None = None,
) -> None:
    """Correct the CALEOL decision on a move into the staff's landlord's dwelling, with why.

    Writes: the decision, the proposal and the audit trail (``workflow.correct_decision``); the
    caller commits.
    """
    move = staff_move(session, account, move_id)
    workflow.correct_decision(
        session,
        move,
        user_row(session, account),
        correction=correction,
        kind=kind,
        reason=reason,
        rank=rank,
        condition=condition,
        condition_due=condition_due,
    )
    territory_cache.invalidate(account.territory_code)


def session_minutes(session: Session, account: Any, start: date, end: date) -> Minutes:
    """Decisions of the staff's landlord's CALEOL from ``start`` to ``end`` (inclusive)."""
    rows = session.execute(
        select(CommitteeDecision, ProposalMove, m.Dwelling, m.Household.ref, m.Sector.commune)
        .join(ProposalMove, ProposalMove.id == CommitteeDecision.move_id)
        .join(m.Dwelling, m.Dwelling.id == ProposalMove.to_dwelling_id)
        .join(m.Sector, m.Sector.id == m.Dwelling.sector_id)
        .join(m.Household, m.Household.id == ProposalMove.household_id)
        .where(
            CommitteeDecision.landlord_id == account.landlord_id,
            CommitteeDecision.decided_on >= start,
            CommitteeDecision.decided_on <= end,
        )
        .order_by(CommitteeDecision.decided_on, CommitteeDecision.id)
    ).all()
    out = tuple(
        MinutesRow(
            d.decided_on,
            mv.id,
            href,
            dw.ref,
            f"T{dw.rooms}",
            commune,
            glossary.DECISION_KINDS.get(d.kind, d.kind),
            d.reason,
            d.condition_due,
        )
        for d, mv, dw, href, commune in rows
    )
    counts: dict[str, int] = {}
    for r in out:
        counts[r.kind_label] = counts.get(r.kind_label, 0) + 1
    landlord = session.scalar(select(m.Landlord.name).where(m.Landlord.id == account.landlord_id)) or ""
    return Minutes(landlord, start, end, out, tuple(sorted(counts.items())))

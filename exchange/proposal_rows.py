"""Solved proposals as rows (propositions enregistrées): the moves with their points in detail, the
answer deadline and the estimated chances; and which households and dwellings live proposals hold.

Shared by the nightly run (:mod:`exchange.runs`) and the repair after a failure (:mod:`exchange.repair`);
nothing here adds to the session or commits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import matching
from exchange import settings
from exchange.deadlines import answer_deadline
from exchange.errors import ExchangeError
from exchange.models import Dwelling, Household
from exchange.models.workflow import Proposal, ProposalMove
from matching import policy
from matching.config import PolicyConfig
from matching.expected import chain_value, cycle_value
from matching.territory import Territory as PlainTerritory
from matching.types import Instance

__all__ = ["RunContext", "live_refs", "proposal_rows"]


def live_refs(session: Session, territory_id: int) -> tuple[set[str], set[str]]:
    """Refs of the households and of the destination dwellings held by live proposals."""
    households = session.scalars(
        select(Household.ref)
        .join(ProposalMove, ProposalMove.household_id == Household.id)
        .join(Proposal, Proposal.id == ProposalMove.proposal_id)
        .where(Proposal.territory_id == territory_id, ProposalMove.live)
    ).all()
    dwellings = session.scalars(
        select(Dwelling.ref)
        .join(ProposalMove, ProposalMove.to_dwelling_id == Dwelling.id)
        .join(Proposal, Proposal.id == ProposalMove.proposal_id)
        .where(Proposal.territory_id == territory_id, ProposalMove.live)
    ).all()
    return set(households), set(dwellings)


@dataclass(frozen=True, slots=True)
class RunContext:
    """What a run solved: the plain territory, its instance and the policy (to detail the moves)."""

    plain: PlainTerritory
    instance: Instance
    config: PolicyConfig


def _move_details(ctx: RunContext, household_ref: str, dwelling_ref: str, points: int) -> dict[str, Any]:
    households = {h.ref: h for h in ctx.plain.households}
    dwellings = {d.ref: d for d in ctx.plain.dwellings}
    requests = {r.household: r for r in ctx.plain.requests}
    household = households[household_ref]
    current = dwellings[ctx.instance.households[household_ref]]
    target = dwellings[dwelling_ref]
    detail = policy.points(
        household,
        requests[household_ref],
        current,
        target,
        ctx.plain.as_of,
        ctx.config,
        first_quartile_eur=ctx.plain.first_quartile_eur,
    )
    if detail.total != points:
        raise ExchangeError(
            f"points incohérents pour {household_ref} → {dwelling_ref} : {detail.total} ≠ {points}"
        )
    return {
        "points_detail": {
            "base": detail.base,
            "criteria": dict(detail.criteria),
            "priorities": dict(detail.priorities),
            "seniority_months": detail.seniority_months,
            "seniority": detail.seniority,
            "mixity": detail.mixity,
            "total": detail.total,
        },
        "criteria_before": sorted(policy.active_criteria(household, current, ctx.config)),
        "criteria_after": sorted(policy.criteria_in(household, target, ctx.config)),
    }


def proposal_rows(
    session: Session,
    territory_id: int,
    ctx: RunContext,
    proposals: Sequence[matching.Proposal],
    *,
    notified_on: date,
    chances: Mapping[tuple[str, str], float],
) -> list[Proposal]:
    """New proposal rows (not added) for solved ``proposals``, best first, with their estimated chances."""
    refs_h = set(ctx.instance.households)
    refs_d = set(ctx.instance.households.values()) | set(ctx.instance.vacancies)
    household_ids = dict(
        session.execute(
            select(Household.ref, Household.id).where(
                Household.territory_id == territory_id, Household.ref.in_(refs_h)
            )
        ).all()
    )
    dwelling_ids = dict(
        session.execute(
            select(Dwelling.ref, Dwelling.id).where(
                Dwelling.territory_id == territory_id, Dwelling.ref.in_(refs_d)
            )
        ).all()
    )
    deadline = answer_deadline(
        notified_on,
        settings.answer_days(session, territory_id),
        calendar=settings.calendar(session, territory_id),
    )
    ordered = sorted(proposals, key=lambda p: (-p.points, p.moves[0].household if p.moves else ""))
    rows = []
    for solved in ordered:
        odds = [chances.get((m.household, m.dwelling), 1.0) for m in solved.moves]
        value_of = cycle_value if solved.kind == "cycle" else chain_value
        value = value_of([m.points for m in solved.moves], odds)
        proposal = Proposal(
            territory_id=territory_id,
            kind=solved.kind,
            points=solved.points,
            status="proposed",
            notified_on=notified_on,
            answer_deadline=deadline,
            chance=round(math.prod(odds), 3),
            expected_points=round(value, 1),
        )
        for position, (move, chance) in enumerate(zip(solved.moves, odds, strict=True)):
            proposal.moves.append(
                ProposalMove(
                    position=position,
                    household_id=household_ids[move.household],
                    from_dwelling_id=dwelling_ids[ctx.instance.households[move.household]],
                    to_dwelling_id=dwelling_ids[move.dwelling],
                    points=move.points,
                    live=True,
                    chance=chance,
                    **_move_details(ctx, move.household, move.dwelling, move.points),
                )
            )
        rows.append(proposal)
    return rows

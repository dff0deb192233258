"""The acceptance model on a territory: its history read from the database, its moves' chances.

:func:`territory_model` fits :mod:`exchange.acceptance` on every answered move of the territory's
past proposals (a silence counts as a refusal; a withdrawal too); :func:`move_chances` gives the
chance of candidate moves of a plain territory. A household's reply record is the number of its
past refusals and silences and the number of its past acceptances, counted before each past move for
the history, all of them for a run; and whether it accepted the very same move before (a proposal
that failed at another household or committee, offered again by a repair or a later run).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from exchange.acceptance import AcceptanceModel, Outcome, fit_model, move_features
from exchange.models import Dwelling, Household
from exchange.models.workflow import CommitteeDecision, Proposal, ProposalMove
from matching import policy
from matching.config import PolicyConfig
from matching.territory import Dwelling as PlainDwelling
from matching.territory import Territory as PlainTerritory

__all__ = [
    "acceptance_counts",
    "accepted_pairs",
    "features_of",
    "move_chances",
    "refusal_counts",
    "territory_history",
    "territory_model",
]

_DECISION_KINDS_ATTRIBUTED = {"attribution"}


def _attributed(kind: str, rank: int | None, condition_status: str | None) -> bool | None:
    """A decision as attributed, refused, or None while a condition is pending."""
    if kind in _DECISION_KINDS_ATTRIBUTED:
        return True
    if kind == "ranked":
        return rank == 1
    if kind == "conditional":
        return {"met": True, "failed": False}.get(condition_status or "pending")
    return False


def territory_history(session: Session, territory_id: int, plain: PlainTerritory) -> list[Outcome]:
    """Every answered move of the territory's proposals, oldest first, as model outcomes."""
    source, target = aliased(Dwelling), aliased(Dwelling)
    rows = session.execute(
        select(
            Household.ref,
            source.ref,
            target.ref,
            ProposalMove.answer,
            ProposalMove.criteria_before,
            ProposalMove.criteria_after,
            CommitteeDecision.kind,
            CommitteeDecision.rank,
            CommitteeDecision.condition_status,
        )
        .join(Proposal, Proposal.id == ProposalMove.proposal_id)
        .join(Household, Household.id == ProposalMove.household_id)
        .join(source, source.id == ProposalMove.from_dwelling_id)
        .join(target, target.id == ProposalMove.to_dwelling_id)
        .outerjoin(CommitteeDecision, CommitteeDecision.move_id == ProposalMove.id)
        .where(Proposal.territory_id == territory_id, ProposalMove.answer.is_not(None))
        .order_by(Proposal.id, ProposalMove.position)
    ).all()
    dwellings = {d.ref: d for d in plain.dwellings}
    refusals: Counter[str] = Counter()
    acceptances: Counter[str] = Counter()
    accepted: set[tuple[str, str]] = set()
    history = []
    for household, start, end, answer, before, after, kind, rank, condition in rows:
        if start in dwellings and end in dwellings:
            solved = len(set(before or ()) - set(after or ()))
            features = _features(
                dwellings[start],
                dwellings[end],
                refusals[household],
                solved,
                acceptances[household],
                (household, end) in accepted,
            )
            attributed = None if kind is None else _attributed(kind, rank, condition)
            history.append(Outcome(features, answer == "accepted", attributed))
        if answer != "accepted":
            refusals[household] += 1
        else:
            acceptances[household] += 1
            accepted.add((household, end))
    return history


def refusal_counts(session: Session, territory_id: int) -> dict[str, int]:
    """Each household's refusals, withdrawals and silences in the territory's past proposals."""
    rows = session.execute(
        select(Household.ref)
        .join(ProposalMove, ProposalMove.household_id == Household.id)
        .join(Proposal, Proposal.id == ProposalMove.proposal_id)
        .where(Proposal.territory_id == territory_id, ProposalMove.answer == "refused")
    ).scalars()
    return dict(Counter(rows))


def acceptance_counts(session: Session, territory_id: int) -> dict[str, int]:
    """Each household's acceptances in the territory's past proposals."""
    rows = session.execute(
        select(Household.ref)
        .join(ProposalMove, ProposalMove.household_id == Household.id)
        .join(Proposal, Proposal.id == ProposalMove.proposal_id)
        .where(Proposal.territory_id == territory_id, ProposalMove.answer == "accepted")
    ).scalars()
    return dict(Counter(rows))


def accepted_pairs(session: Session, territory_id: int) -> set[tuple[str, str]]:
    """The moves ``(household ref, dwelling ref)`` already accepted in the territory's past proposals."""
    target = aliased(Dwelling)
    rows = session.execute(
        select(Household.ref, target.ref)
        .join(ProposalMove, ProposalMove.household_id == Household.id)
        .join(target, target.id == ProposalMove.to_dwelling_id)
        .join(Proposal, Proposal.id == ProposalMove.proposal_id)
        .where(Proposal.territory_id == territory_id, ProposalMove.answer == "accepted")
    ).all()
    return {(household, dwelling) for household, dwelling in rows}


def territory_model(session: Session, territory_id: int, plain: PlainTerritory) -> AcceptanceModel:
    """The acceptance model refitted on the territory's history."""
    return fit_model(territory_history(session, territory_id, plain))


def _features(
    start: PlainDwelling,
    end: PlainDwelling,
    refusals: int,
    solved: int,
    acceptances: int = 0,
    accepted_this: bool = False,
) -> tuple[float, ...]:
    return move_features(
        refusals_before=refusals,
        acceptances_before=acceptances,
        accepted_this_before=accepted_this,
        criteria_solved=solved,
        commune_from=start.commune,
        commune_to=end.commune,
        qpv_from=start.qpv,
        qpv_to=end.qpv,
        cost_from=start.cost,
        cost_to=end.cost,
        surface_from=start.surface_m2,
        surface_to=end.surface_m2,
        floor_to=end.floor,
        elevator_to=end.elevator,
        landlord_from=start.landlord,
        landlord_to=end.landlord,
    )


def features_of(
    plain: PlainTerritory,
    config: PolicyConfig,
    refusals: Mapping[str, int],
    pairs: Iterable[tuple[str, str]],
    acceptances: Mapping[str, int] | None = None,
    accepted_before: Collection[tuple[str, str]] = (),
) -> dict[tuple[str, str], tuple[float, ...]]:
    """The features of the moves ``(household ref, dwelling ref)`` of a plain territory, with each
    household's past refusals (and silences) and past acceptances, and the moves already accepted."""
    accepted = acceptances or {}
    seen = set(accepted_before)
    dwellings = {d.ref: d for d in plain.dwellings}
    households = {h.ref: h for h in plain.households}
    found = {}
    for household_ref, dwelling_ref in pairs:
        household = households[household_ref]
        if household.dwelling is None:
            continue
        current, target = dwellings[household.dwelling], dwellings[dwelling_ref]
        active = policy.active_criteria(household, current, config)
        solved = len(active - policy.criteria_in(household, target, config))
        found[(household_ref, dwelling_ref)] = _features(
            current,
            target,
            refusals.get(household_ref, 0),
            solved,
            accepted.get(household_ref, 0),
            (household_ref, dwelling_ref) in seen,
        )
    return found


def move_chances(
    session: Session,
    territory_id: int,
    plain: PlainTerritory,
    config: PolicyConfig,
    pairs: Iterable[tuple[str, str]],
    model: AcceptanceModel | None = None,
) -> dict[tuple[str, str], float]:
    """The estimated chance of each move ``(household ref, dwelling ref)`` (refitting unless ``model``)."""
    model = model or territory_model(session, territory_id, plain)
    features = features_of(
        plain,
        config,
        refusal_counts(session, territory_id),
        pairs,
        acceptance_counts(session, territory_id),
        accepted_pairs(session, territory_id),
    )
    return model.chances(features)

"""Repair after a refusal: offer at once what still stands of a failed proposal.

When a household refuses, withdraws or lets its deadline pass, or a CALEOL refuses a move, the
other households of the proposal are released. Rather than wait for the next run, the workflow
solves a small exchange on what the failure released (:func:`repair_scope`): the released
households (those whose own move did not fail), their dwellings and the chain's vacancy; its wide
form (the benchmark's) adds the free vacancies they could take and the waiting households one move
away from them. Its optimum is what still stands: the chain's prefix before the break, a 2-cycle
embedded in a failed 3-cycle, or another small structure among them. Exclusions hold as in a run
(the refused pair was just excluded), so an excluded pair is never proposed again. Each repair is
a new proposal with its own answer deadline, in the failed proposal's run, linked to it by
``repairs_id``.

The repair runs in a savepoint of the failure's transaction: if anything in it goes wrong, the
savepoint is rolled back and the failure stands alone (no half repair); the territory's ``repair``
setting turns it off.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

import matching
from exchange import notifications
from exchange.chances import move_chances
from exchange.loading import load_territory
from exchange.models import Dwelling, Household, Territory, UserAccount
from exchange.models.workflow import AuditEvent, Proposal
from exchange.proposal_rows import RunContext, live_refs, proposal_rows
from exchange.settings import policy_config, priority_floors, run_settings
from matching.config import PolicyConfig
from matching.graph import build_instance
from matching.territory import Territory as PlainTerritory
from matching.types import SolveParams

__all__ = ["REPAIR_SECONDS", "repair_failed", "repair_scope"]

REPAIR_SECONDS = 5.0
"""Time limit of a repair's solve: a handful of households, settled in milliseconds."""

_log = logging.getLogger(__name__)


def _broken(proposal: Proposal) -> set[int]:
    """Households whose own move failed: refused, withdrew, fell silent, or were not attributed."""
    return {
        m.household_id
        for m in proposal.moves
        if m.answer == "refused" or (m.decision is not None and m.decision.attributes is False)
    }


def repair_scope(
    plain: PlainTerritory,
    config: PolicyConfig,
    *,
    released: set[str],
    vacancies: set[str],
    waiting: set[str],
    busy_dwellings: set[str],
    wide: bool = False,
) -> PlainTerritory | None:
    """The small territory a repair solves, or None when nothing was released.

    ``released``: the failed proposal's households whose own move did not fail; ``vacancies``: its
    chain's vacancy; ``waiting``: the households with an open request in no live proposal;
    ``busy_dwellings``: the dwellings live proposals hold. Requests of ``plain`` outside these are
    dropped, and its exclusions hold. Unless ``wide``, only the released households and the vacancy
    take part (what the workflow does: the refusals benchmark found no gain in the wide scope).
    """
    if not released:
        return None
    free = tuple(o for o in plain.offers if o not in busy_dwellings)
    vacancies = vacancies & set(free)
    if not wide:
        return replace(
            plain,
            requests=tuple(r for r in plain.requests if r.household in released),
            offers=tuple(o for o in free if o in vacancies),
        )
    candidates = released | (waiting - released)
    everyone = replace(
        plain, requests=tuple(r for r in plain.requests if r.household in candidates), offers=free
    )
    home = {h.ref: h.dwelling for h in plain.households}
    released_homes = {home[h] for h in released} | vacancies
    moves = build_instance(everyone, config).moves
    wanted = {m.dwelling for m in moves if m.household in released}
    near = {m.household for m in moves if m.dwelling in released_homes} | {
        h for h in candidates if home[h] in wanted
    }
    keep = released | near
    return replace(
        everyone,
        requests=tuple(r for r in everyone.requests if r.household in keep),
        offers=tuple(o for o in free if o in wanted or o in vacancies),
    )


def repair_failed(
    session: Session, failed: Proposal, actor: UserAccount | None, at: datetime
) -> list[Proposal]:
    """Offer what still stands of ``failed`` as new proposals (in a savepoint); returns them.

    Nothing is offered when the territory turned repair off, when no household was released, or
    when what was released admits no allowed structure. An error inside the repair is logged and
    rolled back to the savepoint: the failure itself stays recorded.
    """
    territory = session.get(Territory, failed.territory_id)
    assert territory is not None
    if not run_settings(session, territory.code).repair:
        return []
    try:
        with session.begin_nested():
            return _repair(session, territory, failed, actor, at)
    except Exception:  # the failure must stand even when its repair cannot be made
        _log.exception("repair of proposal %s failed; the failure stands alone", failed.id)
        return []


def _repair(
    session: Session, territory: Territory, failed: Proposal, actor: UserAccount | None, at: datetime
) -> list[Proposal]:
    broken = _broken(failed)
    released_ids = [m.household_id for m in failed.moves if m.household_id not in broken]
    if not released_ids:
        return []
    session.flush()  # the exclusions of the failure are read by the loading below
    busy_households, busy_dwellings = live_refs(session, territory.id)
    released = (
        set(session.scalars(select(Household.ref).where(Household.id.in_(released_ids)))) - busy_households
    )
    vacancies: set[str] = set()
    if failed.kind == "chain":
        vacancy = session.get(Dwelling, failed.moves[0].to_dwelling_id)
        if vacancy is not None and vacancy.ref not in busy_dwellings:
            vacancies.add(vacancy.ref)
    plain = load_territory(session, territory.code, as_of=at.date())
    config = policy_config(session, territory.code)
    waiting = {r.household for r in plain.requests} - busy_households
    scope = repair_scope(
        plain,
        config,
        released=released & waiting,
        vacancies=vacancies,
        waiting=waiting,
        busy_dwellings=busy_dwellings,
    )
    if scope is None:
        return []
    plain = scope
    instance = build_instance(plain, config)
    if not instance.moves:
        return []
    choice = run_settings(session, territory.code)
    pairs = [(m.household, m.dwelling) for m in instance.moves]
    chances = move_chances(session, territory.id, plain, config, pairs)
    params = SolveParams(
        max_cycle=config.max_cycle,
        max_chain=config.max_chain,
        time_limit_s=REPAIR_SECONDS,
        workers=1,
        objective="expected" if choice.objective == "expected" else "points",
    )
    floors = priority_floors(plain.households, choice.priority_floor_pct)
    solution = matching.solve(replace(instance, chances=chances, floors=floors), params)
    rows = proposal_rows(
        session,
        territory.id,
        RunContext(plain, instance, config),
        solution.proposals,
        notified_on=at.date(),
        chances=chances,
    )
    for row in rows:
        row.run_id = failed.run_id
        row.repairs_id = failed.id
        session.add(row)
    session.flush()
    for row in rows:
        session.add(
            AuditEvent.by(
                actor,
                territory_id=territory.id,
                at=at,
                action="proposal.repaired",
                entity="proposal",
                entity_id=row.id,
                after={
                    "status": "proposed",
                    "repairs": failed.id,
                    "answer_deadline": row.answer_deadline.isoformat(),
                    "households": [m.household_id for m in row.moves],
                },
            )
        )
        notifications.proposal_repaired(session, row, now=at)
    session.flush()
    return rows

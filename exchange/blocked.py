"""Blocked requests (demandes bloquées): open requests left without a proposal run after run, and why.

A request is blocked when no proposal has reached its household for ``blocked_after_runs`` runs in
a row (counted from the later of its filing and its last proposal) or when it has waited
``blocked_after_days`` days (both in :mod:`exchange.settings`). Households in a live proposal are
never blocked. Each blocked request carries the diagnosis of :func:`matching.diagnosis.diagnose`,
computed on the graph a run would build today. Reads only; the caller owns the session.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exchange import records, settings
from exchange.loading import load_territory
from exchange.models import Dwelling, Household, Landlord, Request
from exchange.models.workflow import Proposal, ProposalMove, Run
from exchange.proposal_rows import live_refs
from matching.diagnosis import MOTIVES, Diagnosis, diagnose
from matching.territory import Territory as PlainTerritory

__all__ = ["BlockedReport", "BlockedRequest", "blocked_requests", "run_territory_view"]


@dataclass(frozen=True, slots=True)
class BlockedRequest:
    """One blocked request: whose, since when, how many runs passed it by, and the diagnosis."""

    household: str
    landlord: str  # code of the landlord of its current dwelling
    filed_on: date
    waited_days: int
    runs_without_proposal: int
    diagnosis: Diagnosis


@dataclass(frozen=True, slots=True)
class BlockedReport:
    """The blocked requests of a territory (or of one landlord's tenants), with counts by motive."""

    territory: str
    as_of: date
    after_runs: int
    after_days: int
    requests: tuple[BlockedRequest, ...]

    @property
    def by_motive(self) -> tuple[tuple[str, int], ...]:
        """How many blocked requests have each motive, in :data:`matching.diagnosis.MOTIVES` order."""
        counts = Counter(r.diagnosis.motive for r in self.requests)
        return tuple((m, counts[m]) for m in MOTIVES if counts[m])


def run_territory_view(session: Session, code: str, as_of: date) -> PlainTerritory:
    """The territory as a run reads it on ``as_of``: households and dwellings in a live proposal left out."""
    plain = load_territory(session, code, as_of=as_of)
    busy_households, busy_dwellings = live_refs(session, records.territory(session, code).id)
    return replace(
        plain,
        requests=tuple(r for r in plain.requests if r.household not in busy_households),
        offers=tuple(o for o in plain.offers if o not in busy_dwellings),
    )


def _waiting(
    session: Session, territory_id: int, landlord_id: int | None
) -> list[tuple[str, str, date, date | None]]:
    """(household ref, landlord code, filed on, day of its last proposal) of each open request."""
    last = (
        select(ProposalMove.household_id, func.max(Proposal.notified_on).label("last"))
        .join(Proposal, Proposal.id == ProposalMove.proposal_id)
        .where(Proposal.territory_id == territory_id)
        .group_by(ProposalMove.household_id)
        .subquery()
    )
    query = (
        select(Household.ref, Landlord.code, Request.filed_on, last.c.last)
        .join(Household, Household.id == Request.household_id)
        .join(Dwelling, Dwelling.id == Household.dwelling_id)
        .join(Landlord, Landlord.id == Dwelling.landlord_id)
        .outerjoin(last, last.c.household_id == Household.id)
        .where(Request.territory_id == territory_id, Request.status == "open")
        .order_by(Household.ref)
    )
    if landlord_id is not None:
        query = query.where(Dwelling.landlord_id == landlord_id)
    return [(ref, landlord, filed, last) for ref, landlord, filed, last in session.execute(query).all()]


def blocked_requests(
    session: Session, code: str, *, as_of: date | None = None, landlord_id: int | None = None
) -> BlockedReport:
    """The territory's blocked requests on ``as_of`` (today by default), diagnosed.

    ``landlord_id`` keeps only that landlord's tenants. Raises :class:`~exchange.errors.NotFound`.
    """
    territory = records.territory(session, code)
    day = as_of or date.today()
    after_runs, after_days = settings.blocked_thresholds(session, territory.id)
    run_days = sorted(session.scalars(select(Run.as_of).where(Run.territory_id == territory.id)).all())
    plain = run_territory_view(session, code, day)
    free = {r.household for r in plain.requests}
    found: list[tuple[str, str, date, int]] = []
    for ref, landlord, filed_on, last in _waiting(session, territory.id, landlord_id):
        if ref not in free:
            continue
        # Runs since the filing; after a proposal, the runs after the one that made it.
        runs = sum(1 for d in run_days if d >= filed_on and (last is None or d > last))
        if runs >= after_runs or (day - filed_on).days >= after_days:
            found.append((ref, landlord, filed_on, runs))
    diagnoses = diagnose(plain, [ref for ref, *_ in found], settings.policy_config(session, code))
    return BlockedReport(
        territory=code,
        as_of=day,
        after_runs=after_runs,
        after_days=after_days,
        requests=tuple(
            BlockedRequest(ref, landlord, filed_on, (day - filed_on).days, runs, diagnoses[ref])
            for ref, landlord, filed_on, runs in found
            if ref in diagnoses
        ),
    )

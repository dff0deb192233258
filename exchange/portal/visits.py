"""The tenant's visits of a proposal (visites): ask, answer, date, outcome; contacts once both accept.

Each household sees the others as letters (« ménage A »), as on the proposal page, until a visit between
them is accepted by both: then, and only then, it sees the other's contact details (DOMAIN.md §5). The
services that write say so; none commits, the caller does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from exchange import glossary, visits, wording
from exchange.cache import territory_cache
from exchange.errors import NotFound
from exchange.models.visit import Visit
from exchange.models.workflow import Proposal
from exchange.portal.access import household_proposal, user_row
from exchange.portal.views import TrackerStep
from exchange.visits import Contact

__all__ = [
    "TenantVisits",
    "VisitView",
    "answer_visit",
    "ask_visit",
    "report_visit",
    "tenant_visits",
    "visits_step",
]


@dataclass(frozen=True, slots=True)
class VisitView:
    """One visit as a household of it sees it; ``role``: visitor (the dwelling offered to it) or host."""

    id: int
    role: str
    other: str  # « ménage A »: the other household, anonymous
    status: str
    status_label: str
    asked_at: datetime
    can_answer: bool  # the host has not answered yet
    can_report: bool  # accepted by both: the date and the outcome may be noted
    contact: Contact | None  # the other's contact details: only once both accepted
    visit_on: date | None
    outcome: str | None
    outcome_label: str | None


@dataclass(frozen=True, slots=True)
class TenantVisits:
    """The visits of a proposal that involve the household, and whether it may ask for one."""

    proposal_id: int
    can_ask: bool
    ask_note: str  # why it may not ask, in French, or ""
    visits: tuple[VisitView, ...]


def _letters(proposal: Proposal, household_id: int) -> dict[int, str]:
    letters = iter("ABCDEFGHIJ")
    return {mv.household_id: next(letters) for mv in proposal.moves if mv.household_id != household_id}


def _ask_note(session: Session, proposal: Proposal, household_id: int) -> str:
    mine = next(mv for mv in proposal.moves if mv.household_id == household_id)
    if proposal.status not in visits.OPEN_STATUSES:
        return "la proposition est close"
    if mine.answer == "refused":
        return "vous avez refusé ce logement"
    if visits.host_move(proposal, mine) is None:
        return "ce logement est vacant : sa visite s'organise avec son bailleur"
    if any(v.move_id == mine.id for v in visits.visits_of_proposal(session, proposal.id)):
        return "la visite est déjà demandée"
    return ""


def _view(
    session: Session, visit: Visit, household_id: int, letters: dict[int, str], live: bool
) -> VisitView:
    is_visitor = visit.visitor_id == household_id
    other = visit.host_id if is_visitor else visit.visitor_id
    return VisitView(
        id=visit.id,
        role="visitor" if is_visitor else "host",
        other=f"ménage {letters.get(other, '?')}",
        status=visit.status,
        status_label=glossary.VISIT_STATUSES[visit.status],
        asked_at=visit.asked_at,
        can_answer=live and not is_visitor and visit.status == "asked",
        can_report=visit.status == "accepted",
        contact=visits.contact_of(session, visit, other) if live or visit.outcome else None,
        visit_on=visit.visit_on,
        outcome=visit.outcome,
        outcome_label=glossary.VISIT_OUTCOMES.get(visit.outcome or ""),
    )


def tenant_visits(session: Session, account: Any, proposal_id: int) -> TenantVisits:
    """The household's visits in one of its proposals; :class:`NotFound` if it is not in it."""
    proposal, _mine = household_proposal(session, account, proposal_id)
    letters = _letters(proposal, account.household_id)
    live = proposal.status in visits.OPEN_STATUSES
    rows = [
        v
        for v in visits.visits_of_proposal(session, proposal.id)
        if account.household_id in (v.visitor_id, v.host_id)
    ]
    note = _ask_note(session, proposal, account.household_id)
    return TenantVisits(
        proposal.id,
        can_ask=note == "",
        ask_note=note,
        visits=tuple(_view(session, v, account.household_id, letters, live) for v in rows),
    )


def _my_visit(session: Session, account: Any, proposal_id: int, visit_id: int) -> Visit:
    household_proposal(session, account, proposal_id)
    visit = session.get(Visit, visit_id)
    if (
        visit is None
        or visit.proposal_id != proposal_id
        or account.household_id not in (visit.visitor_id, visit.host_id)
    ):
        raise NotFound(f"visite inconnue : {visit_id}")  # another's visit: as if it did not exist
    return visit


def ask_visit(session: Session, account: Any, proposal_id: int, *, phone: str | None) -> None:
    """Ask to visit the dwelling offered to the household (its occupant is told).

    Writes: the visit, the audit trail and the occupant's notification; the caller commits.
    """
    _proposal, mine = household_proposal(session, account, proposal_id)
    visits.ask_visit(session, mine, user_row(session, account), phone=phone)
    territory_cache.invalidate(account.territory_code)


def answer_visit(
    session: Session, account: Any, proposal_id: int, visit_id: int, *, accept: bool, phone: str | None
) -> None:
    """Accept or decline the visit of the household's dwelling.

    Writes: the visit, the audit trail and the visitor's notification; the caller commits.
    """
    visit = _my_visit(session, account, proposal_id, visit_id)
    visits.answer_visit(session, visit, user_row(session, account), accept=accept, phone=phone)
    territory_cache.invalidate(account.territory_code)


def report_visit(
    session: Session, account: Any, proposal_id: int, visit_id: int, *, visit_on: date, outcome: str | None
) -> None:
    """Note the date of an accepted visit and, once past, its outcome.

    Writes: the visit and the audit trail; the caller commits.
    """
    visit = _my_visit(session, account, proposal_id, visit_id)
    visits.report_visit(session, visit, user_row(session, account), visit_on=visit_on, outcome=outcome)
    territory_cache.invalidate(account.territory_code)


def visits_step(rows: Sequence[Visit], proposal: Proposal) -> TrackerStep | None:
    """The tracker's « Visites » step, anonymised: how many asked, accepted, declined, done; None if none."""
    if not rows:
        return None
    by_status = {s: sum(1 for v in rows if v.status == s) for s in ("asked", "accepted", "declined")}
    parts = [wording.count(len(rows), "visite demandée", "visites demandées")]
    if by_status["asked"]:
        parts.append(wording.count(by_status["asked"], "attend", "attendent") + " la réponse de l'occupant")
    if by_status["accepted"]:
        parts.append(wording.count(by_status["accepted"], "acceptée", "acceptées"))
    if by_status["declined"]:
        parts.append(wording.count(by_status["declined"], "refusée", "refusées"))
    done = sum(1 for v in rows if v.outcome == "done")
    if done:
        parts.append(wording.count(done, "effectuée", "effectuées"))
    waiting = by_status["asked"] and proposal.status in visits.OPEN_STATUSES
    return TrackerStep("Visites", "current" if waiting else "done", " ; ".join(parts))

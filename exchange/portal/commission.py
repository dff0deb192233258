"""The inter-landlord commission's services: blocked requests, candidate proposals, a proposal by hand,
the territory's calendar and blocked thresholds.

The territory (``admin``) sees every blocked request and proposes; a landlord's staff see their own
tenants' blocked requests only. :func:`propose` and :func:`save_calendar` write (they say so); none
commits, the caller does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from exchange import blocked, commission, deadlines, glossary, settings
from exchange.cache import territory_cache
from exchange.portal.access import user_row

__all__ = [
    "BlockedPage",
    "BlockedView",
    "CalendarView",
    "CandidateView",
    "Count",
    "WideningView",
    "blocked_page",
    "calendar_view",
    "commission_candidates",
    "propose",
    "save_calendar",
]


@dataclass(frozen=True, slots=True)
class Count:
    """A code, its French label and a count (a motive, a rule)."""

    code: str
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class WideningView:
    """What widening one wish would open."""

    wish: str
    label: str
    dwellings: int
    structures: int


@dataclass(frozen=True, slots=True)
class BlockedView:
    """One blocked request and its diagnosis, as staff read it."""

    household: str
    landlord: str
    filed_on: date
    waited_days: int
    runs_without_proposal: int
    motive: str
    motive_label: str
    fitting: int
    takers: int
    structures: int
    shortest_cycle: int | None
    shortest_chain: int | None
    ruled_out: tuple[Count, ...]
    widenings: tuple[WideningView, ...]


@dataclass(frozen=True, slots=True)
class BlockedPage:
    """The blocked requests an account may see, with the count by motive (for the bilan)."""

    as_of: date
    after_runs: int
    after_days: int
    by_motive: tuple[Count, ...]
    requests: tuple[BlockedView, ...]


@dataclass(frozen=True, slots=True)
class CandidateView:
    """A cycle or chain the commission may propose: ``moves`` as the form reads them (« H1 D2, H2 D1 »)."""

    kind: str
    kind_label: str
    points: int
    moves: str


@dataclass(frozen=True, slots=True)
class CalendarView:
    """The territory's calendar, this year's public holidays and the blocked thresholds."""

    calendar: str
    label: str
    choices: tuple[tuple[str, str], ...]
    holidays: tuple[tuple[date, str], ...]
    blocked_after_runs: int
    blocked_after_days: int


def _view(item: blocked.BlockedRequest) -> BlockedView:
    d = item.diagnosis
    return BlockedView(
        household=item.household,
        landlord=item.landlord,
        filed_on=item.filed_on,
        waited_days=item.waited_days,
        runs_without_proposal=item.runs_without_proposal,
        motive=d.motive,
        motive_label=glossary.BLOCKED_MOTIVES[d.motive],
        fitting=d.fitting,
        takers=d.takers,
        structures=d.structures,
        shortest_cycle=d.shortest_cycle,
        shortest_chain=d.shortest_chain,
        ruled_out=tuple(Count(r, glossary.RULES[r], n) for r, n in d.ruled_out),
        widenings=tuple(
            WideningView(w.wish, glossary.WISHES[w.wish], w.dwellings, w.structures) for w in d.widenings
        ),
    )


def blocked_page(session: Session, account: Any, *, as_of: date | None = None) -> BlockedPage:
    """The blocked requests of the territory (``admin``) or of the landlord's own tenants (``staff``)."""
    landlord_id = account.landlord_id if account.role == "staff" else None
    report = blocked.blocked_requests(session, account.territory_code, as_of=as_of, landlord_id=landlord_id)
    return BlockedPage(
        as_of=report.as_of,
        after_runs=report.after_runs,
        after_days=report.after_days,
        by_motive=tuple(Count(m, glossary.BLOCKED_MOTIVES[m], n) for m, n in report.by_motive),
        requests=tuple(_view(item) for item in report.requests),
    )


def commission_candidates(
    session: Session, account: Any, *, as_of: date | None = None
) -> list[CandidateView]:
    """Cycles and chains within the caps through the territory's blocked households, best first."""
    return [
        CandidateView(c.kind, glossary.PROPOSAL_KINDS[c.kind], c.points, c.text)
        for c in commission.candidates(session, account.territory_code, as_of=as_of)
    ]


def propose(session: Session, account: Any, moves: str, reason: str) -> int:
    """The commission's proposal from « MÉNAGE LOGEMENT » pairs; its id.

    Writes: the proposal, its moves and an audit event; the caller commits. Raises
    :class:`~exchange.errors.InvalidArgument` with every broken rule, in French.
    """
    proposal = commission.propose(
        session,
        account.territory_code,
        commission.parse_moves(moves),
        reason=reason,
        actor=user_row(session, account),
    )
    territory_cache.invalidate(account.territory_code)
    return proposal.id


def calendar_view(session: Session, account: Any, *, year: int | None = None) -> CalendarView:
    """The territory's calendar with its public holidays of ``year`` (this year by default)."""
    delays = settings.get_delays(session, account.territory_code)
    return CalendarView(
        calendar=delays.calendar,
        label=glossary.CALENDARS[delays.calendar],
        choices=tuple(glossary.CALENDARS.items()),
        holidays=deadlines.holiday_names(year or date.today().year, delays.calendar),
        blocked_after_runs=delays.blocked_after_runs,
        blocked_after_days=delays.blocked_after_days,
    )


def save_calendar(
    session: Session, account: Any, *, calendar: str, blocked_after_runs: int, blocked_after_days: int
) -> None:
    """Store the territory's calendar and blocked thresholds (audited).

    Writes: the territory's settings; the caller commits. Raises :class:`~exchange.errors.InvalidArgument`.
    """
    settings.set_delays(
        session,
        account.territory_code,
        calendar=calendar,
        blocked_after_runs=blocked_after_runs,
        blocked_after_days=blocked_after_days,
        actor=user_row(session, account),
    )
    territory_cache.invalidate(account.territory_code)

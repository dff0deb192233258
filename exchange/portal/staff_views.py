"""What the portal shows the CALEOL staff and the territory (vues des bailleurs et du territoire), frozen.

The destination CALEOL may see the household of a move into its landlord's dwelling (DOMAIN.md §5):
these views carry refs and compositions, the tenant's (:mod:`.views`) never do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from exchange import glossary
from exchange.portal.views import DwellingCard, ProposalDetail, ReplyRecord, TrackerStep


@dataclass(frozen=True, slots=True)
class QueueItem:
    """A move waiting for the staff's CALEOL."""

    move_id: int
    proposal_id: int
    household_ref: str
    household_size: int
    dwelling_ref: str
    to_card: DwellingCard
    points: int
    decision_due: date | None
    overdue: bool


@dataclass(frozen=True, slots=True)
class DecisionView:
    """A recorded decision."""

    kind: str
    kind_label: str
    reason: str
    decided_on: date
    rank: int | None
    condition: str | None
    condition_due: date | None
    condition_status: str | None


@dataclass(frozen=True, slots=True)
class DecisionCorrection:
    """A CALEOL decision corrected: when, by whom, the decision replaced and why."""

    at: datetime
    by: str
    replaced: str  # the replaced decision's French label
    why: str


@dataclass(frozen=True, slots=True)
class Dossier:
    """Everything the destination CALEOL needs on one move (DOMAIN.md §5: it may see the household)."""

    move_id: int
    proposal_id: int
    kind_label: str
    size: int
    status: str
    status_label: str
    household_ref: str
    members: tuple[tuple[str, int], ...]
    resources: float
    effort_rate: float
    mobility: str
    priorities: tuple[str, ...]
    job_distance: str
    from_ref: str
    dwelling_ref: str
    from_card: DwellingCard
    to_card: DwellingCard
    criteria_before: tuple[str, ...]
    criteria_after: tuple[str, ...]
    points: int
    points_lines: tuple[str, ...]
    decision_due: date | None
    overdue: bool
    can_decide: bool
    decision: DecisionView | None
    replies: ReplyRecord = ReplyRecord(0, 0)
    chance: str = "—"  # the proposal's estimated chance that every move completes ("54 %")
    repairs: int | None = None  # the failed proposal this one repairs
    can_correct: bool = False  # a decision taken while the proposal still waits for others
    corrections: tuple[DecisionCorrection, ...] = ()
    parties: tuple[TrackerStep, ...] = ()  # every party's step of the proposal (portal/tracker.py)


@dataclass(frozen=True, slots=True)
class MinutesRow:
    """One decision in the minutes."""

    decided_on: date
    move_id: int
    household_ref: str
    dwelling_ref: str
    typology: str
    commune: str
    kind_label: str
    reason: str
    condition_due: date | None


@dataclass(frozen=True, slots=True)
class Minutes:
    """The minutes (procès-verbal) of a CALEOL session: its decisions between two dates."""

    landlord: str
    start: date
    end: date
    rows: tuple[MinutesRow, ...]
    summary: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class MoveFollowup:
    """What the destination CALEOL may still do on a decided move."""

    condition_pending: bool
    condition: str | None
    condition_due: date | None
    can_lift: bool
    proposal_status: str
    move_date: date | None
    can_set_date: bool


@dataclass(frozen=True, slots=True)
class PlannedMove:
    """A confirmed proposal waiting for its move date."""

    proposal_id: int
    kind_label: str
    size: int
    confirmed_on: date | None
    move_date: date | None
    landlords: tuple[str, ...]
    can_complete: bool
    my_moves: tuple[int, ...] = ()  # staff: the moves into their landlord's dwellings (their dossiers)


@dataclass(frozen=True, slots=True)
class PausedRequest:
    """A paused request of one of the landlord's tenants, as its staff sees it."""

    request_id: int
    household_ref: str
    filed_on: date
    why: str | None
    why_label: str
    silences: int
    paused_at: datetime | None  # from the audit trail; None for a request imported paused


@dataclass(frozen=True, slots=True)
class AwaitedAnswer:
    """A household that has not yet answered a live proposal: its landlord may remind it (by phone)."""

    landlord: str
    household_ref: str
    proposal_id: int
    deadline: date
    days_left: int
    reply_label: str  # its record so far (« 1 réponse dans le délai sur 2 propositions »), or ""
    household_id: int  # its landlord's staff records there the answer it gives by phone or at the desk


@dataclass(frozen=True, slots=True)
class TerritoryInfo:
    """Key figures of a territory."""

    code: str
    name: str
    landlords: int
    dwellings: int
    households: int
    open_requests: int
    offers: int
    live_proposals: int
    last_run_id: int | None
    last_run_at: datetime | None


@dataclass(frozen=True, slots=True)
class RunRow:
    """One run in the list."""

    id: int
    as_of: date
    status: str
    proposal_count: int
    move_count: int
    objective: str  # in points (expected points for the objective ``expected``), French decimals

    @property
    def status_label(self) -> str:
        """The solver status in French."""
        return glossary.RUN_STATUSES.get(self.status, self.status)


@dataclass(frozen=True, slots=True)
class ProposalRow:
    """One proposal of a run report."""

    id: int
    kind_label: str
    size: int
    points: int
    status_label: str
    chance: str = "—"  # estimated chance that every move completes, in French ("54 %")
    repairs: int | None = None  # the failed proposal this one repairs


@dataclass(frozen=True, slots=True)
class RunReport:
    """A run's report: facts in French and its proposals."""

    id: int
    facts: tuple[tuple[str, str], ...]
    proposals: tuple[ProposalRow, ...]
    notes: tuple[tuple[str, str], ...] = ()  # (fact's label, what it means in plain French)


@dataclass(frozen=True, slots=True)
class StatsSection:
    """One table (and maybe a chart) of the statistics page."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    chart: str | None = None
    chart_alt: str = ""


@dataclass(frozen=True, slots=True)
class StatsView:
    """The statistics page."""

    years: tuple[int, ...]
    sections: tuple[StatsSection, ...]


@dataclass(frozen=True, slots=True)
class ProposalLetter:
    """A paper proposal letter (courrier de proposition) from a landlord to one of its tenant households.

    ``proposal`` is the proposal exactly as the household's own page shows it (anonymised: the other
    households are letters, their dwellings cards without ref); the rest is what only the sending
    landlord knows of its own tenant (its ref, its dwelling's number, whether it is DALO).
    """

    landlord: str  # the sending landlord's name
    territory: str  # the territory's name
    printed_on: date
    household_ref: str
    dwelling_ref: str  # the household's current dwelling, the landlord's own number
    proposal: ProposalDetail
    pause_after_silences: int  # lapsed proposals in a row that pause the request (0: never)
    dalo: bool  # the household is DALO: the letter carries the R.441-16-3 warning
    portal_url: str
    contact: str = ""  # who signs (the staff member's name), if known

    @property
    def reference(self) -> str:
        """« proposition n° 12, ménage H1 »."""
        return f"proposition n° {self.proposal.id}, ménage {self.household_ref}"


@dataclass(frozen=True, slots=True)
class LetterBatch:
    """The letters of one run for a landlord's households that no e-mail reaches, as one PDF."""

    landlord: str  # the landlord's code
    run_id: int
    household_refs: tuple[str, ...]  # in the PDF's order
    content: bytes | None  # None when there is no letter to print

    @property
    def count(self) -> int:
        """How many letters."""
        return len(self.household_refs)

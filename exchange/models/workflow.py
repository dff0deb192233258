"""Tables of the nightly run and of the proposal workflow (suivi des propositions).

A *run* (calcul nocturne) stores *proposals* (propositions: échanges and chaînes), each an ordered
list of *moves* (mouvements). Each household answers its move (réponse du ménage); the CALEOL of
the destination dwelling's landlord records one *committee decision* (décision de CALEOL, R.441-3
CCH) per move. Every transition writes an *audit event* (journal).

Two invariants live in the database, not only in the code: a household, and a dwelling, is in at
most one live proposal (partial unique indexes on ``proposal_move`` where ``live``), and a move
gets at most one decision (unique ``move_id``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exchange.models.base import Base

__all__ = [
    "ANSWERS",
    "ANSWER_CHANNELS",
    "DECISION_KINDS",
    "LIVE_STATUSES",
    "PROPOSAL_ORIGINS",
    "PROPOSAL_STATUSES",
    "REFUSAL_REASONS",
    "AUDIT_SYSTEM",
    "RUN_OBJECTIVES",
    "AuditEvent",
    "CommitteeDecision",
    "LandlordWorkflow",
    "Proposal",
    "ProposalMove",
    "Run",
    "RUN_JOB_STATUSES",
    "RunJob",
    "RunLock",
    "TerritoryWorkflow",
]

PROPOSAL_STATUSES = ("proposed", "deciding", "confirmed", "completed", "failed")
"""proposed: waiting for answers; deciding: all accepted, waiting for the CALEOLs; confirmed: move
date set; completed: moved; failed: a refusal, a silence, a non-attribution or an unmet condition."""

PROPOSAL_ORIGINS = ("run", "commission")
"""run: found by a nightly run; commission: assembled by the inter-landlord commission for blocked cases."""

LIVE_STATUSES = ("proposed", "deciding", "confirmed")
"""A proposal in one of these keeps its households and dwellings out of every other proposal."""

ANSWERS = ("accepted", "refused")

ANSWER_CHANNELS = ("desk", "phone", "mail")
"""How a household's answer reached its landlord's staff, who recorded it on its behalf (DOMAIN.md §4, the
digital divide): at the agency's desk, by phone, by letter. Kept in the answer's audit event, not a column."""

REFUSAL_REASONS = (
    "location",
    "cost",
    "size_layout",
    "accessibility",
    "condition",
    "timing",
    "change_of_situation",
    "no_answer",
    "other",
)
"""Fixed list of DOMAIN.md §2.2; ``no_answer`` is set by the system only; ``other`` needs free text."""

DECISION_KINDS = ("attribution", "ranked", "conditional", "non_attribution", "inadmissible")
"""R.441-3 CCH: attribution; attribution avec classement (rang); attribution sous condition
suspensive; non-attribution; rejet pour irrecevabilité."""

_LIVE_WHERE = text("live")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


RUN_OBJECTIVES = ("points", "expected")
"""What a run maximises: the points of its proposals, or the expected points of completed moves."""


class TerritoryWorkflow(Base):
    """Workflow settings of a territory: answer delay (≥ 10 days), notice before the move date, after
    how many lapsed proposals in a row a request pauses (0: never), what a run maximises
    (``objective``), whether a failed proposal is repaired at once (``repair``) and, under ``expected``,
    the floor of the priority households' moves (``priority_floor_pct``)."""

    __tablename__ = "territory_workflow"
    __table_args__ = (
        CheckConstraint("answer_days >= 10", name="answer_days_min"),
        CheckConstraint("move_notice_days >= 0", name="move_notice_days_min"),
        CheckConstraint("pause_after_silences >= 0", name="pause_after_silences_min"),
        CheckConstraint("reminder_days >= 0", name="reminder_days_min"),
        CheckConstraint(_in("objective", RUN_OBJECTIVES), name="objective"),
        CheckConstraint("priority_floor_pct BETWEEN 0 AND 100", name="priority_floor_pct_range"),
        CheckConstraint("blocked_after_runs >= 1", name="blocked_after_runs_min"),
        CheckConstraint("blocked_after_days >= 1", name="blocked_after_days_min"),
    )

    territory_id: Mapped[int] = mapped_column(
        ForeignKey("territory.id", ondelete="CASCADE"), primary_key=True
    )
    answer_days: Mapped[int] = mapped_column(Integer, default=lambda: 10)
    move_notice_days: Mapped[int] = mapped_column(Integer, default=lambda: 30)
    pause_after_silences: Mapped[int] = mapped_column(Integer, default=lambda: 2, server_default="2")
    # Days before the answer deadline when a household that has not answered is reminded (0: never).
    reminder_days: Mapped[int] = mapped_column(Integer, default=lambda: 3, server_default="3")
    objective: Mapped[str] = mapped_column(String(16), default=lambda: "points", server_default="points")
    repair: Mapped[bool] = mapped_column(Boolean, default=lambda: True, server_default=text("true"))
    # Objective ``expected``: share (%) of a priority household's move points counted whatever its chances.
    priority_floor_pct: Mapped[int] = mapped_column(Integer, default=lambda: 100, server_default="100")
    # Public holidays of the deadlines (exchange.deadlines.CALENDARS) and when a request counts as blocked.
    calendar: Mapped[str] = mapped_column(String(16), default=lambda: "metropole", server_default="metropole")
    blocked_after_runs: Mapped[int] = mapped_column(Integer, default=lambda: 3, server_default="3")
    blocked_after_days: Mapped[int] = mapped_column(Integer, default=lambda: 365, server_default="365")


class LandlordWorkflow(Base):
    """A landlord's committee delay: ``decision_days`` after the last acceptance, one month when null."""

    __tablename__ = "landlord_workflow"
    __table_args__ = (
        CheckConstraint("decision_days IS NULL OR decision_days >= 1", name="decision_days_min"),
    )

    landlord_id: Mapped[int] = mapped_column(ForeignKey("landlord.id", ondelete="CASCADE"), primary_key=True)
    decision_days: Mapped[int | None] = mapped_column(Integer, nullable=True)


class RunLock(Base):
    """One row per territory, locked for the whole transaction of a run (one run at a time)."""

    __tablename__ = "run_lock"

    territory_id: Mapped[int] = mapped_column(
        ForeignKey("territory.id", ondelete="CASCADE"), primary_key=True
    )
    locked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Run(Base):
    """One nightly matching run (calcul) of a territory, stored whole or not at all."""

    __tablename__ = "run"

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    as_of: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16))  # solver status: optimal, feasible, ...
    objective: Mapped[int] = mapped_column(Integer)
    bound: Mapped[float] = mapped_column(Float)
    requests: Mapped[int] = mapped_column(Integer)  # requests given to the solver
    vacancies: Mapped[int] = mapped_column(Integer)
    arcs: Mapped[int] = mapped_column(Integer)  # allowed moves of the graph
    skipped_households: Mapped[int] = mapped_column(Integer)  # already in a live proposal
    proposal_count: Mapped[int] = mapped_column(Integer)
    move_count: Mapped[int] = mapped_column(Integer)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    timings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    proposals: Mapped[list[Proposal]] = relationship(back_populates="run", order_by="Proposal.id")


RUN_JOB_STATUSES = ("running", "finished", "failed")
"""running: solving in the background; finished: its run is stored (``run_id``); failed: nothing stored
(``error`` says why)."""


class RunJob(Base):
    """A run started from the portal (lancement), solved in the background.

    Committed before the solve starts, so that every web worker sees it: the partial unique index
    ``uq_run_job_running`` allows one ``running`` job per territory. The run itself and the job's
    ``finished`` status are committed together; a job whose server died stays ``running`` until
    ``stale_after``, then counts as failed.
    """

    __tablename__ = "run_job"
    __table_args__ = (
        CheckConstraint(_in("status", RUN_JOB_STATUSES), name="status"),
        Index(
            "uq_run_job_running",
            "territory_id",
            unique=True,
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    as_of: Mapped[date] = mapped_column(Date)
    requested_by: Mapped[str | None] = mapped_column(String(254), nullable=True)  # account login
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(DateTime)
    stale_after: Mapped[datetime] = mapped_column(DateTime)  # still running then: its server died
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("run.id", ondelete="SET NULL"), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)  # French reason of a failure


class Proposal(Base):
    """A cycle (échange) or a chain (chaîne de vacance) offered to its households."""

    __tablename__ = "proposal"
    __table_args__ = (
        CheckConstraint(_in("status", PROPOSAL_STATUSES), name="status"),
        CheckConstraint(_in("kind", ("cycle", "chain")), name="kind"),
        CheckConstraint(_in("origin", PROPOSAL_ORIGINS), name="origin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for a proposal of the inter-landlord commission, which no run made.
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("run.id", ondelete="CASCADE"), index=True, nullable=True
    )
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    points: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=lambda: "proposed", index=True)
    notified_on: Mapped[date] = mapped_column(Date)
    answer_deadline: Mapped[date] = mapped_column(Date)  # until midnight
    accepted_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # last acceptance
    confirmed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    move_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    failure: Mapped[str | None] = mapped_column(String(32), nullable=True)  # refused, no_answer, ...
    # Estimated when stored: the chance that every move completes, and the expected points.
    chance: Mapped[float | None] = mapped_column(Float, nullable=True)
    expected_points: Mapped[float | None] = mapped_column(Float, nullable=True)
    # The failed proposal this one repairs (what still stood of it, offered at once).
    repairs_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposal.id", ondelete="SET NULL"), nullable=True, index=True
    )
    origin: Mapped[str] = mapped_column(String(16), default=lambda: "run", server_default="run")
    commission_reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # the commission's why

    run: Mapped[Run | None] = relationship(back_populates="proposals")
    moves: Mapped[list[ProposalMove]] = relationship(
        back_populates="proposal", order_by="ProposalMove.position", cascade="all, delete-orphan"
    )

    @property
    def live(self) -> bool:
        """True while the proposal holds its households and dwellings."""
        return self.status in LIVE_STATUSES


class ProposalMove(Base):
    """One move of a proposal: a household leaves ``from_dwelling`` for ``to_dwelling``.

    ``points_detail`` and ``criteria_before``/``criteria_after`` feed the CALEOL's dossier.
    The household's answer lives on the row; ``live`` mirrors the proposal's status so that the
    partial unique indexes can hold the "one live proposal" invariant.
    """

    __tablename__ = "proposal_move"
    __table_args__ = (
        UniqueConstraint("proposal_id", "position"),
        CheckConstraint("answer IS NULL OR " + _in("answer", ANSWERS), name="answer"),
        CheckConstraint("refusal_reason IS NULL OR " + _in("refusal_reason", REFUSAL_REASONS), name="reason"),
        CheckConstraint(
            "(answer = 'refused') = (refusal_reason IS NOT NULL) OR answer IS NULL", name="refusal_has_reason"
        ),
        Index(
            "uq_proposal_move_live_household",
            "household_id",
            unique=True,
            sqlite_where=_LIVE_WHERE,
            postgresql_where=_LIVE_WHERE,
        ),
        Index(
            "uq_proposal_move_live_to_dwelling",
            "to_dwelling_id",
            unique=True,
            sqlite_where=_LIVE_WHERE,
            postgresql_where=_LIVE_WHERE,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"), index=True)
    from_dwelling_id: Mapped[int] = mapped_column(ForeignKey("dwelling.id", ondelete="CASCADE"))
    to_dwelling_id: Mapped[int] = mapped_column(ForeignKey("dwelling.id", ondelete="CASCADE"), index=True)
    points: Mapped[int] = mapped_column(Integer)
    points_detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    criteria_before: Mapped[list[str]] = mapped_column(JSON, default=list)
    criteria_after: Mapped[list[str]] = mapped_column(JSON, default=list)
    live: Mapped[bool] = mapped_column(Boolean, default=lambda: True)
    answer: Mapped[str | None] = mapped_column(String(16), nullable=True)
    refusal_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    answer_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    answered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    decision_due: Mapped[date | None] = mapped_column(Date, nullable=True)
    chance: Mapped[float | None] = mapped_column(Float, nullable=True)  # estimated when stored

    proposal: Mapped[Proposal] = relationship(back_populates="moves")
    decision: Mapped[CommitteeDecision | None] = relationship(back_populates="move", uselist=False)


class CommitteeDecision(Base):
    """The CALEOL decision on one move (R.441-3 CCH), recorded once.

    ``rank`` is set for an attribution avec classement (attributed only when 1); a conditional
    attribution carries ``condition`` and ``condition_due``, then ``condition_status`` met/failed.
    """

    __tablename__ = "committee_decision"
    __table_args__ = (
        UniqueConstraint("move_id"),
        CheckConstraint(_in("kind", DECISION_KINDS), name="kind"),
        CheckConstraint("kind <> 'ranked' OR rank >= 1", name="ranked_has_rank"),
        CheckConstraint("kind <> 'conditional' OR condition_due IS NOT NULL", name="conditional_has_due"),
        CheckConstraint(
            "condition_status IS NULL OR " + _in("condition_status", ("pending", "met", "failed")),
            name="condition_status",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    move_id: Mapped[int] = mapped_column(ForeignKey("proposal_move.id", ondelete="CASCADE"))
    landlord_id: Mapped[int] = mapped_column(ForeignKey("landlord.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    rank: Mapped[int | None] = mapped_column(Integer, nullable=True)
    partner_alone: Mapped[bool | None] = mapped_column(Boolean, nullable=True)  # DOMAIN.md §2.7
    condition: Mapped[str | None] = mapped_column(Text, nullable=True)
    condition_due: Mapped[date | None] = mapped_column(Date, nullable=True)
    condition_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    condition_closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    decided_on: Mapped[date] = mapped_column(Date)
    decided_at: Mapped[datetime] = mapped_column(DateTime)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )

    move: Mapped[ProposalMove] = relationship(back_populates="decision")

    @property
    def attributes(self) -> bool | None:
        """True if the move is attributed, False if it fails, None while a condition is pending."""
        if self.kind == "attribution":
            return True
        if self.kind == "ranked":
            return self.rank == 1
        if self.kind == "conditional":
            return {"met": True, "failed": False}.get(self.condition_status or "pending")
        return False


AUDIT_SYSTEM = "system"
"""The actor of an audit event that no user caused (a run, a deadline, a default setting)."""


class AuditEvent(Base):
    """One transition of the workflow: who (a user, or ``system``), when, what, before and after."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    actor: Mapped[str] = mapped_column(String(120))  # "system" or the user's login
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(20))  # run, proposal, move
    entity_id: Mapped[int] = mapped_column(Integer)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    @classmethod
    def by(
        cls,
        actor: Any,
        *,
        territory_id: int,
        at: datetime,
        action: str,
        entity: str,
        entity_id: int,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> AuditEvent:
        """An event caused by ``actor`` (a user account: its id and login), or by the system when None."""
        return cls(
            territory_id=territory_id,
            at=at,
            actor_id=None if actor is None else actor.id,
            actor=AUDIT_SYSTEM if actor is None else actor.login,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=before,
            after=after,
        )

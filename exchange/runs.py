"""The nightly run (calcul nocturne): open requests → compatibility graph → optimal proposals, stored whole.

One run per territory at a time: :func:`acquire_run_lock` takes a transaction-scoped lock
(``pg_try_advisory_xact_lock`` on PostgreSQL; on SQLite the write lock of the database, taken by
writing the territory's ``run_lock`` row). Everything a run writes happens in the caller's single
transaction, so a run killed at any point leaves nothing behind.

Runs started from the portal are *jobs* (:class:`~exchange.models.workflow.RunJob`): :func:`claim_job`
commits a ``running`` row first (one per territory, held by a partial unique index, so every web
worker sees it), then :func:`execute_job` solves in the background and commits the run together with
the job's ``finished`` status, or records ``failed`` with a French reason and nothing else. A job left
``running`` by a server that died counts as failed after ``stale_after`` (its time limit plus
:data:`JOB_STALE_MARGIN`). The nightly ``exchange run`` calls :func:`run_territory` directly.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

import matching
from exchange import notifications, records, settings, wording
from exchange.chances import move_chances
from exchange.errors import ExchangeError, NotFound, is_database_busy
from exchange.loading import load_territory
from exchange.models import Territory
from exchange.models.workflow import (
    AuditEvent,
    Run,
    RunJob,
    RunLock,
)
from exchange.proposal_rows import RunContext, live_refs, proposal_rows
from matching.config import PolicyConfig
from matching.graph import build_instance
from matching.territory import Territory as PlainTerritory
from matching.types import Instance, Solution, SolveParams

__all__ = [
    "JOB_STALE_MARGIN",
    "INTERNAL_REASON",
    "PAUSE_ENV",
    "STAGES",
    "STALE_REASON",
    "JobInProgress",
    "JobView",
    "RunInProgress",
    "acquire_run_lock",
    "claim_job",
    "execute_job",
    "get_job",
    "list_jobs",
    "list_runs",
    "PreparedRun",
    "prepare_run",
    "run_count",
    "run_territory",
    "solve_prepared",
    "store_run",
    "territory_caps",
]

STAGES = ("locked", "loaded", "built", "solved", "stored")
"""Stages of a run, reported to the progress callback in this order."""

PAUSE_ENV = "EXCHANGE_RUN_PAUSE_AT"
"""Crash tests only: ``STAGE`` or ``STAGE:SECONDS`` makes the run print ``pause:STAGE`` on stderr and
sleep there (default 60 s), so that a test can kill the process at a known point."""

JOB_STALE_MARGIN = timedelta(minutes=15)
"""A portal job still ``running`` this long after its solver's time limit is taken for dead."""

_log = logging.getLogger(__name__)
_SQLITE_LOCK_WAIT_MS = 3_000
_SQLITE_BUSY_MS = 30_000  # exchange.db's default
_ADVISORY_NAMESPACE = 0x45584348  # "EXCH": first key of the PostgreSQL advisory lock


class RunInProgress(ExchangeError):
    """Another run of the same territory holds the lock."""

    def __init__(self, code: str, *, whole_database: bool = False) -> None:
        if whole_database:  # SQLite: one write lock for the whole file, whoever holds it
            message = (
                f"la base est occupée par un autre calcul ou une autre écriture : le calcul du territoire "
                f"{code} n'a pas démarré ; réessayez plus tard"
            )
        else:
            message = f"un calcul est déjà en cours pour le territoire {code} ; réessayez plus tard"
        super().__init__(message)


def _checkpoint(stage: str) -> None:
    spec = os.environ.get(PAUSE_ENV)
    if not spec:
        return
    name, _, seconds = spec.partition(":")
    if name == stage:
        print(f"pause:{stage}", file=sys.stderr, flush=True)
        time.sleep(float(seconds or 60))


def _sqlite_write_lock(session: Session, code: str) -> None:
    """SQLite: take the database's write lock before the run reads anything (waiting a few seconds).

    A transaction that has read cannot become a writer once another one committed meanwhile, so the
    run takes the lock first; raises :class:`RunInProgress` when another writer keeps it.
    """
    raw: Any = session.connection().connection.dbapi_connection
    raw.execute(f"PRAGMA busy_timeout = {_SQLITE_LOCK_WAIT_MS}")
    try:
        session.execute(text("UPDATE run_lock SET locked_at = locked_at WHERE 1 = 0"))
    except OperationalError as exc:
        if is_database_busy(exc):
            raise RunInProgress(code, whole_database=True) from exc
        raise
    finally:
        raw.execute(f"PRAGMA busy_timeout = {_SQLITE_BUSY_MS}")


def acquire_run_lock(session: Session, territory: Territory, *, now: datetime | None = None) -> None:
    """Take the territory's run lock until the end of the caller's transaction.

    Raises :class:`RunInProgress` when another transaction holds it.
    """
    stamp = now or datetime.now()
    code, territory_id = territory.code, territory.id  # a failed flush expires the row: read them first
    if session.get_bind().dialect.name == "postgresql":
        got = session.execute(
            text("SELECT pg_try_advisory_xact_lock(:ns, :tid)"),
            {"ns": _ADVISORY_NAMESPACE, "tid": territory.id},
        ).scalar_one()
        if not got:
            raise RunInProgress(territory.code)
    sqlite = session.get_bind().dialect.name == "sqlite"
    raw: Any = session.connection().connection.dbapi_connection if sqlite else None
    if raw is not None:  # wait a little for a short portal write, not for a whole run
        raw.execute(f"PRAGMA busy_timeout = {_SQLITE_LOCK_WAIT_MS}")
    try:
        # On SQLite this first write takes the database's write lock for the whole transaction.
        row = session.get(RunLock, territory_id)
        if row is None:
            session.add(RunLock(territory_id=territory_id, locked_at=stamp))
        else:
            row.locked_at = stamp
        session.flush()
    except OperationalError as exc:
        if is_database_busy(exc):
            raise RunInProgress(code) from exc
        raise
    finally:
        if raw is not None:
            raw.execute(f"PRAGMA busy_timeout = {_SQLITE_BUSY_MS}")


def _policy_config(session: Session, territory: Territory) -> PolicyConfig:
    from exchange.settings import policy_config

    return policy_config(session, territory.code)


def _load(session: Session, code: str, as_of: date) -> PlainTerritory:
    return load_territory(session, code, as_of=as_of)


def _store(
    session: Session,
    territory: Territory,
    ctx: RunContext,
    solution: Solution,
    run: Run,
    *,
    now: datetime,
    chances: Mapping[tuple[str, str], float],
) -> None:
    for proposal in proposal_rows(
        session, territory.id, ctx, solution.proposals, notified_on=run.as_of, chances=chances
    ):
        run.proposals.append(proposal)
    session.add(run)
    session.flush()
    session.add(
        AuditEvent.by(
            None,
            territory_id=territory.id,
            at=now,
            action="run.stored",
            entity="run",
            entity_id=run.id,
            after={"proposals": run.proposal_count, "moves": run.move_count, "objective": run.objective},
        )
    )
    for proposal in run.proposals:
        session.add(
            AuditEvent.by(
                None,
                territory_id=territory.id,
                at=now,
                action="proposal.proposed",
                entity="proposal",
                entity_id=proposal.id,
                after={
                    "status": "proposed",
                    "answer_deadline": proposal.answer_deadline.isoformat(),
                    "households": [m.household_id for m in proposal.moves],
                },
            )
        )
    session.flush()
    notifications.proposals_stored(session, run.proposals, now=now)


@dataclass(frozen=True, slots=True)
class PreparedRun:
    """A locked and loaded territory, ready to solve: its graph (``instance``) and ``params``.

    Made by :func:`prepare_run` inside the run's transaction, which must stay open (it holds the
    lock) until :func:`store_run` has written the run.
    """

    code: str
    territory_id: int
    day: date
    started: datetime
    stamped: bool  # ``started`` was given by the caller: the run's finish time is the same stamp
    params: SolveParams
    context: RunContext
    skipped: int  # requests left out: their households are in a live proposal
    timings: dict[str, float]

    @property
    def instance(self) -> Instance:
        """The compatibility graph to solve (plain data: what a remote worker receives)."""
        return self.context.instance


def prepare_run(
    session: Session,
    code: str,
    *,
    as_of: date | None = None,
    params: SolveParams | None = None,
    progress: Callable[[str], None] | None = None,
    now: datetime | None = None,
    expire: bool = True,
) -> PreparedRun:
    """Lock the territory, record expired deadlines and conditions, load it and build its graph.

    The first half of :func:`run_territory`, in the caller's transaction (see there).
    """
    clock = time.perf_counter
    started = now or datetime.now()
    report = progress or (lambda stage: None)
    timings: dict[str, float] = {}
    t0 = clock()
    if session.get_bind().dialect.name == "sqlite":
        _sqlite_write_lock(session, code)
    territory = records.territory(session, code)
    day = as_of or started.date()

    acquire_run_lock(session, territory, now=started)
    timings["lock_s"] = clock() - t0
    report("locked")
    _checkpoint("locked")
    if expire:
        # Silences past their deadline and conditions past their date free their households first.
        from exchange.workflow import expire_conditions, expire_deadlines

        expire_deadlines(session, started, territory_id=territory.id)
        expire_conditions(session, started.date(), territory_id=territory.id)

    t0 = clock()
    plain = _load(session, code, day)
    busy_households, busy_dwellings = live_refs(session, territory.id)
    kept = tuple(r for r in plain.requests if r.household not in busy_households)
    skipped = len(plain.requests) - len(kept)
    plain = replace(plain, requests=kept, offers=tuple(o for o in plain.offers if o not in busy_dwellings))
    config = _policy_config(session, territory)
    timings["load_s"] = clock() - t0
    report("loaded")
    _checkpoint("loaded")

    t0 = clock()
    instance = build_instance(plain, config)
    timings["graph_s"] = clock() - t0
    report("built")
    _checkpoint("built")

    run_choice = settings.run_settings(session, territory.code)
    if params is None:
        # Without repair the workflow fails a chain whole: its prefix is worth nothing.
        params = SolveParams(
            max_cycle=config.max_cycle,
            max_chain=config.max_chain,
            objective=run_choice.objective,
            keep_prefix=run_choice.repair,
        )
    if params.objective == "expected":  # every candidate move's chance, from the refitted model
        pairs = [(m.household, m.dwelling) for m in instance.moves]
        instance = replace(
            instance,
            chances=move_chances(session, territory.id, plain, config, pairs),
            floors=settings.priority_floors(plain.households, run_choice.priority_floor_pct),
        )
    context = RunContext(plain, instance, config)
    return PreparedRun(code, territory.id, day, started, now is not None, params, context, skipped, timings)


def _floor_param(params: SolveParams, instance: Instance) -> dict[str, int]:
    """The priority floor a run under ``expected`` applied (percent; 0 when no household had one)."""
    if params.objective != "expected":
        return {}
    return {"priority_floor_pct": round(100 * max(instance.floors.values(), default=0.0))}


def solve_prepared(
    instance: Instance, params: SolveParams, executor: Executor | None = None, executor_workers: int = 1
) -> tuple[Solution, float]:
    """Solve a prepared run's graph (no database): the solution and the seconds it took.

    With an ``executor``, the independent parts of the graph are its tasks (:func:`matching.solve`);
    with ``executor_workers`` of 2 or more, a giant part's search solves that many regions at once
    as its tasks.
    """
    t0 = time.perf_counter()
    solution = matching.solve(instance, params, executor=executor, executor_workers=executor_workers)
    return solution, time.perf_counter() - t0


def store_run(
    session: Session,
    prepared: PreparedRun,
    solution: Solution,
    *,
    solve_s: float,
    progress: Callable[[str], None] | None = None,
) -> Run:
    """Store the solved run with its proposals in the transaction that :func:`prepare_run` locked."""
    clock = time.perf_counter
    report = progress or (lambda stage: None)
    timings = dict(prepared.timings, solve_s=solve_s)
    timings.update({f"solver_{k}": v for k, v in solution.timings.items()})
    report("solved")
    _checkpoint("solved")

    t0 = clock()
    territory = session.get(Territory, prepared.territory_id)
    if territory is None:  # the row is locked by this transaction: cannot vanish
        raise NotFound(f"territoire inconnu : {prepared.code}")
    params, ctx, started = prepared.params, prepared.context, prepared.started
    instance = ctx.instance
    run = Run(
        territory_id=territory.id,
        as_of=prepared.day,
        started_at=started,
        finished_at=started,
        status=solution.status,
        objective=solution.objective,
        bound=float(solution.bound),
        requests=len(instance.households),
        vacancies=len(instance.vacancies),
        arcs=len(instance.moves),
        skipped_households=prepared.skipped,
        proposal_count=len(solution.proposals),
        move_count=sum(len(p.moves) for p in solution.proposals),
        params={
            "max_cycle": params.max_cycle,
            "max_chain": params.max_chain,
            "time_limit_s": params.time_limit_s,
            "seed": params.seed,
            "workers": params.workers,
            "objective": params.objective,
            "keep_prefix": params.keep_prefix,
            **_floor_param(params, instance),
        },
        timings={},
    )
    chances = instance.chances
    if params.objective != "expected":  # the chosen moves' chances, shown to the staff and CALEOL
        chosen = [(m.household, m.dwelling) for p in solution.proposals for m in p.moves]
        chances = move_chances(session, territory.id, ctx.plain, ctx.config, chosen)
    _store(session, territory, ctx, solution, run, now=started, chances=chances)
    timings["store_s"] = clock() - t0
    run.timings = {k: round(v, 4) for k, v in timings.items()}
    run.finished_at = started if prepared.stamped else datetime.now()
    session.flush()
    report("stored")
    _checkpoint("stored")
    return run


def run_territory(
    session: Session,
    code: str,
    *,
    as_of: date | None = None,
    params: SolveParams | None = None,
    progress: Callable[[str], None] | None = None,
    now: datetime | None = None,
    expire: bool = True,
) -> Run:
    """Solve one territory's exchange and store the run with its proposals (live, waiting for answers).

    With ``expire``, silences past their deadline and suspensive conditions past their date are
    recorded first (``exchange.workflow``). Households and destination dwellings still in a live
    proposal are then left out. ``params`` defaults to the territory's caps (``max_cycle``,
    ``max_chain``) from its policy configuration. The steps are :func:`prepare_run`,
    :func:`solve_prepared` and :func:`store_run`, as for a run of several territories
    (:mod:`exchange.nightly`).
    Raises :class:`NotFound` for an unknown territory and :class:`RunInProgress` when locked.
    """
    prepared = prepare_run(
        session, code, as_of=as_of, params=params, progress=progress, now=now, expire=expire
    )
    solution, seconds = solve_prepared(prepared.instance, prepared.params)
    return store_run(session, prepared, solution, solve_s=seconds, progress=progress)


def territory_caps(session: Session, code: str) -> tuple[int, int]:
    """The territory's (max_cycle, max_chain) from its policy configuration."""
    config = _policy_config(session, records.territory(session, code))
    return config.max_cycle, config.max_chain


def list_runs(session: Session, territory_id: int, *, limit: int = 50) -> list[Run]:
    """The territory's latest runs, newest first."""
    return list(
        session.scalars(
            select(Run).where(Run.territory_id == territory_id).order_by(Run.id.desc()).limit(limit)
        ).all()
    )


def run_count(session: Session, territory_id: int) -> int:
    """How many runs the territory has."""
    return int(
        session.scalar(select(func.count()).select_from(Run).where(Run.territory_id == territory_id)) or 0
    )


# Portal jobs: a run started from the portal, solved in the background --------------------------

STALE_REASON = (
    "le calcul a été interrompu (serveur arrêté ou redémarré pendant le calcul) ; rien n'a été "
    "enregistré : relancez l'appariement"
)
INTERNAL_REASON = (
    "erreur interne pendant le calcul ; rien n'a été enregistré : relancez l'appariement, et prévenez "
    "l'exploitant si l'erreur se répète (détail dans le journal du portail)"
)


def _when(moment: datetime) -> str:
    return wording.long_datetime(moment)


class JobInProgress(ExchangeError):
    """A portal job of the territory is still running (committed, so seen by every web worker)."""

    def __init__(self, started_at: datetime | None = None) -> None:
        since = "" if started_at is None else f" (lancé le {_when(started_at)})"
        super().__init__(
            f"un appariement est déjà en cours pour ce territoire{since} : attendez qu'il se termine "
            "avant d'en lancer un autre"
        )


@dataclass(frozen=True, slots=True)
class JobView:
    """A portal job as its territory's staff see it; a ``running`` job past ``stale_after`` is ``failed``."""

    id: int
    as_of: date
    requested_by: str | None
    status: str  # running, finished or failed
    started_at: datetime
    finished_at: datetime | None
    run_id: int | None
    error: str | None


def _view(job: RunJob, now: datetime) -> JobView:
    status, error = job.status, job.error
    if status == "running" and job.stale_after < now:
        status, error = "failed", STALE_REASON
    return JobView(
        job.id, job.as_of, job.requested_by, status, job.started_at, job.finished_at, job.run_id, error
    )


def claim_job(
    session: Session,
    code: str,
    *,
    as_of: date,
    requested_by: str | None = None,
    time_limit_s: float | None = None,
    now: datetime | None = None,
) -> int:
    """Record a ``running`` job for the territory in the caller's transaction (commit it before solving).

    A job left ``running`` past its ``stale_after`` is first recorded as failed. ``time_limit_s``
    (the solver's, default :class:`SolveParams`'s) plus :data:`JOB_STALE_MARGIN` gives ``stale_after``.
    Raises :class:`JobInProgress` when another job of the territory is running, even one claimed by
    another process at the same moment (the partial unique index refuses the second row), and, on
    SQLite, :class:`RunInProgress` when the database's write lock stays taken (a run of any territory).
    """
    stamp = now or datetime.now()
    territory = records.territory(session, code)
    territory_id = territory.id
    limit = SolveParams().time_limit_s if time_limit_s is None else time_limit_s
    sqlite = session.get_bind().dialect.name == "sqlite"
    raw: Any = session.connection().connection.dbapi_connection if sqlite else None
    if raw is not None:  # a run elsewhere may hold SQLite's write lock for minutes: do not hang the request
        raw.execute(f"PRAGMA busy_timeout = {_SQLITE_LOCK_WAIT_MS}")
    try:
        # Read first: while a job runs, its run may hold SQLite's write lock, and the answer is known.
        running = session.scalars(
            select(RunJob).where(RunJob.territory_id == territory_id, RunJob.status == "running")
        ).all()
        live = [job for job in running if job.stale_after >= stamp]
        if live:
            raise JobInProgress(live[0].started_at)
        if running:  # left by a server that died: no longer blocks
            session.execute(
                update(RunJob)
                .where(RunJob.id.in_([job.id for job in running]), RunJob.status == "running")
                .values(status="failed", finished_at=stamp, error=STALE_REASON)
            )
        job = RunJob(
            territory_id=territory_id,
            as_of=as_of,
            requested_by=requested_by,
            status="running",
            started_at=stamp,
            stale_after=stamp + timedelta(seconds=limit) + JOB_STALE_MARGIN,
        )
        try:
            with session.begin_nested():
                session.add(job)
        except IntegrityError as exc:  # claimed by another worker since our read
            raise JobInProgress() from exc
    except OperationalError as exc:
        if sqlite and is_database_busy(exc):
            raise RunInProgress(code, whole_database=True) from exc
        raise
    finally:
        if raw is not None:
            raw.execute(f"PRAGMA busy_timeout = {_SQLITE_BUSY_MS}")
    return int(job.id)


def _fail_job(engine: Engine, job_id: int, reason: str) -> None:
    try:
        with Session(engine) as session, session.begin():
            session.execute(
                update(RunJob)
                .where(RunJob.id == job_id)
                .values(status="failed", finished_at=datetime.now(), error=reason)
            )
    except Exception:  # the database itself is gone: the job turns stale
        _log.exception("appariement n° %s : échec non enregistré", job_id)


def execute_job(engine: Engine, job_id: int, *, params: SolveParams | None = None) -> str:
    """Solve a claimed job in a session of its own; its final status (``finished`` or ``failed``).

    The run and the job's ``finished`` status are committed in the run's single transaction. Any
    error rolls the run back whole and records the job ``failed`` with a French reason (the
    exception's message for an :class:`ExchangeError`, a generic one, logged in full, otherwise).
    Never raises for a failed run: it is meant to be the body of a background thread.
    """
    with Session(engine, expire_on_commit=False) as session:
        try:
            job = session.get(RunJob, job_id)
            if job is None or job.status != "running":
                return "failed" if job is None else job.status
            code = session.scalars(select(Territory.code).where(Territory.id == job.territory_id)).one()
            as_of = job.as_of
            session.rollback()  # end the read: on SQLite the run must open its transaction with a write
            run = run_territory(session, code, as_of=as_of, params=params)
            session.execute(
                update(RunJob)
                .where(RunJob.id == job_id)
                .values(status="finished", run_id=run.id, finished_at=datetime.now(), error=None)
            )
            session.commit()
            return "finished"
        except Exception as exc:
            session.rollback()
            if isinstance(exc, ExchangeError):
                reason = str(exc)
                _log.warning("appariement n° %s en échec : %s", job_id, reason)
            else:
                reason = INTERNAL_REASON
                _log.exception("appariement n° %s en échec", job_id)
    _fail_job(engine, job_id, reason)
    return "failed"


def list_jobs(
    session: Session, territory_id: int, *, limit: int = 10, now: datetime | None = None
) -> list[JobView]:
    """The territory's latest portal jobs, newest first."""
    stamp = now or datetime.now()
    rows = session.scalars(
        select(RunJob).where(RunJob.territory_id == territory_id).order_by(RunJob.id.desc()).limit(limit)
    ).all()
    return [_view(job, stamp) for job in rows]


def get_job(session: Session, territory_id: int, job_id: int, *, now: datetime | None = None) -> JobView:
    """One portal job of the territory; :class:`NotFound` for a job of another territory."""
    job = session.get(RunJob, job_id, populate_existing=True)  # another session may have finished it
    if job is None or job.territory_id != territory_id:
        raise NotFound(f"appariement inconnu : {job_id}")
    return _view(job, now or datetime.now())

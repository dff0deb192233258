"""The nightly run of several territories (calcul de nuit régional ou national) on an executor.

The coordinator (this process) owns the database: for each territory it opens a transaction, takes
the run lock, loads and builds the graph (:func:`exchange.runs.prepare_run`), submits the plain
graph to the executor (on a Dask cluster, :mod:`exchange.cluster`), and once the solution is back
stores the run and commits (:func:`exchange.runs.store_run`): the same steps as ``exchange run``,
each territory in its own transaction. A territory that fails — locked, unknown, an error, a worker
lost for good — is rolled back alone and reported; the others are stored.

The transaction of a territory stays open while it is solved, so that its lock holds; ``window``
bounds how many are open at once. On SQLite the lock is the write lock of the whole database, so
territories go one at a time (their parts still spread over the workers); on PostgreSQL each has
its advisory lock and up to ``window`` are in flight. Stores are done by the coordinator, one at a time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from exchange.errors import ExchangeError
from exchange.models import Territory
from exchange.runs import PreparedRun, prepare_run, store_run
from matching.types import Instance, Solution, SolveParams

__all__ = ["INTERNAL_REASON", "Outcome", "StoredRun", "Submit", "all_codes", "run_territories"]

Submit = Callable[[Instance, SolveParams], "Future[tuple[Solution, float]]"]
"""Start solving one graph elsewhere; the future gives the solution and its solving seconds."""

INTERNAL_REASON = "erreur interne pendant le calcul ({kind}) ; rien n'a été enregistré pour ce territoire"

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StoredRun:
    """What the summary line of a stored run says (read before its session closes)."""

    id: int
    as_of: date
    proposal_count: int
    move_count: int
    objective: int
    status: str
    bound: float
    requests: int
    vacancies: int
    skipped_households: int


@dataclass(frozen=True, slots=True)
class Outcome:
    """One territory's result in a night: its stored run, or why nothing of it was stored."""

    code: str
    run: StoredRun | None
    error: str | None
    seconds: float

    @property
    def ok(self) -> bool:
        """Whether the territory's run was stored."""
        return self.run is not None


@dataclass(slots=True)
class _InFlight:
    code: str
    session: Session
    prepared: PreparedRun
    started: float


def all_codes(session: Session) -> list[str]:
    """Every territory's code, in alphabetical order."""
    return list(session.scalars(select(Territory.code).order_by(Territory.code)).all())


def run_territories(
    engine: Engine,
    plans: Sequence[tuple[str, SolveParams | None]],
    submit: Submit,
    *,
    as_of: date | None = None,
    now: datetime | None = None,
    window: int = 2,
    progress: Callable[[str, str], None] | None = None,
) -> list[Outcome]:
    """Run each ``(code, params)`` of ``plans`` (``None``: its settings), solving through ``submit``.

    Returns one :class:`Outcome` per plan, in the order of ``plans``. Never raises for a territory's
    failure. ``progress(code, stage)`` gets :data:`exchange.runs.STAGES` and ``failed``.
    """
    if window < 1:
        raise ValueError(f"window: must be at least 1, got {window!r}")
    report = progress or (lambda code, stage: None)
    if engine.dialect.name == "sqlite":  # one write lock for the whole file: one transaction at a time
        window = 1
    pending = list(plans)
    outcomes: dict[str, Outcome] = {}
    flying: dict[Future[tuple[Solution, float]], _InFlight] = {}
    while pending or flying:
        while pending and len(flying) < window:
            code, params = pending.pop(0)
            started = time.perf_counter()
            entry = _start(engine, code, params, submit, as_of=as_of, now=now, report=report)
            if isinstance(entry, str):
                outcomes[code] = Outcome(code, None, entry, time.perf_counter() - started)
                report(code, "failed")
            else:
                future, flight = entry
                flight.started = started
                flying[future] = flight
        done, _ = wait(list(flying), return_when=FIRST_COMPLETED)
        for future in sorted(done, key=lambda f: flying[f].code):
            flight = flying.pop(future)
            outcomes[flight.code] = _finish(flight, future, report)
    return [outcomes[code] for code, _ in plans]


def _start(
    engine: Engine,
    code: str,
    params: SolveParams | None,
    submit: Submit,
    *,
    as_of: date | None,
    now: datetime | None,
    report: Callable[[str, str], None],
) -> tuple[Future[tuple[Solution, float]], _InFlight] | str:
    """Lock, load and build one territory in a transaction left open, and submit its graph (or why not)."""
    session = Session(engine, expire_on_commit=False)
    try:
        session.begin()
        prepared = prepare_run(
            session, code, as_of=as_of, params=params, now=now, progress=lambda stage: report(code, stage)
        )
        future = submit(prepared.instance, prepared.params)
    except Exception as exc:  # this territory fails alone; the night goes on
        session.rollback()
        session.close()
        return _reason(code, exc)
    return future, _InFlight(code, session, prepared, 0.0)


def _finish(
    flight: _InFlight, future: Future[tuple[Solution, float]], report: Callable[[str, str], None]
) -> Outcome:
    """Store one solved territory and commit, or roll it back whole."""
    session, code = flight.session, flight.code
    try:
        solution, seconds = future.result()
        run = store_run(
            session, flight.prepared, solution, solve_s=seconds, progress=lambda stage: report(code, stage)
        )
        stored = StoredRun(
            run.id,
            run.as_of,
            run.proposal_count,
            run.move_count,
            run.objective,
            run.status,
            run.bound,
            run.requests,
            run.vacancies,
            run.skipped_households,
        )
        session.commit()
    except Exception as exc:  # this territory fails alone; the night goes on
        session.rollback()
        report(code, "failed")
        return Outcome(code, None, _reason(code, exc), time.perf_counter() - flight.started)
    finally:
        session.close()
    return Outcome(code, stored, None, time.perf_counter() - flight.started)


def _reason(code: str, exc: Exception) -> str:
    """The French reason of a territory's failure (logged in full when it is not one of ours)."""
    if isinstance(exc, ExchangeError):
        _log.warning("calcul du territoire %s en échec : %s", code, exc)
        return str(exc)
    _log.error("calcul du territoire %s en échec", code, exc_info=exc)
    return INTERNAL_REASON.format(kind=type(exc).__name__)

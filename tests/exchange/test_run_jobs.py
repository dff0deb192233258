"""Portal jobs (exchange.runs.claim_job / execute_job): one running job per territory, held by the
database; the run and the job's outcome are committed together, a failure writes nothing else."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest
import workflow_scenario as scenario
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from exchange import runs
from exchange.db import get_engine
from exchange.errors import ExchangeError, NotFound
from exchange.models import Territory
from exchange.models.workflow import AuditEvent, Proposal, Run, RunJob, RunLock

AS_OF = date(2026, 1, 5)
NOW = datetime(2026, 1, 5, 14, 5)


def _tid(session: Session, code: str) -> int:
    return session.scalars(select(Territory.id).where(Territory.code == code)).one()


def test_one_running_job_per_territory_until_it_turns_stale(session, territory):
    first = runs.claim_job(session, territory, as_of=AS_OF, requested_by="admin", time_limit_s=600, now=NOW)
    job = session.get(RunJob, first)
    assert job is not None and (job.status, job.stale_after) == ("running", NOW + timedelta(minutes=25))
    with pytest.raises(runs.JobInProgress) as refused:
        runs.claim_job(session, territory, as_of=AS_OF, now=NOW + timedelta(minutes=24))
    assert str(refused.value) == (
        "un appariement est déjà en cours pour ce territoire (lancé le lundi 5 janvier 2026 à 14 h 05) : "
        "attendez qu'il se termine avant d'en lancer un autre"
    )
    tid = _tid(session, territory)
    later = NOW + timedelta(minutes=26)
    assert [(j.id, j.status, j.error) for j in runs.list_jobs(session, tid, now=later)] == [
        (first, "failed", runs.STALE_REASON)
    ]  # shown as failed before anyone writes it
    second = runs.claim_job(session, territory, as_of=AS_OF, now=later)
    session.expire_all()
    assert [(j.id, j.status) for j in runs.list_jobs(session, tid, now=later)] == [
        (second, "running"),
        (first, "failed"),
    ]
    assert session.get(RunJob, first).error == runs.STALE_REASON  # type: ignore[union-attr]
    assert runs.get_job(session, tid, second, now=later).started_at == later
    with pytest.raises(NotFound):
        runs.get_job(session, tid + 1, second)
    with pytest.raises(NotFound):
        runs.claim_job(session, "INCONNU", as_of=AS_OF)


def test_the_database_refuses_a_second_running_job(session, territory):
    """The partial unique index holds even for a writer that skips claim_job's check."""
    runs.claim_job(session, territory, as_of=AS_OF, now=NOW)
    tid = _tid(session, territory)
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(RunJob(territory_id=tid, as_of=AS_OF, status="running", started_at=NOW, stale_after=NOW))
    with session.begin_nested():  # finished and failed jobs are not limited
        for status in ("finished", "failed", "failed"):
            session.add(RunJob(territory_id=tid, as_of=AS_OF, status=status, started_at=NOW, stale_after=NOW))


def _counts(session: Session, tid: int) -> tuple[int, int, int, int]:
    def count(model, column):  # type: ignore[no-untyped-def]
        return int(session.scalar(select(func.count()).select_from(model).where(column == tid)) or 0)

    return (
        count(Run, Run.territory_id),
        count(Proposal, Proposal.territory_id),
        count(AuditEvent, AuditEvent.territory_id),
        count(RunLock, RunLock.territory_id),
    )


def test_jobs_across_connections_then_executed(fresh_db_url, monkeypatch):
    engine = get_engine(fresh_db_url)
    with Session(engine) as session, session.begin():
        scenario.load(session, "KJOB")
        tid = _tid(session, "KJOB")

    # Two web workers claim at the same moment: exactly one job runs, the other is refused.
    outcomes: list[object] = []

    def claim() -> None:
        with Session(engine) as other:
            try:
                outcomes.append(runs.claim_job(other, "KJOB", as_of=AS_OF))
                other.commit()
            except ExchangeError as exc:
                outcomes.append(exc)

    with Session(engine) as session:
        first = runs.claim_job(session, "KJOB", as_of=AS_OF)
        rival = threading.Thread(target=claim)
        rival.start()
        session.commit()
    rival.join(timeout=60)
    assert not rival.is_alive()
    assert len(outcomes) == 1 and isinstance(outcomes[0], (runs.JobInProgress, runs.RunInProgress))
    with Session(engine) as session:
        assert session.scalars(select(RunJob.id).where(RunJob.status == "running")).all() == [first]

    # A failure rolls the run back whole and records why.
    def broken(*_args, **_kwargs):
        raise RuntimeError("panne")

    monkeypatch.setattr(runs, "build_instance", broken)
    assert runs.execute_job(engine, first) == "failed"
    with Session(engine) as session:
        job = session.get(RunJob, first)
        assert job is not None and (job.status, job.error, job.run_id) == (
            "failed",
            runs.INTERNAL_REASON,
            None,
        )
        assert _counts(session, tid) == (0, 0, 0, 0)
    monkeypatch.undo()

    # The next job runs; the run and the job's "finished" come together.
    with Session(engine) as session, session.begin():
        second = runs.claim_job(session, "KJOB", as_of=AS_OF)
    assert runs.execute_job(engine, second) == "finished"
    assert runs.execute_job(engine, second) == "finished"  # already done: nothing happens
    with Session(engine) as session:
        job = session.get(RunJob, second)
        run = session.scalars(select(Run)).one()
        assert job is not None and (job.status, job.run_id, job.error) == ("finished", run.id, None)
        assert job.finished_at is not None and job.finished_at >= job.started_at
        assert (run.proposal_count, run.move_count, run.objective) == (3, 5, 776)
        assert _counts(session, tid) == (1, 3, 4, 1)
